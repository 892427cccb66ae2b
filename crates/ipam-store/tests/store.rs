//! The store's contract, run on SQLite and on PostgreSQL from one body.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ipam_model::*;
use ipam_store::inventory::InventoryError;
use ipam_store::{Entity, ScopePlacement, Store, StoreError, UniqueConstraint};
use ipam_testkit::{counts, each_store, failover, scope, server};

async fn insert_failover(store: &Store, f: DhcpFailover) -> Result<RecordId, StoreError> {
    store
        .write(move |mut db| Box::pin(async move { db.insert_failover(&f).await }))
        .await
}

async fn two_servers(store: &Store) -> (RecordId, RecordId) {
    store
        .write(|mut db| {
            Box::pin(async move {
                let a = db.insert_server(&server(1)).await?;
                let b = db.insert_server(&server(2)).await?;
                Ok::<_, StoreError>((a.record_id, b.record_id))
            })
        })
        .await
        .unwrap()
}

each_store!(servers_can_be_registered_read_listed_and_deleted, |ts| {
    let store = &ts.store;
    let (a, b) = two_servers(store).await;
    let mut conn = store.conn().await.unwrap();
    let got = conn.db().get_server(a).await.unwrap().unwrap();
    assert_eq!(got.name, "dhcp1.test");
    assert_eq!(got.address.to_string(), "10.0.0.1");
    assert_eq!(conn.db().list_servers().await.unwrap().len(), 2);
    assert_eq!(
        conn.db()
            .find_server_by_name("DHCP2.TEST")
            .await
            .unwrap()
            .unwrap()
            .record_id,
        b
    );
    drop(conn);
    store
        .write(move |mut db| Box::pin(async move { db.delete_server(b).await }))
        .await
        .unwrap();
    assert_eq!(counts(store).await, [1, 0, 0, 0]);
    let err = store
        .write(move |mut db| Box::pin(async move { db.delete_server(b).await }))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound { entity: Entity::DhcpServer, record_id } if record_id == b),
        "{err}"
    );
});

each_store!(
    bad_servers_are_refused_naming_the_field_and_leave_the_store_unchanged,
    |ts| {
        let store = &ts.store;
        two_servers(store).await;
        let before = counts(store).await;
        let mut long = server(3);
        long.name = "x".repeat(257);
        let err = store
            .write(move |mut db| Box::pin(async move { db.insert_server(&long).await }))
            .await
            .unwrap_err();
        match &err {
            StoreError::Invalid(v) => assert_eq!(v[0].field, "name"),
            other => panic!("{other}"),
        }
        assert!(err.to_string().contains("257 characters"), "{err}");
        let mut dup = server(1);
        dup.name = "DHCP1.test".into();
        let err = store
            .write(move |mut db| Box::pin(async move { db.insert_server(&dup).await }))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::UniqueViolation {
                    constraint: UniqueConstraint::ServerName,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(counts(store).await, before);
    }
);

each_store!(scopes_can_be_registered_and_refused_precisely, |ts| {
    let store = &ts.store;
    let (a, _) = two_servers(store).await;
    let s = store
        .write(move |mut db| Box::pin(async move { db.insert_scope(&scope(a, 1)).await }))
        .await
        .unwrap();
    let mut conn = store.conn().await.unwrap();
    assert_eq!(conn.db().get_scope(s.record_id).await.unwrap().unwrap(), s);
    assert_eq!(
        conn.db().list_scopes(Some(a)).await.unwrap(),
        vec![s.clone()]
    );
    assert!(
        conn.db()
            .list_scopes(Some(a + 100))
            .await
            .unwrap()
            .is_empty()
    );
    drop(conn);

    let err = store
        .write(|mut db| Box::pin(async move { db.insert_scope(&scope(9999, 2)).await }))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                entity: Entity::DhcpServer,
                record_id: 9999
            }
        ),
        "{err}"
    );
    let err = store
        .write(move |mut db| Box::pin(async move { db.insert_scope(&scope(a, 1)).await }))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::UniqueViolation {
                constraint: UniqueConstraint::ScopeSubnet,
                ..
            }
        ),
        "{err}"
    );
    let mut bad = scope(a, 3);
    bad.end_address = "10.4.0.1".parse().unwrap();
    let err = store
        .write(move |mut db| Box::pin(async move { db.insert_scope(&bad).await }))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("EndAddress '10.4.0.1' is outside the subnet"),
        "{err}"
    );
    assert_eq!(counts(store).await, [2, 1, 0, 0]);
});

each_store!(failover_rows_keep_every_field, |ts| {
    let store = &ts.store;
    let (a, b) = two_servers(store).await;
    let mut f = failover("rel", a, b);
    f.record_id = 4242; // ignored: the store assigns ids
    f.server2_ps_name = Some("DHCP2".into());
    let id = insert_failover(store, f.clone()).await.unwrap();
    assert_ne!(id, 4242);
    let got = store
        .conn()
        .await
        .unwrap()
        .db()
        .get_failover(id)
        .await
        .unwrap()
        .unwrap();
    f.record_id = id;
    assert_eq!(got, f);
});

each_store!(duplicate_relationship_tuple_is_rejected, |ts| {
    let store = &ts.store;
    let (a, b) = two_servers(store).await;
    insert_failover(store, failover("rel", a, b)).await.unwrap();
    let err = insert_failover(store, failover("rel", a, b))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::UniqueViolation {
                constraint: UniqueConstraint::FailoverRelation,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("RelationshipName 'rel'"), "{err}");
    // Same name, other server order: a different tuple.
    insert_failover(store, failover("rel", b, a)).await.unwrap();
    assert_eq!(counts(store).await[2], 2);
});

each_store!(forty_concurrent_identical_inserts_give_one_row, |ts| {
    let store = &ts.store;
    let (a, b) = two_servers(store).await;
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { insert_failover(&store, failover("race", a, b)).await })
        })
        .collect();
    let mut ok = 0;
    let mut dup = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::UniqueViolation {
                constraint: UniqueConstraint::FailoverRelation,
                ..
            }) => dup += 1,
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    assert_eq!((ok, dup), (1, 39));
    assert_eq!(counts(store).await[2], 1);
});

each_store!(a_failover_row_blocks_deleting_its_server, |ts| {
    let store = &ts.store;
    let (a, b) = two_servers(store).await;
    let id = insert_failover(store, failover("rel", a, b)).await.unwrap();
    let err = store
        .write(move |mut db| Box::pin(async move { db.delete_server(b).await }))
        .await
        .unwrap_err();
    match &err {
        StoreError::StillReferenced {
            entity: Entity::DhcpServer,
            record_id,
            referenced_by: Entity::DhcpFailover,
            referencing_ids,
        } => {
            assert_eq!((*record_id, referencing_ids.clone()), (b, vec![id]));
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains(&format!(
        "DHCP server {b} is still referenced by DHCP failover relationship {id}"
    )));
    assert_eq!(counts(store).await, [2, 0, 1, 0]);
    store
        .write(move |mut db| Box::pin(async move { db.delete_failover(id).await }))
        .await
        .unwrap();
    store
        .write(move |mut db| Box::pin(async move { db.delete_server(b).await }))
        .await
        .unwrap();
});

each_store!(
    deleting_a_scope_or_a_relationship_cascades_its_links,
    |ts| {
        let store = &ts.store;
        let (a, b) = two_servers(store).await;
        let (s1, s2, rel) = store
            .write(move |mut db| {
                Box::pin(async move {
                    let s1 = db.insert_scope(&scope(a, 1)).await?.record_id;
                    let s2 = db.insert_scope(&scope(b, 2)).await?.record_id;
                    let rel = db.insert_failover(&failover("rel", a, b)).await?;
                    assert!(db.link_scope(s1, rel).await?);
                    assert!(
                        !db.link_scope(s1, rel).await?,
                        "an existing link is not added twice"
                    );
                    assert!(db.link_scope(s2, rel).await?);
                    Ok::<_, StoreError>((s1, s2, rel))
                })
            })
            .await
            .unwrap();
        assert_eq!(counts(store).await, [2, 2, 1, 2]);
        let scoped = store
            .conn()
            .await
            .unwrap()
            .db()
            .get_scope(s1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(scoped.failover_relationship_name.as_deref(), Some("rel"));
        store
            .write(move |mut db| Box::pin(async move { db.delete_scope(s1).await }))
            .await
            .unwrap();
        assert_eq!(counts(store).await, [2, 1, 1, 1]);
        assert_eq!(
            store
                .conn()
                .await
                .unwrap()
                .db()
                .scope_ids_of_failover(rel)
                .await
                .unwrap(),
            vec![s2]
        );
        store
            .write(move |mut db| Box::pin(async move { db.delete_failover(rel).await }))
            .await
            .unwrap();
        assert_eq!(counts(store).await, [2, 1, 0, 0]);
    }
);

each_store!(a_scope_is_in_at_most_one_relationship, |ts| {
    let store = &ts.store;
    let (a, b) = two_servers(store).await;
    let err = store
        .write(move |mut db| {
            Box::pin(async move {
                let s1 = db.insert_scope(&scope(a, 1)).await?.record_id;
                let r1 = db.insert_failover(&failover("one", a, b)).await?;
                let r2 = db.insert_failover(&failover("two", a, b)).await?;
                db.link_scope(s1, r1).await?;
                db.link_scope(s1, r2).await?;
                Ok::<_, StoreError>(())
            })
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::UniqueViolation {
                constraint: UniqueConstraint::ScopeInOneRelationship,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        counts(store).await,
        [2, 0, 0, 0],
        "the whole transaction rolled back"
    );
});

each_store!(a_failing_write_leaves_nothing_behind, |ts| {
    let store = &ts.store;
    let (a, b) = two_servers(store).await;
    let before = counts(store).await;
    let err = store
        .write(move |mut db| {
            Box::pin(async move {
                db.insert_failover(&failover("half", a, b)).await?;
                db.link_scope(123_456, 1).await?; // no such scope or relationship: FK violation
                Ok::<_, StoreError>(())
            })
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::ForeignKeyViolation { .. }),
        "{err}"
    );
    assert_eq!(counts(store).await, before);
});

const INVENTORY: &str = include_str!("../../../examples/inventory.json");

each_store!(inventory_imports_atomically_and_idempotently, |ts| {
    let store = &ts.store;
    let inv = ipam_store::inventory::parse(INVENTORY).unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    let s2 = seen.clone();
    let report = store
        .import(
            inv.clone(),
            Some(Arc::new(move |done, total| {
                assert!(done <= total);
                s2.store(done, Ordering::SeqCst);
            })),
        )
        .await
        .unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), inv.items());
    assert_eq!(report.servers_created, inv.servers.len() as u64);
    let c = counts(store).await;
    assert_eq!(c[0] + c[1], inv.items() as i64);
    let again = store.import(inv.clone(), None).await.unwrap();
    assert_eq!((again.servers_created, again.scopes_created), (0, 0));
    assert_eq!(again.servers_existing + again.scopes_existing, inv.items());
    assert_eq!(counts(store).await, c);
});

each_store!(a_bad_inventory_changes_nothing_and_names_the_field, |ts| {
    let store = &ts.store;
    let err = ipam_store::inventory::parse(
        "{\"servers\": [ {\"name\": \"a\", \"address\": \"10.0.0.300\"} ]}",
    )
    .unwrap_err();
    assert!(
        matches!(err, InventoryError::Syntax(ref m) if m.contains("line 1")),
        "{err}"
    );
    let err = ipam_store::inventory::parse("{\"servers\": [], \"extra\": 1}").unwrap_err();
    assert!(err.to_string().contains("unknown field `extra`"), "{err}");

    let mut inv = ipam_store::inventory::parse(INVENTORY).unwrap();
    inv.servers[1].scopes[0].end_address = "192.0.2.1".parse().unwrap();
    inv.servers[0].name = "n".repeat(300);
    let err = store.import(inv, None).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("servers[0].name"), "{msg}");
    assert!(
        msg.contains("servers[1].scopes[0].EndAddress '192.0.2.1'"),
        "{msg}"
    );
    assert_eq!(counts(store).await, [0, 0, 0, 0]);

    // A conflict found inside the transaction rolls back what came before it.
    let mut inv = ipam_store::inventory::parse(INVENTORY).unwrap();
    store
        .write(|mut db| {
            Box::pin(async move {
                let mut s = server(9);
                s.name = "dhcp2.corp.example".into();
                db.insert_server(&s).await
            })
        })
        .await
        .unwrap();
    inv.servers.truncate(2);
    let err = store.import(inv, None).await.unwrap_err();
    assert!(err.to_string().contains("servers[1].address"), "{err}");
    assert_eq!(counts(store).await, [1, 0, 0, 0]);
});

#[tokio::test]
async fn sqlite_commits_are_durable_across_reopen() {
    let ts = ipam_testkit::sqlite().await;
    two_servers(&ts.store).await;
    ts.store.close().await;
    let reopened = Store::open(&ts.url).await.unwrap();
    assert_eq!(counts(&reopened).await, [2, 0, 0, 0]);
}

/// `insert_failover_with_links(f, [scope])`, which must fail with a unique violation: its
/// constraint and detail.
async fn refused_insert(
    store: &Store,
    f: DhcpFailover,
    scope: RecordId,
) -> (UniqueConstraint, String) {
    let err = store
        .write(move |mut db| {
            Box::pin(async move { db.insert_failover_with_links(&f, &[scope]).await })
        })
        .await
        .unwrap_err();
    let StoreError::UniqueViolation { constraint, detail } = err else {
        panic!("not a unique violation: {err:?}")
    };
    (constraint, detail)
}

each_store!(a_relationship_and_its_links_are_inserted_together, |ts| {
    let store = &ts.store;
    let (a, b) = two_servers(store).await;
    // 600 scopes (more than one chunk of links), on both servers.
    let (ids, rels) = store
        .write(move |mut db| {
            Box::pin(async move {
                let mut ids = Vec::new();
                for net in 0..=255u8 {
                    ids.push(db.insert_scope(&scope(a, net)).await?.record_id);
                    ids.push(db.insert_scope(&scope(b, net)).await?.record_id);
                }
                // Same name, other servers (one absent): a different key.
                let other = db.insert_failover(&failover("rel", b, a)).await?;
                let solo = db
                    .insert_failover_with_links(&failover("rel", a, 0), &ids[..1])
                    .await?;
                let none = db
                    .insert_failover_with_links(&failover("none", a, b), &[])
                    .await?;
                let small = db
                    .insert_failover_with_links(&failover("small", a, b), &ids[1..4])
                    .await?;
                let big = db
                    .insert_failover_with_links(&failover("rel", a, b), &ids[4..])
                    .await?;
                Ok::<_, StoreError>((ids, [other, solo, none, small, big]))
            })
        })
        .await
        .unwrap();
    let [other, solo, none, small, big] = rels;
    let mut conn = store.conn().await.unwrap();
    let mut db = conn.db();
    assert!(db.scope_ids_of_failover(other).await.unwrap().is_empty());
    assert_eq!(db.scope_ids_of_failover(solo).await.unwrap(), ids[..1]);
    assert!(db.scope_ids_of_failover(none).await.unwrap().is_empty());
    assert_eq!(db.scope_ids_of_failover(small).await.unwrap(), ids[1..4]);
    assert_eq!(db.scope_ids_of_failover(big).await.unwrap(), ids[4..]);
    let mut stored = db.get_failover(big).await.unwrap().unwrap();
    stored.record_id = 0;
    let mut want = failover("rel", a, b);
    want.record_id = 0;
    assert_eq!(stored, want);
    drop(conn);
    assert_eq!(counts(store).await, [2, 512, 5, 512]);
    let linked = ids[0];
    // A taken key: neither the row nor its links.
    let (constraint, detail) = refused_insert(store, failover("small", a, b), linked).await;
    assert_eq!(constraint, UniqueConstraint::FailoverRelation);
    assert!(detail.contains("RelationshipName 'small'"), "{detail}");
    assert_eq!(counts(store).await, [2, 512, 5, 512]);
    // A free key but a scope linked already (what a concurrent create may have done after
    // the checks): neither the row nor its links, and the constraint names the link.
    let (constraint, _) = refused_insert(store, failover("fresh", a, b), linked).await;
    assert_eq!(constraint, UniqueConstraint::ScopeInOneRelationship);
    assert_eq!(counts(store).await, [2, 512, 5, 512]);
});

each_store!(
    scope_conflicts_name_only_the_scopes_that_cannot_be_linked,
    |ts| {
        // More than one PostgreSQL chunk of ids (500), in one request.
        let store = &ts.store;
        let (a, b) = two_servers(store).await;
        let (c, free, on_c, linked, rel) = store
            .write(move |mut db| {
                Box::pin(async move {
                    let c = db.insert_server(&server(3)).await?.record_id;
                    let mut free = Vec::new();
                    for net in 0..=255u8 {
                        free.push(db.insert_scope(&scope(a, net)).await?.record_id);
                    }
                    for net in 0..=199u8 {
                        free.push(db.insert_scope(&scope(b, net)).await?.record_id);
                    }
                    let linked = db.insert_scope(&scope(b, 200)).await?.record_id;
                    let rel = db.insert_failover(&failover("r", a, b)).await?;
                    db.link_scope(linked, rel).await?;
                    let on_c = vec![
                        db.insert_scope(&scope(c, 1)).await?.record_id,
                        db.insert_scope(&scope(c, 2)).await?.record_id,
                    ];
                    Ok::<_, StoreError>((c, free, on_c, linked, rel))
                })
            })
            .await
            .unwrap();
        let missing = vec![900_001, 900_002];
        let mut ids = vec![missing[1], on_c[0], linked];
        ids.extend(&free);
        ids.extend([on_c[1], missing[0], free[7]]); // a repeat counts once
        let mut conn = store.conn().await.unwrap();
        let got = conn.db().scope_conflicts(a, b, &ids).await.unwrap();
        let facts = conn
            .db()
            .failover_create_facts("new", a, b, &ids)
            .await
            .unwrap();
        for got in [got, facts.conflicts] {
            assert_eq!(got.missing, missing);
            let mut placed = got.placements.clone();
            placed.sort_by_key(|p| p.record_id);
            let at = |id, server, relation: Option<RecordId>, net| ScopePlacement {
                record_id: id,
                server,
                subnet: std::net::Ipv4Addr::new(10, net, 0, 0),
                relation,
                relation_name: relation.map(|_| "r".to_owned()),
            };
            assert_eq!(
                placed,
                vec![
                    at(linked, b, Some(rel), 200),
                    at(on_c[0], c, None, 1),
                    at(on_c[1], c, None, 2)
                ]
            );
        }
        assert_eq!(facts.servers.len(), 2);
        // A request of free scopes only has no conflict at all.
        let none = conn.db().scope_conflicts(a, b, &free).await.unwrap();
        assert_eq!(none, ipam_store::ScopeConflicts::default());
    }
);

each_store!(
    create_facts_name_each_partner_once_with_its_relationships,
    |ts| {
        let store = &ts.store;
        let (a, b) = two_servers(store).await;
        let rel = insert_failover(store, failover("r", a, b)).await.unwrap();
        insert_failover(store, failover("s", a, b)).await.unwrap();
        let mut conn = store.conn().await.unwrap();
        let loads = |facts: &ipam_store::CreateFacts| {
            let mut v: Vec<(RecordId, i64)> = facts
                .servers
                .iter()
                .map(|s| (s.record_id, s.relationships))
                .collect();
            v.sort_unstable();
            v
        };
        let facts = conn
            .db()
            .failover_create_facts("r", a, b, &[])
            .await
            .unwrap();
        assert_eq!(loads(&facts), [(a, 2), (b, 2)]);
        assert_eq!(facts.duplicate, Some(rel));
        // The same key with the partners the other way round is another relationship.
        let facts = conn
            .db()
            .failover_create_facts("r", b, a, &[])
            .await
            .unwrap();
        assert_eq!(
            (loads(&facts), facts.duplicate),
            (vec![(a, 2), (b, 2)], None)
        );
        // A server named twice is one partner; a missing one is none.
        let facts = conn
            .db()
            .failover_create_facts("x", a, a, &[])
            .await
            .unwrap();
        assert_eq!(loads(&facts), [(a, 2)]);
        let facts = conn
            .db()
            .failover_create_facts("x", 900_001, b, &[])
            .await
            .unwrap();
        assert_eq!(loads(&facts), [(b, 2)]);
    }
);

/// `create_failover(f, scopes, check)` in a write of its own; `check` answers with `answer`.
async fn create_checked(
    store: &Store,
    f: DhcpFailover,
    scopes: Vec<RecordId>,
    answer: Result<(), &'static str>,
) -> Result<Result<RecordId, &'static str>, StoreError> {
    store
        .write(move |mut db| {
            Box::pin(async move { db.create_failover(&f, &scopes, |_| answer).await })
        })
        .await
}

each_store!(
    create_failover_writes_what_its_check_allows_and_nothing_it_rejects,
    |ts| {
        let store = &ts.store;
        let (a, b) = two_servers(store).await;
        let (s1, s2, linked) = store
            .write(move |mut db| {
                Box::pin(async move {
                    let s1 = db.insert_scope(&scope(a, 1)).await?.record_id;
                    let s2 = db.insert_scope(&scope(b, 2)).await?.record_id;
                    let linked = db.insert_scope(&scope(b, 3)).await?.record_id;
                    let old = db.insert_failover(&failover("old", a, b)).await?;
                    db.link_scope(linked, old).await?;
                    Ok::<_, StoreError>((s1, s2, linked))
                })
            })
            .await
            .unwrap();
        let before = counts(store).await;
        // A rejected create leaves nothing, though its write goes on and commits; its
        // check saw what `failover_create_facts` reads.
        let (seen, inside) = store
            .write(move |mut db| {
                Box::pin(async move {
                    let mut seen = None;
                    let r = db
                        .create_failover(&failover("new", a, b), &[s1, s2], |facts| {
                            seen = Some(facts);
                            Err("rejected")
                        })
                        .await?;
                    assert_eq!(r, Err("rejected"));
                    Ok::<_, StoreError>((seen, db.counts().await?))
                })
            })
            .await
            .unwrap();
        assert_eq!(inside, before);
        assert_eq!(counts(store).await, before);
        let facts = store
            .conn()
            .await
            .unwrap()
            .db()
            .failover_create_facts("new", a, b, &[s1, s2])
            .await
            .unwrap();
        assert_eq!(seen, Some(facts));
        // An accepted one: the relation and one link per scope, a repeat counted once.
        let id = create_checked(store, failover("new", a, b), vec![s2, s1, s2], Ok(()))
            .await
            .unwrap()
            .unwrap();
        let mut conn = store.conn().await.unwrap();
        let mut linked_now = conn.db().scope_ids_of_failover(id).await.unwrap();
        linked_now.sort_unstable();
        assert_eq!(linked_now, [s1, s2]);
        let after = counts(store).await;
        assert_eq!((after[2], after[3]), (before[2] + 1, before[3] + 2));
        // A check that lets a linked scope or a taken key through: the create fails as a
        // whole.
        for (name, scopes) in [("bad", vec![s1, linked]), ("new", vec![])] {
            let r = create_checked(store, failover(name, a, b), scopes, Ok(())).await;
            assert!(r.is_err(), "{name}: {r:?}");
            assert_eq!(counts(store).await, after, "{name}");
        }
        // On SQLite, where a failed statement does not end the transaction, the failed
        // create has left nothing even for the rest of its write.
        if store.backend() == ipam_store::Backend::Sqlite {
            let inside = store
                .write(move |mut db| {
                    Box::pin(async move {
                        let f = failover("bad", a, b);
                        let r = db
                            .create_failover(&f, &[s1, linked], |_| Ok::<_, ()>(()))
                            .await;
                        assert!(r.is_err(), "{r:?}");
                        db.counts().await
                    })
                })
                .await
                .unwrap();
            assert_eq!(inside, after);
        }
        // More scopes than one call takes: the same, in two.
        let n = ipam_store::ONE_CALL_MAX_SCOPES + 1;
        let many = store
            .write(move |mut db| {
                Box::pin(async move {
                    let mut ids = Vec::new();
                    for net in 0..n {
                        let id = db.insert_scope(&scope(a, 100 + net as u8)).await?;
                        ids.push(id.record_id);
                    }
                    Ok::<_, StoreError>(ids)
                })
            })
            .await
            .unwrap();
        let after = counts(store).await;
        let r = create_checked(store, failover("many", a, b), many.clone(), Err("no")).await;
        assert_eq!(r.unwrap(), Err("no"));
        assert_eq!(counts(store).await, after);
        let id = create_checked(store, failover("many", a, b), many.clone(), Ok(()))
            .await
            .unwrap()
            .unwrap();
        let mut linked_now = conn.db().scope_ids_of_failover(id).await.unwrap();
        linked_now.sort_unstable();
        assert_eq!(linked_now, many);
    }
);
