//! The writer task of a connection: it owns the socket's write half, the outbound
//! encoder session ([MC-NBFSE] §2.2, one dictionary per direction) and the MC-NMF send
//! side (Sized Envelope records, [MC-NMF] §2.2.3.7), so that callbacks produced while an
//! operation runs reach the client as they happen and in order.

use std::io;
use std::time::Duration;

use ipam_engine::ProgressSink;
use ipam_model::ProgressEvent;
use nmf::KnownEncoding;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::codec::{Outbound, Reply};

/// Largest batch of queued records written with one system call.
const BATCH: usize = 64 * 1024;

/// How long callbacks wait for the rest of their turn (the next callbacks and the
/// response) before they are written anyway. An operation whose write is quick goes out
/// in one system call, as the wire floor of docs/performance.md sends it, and the client
/// reads it with one wake-up; a longer one still streams its progress, this much late.
const COALESCE: Duration = Duration::from_millis(2);

/// What the connection task asks the writer to send.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// A session of this encoding starts: fresh outbound dictionary.
    Begin(KnownEncoding),
    /// Framing bytes as they are (Preamble Ack, End, Fault records).
    Raw(Vec<u8>),
    /// A SOAP envelope to encode and frame as a Sized Envelope.
    Message(Reply),
}

impl Outgoing {
    /// Whether this is a progress callback, which never ends a turn of the exchange.
    fn is_callback(&self) -> bool {
        matches!(self, Outgoing::Message(Reply::Callback(_)))
    }
}

/// Sends every progress event as a one-way callback message (§3.19.4.5–.9).
pub(crate) struct CallbackSink(pub(crate) UnboundedSender<Outgoing>);

impl ProgressSink for CallbackSink {
    fn report(&self, event: ProgressEvent) {
        tracing::debug!(callback = event.name(), "callback");
        // A closed writer means the client is gone; the operation still completes.
        let _ = self
            .0
            .send(Outgoing::Message(Reply::Callback(Box::new(event))));
    }
}

/// Runs until the channel closes (then shuts the write half down) or a write fails.
pub(crate) async fn run(
    mut wr: OwnedWriteHalf,
    mut rx: UnboundedReceiver<Outgoing>,
    write_timeout: Duration,
) -> io::Result<()> {
    let mut encoder: Option<Outbound> = None;
    let mut batch = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        let mut deadline = None;
        loop {
            let mut turn_open = false;
            while let Some(item) = next.take() {
                turn_open = item.is_callback();
                encode(item, &mut encoder, &mut batch)?;
                if batch.len() < BATCH {
                    next = rx.try_recv().ok();
                }
            }
            if !turn_open || batch.len() >= BATCH {
                break;
            }
            // Callbacks last: the rest of the turn is on its way.
            let until = *deadline.get_or_insert_with(|| tokio::time::Instant::now() + COALESCE);
            match tokio::time::timeout_at(until, rx.recv()).await {
                Ok(Some(item)) => next = Some(item),
                Ok(None) | Err(_) => break,
            }
        }
        if batch.is_empty() {
            continue;
        }
        tokio::time::timeout(write_timeout, wr.write_all(&batch))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "write timed out"))??;
        batch.clear();
    }
    let _ = tokio::time::timeout(write_timeout, wr.shutdown()).await;
    Ok(())
}

fn encode(item: Outgoing, encoder: &mut Option<Outbound>, out: &mut Vec<u8>) -> io::Result<()> {
    match item {
        Outgoing::Begin(encoding) => *encoder = Some(Outbound::new(encoding)),
        Outgoing::Raw(bytes) => out.extend_from_slice(&bytes),
        Outgoing::Message(reply) => {
            let Some(enc) = encoder.as_mut() else {
                return Err(io::Error::other(
                    "envelope before the preamble was accepted",
                ));
            };
            let payload = enc.encode(&reply).map_err(|e| {
                tracing::error!(error = %e, "cannot encode an outbound envelope");
                io::Error::other(e)
            })?;
            let framed = nmf::encode_sized_envelope(&payload).map_err(io::Error::other)?;
            out.extend_from_slice(&framed);
        }
    }
    Ok(())
}
