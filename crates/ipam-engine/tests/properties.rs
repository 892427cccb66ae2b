//! Property tests: random valid creates followed by deletes leave no relationship or link;
//! random (mostly invalid) inputs never panic and, when refused, change nothing.

mod common;

use common::*;
use ipam_engine::Engine;
use ipam_model::*;
use ipam_testkit::counts;
use proptest::prelude::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
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

fn arb_failover() -> impl Strategy<Value = Option<DhcpFailover>> {
    let mode = prop_oneof![
        Just(DhcpFailoverMode::None),
        Just(DhcpFailoverMode::LoadBalance),
        Just(DhcpFailoverMode::HotStandby)
    ];
    let name = prop_oneof![
        Just(None),
        "\\PC{0,20}".prop_map(Some),
        Just(Some("x".repeat(300)))
    ];
    prop::option::weighted(
        0.9,
        (
            name,
            mode,
            0u32..200,
            -2i64..8,
            -2i64..8,
            any::<i64>(),
            any::<bool>(),
        )
            .prop_map(|(name, mode, pct, s1, s2, mclt, secret)| DhcpFailover {
                relationship_name: name,
                mode,
                server1_percentage: pct,
                server1_record_id: s1,
                server2_record_id: s2,
                mclt: TimeSpan(mclt),
                shared_secret: secret.then(|| vec![1, 2, 3]),
                ..Default::default()
            }),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn valid_creates_then_deletes_leave_the_store_empty(plan in prop::collection::vec((0usize..4, 1usize..4), 1..6)) {
        let rt = runtime();
        rt.block_on(async {
            let ts = ipam_testkit::sqlite().await;
            let engine = Engine::new(ts.store.clone());
            let (s, sc) = seed(&ts.store, 4, 4).await;
            let mut rels = Vec::new();
            let mut used = std::collections::HashSet::new();
            for (i, (a, nscopes)) in plan.iter().enumerate() {
                let b = (a + 1) % 4;
                let ids: Vec<_> = sc[*a].iter().copied().filter(|id| !used.contains(id)).take(*nscopes).collect();
                if ids.is_empty() { continue; }
                used.extend(ids.iter().copied());
                let f = ipam_testkit::failover(&format!("p{i}"), s[*a], s[b]);
                let (r, _) = run(&engine, &create(Some(f), Some(ids))).await;
                rels.push(r.expect("a valid create succeeds").record_id.unwrap());
            }
            for rel in rels {
                run(&engine, &delete(rel)).await.0.expect("delete succeeds");
            }
            assert_eq!(counts(&ts.store).await[2..], [0, 0]);
        });
    }

    #[test]
    fn random_inputs_never_panic_and_refusals_change_nothing(
        f in arb_failover(),
        ids in prop::option::weighted(0.9, prop::collection::vec(-3i64..20, 0..6)),
    ) {
        let rt = runtime();
        rt.block_on(async {
            let ts = ipam_testkit::sqlite().await;
            let engine = Engine::new(ts.store.clone());
            seed(&ts.store, 4, 3).await;
            let before = counts(&ts.store).await;
            let (r, sink) = run(&engine, &create(f, ids)).await;
            let (status, _) = overall(&sink);
            match r {
                Ok(done) => {
                    assert_eq!(status, OverallProgressStatus::CompletedWithSuccess);
                    run(&engine, &delete(done.record_id.unwrap())).await.0.unwrap();
                }
                Err(_) => assert_eq!(status, OverallProgressStatus::CompletedWithFailure),
            }
            assert_eq!(counts(&ts.store).await, before);
        });
    }
}
