//! A net.tcp client like WCF's NetTcpBinding with SecurityMode.None: MC-NMF Duplex,
//! Known Encoding 0x08 (SOAP 1.2 binary, in-band session dictionary), one
//! `IIpamOperationWithProgress` session per connection.
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

struct Session {
    stream: TcpStream,
    nmf: ClientConnection,
    dec: nbfx::SessionDecoder,
    buf: Vec<u8>,
    decode: Decode,
}

enum Reply {
    Response(String),
    Callback,
    Fault(String),
}

impl Session {
    async fn event(&mut self) -> anyhow::Result<ClientEvent> {
        loop {
            if let Some(e) = self.nmf.poll_event() {
                return Ok(e?);
            }
            let n = self.stream.read(&mut self.buf).await?;
            if n == 0 {
                bail!("the server closed the connection");
            }
            self.nmf.receive(&self.buf[..n]);
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

/// Runs one prepared operation on a new connection: preamble and
/// InitializeOperationParameters, StartOperationWithCallback, every callback until the
/// response, then End. A fault is an error.
pub async fn run_op(addr: SocketAddr, op: PreparedOp, decode: Decode) -> anyhow::Result<OpResult> {
    tokio::time::timeout(OP_TIMEOUT, run_op_inner(addr, op, decode))
        .await
        .map_err(|_| anyhow!("the operation took more than {OP_TIMEOUT:?}"))?
}

async fn run_op_inner(
    addr: SocketAddr,
    op: PreparedOp,
    decode: Decode,
) -> anyhow::Result<OpResult> {
    let t0 = Instant::now();
    let stream = TcpStream::connect(addr)
        .await
        .context("cannot connect to the server")?;
    stream.set_nodelay(true)?;
    let mut s = Session {
        stream,
        nmf: op.nmf,
        dec: nbfx::SessionDecoder::with_limits(nbfx::Limits {
            max_output_bytes: MAX_ENVELOPE * 4,
            max_string_len: MAX_ENVELOPE,
            ..nbfx::Limits::default()
        }),
        buf: vec![0u8; 64 * 1024],
        decode,
    };
    s.stream.write_all(&op.first).await?;
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
    s.stream.write_all(&op.start).await?;
    let mut callbacks = 0;
    loop {
        match s.reply().await? {
            Reply::Callback => callbacks += 1,
            Reply::Response(a) if a == ipam_soap::ns::ACTION_START_RESPONSE => break,
            Reply::Response(a) => bail!("unexpected response {a}"),
            Reply::Fault(r) => bail!("StartOperationWithCallback fault: {r}"),
        }
    }
    let latency = t0.elapsed();
    s.stream.write_all(&op.end).await?;
    match s.event().await? {
        ClientEvent::End => {}
        other => bail!("expected the End Record, got {other:?}"),
    }
    Ok(OpResult { latency, callbacks })
}
