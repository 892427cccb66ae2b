//! Prometheus metrics: operations by `IpamAdminOperationId` and outcome, their durations
//! (a histogram), open net.tcp sessions, and the store's group commits.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ipam_engine::OperationObserver;
use ipam_model::IpamAdminOperationId;

/// Upper bounds of the duration buckets, in seconds.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default, Clone)]
struct Histogram {
    buckets: Vec<u64>,
    sum: f64,
    count: u64,
}

/// Counts finished operations; hand it to [`Engine::with_observer`](ipam_engine::Engine::with_observer).
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    outcomes: BTreeMap<(String, &'static str), u64>,
    durations: BTreeMap<String, Histogram>,
}

impl Metrics {
    /// Empty metrics.
    pub fn new() -> std::sync::Arc<Self> {
        std::sync::Arc::default()
    }

    /// The Prometheus text exposition, with the gauges and counters kept elsewhere.
    pub fn render(&self, now: &Readings<'_>) -> String {
        let Readings {
            open_sessions,
            running_operations,
            group_commit,
        } = now;
        let inner = self.inner.lock().expect("metrics lock");
        let mut out = String::new();
        out.push_str("# HELP ipamd_operations_total Operations with progress that finished, by operation id and outcome.\n");
        out.push_str("# TYPE ipamd_operations_total counter\n");
        for ((op, outcome), n) in &inner.outcomes {
            let _ = writeln!(
                out,
                "ipamd_operations_total{{operation=\"{op}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        out.push_str(
            "# HELP ipamd_operation_duration_seconds How long operations with progress took.\n",
        );
        out.push_str("# TYPE ipamd_operation_duration_seconds histogram\n");
        for (op, h) in &inner.durations {
            for (le, n) in BUCKETS.iter().zip(&h.buckets) {
                let _ = writeln!(
                    out,
                    "ipamd_operation_duration_seconds_bucket{{operation=\"{op}\",le=\"{le}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "ipamd_operation_duration_seconds_bucket{{operation=\"{op}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "ipamd_operation_duration_seconds_sum{{operation=\"{op}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "ipamd_operation_duration_seconds_count{{operation=\"{op}\"}} {}",
                h.count
            );
        }
        let single = |out: &mut String, name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        single(
            &mut out,
            "ipamd_nettcp_open_sessions",
            "gauge",
            "Open net.tcp (MS-IPAMM2) sessions.",
            open_sessions.to_string(),
        );
        single(
            &mut out,
            "ipamd_http_operations_running",
            "gauge",
            "Operations started through the JSON API and still running.",
            running_operations.to_string(),
        );
        single(
            &mut out,
            "ipamd_store_commits_total",
            "counter",
            "Transactions the group-commit writers committed or tried to: one durable commit (one fsync) each.",
            group_commit.batches.load(Ordering::Relaxed).to_string(),
        );
        single(
            &mut out,
            "ipamd_store_writes_total",
            "counter",
            "Writes (one per change, each all or nothing) run in those transactions; writes / commits is how many share an fsync.",
            group_commit.writes.load(Ordering::Relaxed).to_string(),
        );
        out
    }
}

/// What `/metrics` reads at each scrape besides the operations: kept by the server and the
/// store.
pub struct Readings<'a> {
    /// Open net.tcp sessions.
    pub open_sessions: i64,
    /// Operations of the JSON API still running.
    pub running_operations: usize,
    /// The store's group-commit counters.
    pub group_commit: &'a ipam_store::GroupCommitStats,
}

impl OperationObserver for Metrics {
    fn finished(&self, operation: Option<IpamAdminOperationId>, ok: bool, elapsed: Duration) {
        let op = operation
            .map_or("None", IpamAdminOperationId::as_str)
            .to_owned();
        let outcome = if ok { "success" } else { "failure" };
        let mut inner = self.inner.lock().expect("metrics lock");
        *inner.outcomes.entry((op.clone(), outcome)).or_default() += 1;
        let h = inner.durations.entry(op).or_insert_with(|| Histogram {
            buckets: vec![0; BUCKETS.len()],
            ..Default::default()
        });
        let secs = elapsed.as_secs_f64();
        for (le, n) in BUCKETS.iter().zip(h.buckets.iter_mut()) {
            if secs <= *le {
                *n += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }
}
