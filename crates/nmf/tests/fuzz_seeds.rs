//! Replays the fuzz seed corpus (`fuzz/seeds/`) and the regression inputs
//! in `fuzz/regressions/` (crash inputs found by `cargo fuzz`, if any) with
//! the same checks as the `server_read` target: no panic, and chunked
//! feeding agrees with whole-buffer feeding.

mod common;

use common::{drive, drive_whole};
use nmf::Limits;
use std::path::Path;

fn replay(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut n = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        if data.len() < 4 {
            continue;
        }
        let (ctl, stream) = data.split_at(4);
        let limits = if ctl[0] & 2 != 0 {
            Limits::with_max_envelope_size(200)
        } else {
            Limits::default()
        };
        let size = 1 + usize::from(ctl[1] % 37);
        let whole = drive_whole(limits.clone(), stream);
        let chunked = drive(limits, stream.chunks(size));
        assert_eq!(chunked, whole, "{}", path.display());
        n += 1;
    }
    n
}

#[test]
fn seeds_and_regressions_replay() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    assert!(replay(&root.join("seeds")) >= 10);
    replay(&root.join("regressions"));
}
