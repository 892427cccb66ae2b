//! The native SQLite floor: the store floor's rows written durably by a group-commit
//! writer that calls SQLite itself, on an OS thread of its own (rusqlite, prepared
//! statements kept from one write to the next), with no hand-off to another thread per
//! statement and no async runtime between two statements.
//!
//! It does what ipam-store's group commit does on SQLite (one `BEGIN IMMEDIATE`, each
//! write of the batch in its own savepoint and rolled back to it alone when it fails, one
//! `COMMIT` with its fsync, each caller answered after it), on the same database file and
//! with the same settings (WAL, `synchronous = FULL`, foreign keys on), and nothing else:
//! no reads, no checks. So it is the cheapest way any server could make an operation's
//! rows durable on this machine's SQLite, a floor for the store's write path as the wire
//! floor is for the exchange (docs/performance.md).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use anyhow::Context;
use ipam_model::{DhcpFailover, RecordId};
use rusqlite::{Connection, params};
use tokio::sync::oneshot;

use crate::server::Commits;
use crate::workload::OpData;

/// The relation row, in the column order of ipam-store's insert.
const INSERT_RELATION: &str = "INSERT INTO adm_dhcp_failover_relations (relationship_name, \
    server1_record_id, server2_record_id, mode, mclt_ticks, auto_state_transition, \
    state_switch_interval_ticks, server1_percentage, shared_secret_enabled, shared_secret, \
    server1_state, server2_state, server1_name, server2_name, server1_ps_name, server2_ps_name, \
    server1_ip, server2_ip) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";

const INSERT_LINK: &str =
    "INSERT INTO adm_dhcp_scope_failovers (failover_relation_id, scope_id) VALUES (?1, ?2)";

/// One operation's rows, and where to answer.
struct Job {
    failover: DhcpFailover,
    scopes: Vec<RecordId>,
    done: oneshot::Sender<Result<(), String>>,
}

#[derive(Default)]
struct Counts {
    commits: AtomicU64,
    writes: AtomicU64,
}

/// The writer thread and its queue; the thread ends when the writer is dropped.
pub struct NativeWriter {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    counts: Arc<Counts>,
}

impl NativeWriter {
    /// Opens the SQLite database file of `url` (as the store takes it, created and migrated
    /// by the store already) and starts the writer: at most `max_batch` writes per commit.
    pub fn open(url: &str, max_batch: usize) -> anyhow::Result<NativeWriter> {
        // `sqlite://PATH?…` for a file; PostgreSQL and `sqlite::memory:` have no path.
        let (_, normalized) = ipam_store::normalize_url(url)?;
        let path = normalized
            .strip_prefix("sqlite://")
            .and_then(|p| p.split('?').next())
            .with_context(|| format!("not a SQLite database file: {url}"))?;
        let conn = Connection::open(path).with_context(|| format!("cannot open {path}"))?;
        let journal: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        anyhow::ensure!(
            journal.eq_ignore_ascii_case("wal"),
            "journal_mode {journal}"
        );
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        let (jobs, rx) = mpsc::channel();
        let counts = Arc::new(Counts::default());
        let c = counts.clone();
        let max_batch = max_batch.max(1);
        let thread = std::thread::Builder::new()
            .name("native-writer".into())
            .spawn(move || writer(conn, rx, max_batch, &c))
            .context("cannot start the native writer thread")?;
        Ok(NativeWriter {
            jobs: Some(jobs),
            thread: Some(thread),
            counts,
        })
    }

    /// Writes the rows of `op` (relationship `bench-{tag}-{index}`), answered once they are
    /// committed.
    pub async fn write(&self, op: &OpData, tag: &str) -> Result<(), String> {
        let (done, answer) = oneshot::channel();
        let job = Job {
            failover: op.failover(tag),
            scopes: op.scopes.clone(),
            done,
        };
        let stopped = || "the native writer stopped".to_owned();
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Commits made and writes run in them so far.
    pub fn commits(&self) -> Commits {
        Commits {
            commits: self.counts.commits.load(Ordering::Relaxed),
            writes: self.counts.writes.load(Ordering::Relaxed),
        }
    }
}

impl Drop for NativeWriter {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Takes the next write, then those queued behind it (up to `max_batch`), runs them in one
/// transaction and answers each.
fn writer(conn: Connection, rx: mpsc::Receiver<Job>, max_batch: usize, counts: &Counts) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let results = run_batch(&conn, &batch);
        counts.commits.fetch_add(1, Ordering::Relaxed);
        counts
            .writes
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        for (job, result) in batch.into_iter().zip(results) {
            let _ = job.done.send(result);
        }
    }
}

/// One transaction: each write in its own savepoint when it has batch-mates, one commit.
/// A write that fails is rolled back alone; if the transaction itself fails (a savepoint
/// or the commit), every write of the batch fails and nothing of it is kept.
fn run_batch(conn: &Connection, batch: &[Job]) -> Vec<Result<(), String>> {
    let run = || -> rusqlite::Result<Vec<Result<(), String>>> {
        exec(conn, "BEGIN IMMEDIATE")?;
        let alone = batch.len() == 1;
        let mut out = Vec::with_capacity(batch.len());
        for job in batch {
            let result = if alone {
                insert(conn, job)
            } else {
                exec(conn, "SAVEPOINT w")?;
                let r = insert(conn, job);
                if r.is_err() {
                    exec(conn, "ROLLBACK TO w")?;
                }
                exec(conn, "RELEASE w")?;
                r
            };
            out.push(result.map_err(|e| e.to_string()));
        }
        let all_failed = out.iter().all(Result::is_err);
        exec(conn, if all_failed { "ROLLBACK" } else { "COMMIT" })?;
        Ok(out)
    };
    run().unwrap_or_else(|e| {
        if !conn.is_autocommit() {
            let _ = exec(conn, "ROLLBACK");
        }
        let e = format!("the batch's transaction failed: {e}");
        vec![Err(e); batch.len()]
    })
}

fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// The relation row, then one link per scope.
fn insert(conn: &Connection, job: &Job) -> rusqlite::Result<()> {
    let f = &job.failover;
    let nonzero = |id: RecordId| (id != 0).then_some(id);
    let ip = |a: Option<std::net::Ipv4Addr>| a.map(|a| i64::from(u32::from(a)));
    conn.prepare_cached(INSERT_RELATION)?.execute(params![
        f.relationship_name.as_deref().unwrap_or(""),
        nonzero(f.server1_record_id),
        nonzero(f.server2_record_id),
        f.mode.as_str(),
        f.mclt.ticks(),
        i64::from(f.auto_state_transition),
        f.state_switch_interval.ticks(),
        i64::from(f.server1_percentage),
        i64::from(f.shared_secret_enabled),
        f.shared_secret.as_deref(),
        f.server1_state.as_str(),
        f.server2_state.as_str(),
        f.server1_name.as_deref(),
        f.server2_name.as_deref(),
        f.server1_ps_name.as_deref(),
        f.server2_ps_name.as_deref(),
        ip(f.server1_ip),
        ip(f.server2_ip),
    ])?;
    let relation = conn.last_insert_rowid();
    let mut link = conn.prepare_cached(INSERT_LINK)?;
    for scope in &job.scopes {
        link.execute(params![relation, scope])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ipam_store::Store;

    use super::*;
    use crate::workload::{open_for_seeding, seed};

    /// Writes queued behind a running one share a commit; a write that fails (the
    /// relationship key of its batch-mate) fails alone, and is answered only after the
    /// commit, as are the others, whose rows are then all there.
    #[tokio::test]
    async fn a_batch_commits_once_and_a_failing_write_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("native.db").display());
        let store = open_for_seeding(&url).await.unwrap();
        let ops = seed(&store, "t", 3, 2).await.unwrap();
        store.close().await;
        let writer = Arc::new(NativeWriter::open(&url, 256).unwrap());
        // Another connection holds the write lock: the first write waits in its BEGIN,
        // and the next three queue behind it.
        let blocker = Connection::open(dir.path().join("native.db")).unwrap();
        blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
        let write = |i: usize| {
            let (writer, op) = (writer.clone(), ops[i].clone());
            tokio::spawn(async move { writer.write(&op, "x").await })
        };
        let first = write(0);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let rest = [write(1), write(1), write(2)];
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!first.is_finished(), "answered before its commit");
        blocker.execute_batch("COMMIT").unwrap();
        assert_eq!(first.await.unwrap(), Ok(()));
        let mut results = Vec::new();
        for r in rest {
            results.push(r.await.unwrap());
        }
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            2,
            "{results:?}"
        );
        assert!(results[2].is_ok(), "{results:?}");
        assert!(results[..2].iter().any(|r| r.is_err()), "{results:?}");
        let c = writer.commits();
        assert_eq!((c.commits, c.writes), (2, 4));
        let store = Store::open(&url).await.unwrap();
        let counts = store.conn().await.unwrap().db().counts().await.unwrap();
        store.close().await;
        // 6 servers, 6 scopes, 3 relationships, 6 links.
        assert_eq!(counts, [6, 6, 3, 6]);
    }
}
