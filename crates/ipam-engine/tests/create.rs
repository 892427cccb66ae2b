//! CreateDhcpFailoverDelegate (§3.19.4.4.1.23) step by step, and the decisions of
//! docs/spec-decisions.md, on SQLite and PostgreSQL.

mod common;

use common::*;
use ipam_engine::Engine;
use ipam_model::*;
use ipam_testkit::{counts, each_store, failover};

each_store!(
    step_5_success_reports_every_callback_and_returns_the_record_id,
    |ts| {
        let engine = Engine::new(ts.store.clone());
        let (s, scopes) = seed(&ts.store, 2, 2).await;
        let mut f = failover("hq", s[0], s[1]);
        f.record_id = 777; // ignored on create
        let (r, sink) = run(
            &engine,
            &create(Some(f.clone()), Some(vec![scopes[0][0], scopes[1][1]])),
        )
        .await;
        let done = r.unwrap();
        let id = done.record_id.unwrap();
        assert_ne!(id, 777);
        assert_eq!(
            sink.names(),
            [
                "StartProgressCallback",
                "AddSubTask",
                "SetSubTaskStatus",
                "SetCompletionPercentage",
                "AddSubTask",
                "SetSubTaskStatus",
                "SetSubTaskStatus",
                "SetCompletionPercentage",
                "SetOverallStatus"
            ]
        );
        assert!(matches!(
            sink.events()[7],
            ProgressEvent::SetCompletionPercentage {
                completion_percentage: 100
            }
        ));
        let (status, completion) = overall(&sink);
        assert_eq!(status, OverallProgressStatus::CompletedWithSuccess);
        let completion = completion.unwrap();
        assert_eq!(completion.return_object.as_ref().unwrap().record_id, id);
        assert_eq!(
            completion.return_object.as_ref().unwrap().shared_secret,
            None,
            "the secret is not echoed"
        );
        assert_eq!(completion.entity_status[0].record_id, id);
        // Step 3: every field stored; step 4: one link per scope.
        let stored = engine.failover(id).await.unwrap();
        f.record_id = id;
        assert_eq!(stored, f);
        let linked: Vec<_> = engine
            .failover_scopes(id)
            .await
            .unwrap()
            .iter()
            .map(|s| s.record_id)
            .collect();
        assert_eq!(linked, vec![scopes[0][0], scopes[1][1]]);
        assert_eq!(counts(&ts.store).await, [2, 4, 1, 2]);
    }
);

each_store!(step_4_a_repeated_scope_id_yields_one_link, |ts| {
    let engine = Engine::new(ts.store.clone());
    let (s, scopes) = seed(&ts.store, 2, 1).await;
    let x = scopes[0][0];
    let (r, _) = run(
        &engine,
        &create(Some(failover("dup-ids", s[0], s[1])), Some(vec![x, x, x])),
    )
    .await;
    let id = r.unwrap().record_id.unwrap();
    assert_eq!(engine.failover_scopes(id).await.unwrap().len(), 1);
    assert_eq!(counts(&ts.store).await[3], 1);
});

each_store!(step_1_parameter_of_another_type_is_a_fault, |ts| {
    let engine = Engine::new(ts.store.clone());
    let p = params(
        IpamAdminOperationId::CreateDhcpFailover,
        DerivedParameters::DhcpFailover(DhcpFailoverParameters {
            failover: Some(failover("x", 1, 2)),
        }),
    );
    let (r, sink) = run(&engine, &p).await;
    let e = assert_failed_with(&sink, &r, IpamExceptionId::IpamApiInvalidParameter);
    assert!(
        e.message.contains("DhcpFailoverWithScopesParameters")
            && e.message.contains("DhcpFailoverParameters"),
        "{e}"
    );
    let p = params(
        IpamAdminOperationId::CreateDhcpFailover,
        DerivedParameters::Other("CreateDhcpScopeParameters".into()),
    );
    let (r, sink) = run(&engine, &p).await;
    assert_failed_with(&sink, &r, IpamExceptionId::IpamApiInvalidParameter);
    assert_eq!(counts(&ts.store).await, [0, 0, 0, 0]);
});

each_store!(
    step_2_null_failover_null_or_empty_scope_ids_are_faults,
    |ts| {
        let engine = Engine::new(ts.store.clone());
        let (s, scopes) = seed(&ts.store, 2, 1).await;
        let before = counts(&ts.store).await;
        for (p, needle) in [
            (create(None, Some(vec![scopes[0][0]])), "Failover is NULL"),
            (
                create(Some(failover("a", s[0], s[1])), None),
                "ScopeIds is NULL",
            ),
            (
                create(Some(failover("a", s[0], s[1])), Some(vec![])),
                "ScopeIds is empty",
            ),
        ] {
            let (r, sink) = run(&engine, &p).await;
            let e = assert_failed_with(&sink, &r, IpamExceptionId::IpamApiInvalidParameter);
            assert!(e.message.contains(needle), "{e}");
            assert_eq!(
                sink.names(),
                [
                    "StartProgressCallback",
                    "AddSubTask",
                    "SetSubTaskStatus",
                    "SetOverallStatus"
                ]
            );
            match &sink.events()[2] {
                ProgressEvent::SetSubTaskStatus {
                    status,
                    completion_status,
                    ..
                } => {
                    assert_eq!(*status, SubTaskStatus::CompletedWithError);
                    assert_eq!(completion_status.as_ref(), Some(&e));
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(counts(&ts.store).await, before);
    }
);

each_store!(
    validate_dhcp_failover_applies_and_reports_every_violation,
    |ts| {
        let engine = Engine::new(ts.store.clone());
        let (s, scopes) = seed(&ts.store, 2, 1).await;
        let before = counts(&ts.store).await;
        let mut f = failover(" ", s[0], s[1]);
        f.mode = DhcpFailoverMode::None;
        f.server1_percentage = 150;
        let (r, sink) = run(&engine, &create(Some(f), Some(vec![scopes[0][0]]))).await;
        let e = assert_failed_with(&sink, &r, IpamExceptionId::IpamApiInvalidParameter);
        for needle in [
            "RelationshipName ' '",
            "Mode 'None'",
            "Server1Percentage '150'",
        ] {
            assert!(e.message.contains(needle), "{needle}: {e}");
        }
        let mut f = failover(&"n".repeat(257), s[0], s[1]);
        f.server2_record_id = s[0];
        let (r, sink) = run(&engine, &create(Some(f), Some(vec![scopes[0][0]]))).await;
        let e = assert_failed_with(&sink, &r, IpamExceptionId::IpamApiInvalidParameter);
        assert!(
            e.message.contains("257 characters") && e.message.contains("Server2RecordId"),
            "{e}"
        );
        let ok = failover(&"n".repeat(256), s[0], s[1]);
        run(&engine, &create(Some(ok), Some(vec![scopes[0][0]])))
            .await
            .0
            .unwrap();
        assert_eq!(counts(&ts.store).await[2], before[2] + 1);
    }
);

each_store!(unknown_scope_ids_fault_naming_every_id, |ts| {
    let engine = Engine::new(ts.store.clone());
    let (s, scopes) = seed(&ts.store, 2, 1).await;
    let before = counts(&ts.store).await;
    let (r, sink) = run(
        &engine,
        &create(
            Some(failover("a", s[0], s[1])),
            Some(vec![scopes[0][0], 90001, 90002]),
        ),
    )
    .await;
    let e = assert_failed_with(&sink, &r, IpamExceptionId::IpamApiDhcpScopeNotFoundInDB);
    assert!(e.message.contains("90001, 90002"), "{e}");
    assert_eq!(counts(&ts.store).await, before);
});

each_store!(unknown_servers_fault, |ts| {
    let engine = Engine::new(ts.store.clone());
    let (s, scopes) = seed(&ts.store, 1, 1).await;
    let (r, sink) = run(
        &engine,
        &create(Some(failover("a", s[0], 4040)), Some(vec![scopes[0][0]])),
    )
    .await;
    let e = assert_failed_with(&sink, &r, IpamExceptionId::IpamApiServerNotFoundInDB);
    assert!(e.message.contains("Server2RecordId 4040"), "{e}");
    assert_eq!(counts(&ts.store).await, [1, 1, 0, 0]);
});

each_store!(a_duplicate_name_and_servers_is_a_unique_key_fault, |ts| {
    let engine = Engine::new(ts.store.clone());
    let (s, scopes) = seed(&ts.store, 2, 2).await;
    let first = created(&engine, "hq", s[0], s[1], vec![scopes[0][0]]).await;
    let before = counts(&ts.store).await;
    let (r, sink) = run(
        &engine,
        &create(Some(failover("hq", s[0], s[1])), Some(vec![scopes[0][1]])),
    )
    .await;
    let e = assert_failed_with(
        &sink,
        &r,
        IpamExceptionId::IpamApiFailedWithUniqueKeyViolation,
    );
    assert!(
        e.message.contains("'hq'") && e.message.contains(&format!("RecordId {first}")),
        "{e}"
    );
    assert_eq!(counts(&ts.store).await, before);
});

each_store!(a_scope_in_another_relationship_is_refused, |ts| {
    let engine = Engine::new(ts.store.clone());
    let (s, scopes) = seed(&ts.store, 2, 1).await;
    created(&engine, "one", s[0], s[1], vec![scopes[0][0]]).await;
    let before = counts(&ts.store).await;
    let (r, sink) = run(
        &engine,
        &create(Some(failover("two", s[0], s[1])), Some(vec![scopes[0][0]])),
    )
    .await;
    let e = assert_failed_with(
        &sink,
        &r,
        IpamExceptionId::IpamApiFailedWithUniqueKeyViolation,
    );
    assert!(
        e.message.contains("already in failover relationship 'one'"),
        "{e}"
    );
    assert_eq!(counts(&ts.store).await, before);
});

each_store!(a_scope_on_neither_server_is_refused, |ts| {
    let engine = Engine::new(ts.store.clone());
    let (s, scopes) = seed(&ts.store, 3, 1).await;
    let (r, sink) = run(
        &engine,
        &create(Some(failover("a", s[0], s[1])), Some(vec![scopes[2][0]])),
    )
    .await;
    let e = assert_failed_with(
        &sink,
        &r,
        IpamExceptionId::IpamApiDhcpScopesNotPartOfSameServer,
    );
    assert!(
        e.message
            .contains(&format!("belongs to DHCP server {}", s[2])),
        "{e}"
    );
    assert_eq!(counts(&ts.store).await, [3, 3, 0, 0]);
});

each_store!(
    every_violation_is_reported_with_typed_inner_exceptions,
    |ts| {
        let engine = Engine::new(ts.store.clone());
        let (s, scopes) = seed(&ts.store, 3, 1).await;
        let (r, sink) = run(
            &engine,
            &create(
                Some(failover("a", s[0], s[1])),
                Some(vec![scopes[2][0], 5555]),
            ),
        )
        .await;
        let e = assert_failed_with(&sink, &r, IpamExceptionId::IpamApiDhcpScopeNotFoundInDB);
        assert!(
            e.message.contains("5555") && e.message.contains("neither partner"),
            "{e}"
        );
        assert_eq!(
            e.inner.as_ref().unwrap().exception_id,
            IpamExceptionId::IpamApiDhcpScopesNotPartOfSameServer
        );
    }
);

each_store!(a_server_in_31_relationships_takes_no_more, |ts| {
    let engine = Engine::new(ts.store.clone());
    let (s, scopes) = seed(&ts.store, 2, 32).await;
    for (k, scope) in scopes[0].iter().take(31).enumerate() {
        created(&engine, &format!("r{k}"), s[0], s[1], vec![*scope]).await;
    }
    let before = counts(&ts.store).await;
    let (r, sink) = run(
        &engine,
        &create(Some(failover("r31", s[0], s[1])), Some(vec![scopes[0][31]])),
    )
    .await;
    let e = assert_failed_with(&sink, &r, IpamExceptionId::IpamApiOperationNotAllowed);
    assert!(
        e.message.contains("already in 31 failover relationships"),
        "{e}"
    );
    assert_eq!(counts(&ts.store).await, before);
});

/// A trigger makes the link insert fail after the relation row was written.
async fn inject_link_failure(ts: &ipam_testkit::TestStore) {
    let sql: &[&str] = match ts.engine {
        "sqlite" => &[
            "CREATE TRIGGER inject BEFORE INSERT ON adm_dhcp_scope_failovers BEGIN SELECT RAISE(ABORT, 'injected fault'); END",
        ],
        _ => &[
            "CREATE FUNCTION inject() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$",
            "CREATE TRIGGER inject BEFORE INSERT ON adm_dhcp_scope_failovers FOR EACH ROW EXECUTE FUNCTION inject()",
        ],
    };
    ipam_testkit::execute(&ts.url, sql).await;
}

each_store!(
    a_fault_after_the_relation_row_leaves_the_store_as_before,
    |ts| {
        let engine = Engine::new(ts.store.clone());
        let (s, scopes) = seed(&ts.store, 2, 1).await;
        inject_link_failure(&ts).await;
        let before = counts(&ts.store).await;
        let (r, sink) = run(
            &engine,
            &create(Some(failover("a", s[0], s[1])), Some(vec![scopes[0][0]])),
        )
        .await;
        let e = assert_failed_with(
            &sink,
            &r,
            IpamExceptionId::IpamApiDhcpFailoverFailedToAddInIpamDatabase,
        );
        let inner = e.inner.as_ref().expect("inner exception");
        assert_eq!(
            inner.exception_id,
            IpamExceptionId::IpamApiGenericDatabaseError
        );
        assert!(inner.message.contains("injected fault"), "{inner}");
        assert_eq!(counts(&ts.store).await, before, "no relation row, no link");
        assert!(engine.failovers().await.unwrap().is_empty());
    }
);

each_store!(
    hundred_concurrent_creates_of_one_tuple_give_one_success,
    |ts| {
        let engine = Engine::new(ts.store.clone());
        let (s, scopes) = seed(&ts.store, 2, 100).await;
        let tasks: Vec<_> = (0..100)
            .map(|k| {
                let engine = engine.clone();
                let p = create(Some(failover("same", s[0], s[1])), Some(vec![scopes[0][k]]));
                tokio::spawn(async move { run(&engine, &p).await.0 })
            })
            .collect();
        let (mut ok, mut dup) = (0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(e)
                    if e.exception_id == IpamExceptionId::IpamApiFailedWithUniqueKeyViolation =>
                {
                    dup += 1
                }
                Err(e) => panic!("unexpected fault: {e}"),
            }
        }
        assert_eq!((ok, dup), (1, 99));
        assert_eq!(counts(&ts.store).await[2..], [1, 1]);
    }
);

each_store!(
    thousand_concurrent_creates_of_distinct_relationships_all_succeed,
    |ts| {
        let engine = Engine::new(ts.store.clone());
        // 100 servers with 10 scopes each; relationship k joins servers k%100 and
        // (k+1+k/100)%100 (each server in 20 relationships) and takes scope k/100 of the first.
        let (s, scopes) = seed(&ts.store, 100, 10).await;
        let tasks: Vec<_> = (0..1000usize)
            .map(|k| {
                let engine = engine.clone();
                let (a, b) = (k % 100, (k + 1 + k / 100) % 100);
                let p = create(
                    Some(failover(&format!("rel-{k}"), s[a], s[b])),
                    Some(vec![scopes[a][k / 100]]),
                );
                tokio::spawn(async move { run(&engine, &p).await.0 })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().expect("every distinct create succeeds");
        }
        assert_eq!(counts(&ts.store).await, [100, 1000, 1000, 1000]);
    }
);

each_store!(
    every_violation_at_once_over_more_than_500_scopes_is_reported_in_order,
    |ts| {
        let engine = Engine::new(ts.store.clone());
        let (s, scopes) = seed(&ts.store, 3, 255).await;
        let mut rels = Vec::new();
        for (k, scope) in scopes[0].iter().take(31).enumerate() {
            rels.push(created(&engine, &format!("r{k}"), s[0], s[1], vec![*scope]).await);
        }
        let before = counts(&ts.store).await;
        // 513 ids, so the checks read the scopes in more than one chunk.
        let mut ids = vec![90001, scopes[2][0]];
        ids.extend(&scopes[0]);
        ids.extend(&scopes[1]);
        ids.push(90002);
        let (r, sink) = run(
            &engine,
            &create(Some(failover("r0", s[0], s[1])), Some(ids)),
        )
        .await;
        let e = assert_failed_with(&sink, &r, IpamExceptionId::IpamApiOperationNotAllowed);
        let limit = |i: usize| {
            format!(
                "DHCP server {} (dhcp{}.test) is already in 31 failover relationships, the most a DHCP server allows (31)",
                s[i],
                i + 1
            )
        };
        let duplicate = format!(
            "a failover relationship named 'r0' between servers {} and {} already exists (RecordId {})",
            s[0], s[1], rels[0]
        );
        let missing = "ScopeIds 90001, 90002 name no DHCP scope in the IPAM database".to_owned();
        let partner = format!(
            "scope {} (10.0.0.0) belongs to DHCP server {}, which is neither partner ({}, {}) of the relationship",
            scopes[2][0], s[2], s[0], s[1]
        );
        let taken: Vec<String> = (0..31)
            .map(|k| {
                format!(
                    "scope {} (10.{k}.0.0) is already in failover relationship 'r{k}' (RecordId {})",
                    scopes[0][k], rels[k]
                )
            })
            .collect();
        let mut all = vec![
            limit(0),
            limit(1),
            duplicate.clone(),
            missing.clone(),
            partner.clone(),
        ];
        all.extend(taken.iter().cloned());
        assert_eq!(e.message, all.join("; "));
        let unique = e.inner.as_ref().expect("unique-key inner exception");
        assert_eq!(
            unique.exception_id,
            IpamExceptionId::IpamApiFailedWithUniqueKeyViolation
        );
        let mut dup_and_taken = vec![duplicate];
        dup_and_taken.extend(taken);
        assert_eq!(unique.message, dup_and_taken.join("; "));
        let not_found = unique.inner.as_ref().expect("not-found inner exception");
        assert_eq!(
            not_found.exception_id,
            IpamExceptionId::IpamApiDhcpScopeNotFoundInDB
        );
        assert_eq!(not_found.message, missing);
        let elsewhere = not_found.inner.as_ref().expect("partner inner exception");
        assert_eq!(
            elsewhere.exception_id,
            IpamExceptionId::IpamApiDhcpScopesNotPartOfSameServer
        );
        assert_eq!(elsewhere.message, partner);
        assert!(elsewhere.inner.is_none());
        assert_eq!(counts(&ts.store).await, before);
    }
);
