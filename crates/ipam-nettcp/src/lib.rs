//! The net.tcp transport of ipamd ([MS-IPAMM2] §2.1): a tokio listener that wires the
//! sans-I/O crates together.
//!
//! One TCP connection carries [MC-NMF] Duplex sessions ([MS-NMFTB]); each session is one
//! `IIpamOperationWithProgress` session (§3.19.1.1) whose callbacks (§3.19.4.5–.9) travel
//! back on the same connection.
//!
//! Per connection:
//!
//! * [`nmf::ServerConnection`] reads the preamble (any Via, Known Encodings 0x08 and 0x03),
//!   refuses upgrades with the `UpgradeInvalid` framing fault (no [MS-NNS] yet) and yields
//!   Sized Envelopes. Framing errors send their fault record, then close.
//! * Envelopes are decoded with an [MC-NBFSE] session decoder (0x08) or as UTF-8 text
//!   (0x03; a BOM is skipped), then by [`ipam_soap::decode_request`]; a SOAP-level decode
//!   failure goes back as the SOAP fault.
//! * Requests are dispatched by `a:Action` to an [`ipam_engine::Session`]. The progress
//!   callbacks of `StartOperationWithCallback` are written to the client as they happen;
//!   the response (or the `IpamException` fault) follows them, `a:RelatesTo` = the
//!   request's `a:MessageID`.
//! * A writer task owns the socket's write half and the outbound encoder session. Binary
//!   sessions (0x08) get their MC-NBFX events straight from ipam-soap's writer (an
//!   [`ipam_soap::XmlSink`]), never through XML text; text sessions (0x03) get the text.
//! * The §3.1.5 InactivityTimer (every [`NetTcpOptions::inactivity_tick`], 15 s by
//!   default; grace count [`NetTcpOptions::keepalive_grace_count`], 3) aborts idle sessions;
//!   it runs from the moment the connection is accepted, so a socket that never completes
//!   its preamble is dropped the same way.
//! * After both End Records, the connection waits for the next preamble ([MC-NMF]
//!   §3.1.1.2: a protocol stream is one or more sessions): WCF clients pool their
//!   connections and start the next session on the same socket. Each session gets a fresh
//!   engine session and fresh MC-NBFSE dictionaries in both directions. A pooled
//!   connection left idle is closed by the same InactivityTimer.
//!
//! Each connection runs in its own task, with the limits of [`NetTcpOptions`]: a
//! misbehaving client only ever loses its own connection.

mod codec;
mod connection;
mod writer;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Duration;

use ipam_engine::Engine;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Options of the net.tcp listener.
#[derive(Debug, Clone)]
pub struct NetTcpOptions {
    /// Largest envelope accepted, in bytes (WCF's `maxReceivedMessageSize`; default
    /// 64 KiB). It bounds the MC-NMF Sized Envelope ([MC-NMF] §3.1.4.11) and the SOAP
    /// message; for binary envelopes the decoded XML text may be up to
    /// [`BINARY_EXPANSION`] times larger, since dictionary strings expand.
    pub max_message_size: usize,
    /// Period of the InactivityTimer ([MS-IPAMM2] §3.1.2, §3.1.5): 15 s.
    pub inactivity_tick: Duration,
    /// `ADM_KeepaliveGraceCountInitialValue` ([MS-IPAMM2] §3.1.1.3): 3. A session that
    /// receives nothing for `grace + 1` consecutive ticks is aborted.
    pub keepalive_grace_count: i32,
    /// How long one write to a client may block before the connection is dropped.
    pub write_timeout: Duration,
}

/// Ratio between the decoded XML text and the binary envelope accepted for
/// [`NetTcpOptions::max_message_size`].
pub const BINARY_EXPANSION: usize = 4;

impl Default for NetTcpOptions {
    fn default() -> Self {
        NetTcpOptions {
            max_message_size: 64 * 1024,
            inactivity_tick: Duration::from_secs(15),
            keepalive_grace_count: 3,
            write_timeout: Duration::from_secs(30),
        }
    }
}

impl NetTcpOptions {
    /// MC-NMF receive quotas ([MC-NMF] §5.1).
    pub(crate) fn nmf_limits(&self) -> nmf::Limits {
        nmf::Limits::with_max_envelope_size(self.max_message_size)
    }

    /// SOAP reader quotas for a text (`binary` false) or decoded binary message.
    pub(crate) fn soap_limits(&self, binary: bool) -> ipam_soap::Limits {
        let max = if binary {
            self.max_message_size.saturating_mul(BINARY_EXPANSION)
        } else {
            self.max_message_size
        };
        ipam_soap::Limits {
            max_message_size: max,
            ..ipam_soap::Limits::default()
        }
    }

    /// Binary XML quotas ([MC-NBFX] §4, [MC-NBFSE] §4).
    pub(crate) fn nbfx_limits(&self) -> nbfx::Limits {
        nbfx::Limits {
            max_output_bytes: self.max_message_size.saturating_mul(BINARY_EXPANSION),
            max_string_len: self.max_message_size,
            ..nbfx::Limits::default()
        }
    }
}

/// Serves net.tcp sessions on `listener` until `shutdown` resolves.
///
/// On shutdown the listener stops accepting; sessions finish the operation they are
/// running (the response is sent), then end with an End Record; the function returns
/// when every connection is closed. `open_sessions` counts the sessions whose preamble
/// was accepted and that have not ended yet.
pub async fn serve(
    listener: TcpListener,
    engine: Engine,
    options: NetTcpOptions,
    open_sessions: Arc<AtomicI64>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    tracing::info!(%local, "net.tcp listening (no transport security)");
    let options = Arc::new(options);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            Some(done) = connections.join_next(), if !connections.is_empty() => {
                log_join(done);
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let ctx = connection::Context {
                        engine: engine.clone(),
                        options: options.clone(),
                        open_sessions: open_sessions.clone(),
                        stop: stop_rx.clone(),
                    };
                    connections.spawn(connection::run(stream, peer, ctx));
                }
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %e, "net.tcp accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    drop(listener);
    tracing::info!(
        connections = connections.len(),
        "net.tcp stopped accepting; waiting for sessions to finish"
    );
    let _ = stop_tx.send(true);
    while let Some(done) = connections.join_next().await {
        log_join(done);
    }
    tracing::info!("net.tcp listener stopped");
    Ok(())
}

fn log_join(done: Result<SocketAddr, tokio::task::JoinError>) {
    match done {
        Ok(_) => {}
        Err(e) if e.is_panic() => tracing::error!(error = %e, "net.tcp connection task panicked"),
        Err(e) => tracing::warn!(error = %e, "net.tcp connection task ended abnormally"),
    }
}
