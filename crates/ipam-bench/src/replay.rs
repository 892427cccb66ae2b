//! The wire floor: what the net.tcp exchange of one operation costs on this machine when
//! the server does nothing but send bytes.
//!
//! One session against the real ipamd is recorded (the bytes of each of its three turns:
//! Preamble Ack + InitializeOperationParametersResponse, the callbacks +
//! StartOperationWithCallbackResponse, End). The replay server then answers every
//! session with those bytes, each turn in one write, after reading the client's records
//! with the MC-NMF state machine only: no binary XML, no SOAP, no engine, no store. It
//! runs on a 2-worker tokio runtime of its own, as ipamd does, in this process.
//!
//! The wire + store floor is the same server with a store ([`StoreWork`]): before it
//! answers a session's second envelope it writes one operation's rows through the store
//! API, as the store floor does (`insert_failover_with_links`, one `Store::write`), but
//! with group commit on, as ipamd runs it. That is the exchange plus the store's work
//! and nothing else: what any server that writes its rows through this store could do.
//! The wire + native SQLite floor writes them through the bench's own writer instead
//! ([`crate::native`]): what any server that makes these rows durable on SQLite could do.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use ipam_store::{Store, StoreOptions};
use nmf::{Event, ServerConnection};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::native::NativeWriter;
use crate::workload::{OpData, bare_create};

/// The server's side of one session, turn by turn.
#[derive(Debug, Clone)]
pub struct Recording {
    /// Answer to the preamble and the first envelope.
    pub init: Vec<u8>,
    /// Answer to the second envelope.
    pub start: Vec<u8>,
    /// Answer to the End Record.
    pub end: Vec<u8>,
}

/// The store's part of the wire + store floor: one operation's rows written per
/// session, each operation's own (the data seeded for it), taken in turn.
pub struct StoreWork {
    writer: Writer,
    ops: Mutex<VecDeque<OpData>>,
    /// Writes that failed (their sessions are dropped, so the client counts them too).
    failed: AtomicUsize,
}

/// What writes the rows of the wire + store floor.
enum Writer {
    /// The store, as ipamd opens it.
    Store(Store),
    /// The bench's own SQLite writer ([`crate::native`]).
    Native(NativeWriter),
}

impl StoreWork {
    fn new(writer: Writer, ops: Vec<OpData>) -> Arc<StoreWork> {
        Arc::new(StoreWork {
            writer,
            ops: Mutex::new(ops.into()),
            failed: AtomicUsize::new(0),
        })
    }

    /// Takes the next operation and writes its rows; `false` when none is left or the
    /// write failed.
    async fn write_next(&self) -> bool {
        let next = self.ops.lock().unwrap().pop_front();
        let Some(op) = next else {
            self.failed.fetch_add(1, Ordering::Relaxed);
            return false;
        };
        let written = match &self.writer {
            Writer::Store(store) => bare_create(store, &op, "floor").await.is_ok(),
            Writer::Native(native) => native.write(&op, "floor").await.is_ok(),
        };
        if !written {
            self.failed.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        true
    }
}

/// A running replay server; stopped when dropped.
pub struct ReplayServer {
    pub addr: SocketAddr,
    work: Option<Arc<StoreWork>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl ReplayServer {
    /// Starts the replay server (the wire floor) on a free loopback port.
    pub fn start(recording: Recording) -> anyhow::Result<ReplayServer> {
        let listener = bind()?;
        Ok(Self::serve(recording, listener, runtime()?, None))
    }

    /// Starts the wire + store floor: the replay server, writing the rows of the next of
    /// `ops` through a store on `database_url` (durable or not, group commit as the
    /// store's default) before it answers each session's second envelope.
    pub async fn start_with_store(
        recording: Recording,
        database_url: &str,
        durable: bool,
        ops: Vec<OpData>,
    ) -> anyhow::Result<ReplayServer> {
        let listener = bind()?;
        let runtime = runtime()?;
        let options = StoreOptions {
            durable,
            ..StoreOptions::new(database_url)
        };
        // The store's writer task runs on the replay runtime, as ipamd's runs on its own.
        let store = match runtime.spawn(Store::open_with(options)).await {
            Ok(Ok(store)) => store,
            failed => {
                // A runtime may not be dropped from inside another one.
                runtime.shutdown_background();
                return Err(match failed {
                    Ok(Err(e)) => anyhow::Error::new(e).context("cannot open the store"),
                    _ => anyhow::anyhow!("the replay runtime stopped"),
                });
            }
        };
        let work = StoreWork::new(Writer::Store(store), ops);
        Ok(Self::serve(recording, listener, runtime, Some(work)))
    }

    /// Starts the wire + native SQLite floor: the replay server, writing the rows of the
    /// next of `ops` with the bench's own writer on the SQLite database of `database_url`
    /// (durable, group commit of up to `max_batch`) before it answers each session's
    /// second envelope.
    pub fn start_with_native(
        recording: Recording,
        database_url: &str,
        max_batch: usize,
        ops: Vec<OpData>,
    ) -> anyhow::Result<ReplayServer> {
        let listener = bind()?;
        let native = NativeWriter::open(database_url, max_batch)?;
        let work = StoreWork::new(Writer::Native(native), ops);
        Ok(Self::serve(recording, listener, runtime()?, Some(work)))
    }

    fn serve(
        recording: Recording,
        (listener, addr): (std::net::TcpListener, SocketAddr),
        runtime: tokio::runtime::Runtime,
        work: Option<Arc<StoreWork>>,
    ) -> ReplayServer {
        let recording = Arc::new(recording);
        let w = work.clone();
        runtime.spawn(async move {
            let Ok(listener) = TcpListener::from_std(listener) else {
                return;
            };
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, recording.clone(), w.clone()));
            }
        });
        ReplayServer {
            addr,
            work,
            runtime: Some(runtime),
        }
    }

    /// Store writes that failed (wire + store floor only).
    pub fn failed_writes(&self) -> usize {
        self.work
            .as_ref()
            .map_or(0, |w| w.failed.load(Ordering::Relaxed))
    }

    /// Stops the server; closes its store, if it has one.
    pub async fn stop(mut self) {
        if let (Some(rt), Some(work)) = (&self.runtime, self.work.take())
            && let Writer::Store(store) = &work.writer
        {
            let store = store.clone();
            let _ = rt.spawn(async move { store.close().await }).await;
        }
    }
}

/// A free loopback port to listen on, bound before the runtime exists (a runtime may not
/// be dropped inside another, as an early return would).
fn bind() -> anyhow::Result<(std::net::TcpListener, SocketAddr)> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").context("cannot bind a loopback port")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// The server's own 2-worker runtime, as ipamd has.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("replay")
        .enable_all()
        .build()
        .context("cannot start the replay runtime")
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Serves sessions on one connection until the client closes it.
async fn serve(mut stream: TcpStream, recording: Arc<Recording>, work: Option<Arc<StoreWork>>) {
    let _ = stream.set_nodelay(true);
    let mut nmf = ServerConnection::new(nmf::Limits::with_max_envelope_size(64 << 20));
    let mut buf = vec![0u8; 64 * 1024];
    let mut envelopes = 0;
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        nmf.receive(&buf[..n]);
        while let Some(event) = nmf.poll_event() {
            let reply: &[u8] = match event {
                Ok(Event::PreambleComplete(_)) => {
                    if nmf.accept_preamble().is_err() {
                        return;
                    }
                    envelopes = 0;
                    continue;
                }
                Ok(Event::Envelope(_)) => {
                    envelopes += 1;
                    if envelopes == 1 {
                        &recording.init
                    } else {
                        if let Some(work) = &work
                            && !work.write_next().await
                        {
                            return;
                        }
                        &recording.start
                    }
                }
                Ok(Event::End) => {
                    if nmf.end().is_err() {
                        return;
                    }
                    &recording.end
                }
                Ok(Event::UpgradeRequested { .. }) | Err(_) => return,
            };
            if stream.write_all(reply).await.is_err() {
                return;
            }
        }
    }
}
