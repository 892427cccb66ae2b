//! The sibling failover delegates (§3.19.4.4.1.24–.31), the session state machine
//! (§3.19.1–§3.19.4) and dispatch (§3.19.4.4.1), on SQLite and PostgreSQL.

mod common;

use common::*;
use ipam_engine::{CollectingSink, Engine, RunOptions, SessionState};
use ipam_model::*;
use ipam_testkit::{counts, each_store, failover};

fn with_scopes(
    op: IpamAdminOperationId,
    rel: RecordId,
    ids: Option<Vec<RecordId>>,
) -> IpamOperationWithProgressParameters {
    let f = DhcpFailover {
        record_id: rel,
        ..Default::default()
    };
    params(
        op,
        DerivedParameters::DhcpFailoverWithScopes(DhcpFailoverWithScopesParameters {
            failover: Some(f),
            scope_ids: ids,
        }),
    )
}

fn remove(ids: Option<Vec<RecordId>>) -> IpamOperationWithProgressParameters {
    params(
        IpamAdminOperationId::RemoveDhcpFailoverScopes,
        DerivedParameters::DhcpFailoverRemoveScopes(DhcpFailoverRemoveScopesParameters {
            force: false,
            scope_ids: ids,
        }),
    )
}

fn edit(f: DhcpFailover) -> IpamOperationWithProgressParameters {
    params(
        IpamAdminOperationId::EditDhcpFailover,
        DerivedParameters::DhcpFailover(DhcpFailoverParameters { failover: Some(f) }),
    )
}

fn delete(rel: RecordId) -> IpamOperationWithProgressParameters {
    params(
        IpamAdminOperationId::DeleteDhcpFailover,
        DerivedParameters::DhcpFailoverDelete(DhcpFailoverDeleteParameters {
            failover: Some(DhcpFailover {
                record_id: rel,
                ..Default::default()
            }),
            force: false,
        }),
    )
}

fn scope_ref(id: RecordId) -> Option<DhcpScopeV4> {
    Some(DhcpScopeV4 {
        record_id: id,
        parent_dhcp_server_record_id: 0,
        scope_id: "0.0.0.0".parse().unwrap(),
        subnet_mask: "0.0.0.0".parse().unwrap(),
        start_address: "0.0.0.0".parse().unwrap(),
        end_address: "0.0.0.0".parse().unwrap(),
        scope_name: String::new(),
        description: None,
        status: DhcpScopeStatus::Active,
        lease_duration: TimeSpan::ZERO,
        failover_config_sync_status: DhcpFailoverConfigSyncStatus::Unknown,
        failover_relationship_name: None,
    })
}

// ----- UpdateDhcpFailoverDelegate (§.24) ---------------------------------------------

each_store!(edit_copies_only_modified_properties, |ts| {
    let engine = Engine::new(ts.store.clone());
    let (s, sc) = seed(&ts.store, 2, 1).await;
    let rel = created(&engine, "hq", s[0], s[1], vec![sc[0][0]]).await;
    let mut change = failover("renamed", s[0], s[1]);
    change.record_id = rel;
    change.server1_percentage = 70;
    change.mclt = TimeSpan::from_secs(7200);
    change.modified_properties = Some(vec!["Server1Percentage".into(), "MCLT".into()]);
    let (r, sink) = run(&engine, &edit(change)).await;
    assert_eq!(r.unwrap().record_id, Some(rel));
    assert_eq!(
        overall(&sink).0,
        OverallProgressStatus::CompletedWithSuccess
    );
    let got = engine.failover(rel).await.unwrap();
    assert_eq!(
        (
            got.server1_percentage,
            got.mclt,
            got.relationship_name.as_deref()
        ),
        (70, TimeSpan::from_secs(7200), Some("hq"))
    );
});

each_store!(edit_with_no_modified_properties_changes_nothing, |ts| {
    let engine = Engine::new(ts.store.clone());
    let (s, sc) = seed(&ts.store, 2, 1).await;
    let rel = created(&engine, "hq", s[0], s[1], vec![sc[0][0]]).await;
    let before = engine.failover(rel).await.unwrap();
    let mut change = failover("other", s[0], s[1]);
    change.record_id = rel;
    run(&engine, &edit(change)).await.0.unwrap();
    assert_eq!(engine.failover(rel).await.unwrap(), before);
});

each_store!(edit_faults_precisely, |ts| {
    let engine = Engine::new(ts.store.clone());
    let (s, sc) = seed(&ts.store, 2, 2).await;
    let rel = created(&engine, "hq", s[0], s[1], vec![sc[0][0]]).await;
    created(&engine, "taken", s[0], s[1], vec![sc[0][1]]).await;
    let before = engine.failover(rel).await.unwrap();
    let p = params(
        IpamAdminOperationId::EditDhcpFailover,
        DerivedParameters::DhcpFailover(DhcpFailoverParameters { failover: None }),
    );
    let (r, sink) = run(&engine, &p).await;
    assert_failed_with(&sink, &r, IpamExceptionId::IpamApiInvalidParameter);
    let mut missing = failover("x", s[0], s[1]);
    missing.record_id = 999_999;
    missing.modified_properties = Some(vec!["Mode".into()]);
    let (r, sink) = run(&engine, &edit(missing)).await;
    assert_failed_with(&sink, &r, IpamExceptionId::IpamApiObjectNotFoundInDatabase);
    for (prop, value) in [
        ("Server1RecordId", "cannot be changed"),
        ("Bogus", "is not a property"),
    ] {
        let mut f = failover("hq", s[0], s[1]);
        f.record_id = rel;
        f.modified_properties = Some(vec![prop.into()]);
        let (r, sink) = run(&engine, &edit(f)).await;
        let e = assert_failed_with(&sink, &r, IpamExceptionId::IpamApiInvalidParameter);
        assert!(e.message.contains(value), "{e}");
    }
    let mut f = failover("hq", s[0], s[1]);
    f.record_id = rel;
    f.mode = DhcpFailoverMode::None;
    f.modified_properties = Some(vec!["Mode".into()]);
    let (r, sink) = run(&engine, &edit(f)).await;
    assert_failed_with(&sink, &r, IpamExceptionId::IpamApiInvalidParameter);
    let mut f = failover("taken", s[0], s[1]);
    f.record_id = rel;
    f.modified_properties = Some(vec!["RelationshipName".into()]);
    let (r, sink) = run(&engine, &edit(f)).await;
    assert_failed_with(
        &sink,
        &r,
        IpamExceptionId::IpamApiFailedWithUniqueKeyViolation,
    );
    assert_eq!(engine.failover(rel).await.unwrap(), before);
});

// ----- DhcpFailoverAddScopesDelegate (§.25) ------------------------------------------

each_store!(add_scopes_links_new_scopes_and_reports_each, |ts| {
    let engine = Engine::new(ts.store.clone());
    let (s, sc) = seed(&ts.store, 2, 3).await;
    let rel = created(&engine, "hq", s[0], s[1], vec![sc[0][0]]).await;
    let sink = CollectingSink::default();
    let done = engine
        .run(
            &with_scopes(
                IpamAdminOperationId::AddDhcpFailoverScopes,
                rel,
                Some(vec![sc[0][0], sc[0][1], sc[1][2]]),
            ),
            RunOptions::default(),
            &sink,
        )
        .await
        .unwrap();
    assert_eq!(
        done.completion.return_object.unwrap().record_id,
        rel,
        "the updated Failover is returned"
    );
    let names = sink.names();
    assert_eq!(
        names.iter().filter(|n| **n == "AddSubTask").count(),
        3,
        "one sub-task per scope: {names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| **n == "SetSubTaskStatus").count(),
        3
    );
    let mut linked: Vec<_> = engine
        .failover_scopes(rel)
        .await
        .unwrap()
        .iter()
        .map(|s| s.record_id)
        .collect();
    linked.sort();
    assert_eq!(linked, vec![sc[0][0], sc[0][1], sc[1][2]]);
});

each_store!(add_scopes_faults_leave_everything_unchanged, |ts| {
    let engine = Engine::new(ts.store.clone());
    let (s, sc) = seed(&ts.store, 3, 2).await;
    let rel = created(&engine, "hq", s[0], s[1], vec![sc[0][0]]).await;
    let other = created(&engine, "other", s[0], s[2], vec![sc[0][1]]).await;
    let before = counts(&ts.store).await;
    let op = IpamAdminOperationId::AddDhcpFailoverScopes;
    for (p, id) in [
        (
            with_scopes(op, rel, None),
            IpamExceptionId::IpamApiInvalidParameter,
        ),
        (
            with_scopes(op, rel, Some(vec![])),
            IpamExceptionId::IpamApiInvalidParameter,
        ),
        (
            with_scopes(op, 4242, Some(vec![sc[1][0]])),
            IpamExceptionId::IpamApiObjectNotFoundInDatabase,
        ),
        (
            with_scopes(op, rel, Some(vec![sc[1][0], 8888])),
            IpamExceptionId::IpamApiDhcpScopeNotFoundInDB,
        ),
        (
            with_scopes(op, rel, Some(vec![sc[2][0]])),
            IpamExceptionId::IpamApiDhcpScopesNotPartOfSameServer,
        ),
        (
            with_scopes(op, rel, Some(vec![sc[0][1]])),
            IpamExceptionId::IpamApiFailedWithUniqueKeyViolation,
        ),
    ] {
        let (r, sink) = run(&engine, &p).await;
        assert_failed_with(&sink, &r, id);
    }
    assert_eq!(counts(&ts.store).await, before);
    assert_eq!(engine.failover_scopes(other).await.unwrap().len(), 1);
});

// ----- DhcpFailoverRemoveScopesDelegate (§.26) ---------------------------------------

each_store!(
    remove_scopes_removes_only_the_links_of_their_relationship,
    |ts| {
        let engine = Engine::new(ts.store.clone());
        let (s, sc) = seed(&ts.store, 3, 2).await;
        let rel = created(&engine, "hq", s[0], s[1], vec![sc[0][0], sc[1][0]]).await;
        let other = created(&engine, "other", s[0], s[2], vec![sc[0][1]]).await;
        // Named relationship (JSON API): a scope of another relationship is refused.
        let e = run_with(
            &engine,
            &remove(Some(vec![sc[0][0], sc[0][1]])),
            RunOptions {
                relationship: Some(rel),
            },
        )
        .await
        .unwrap_err();
        assert_eq!(e.exception_id, IpamExceptionId::IpamApiInvalidParameter);
        assert!(
            e.message.contains(&format!(
                "scope {} is not in failover relationship {rel}",
                sc[0][1]
            )),
            "{e}"
        );
        assert_eq!(counts(&ts.store).await[3], 3);
        run_with(
            &engine,
            &remove(Some(vec![sc[0][0]])),
            RunOptions {
                relationship: Some(rel),
            },
        )
        .await
        .unwrap();
        assert_eq!(engine.failover_scopes(rel).await.unwrap().len(), 1);
        assert_eq!(
            engine.failover_scopes(other).await.unwrap().len(),
            1,
            "the other relationship keeps its link"
        );
        // Wire form (no Failover member): each scope leaves the relationship it is in.
        let (r, sink) = run(&engine, &remove(Some(vec![sc[1][0], sc[0][1]]))).await;
        r.unwrap();
        assert_eq!(
            overall(&sink).0,
            OverallProgressStatus::CompletedWithSuccess
        );
        assert_eq!(counts(&ts.store).await[3], 0);
        // A scope in no relationship, an unknown scope, NULL and empty lists.
        for (p, id) in [
            (
                remove(Some(vec![sc[0][0]])),
                IpamExceptionId::IpamApiInvalidParameter,
            ),
            (
                remove(Some(vec![31337])),
                IpamExceptionId::IpamApiDhcpScopeNotFoundInDB,
            ),
            (remove(None), IpamExceptionId::IpamApiInvalidParameter),
            (
                remove(Some(vec![])),
                IpamExceptionId::IpamApiInvalidParameter,
            ),
        ] {
            let (r, sink) = run(&engine, &p).await;
            assert_failed_with(&sink, &r, id);
        }
    }
);

// ----- DeleteDhcpFailoverDelegate (§.27) ---------------------------------------------

each_store!(delete_removes_the_relationship_and_its_links, |ts| {
    let engine = Engine::new(ts.store.clone());
    let (s, sc) = seed(&ts.store, 2, 2).await;
    let rel = created(&engine, "hq", s[0], s[1], vec![sc[0][0], sc[1][1]]).await;
    let (r, sink) = run(&engine, &delete(rel)).await;
    assert_eq!(r.unwrap().completion.entity_status.len(), 3);
    assert_eq!(
        overall(&sink).0,
        OverallProgressStatus::CompletedWithSuccess
    );
    assert_eq!(counts(&ts.store).await, [2, 4, 0, 0]);
    let (r, sink) = run(&engine, &delete(rel)).await;
    assert_failed_with(&sink, &r, IpamExceptionId::IpamApiObjectNotFoundInDatabase);
    let p = params(
        IpamAdminOperationId::DeleteDhcpFailover,
        DerivedParameters::DhcpFailoverDelete(DhcpFailoverDeleteParameters {
            failover: None,
            force: true,
        }),
    );
    let (r, sink) = run(&engine, &p).await;
    assert_failed_with(&sink, &r, IpamExceptionId::IpamApiInvalidParameter);
});

// ----- ResetConfigSyncStatusDelegate (§.28) ------------------------------------------

each_store!(reset_config_sync_sets_in_sync_on_existing_scopes, |ts| {
    let engine = Engine::new(ts.store.clone());
    let (_, sc) = seed(&ts.store, 1, 2).await;
    let p = params(
        IpamAdminOperationId::ResetConfigSyncStatus,
        DerivedParameters::ResetConfigSyncStatus(ScopesParameters {
            scopes: Some(vec![scope_ref(sc[0][0]), None, scope_ref(7777)]),
        }),
    );
    let (r, sink) = run(&engine, &p).await;
    r.unwrap();
    let statuses: Vec<_> = sink
        .events()
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::SetSubTaskStatus { status, .. } => Some(*status),
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        [
            SubTaskStatus::CompletedWithSuccess,
            SubTaskStatus::NotApplicable
        ]
    );
    let mut conn = ts.store.conn().await.unwrap();
    assert_eq!(
        conn.db()
            .get_scope(sc[0][0])
            .await
            .unwrap()
            .unwrap()
            .failover_config_sync_status,
        DhcpFailoverConfigSyncStatus::InSync
    );
    assert_eq!(
        conn.db()
            .get_scope(sc[0][1])
            .await
            .unwrap()
            .unwrap()
            .failover_config_sync_status,
        DhcpFailoverConfigSyncStatus::Unknown
    );
    drop(conn);
    let empty = params(
        IpamAdminOperationId::ResetConfigSyncStatus,
        DerivedParameters::ResetConfigSyncStatus(ScopesParameters {
            scopes: Some(vec![]),
        }),
    );
    run(&engine, &empty).await.0.unwrap();
    let null = params(
        IpamAdminOperationId::ResetConfigSyncStatus,
        DerivedParameters::ResetConfigSyncStatus(ScopesParameters { scopes: None }),
    );
    let (r, sink) = run(&engine, &null).await;
    assert_failed_with(&sink, &r, IpamExceptionId::IpamApiInvalidParameter);
});

// ----- Replicate* (§.29–.31) ---------------------------------------------------------

each_store!(replicate_scope_creates_or_updates_the_partner_scope, |ts| {
    let engine = Engine::new(ts.store.clone());
    let (s, sc) = seed(&ts.store, 2, 1).await;
    // Server 1's scope 10.0.0.0/24 and server 2's scope 10.0.0.0/24 exist; add 10.9.0.0 on server 1.
    let s0 = s[0];
    let extra = ts
        .store
        .write(move |mut db| {
            Box::pin(async move { db.insert_scope(&ipam_testkit::scope(s0, 9)).await })
        })
        .await
        .unwrap();
    let rel = created(&engine, "hq", s[0], s[1], vec![sc[0][0], extra.record_id]).await;
    let p = params(
        IpamAdminOperationId::ReplicateScope,
        DerivedParameters::ReplicateScope(ScopesParameters {
            scopes: Some(vec![scope_ref(sc[0][0]), scope_ref(extra.record_id)]),
        }),
    );
    let (r, sink) = run(&engine, &p).await;
    let done = r.unwrap();
    assert_eq!(
        overall(&sink).0,
        OverallProgressStatus::CompletedWithSuccess
    );
    let ops: Vec<_> = done
        .completion
        .entity_status
        .iter()
        .map(|e| e.operation_type)
        .collect();
    assert_eq!(ops, [EntityOperationType::Update, EntityOperationType::Add]);
    let mut conn = ts.store.conn().await.unwrap();
    let partner = conn
        .db()
        .find_scope_by_subnet(s[1], "10.9.0.0".parse().unwrap())
        .await
        .unwrap()
        .expect("created on the partner");
    assert_eq!(partner.scope_name, "net9");
    assert_eq!(partner.failover_relationship_name.as_deref(), Some("hq"));
    assert_eq!(
        partner.failover_config_sync_status,
        DhcpFailoverConfigSyncStatus::InSync
    );
    assert_eq!(
        conn.db()
            .get_scope(sc[1][0])
            .await
            .unwrap()
            .unwrap()
            .failover_relationship_name
            .as_deref(),
        Some("hq")
    );
    drop(conn);
    assert_eq!(engine.failover_scopes(rel).await.unwrap().len(), 4);
    let null = params(
        IpamAdminOperationId::ReplicateScope,
        DerivedParameters::ReplicateScope(ScopesParameters {
            scopes: Some(vec![]),
        }),
    );
    let (r, sink) = run(&engine, &null).await;
    assert_failed_with(&sink, &r, IpamExceptionId::IpamApiInvalidParameter);
});

each_store!(
    replicate_relation_and_server_copy_every_failover_scope_once,
    |ts| {
        let engine = Engine::new(ts.store.clone());
        let (s, sc) = seed(&ts.store, 3, 1).await;
        let s0 = s[0];
        let extra = ts
            .store
            .write(move |mut db| {
                Box::pin(async move { db.insert_scope(&ipam_testkit::scope(s0, 5)).await })
            })
            .await
            .unwrap();
        let rel = created(&engine, "hq", s[0], s[1], vec![extra.record_id]).await;
        let p = params(
            IpamAdminOperationId::ReplicateRelation,
            DerivedParameters::ReplicateRelation(ReplicateRelationParameters {
                failover_relation: Some(DhcpFailover {
                    record_id: rel,
                    ..Default::default()
                }),
            }),
        );
        run(&engine, &p).await.0.unwrap();
        assert_eq!(engine.failover_scopes(rel).await.unwrap().len(), 2);
        let before = counts(&ts.store).await;
        let p = params(
            IpamAdminOperationId::ReplicateServer,
            DerivedParameters::ReplicateServer(ReplicateServerParameters {
                server: Some(DhcpServerV4 {
                    record_id: s[0],
                    name: String::new(),
                    address: "0.0.0.0".parse().unwrap(),
                    description: None,
                }),
            }),
        );
        let (r, sink) = run(&engine, &p).await;
        r.unwrap();
        assert!(
            sink.events().iter().any(|e| matches!(
                e,
                ProgressEvent::SetSubTaskStatus {
                    status: SubTaskStatus::NotApplicable,
                    ..
                }
            )),
            "unlinked scopes are not applicable"
        );
        assert_eq!(
            counts(&ts.store).await,
            before,
            "replicating again updates, never duplicates"
        );
        let missing = params(
            IpamAdminOperationId::ReplicateRelation,
            DerivedParameters::ReplicateRelation(ReplicateRelationParameters {
                failover_relation: Some(DhcpFailover {
                    record_id: 999,
                    ..Default::default()
                }),
            }),
        );
        let (r, sink) = run(&engine, &missing).await;
        assert_failed_with(&sink, &r, IpamExceptionId::IpamApiObjectNotFoundInDatabase);
        let _ = sc;
    }
);

// ----- dispatch and the session ------------------------------------------------------

each_store!(other_operation_ids_are_not_supported_faults, |ts| {
    let engine = Engine::new(ts.store.clone());
    for op in IpamAdminOperationId::ALL
        .iter()
        .filter(|o| !o.is_dhcp_failover())
    {
        let (r, sink) = run(
            &engine,
            &params(
                *op,
                DerivedParameters::Other("CreateDhcpScopeParameters".into()),
            ),
        )
        .await;
        let e = assert_failed_with(&sink, &r, IpamExceptionId::IpamApiMethodNotImplemented);
        assert!(e.message.contains(op.as_str()), "{e}");
    }
});

each_store!(session_follows_the_state_machine, |ts| {
    let engine = Engine::new(ts.store.clone());
    let (s, sc) = seed(&ts.store, 2, 1).await;
    let sink = CollectingSink::default();

    let mut session = engine.session();
    let early = session
        .start_operation_with_callback(&sink)
        .await
        .unwrap_err();
    assert_eq!(
        early.exception.exception_id,
        IpamExceptionId::IpamApiOperationNotAllowed
    );
    assert!(!early.close_session);
    assert!(sink.events().is_empty(), "nothing runs out of order");
    session
        .initialize_operation_parameters(Some(create(
            Some(failover("hq", s[0], s[1])),
            Some(vec![sc[0][0]]),
        )))
        .unwrap();
    assert_eq!(session.state(), SessionState::OperationInitialized);
    let again = session
        .initialize_operation_parameters(Some(create(None, None)))
        .unwrap_err();
    assert_eq!(
        again.exception.exception_id,
        IpamExceptionId::IpamApiOperationNotAllowed
    );
    session.start_operation_with_callback(&sink).await.unwrap();
    assert_eq!(session.state(), SessionState::Completed);
    assert!(
        session.start_operation_with_callback(&sink).await.is_err(),
        "one operation per session"
    );

    let mut bad = engine.session();
    let f = bad.initialize_operation_parameters(None).unwrap_err();
    assert!(f.close_session);
    assert_eq!(bad.state(), SessionState::Closed);
    let mut no_op = engine.session();
    let p = IpamOperationWithProgressParameters {
        operation_id: None,
        derived: DerivedParameters::Other("IpamOperationWithProgressParameters".into()),
    };
    let f = no_op.initialize_operation_parameters(Some(p)).unwrap_err();
    assert!(
        f.close_session && f.exception.message.contains("OperationId"),
        "{:?}",
        f
    );
});

each_store!(read_queries_serve_enumeration, |ts| {
    let engine = Engine::new(ts.store.clone());
    let (s, sc) = seed(&ts.store, 3, 1).await;
    let a = created(&engine, "a", s[0], s[1], vec![sc[0][0]]).await;
    let b = created(&engine, "b", s[1], s[2], vec![sc[2][0]]).await;
    assert_eq!(engine.failovers().await.unwrap().len(), 2);
    let by: Vec<_> = engine
        .failovers_by_server_ids(&[s[1], s[0]])
        .await
        .unwrap()
        .iter()
        .map(|f| f.record_id)
        .collect();
    assert_eq!(by, vec![a, b], "each relationship once");
    assert_eq!(
        engine.failovers_by_server_ids(&[s[2]]).await.unwrap()[0].record_id,
        b
    );
    assert_eq!(
        engine
            .failover(a)
            .await
            .unwrap()
            .relationship_name
            .as_deref(),
        Some("a")
    );
    assert_eq!(
        engine.failover(12345).await.unwrap_err().exception_id,
        IpamExceptionId::IpamApiObjectNotFoundInDatabase
    );
    assert_eq!(
        engine.failover_scopes(b).await.unwrap()[0].record_id,
        sc[2][0]
    );
});

each_store!(
    check_rehearses_an_operation_without_changing_the_store,
    |ts| {
        let engine = Engine::new(ts.store.clone());
        let (s, sc) = seed(&ts.store, 2, 2).await;
        let p = create(Some(failover("hq", s[0], s[1])), Some(vec![sc[0][0]]));
        let before = counts(&ts.store).await;
        engine.check(&p, RunOptions::default()).await.unwrap();
        assert_eq!(
            counts(&ts.store).await,
            before,
            "a rehearsal writes nothing"
        );
        let rel = created(&engine, "hq", s[0], s[1], vec![sc[0][0]]).await;
        let e = engine.check(&p, RunOptions::default()).await.unwrap_err();
        assert_eq!(
            e.exception_id,
            IpamExceptionId::IpamApiFailedWithUniqueKeyViolation
        );
        let e = engine
            .check(
                &remove(Some(vec![sc[0][1]])),
                RunOptions {
                    relationship: Some(rel),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(e.exception_id, IpamExceptionId::IpamApiInvalidParameter);
        engine
            .check(&delete(rel), RunOptions::default())
            .await
            .unwrap();
        assert_eq!(
            engine.failover_scopes(rel).await.unwrap().len(),
            1,
            "the rehearsed delete left it"
        );
    }
);
