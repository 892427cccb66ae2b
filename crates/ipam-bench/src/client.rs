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
use ipam_soap::{ServerMessage, ns};
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
    /// Every envelope's StringTable into the session dictionary, then its records up to
    /// the `a:Action` header, which says what it is (as a WCF client dispatches a reply):
    /// callbacks and the two responses go no further; a fault, or anything else, is
    /// decoded in full by ipam-soap. The load generator shares the machine with the
    /// server, so it spends as little as it can.
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
        let body = self
            .dec
            .apply_string_table(&payload)
            .context("undecodable binary envelope from the server")?;
        if self.decode == Decode::Light {
            // The headers up to `a:Action`, not the body: a callback is known by its
            // action. (The session dictionary grows by the StringTable alone.)
            let mut sink = ActionSink::default();
            let action = match self.dec.decode_body_into(body, &mut sink) {
                Err(nbfx::SinkError::Sink(Stop(action))) => action,
                Ok(()) => None,
                Err(nbfx::SinkError::Decode(e)) => {
                    return Err(e).context("undecodable binary envelope from the server");
                }
            };
            match action {
                Some(a) if ns::callback_name(a).is_some() => {
                    return Ok(Reply::Callback);
                }
                Some(a @ (ns::ACTION_INITIALIZE_RESPONSE | ns::ACTION_START_RESPONSE)) => {
                    return Ok(Reply::Response(a.to_owned()));
                }
                _ => {} // a fault, or not what this client expects: decoded in full below
            }
        }
        let events = self
            .dec
            .decode_body(body)
            .context("undecodable binary envelope from the server")?;
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

/// Reads an envelope's records until its `a:Action` header has been read (or the body
/// starts), then stops the decoder with what it found.
#[derive(Default)]
struct ActionSink {
    in_action: bool,
}

/// Why [`ActionSink`] stopped: the text of the `a:Action` header, if there was one.
#[derive(Debug)]
struct Stop<'a>(Option<&'a str>);

impl<'a> nbfx::EventSink<'a> for ActionSink {
    type Error = Stop<'a>;

    fn start_element(&mut self, _: &'a str, local_name: &'a str) -> Result<(), Stop<'a>> {
        match local_name {
            "Body" => Err(Stop(None)),
            "Action" => {
                self.in_action = true;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn attribute(&mut self, _: &'a str, _: &'a str, _: nbfx::Text<'a>) -> Result<(), Stop<'a>> {
        Ok(())
    }

    fn namespace(&mut self, _: &'a str, _: &'a str) -> Result<(), Stop<'a>> {
        Ok(())
    }

    fn text(&mut self, value: nbfx::Text<'a>) -> Result<(), Stop<'a>> {
        match (self.in_action, value) {
            (true, nbfx::Text::Str(action)) => Err(Stop(Some(action))),
            (true, _) => Err(Stop(None)),
            _ => Ok(()),
        }
    }

    fn comment(&mut self, _: &'a str) -> Result<(), Stop<'a>> {
        Ok(())
    }

    fn end_element(&mut self) -> Result<(), Stop<'a>> {
        if self.in_action {
            return Err(Stop(None));
        }
        Ok(())
    }
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
        Reply::Response(a) if a == ns::ACTION_INITIALIZE_RESPONSE => {}
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
            Reply::Response(a) if a == ns::ACTION_START_RESPONSE => break,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The action [`ActionSink`] finds in each of `envelopes`, sent over one session.
    fn actions(envelopes: &[String]) -> Vec<Option<String>> {
        let mut enc = nbfx::SessionEncoder::new();
        let mut dec = nbfx::SessionDecoder::new();
        envelopes
            .iter()
            .map(|xml| {
                let payload = enc.encode_envelope(&nbfx::from_xml(xml).unwrap()).unwrap();
                let body = dec.apply_string_table(&payload).unwrap();
                match dec.decode_body_into(body, &mut ActionSink::default()) {
                    Err(nbfx::SinkError::Sink(Stop(a))) => a.map(str::to_owned),
                    other => panic!("the decoder did not stop at the action: {other:?}"),
                }
            })
            .collect()
    }

    #[test]
    fn the_action_header_tells_callbacks_responses_and_faults_apart() {
        let callback =
            ipam_soap::encode_callback(&ipam_model::ProgressEvent::StartProgressCallback {
                is_non_deterministic: false,
            });
        let fault = ipam_soap::encode_fault(
            &ipam_soap::Fault::must_understand(ipam_soap::QName {
                ns: "urn:x".into(),
                local: "H".into(),
            }),
            Some("urn:uuid:1"),
        );
        let got = actions(&[
            ipam_soap::encode_initialize_response(Some("urn:uuid:1")),
            callback.clone(),
            callback,
            ipam_soap::encode_start_response(Some("urn:uuid:2")),
            fault,
        ]);
        assert_eq!(got[0].as_deref(), Some(ns::ACTION_INITIALIZE_RESPONSE));
        for a in &got[1..3] {
            let a = a.as_deref().expect("a callback has an action");
            assert_eq!(ns::callback_name(a), Some("StartProgressCallback"));
        }
        assert_eq!(got[3].as_deref(), Some(ns::ACTION_START_RESPONSE));
        assert_eq!(got[4].as_deref(), Some(ns::ACTION_SOAP_FAULT));
    }

    #[test]
    fn an_envelope_without_an_action_stops_at_the_body() {
        let xml = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Header/>\
                   <s:Body><x>Action</x></s:Body></s:Envelope>";
        assert_eq!(actions(&[xml.to_owned()]), vec![None]);
    }
}
