//! Feeds arbitrary bytes to one `SessionDecoder` as a series of envelopes.
//!
//! Framing of the fuzz input: repeated `[u16 little-endian length][payload]`
//! (the last payload is truncated to what is left). Every envelope that
//! decodes must also convert to XML without panicking, and must re-encode
//! with a `SessionEncoder` into bytes that decode to the same XML.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nbfx::{SessionDecoder, SessionEncoder};

fuzz_target!(|data: &[u8]| {
    let mut dec = SessionDecoder::new();
    let mut enc = SessionEncoder::new().with_session_budget(1 << 20);
    let mut check = SessionDecoder::new();
    let mut rest = data;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        let take = len.min(rest.len() - 2);
        let payload = &rest[2..2 + take];
        rest = &rest[2 + take..];
        let _ = nbfx::decode(payload);
        let Ok(events) = dec.decode_envelope(payload) else {
            continue;
        };
        let xml = nbfx::to_xml(&events);
        let bytes = enc
            .encode_envelope(&events)
            .expect("decoded events must re-encode");
        let again = check
            .decode_envelope(&bytes)
            .expect("re-encoded envelope must decode");
        if let Ok(xml) = xml {
            assert_eq!(nbfx::to_xml(&again).expect("same events, same XML"), xml);
            if let Ok(from_text) = nbfx::from_xml(&xml) {
                let _ = nbfx::encode(&from_text);
            }
        }
    }
});
