//! Group commit: concurrent writes share one transaction and one durable commit.
//!
//! A writer task (a *lane*) takes the writes queued while it was busy (up to `max_batch`,
//! and its share of them when there are several lanes), runs each in its own SAVEPOINT
//! inside one transaction (a write alone in its batch in the bare transaction), and
//! commits once. SQLite has one lane (it has one writer at a time anyway); PostgreSQL one
//! by default, or several (`StoreOptions::writer_lanes`), each on its own connection, so
//! that batches run side by side. A write that loses a deadlock or serialization conflict
//! with another transaction is answered with [`Answer::retry`], and runs again.
//! A write that fails is rolled back to its savepoint and fails alone; its batch-mates go
//! on. Each caller is answered only after the COMMIT returned, so an acknowledged write is
//! durable; if the COMMIT itself fails, every write of the batch fails and nothing of it
//! is visible.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use futures::FutureExt;
use futures::future::BoxFuture;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection};
use tokio::sync::{mpsc, oneshot};

use crate::{Backend, Db, StoreError};

/// Answers a write's caller, given the commit error if the batch's commit failed and
/// whether the write lost a conflict with another transaction (see [`Answer::retry`]).
type Deliver = Box<dyn FnOnce(Option<&StoreError>, bool) + Send>;

/// What a finished write hands back to the writer: whether it succeeded, and how to
/// answer its caller once the batch's fate is known.
pub(crate) struct Completion {
    ok: bool,
    deliver: Deliver,
}

/// A write's answer.
pub(crate) struct Answer<T, E> {
    pub(crate) result: Result<T, E>,
    /// The write failed because PostgreSQL chose it to break a deadlock or a serialization
    /// conflict with another transaction (another lane's batch): run again, it may succeed.
    pub(crate) retry: bool,
}

tokio::task_local! {
    /// Set when a statement of the running write failed on a conflict with another
    /// transaction ([`note_conflict`]).
    static CONFLICT: std::cell::Cell<bool>;
}

/// Records that a statement failed on a conflict with another transaction (SQLSTATE
/// `40P01` deadlock, `40001` serialization failure), for the write running it, if any.
pub(crate) fn note_conflict() {
    let _ = CONFLICT.try_with(|c| c.set(true));
}

/// Runs `fut`, telling whether a statement in it failed on a conflict ([`note_conflict`]).
pub(crate) async fn watch_conflicts<F: std::future::Future>(fut: F) -> (F::Output, bool) {
    CONFLICT
        .scope(std::cell::Cell::new(false), async {
            let out = fut.await;
            (out, CONFLICT.with(|c| c.get()))
        })
        .await
}

/// A queued write.
pub(crate) type Job = Box<dyn for<'a> FnOnce(Db<'a>) -> BoxFuture<'a, Completion> + Send>;

/// Wraps a typed write closure into a [`Job`] and the receiver of its answer.
pub(crate) fn job<T, E, F>(f: F) -> (Job, oneshot::Receiver<Answer<T, E>>)
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: for<'a> FnOnce(Db<'a>) -> BoxFuture<'a, Result<T, E>> + Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    let job: Job = Box::new(move |db| {
        Box::pin(async move {
            let result = f(db).await;
            Completion {
                ok: result.is_ok(),
                deliver: Box::new(move |commit_error, retry| {
                    let result = match (result, commit_error) {
                        (Ok(_), Some(e)) => Err(E::from(StoreError::CommitFailed(e.to_string()))),
                        (r, _) => r,
                    };
                    let _ = tx.send(Answer { result, retry });
                }),
            }
        })
    });
    (job, rx)
}

/// Counters of the group-commit writer.
#[derive(Debug, Default)]
pub struct GroupCommitStats {
    /// Transactions committed (or attempted).
    pub batches: AtomicU64,
    /// Writes run in them.
    pub writes: AtomicU64,
}

/// Starts `lanes` writer tasks on one queue; they end when every sender is gone.
pub(crate) fn spawn_writer(
    pool: AnyPool,
    backend: Backend,
    max_batch: usize,
    lanes: usize,
    stats: Arc<GroupCommitStats>,
) -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel::<Job>(max_batch.max(1) * 16);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let lanes = lanes.max(1);
    for _ in 0..lanes {
        let limits = Batching {
            max_batch: max_batch.max(1),
            lanes,
        };
        tokio::spawn(writer(
            pool.clone(),
            backend,
            rx.clone(),
            limits,
            stats.clone(),
        ));
    }
    tx
}

/// How much of the queue a lane takes.
#[derive(Clone, Copy)]
struct Batching {
    max_batch: usize,
    lanes: usize,
}

/// Waits for the next write, then takes the writes queued behind it: up to `max_batch`,
/// and, when there are several lanes, this lane's share of what is queued (the others
/// take the rest and run it side by side).
async fn next_batch(
    rx: &tokio::sync::Mutex<mpsc::Receiver<Job>>,
    limits: Batching,
) -> Option<Vec<Job>> {
    let mut rx = rx.lock().await;
    let first = rx.recv().await?;
    let share = (rx.len() + 1).div_ceil(limits.lanes);
    let mut batch = Vec::with_capacity(share.min(limits.max_batch));
    batch.push(first);
    while batch.len() < share.min(limits.max_batch) {
        match rx.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    Some(batch)
}

async fn exec(conn: &mut sqlx::AnyConnection, sql: &'static str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sql).execute(conn).await.map(|_| ())
}

/// The writer's connection from one batch to the next, when the pool has more than one (a
/// one-connection pool, `sqlite::memory:`, must give it back for reads): no trip through
/// the pool per batch, and none of the ping sqlx runs on every connection given back.
struct Kept {
    conn: Option<PoolConnection<Any>>,
    last_used: Instant,
    keep: bool,
}

impl Kept {
    /// The connection for the next batch: the kept one (pinged first, on PostgreSQL, after
    /// the idle time the pool would ping it after; dropped if that fails), else a new one.
    async fn get(
        &mut self,
        pool: &AnyPool,
        backend: Backend,
    ) -> Result<&mut PoolConnection<Any>, sqlx::Error> {
        if backend == Backend::Postgres
            && self.last_used.elapsed() >= crate::PING_IF_IDLE_FOR
            && let Some(conn) = self.conn.as_mut()
            && conn.ping().await.is_err()
        {
            self.conn = None;
        }
        match self.conn {
            Some(ref mut conn) => Ok(conn),
            None => Ok(self.conn.insert(pool.acquire().await?)),
        }
    }

    /// After a batch: keeps the connection if the batch went well, else gives it back
    /// (the pool tests it, and drops it if broken).
    fn done(&mut self, ok: bool) {
        self.last_used = Instant::now();
        if !(ok && self.keep) {
            self.conn = None;
        }
    }
}

/// A finished write: its completion, and whether it lost a conflict.
type Ran = (Completion, bool);

/// Runs one write on `conn`. `None` when it panicked (logged): a panicked write has no
/// completion, its caller sees the channel close; the caller rolls its work back.
async fn run_job(job: Job, conn: &mut AnyConnection, backend: Backend) -> Option<Ran> {
    let (run, conflict) =
        watch_conflicts(AssertUnwindSafe(job(Db { conn, backend })).catch_unwind()).await;
    if run.is_err() {
        tracing::error!("a write panicked; it is rolled back alone");
    }
    run.ok().map(|c| (c, conflict))
}

async fn writer(
    pool: AnyPool,
    backend: Backend,
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Job>>>,
    limits: Batching,
    stats: Arc<GroupCommitStats>,
) {
    let mut kept = Kept {
        conn: None,
        last_used: Instant::now(),
        keep: pool.options().get_max_connections() > 1,
    };
    // Closing the pool waits for every connection: the kept one goes back at once.
    let closed = pool.close_event();
    tokio::pin!(closed);
    let mut done: Vec<Ran> = Vec::new();
    loop {
        let mut batch = tokio::select! {
            biased;
            batch = next_batch(&rx, limits) => match batch {
                Some(batch) => batch,
                None => break,
            },
            _ = &mut closed, if kept.conn.is_some() => {
                kept.conn = None;
                continue;
            }
        };
        let size = batch.len();
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.writes.fetch_add(size as u64, Ordering::Relaxed);
        let outcome: Result<(), StoreError> = async {
            let mut tx = kept
                .get(&pool, backend)
                .await?
                .begin_with(backend.begin_write())
                .await?;
            if batch.len() == 1 {
                // A write alone in its batch needs no savepoint: the transaction is its own.
                let job = batch.pop().expect("one job");
                match run_job(job, &mut tx, backend).await {
                    Some(ran) if ran.0.ok => done.push(ran),
                    other => {
                        tx.rollback().await?;
                        done.extend(other);
                        return Ok(());
                    }
                }
            } else {
                // One statement call between two writes: the savepoint stays open from one
                // write to the next (released and set again after a success, rolled back to
                // after a failure), and COMMIT releases the last one.
                exec(&mut tx, "SAVEPOINT ipamd_write").await?;
                let last = batch.len() - 1;
                for (i, job) in batch.drain(..).enumerate() {
                    match run_job(job, &mut tx, backend).await {
                        Some(ran) if ran.0.ok => {
                            if i < last {
                                exec(
                                    &mut tx,
                                    "RELEASE SAVEPOINT ipamd_write; SAVEPOINT ipamd_write",
                                )
                                .await?;
                            }
                            done.push(ran);
                        }
                        other => {
                            exec(&mut tx, "ROLLBACK TO SAVEPOINT ipamd_write").await?;
                            done.extend(other);
                        }
                    }
                }
            }
            tx.commit().await?;
            Ok(())
        }
        .await;
        kept.done(outcome.is_ok());
        tracing::trace!(size, ok = outcome.is_ok(), "group commit");
        match outcome {
            // A write that lost a conflict is rolled back (to its savepoint) and asked to
            // run again; the others of the batch are committed.
            Ok(()) => done
                .drain(..)
                .for_each(|(c, conflict)| (c.deliver)(None, conflict && !c.ok)),
            Err(e) => {
                tracing::warn!(error = %e, size, "group commit failed; every write of the batch failed");
                done.drain(..)
                    .for_each(|(c, _)| (c.deliver)(Some(&e), false));
            }
        }
        // Jobs never run because the batch broke early are dropped: their callers see a
        // closed channel, reported as a failed write.
    }
}
