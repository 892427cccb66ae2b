//! Group commit (issue: "never acknowledges an operation whose rows are not committed, and
//! isolates a failing operation from its batch"), on SQLite and PostgreSQL.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ipam_model::{NewDhcpServer, RecordId};
use ipam_store::{Store, StoreError, StoreOptions, UniqueConstraint};
use ipam_testkit::{counts, each_store};

fn named(name: &str) -> NewDhcpServer {
    NewDhcpServer {
        name: name.into(),
        address: "10.0.0.1".parse().unwrap(),
        description: None,
    }
}

/// Registers the server `name` through the group-commit writer.
async fn register(store: &Store, name: &'static str) -> Result<(), StoreError> {
    store
        .write(move |mut db| Box::pin(async move { db.insert_server(&named(name)).await }))
        .await
        .map(drop)
}

/// Registers the servers `a` and `b` in one write; their RecordIds.
async fn two_servers(store: &Store, a: &'static str, b: &'static str) -> (RecordId, RecordId) {
    store
        .write(move |mut db| {
            Box::pin(async move {
                let a = db.insert_server(&named(a)).await?.record_id;
                let b = db.insert_server(&named(b)).await?.record_id;
                Ok::<_, StoreError>((a, b))
            })
        })
        .await
        .unwrap()
}

/// A second, independent store on the same data, without group commit: it sees only what
/// is committed.
async fn observer(url: &str) -> Store {
    Store::open_with(StoreOptions {
        group_commit: false,
        max_connections: 2,
        ..StoreOptions::new(url)
    })
    .await
    .unwrap()
}

/// A second store on the same data whose group commit runs `lanes` batches side by side
/// (PostgreSQL; SQLite always has one).
async fn with_lanes(url: &str, lanes: usize) -> Store {
    Store::open_with(StoreOptions {
        writer_lanes: lanes,
        ..StoreOptions::new(url)
    })
    .await
    .unwrap()
}

/// Holds the writer for a moment so the next writes queue up into one batch.
fn block_writer(store: &Store) -> tokio::task::JoinHandle<()> {
    block_writer_for(store, Duration::from_millis(300))
}

/// Holds a writer lane for `hold`.
fn block_writer_for(store: &Store, hold: Duration) -> tokio::task::JoinHandle<()> {
    let store = store.clone();
    tokio::spawn(async move {
        store
            .write(move |_db| {
                Box::pin(async move {
                    tokio::time::sleep(hold).await;
                    Ok::<_, StoreError>(())
                })
            })
            .await
            .unwrap();
    })
}

each_store!(
    a_failing_write_fails_alone_and_acknowledged_writes_are_committed,
    |ts| {
        let store = &ts.store;
        register(store, "taken").await.unwrap();
        let watcher = observer(&ts.url).await;
        let before = store.group_commit_stats().batches.load(Ordering::Relaxed);
        let blocker = block_writer(store);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let tasks: Vec<_> = (0..30)
            .map(|i| {
                let store = store.clone();
                let watcher = watcher.clone();
                tokio::spawn(async move {
                    let name = if i % 3 == 0 {
                        "taken".to_string()
                    } else {
                        format!("s{i}")
                    };
                    let n = name.clone();
                    let r = store
                        .write(move |mut db| {
                            Box::pin(async move { db.insert_server(&named(&n)).await })
                        })
                        .await;
                    if r.is_ok() {
                        // Acknowledged means committed: an independent connection sees it now.
                        let seen = watcher
                            .conn()
                            .await
                            .unwrap()
                            .db()
                            .find_server_by_name(&name)
                            .await
                            .unwrap();
                        assert!(
                            seen.is_some(),
                            "{name} was acknowledged before it was committed"
                        );
                    }
                    (i, r)
                })
            })
            .collect();
        blocker.await.unwrap();
        for t in tasks {
            let (i, r) = t.await.unwrap();
            if i % 3 == 0 {
                assert!(
                    matches!(
                        r,
                        Err(StoreError::UniqueViolation {
                            constraint: UniqueConstraint::ServerName,
                            ..
                        })
                    ),
                    "write {i}: {r:?}"
                );
            } else {
                r.unwrap_or_else(|e| panic!("write {i} failed with its batch-mate: {e}"));
            }
        }
        assert_eq!(counts(&watcher).await[0], 1 + 20);
        let batches = store.group_commit_stats().batches.load(Ordering::Relaxed) - before;
        assert!(
            batches < 31,
            "30 queued writes and the blocker shared commits ({batches} batches)"
        );
    }
);

each_store!(a_failed_commit_acknowledges_nothing_of_its_batch, |ts| {
    let store = &ts.store;
    if ts.engine == "postgres" {
        // A deferred constraint that fails at COMMIT for a server named 'poison'.
        ipam_testkit::execute(
            &ts.url,
            &[
                "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'poisoned commit'; END $$",
                "CREATE CONSTRAINT TRIGGER poison AFTER INSERT ON adm_dhcp_servers DEFERRABLE INITIALLY DEFERRED \
                 FOR EACH ROW WHEN (NEW.name = 'poison') EXECUTE FUNCTION poison()",
            ],
        )
        .await;
    }
    let engine = ts.engine;
    let blocker = block_writer(store);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut tasks = Vec::new();
    for i in 0..10 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .write(move |mut db| {
                    Box::pin(async move { db.insert_server(&named(&format!("ok{i}"))).await })
                })
                .await
        }));
    }
    let poison = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .write(move |mut db| {
                    Box::pin(async move {
                        if engine == "sqlite" {
                            // Foreign keys checked at COMMIT; the dangling link fails it.
                            db.execute_unchecked("PRAGMA defer_foreign_keys = ON").await?;
                            db.execute_unchecked(
                                "INSERT INTO adm_dhcp_scope_failovers (failover_relation_id, scope_id) VALUES (999999, 999999)",
                            )
                            .await?;
                        } else {
                            db.insert_server(&named("poison")).await?;
                        }
                        Ok::<_, StoreError>(())
                    })
                })
                .await
        })
    };
    blocker.await.unwrap();
    let mut failed = 0;
    for t in tasks {
        match t.await.unwrap() {
            Err(StoreError::CommitFailed(_)) => failed += 1,
            Ok(_) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert!(matches!(
        poison.await.unwrap(),
        Err(StoreError::CommitFailed(_))
    ));
    let watcher = observer(&ts.url).await;
    let stored = counts(&watcher).await[0];
    assert_eq!(
        stored,
        10 - failed,
        "exactly the acknowledged writes are stored"
    );
    assert!(
        failed > 0,
        "the batch-mates of the failed commit were not acknowledged"
    );
});

each_store!(
    closing_the_store_does_not_wait_for_the_writers_connection,
    |ts| {
        let lanes = with_lanes(&ts.url, 4).await;
        for (store, names) in [
            (&lanes, ["a", "b", "c", "d"]),
            (&ts.store, ["e", "f", "g", "h"]),
        ] {
            futures::future::join_all(names.map(|name| register(store, name)))
                .await
                .into_iter()
                .for_each(Result::unwrap);
            tokio::time::timeout(Duration::from_secs(10), store.close())
                .await
                .expect("the pool closes although the writers kept a connection between batches");
        }
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_connection_pool_serves_reads_between_writes() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    for name in ["a", "b", "c"] {
        register(&store, name).await.unwrap();
        let read = tokio::time::timeout(Duration::from_secs(10), counts(&store));
        assert!(
            read.await.is_ok(),
            "a read waits for no connection the writer keeps"
        );
    }
    assert_eq!(counts(&store).await[0], 3);
}

each_store!(
    failures_next_to_each_other_and_last_in_a_batch_fail_alone,
    |ts| {
        let store = &ts.store;
        register(store, "taken").await.unwrap();
        let before = store.group_commit_stats().batches.load(Ordering::Relaxed);
        let blocker = block_writer(store);
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Polled in order, so queued in order, into the batch after the blocker's.
        let names = ["w1", "taken", "taken", "w2", "taken"];
        let results = futures::future::join_all(names.map(|name| register(store, name))).await;
        blocker.await.unwrap();
        for (name, r) in names.iter().zip(&results) {
            assert_eq!(r.is_ok(), *name != "taken", "{name}: {r:?}");
        }
        assert_eq!(counts(store).await[0], 3);
        let batches = store.group_commit_stats().batches.load(Ordering::Relaxed) - before;
        assert_eq!(
            batches, 2,
            "the blocker's batch, then the five writes in one"
        );
    }
);

each_store!(a_blocked_lane_holds_up_no_other_write, |ts| {
    if ts.engine == "sqlite" {
        // One writer at a time on SQLite: one lane, and the batch tests above.
        return;
    }
    let store = &with_lanes(&ts.url, 2).await;
    // Long enough that a write held up by it cannot be mistaken for a slow machine.
    let blocker = block_writer_for(store, Duration::from_secs(3));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let write = tokio::time::timeout(Duration::from_secs(2), register(store, "beside"));
    write
        .await
        .expect("a write waited for another lane's batch")
        .unwrap();
    assert!(
        !blocker.is_finished(),
        "the blocker's batch was still running"
    );
    blocker.await.unwrap();
});

/// Two writes that lock servers `a` then `b` and the other way round, meeting half-way on
/// their first run, then insert a server each: how many times each ran, and their results.
/// Without group commit they deadlock (PostgreSQL fails one after its `deadlock_timeout`);
/// on two lanes the second lane's write gives up its lock wait after 20 ms. Either way one
/// write fails on a conflict and must run again.
async fn crossing_writes(
    store: &Store,
    a: i64,
    b: i64,
) -> ([usize; 2], [Result<(), StoreError>; 2]) {
    let meet = Arc::new(tokio::sync::Barrier::new(2));
    let runs: [Arc<AtomicUsize>; 2] = Default::default();
    let write = |first: i64, second: i64, name: &'static str, runs: Arc<AtomicUsize>| {
        let meet = meet.clone();
        let store = store.clone();
        async move {
            store
                .write(move |mut db| {
                    Box::pin(async move {
                        db.lock_servers(&[first]).await?;
                        if runs.fetch_add(1, Ordering::SeqCst) == 0 {
                            meet.wait().await;
                        }
                        db.lock_servers(&[second]).await?;
                        db.insert_server(&named(name)).await.map(drop)
                    })
                })
                .await
        }
    };
    let results = futures::future::join(
        tokio::spawn(write(a, b, "after-a-b", runs[0].clone())),
        tokio::spawn(write(b, a, "after-b-a", runs[1].clone())),
    )
    .await;
    (
        runs.map(|r| r.load(Ordering::SeqCst)),
        [results.0.unwrap(), results.1.unwrap()],
    )
}

each_store!(a_write_that_loses_a_deadlock_runs_again, |ts| {
    if ts.engine == "sqlite" {
        // SQLite writers never wait for each other's row locks: no deadlock to lose.
        return;
    }
    let no_group = Store::open_with(StoreOptions {
        group_commit: false,
        ..StoreOptions::new(&ts.url)
    })
    .await
    .unwrap();
    // Two lanes, so that the crossing writes run in two batches at once.
    let lanes = with_lanes(&ts.url, 2).await;
    for (mode, store) in [
        ("group commit, two lanes", &lanes),
        ("no group commit", &no_group),
    ] {
        let (a, b) = two_servers(store, "lock-a", "lock-b").await;
        let (runs, results) = crossing_writes(store, a, b).await;
        for r in &results {
            r.as_ref()
                .unwrap_or_else(|e| panic!("{mode}: the deadlock's loser was not run again: {e}"));
        }
        assert_eq!(
            runs.iter().sum::<usize>(),
            3,
            "{mode}: one write ran twice ({runs:?})"
        );
        // The loser's first run left nothing behind.
        assert_eq!(counts(store).await[0], 4, "{mode}");
        store
            .write(move |mut db| {
                Box::pin(async move {
                    for name in ["lock-a", "lock-b", "after-a-b", "after-b-a"] {
                        let s = db.find_server_by_name(name).await?.expect(name);
                        db.delete_server(s.record_id).await?;
                    }
                    Ok::<_, StoreError>(())
                })
            })
            .await
            .unwrap();
    }
    no_group.close().await;
    lanes.close().await;
});

each_store!(
    lanes_under_contention_neither_fail_nor_wait_for_the_deadlock_detector,
    |ts| {
        if ts.engine == "sqlite" {
            return;
        }
        // 300 writes, each locking two of 8 servers (the create's server-row locks), on
        // four lanes: batches of different lanes want the same rows in different orders.
        let store = &with_lanes(&ts.url, 4).await;
        let servers = store
            .write(|mut db| {
                Box::pin(async move {
                    let mut ids = Vec::new();
                    for i in 0..8 {
                        ids.push(
                            db.insert_server(&named(&format!("hot{i}")))
                                .await?
                                .record_id,
                        );
                    }
                    Ok::<_, StoreError>(ids)
                })
            })
            .await
            .unwrap();
        let writes = (0..300usize).map(|i| {
            let store = store.clone();
            let pair = [servers[i % 8], servers[(i * 5 + 3) % 8]];
            tokio::spawn(async move {
                store
                    .write(move |mut db| {
                        Box::pin(async move {
                            db.lock_servers(&pair).await?;
                            db.insert_server(&named(&format!("w{i}"))).await.map(drop)
                        })
                    })
                    .await
            })
        });
        let all = futures::future::join_all(writes);
        // PostgreSQL's deadlock detector waits a second per deadlock; lanes that yield a
        // contended lock after 20 ms never get there.
        let results = tokio::time::timeout(Duration::from_secs(20), all)
            .await
            .expect("300 contended writes on four lanes took more than 20 s");
        for r in results {
            r.unwrap().unwrap();
        }
        assert_eq!(counts(store).await[0], 8 + 300);
    }
);

each_store!(
    writes_that_begin_with_a_create_s_facts_are_rolled_back_alone,
    |ts| {
        // A create reads its facts first; on SQLite the write's savepoint is set in the
        // same call as that read. In one batch: writes that read the facts, write a row,
        // then succeed or fail, and writes that fail before any statement; each failing
        // write leaves nothing, each other one is committed.
        let store = &ts.store;
        let (a, b) = two_servers(store, "a", "b").await;
        let before = store.group_commit_stats().batches.load(Ordering::Relaxed);
        let blocker = block_writer(store);
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Of every four writes: one with a name of its own, then one that fails before
        // running a statement (nothing of it to roll back: rolling back to the savepoint's
        // name would undo the write before it), then two with the same name (in whatever
        // order they run, one succeeds and the other fails on the unique key after
        // writing a row).
        let tasks: Vec<_> = (0..12usize)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let r = store
                        .write(move |mut db| {
                            Box::pin(async move {
                                let name = match i % 4 {
                                    0 => format!("own{i}"),
                                    1 => return Err(StoreError::Config(format!("refused {i}"))),
                                    _ => format!("pair{}", i / 4),
                                };
                                let facts = db.failover_create_facts(&name, a, b, &[]).await?;
                                assert_eq!(facts.servers.len(), 2);
                                db.insert_server(&named(&format!("extra{i}"))).await?;
                                let f = ipam_testkit::failover(&name, a, b);
                                db.insert_failover_with_links(&f, &[]).await.map(drop)
                            })
                        })
                        .await;
                    (i, r)
                })
            })
            .collect();
        blocker.await.unwrap();
        let mut ok = [false; 12];
        for t in tasks {
            let (i, r) = t.await.unwrap();
            ok[i] = r.is_ok();
            match (i % 4, r) {
                (1, r) => assert!(matches!(r, Err(StoreError::Config(_))), "write {i}: {r:?}"),
                (0, r) => r.unwrap_or_else(|e| panic!("write {i} failed with its batch-mate: {e}")),
                (_, Ok(())) => {}
                (_, r) => assert!(
                    matches!(
                        r,
                        Err(StoreError::UniqueViolation {
                            constraint: UniqueConstraint::FailoverRelation,
                            ..
                        })
                    ),
                    "write {i}: {r:?}"
                ),
            }
        }
        for pair in 0..3 {
            assert!(
                ok[pair * 4 + 2] != ok[pair * 4 + 3],
                "exactly one of writes {} and {} succeeds",
                pair * 4 + 2,
                pair * 4 + 3
            );
        }
        let batches = store.group_commit_stats().batches.load(Ordering::Relaxed) - before;
        assert!(
            batches < 12,
            "the writes shared commits ({batches} batches)"
        );
        // Servers: a, b and one extra per committed write; relationships: one each.
        let committed = ok.iter().filter(|&&o| o).count() as i64;
        assert_eq!(committed, 6);
        assert_eq!(counts(store).await[..3], [2 + committed, 0, committed]);
        let mut conn = store.conn().await.unwrap();
        for (i, ok) in ok.iter().enumerate() {
            let extra = conn
                .db()
                .find_server_by_name(&format!("extra{i}"))
                .await
                .unwrap();
            assert_eq!(extra.is_some(), *ok, "extra{i}");
        }
    }
);
