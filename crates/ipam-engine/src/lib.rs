//! The operation-with-progress engine of [MS-IPAMM2] §3.19 (`IIpamOperationWithProgress`)
//! and the DHCP failover delegates §3.19.4.4.1.23–.31, implemented once for every
//! transport: no XML, no sockets, no HTTP here.
//!
//! - [`Session`] is the per-connection state machine of §3.19.1–§3.19.4.
//! - [`Engine::run`] dispatches on `OperationId` (§3.19.4.4.1) and reports progress through a
//!   [`ProgressSink`], ending with `SetOverallStatus`.
//! - The read queries (§3.1.1.1.44.2, §3.1.1.1.45.2) serve enumeration and the JSON API.

mod delegates;
mod faults;
mod progress;
mod session;

use std::time::Instant;

use ipam_model::*;
use ipam_store::Store;

pub use progress::{CollectingSink, ProgressSink, SubTaskKind};
pub use session::{Session, SessionFault, SessionState};

/// A Windows DHCP server takes part in at most 31 failover relationships
/// (`ERROR_DHCP_FO_MAX_RELATIONSHIPS`); ipamd refuses a 32nd.
pub const MAX_RELATIONSHIPS_PER_SERVER: i64 = 31;

/// What a successful operation produced.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationResult {
    /// The operation that ran.
    pub operation_id: IpamAdminOperationId,
    /// The relationship created or changed, where there is one (CreateDhcpFailover: the
    /// store-assigned RecordId).
    pub record_id: Option<RecordId>,
    /// The `completionStatus` sent with `SetOverallStatus`.
    pub completion: DhcpMsmOverallCompletionStatus,
}

/// Options a caller may add to a run that the wire parameters cannot carry.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// RemoveDhcpFailoverScopes: the relationship the scopes must belong to (the JSON API
    /// knows it from the URL; `DhcpFailoverRemoveScopesParameters` has no `Failover`).
    pub relationship: Option<RecordId>,
}

/// Called once per finished operation (metrics).
pub trait OperationObserver: Send + Sync {
    /// `ok` is false when the operation ended with a fault.
    fn finished(
        &self,
        operation: Option<IpamAdminOperationId>,
        ok: bool,
        elapsed: std::time::Duration,
    );
}

/// The engine: the store and the delegates. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    store: Store,
    observer: Option<std::sync::Arc<dyn OperationObserver>>,
    /// A rehearsal runs every delegate in full but rolls its transaction back.
    rehearsal: bool,
}

impl Engine {
    /// An engine over `store`.
    pub fn new(store: Store) -> Self {
        Engine {
            store,
            observer: None,
            rehearsal: false,
        }
    }

    /// Adds an observer told about every finished operation.
    pub fn with_observer(mut self, observer: std::sync::Arc<dyn OperationObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs a delegate's transaction: committed, or rolled back in a rehearsal.
    pub(crate) async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<ipam_store::StoreError> + Send + 'static,
        F: for<'a> FnOnce(ipam_store::Db<'a>) -> futures::future::BoxFuture<'a, Result<T, E>>
            + Clone
            + Send
            + 'static,
    {
        if self.rehearsal {
            self.store.rehearse(f).await
        } else {
            self.store.write(f).await
        }
    }

    /// Checks an operation without performing it: the delegate runs in full, with every
    /// check against the store, and its transaction is rolled back. `Err` is the fault the
    /// operation would end with now (the JSON API answers it at once instead of accepting
    /// an operation bound to fail). A later run may still fail if the data changes between.
    pub async fn check(
        &self,
        params: &IpamOperationWithProgressParameters,
        options: RunOptions,
    ) -> Result<(), IpamException> {
        struct Discard;
        impl ProgressSink for Discard {
            fn report(&self, _: ProgressEvent) {}
        }
        let started = Instant::now();
        let rehearsal = Engine {
            store: self.store.clone(),
            observer: None,
            rehearsal: true,
        };
        let result = rehearsal.run(params, options, &Discard).await.map(drop);
        // A refused operation counts as a failed one; an accepted one is counted when it runs.
        if let (Err(_), Some(o)) = (&result, &self.observer) {
            o.finished(params.operation_id, false, started.elapsed());
        }
        result
    }

    /// A new `IIpamOperationWithProgress` session (§3.19.4.1).
    pub fn session(&self) -> Session {
        Session::new(self.clone())
    }

    /// Validates parameters as `InitializeOperationParameters` does (§3.19.4.3): present,
    /// and `OperationId` a valid `IpamAdminOperationId`.
    pub fn validate_parameters(
        params: Option<&IpamOperationWithProgressParameters>,
    ) -> Result<IpamAdminOperationId, IpamException> {
        let p = params
            .ok_or_else(|| faults::invalid("InitializeOperationParameters: paramters is NULL"))?;
        p.operation_id.ok_or_else(|| {
            faults::invalid(format!(
                "InitializeOperationParameters: {}.OperationId is missing; it must be an IpamAdminOperationId",
                p.derived.type_name()
            ))
        })
    }

    /// StartOperationWithCallback processing (§3.19.4.4): `StartProgressCallback`, the
    /// delegate for `OperationId`, then `SetOverallStatus` with success and 100 %, or with
    /// failure and the fault, which is also returned.
    pub async fn run(
        &self,
        params: &IpamOperationWithProgressParameters,
        options: RunOptions,
        sink: &dyn ProgressSink,
    ) -> Result<OperationResult, IpamException> {
        let started = Instant::now();
        sink.report(ProgressEvent::StartProgressCallback {
            is_non_deterministic: false,
        });
        let mut tracker = progress::Tracker::new(sink);
        let mut result = match params.operation_id {
            None => Err(faults::invalid("OperationId is missing")),
            Some(op) => delegates::dispatch(self, op, params, options, &mut tracker).await,
        };
        // The shared secret is write-only: no result carries it back (docs/spec-decisions.md).
        if let Ok(done) = &mut result
            && let Some(f) = &mut done.completion.return_object
        {
            f.shared_secret = None;
        }
        match &result {
            Ok(done) => {
                tracker.finish_open(SubTaskStatus::CompletedWithSuccess);
                tracker.percent(100);
                sink.report(ProgressEvent::SetOverallStatus {
                    overall_status: OverallProgressStatus::CompletedWithSuccess,
                    completion_status: Some(done.completion.clone()),
                });
                if !self.rehearsal {
                    tracing::info!(operation = ?params.operation_id, record_id = ?done.record_id, "operation succeeded");
                }
            }
            Err(e) => {
                tracker.finish_open(SubTaskStatus::NotRun);
                sink.report(ProgressEvent::SetOverallStatus {
                    overall_status: OverallProgressStatus::CompletedWithFailure,
                    completion_status: Some(DhcpMsmOverallCompletionStatus {
                        error_info: Some(e.clone()),
                        has_ipam_update_error: true,
                        ..Default::default()
                    }),
                });
                if !self.rehearsal {
                    tracing::info!(operation = ?params.operation_id, exception = %e.exception_id, message = %e.message, "operation failed");
                }
            }
        }
        if let Some(o) = &self.observer {
            o.finished(params.operation_id, result.is_ok(), started.elapsed());
        }
        result
    }

    // ----- read queries ---------------------------------------------------------------

    /// Runs a read on a pooled connection; a store failure becomes `context` with the cause
    /// inside.
    pub(crate) async fn read_as<T>(
        &self,
        context: IpamExceptionId,
        f: impl for<'a> AsyncFnOnce(&mut ipam_store::Db<'a>) -> Result<T, ipam_store::StoreError>,
    ) -> Result<T, IpamException> {
        let fail = |e| faults::store_fault(context, "cannot read", e);
        let mut conn = self.store.conn().await.map_err(fail)?;
        let mut db = conn.db();
        f(&mut db).await.map_err(fail)
    }

    async fn read<T>(
        &self,
        f: impl for<'a> AsyncFnOnce(&mut ipam_store::Db<'a>) -> Result<T, ipam_store::StoreError>,
    ) -> Result<T, IpamException> {
        self.read_as(
            IpamExceptionId::IpamApiDhcpFailoverFailedToFetchFromIpamDatabase,
            f,
        )
        .await
    }

    /// Every relationship (§3.5.4.8.1.8).
    pub async fn failovers(&self) -> Result<Vec<DhcpFailover>, IpamException> {
        self.read(async |db| db.list_failovers().await).await
    }

    /// Relationships naming any of `servers` (§3.5.4.8.1.9 via GetAllDhcpFailoverByServerId,
    /// §3.1.1.1.44.2.2); a relationship naming two of them appears once.
    pub async fn failovers_by_server_ids(
        &self,
        servers: &[RecordId],
    ) -> Result<Vec<DhcpFailover>, IpamException> {
        let servers = servers.to_vec();
        self.read(async move |db| {
            let mut out: Vec<DhcpFailover> = Vec::new();
            for s in servers {
                for f in db.failovers_by_server(s).await? {
                    if !out.iter().any(|o| o.record_id == f.record_id) {
                        out.push(f);
                    }
                }
            }
            out.sort_by_key(|f| f.record_id);
            Ok(out)
        })
        .await
    }

    /// One relationship (GetDhcpFailoverById, §3.1.1.1.44.2.1).
    pub async fn failover(&self, id: RecordId) -> Result<DhcpFailover, IpamException> {
        self.read(async move |db| db.get_failover(id).await)
            .await?
            .ok_or_else(|| faults::rejected(&[faults::Violation::FailoverNotFound(id)]))
    }

    /// The scopes of a relationship (GetDhcpFailoverScopes, §3.1.1.1.45.2.1).
    pub async fn failover_scopes(&self, id: RecordId) -> Result<Vec<DhcpScopeV4>, IpamException> {
        self.failover(id).await?;
        self.read(async move |db| db.scopes_of_failover(id).await)
            .await
    }
}
