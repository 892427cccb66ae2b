//! The ipamd store: the abstract data model of [MS-IPAMM2] §3.1.1.1 (DHCPv4 servers,
//! scopes, failover relationships and their scope links) as SQL, over two engines:
//! SQLite (embedded, the default) and PostgreSQL (selected by URL, for multi-node use).
//!
//! Reads go through [`Store::conn`]; every change goes through [`Store::write`], which runs
//! a closure inside one transaction: all of it commits, or none of it does.

mod db;
mod error;
mod group;
pub mod inventory;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Connection, Executor};
use tokio::sync::Mutex;

pub use db::{CreateFacts, Db, ONE_CALL_MAX_SCOPES, ScopeConflicts, ScopePlacement, ServerLoad};
pub use error::{Entity, StoreError, UniqueConstraint};
pub use group::GroupCommitStats;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How many times a write that lost a conflict with another transaction runs again.
pub const CONFLICT_RETRIES: usize = 5;

/// A pooled PostgreSQL connection idle for this long is pinged before it is used again.
pub(crate) const PING_IF_IDLE_FOR: Duration = Duration::from_millis(500);

/// The database engine behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite, WAL journal, synchronous=FULL: every commit is durable.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// The statement that opens a write transaction: SQLite takes the write lock at once
    /// (`IMMEDIATE`), so a transaction never fails half-way for want of it.
    pub(crate) fn begin_write(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }
}

/// How a transaction ends when its closure succeeds.
#[derive(Clone, Copy)]
enum Finish {
    Commit,
    RollBack,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// How a store is opened.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `sqlite://PATH` (or a bare path), `sqlite::memory:`, or `postgres://…`.
    pub url: String,
    /// Most pooled connections.
    pub max_connections: u32,
    /// SQLite only: fsync every commit (`synchronous=FULL`). Off means `NORMAL`: still
    /// atomic and consistent, but the last commits may be lost on power failure.
    pub durable: bool,
    /// Share one transaction and one durable commit among concurrent writes (each in its
    /// own savepoint, each failing alone). On by default.
    pub group_commit: bool,
    /// Most writes in one group commit.
    pub max_batch: usize,
    /// PostgreSQL: group-commit writers running batches side by side, each on its own
    /// connection (default 1). More lanes commit more changes a second when concurrent
    /// changes touch different rows. When they lock the same rows (partner servers), a
    /// lane other than the first waits at most 20 ms for a lock, then rolls that write back
    /// and hands it to the first lane, which waits as long as it takes: lanes never wait
    /// for PostgreSQL's deadlock detector on each other's account, but contended changes
    /// are slower than on one lane. SQLite always has one (it has one writer at a time).
    pub writer_lanes: usize,
}

impl StoreOptions {
    /// Defaults for `url`: 8 connections, durable commits.
    pub fn new(url: impl Into<String>) -> Self {
        StoreOptions {
            url: url.into(),
            max_connections: 8,
            durable: true,
            group_commit: true,
            max_batch: 256,
            writer_lanes: 1,
        }
    }
}

/// The store: a connection pool and its engine. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time; writers queue here instead of spinning on
    /// `SQLITE_BUSY`. (PostgreSQL writers run concurrently and lock rows.)
    write_gate: Arc<Mutex<()>>,
    /// The group-commit writers' queues, when group commit is on.
    writer: Option<group::Queues>,
    stats: Arc<GroupCommitStats>,
}

/// Normalises a database URL: a bare path or `sqlite:PATH` becomes `sqlite://PATH?mode=rwc`.
pub fn normalize_url(url: &str) -> Result<(Backend, String), StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_owned()));
    }
    if url == "sqlite::memory:" || url == "sqlite://:memory:" {
        return Ok((Backend::Sqlite, "sqlite::memory:".to_owned()));
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if path.is_empty() {
        return Err(StoreError::Config(
            "the SQLite database URL names no file".into(),
        ));
    }
    if path.contains("://") {
        return Err(StoreError::Config(format!(
            "unsupported database URL '{url}': use sqlite://PATH or postgres://USER@HOST:PORT/DB"
        )));
    }
    let sep = if path.contains('?') { '&' } else { '?' };
    let opts = if path.contains("mode=") {
        String::new()
    } else {
        format!("{sep}mode=rwc")
    };
    Ok((Backend::Sqlite, format!("sqlite://{path}{opts}")))
}

impl Store {
    /// Opens (creating if needed) the store at `url` and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_with(StoreOptions::new(url)).await
    }

    /// Opens the store with explicit options.
    pub async fn open_with(opts: StoreOptions) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = normalize_url(&opts.url)?;
        let connect = AnyConnectOptions::from_str(&url)
            .map_err(|e| StoreError::Config(format!("bad database URL: {e}")))?;
        let durable = opts.durable;
        // sqlx pings every pooled connection before handing it out: one more round trip
        // (a hop to SQLite's worker thread, a network round trip to PostgreSQL) before
        // every transaction and read. An SQLite connection is a handle on a local file and
        // cannot go stale, so it is never pinged; a PostgreSQL connection is pinged only
        // when it has been idle for a while (a busy one proves itself alive every time).
        let mut pool = AnyPoolOptions::new()
            .max_connections(opts.max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false);
        if backend == Backend::Postgres {
            pool = pool.before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IF_IDLE_FOR {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            });
        }
        if backend == Backend::Sqlite {
            pool = pool.after_connect(move |conn, _| {
                Box::pin(async move {
                    let sync = if durable { "FULL" } else { "NORMAL" };
                    conn.execute(sqlx::AssertSqlSafe(format!(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync}; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000;"
                    )))
                    .await?;
                    Ok(())
                })
            });
            if url == "sqlite::memory:" {
                // Every in-memory connection would be its own database.
                pool = pool.max_connections(1);
            }
        }
        let pool = pool.connect_with(connect).await.map_err(|e| {
            StoreError::Config(format!(
                "cannot open the {backend} database at {}: {e}",
                redact(&opts.url)
            ))
        })?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&pool)
            .await
            .map_err(|e| StoreError::Config(format!("cannot bring the schema up to date: {e}")))?;
        tracing::info!(%backend, url = %redact(&opts.url), "store open");
        let stats = Arc::new(GroupCommitStats::default());
        let lanes = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => opts.writer_lanes.max(1),
        };
        let writer = opts.group_commit.then(|| {
            group::spawn_writer(pool.clone(), backend, opts.max_batch, lanes, stats.clone())
        });
        Ok(Store {
            pool,
            backend,
            write_gate: Arc::new(Mutex::new(())),
            writer,
            stats,
        })
    }

    /// Group-commit counters (zero when group commit is off).
    pub fn group_commit_stats(&self) -> &GroupCommitStats {
        &self.stats
    }

    /// The engine.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A pooled connection for reads (autocommit).
    pub async fn conn(&self) -> Result<Conn, StoreError> {
        Ok(Conn {
            conn: self.pool.acquire().await?,
            backend: self.backend,
        })
    }

    /// Runs `f` in one transaction and commits it; on any error, rolls everything back.
    ///
    /// The transaction runs on its own task: if the caller stops waiting, the change still
    /// commits or rolls back as a whole, never half-written. With group commit (the
    /// default) concurrent writes share one commit, each in its own savepoint; `write`
    /// returns only after that commit, and a failing write fails alone.
    ///
    /// A write that fails on a conflict with another transaction (PostgreSQL broke a
    /// deadlock or a serialization conflict with it, or its lane gave up a lock wait) is
    /// rolled back and run again (a fresh clone of `f`), up to [`CONFLICT_RETRIES`] times;
    /// after that its error is returned.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'a> FnOnce(Db<'a>) -> BoxFuture<'a, Result<T, E>> + Clone + Send + 'static,
    {
        let Some(writer) = &self.writer else {
            return self.spawn_transaction(f, Finish::Commit).await;
        };
        let mut retries = 0;
        loop {
            let (job, answer) = group::job(f.clone());
            if !writer.send(job, retries > 0).await {
                return Err(E::from(StoreError::Config("the store is closed".into())));
            }
            match answer.await {
                Ok(a) if a.retry && retries < CONFLICT_RETRIES => {
                    retries += 1;
                    tracing::debug!(retries, "a write lost a conflict; it runs again");
                }
                Ok(a) => return a.result,
                Err(_) => {
                    return Err(E::from(StoreError::CommitFailed(
                        "the write was abandoned (it panicked or its batch could not start)".into(),
                    )));
                }
            }
        }
    }

    /// Runs `f` in a transaction that is always rolled back: what a write would do now,
    /// without doing it (the JSON API checks a change this way before accepting it).
    pub async fn rehearse<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'a> FnOnce(Db<'a>) -> BoxFuture<'a, Result<T, E>> + Clone + Send + 'static,
    {
        self.spawn_transaction(f, Finish::RollBack).await
    }

    /// Runs one transaction on its own task, so that a caller who stops waiting cannot
    /// leave it half-done; one that loses a conflict runs again, as in [`Store::write`].
    async fn spawn_transaction<T, E, F>(&self, f: F, finish: Finish) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'a> FnOnce(Db<'a>) -> BoxFuture<'a, Result<T, E>> + Clone + Send + 'static,
    {
        let store = self.clone();
        let task = tokio::spawn(async move {
            let mut retries = 0;
            loop {
                let (result, conflict) =
                    group::watch_conflicts(store.transaction(f.clone(), finish)).await;
                if result.is_err() && conflict && retries < CONFLICT_RETRIES {
                    retries += 1;
                    tracing::debug!(retries, "a transaction lost a conflict; it runs again");
                    continue;
                }
                return result;
            }
        });
        match task.await {
            Ok(r) => r,
            Err(join) => Err(E::from(StoreError::Config(format!(
                "the transaction's task failed: {join}"
            )))),
        }
    }

    async fn transaction<T, E, F>(&self, f: F, finish: Finish) -> Result<T, E>
    where
        E: From<StoreError>,
        F: for<'a> FnOnce(Db<'a>) -> BoxFuture<'a, Result<T, E>>,
    {
        let _gate = match self.backend {
            Backend::Sqlite => Some(self.write_gate.lock().await),
            Backend::Postgres => None,
        };
        let mut tx = self
            .pool
            .begin_with(self.backend.begin_write())
            .await
            .map_err(|e| E::from(e.into()))?;
        let result = f(Db::new(&mut tx, self.backend)).await;
        match (result, finish) {
            (Ok(v), Finish::Commit) => {
                tx.commit()
                    .await
                    .map_err(|e| E::from(StoreError::from(e)))?;
                Ok(v)
            }
            (result, _) => {
                if let Err(rb) = tx.rollback().await {
                    tracing::warn!(error = %rb, "rollback failed; the connection is discarded");
                }
                result
            }
        }
    }

    /// Closes the pool after in-flight work finishes.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A pooled read connection; [`Conn::db`] gives the queries.
pub struct Conn {
    conn: PoolConnection<Any>,
    backend: Backend,
}

impl Conn {
    /// The queries, outside any explicit transaction.
    pub fn db(&mut self) -> Db<'_> {
        Db::new(&mut self.conn, self.backend)
    }
}

/// The URL without its password, for logs and errors.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalised() {
        assert_eq!(
            normalize_url("ipamd.db").unwrap(),
            (Backend::Sqlite, "sqlite://ipamd.db?mode=rwc".into())
        );
        assert_eq!(
            normalize_url("sqlite://x/y.db").unwrap().1,
            "sqlite://x/y.db?mode=rwc"
        );
        assert_eq!(
            normalize_url("postgres://u@h/db").unwrap().0,
            Backend::Postgres
        );
        assert!(normalize_url("mysql://h/db").is_err());
        assert!(normalize_url("sqlite://").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
