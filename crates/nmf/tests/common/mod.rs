//! Shared test vectors and a deterministic driver for the server.
#![allow(dead_code)]

use nmf::{Event, FramingError, Limits, ServerConnection, encode_fault};

/// Appendix A of transport-interop.md: Mono NetTcpBinding (SecurityMode.None),
/// client-to-server TCP segments in order.
pub const MONO_C2S: &[&str] = &[
    "0001000102021e6e65742e7463703a2f2f3132372e302e302e313a31383830382f4563686f03080c",
    "06bc0102017356020b0173040b0161065608440a1e0082991375726e3a746573742f494563686f2f4563686f441aad1924e7b328d2ff4e800c7c195cbbc591442c5e0741646472657373992e687474703a2f2f7777772e77332e6f72672f323030352f30382f61646472657373696e672f616e6f6e796d6f757301440c1e0082991e6e65742e7463703a2f2f3132372e302e302e313a31383830382f4563686f01560e40044563686f080875726e3a746573744201990568656c6c6f010101",
    "06bb01040161016256020b0173040b0161065608440a1e0082991275726e3a746573742f494563686f2f416464441aadb7e688690c164e49b26e09db0e1daf10442c5e0741646472657373992e687474703a2f2f7777772e77332e6f72672f323030352f30382f61646472657373696e672f616e6f6e796d6f757301440c1e0082991e6e65742e7463703a2f2f3132372e302e302e313a31383830382f4563686f01560e4003416464080875726e3a746573744203891442058916010101",
    "06ba010056020b0173040b0161065608440a1e0082991375726e3a746573742f494563686f2f4563686f441aada922b43f0898514ba86128be0b4b2d6c442c5e0741646472657373992e687474703a2f2f7777772e77332e6f72672f323030352f30382f61646472657373696e672f616e6f6e796d6f757301440c1e0082991e6e65742e7463703a2f2f3132372e302e302e313a31383830382f4563686f01560e40044563686f080875726e3a7465737442019905616761696e010101",
    "07",
];

/// Appendix A: server-to-client TCP segments in order.
pub const MONO_S2C: &[&str] = &[
    "0b",
    "06790b0a4563686f526573756c7456020b0173040b0161065608440a1e0082991b75726e3a746573742f494563686f2f4563686f526573706f6e73654412ad1924e7b328d2ff4e800c7c195cbbc59101560e400c4563686f526573706f6e7365080875726e3a746573744201990a6563686f3a68656c6c6f010101",
    "066c0a09416464526573756c7456020b0173040b0161065608440a1e0082991a75726e3a746573742f494563686f2f416464526573706f6e73654412adb7e688690c164e49b26e09db0e1daf1001560e400b416464526573706f6e7365080875726e3a746573744203892a010101",
    "066e0056020b0173040b0161065608440a1e0082991b75726e3a746573742f494563686f2f4563686f526573706f6e73654412ada922b43f0898514ba86128be0b4b2d6c01560e400c4563686f526573706f6e7365080875726e3a746573744201990a6563686f3a616761696e010101",
    "07",
];

pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

pub fn segments(hexes: &[&str]) -> Vec<Vec<u8>> {
    hexes.iter().map(|h| hex(h)).collect()
}

pub fn concat(hexes: &[&str]) -> Vec<u8> {
    segments(hexes).concat()
}

/// What the driver observed: events/errors in order and the bytes it wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    pub events: Vec<Result<Event, FramingError>>,
    pub written: Vec<u8>,
    pub finished: bool,
}

/// Feeds `chunks` to a fresh server, polling after each one and answering
/// like a real server would: accept preambles, refuse upgrades, echo each
/// envelope, send End after the client's End, send the fault for errors.
pub fn drive<'a>(limits: Limits, chunks: impl IntoIterator<Item = &'a [u8]>) -> Transcript {
    let mut conn = ServerConnection::new(limits);
    let mut t = Transcript {
        events: Vec::new(),
        written: Vec::new(),
        finished: false,
    };
    for chunk in chunks {
        conn.receive(chunk);
        while let Some(ev) = conn.poll_event() {
            match &ev {
                Ok(Event::PreambleComplete(_)) => t.written.extend(conn.accept_preamble().unwrap()),
                Ok(Event::UpgradeRequested { .. }) => {
                    t.written.extend(conn.refuse_upgrade().unwrap())
                }
                Ok(Event::Envelope(p)) => t.written.extend(conn.send_envelope(p).unwrap()),
                Ok(Event::End) => t.written.extend(conn.end().unwrap()),
                Err(e) => {
                    if let Some(f) = e.fault() {
                        t.written.extend(encode_fault(f));
                    }
                }
            }
            t.events.push(ev);
        }
    }
    t.finished = conn.is_finished();
    t
}

/// Feeds the whole input in one call.
pub fn drive_whole(limits: Limits, bytes: &[u8]) -> Transcript {
    drive(limits, [bytes])
}

/// Feeds the input one byte at a time.
pub fn drive_bytewise(limits: Limits, bytes: &[u8]) -> Transcript {
    drive(limits, bytes.chunks(1))
}

/// The single error of a transcript, asserting it is the last event.
pub fn last_error(t: &Transcript) -> FramingError {
    match t.events.last() {
        Some(Err(e)) => e.clone(),
        other => panic!("expected an error, got {other:?}"),
    }
}
