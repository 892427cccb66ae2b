//! Runs the harness with `--quick` (a few operations, SQLite only) against a real
//! `ipamd serve` and checks that every summary line is there and is a number. Not a
//! benchmark: the figures of a debug build on a busy CI machine mean nothing.

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

/// The summary lines docs/performance.md and scripts rely on.
const REQUIRED: &[&str] = &[
    "ratio_vs_fsync_floor",
    "ratio_vs_store_floor",
    "p99_ms",
    "single_session_cost_ratio",
    "scopes_10k_ratio",
    "scopes_10k_rss_growth_mib",
    "ops_per_sec_16",
    "ops_per_sec_1",
    "store_floor_ops_per_sec",
    "wire_floor_vs_fsync_floor",
    "ratio_vs_wire_floor",
    "wire_floor_ops_per_sec_16",
    "wire_floor_cost_ratio",
    "wire_store_floor_ops_per_sec_16",
    "wire_store_floor_p99_ms",
    "ratio_vs_wire_store_floor",
    "wire_native_floor_ops_per_sec_16",
    "wire_native_floor_p99_ms",
    "ratio_vs_wire_native_floor",
    "native_grouped_ops_per_sec_16",
    "native_grouped_p99_ms",
    "store_grouped_vs_native_grouped",
    "single_session_cost_bound",
    "store_grouped_ops_per_sec_16",
    "store_grouped_vs_store_floor",
    "ratio_vs_store_grouped",
    "engine_grouped_ops_per_sec_16",
    "engine_grouped_p99_ms",
    "ratio_vs_engine_grouped",
    "engine_cost_ratio",
    "writes_per_commit_16",
    "writes_per_commit_1",
    "fsync_per_sec",
    "errors",
];

#[test]
fn quick_run_prints_every_summary_line() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_ipam-bench"))
        .args(["--quick", "--ops", "32", "--sessions", "16"])
        .args(["--big-scopes", "500", "--fsync-seconds", "0.2"])
        .arg("--dir")
        .arg(dir.path())
        .env_remove("IPAMD_TEST_POSTGRES_URL")
        .output()
        .expect("run ipam-bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "ipam-bench failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        started.elapsed() < Duration::from_secs(600),
        "the quick run took {:?}",
        started.elapsed()
    );

    // The summary is the last block of `name: number` lines.
    let mut summary: HashMap<String, f64> = HashMap::new();
    for line in stdout.lines().rev() {
        let Some((name, value)) = line.split_once(": ") else {
            break;
        };
        if name.contains(' ') {
            break;
        }
        let v: f64 = value
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("summary line '{line}' is not a number: {e}"));
        summary.insert(name.to_owned(), v);
    }
    for name in REQUIRED {
        let v = summary
            .get(*name)
            .unwrap_or_else(|| panic!("no '{name}:' summary line in:\n{stdout}"));
        assert!(v.is_finite(), "{name} = {v}");
    }
    assert_eq!(
        summary["errors"], 0.0,
        "operations failed:\n{stdout}\n{stderr}"
    );
    for name in [
        "ops_per_sec_16",
        "ops_per_sec_1",
        "fsync_per_sec",
        "store_floor_ops_per_sec",
        "wire_floor_ops_per_sec_16",
        "wire_store_floor_ops_per_sec_16",
        "store_grouped_ops_per_sec_16",
        "engine_grouped_ops_per_sec_16",
        "wire_native_floor_ops_per_sec_16",
        "native_grouped_ops_per_sec_16",
    ] {
        assert!(summary[name] > 0.0, "{name} = {}", summary[name]);
    }
    // The bound is the bare transaction plus the exchange, both as measured.
    let bound = summary["single_session_cost_bound"];
    assert!(
        bound > 1.0 && (bound - 1.0 - summary["wire_floor_cost_ratio"]).abs() < 0.02,
        "single_session_cost_bound = {bound}, wire_floor_cost_ratio = {}",
        summary["wire_floor_cost_ratio"]
    );
    // One session has one write in flight: every write is its own commit. Sixteen
    // share commits or not, as the timing goes, but never have fewer writes than commits.
    assert_eq!(summary["writes_per_commit_1"], 1.0);
    assert!(summary["writes_per_commit_16"] >= 1.0);
    assert!(stdout.contains("p99 ms"), "no table header:\n{stdout}");
}
