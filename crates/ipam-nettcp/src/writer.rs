//! The writer task of a connection: it owns the socket's write half, the outbound
//! encoder session ([MC-NBFSE] §2.2, one dictionary per direction) and the MC-NMF send
//! side (Sized Envelope records, [MC-NMF] §2.2.3.7), so that callbacks produced while an
//! operation runs reach the client as they happen and in order.

use std::io;
use std::time::Duration;

use ipam_engine::ProgressSink;
use ipam_model::ProgressEvent;
use nmf::KnownEncoding;
use tokio::io::{AsyncWrite, AsyncWriteExt};
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
pub(crate) async fn run<W: AsyncWrite + Unpin>(
    mut wr: W,
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

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll};

    use ipam_model::ProgressEvent;
    use tokio::sync::mpsc;

    use super::*;

    /// Counts the write calls it is given (taking all of each).
    #[derive(Clone, Default)]
    struct Writes(Arc<AtomicUsize>);

    impl Writes {
        fn count(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
    }

    impl AsyncWrite for Writes {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    fn callback() -> Outgoing {
        Outgoing::Message(Reply::Callback(Box::new(
            ProgressEvent::StartProgressCallback {
                is_non_deterministic: false,
            },
        )))
    }

    fn response() -> Outgoing {
        Outgoing::Message(Reply::StartResponse(Some("urn:uuid:1".into())))
    }

    /// Starts a writer on a binary session; returns its input and what it wrote.
    fn writer() -> (
        UnboundedSender<Outgoing>,
        Writes,
        tokio::task::JoinHandle<io::Result<()>>,
    ) {
        let (tx, rx) = mpsc::unbounded_channel();
        let writes = Writes::default();
        let task = tokio::spawn(run(writes.clone(), rx, Duration::from_secs(5)));
        tx.send(Outgoing::Begin(KnownEncoding::Soap12BinarySession))
            .unwrap();
        (tx, writes, task)
    }

    /// Two callbacks `gap` apart, then `wait`; the writes made by then.
    async fn two_callbacks(
        tx: &UnboundedSender<Outgoing>,
        writes: &Writes,
        gap: u64,
        wait: u64,
    ) -> usize {
        tx.send(callback()).unwrap();
        tokio::time::sleep(Duration::from_micros(gap)).await;
        tx.send(callback()).unwrap();
        tokio::time::sleep(Duration::from_micros(wait)).await;
        writes.count()
    }

    /// Sends the response, closes the writer; the writes made in all.
    async fn respond_and_close(
        tx: UnboundedSender<Outgoing>,
        writes: &Writes,
        task: tokio::task::JoinHandle<io::Result<()>>,
    ) -> usize {
        tx.send(response()).unwrap();
        drop(tx);
        task.await.unwrap().unwrap();
        writes.count()
    }

    #[tokio::test(start_paused = true)]
    async fn callbacks_and_the_response_that_follows_within_the_window_go_in_one_write() {
        let (tx, writes, task) = writer();
        let early = two_callbacks(&tx, &writes, 500, 500).await;
        assert_eq!(early, 0, "callbacks waited for the rest of the turn");
        assert_eq!(respond_and_close(tx, &writes, task).await, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn callbacks_are_written_after_the_window_when_the_turn_goes_on() {
        let (tx, writes, task) = writer();
        // The window runs from the first callback: 2 ms, not 2 ms after the last one.
        let early = two_callbacks(&tx, &writes, 1000, 1500).await;
        assert_eq!(early, 1, "both callbacks went out when the window closed");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(respond_and_close(tx, &writes, task).await, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_response_is_written_at_once() {
        let (tx, writes, _task) = writer();
        tx.send(response()).unwrap();
        tokio::time::sleep(Duration::from_micros(10)).await;
        assert_eq!(writes.count(), 1);
    }
}
