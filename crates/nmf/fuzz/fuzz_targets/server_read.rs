//! Feeds arbitrary bytes, in arbitrary chunks, to a `ServerConnection`.
//!
//! Input layout: byte 0 selects the policy (bit 0: accept upgrades instead
//! of refusing them; bit 1: small limits), bytes 1..4 seed the chunk sizes,
//! the rest is the received stream. Besides "no panic", the target checks
//! that chunked and whole-buffer feeding produce the same events and the
//! same output bytes, and that nothing is buffered beyond the limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nmf::{Event, FramingError, Limits, ServerConnection, encode_fault};

#[derive(Debug, PartialEq)]
struct Transcript {
    events: Vec<Result<Event, FramingError>>,
    written: Vec<u8>,
    finished: bool,
}

fn drive<'a>(
    limits: &Limits,
    accept_upgrades: bool,
    chunks: impl Iterator<Item = &'a [u8]>,
) -> Transcript {
    let mut conn = ServerConnection::new(limits.clone());
    let mut t = Transcript {
        events: Vec::new(),
        written: Vec::new(),
        finished: false,
    };
    for chunk in chunks {
        conn.receive(chunk);
        while let Some(ev) = conn.poll_event() {
            match &ev {
                Ok(Event::PreambleComplete(p)) => {
                    assert!(!p.via.is_empty());
                    t.written.extend(conn.accept_preamble().unwrap());
                }
                Ok(Event::UpgradeRequested { .. }) if accept_upgrades => {
                    // An identity "upgrade": hand the pipelined bytes back.
                    let up = conn.accept_upgrade().unwrap();
                    t.written.extend(up.response);
                    conn.receive(&up.upgraded_bytes);
                }
                Ok(Event::UpgradeRequested { .. }) => {
                    t.written.extend(conn.refuse_upgrade().unwrap())
                }
                Ok(Event::Envelope(p)) => {
                    assert!(!p.is_empty() && p.len() <= conn.limits().max_envelope_size);
                    t.written.extend(conn.send_envelope(p).unwrap());
                }
                Ok(Event::End) => t.written.extend(conn.end().unwrap()),
                Err(e) => {
                    if let Some(f) = e.fault() {
                        t.written.extend(encode_fault(f));
                    }
                    assert!(conn.is_finished());
                }
            }
            t.events.push(ev);
        }
        assert!(conn.buffered_len() <= conn.limits().max_buffered_bytes);
    }
    t.finished = conn.is_finished();
    t
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (ctl, stream) = data.split_at(4);
    let accept_upgrades = ctl[0] & 1 != 0;
    let limits = if ctl[0] & 2 != 0 {
        Limits {
            max_via_len: 40,
            max_content_type_len: 16,
            max_upgrade_protocol_len: 24,
            max_fault_len: 80,
            ..Limits::with_max_envelope_size(200)
        }
    } else {
        Limits::default()
    };

    // Chunk sizes cycle through 1 + (seed byte % 37).
    let sizes = [ctl[1], ctl[2], ctl[3]];
    let mut chunks = Vec::new();
    let mut rest = stream;
    let mut i = 0;
    while !rest.is_empty() {
        let n = (1 + usize::from(sizes[i % 3] % 37)).min(rest.len());
        let (head, tail) = rest.split_at(n);
        chunks.push(head);
        rest = tail;
        i += 1;
    }

    let chunked = drive(&limits, accept_upgrades, chunks.into_iter());
    let whole = drive(&limits, accept_upgrades, std::iter::once(stream));
    assert_eq!(chunked, whole);
});
