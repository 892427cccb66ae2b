//! The wire floor: what the net.tcp exchange of one operation costs on this machine when
//! the server does nothing but send bytes.
//!
//! One session against the real ipamd is recorded (the bytes of each of its three turns:
//! Preamble Ack + InitializeOperationParametersResponse, the callbacks +
//! StartOperationWithCallbackResponse, End). The replay server then answers every
//! session with those bytes, each turn in one write, after reading the client's records
//! with the MC-NMF state machine only: no binary XML, no SOAP, no engine, no store. It
//! runs on a 2-worker tokio runtime of its own, as ipamd does, in this process.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use nmf::{Event, ServerConnection};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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

/// A running replay server; stopped when dropped.
pub struct ReplayServer {
    pub addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl ReplayServer {
    /// Starts the replay server on a free loopback port.
    pub fn start(recording: Recording) -> anyhow::Result<ReplayServer> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("replay")
            .enable_all()
            .build()
            .context("cannot start the replay runtime")?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let recording = Arc::new(recording);
        runtime.spawn(async move {
            let Ok(listener) = TcpListener::from_std(listener) else {
                return;
            };
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, recording.clone()));
            }
        });
        Ok(ReplayServer {
            addr,
            runtime: Some(runtime),
        })
    }
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Serves sessions on one connection until the client closes it.
async fn serve(mut stream: TcpStream, recording: Arc<Recording>) {
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
