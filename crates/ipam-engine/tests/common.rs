//! Helpers shared by the engine tests.
#![allow(dead_code)]

use ipam_engine::{CollectingSink, Engine, OperationResult, RunOptions};
use ipam_model::*;
use ipam_store::{Store, StoreError};

pub fn params(
    op: IpamAdminOperationId,
    derived: DerivedParameters,
) -> IpamOperationWithProgressParameters {
    IpamOperationWithProgressParameters {
        operation_id: Some(op),
        derived,
    }
}

pub fn create(
    f: Option<DhcpFailover>,
    ids: Option<Vec<RecordId>>,
) -> IpamOperationWithProgressParameters {
    params(
        IpamAdminOperationId::CreateDhcpFailover,
        DerivedParameters::DhcpFailoverWithScopes(DhcpFailoverWithScopesParameters {
            failover: f,
            scope_ids: ids,
        }),
    )
}

pub async fn run(
    engine: &Engine,
    p: &IpamOperationWithProgressParameters,
) -> (Result<OperationResult, IpamException>, CollectingSink) {
    let sink = CollectingSink::default();
    let r = engine.run(p, RunOptions::default(), &sink).await;
    (r, sink)
}

pub async fn run_with(
    engine: &Engine,
    p: &IpamOperationWithProgressParameters,
    o: RunOptions,
) -> Result<OperationResult, IpamException> {
    engine.run(p, o, &CollectingSink::default()).await
}

/// Servers 1..=n (dhcpN.test) and, per server, scopes 10.<k>.0.0/24; returns (server ids,
/// scope ids per server).
pub async fn seed(
    store: &Store,
    servers: u8,
    scopes_per_server: u8,
) -> (Vec<RecordId>, Vec<Vec<RecordId>>) {
    store
        .write(move |mut db| {
            Box::pin(async move {
                let mut ids = Vec::new();
                let mut scopes = Vec::new();
                for n in 1..=servers {
                    let s = db.insert_server(&ipam_testkit::server(n)).await?.record_id;
                    let mut mine = Vec::new();
                    for k in 0..scopes_per_server {
                        mine.push(db.insert_scope(&ipam_testkit::scope(s, k)).await?.record_id);
                    }
                    ids.push(s);
                    scopes.push(mine);
                }
                Ok::<_, StoreError>((ids, scopes))
            })
        })
        .await
        .unwrap()
}

/// The last event must be SetOverallStatus with `status`; returns its completion status.
pub fn overall(
    sink: &CollectingSink,
) -> (
    OverallProgressStatus,
    Option<DhcpMsmOverallCompletionStatus>,
) {
    match sink.events().last() {
        Some(ProgressEvent::SetOverallStatus {
            overall_status,
            completion_status,
        }) => (*overall_status, completion_status.clone()),
        other => panic!("the last callback is not SetOverallStatus: {other:?}"),
    }
}

/// Asserts the failure path: SetOverallStatus CompletedWithFailure carrying the same fault.
pub fn assert_failed_with(
    sink: &CollectingSink,
    r: &Result<OperationResult, IpamException>,
    id: IpamExceptionId,
) -> IpamException {
    let e = r.clone().expect_err("the operation must fail");
    assert_eq!(e.exception_id, id, "{e}");
    let (status, completion) = overall(sink);
    assert_eq!(status, OverallProgressStatus::CompletedWithFailure);
    let completion = completion.expect("completionStatus");
    assert_eq!(completion.error_info.as_ref(), Some(&e));
    assert!(completion.has_ipam_update_error);
    assert_eq!(sink.names().first(), Some(&"StartProgressCallback"));
    e
}

/// Creates a valid relationship between `s1` and `s2` with `scopes`; its RecordId.
pub async fn created(
    engine: &Engine,
    name: &str,
    s1: RecordId,
    s2: RecordId,
    scopes: Vec<RecordId>,
) -> RecordId {
    run(
        engine,
        &create(Some(ipam_testkit::failover(name, s1, s2)), Some(scopes)),
    )
    .await
    .0
    .unwrap()
    .record_id
    .unwrap()
}
