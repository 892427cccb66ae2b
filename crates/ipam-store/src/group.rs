//! Group commit: concurrent writes share one transaction and one durable commit.
//!
//! A writer task (a *lane*) takes the writes queued while it was busy (up to `max_batch`,
//! and its share of them when there are several lanes), runs each in its own SAVEPOINT
//! inside one transaction (a write alone in its batch in the bare transaction), and
//! commits once. SQLite has one lane (it has one writer at a time anyway); PostgreSQL one
//! by default, or several (`StoreOptions::writer_lanes`), each on its own connection, so
//! that batches run side by side. A write that fails on a conflict with another
//! transaction is answered with [`Answer::retry`], and runs again on the first lane.
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

use crate::db::Before;
use crate::{Backend, Db, StoreError};

/// Answers a write's caller, given the commit error if the batch's commit failed and
/// whether the write lost a conflict with another transaction (see [`Answer::retry`]).
type Deliver = Box<dyn FnOnce(Option<&StoreError>, bool) + Send>;

/// What a finished write hands back to the writer: whether it succeeded, whether it
/// failed on a conflict with another transaction, and how to answer its caller once the
/// batch's fate is known.
pub(crate) struct Completion {
    ok: bool,
    conflict: bool,
    deliver: Deliver,
}

/// A write's answer.
pub(crate) struct Answer<T, E> {
    pub(crate) result: Result<T, E>,
    /// The write failed on a conflict with another transaction (a deadlock or serialization
    /// conflict PostgreSQL broke, or a lock wait its lane gave up): run again, it may
    /// succeed.
    pub(crate) retry: bool,
}

tokio::task_local! {
    /// Set when a statement of the running write failed on a conflict with another
    /// transaction ([`note_conflict`]).
    static CONFLICT: std::cell::Cell<bool>;
}

/// Records that a statement failed on a conflict with another transaction (SQLSTATE
/// `40P01` deadlock, `40001` serialization failure, `55P03` lock wait past
/// [`LANE_LOCK_TIMEOUT_MS`]), for the write running it, if any.
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
                conflict: false,
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

/// The queues of the writer lanes.
#[derive(Clone)]
pub(crate) struct Queues {
    /// New writes, for every lane.
    jobs: mpsc::Sender<Job>,
    /// Writes that lost a conflict, for the first lane only: it waits for locks as long as
    /// it takes, so a write that runs there again is not turned away again.
    retries: mpsc::UnboundedSender<Job>,
}

impl Queues {
    /// Queues a write (`retry`: one that lost a conflict); `false` when the store is closed.
    pub(crate) async fn send(&self, job: Job, retry: bool) -> bool {
        if retry {
            self.retries.send(job).is_ok()
        } else {
            self.jobs.send(job).await.is_ok()
        }
    }
}

/// How long a statement of a lane other than the first may wait for a lock (PostgreSQL's
/// `lock_timeout`) before its write is rolled back and handed to the first lane. Two lanes
/// holding what the other wants would otherwise wait for PostgreSQL's deadlock detector
/// (`deadlock_timeout`, 1 s by default).
pub(crate) const LANE_LOCK_TIMEOUT_MS: u32 = 20;

/// Starts `lanes` writer tasks on one queue; they end when every sender is gone.
pub(crate) fn spawn_writer(
    pool: AnyPool,
    backend: Backend,
    max_batch: usize,
    lanes: usize,
    stats: Arc<GroupCommitStats>,
) -> Queues {
    let (jobs, rx) = mpsc::channel::<Job>(max_batch.max(1) * 16);
    let (retries, retry_rx) = mpsc::unbounded_channel::<Job>();
    let mut retry_rx = Some(retry_rx);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let lanes = lanes.max(1);
    for lane in 0..lanes {
        let lane = Lane {
            max_batch: max_batch.max(1),
            lanes,
            retries: if lane == 0 { retry_rx.take() } else { None },
        };
        tokio::spawn(writer(
            pool.clone(),
            backend,
            rx.clone(),
            lane,
            stats.clone(),
        ));
    }
    Queues { jobs, retries }
}

/// Adds to `batch` the queued writes up to `max_batch` and this lane's share of the queue.
fn take_share(
    rx: &mut mpsc::Receiver<Job>,
    mut batch: Vec<Job>,
    max_batch: usize,
    lanes: usize,
) -> Vec<Job> {
    let share = (rx.len() + batch.len()).div_ceil(lanes).min(max_batch);
    while batch.len() < share {
        match rx.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    batch
}

/// One writer lane.
struct Lane {
    max_batch: usize,
    /// How many lanes share the queue.
    lanes: usize,
    /// The first lane's queue of writes that lost a conflict; `None` on the others, which
    /// wait for a lock at most [`LANE_LOCK_TIMEOUT_MS`] when there are several lanes.
    retries: Option<mpsc::UnboundedReceiver<Job>>,
}

impl Lane {
    /// Waits for the next write, then takes the writes queued behind it: up to
    /// `max_batch`, and, when there are several lanes, this lane's share of what is queued
    /// (the others take the rest and run it side by side). The first lane takes the writes
    /// that lost a conflict first, and then new ones only if no other lane is waiting on
    /// the queue.
    async fn next_batch(
        &mut self,
        rx: &tokio::sync::Mutex<mpsc::Receiver<Job>>,
    ) -> Option<Vec<Job>> {
        let (max_batch, lanes) = (self.max_batch, self.lanes);
        let from_queue = async {
            let mut rx = rx.lock().await;
            let first = rx.recv().await?;
            Some(take_share(&mut rx, vec![first], max_batch, lanes))
        };
        let Some(retries) = &mut self.retries else {
            return from_queue.await;
        };
        let mut batch = Vec::new();
        while batch.len() < max_batch {
            match retries.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if batch.is_empty() {
            tokio::select! {
                biased;
                Some(job) = retries.recv() => batch.push(job),
                // Also when the retry queue is closed: the store is going away.
                jobs = from_queue => return jobs,
            }
        }
        match rx.try_lock() {
            Ok(mut rx) => Some(take_share(&mut rx, batch, max_batch, lanes)),
            Err(_) => Some(batch),
        }
    }

    /// Whether this lane's statements wait for locks at most [`LANE_LOCK_TIMEOUT_MS`].
    fn yields(&self) -> bool {
        self.lanes > 1 && self.retries.is_none()
    }
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
async fn run_job(
    job: Job,
    conn: &mut AnyConnection,
    backend: Backend,
    before: Option<&mut Before>,
) -> Option<Completion> {
    let db = match before {
        Some(before) => Db::with_before(conn, backend, before),
        None => Db::new(conn, backend),
    };
    let (run, conflict) = watch_conflicts(AssertUnwindSafe(job(db)).catch_unwind()).await;
    if run.is_err() {
        tracing::error!("a write panicked; it is rolled back alone");
    }
    run.ok().map(|c| Completion {
        conflict: conflict && !c.ok,
        ..c
    })
}

async fn writer(
    pool: AnyPool,
    backend: Backend,
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Job>>>,
    mut lane: Lane,
    stats: Arc<GroupCommitStats>,
) {
    let set_lock_timeout = (backend == Backend::Postgres && lane.yields())
        .then(|| format!("SET LOCAL lock_timeout = {LANE_LOCK_TIMEOUT_MS}"));
    let mut kept = Kept {
        conn: None,
        last_used: Instant::now(),
        keep: pool.options().get_max_connections() > 1,
    };
    // Closing the pool waits for every connection: the kept one goes back at once.
    let closed = pool.close_event();
    tokio::pin!(closed);
    let mut done: Vec<Completion> = Vec::new();
    loop {
        let mut batch = tokio::select! {
            biased;
            batch = lane.next_batch(&rx) => match batch {
                Some(batch) => batch,
                None => break,
            },
            _ = &mut closed, if kept.conn.is_some() => {
                kept.conn = None;
                continue;
            }
        };
        let size = batch.len();
        if size == 0 {
            continue;
        }
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.writes.fetch_add(size as u64, Ordering::Relaxed);
        let outcome: Result<(), StoreError> = async {
            let mut tx = kept
                .get(&pool, backend)
                .await?
                .begin_with(backend.begin_write())
                .await?;
            if let Some(sql) = &set_lock_timeout {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.as_str()))
                    .execute(&mut *tx)
                    .await?;
            }
            if batch.len() == 1 {
                // A write alone in its batch needs no savepoint: the transaction is its own.
                let job = batch.pop().expect("one job");
                match run_job(job, &mut tx, backend, None).await {
                    Some(c) if c.ok => done.push(c),
                    other => {
                        tx.rollback().await?;
                        done.extend(other);
                        return Ok(());
                    }
                }
            } else {
                // Each write runs after a savepoint of its own, which also releases the one
                // before; the store sets it with the write's first statement, in the same
                // call where it can ([`Before`]). A write that fails after its savepoint is
                // rolled back to it; one that failed before running a statement has nothing
                // to roll back. COMMIT releases the last savepoint.
                let mut open = false;
                for job in batch.drain(..) {
                    let mut before = Before::Due(if open {
                        "RELEASE SAVEPOINT ipamd_write; SAVEPOINT ipamd_write"
                    } else {
                        "SAVEPOINT ipamd_write"
                    });
                    let completion = run_job(job, &mut tx, backend, Some(&mut before)).await;
                    let failed = !completion.as_ref().is_some_and(|c| c.ok);
                    done.extend(completion);
                    match before {
                        Before::Ran => open = true,
                        Before::Due(_) => {}
                        // The savepoint to roll back to may be the write before's.
                        Before::Unknown => return Err(StoreError::CommitFailed(
                            "a write failed without telling whether its savepoint was set; its batch is rolled back".into(),
                        )),
                    }
                    if failed && before == Before::Ran {
                        exec(&mut tx, "ROLLBACK TO SAVEPOINT ipamd_write").await?;
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
            Ok(()) => done.drain(..).for_each(|c| (c.deliver)(None, c.conflict)),
            Err(e) => {
                tracing::warn!(error = %e, size, "group commit failed; every write of the batch failed");
                done.drain(..).for_each(|c| (c.deliver)(Some(&e), false));
            }
        }
        // Jobs never run because the batch broke early are dropped: their callers see a
        // closed channel, reported as a failed write.
    }
}
