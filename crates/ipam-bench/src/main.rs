//! `ipam-bench`: ipamd end to end over net.tcp, side by side with its floors, in one run.
//!
//! * End to end: N concurrent tasks against a real `ipamd serve` process, each running
//!   one CreateDhcpFailover (1 relationship, K scopes) per net.tcp session, sessions one
//!   after the other on a pooled connection, as a WCF client does.
//! * Floors: the raw fsync rate of the disk; the same rows written straight through the
//!   store API (one transaction per operation, group commit off, sequential); the engine
//!   in process; the wire floor (ipamd's recorded replies, no processing, [`replay`]).
//! * Big operation: CreateDhcpFailover with 10,000 ScopeIds vs a bare insert of its links.
//!
//! A table per run, then one `name: value` summary line per figure at the very end.
//! See docs/performance.md.

mod client;
mod native;
mod replay;
mod server;
mod stats;
mod workload;

use std::collections::VecDeque;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use clap::Parser;
use ipam_engine::{CollectingSink, Engine as OpEngine, RunOptions};
use ipam_store::{Store, StoreOptions};

use client::{Decode, Mode, PreparedOp};
use native::NativeWriter;
use replay::{Recording, ReplayServer};
use server::{Memory, ServerConfig, ServerProcess};
use stats::{RunStats, table_header, table_row};
use workload::OpData;

/// Load generator and floor measurements for ipamd (docs/performance.md).
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Args {
    /// Concurrent sessions of the concurrent scenario (one TCP connection each).
    #[arg(long, default_value_t = 64)]
    sessions: usize,
    /// Operations per measured run [default: 3000; 128 with --quick].
    #[arg(long)]
    ops: Option<usize>,
    /// Scopes per CreateDhcpFailover operation (K).
    #[arg(long, default_value_t = 4)]
    scopes_per_op: usize,
    /// A small run for CI smoke tests: few operations, 1,000 scopes for the big operation,
    /// SQLite only.
    #[arg(long)]
    quick: bool,
    /// PostgreSQL server to benchmark too (a fresh database is created per run and
    /// dropped afterwards), e.g. postgres://postgres@127.0.0.1:5432/postgres.
    #[arg(long, env = "IPAMD_TEST_POSTGRES_URL", value_name = "URL")]
    postgres_url: Option<String>,
    /// ScopeIds of the big operation [default: 10000; 1000 with --quick].
    #[arg(long)]
    big_scopes: Option<usize>,
    /// Repetitions of the big operation (the median is reported) [default: 7; 1 with --quick].
    #[arg(long)]
    big_reps: Option<usize>,
    /// Largest message the server accepts in the big-operation run, bytes.
    #[arg(long, default_value_t = 4 << 20)]
    big_max_message_size: usize,
    /// Directory for the databases and server logs [default: a temporary directory].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The ipamd binary [default: next to this executable, built if missing].
    #[arg(long, value_name = "PATH", env = "IPAMD_BIN")]
    ipamd: Option<PathBuf>,
    /// Decode every server message in full with ipam-soap (default: only faults and
    /// responses; callbacks are recognised by their a:Action after NBFSE decoding).
    #[arg(long)]
    full_decode: bool,
    /// Open a new TCP connection for every operation instead of starting the next
    /// session on the previous one's connection as WCF's connection pool does.
    #[arg(long)]
    connection_per_op: bool,
    /// Worker threads of the load generator (1: a single-threaded runtime).
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
    /// Seconds of the fsync floor measurement.
    #[arg(long, default_value_t = 2.0)]
    fsync_seconds: f64,
    /// Run only these parts (comma-separated: fsync, sqlite, wire, big, postgres)
    /// [default: all].
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

/// What every run needs.
struct Ctx {
    dir: PathBuf,
    ipamd: PathBuf,
    ops: usize,
    sessions: usize,
    k: usize,
    mode: Mode,
    postgres_admin: Option<String>,
    pg_databases: Mutex<Vec<String>>,
    counter: AtomicUsize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("IPAM_BENCH_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let mut rt = if args.client_threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(args.client_threads);
        b
    };
    let rt = match rt.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ipam-bench: error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ipam-bench: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn progress(msg: impl AsRef<str>) {
    eprintln!("[bench] {}", msg.as_ref());
}

async fn run(args: Args) -> anyhow::Result<()> {
    let ops = args
        .ops
        .unwrap_or(if args.quick { 128 } else { 3000 })
        .max(1);
    let sessions = args.sessions.max(1);
    let big_scopes = args
        .big_scopes
        .unwrap_or(if args.quick { 1000 } else { 10_000 });
    let big_reps = args
        .big_reps
        .unwrap_or(if args.quick { 1 } else { 7 })
        .max(1);
    let fsync_seconds = if args.quick {
        args.fsync_seconds.min(0.5)
    } else {
        args.fsync_seconds
    };
    let want = |part: &str| args.only.is_empty() || args.only.iter().any(|p| p == part);
    let postgres_admin = if args.quick {
        None
    } else {
        args.postgres_url.clone()
    };

    let _tmp;
    let dir = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
            d.clone()
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("ipam-bench.")
                .tempdir()
                .context("cannot create a temporary directory")?;
            let p = t.path().to_owned();
            _tmp = t;
            p
        }
    };
    let ipamd = server::locate_ipamd(args.ipamd.as_deref())?;
    let ctx = Ctx {
        dir: dir.clone(),
        ipamd,
        ops,
        sessions,
        k: args.scopes_per_op,
        mode: Mode {
            decode: if args.full_decode {
                Decode::Full
            } else {
                Decode::Light
            },
            pooled: !args.connection_per_op,
        },
        postgres_admin,
        pg_databases: Mutex::new(Vec::new()),
        counter: AtomicUsize::new(0),
    };
    progress(format!(
        "ipamd {}; data in {}; {ops} ops per run, {sessions} sessions, K = {} scopes per op",
        ctx.ipamd.display(),
        dir.display(),
        ctx.k
    ));

    let result = scenarios(&ctx, &args, big_scopes, big_reps, fsync_seconds, &want).await;
    ctx.drop_pg_databases().await;
    let summary = result?;
    summary.print(&ctx, big_scopes);
    Ok(())
}

#[derive(Default)]
struct Summary {
    /// The fsync floor used for the ratio: the mean of the measurements just before and
    /// just after the concurrent SQLite run (the disk is shared; its rate drifts).
    fsync_per_sec: Option<f64>,
    /// The fsync floor measured at the start of the run.
    fsync_start: Option<f64>,
    sqlite_floor_durable: Option<RunStats>,
    sqlite_e2e_1: Option<RunStats>,
    sqlite_e2e_n: Option<RunStats>,
    sqlite_floor_nosync: Option<RunStats>,
    sqlite_e2e_1_nosync: Option<RunStats>,
    sqlite_engine_nosync: Option<RunStats>,
    /// The store floor's rows with group commit, N concurrent tasks, durable.
    sqlite_store_grouped_n: Option<RunStats>,
    /// The whole create through ipam-engine, group commit, N concurrent tasks, durable.
    sqlite_engine_grouped_n: Option<RunStats>,
    /// The store floor's rows through the bench's own SQLite writer ([`native`]), N
    /// concurrent tasks, durable.
    native_grouped_n: Option<RunStats>,
    /// The per-operation cost of each round of [`cost_rounds`].
    cost_ratios: Vec<f64>,
    big: Option<BigResult>,
    pg_floor: Option<RunStats>,
    pg_e2e_1: Option<RunStats>,
    pg_e2e_n: Option<RunStats>,
    pg_e2e_n_lanes: Option<RunStats>,
    wire_1: Option<RunStats>,
    wire_n: Option<RunStats>,
    /// The wire + store floor, N sessions.
    wire_store_n: Option<RunStats>,
    /// The wire + native SQLite floor, N sessions.
    wire_native_n: Option<RunStats>,
    all: Vec<RunStats>,
}

struct BigResult {
    e2e: RunStats,
    bare: RunStats,
    request_bytes: usize,
    rss_before_kib: u64,
    hwm_after_kib: u64,
}

impl BigResult {
    fn ratio(&self) -> f64 {
        self.e2e.median_ms() / self.bare.median_ms()
    }
    fn growth_kib(&self) -> u64 {
        self.hwm_after_kib.saturating_sub(self.rss_before_kib)
    }
}

fn print_run(r: &RunStats) {
    println!("{}", table_header());
    println!("{}", table_row(r));
    if let Some(e) = &r.first_error {
        println!("  first error: {e}");
    }
    println!();
}

async fn scenarios(
    ctx: &Ctx,
    args: &Args,
    big_scopes: usize,
    big_reps: usize,
    fsync_seconds: f64,
    want: &dyn Fn(&str) -> bool,
) -> anyhow::Result<Summary> {
    let mut s = Summary::default();
    let n = ctx.sessions;
    if want("fsync") {
        progress(format!(
            "fsync floor: write + fdatasync of 4 KiB for {fsync_seconds} s"
        ));
        let rate = fsync_rate(&ctx.dir, Duration::from_secs_f64(fsync_seconds)).await?;
        println!("== fsync floor ({}) ==", ctx.dir.display());
        println!("write(4 KiB) + fdatasync: {rate:.0} per second\n");
        s.fsync_per_sec = Some(rate);
        s.fsync_start = Some(rate);
    }
    if want("sqlite") {
        println!("== SQLite, durable (WAL, synchronous=FULL) ==");
        // The store floor runs in two halves, before and after the end-to-end runs, so that
        // a drift of the shared machine weighs on both sides of the ratios alike.
        let mut floor = InProcessRun::open(
            ctx,
            Engine::Sqlite,
            "store floor (1 tx/op, no group)",
            true,
            InProcess::Bare,
            ctx.ops,
        )
        .await?;
        let first_half = floor.run(ctx.ops / 2).await;
        let r = e2e(ctx, &E2e::new(Engine::Sqlite, "e2e 1 session", 1)).await?;
        s.sqlite_e2e_1 = s.keep(r);
        let bracket = want("fsync");
        let fsync_window = Duration::from_secs_f64(fsync_seconds / 2.0);
        let before = if bracket {
            Some(fsync_rate(&ctx.dir, fsync_window).await?)
        } else {
            None
        };
        let label = format!("e2e {n} sessions");
        let r = e2e(ctx, &E2e::new(Engine::Sqlite, &label, n)).await?;
        if let Some(before) = before {
            let after = fsync_rate(&ctx.dir, fsync_window).await?;
            println!(
                "fsync floor around this run: {before:.0}/s before, {after:.0}/s after (start of the harness: {:.0}/s)\n",
                s.fsync_start.unwrap_or(f64::NAN)
            );
            s.fsync_per_sec = Some((before + after) / 2.0);
        }
        s.sqlite_e2e_n = s.keep(r);
        let second_half = floor.run(ctx.ops).await;
        floor.close().await;
        println!(
            "store floor: {:.0} ops/s before the end-to-end runs, {:.0} ops/s after; both halves:",
            first_half.ops_per_sec(),
            second_half.ops_per_sec()
        );
        let mut whole = first_half;
        whole.absorb(second_half);
        s.sqlite_floor_durable = s.keep(whole);
        println!("== SQLite, no fsync (synchronous=NORMAL): per-operation cost ==");
        let (floor, e2e_1, ratios) = cost_rounds(ctx).await?;
        s.sqlite_floor_nosync = s.keep(floor);
        s.sqlite_e2e_1_nosync = s.keep(e2e_1);
        s.cost_ratios = ratios;
        let r = in_process(
            ctx,
            Engine::Sqlite,
            "engine in process, no fsync",
            false,
            InProcess::Engine,
        )
        .await?;
        s.sqlite_engine_nosync = s.keep(r);
        let r = concurrent(ctx, "store", InProcess::GroupedBare).await?;
        s.sqlite_store_grouped_n = s.keep(r);
        let r = concurrent(ctx, "native SQLite writer", InProcess::Native).await?;
        s.native_grouped_n = s.keep(r);
        let r = concurrent(ctx, "engine", InProcess::Engine).await?;
        s.sqlite_engine_grouped_n = s.keep(r);
    }
    if want("wire") {
        println!("== Wire floor: ipamd's recorded replies, no processing ==");
        let rec = record_session(ctx).await?;
        let r = wire_floor(ctx, &rec, "wire floor 1 session", 1).await?;
        s.wire_1 = s.keep(r);
        let r = wire_floor(ctx, &rec, &format!("wire floor {n} sessions"), n).await?;
        s.wire_n = s.keep(r);
        let label = format!("wire+store floor {n} sessions");
        let r = wire_store_floor(ctx, &rec, &label, n, false).await?;
        s.wire_store_n = s.keep(r);
        let label = format!("wire+native floor {n} sessions");
        let r = wire_store_floor(ctx, &rec, &label, n, true).await?;
        s.wire_native_n = s.keep(r);
    }
    if want("big") {
        println!(
            "== Big operation: CreateDhcpFailover with {big_scopes} ScopeIds (SQLite, durable) =="
        );
        let b = big_op(ctx, big_scopes, big_reps, args.big_max_message_size).await?;
        println!("{}", table_header());
        println!("{}", table_row(&b.e2e));
        println!("{}", table_row(&b.bare));
        println!(
            "request: {} bytes on the wire; server RSS before {:.1} MiB, peak after {:.1} MiB (growth {:.1} MiB); e2e / bare insert = {:.2}\n",
            b.request_bytes,
            b.rss_before_kib as f64 / 1024.0,
            b.hwm_after_kib as f64 / 1024.0,
            b.growth_kib() as f64 / 1024.0,
            b.ratio()
        );
        s.all.push(b.e2e.clone());
        s.all.push(b.bare.clone());
        s.big = Some(b);
    }
    if want("postgres") {
        if ctx.postgres_admin.is_some() {
            println!("== PostgreSQL ==");
            let r = in_process(
                ctx,
                Engine::Postgres,
                "store floor (1 tx/op, no group)",
                true,
                InProcess::Bare,
            )
            .await?;
            s.pg_floor = s.keep(r);
            let r = e2e(ctx, &E2e::new(Engine::Postgres, "e2e 1 session", 1)).await?;
            s.pg_e2e_1 = s.keep(r);
            for lanes in [1, PG_LANES] {
                let label = match lanes {
                    1 => format!("e2e {n} sessions"),
                    _ => format!("e2e {n} sessions, {lanes} lanes"),
                };
                let spec = E2e {
                    writer_lanes: lanes,
                    ..E2e::new(Engine::Postgres, &label, n)
                };
                let r = e2e(ctx, &spec).await?;
                let r = s.keep(r);
                match lanes {
                    1 => s.pg_e2e_n = r,
                    _ => s.pg_e2e_n_lanes = r,
                }
            }
        } else if !args.quick {
            progress("PostgreSQL skipped: no --postgres-url or IPAMD_TEST_POSTGRES_URL");
        }
    }
    Ok(s)
}

/// Rounds of the per-operation cost: the store floor and one end-to-end session, both
/// without fsync, taken in turns (floor first in even rounds, the session first in odd
/// ones) so that a drift of the machine weighs on both alike. Both runs whole, and the
/// ratio of each round (end-to-end wall time per operation ÷ the floor's).
async fn cost_rounds(ctx: &Ctx) -> anyhow::Result<(RunStats, RunStats, Vec<f64>)> {
    let rounds = COST_ROUNDS.min(ctx.ops).max(1);
    let per_round = ctx.ops.div_ceil(rounds);
    let floor_label = "store floor, no fsync";
    let e2e_label = "e2e 1 session, no fsync";
    let mut floor = InProcessRun::open(
        ctx,
        Engine::Sqlite,
        floor_label,
        false,
        InProcess::Bare,
        ctx.ops,
    )
    .await?;
    let mut session = E2eRun::start(
        ctx,
        &E2e {
            durable: false,
            ..E2e::new(Engine::Sqlite, e2e_label, 1)
        },
        ctx.ops,
    )
    .await?;
    let mut floor_all = RunStats::new(floor_label, "sqlite", 1);
    let mut e2e_all = RunStats::new(e2e_label, "sqlite", 1);
    let mut ratios = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let (f, e) = if round % 2 == 0 {
            let f = floor.run(per_round).await;
            (f, session.run(per_round).await?)
        } else {
            let e = session.run(per_round).await?;
            (floor.run(per_round).await, e)
        };
        if f.ok > 0 && e.ok > 0 {
            ratios.push(e.wall_us_per_op() / f.wall_us_per_op());
        }
        floor_all.absorb(f);
        e2e_all.absorb(e);
    }
    session.stop();
    floor.close().await;
    Ok((floor_all, e2e_all, ratios))
}

/// Group-commit writer lanes of the second PostgreSQL run at N sessions.
const PG_LANES: usize = 4;

/// Rounds of [`cost_rounds`] (fewer when there are fewer operations).
const COST_ROUNDS: usize = 6;

/// The median of `values` (NaN when empty).
fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

impl Summary {
    /// Prints a run's table, adds it to the list of all runs, and returns it to be kept.
    fn keep(&mut self, r: RunStats) -> Option<RunStats> {
        print_run(&r);
        self.all.push(r.clone());
        Some(r)
    }

    fn print(&self, ctx: &Ctx, big_scopes: usize) {
        let n = ctx.sessions;
        println!("== All runs ==");
        println!("{}", table_header());
        for r in &self.all {
            println!("{}", table_row(r));
        }
        println!();
        println!("== Ratios ==");
        let mut lines: Vec<(String, f64)> = Vec::new();
        let e2e_n = self.sqlite_e2e_n.as_ref();
        if let (Some(f), Some(r)) = (self.fsync_per_sec, e2e_n) {
            let v = r.ops_per_sec() / f;
            println!(
                "SQLite {n} sessions vs the fsync floor: {:.1} ops/s / {f:.0} fsync/s = {v:.2} (target >= 10)",
                r.ops_per_sec()
            );
            lines.push(("ratio_vs_fsync_floor".into(), v));
        }
        if let (Some(f), Some(w)) = (self.fsync_per_sec, &self.wire_n) {
            let v = w.ops_per_sec() / f;
            println!(
                "wire floor, {n} sessions, vs the fsync floor: {:.1} ops/s / {f:.0} fsync/s = {v:.2} (the most any server could reach with this exchange on this machine)",
                w.ops_per_sec()
            );
            lines.push(("wire_floor_vs_fsync_floor".into(), v));
        }
        if let (Some(w), Some(r)) = (&self.wire_n, e2e_n) {
            let v = r.ops_per_sec() / w.ops_per_sec();
            println!(
                "SQLite {n} sessions vs the wire floor: {:.1} / {:.1} ops/s = {v:.2}; wire floor p99 {:.2} ms",
                r.ops_per_sec(),
                w.ops_per_sec(),
                w.percentile_ms(99.0)
            );
            lines.push(("ratio_vs_wire_floor".into(), v));
        }
        for (run, what, how, key) in [
            (
                &self.wire_store_n,
                "wire + store floor",
                "the store's group-committed writes",
                "wire_store_floor",
            ),
            (
                &self.wire_native_n,
                "wire + native SQLite floor",
                "the rows group-committed by the bench's own SQLite writer",
                "wire_native_floor",
            ),
        ] {
            let Some(w) = run else { continue };
            println!(
                "{what}, {n} sessions (the exchange plus {how}, nothing else): {:.1} ops/s, p99 {:.2} ms (the p99 target asks <= 5)",
                w.ops_per_sec(),
                w.percentile_ms(99.0)
            );
            if let Some(r) = e2e_n {
                let label = format!("SQLite {n} sessions vs the {what}");
                versus(&mut lines, &label, r, w, &format!("ratio_vs_{key}"));
            }
            if let Some(f) = self.fsync_per_sec {
                lines.push((format!("{key}_vs_fsync_floor"), w.ops_per_sec() / f));
            }
        }
        if let (Some(fl), Some(r)) = (&self.sqlite_floor_durable, e2e_n) {
            let what = format!("SQLite {n} sessions vs the store floor");
            versus(&mut lines, &what, r, fl, "ratio_vs_store_floor");
        }
        if let (Some(fl), Some(g)) = (&self.sqlite_floor_durable, &self.sqlite_store_grouped_n) {
            let v = g.ops_per_sec() / fl.ops_per_sec();
            println!(
                "store alone with group commit, {n} tasks, vs the store floor: {:.1} / {:.1} ops/s = {v:.2}; p99 {:.2} ms",
                g.ops_per_sec(),
                fl.ops_per_sec(),
                g.percentile_ms(99.0)
            );
            lines.push(("store_grouped_vs_store_floor".into(), v));
            lines.push((format!("store_grouped_ops_per_sec_{n}"), g.ops_per_sec()));
            lines.push(("store_grouped_p99_ms".into(), g.percentile_ms(99.0)));
            if let Some(r) = e2e_n {
                let what = format!("SQLite {n} sessions vs the store alone with group commit");
                versus(&mut lines, &what, r, g, "ratio_vs_store_grouped");
            }
        }
        if let Some(g) = &self.native_grouped_n {
            println!(
                "native SQLite writer alone, {n} tasks (the store floor's rows, group commit, no store): {:.1} ops/s, p99 {:.2} ms",
                g.ops_per_sec(),
                g.percentile_ms(99.0)
            );
            lines.push((format!("native_grouped_ops_per_sec_{n}"), g.ops_per_sec()));
            lines.push(("native_grouped_p99_ms".into(), g.percentile_ms(99.0)));
            if let Some(st) = &self.sqlite_store_grouped_n {
                let what = format!("store alone vs the native SQLite writer alone, {n} tasks");
                versus(&mut lines, &what, st, g, "store_grouped_vs_native_grouped");
            }
        }
        if let Some(g) = &self.sqlite_engine_grouped_n {
            println!(
                "engine alone with group commit, {n} tasks (CreateDhcpFailover without the protocol): {:.1} ops/s, p99 {:.2} ms",
                g.ops_per_sec(),
                g.percentile_ms(99.0)
            );
            lines.push((format!("engine_grouped_ops_per_sec_{n}"), g.ops_per_sec()));
            lines.push(("engine_grouped_p99_ms".into(), g.percentile_ms(99.0)));
            if let Some(r) = e2e_n {
                let what = format!("SQLite {n} sessions vs the engine alone with group commit");
                versus(&mut lines, &what, r, g, "ratio_vs_engine_grouped");
            }
        }
        if let (Some(fl), Some(r)) = (&self.sqlite_floor_durable, &self.sqlite_e2e_1) {
            let what = "SQLite 1 session vs the store floor";
            versus(&mut lines, what, r, fl, "ratio_1_session_vs_store_floor");
        }
        for (engine, r, key) in [
            ("SQLite", e2e_n, format!("writes_per_commit_{n}")),
            (
                "SQLite",
                self.sqlite_e2e_1.as_ref(),
                "writes_per_commit_1".into(),
            ),
            (
                "SQLite store alone,",
                self.sqlite_store_grouped_n.as_ref(),
                format!("store_grouped_writes_per_commit_{n}"),
            ),
            (
                "SQLite engine alone,",
                self.sqlite_engine_grouped_n.as_ref(),
                format!("engine_grouped_writes_per_commit_{n}"),
            ),
            (
                "native SQLite writer alone,",
                self.native_grouped_n.as_ref(),
                format!("native_grouped_writes_per_commit_{n}"),
            ),
            (
                "PostgreSQL",
                self.pg_e2e_n.as_ref(),
                format!("pg_writes_per_commit_{n}"),
            ),
            (
                "PostgreSQL, 4 lanes,",
                self.pg_e2e_n_lanes.as_ref(),
                format!("pg_lanes_writes_per_commit_{n}"),
            ),
        ] {
            if let Some((r, c)) = r.and_then(|r| Some((r, r.commits?)))
                && c.commits > 0
            {
                let v = c.writes as f64 / c.commits as f64;
                println!(
                    "{engine} {} session(s), group commit: {} writes in {} durable commits = {v:.2} writes per commit (one fsync each)",
                    r.sessions, c.writes, c.commits
                );
                lines.push((key, v));
            }
        }
        if let Some(r) = e2e_n {
            println!(
                "SQLite {n} sessions p99: {:.2} ms (target <= 5)",
                r.percentile_ms(99.0)
            );
            lines.push(("p99_ms".into(), r.percentile_ms(99.0)));
            lines.push(("p50_ms".into(), r.percentile_ms(50.0)));
        }
        if let (Some(fl), Some(r)) = (&self.sqlite_floor_nosync, &self.sqlite_e2e_1_nosync) {
            let whole = r.wall_us_per_op() / fl.wall_us_per_op();
            let rounds: Vec<String> = self.cost_ratios.iter().map(|v| format!("{v:.2}")).collect();
            let v = if self.cost_ratios.is_empty() {
                whole
            } else {
                median(&self.cost_ratios)
            };
            println!(
                "per-operation cost without fsync: {:.0} us end to end / {:.0} us bare store = {whole:.2} over all rounds; median of the rounds ({}) {v:.2} (target <= 1.5)",
                r.wall_us_per_op(),
                fl.wall_us_per_op(),
                rounds.join(", ")
            );
            lines.push(("single_session_cost_ratio".into(), v));
            if let (Some(lo), Some(hi)) = (
                self.cost_ratios.iter().copied().reduce(f64::min),
                self.cost_ratios.iter().copied().reduce(f64::max),
            ) {
                lines.push(("single_session_cost_ratio_min".into(), lo));
                lines.push(("single_session_cost_ratio_max".into(), hi));
            }
            lines.push(("e2e_us_per_op_no_fsync".into(), r.wall_us_per_op()));
            lines.push(("store_us_per_op_no_fsync".into(), fl.wall_us_per_op()));
            if let Some(w) = &self.wire_1 {
                let v = w.wall_us_per_op() / fl.wall_us_per_op();
                println!(
                    "wire floor, 1 session: {:.0} us per operation = {v:.2} of the bare store transaction",
                    w.wall_us_per_op()
                );
                lines.push(("wire_floor_cost_ratio".into(), v));
                // One session is serial: the bare transaction's work, then the exchange on
                // top of it, so no server gets below their sum (docs/performance.md).
                println!(
                    "lowest single-session cost any server could reach here: 1 + {v:.2} = {:.2} of the bare store transaction",
                    1.0 + v
                );
                lines.push(("single_session_cost_bound".into(), 1.0 + v));
            }
            if let Some(e) = &self.sqlite_engine_nosync {
                let v = e.wall_us_per_op() / fl.wall_us_per_op();
                println!(
                    "engine in process, no protocol: {:.0} us per operation = {v:.2} of the bare store transaction",
                    e.wall_us_per_op()
                );
                lines.push(("engine_cost_ratio".into(), v));
            }
        }
        if let Some(b) = &self.big {
            println!(
                "{big_scopes}-scope create: {:.1} ms end to end / {:.1} ms bare insert = {:.2} (target <= 3); server memory growth {:.1} MiB for a {} KiB request",
                b.e2e.median_ms(),
                b.bare.median_ms(),
                b.ratio(),
                b.growth_kib() as f64 / 1024.0,
                b.request_bytes / 1024
            );
            lines.push(("scopes_10k_ratio".into(), b.ratio()));
            lines.push(("scopes_10k_e2e_ms".into(), b.e2e.median_ms()));
            lines.push(("scopes_10k_bare_ms".into(), b.bare.median_ms()));
            lines.push((
                "scopes_10k_rss_growth_mib".into(),
                b.growth_kib() as f64 / 1024.0,
            ));
            lines.push(("big_op_scopes".into(), big_scopes as f64));
        }
        if let Some(fl) = &self.pg_floor {
            for (run, what, prefix) in [
                (&self.pg_e2e_n, String::new(), "pg"),
                (
                    &self.pg_e2e_n_lanes,
                    format!(", {PG_LANES} writer lanes,"),
                    "pg_lanes",
                ),
            ] {
                let Some(r) = run else { continue };
                let v = r.ops_per_sec() / fl.ops_per_sec();
                println!(
                    "PostgreSQL {n} sessions{what} vs its store floor: {:.1} / {:.1} ops/s = {v:.2}; p99 {:.2} ms",
                    r.ops_per_sec(),
                    fl.ops_per_sec(),
                    r.percentile_ms(99.0)
                );
                lines.push((format!("{prefix}_ratio_vs_store_floor"), v));
                lines.push((format!("{prefix}_ops_per_sec_{n}"), r.ops_per_sec()));
                lines.push((format!("{prefix}_p99_ms"), r.percentile_ms(99.0)));
            }
            lines.push(("pg_store_floor_ops_per_sec".into(), fl.ops_per_sec()));
        }
        if let Some(r) = &self.pg_e2e_1 {
            lines.push(("pg_ops_per_sec_1".into(), r.ops_per_sec()));
        }
        if let Some(r) = e2e_n {
            lines.push((format!("ops_per_sec_{n}"), r.ops_per_sec()));
            if let Some(v) = r.server_cpu_us_per_op() {
                lines.push(("server_cpu_us_per_op".into(), v));
            }
            if let Some(m) = r.memory {
                lines.push(("server_rss_mib".into(), m.rss_kib as f64 / 1024.0));
                lines.push(("server_hwm_mib".into(), m.hwm_kib as f64 / 1024.0));
            }
        }
        if let Some(r) = &self.sqlite_e2e_1 {
            lines.push(("ops_per_sec_1".into(), r.ops_per_sec()));
        }
        if let Some(fl) = &self.sqlite_floor_durable {
            lines.push(("store_floor_ops_per_sec".into(), fl.ops_per_sec()));
        }
        if let Some(w) = &self.wire_n {
            lines.push((format!("wire_floor_ops_per_sec_{n}"), w.ops_per_sec()));
            lines.push(("wire_floor_p99_ms".into(), w.percentile_ms(99.0)));
        }
        if let Some(w) = &self.wire_1 {
            lines.push(("wire_floor_us_per_op_1".into(), w.wall_us_per_op()));
        }
        for (run, key) in [
            (&self.wire_store_n, "wire_store_floor"),
            (&self.wire_native_n, "wire_native_floor"),
        ] {
            if let Some(w) = run {
                lines.push((format!("{key}_ops_per_sec_{n}"), w.ops_per_sec()));
                lines.push((format!("{key}_p99_ms"), w.percentile_ms(99.0)));
            }
        }
        if let Some(f) = self.fsync_start {
            lines.push(("fsync_per_sec_at_start".into(), f));
        }
        if let Some(f) = self.fsync_per_sec {
            lines.push(("fsync_per_sec".into(), f));
        }
        let errors: usize = self.all.iter().map(|r| r.errors).sum();
        lines.push(("errors".into(), errors as f64));
        println!();
        for (name, v) in lines {
            println!("{name}: {}", fmt_num(v));
        }
    }
}

/// Prints `what: a / b ops/s = ratio` and adds the ratio to the summary as `key`.
fn versus(lines: &mut Vec<(String, f64)>, what: &str, a: &RunStats, b: &RunStats, key: &str) {
    let v = a.ops_per_sec() / b.ops_per_sec();
    println!(
        "{what}: {:.1} / {:.1} ops/s = {v:.2}",
        a.ops_per_sec(),
        b.ops_per_sec()
    );
    lines.push((key.into(), v));
}

fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "NaN".into();
    }
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// write + fdatasync of 4 KiB at the start of a file in `dir`, in a loop, for `dur`.
async fn fsync_rate(dir: &Path, dur: Duration) -> anyhow::Result<f64> {
    let path = dir.join("fsync-floor.bin");
    tokio::task::spawn_blocking(move || -> anyhow::Result<f64> {
        let mut f = std::fs::File::create(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let block = [0x5au8; 4096];
        // The first write allocates the block; measure overwrites, as a WAL does.
        f.write_all(&block)?;
        f.sync_all()?;
        let t0 = Instant::now();
        let mut n = 0u64;
        while t0.elapsed() < dur {
            f.seek(SeekFrom::Start(0))?;
            f.write_all(&block)?;
            f.sync_data()?;
            n += 1;
        }
        let rate = n as f64 / t0.elapsed().as_secs_f64();
        drop(f);
        let _ = std::fs::remove_file(&path);
        Ok(rate)
    })
    .await?
}

impl Ctx {
    fn next_id(&self) -> usize {
        self.counter.fetch_add(1, Ordering::SeqCst)
    }

    /// A fresh, empty database for one run.
    async fn fresh_database(&self, engine: Engine, name: &str) -> anyhow::Result<String> {
        let id = self.next_id();
        match engine {
            Engine::Sqlite => {
                let path = self.dir.join(format!("{id:02}-{name}.db"));
                Ok(format!("sqlite://{}", path.display()))
            }
            Engine::Postgres => {
                use sqlx::Connection;
                let admin = self
                    .postgres_admin
                    .as_deref()
                    .context("no PostgreSQL URL")?;
                let db = format!("ipam_bench_{}_{id}", std::process::id());
                let mut conn = sqlx::PgConnection::connect(admin).await.with_context(|| {
                    format!(
                        "cannot connect to PostgreSQL at {}",
                        ipam_store::redact(admin)
                    )
                })?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
                    .execute(&mut conn)
                    .await
                    .with_context(|| format!("cannot create database {db}"))?;
                conn.close().await.ok();
                self.pg_databases.lock().unwrap().push(db.clone());
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
                Ok(format!("{base}/{db}"))
            }
        }
    }

    async fn drop_pg_databases(&self) {
        use sqlx::Connection;
        let dbs: Vec<String> = std::mem::take(&mut *self.pg_databases.lock().unwrap());
        let Some(admin) = self.postgres_admin.as_deref() else {
            return;
        };
        if dbs.is_empty() {
            return;
        }
        let Ok(mut conn) = sqlx::PgConnection::connect(admin).await else {
            return;
        };
        for db in dbs {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await;
        }
        conn.close().await.ok();
    }

    async fn seeded(
        &self,
        engine: Engine,
        name: &str,
        groups: &[(&str, usize, usize)],
    ) -> anyhow::Result<(String, Vec<Vec<OpData>>)> {
        let url = self.fresh_database(engine, name).await?;
        let store = workload::open_for_seeding(&url).await?;
        let mut out = Vec::new();
        for (tag, ops, k) in groups {
            out.push(workload::seed(&store, tag, *ops, *k).await?);
        }
        store.close().await;
        Ok((url, out))
    }
}

/// What an in-process run does per operation, one after the other, in one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InProcess {
    /// The store floor: the same rows as the end-to-end operation written straight
    /// through the store API (`insert_failover_with_links`, the call the engine makes), one transaction per
    /// operation, group commit off.
    Bare,
    /// The whole CreateDhcpFailover through ipam-engine (checks, rows, progress events
    /// collected in memory) on a store opened as ipamd opens it: everything but the
    /// protocol.
    Engine,
    /// The store floor's rows with group commit on (the store's default, as ipamd runs
    /// it), written by concurrent tasks ([`InProcessRun::run_concurrent`]): what the
    /// store's group-commit writer does alone, with no protocol in front of it.
    GroupedBare,
    /// The store floor's rows written by concurrent tasks through the bench's own
    /// group-commit SQLite writer ([`native`]) instead of the store: what the cheapest
    /// durable write path on this machine's SQLite does.
    Native,
}

/// Runs `ctx.ops` operations of `kind` in this process on `ctx.sessions` concurrent tasks,
/// durable SQLite, group commit on (see [`InProcessRun::run_concurrent`]).
async fn concurrent(ctx: &Ctx, what: &str, kind: InProcess) -> anyhow::Result<RunStats> {
    let n = ctx.sessions;
    let label = format!("{what}, group commit, {n} tasks");
    let mut run = InProcessRun::open(ctx, Engine::Sqlite, &label, true, kind, ctx.ops).await?;
    let stats = run.run_concurrent(ctx.ops, n).await;
    run.close().await;
    Ok(stats)
}

/// Runs `ctx.ops` operations in this process, no protocol (see [`InProcess`]).
async fn in_process(
    ctx: &Ctx,
    engine: Engine,
    label: &str,
    durable: bool,
    kind: InProcess,
) -> anyhow::Result<RunStats> {
    let mut run = InProcessRun::open(ctx, engine, label, durable, kind, ctx.ops).await?;
    let stats = run.run(ctx.ops).await;
    run.close().await;
    Ok(stats)
}

/// A store opened for in-process operations (see [`InProcess`]), seeded and warmed up,
/// whose operations can be run in pieces ([`InProcessRun::run`]), interleaved with others.
struct InProcessRun {
    store: Store,
    ops: OpEngine,
    /// The writer of an [`InProcess::Native`] run.
    native: Option<Arc<NativeWriter>>,
    kind: InProcess,
    engine: Engine,
    label: String,
    /// The measured operations not run yet.
    left: VecDeque<OpData>,
}

impl InProcessRun {
    /// A fresh database with the data of a warm-up and of `total` operations, opened as
    /// `kind` needs; the warm-up is run.
    async fn open(
        ctx: &Ctx,
        engine: Engine,
        label: &str,
        durable: bool,
        kind: InProcess,
        total: usize,
    ) -> anyhow::Result<InProcessRun> {
        let warm = (total / 20).clamp(1, 50);
        progress(format!(
            "{} {label}: registering servers and scopes",
            engine.name()
        ));
        let (url, mut data) = ctx
            .seeded(
                engine,
                "store-floor",
                &[("warm", warm, ctx.k), ("run", total, ctx.k)],
            )
            .await?;
        let defaults = StoreOptions::new(&url);
        let store = Store::open_with(StoreOptions {
            durable,
            group_commit: kind != InProcess::Bare && defaults.group_commit,
            ..defaults.clone()
        })
        .await?;
        let native = match kind {
            InProcess::Native => Some(Arc::new(NativeWriter::open(&url, defaults.max_batch)?)),
            _ => None,
        };
        let run = InProcessRun {
            ops: OpEngine::new(store.clone()),
            native,
            store,
            kind,
            engine,
            label: label.to_owned(),
            left: data.pop().unwrap_or_default().into(),
        };
        for op in data.first().into_iter().flatten() {
            run.one(op, "warm").await?;
        }
        Ok(run)
    }

    async fn one(&self, op: &OpData, tag: &str) -> anyhow::Result<()> {
        let native = self.native.as_deref();
        one_op(self.kind, &self.store, &self.ops, native, op, tag).await
    }

    /// Runs the next `n` operations (fewer if fewer are left), one after the other.
    async fn run(&mut self, n: usize) -> RunStats {
        let n = n.min(self.left.len());
        progress(format!(
            "{} {}: {n} operations",
            self.engine.name(),
            self.label
        ));
        let mut stats = RunStats::new(&self.label, self.engine.name(), 1);
        let ops: Vec<OpData> = self.left.drain(..n).collect();
        let c0 = server::process_cpu_time("/proc/self/stat");
        let t0 = Instant::now();
        for op in &ops {
            let t = Instant::now();
            match self.one(op, "run").await {
                Ok(()) => {
                    stats.ok += 1;
                    stats.latencies.push(t.elapsed());
                }
                Err(e) => {
                    stats.errors += 1;
                    stats.first_error.get_or_insert_with(|| e.to_string());
                }
            }
        }
        stats.elapsed = t0.elapsed();
        stats.client_cpu = server::process_cpu_time("/proc/self/stat").saturating_sub(c0);
        stats.sort();
        stats
    }

    /// Runs the next `n` operations on `tasks` concurrent tasks, each writing one after
    /// the other.
    async fn run_concurrent(&mut self, n: usize, tasks: usize) -> RunStats {
        let n = n.min(self.left.len());
        progress(format!(
            "{} {}: {n} operations on {tasks} tasks",
            self.engine.name(),
            self.label
        ));
        let mut stats = RunStats::new(&self.label, self.engine.name(), tasks);
        let queue = Arc::new(Mutex::new(self.left.drain(..n).collect::<VecDeque<_>>()));
        let counters = |run: &InProcessRun| match &run.native {
            Some(native) => native.commits(),
            None => {
                let g = run.store.group_commit_stats();
                server::Commits {
                    commits: g.batches.load(Ordering::Relaxed),
                    writes: g.writes.load(Ordering::Relaxed),
                }
            }
        };
        let before = counters(self);
        let c0 = server::process_cpu_time("/proc/self/stat");
        let t0 = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..tasks.clamp(1, n.max(1)) {
            let (queue, store, ops, kind, native) = (
                queue.clone(),
                self.store.clone(),
                self.ops.clone(),
                self.kind,
                self.native.clone(),
            );
            set.spawn(async move {
                let mut out = Vec::new();
                loop {
                    let next = queue.lock().unwrap().pop_front();
                    let Some(op) = next else { break };
                    let t = Instant::now();
                    let r = one_op(kind, &store, &ops, native.as_deref(), &op, "run").await;
                    out.push(r.map(|()| t.elapsed()).map_err(|e| e.to_string()));
                }
                out
            });
        }
        while let Some(done) = set.join_next().await {
            for r in done.unwrap_or_default() {
                match r {
                    Ok(latency) => {
                        stats.ok += 1;
                        stats.latencies.push(latency);
                    }
                    Err(e) => {
                        stats.errors += 1;
                        stats.first_error.get_or_insert(e);
                    }
                }
            }
        }
        stats.elapsed = t0.elapsed();
        stats.client_cpu = server::process_cpu_time("/proc/self/stat").saturating_sub(c0);
        stats.commits = Some(counters(self).since(before));
        stats.sort();
        stats
    }

    async fn close(self) {
        // The native writer's thread ends (and is joined) when the last handle goes.
        drop(self.native);
        self.store.close().await;
    }
}

/// One operation of an in-process run of `kind` ([`InProcess`]); `native` is the writer of
/// an [`InProcess::Native`] run.
async fn one_op(
    kind: InProcess,
    store: &Store,
    ops: &OpEngine,
    native: Option<&NativeWriter>,
    op: &OpData,
    tag: &str,
) -> anyhow::Result<()> {
    match (kind, native) {
        (InProcess::Bare | InProcess::GroupedBare, _) => {
            Ok(workload::bare_create(store, op, tag).await?)
        }
        (InProcess::Native, Some(native)) => native.write(op, tag).await.map_err(|e| anyhow!(e)),
        (InProcess::Native, None) => bail!("no native writer"),
        (InProcess::Engine, _) => {
            let sink = CollectingSink::default();
            ops.run(&op.parameters(tag), RunOptions::default(), &sink)
                .await
                .map(|_| ())
                .map_err(|e| anyhow!("{:?}: {}", e.exception_id, e.message))
        }
    }
}

/// Encodes every operation's session for the server at `addr`.
fn prepare_all(
    addr: std::net::SocketAddr,
    ops: &[OpData],
    tag: &str,
) -> anyhow::Result<VecDeque<PreparedOp>> {
    ops.iter()
        .map(|op| client::prepare(addr, op, tag))
        .collect()
}

/// Runs `ops` on `sessions` concurrent tasks; each runs one operation per session, on
/// its pooled connection (or a new one per operation when `mode.pooled` is off).
async fn drive(
    addr: std::net::SocketAddr,
    ops: VecDeque<PreparedOp>,
    sessions: usize,
    mode: Mode,
    stats: &mut RunStats,
    show: Option<&str>,
) {
    let total = ops.len();
    let queue = Arc::new(Mutex::new(ops));
    let done = Arc::new(AtomicUsize::new(0));
    let ticker = show.map(|label| {
        let done = done.clone();
        let label = label.to_owned();
        tokio::spawn(async move {
            let mut t = tokio::time::interval(Duration::from_secs(2));
            t.tick().await;
            loop {
                t.tick().await;
                progress(format!(
                    "{label}: {}/{total} operations",
                    done.load(Ordering::Relaxed)
                ));
            }
        })
    });
    let c0 = server::process_cpu_time("/proc/self/stat");
    let t0 = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..sessions.min(total.max(1)) {
        let queue = queue.clone();
        let done = done.clone();
        tasks.spawn(async move {
            let mut lat = Vec::new();
            let mut callbacks = 0;
            let mut errors = Vec::new();
            let mut pool = None;
            loop {
                let next = queue.lock().unwrap().pop_front();
                let Some(op) = next else { break };
                match client::run_op(addr, op, mode.decode, &mut pool, mode.pooled).await {
                    Ok(r) => {
                        lat.push(r.latency);
                        callbacks += r.callbacks;
                    }
                    Err(e) => errors.push(format!("{e:#}")),
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            (lat, callbacks, errors)
        });
    }
    while let Some(res) = tasks.join_next().await {
        match res {
            Ok((lat, callbacks, errors)) => {
                stats.ok += lat.len();
                stats.callbacks += callbacks;
                stats.latencies.extend(lat);
                stats.errors += errors.len();
                if let Some(e) = errors.into_iter().next() {
                    stats.first_error.get_or_insert(e);
                }
            }
            Err(e) => {
                stats.errors += 1;
                stats.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    stats.elapsed = t0.elapsed();
    stats.client_cpu = server::process_cpu_time("/proc/self/stat").saturating_sub(c0);
    if let Some(t) = ticker {
        t.abort();
    }
    stats.sort();
}

/// Runs `ops` uncounted; fails with the first error when any failed.
async fn warm_up(
    addr: std::net::SocketAddr,
    ops: VecDeque<PreparedOp>,
    sessions: usize,
    mode: Mode,
) -> anyhow::Result<()> {
    let total = ops.len();
    let mut stats = RunStats::new("warm-up", "-", sessions);
    drive(addr, ops, sessions, mode, &mut stats, None).await;
    if stats.errors > 0 {
        bail!(
            "{} of {total} warm-up operations failed: {}",
            stats.errors,
            stats.first_error.unwrap_or_default()
        );
    }
    Ok(())
}

/// What an end-to-end run is: engine, label, concurrent sessions, and how the server
/// commits.
struct E2e<'l> {
    engine: Engine,
    label: &'l str,
    sessions: usize,
    /// `ipamd serve --durable`.
    durable: bool,
    /// `ipamd serve --writer-lanes`.
    writer_lanes: usize,
}

impl<'l> E2e<'l> {
    /// Durable, one writer lane.
    fn new(engine: Engine, label: &'l str, sessions: usize) -> Self {
        E2e {
            engine,
            label,
            sessions,
            durable: true,
            writer_lanes: 1,
        }
    }
}

/// End to end: a fresh database with the data of every operation, a real `ipamd serve`
/// on it, a short warm-up, then `ctx.ops` operations on the run's sessions.
async fn e2e(ctx: &Ctx, spec: &E2e<'_>) -> anyhow::Result<RunStats> {
    let mut run = E2eRun::start(ctx, spec, ctx.ops).await?;
    let stats = run.run(ctx.ops).await;
    run.stop();
    stats
}

/// A real `ipamd serve` on a fresh database seeded for `total` operations, warmed up,
/// whose operations can be run in pieces ([`E2eRun::run`]), interleaved with others.
struct E2eRun {
    server: ServerProcess,
    engine: Engine,
    label: String,
    sessions: usize,
    mode: Mode,
    /// The measured operations not run yet, encoded.
    left: VecDeque<PreparedOp>,
}

impl E2eRun {
    async fn start(ctx: &Ctx, spec: &E2e<'_>, total: usize) -> anyhow::Result<E2eRun> {
        let E2e {
            engine,
            label,
            sessions,
            durable,
            writer_lanes,
        } = *spec;
        let warm = (sessions * 2).clamp(4, 128).min(total.max(4));
        let full = format!("{} {label}", engine.name());
        progress(format!("{full}: registering servers and scopes"));
        let (url, data) = ctx
            .seeded(
                engine,
                "e2e",
                &[("warm", warm, ctx.k), ("run", total, ctx.k)],
            )
            .await?;
        let server = ServerProcess::start(&ServerConfig {
            binary: ctx.ipamd.clone(),
            database_url: url,
            durable,
            max_message_size: 64 * 1024,
            writer_lanes,
            log: ctx.dir.join(format!("ipamd-{:02}.log", ctx.next_id())),
        })
        .await?;
        let addr = server.nettcp;
        warm_up(
            addr,
            prepare_all(addr, &data[0], "warm")?,
            sessions,
            ctx.mode,
        )
        .await
        .with_context(|| format!("{full} (server log:\n{})", server.log_tail()))?;
        let left = prepare_all(addr, &data[1], "run")?;
        Ok(E2eRun {
            server,
            engine,
            label: label.to_owned(),
            sessions,
            mode: ctx.mode,
            left,
        })
    }

    /// Runs the next `n` operations (fewer if fewer are left) on the run's sessions: the
    /// server's CPU and group commits during them, its memory at their end.
    async fn run(&mut self, n: usize) -> anyhow::Result<RunStats> {
        let full = format!("{} {}", self.engine.name(), self.label);
        let ops: VecDeque<PreparedOp> = self.left.drain(..n.min(self.left.len())).collect();
        progress(format!("{full}: {} operations", ops.len()));
        let mut stats = RunStats::new(&self.label, self.engine.name(), self.sessions);
        let server = &self.server;
        let commits0 = server.commits().await?;
        let cpu0 = server.cpu_time();
        drive(
            server.nettcp,
            ops,
            self.sessions,
            self.mode,
            &mut stats,
            Some(&full),
        )
        .await;
        stats.server_cpu = Some(server.cpu_time().saturating_sub(cpu0));
        stats.commits = Some(server.commits().await?.since(commits0));
        stats.memory = Some(server.memory());
        if stats.errors > 0 {
            progress(format!(
                "{full}: {} operations failed; server log:\n{}",
                stats.errors,
                server.log_tail()
            ));
        }
        Ok(stats)
    }

    fn stop(self) {
        self.server.stop();
    }
}

/// One CreateDhcpFailover session against a real ipamd, its replies recorded turn by turn
/// for the wire floor.
async fn record_session(ctx: &Ctx) -> anyhow::Result<Recording> {
    progress("wire floor: recording one session of ipamd");
    let (url, data) = ctx
        .seeded(Engine::Sqlite, "wire", &[("rec", 1, ctx.k)])
        .await?;
    let server = ServerProcess::start(&ServerConfig {
        binary: ctx.ipamd.clone(),
        database_url: url,
        durable: false,
        max_message_size: 64 * 1024,
        writer_lanes: 1,
        log: ctx.dir.join(format!("ipamd-{:02}.log", ctx.next_id())),
    })
    .await?;
    let addr = server.nettcp;
    let rec = client::record(addr, client::prepare(addr, &data[0][0], "rec")?).await;
    server.stop();
    rec
}

/// The load generator against the replay server ([`replay`]): `ctx.ops` sessions (the
/// same request each time) on `sessions` connections, after a short warm-up.
async fn wire_floor(
    ctx: &Ctx,
    rec: &Recording,
    label: &str,
    sessions: usize,
) -> anyhow::Result<RunStats> {
    let server = ReplayServer::start(rec.clone())?;
    let stats = replay_run(ctx, server.addr, label, sessions).await;
    drop(server);
    stats
}

/// How many operations the short warm-up before a replay run on `sessions` sessions has.
fn warm_ops(sessions: usize) -> usize {
    (sessions * 2).clamp(4, 128)
}

/// The wire + store floor ([`replay`]): the replay server writing each operation's rows
/// through the store (durable SQLite, group commit on, as ipamd runs it) before it answers
/// the session's second envelope; with `native`, through the bench's own SQLite writer
/// ([`native`]) instead.
async fn wire_store_floor(
    ctx: &Ctx,
    rec: &Recording,
    label: &str,
    sessions: usize,
    native: bool,
) -> anyhow::Result<RunStats> {
    let (url, mut data) = ctx
        .seeded(
            Engine::Sqlite,
            "wire-store",
            &[("warm", warm_ops(sessions), ctx.k), ("run", ctx.ops, ctx.k)],
        )
        .await?;
    let ops: Vec<OpData> = data.drain(..).flatten().collect();
    let server = if native {
        let max_batch = StoreOptions::new(&url).max_batch;
        ReplayServer::start_with_native(rec.clone(), &url, max_batch, ops)?
    } else {
        ReplayServer::start_with_store(rec.clone(), &url, true, ops).await?
    };
    let stats = replay_run(ctx, server.addr, label, sessions).await;
    let failed = server.failed_writes();
    server.stop().await;
    let mut stats = stats?;
    stats.engine = Engine::Sqlite.name();
    if failed > 0 {
        stats
            .first_error
            .get_or_insert_with(|| format!("{failed} store writes failed"));
    }
    Ok(stats)
}

/// A warm-up, then `ctx.ops` sessions (the same request each time) on `sessions`
/// connections, against a replay server at `addr`.
async fn replay_run(
    ctx: &Ctx,
    addr: std::net::SocketAddr,
    label: &str,
    sessions: usize,
) -> anyhow::Result<RunStats> {
    let op = workload::OpData {
        index: 0,
        server1: 1,
        server2: 2,
        scopes: (1..=ctx.k as i64).collect(),
    };
    let prepare = |n: usize| -> anyhow::Result<VecDeque<PreparedOp>> {
        (0..n).map(|_| client::prepare(addr, &op, "wire")).collect()
    };
    warm_up(addr, prepare(warm_ops(sessions))?, sessions, ctx.mode)
        .await
        .with_context(|| format!("{label}: warm-up"))?;
    let mut stats = RunStats::new(label, "none", sessions);
    drive(
        addr,
        prepare(ctx.ops)?,
        sessions,
        ctx.mode,
        &mut stats,
        Some(label),
    )
    .await;
    Ok(stats)
}

/// CreateDhcpFailover with `scopes` ScopeIds end to end (durable SQLite), against the bare
/// insert of the same relation row and links through the store API. The repetitions of
/// the two alternate (one create, one bare insert, and again), so that a drift of the
/// shared machine weighs on both sides of the ratio alike.
async fn big_op(
    ctx: &Ctx,
    scopes: usize,
    reps: usize,
    max_message_size: usize,
) -> anyhow::Result<BigResult> {
    progress(format!(
        "big operation: registering {reps} x {scopes} scopes, twice"
    ));
    let (url, data) = ctx
        .seeded(
            Engine::Sqlite,
            "big-e2e",
            &[("warm", 1, ctx.k), ("big", reps, scopes)],
        )
        .await?;
    let (bare_url, bare_data) = ctx
        .seeded(Engine::Sqlite, "big-bare", &[("big", reps, scopes)])
        .await?;
    let server = ServerProcess::start(&ServerConfig {
        binary: ctx.ipamd.clone(),
        database_url: url,
        durable: true,
        max_message_size,
        writer_lanes: 1,
        log: ctx.dir.join(format!("ipamd-{:02}.log", ctx.next_id())),
    })
    .await?;
    let addr = server.nettcp;
    warm_up(addr, prepare_all(addr, &data[0], "warm")?, 1, ctx.mode)
        .await
        .context("big operation")?;
    let mut prepared = prepare_all(addr, &data[1], "big")?;
    let request_bytes = prepared.front().map(|p| p.request_bytes()).unwrap_or(0);
    let store = Store::open_with(StoreOptions {
        durable: true,
        group_commit: false,
        ..StoreOptions::new(&bare_url)
    })
    .await?;
    let before: Memory = server.memory();
    progress(format!(
        "big operation: {reps} x (CreateDhcpFailover with {scopes} ScopeIds ({request_bytes} bytes), \
         then the bare insert of {scopes} links)"
    ));
    let mut e2e = RunStats::new(format!("e2e {scopes} scopes"), "sqlite", 1);
    let mut bare = RunStats::new(format!("bare insert {scopes} links"), "sqlite", 1);
    for op in &bare_data[0] {
        let one = prepared.pop_front().into_iter().collect();
        let mut part = RunStats::new("", "sqlite", 1);
        let cpu0 = server.cpu_time();
        drive(addr, one, 1, ctx.mode, &mut part, None).await;
        part.server_cpu = Some(server.cpu_time().saturating_sub(cpu0));
        e2e.absorb(part);

        let c0 = server::process_cpu_time("/proc/self/stat");
        let t = Instant::now();
        workload::bare_create(&store, op, "big").await?;
        bare.ok += 1;
        bare.latencies.push(t.elapsed());
        bare.elapsed += t.elapsed();
        bare.client_cpu += server::process_cpu_time("/proc/self/stat").saturating_sub(c0);
    }
    bare.sort();
    store.close().await;
    let after = server.memory();
    e2e.memory = Some(after);
    if e2e.errors > 0 {
        bail!(
            "the big operation failed: {}\nserver log:\n{}",
            e2e.first_error.unwrap_or_default(),
            server.log_tail()
        );
    }
    server.stop();
    Ok(BigResult {
        e2e,
        bare,
        request_bytes,
        rss_before_kib: before.rss_kib,
        hwm_after_kib: after.hwm_kib,
    })
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_even_and_no_values() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
