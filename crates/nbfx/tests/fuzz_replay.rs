//! Replays the fuzz seeds (and any saved crash inputs in
//! `tests/fuzz_regressions/`) through the same checks as the
//! `decode_session` fuzz target, so they run under `cargo test`.

use std::path::Path;

use nbfx::{SessionDecoder, SessionEncoder};

/// Same framing and invariants as `fuzz/fuzz_targets/decode_session.rs`.
fn run(data: &[u8]) -> usize {
    let mut dec = SessionDecoder::new();
    let mut enc = SessionEncoder::new().with_session_budget(1 << 20);
    let mut check = SessionDecoder::new();
    let mut decoded = 0;
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
        decoded += 1;
        let bytes = enc.encode_envelope(&events).unwrap();
        let again = check.decode_envelope(&bytes).unwrap();
        if let Ok(xml) = nbfx::to_xml(&events) {
            assert_eq!(nbfx::to_xml(&again).unwrap(), xml);
            if let Ok(from_text) = nbfx::from_xml(&xml) {
                let _ = nbfx::encode(&from_text);
            }
        }
    }
    decoded
}

fn replay_dir(dir: &Path) -> (usize, usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (0, 0);
    };
    let mut files = 0;
    let mut envelopes = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_file() {
            files += 1;
            envelopes += run(&std::fs::read(&path).unwrap());
        }
    }
    (files, envelopes)
}

#[test]
fn fuzz_seeds_pass_the_fuzz_invariants() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (files, envelopes) = replay_dir(&root.join("fuzz/seeds"));
    assert!(files >= 80, "seeds found: {files}");
    // Every seed but the strN-dictionary spec examples decodes.
    assert!(envelopes >= 60, "decoded envelopes: {envelopes}");
    replay_dir(&root.join("tests/fuzz_regressions"));
}
