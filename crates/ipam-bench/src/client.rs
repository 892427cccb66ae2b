//! A net.tcp client like WCF's NetTcpBinding with SecurityMode.None: MC-NMF Duplex,
//! Known Encoding 0x08 (SOAP 1.2 binary, in-band session dictionary), one
//! `IIpamOperationWithProgress` session per operation. Like WCF's connection pool, a
//! session task starts its next session on the connection of the previous one (a new
//! preamble after both End Records, [MC-NMF] §3.1.1.2) unless told to connect anew.
//!
//! Requests are encoded before the clock starts ([`PreparedOp`]): the load generator
//! shares the machine with the server and should spend its CPU reading replies only.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use ipam_soap::ServerMessage;
use nbfx::XmlEvent;
use nmf::{ClientConnection, ClientEvent, KnownEncoding};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::replay::Recording;
use crate::workload::OpData;

/// Largest envelope the client accepts from the server.
const MAX_ENVELOPE: usize = 64 << 20;
/// How long one operation may take before it counts as failed.
pub const OP_TIMEOUT: Duration = Duration::from_secs(120);

/// One operation, its bytes ready to send.
pub struct PreparedOp {
    nmf: ClientConnection,
    /// Preamble, Preamble End and the InitializeOperationParameters envelope, pipelined
    /// in one write as WCF does.
    first: Vec<u8>,
    /// The StartOperationWithCallback envelope.
    start: Vec<u8>,
    /// The End Record.
    end: Vec<u8>,
}

impl PreparedOp {
    /// Bytes of the InitializeOperationParameters record (the message size).
    pub fn request_bytes(&self) -> usize {
        self.first.len()
    }
}

/// Encodes the session of `op` for the server at `addr`.
pub fn prepare(addr: SocketAddr, op: &OpData, tag: &str) -> anyhow::Result<PreparedOp> {
    let via = format!("net.tcp://{addr}/IpamOperationWithProgress");
    let mut nmf = ClientConnection::new(nmf::Limits::with_max_envelope_size(MAX_ENVELOPE));
    let mut enc = nbfx::SessionEncoder::new();
    let mut encode = |nmf: &mut ClientConnection, xml: &str| -> anyhow::Result<Vec<u8>> {
        let payload = enc.encode_envelope(&nbfx::from_xml(xml)?)?;
        Ok(nmf.send_envelope(&payload)?)
    };
    let to = Some(via.as_str());
    let init = ipam_soap::encode_initialize_request(
        Some(&op.parameters(tag)),
        &message_id(op.index, 1),
        to,
    );
    let start = ipam_soap::encode_start_request(&message_id(op.index, 2), to);
    let mut first = nmf.start(&via, KnownEncoding::Soap12BinarySession)?;
    first.extend(encode(&mut nmf, &init)?);
    let start = encode(&mut nmf, &start)?;
    let end = nmf.end()?;
    Ok(PreparedOp {
        nmf,
        first,
        start,
        end,
    })
}

fn message_id(op: usize, n: u32) -> String {
    format!("urn:uuid:1be1c0de-{n:04x}-4000-8000-{op:012x}")
}

/// How the load generator behaves.
#[derive(Debug, Clone, Copy)]
pub struct Mode {
    /// How replies are read.
    pub decode: Decode,
    /// Keep each session task's connection for its next session (WCF's connection pool);
    /// false: a new TCP connection per operation.
    pub pooled: bool,
}

/// How replies are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decode {
    /// Every envelope through the NBFSE session decoder; the `a:Action` header says what
    /// it is; faults and the final response are decoded in full by ipam-soap.
    Light,
    /// Every envelope decoded in full by ipam-soap (as a WCF client deserialises).
    Full,
}

/// What one operation did.
#[derive(Debug, Clone, Copy)]
pub struct OpResult {
    /// From connect to the StartOperationWithCallbackResponse.
    pub latency: Duration,
    /// Callbacks received.
    pub callbacks: usize,
}

/// A connection kept between sessions, as WCF's connection pool keeps it.
pub struct Pooled {
    stream: TcpStream,
    buf: Vec<u8>,
    /// When recording: the bytes received since the last turn ended, and the turns.
    tap: Option<(Vec<u8>, Vec<Vec<u8>>)>,
}

impl Pooled {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> anyhow::Result<Pooled> {
        let stream = TcpStream::connect(addr)
            .await
            .context("cannot connect to the server")?;
        stream.set_nodelay(true)?;
        Ok(Pooled {
            stream,
            buf: vec![0u8; 64 * 1024],
            tap: None,
        })
    }

    /// Ends a turn of the server's: what it sent since the previous one is recorded.
    fn turn(&mut self) {
        if let Some((bytes, turns)) = &mut self.tap {
            turns.push(std::mem::take(bytes));
        }
    }
}

/// Runs `op` on a new connection and records the server's bytes, turn by turn.
pub async fn record(addr: SocketAddr, op: PreparedOp) -> anyhow::Result<Recording> {
    let mut conn = Pooled::connect(addr).await?;
    conn.tap = Some(Default::default());
    session(&mut conn, op, Decode::Light).await?;
    let Some((_, turns)) = conn.tap.take() else {
        bail!("nothing recorded");
    };
    let [init, start, end]: [Vec<u8>; 3] = turns
        .try_into()
        .map_err(|t: Vec<_>| anyhow!("expected 3 turns, recorded {}", t.len()))?;
    Ok(Recording { init, start, end })
}

struct Session<'c> {
    conn: &'c mut Pooled,
    nmf: ClientConnection,
    dec: nbfx::SessionDecoder,
    decode: Decode,
}

enum Reply {
    Response(String),
    Callback,
    Fault(String),
}

impl Session<'_> {
    async fn event(&mut self) -> anyhow::Result<ClientEvent> {
        loop {
            if let Some(e) = self.nmf.poll_event() {
                return Ok(e?);
            }
            let n = self.conn.stream.read(&mut self.conn.buf).await?;
            if n == 0 {
                bail!("the server closed the connection");
            }
            self.nmf.receive(&self.conn.buf[..n]);
            if let Some((bytes, _)) = &mut self.conn.tap {
                bytes.extend_from_slice(&self.conn.buf[..n]);
            }
        }
    }

    async fn reply(&mut self) -> anyhow::Result<Reply> {
        let payload = match self.event().await? {
            ClientEvent::Envelope(p) => p,
            other => bail!("expected an envelope, got {other:?}"),
        };
        let events = self
            .dec
            .decode_envelope(&payload)
            .context("undecodable binary envelope from the server")?;
        if self.decode == Decode::Light {
            let action = action_of(&events).unwrap_or_default();
            if ipam_soap::ns::callback_name(&action).is_some() {
                return Ok(Reply::Callback);
            }
        }
        let xml = nbfx::to_xml(&events)?;
        let limits = ipam_soap::Limits {
            max_message_size: MAX_ENVELOPE * 4,
            max_string_content_length: MAX_ENVELOPE,
            ..ipam_soap::Limits::default()
        };
        match ipam_soap::decode_server_message(xml.as_bytes(), &limits) {
            Ok(ServerMessage::Response { action, .. }) => Ok(Reply::Response(action)),
            Ok(ServerMessage::Callback(_)) => Ok(Reply::Callback),
            Ok(ServerMessage::Fault(f)) => Ok(Reply::Fault(f.reason.to_string())),
            Err(f) => Err(anyhow!("undecodable server message: {}", f.reason)),
        }
    }
}

/// The text of the `a:Action` header.
fn action_of(events: &[XmlEvent]) -> Option<String> {
    let mut it = events.iter();
    while let Some(e) = it.next() {
        if let XmlEvent::StartElement { local_name, .. } = e {
            if local_name == "Body" {
                return None;
            }
            if local_name == "Action" {
                for e in it.by_ref() {
                    match e {
                        XmlEvent::Text(t) => return Some(t.to_string()),
                        XmlEvent::EndElement => return None,
                        _ => {}
                    }
                }
            }
        }
    }
    None
}

/// Runs one prepared operation: preamble and InitializeOperationParameters,
/// StartOperationWithCallback, every callback until the response, then End. The session
/// runs on `pool`'s connection when there is one, else on a new connection, which is
/// kept in `pool` afterwards when `keep` is set. Latency runs from the connect (or the
/// first write on a pooled connection) to the response. A fault is an error.
pub async fn run_op(
    addr: SocketAddr,
    op: PreparedOp,
    decode: Decode,
    pool: &mut Option<Pooled>,
    keep: bool,
) -> anyhow::Result<OpResult> {
    let t0 = Instant::now();
    tokio::time::timeout(OP_TIMEOUT, async {
        let mut conn = match pool.take() {
            Some(conn) => conn,
            None => Pooled::connect(addr).await?,
        };
        let (answered, callbacks) = session(&mut conn, op, decode).await?;
        if keep {
            *pool = Some(conn);
        }
        Ok(OpResult {
            latency: answered - t0,
            callbacks,
        })
    })
    .await
    .map_err(|_| anyhow!("the operation took more than {OP_TIMEOUT:?}"))?
}

/// One session on `conn`; returns when the response arrived and the callbacks.
async fn session(
    conn: &mut Pooled,
    op: PreparedOp,
    decode: Decode,
) -> anyhow::Result<(Instant, usize)> {
    let mut s = Session {
        conn,
        nmf: op.nmf,
        dec: nbfx::SessionDecoder::with_limits(nbfx::Limits {
            max_output_bytes: MAX_ENVELOPE * 4,
            max_string_len: MAX_ENVELOPE,
            ..nbfx::Limits::default()
        }),
        decode,
    };
    s.conn.stream.write_all(&op.first).await?;
    match s.event().await? {
        ClientEvent::PreambleAck => {}
        other => bail!("expected the Preamble Ack, got {other:?}"),
    }
    match s.reply().await? {
        Reply::Response(a) if a == ipam_soap::ns::ACTION_INITIALIZE_RESPONSE => {}
        Reply::Response(a) => bail!("unexpected response {a}"),
        Reply::Callback => bail!("a callback before StartOperationWithCallback"),
        Reply::Fault(r) => bail!("InitializeOperationParameters fault: {r}"),
    }
    s.conn.turn();
    s.conn.stream.write_all(&op.start).await?;
    let mut callbacks = 0;
    loop {
        match s.reply().await? {
            Reply::Callback => callbacks += 1,
            Reply::Response(a) if a == ipam_soap::ns::ACTION_START_RESPONSE => break,
            Reply::Response(a) => bail!("unexpected response {a}"),
            Reply::Fault(r) => bail!("StartOperationWithCallback fault: {r}"),
        }
    }
    let answered = Instant::now();
    s.conn.turn();
    s.conn.stream.write_all(&op.end).await?;
    match s.event().await? {
        ClientEvent::End => {}
        other => bail!("expected the End Record, got {other:?}"),
    }
    s.conn.turn();
    Ok((answered, callbacks))
}
