//! One net.tcp connection: MC-NMF Duplex session ([MC-NMF] §3.3), envelope decoding,
//! dispatch to one `IIpamOperationWithProgress` session ([MS-IPAMM2] §3.19.4) and the
//! InactivityTimer (§3.1.2, §3.1.5).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use ipam_engine::Engine;
use ipam_model::IpamException;
use ipam_soap::{Fault, RequestBody};
use nmf::{Event, KnownEncoding, ServerConnection};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::mpsc::{self, UnboundedSender};
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};
use tracing::Instrument;

use crate::NetTcpOptions;
use crate::codec::{Inbound, Reply};
use crate::writer::{self, CallbackSink, Outgoing};

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 16 * 1024;
/// After the last record, unread input is drained for at most this long (and
/// [`LINGER_BYTES`]) so that closing does not reset the connection before the client has
/// read our End or Fault record.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 1024 * 1024;

/// What every connection shares with the listener.
pub(crate) struct Context {
    pub(crate) engine: Engine,
    pub(crate) options: Arc<NetTcpOptions>,
    pub(crate) open_sessions: Arc<AtomicI64>,
    /// Becomes true when the listener shuts down.
    pub(crate) stop: watch::Receiver<bool>,
}

/// Counts one open session in `open_sessions` while alive.
struct SessionGauge(Arc<AtomicI64>);

impl SessionGauge {
    fn new(counter: &Arc<AtomicI64>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        SessionGauge(counter.clone())
    }
}

impl Drop for SessionGauge {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A session whose preamble was accepted.
struct Active {
    inbound: Inbound,
    session: ipam_engine::Session,
    _gauge: SessionGauge,
}

/// Why a connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Close {
    /// The peer closed the socket.
    PeerClosed,
    /// Reading failed.
    ReadError,
    /// A framing error (its fault record was sent when there is one).
    Framing,
    /// An upgrade was requested; this server has no [MS-NNS] yet (`UpgradeInvalid`).
    UpgradeRefused,
    /// The binary XML could not be decoded: the session dictionary is unusable.
    MalformedEnvelope,
    /// The engine asked to end the session after a fault (§3.19.4.3).
    SessionFault,
    /// The InactivityTimer's grace count went below zero (§3.1.5) during a session.
    Inactive,
    /// A pooled connection stayed idle between sessions for as long as the
    /// InactivityTimer allows a session to be silent.
    Idle,
    /// The listener is shutting down.
    Shutdown,
    /// The writer task is gone (write failure or timeout).
    WriterGone,
}

enum Flow {
    Continue,
    Close(Close),
}

/// Serves one accepted connection until it closes; returns the peer address.
pub(crate) async fn run(stream: TcpStream, peer: SocketAddr, ctx: Context) -> SocketAddr {
    let span = tracing::info_span!("nettcp", %peer);
    serve_connection(stream, ctx).instrument(span).await;
    peer
}

async fn serve_connection(stream: TcpStream, ctx: Context) {
    let _ = stream.set_nodelay(true);
    let (mut rd, wr) = stream.into_split();
    let (tx, rx) = mpsc::unbounded_channel();
    let write_timeout = ctx.options.write_timeout;
    let mut writer = tokio::spawn(writer::run(wr, rx, write_timeout));
    tracing::debug!("connection accepted");

    let mut conn = Connection {
        nmf: ServerConnection::new(ctx.options.nmf_limits()),
        tx,
        active: None,
        received_since_tick: false,
        ctx,
    };
    let reason = conn.run(&mut rd, &mut writer).await;
    match reason {
        Close::PeerClosed | Close::Shutdown | Close::Idle => {
            tracing::debug!(reason = ?reason, "connection closed")
        }
        _ => tracing::warn!(reason = ?reason, "connection closed"),
    }
    // Dropping the sender lets the writer flush what is queued, then shut down.
    drop(conn);
    if !writer.is_finished() {
        match tokio::time::timeout(write_timeout, &mut writer).await {
            Ok(Ok(Err(e))) => tracing::debug!(error = %e, "writer failed"),
            Ok(_) => {}
            Err(_) => writer.abort(),
        }
    }
    if !matches!(reason, Close::PeerClosed | Close::ReadError) {
        linger(&mut rd).await;
    }
}

/// Reads and discards until EOF, bounded in time and bytes.
async fn linger(rd: &mut OwnedReadHalf) {
    let mut buf = [0u8; 4096];
    let mut total = 0;
    let _ = tokio::time::timeout(LINGER, async {
        while let Ok(n) = rd.read(&mut buf).await {
            total += n;
            if n == 0 || total > LINGER_BYTES {
                break;
            }
        }
    })
    .await;
}

struct Connection {
    ctx: Context,
    nmf: ServerConnection,
    tx: UnboundedSender<Outgoing>,
    active: Option<Active>,
    /// `ADM_MessageReceivedSinceLastTimerTick` (§3.1.1.3).
    received_since_tick: bool,
}

impl Connection {
    async fn run(
        &mut self,
        rd: &mut OwnedReadHalf,
        writer: &mut tokio::task::JoinHandle<std::io::Result<()>>,
    ) -> Close {
        let tick = self
            .ctx
            .options
            .inactivity_tick
            .max(Duration::from_millis(1));
        let mut timer = tokio::time::interval_at(Instant::now() + tick, tick);
        timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // `ADM_KeepaliveGraceCount` (§3.1.1.3).
        let mut grace = self.ctx.options.keepalive_grace_count;
        let mut stop = self.ctx.stop.clone();
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            let busy_until = Instant::now();
            if let Flow::Close(reason) = self.drain().await {
                return reason;
            }
            if busy_until.elapsed() >= tick {
                // An operation ran for a whole tick: the session was not idle.
                timer.reset();
            }
            if *stop.borrow() {
                self.end_session();
                return Close::Shutdown;
            }
            tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => {
                    self.end_session();
                    return Close::Shutdown;
                }
                _ = &mut *writer => return Close::WriterGone,
                _ = timer.tick() => {
                    // §3.1.5 InactivityTimer.
                    if std::mem::take(&mut self.received_since_tick) {
                        grace = self.ctx.options.keepalive_grace_count;
                    } else {
                        grace -= 1;
                        if grace < 0 {
                            if self.active.is_none() && self.nmf.is_idle() {
                                return Close::Idle;
                            }
                            tracing::info!("no message within the keepalive grace period; aborting the session");
                            return Close::Inactive;
                        }
                    }
                }
                read = rd.read(&mut buf) => match read {
                    Ok(0) => return Close::PeerClosed,
                    Ok(n) => self.nmf.receive(&buf[..n]),
                    Err(e) => {
                        tracing::debug!(error = %e, "read failed");
                        return Close::ReadError;
                    }
                },
            }
        }
    }

    /// Handles every event the buffered input holds.
    async fn drain(&mut self) -> Flow {
        while let Some(event) = self.nmf.poll_event() {
            let flow = match event {
                Ok(Event::PreambleComplete(preamble)) => self.preamble(preamble),
                Ok(Event::UpgradeRequested { content_type }) => {
                    tracing::warn!(%content_type, "upgrade refused: transport security is not available");
                    match self.nmf.refuse_upgrade() {
                        Ok(bytes) => self.raw(bytes),
                        Err(e) => tracing::error!(error = %e, "cannot refuse the upgrade"),
                    }
                    Flow::Close(Close::UpgradeRefused)
                }
                Ok(Event::Envelope(payload)) => {
                    self.received_since_tick = true;
                    self.envelope(payload).await
                }
                Ok(Event::End) => {
                    // Both End Records exchanged: the connection goes back to waiting for
                    // a preamble ([MC-NMF] §3.1.1.2 ProtocolStream), which is how WCF
                    // reuses pooled connections; the client closes it when it is done.
                    tracing::debug!("End record received");
                    self.end_session();
                    Flow::Continue
                }
                Err(e) => {
                    let fault = e.fault();
                    tracing::warn!(error = %e, fault = ?fault.map(|f| f.uri()), "framing error");
                    if let Some(f) = fault {
                        self.raw(nmf::encode_fault(f));
                    }
                    Flow::Close(Close::Framing)
                }
            };
            if let Flow::Close(_) = flow {
                return flow;
            }
        }
        Flow::Continue
    }

    /// Accepts any Via with encoding 0x03 or 0x08 (the only ones the framing layer lets
    /// through, [MC-NMF] §3.1.4.6); starts the session (§3.19.4.1).
    fn preamble(&mut self, preamble: nmf::Preamble) -> Flow {
        let encoding = match preamble.encoding {
            KnownEncoding::Soap12BinarySession => "binary-session",
            KnownEncoding::Soap12Utf8 => "text",
            _ => "other",
        };
        tracing::debug!(via = %preamble.via, encoding, "session opened");
        let ack = match self.nmf.accept_preamble() {
            Ok(ack) => ack,
            Err(e) => {
                tracing::error!(error = %e, "cannot accept the preamble");
                return Flow::Close(Close::Framing);
            }
        };
        self.send(Outgoing::Begin(preamble.encoding));
        self.raw(ack);
        self.active = Some(Active {
            inbound: Inbound::new(preamble.encoding, self.ctx.options.nbfx_limits()),
            session: self.ctx.engine.session(),
            _gauge: SessionGauge::new(&self.ctx.open_sessions),
        });
        Flow::Continue
    }

    /// Closes the engine session, if one is open.
    fn close_session(&mut self) {
        if let Some(mut active) = self.active.take() {
            active.session.close();
        }
    }

    /// Sends our End Record if the session is open, and closes the engine session.
    fn end_session(&mut self) {
        self.close_session();
        if let Ok(bytes) = self.nmf.end() {
            self.raw(bytes);
        }
    }

    async fn envelope(&mut self, payload: Vec<u8>) -> Flow {
        let Some(active) = self.active.as_mut() else {
            return Flow::Close(Close::Framing);
        };
        let size = payload.len();
        let limits = self.ctx.options.soap_limits(active.inbound.is_binary());
        let request = match active.inbound.decode_request(&payload, &limits) {
            Ok(Ok(request)) => request,
            Ok(Err(fault)) => {
                tracing::info!(size, outcome = "fault", reason = %fault.reason, "request not decoded");
                let relates_to = fault.request_message_id.clone();
                self.message(Reply::Fault(Box::new(fault), relates_to));
                return Flow::Continue;
            }
            Err(e) => {
                tracing::warn!(size, error = %e, "malformed binary envelope");
                let fault = Fault::from(IpamException::invalid_parameter(format!(
                    "the envelope is not valid .NET binary XML: {e}"
                )));
                self.message(Reply::Fault(Box::new(fault), None));
                self.close_session();
                return Flow::Close(Close::MalformedEnvelope);
            }
        };
        let span = tracing::info_span!("request", action = short_action(&request.action));
        self.dispatch(request).instrument(span).await
    }

    /// Dispatches a decoded request by its action (§3.19.4.3, §3.19.4.4, §2.2.2.2).
    async fn dispatch(&mut self, request: ipam_soap::Request) -> Flow {
        let Some(active) = self.active.as_mut() else {
            return Flow::Close(Close::Framing);
        };
        let id = request.message_id.as_deref();
        match request.body {
            RequestBody::Keepalive => {
                tracing::debug!("keepalive");
                Flow::Continue
            }
            RequestBody::InitializeOperationParameters(params) => {
                let params = params.into_option();
                let operation = params.as_ref().and_then(|p| p.operation_id);
                match active.session.initialize_operation_parameters(params) {
                    Ok(()) => {
                        tracing::debug!(?operation, outcome = "ok", "parameters stored");
                        self.message(Reply::InitializeResponse(id.map(str::to_owned)));
                        Flow::Continue
                    }
                    Err(fault) => self.session_fault(fault, id),
                }
            }
            RequestBody::StartOperationWithCallback => {
                let operation = active.session.operation_id();
                let sink = CallbackSink(self.tx.clone());
                match active.session.start_operation_with_callback(&sink).await {
                    Ok(done) => {
                        tracing::debug!(?operation, record_id = ?done.record_id, outcome = "ok", "operation completed");
                        self.message(Reply::StartResponse(id.map(str::to_owned)));
                        Flow::Continue
                    }
                    Err(fault) => self.session_fault(fault, id),
                }
            }
        }
    }

    /// Sends an engine fault as the reply; ends the session when the engine says so.
    fn session_fault(
        &mut self,
        fault: ipam_engine::SessionFault,
        relates_to: Option<&str>,
    ) -> Flow {
        tracing::info!(
            exception = ?fault.exception.exception_id,
            message = %fault.exception.message,
            close = fault.close_session,
            outcome = "fault",
            "operation failed"
        );
        let close = fault.close_session;
        self.message(Reply::Fault(
            Box::new(Fault::from(fault.exception)),
            relates_to.map(str::to_owned),
        ));
        if close {
            self.end_session();
            Flow::Close(Close::SessionFault)
        } else {
            Flow::Continue
        }
    }

    fn message(&self, reply: Reply) {
        self.send(Outgoing::Message(reply));
    }

    fn raw(&self, bytes: Vec<u8>) {
        self.send(Outgoing::Raw(bytes));
    }

    fn send(&self, item: Outgoing) {
        // A closed channel means the writer failed; the read loop notices.
        let _ = self.tx.send(item);
    }
}

/// The operation name of an action URI, for logs.
fn short_action(action: &str) -> &str {
    action.rsplit('/').next().unwrap_or(action)
}
