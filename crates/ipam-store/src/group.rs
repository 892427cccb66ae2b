//! Group commit: concurrent writes share one transaction and one durable commit.
//!
//! One writer task takes every write queued while the previous batch was committing (up to
//! `max_batch`), runs each in its own SAVEPOINT inside one transaction (a write alone in its
//! batch in the bare transaction), and commits once.
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

/// Answers a write's caller, given the commit error if the batch's commit failed.
type Deliver = Box<dyn FnOnce(Option<&StoreError>) + Send>;

/// What a finished write hands back to the writer: whether it succeeded, and how to
/// answer its caller once the batch's fate is known.
pub(crate) struct Completion {
    ok: bool,
    deliver: Deliver,
}

/// A queued write.
pub(crate) type Job = Box<dyn for<'a> FnOnce(Db<'a>) -> BoxFuture<'a, Completion> + Send>;

/// Wraps a typed write closure into a [`Job`] and the receiver of its answer.
pub(crate) fn job<T, E, F>(f: F) -> (Job, oneshot::Receiver<Result<T, E>>)
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
                deliver: Box::new(move |commit_error| {
                    let answer = match (result, commit_error) {
                        (Ok(_), Some(e)) => Err(E::from(StoreError::CommitFailed(e.to_string()))),
                        (r, _) => r,
                    };
                    let _ = tx.send(answer);
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

/// Starts the writer task; it ends when every sender is gone.
pub(crate) fn spawn_writer(
    pool: AnyPool,
    backend: Backend,
    max_batch: usize,
    stats: Arc<GroupCommitStats>,
) -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel::<Job>(max_batch.max(1) * 16);
    tokio::spawn(writer(pool, backend, rx, max_batch.max(1), stats));
    tx
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

/// Runs one write on `conn`. `None` when it panicked (logged): a panicked write has no
/// completion, its caller sees the channel close; the caller rolls its work back.
async fn run_job(job: Job, conn: &mut AnyConnection, backend: Backend) -> Option<Completion> {
    let run = AssertUnwindSafe(job(Db { conn, backend }))
        .catch_unwind()
        .await;
    if run.is_err() {
        tracing::error!("a write panicked; it is rolled back alone");
    }
    run.ok()
}

async fn writer(
    pool: AnyPool,
    backend: Backend,
    mut rx: mpsc::Receiver<Job>,
    max_batch: usize,
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
    // Reused from batch to batch.
    let mut batch: Vec<Job> = Vec::new();
    let mut done: Vec<Completion> = Vec::new();
    loop {
        let first = tokio::select! {
            biased;
            job = rx.recv() => match job {
                Some(job) => job,
                None => break,
            },
            _ = &mut closed, if kept.conn.is_some() => {
                kept.conn = None;
                continue;
            }
        };
        batch.push(first);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
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
                    Some(c) if c.ok => done.push(c),
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
                        Some(c) if c.ok => {
                            if i < last {
                                exec(
                                    &mut tx,
                                    "RELEASE SAVEPOINT ipamd_write; SAVEPOINT ipamd_write",
                                )
                                .await?;
                            }
                            done.push(c);
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
            Ok(()) => done.drain(..).for_each(|c| (c.deliver)(None)),
            Err(e) => {
                tracing::warn!(error = %e, size, "group commit failed; every write of the batch failed");
                done.drain(..).for_each(|c| (c.deliver)(Some(&e)));
            }
        }
        // Jobs never run because the batch broke early are dropped: their callers see a
        // closed channel, reported as a failed write.
        batch.clear();
    }
}
