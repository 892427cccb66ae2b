//! Results of one measured run and their presentation.

use std::time::Duration;

use crate::server::Memory;

/// One measured run: end to end through the server, or straight through the store.
#[derive(Debug, Clone)]
pub struct RunStats {
    /// What ran, e.g. `e2e 64 sessions`.
    pub label: String,
    /// `sqlite` or `postgres`.
    pub engine: &'static str,
    /// Concurrent sessions (1 for the sequential store floor).
    pub sessions: usize,
    /// Operations that succeeded.
    pub ok: usize,
    /// Operations that failed (a fault or a broken connection).
    pub errors: usize,
    /// Callbacks received by the successful operations.
    pub callbacks: usize,
    /// The first error seen.
    pub first_error: Option<String>,
    /// Wall time of the whole run.
    pub elapsed: Duration,
    /// Latency of each successful operation, sorted.
    pub latencies: Vec<Duration>,
    /// The server's memory at the end of the run (end-to-end runs only).
    pub memory: Option<Memory>,
    /// CPU time of the server process during the run (end-to-end runs only).
    pub server_cpu: Option<Duration>,
    /// CPU time of this process (the load generator, or the store for floors).
    pub client_cpu: Duration,
    /// The server's group commits during the run (end-to-end runs only).
    pub commits: Option<crate::server::Commits>,
}

impl RunStats {
    pub fn new(label: impl Into<String>, engine: &'static str, sessions: usize) -> Self {
        RunStats {
            label: label.into(),
            engine,
            sessions,
            ok: 0,
            errors: 0,
            callbacks: 0,
            first_error: None,
            elapsed: Duration::ZERO,
            latencies: Vec::new(),
            memory: None,
            server_cpu: None,
            commits: None,
            client_cpu: Duration::ZERO,
        }
    }

    /// Successful operations per second of wall time.
    pub fn ops_per_sec(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 { self.ok as f64 / s } else { 0.0 }
    }

    /// Wall time per operation (sequential runs: the per-operation cost), microseconds.
    pub fn wall_us_per_op(&self) -> f64 {
        if self.ok == 0 {
            return f64::NAN;
        }
        self.elapsed.as_secs_f64() * 1e6 / self.ok as f64
    }

    /// Server CPU per operation, microseconds.
    pub fn server_cpu_us_per_op(&self) -> Option<f64> {
        let cpu = self.server_cpu?;
        (self.ok > 0).then(|| cpu.as_secs_f64() * 1e6 / self.ok as f64)
    }

    /// This process's CPU per operation, microseconds.
    pub fn client_cpu_us_per_op(&self) -> f64 {
        if self.ok == 0 {
            return f64::NAN;
        }
        self.client_cpu.as_secs_f64() * 1e6 / self.ok as f64
    }

    /// Latency percentile `p` (0–100, nearest rank), milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        percentile(&self.latencies, p).as_secs_f64() * 1e3
    }

    /// Median latency, milliseconds.
    pub fn median_ms(&self) -> f64 {
        self.percentile_ms(50.0)
    }

    pub fn sort(&mut self) {
        self.latencies.sort_unstable();
    }

    /// Adds the operations, time, CPU and group commits of `part`, a piece of the same run
    /// (for runs taken in pieces, interleaved with others); the memory is the latest piece's.
    pub fn absorb(&mut self, part: RunStats) {
        fn add<T: std::ops::Add<Output = T>>(a: Option<T>, b: Option<T>) -> Option<T> {
            match (a, b) {
                (Some(a), Some(b)) => Some(a + b),
                (a, b) => a.or(b),
            }
        }
        self.server_cpu = add(self.server_cpu, part.server_cpu);
        self.commits = add(self.commits, part.commits);
        self.memory = part.memory.or(self.memory);
        self.ok += part.ok;
        self.errors += part.errors;
        self.callbacks += part.callbacks;
        if self.first_error.is_none() {
            self.first_error = part.first_error;
        }
        self.elapsed += part.elapsed;
        self.latencies.extend(part.latencies);
        self.client_cpu += part.client_cpu;
        self.sort();
    }
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

/// The table header and a rule.
pub fn table_header() -> String {
    let h = format!(
        "{:<34} {:>8} {:>8} {:>7} {:>6} {:>6} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}",
        "run",
        "engine",
        "sessions",
        "ops",
        "errors",
        "cb/op",
        "ops/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "RSS MiB",
        "HWM MiB",
        "srv us/op",
        "own us/op"
    );
    let rule = "-".repeat(h.len());
    format!("{h}\n{rule}")
}

/// One table row.
pub fn table_row(r: &RunStats) -> String {
    let (rss, hwm) = match r.memory {
        Some(m) => (mib(m.rss_kib), mib(m.hwm_kib)),
        None => ("-".into(), "-".into()),
    };
    let cb = if r.callbacks == 0 || r.ok == 0 {
        "-".to_owned()
    } else {
        format!("{:.1}", r.callbacks as f64 / r.ok as f64)
    };
    format!(
        "{:<34} {:>8} {:>8} {:>7} {:>6} {:>6} {:>10.1} {:>8.2} {:>8.2} {:>8.2} {:>8} {:>8} {:>9} {:>9.0}",
        r.label,
        r.engine,
        r.sessions,
        r.ok,
        r.errors,
        cb,
        r.ops_per_sec(),
        r.percentile_ms(50.0),
        r.percentile_ms(95.0),
        r.percentile_ms(99.0),
        rss,
        hwm,
        r.server_cpu_us_per_op()
            .map(|v| format!("{v:.0}"))
            .unwrap_or_else(|| "-".into()),
        r.client_cpu_us_per_op()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&v, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&v, 100.0), Duration::from_millis(100));
        assert_eq!(percentile(&v[..1], 99.0), Duration::from_millis(1));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }
}
