//! OperationWithProgress processing logic (§3.19.4.4.1): dispatch on `OperationId` and the
//! DHCP failover delegates (§3.19.4.4.1.23–.31). Each delegate runs its changes in one
//! store transaction: it succeeds as a whole or leaves the store as it was.

mod create;
mod delete;
mod edit;
mod replicate;
mod scopes;
mod sync;

use std::collections::HashSet;

use ipam_model::*;

use crate::faults::invalid;
use crate::progress::Tracker;
use crate::{Engine, OperationResult, RunOptions};

pub(crate) async fn dispatch(
    engine: &Engine,
    op: IpamAdminOperationId,
    params: &IpamOperationWithProgressParameters,
    options: RunOptions,
    t: &mut Tracker<'_>,
) -> Result<OperationResult, IpamException> {
    use IpamAdminOperationId as Op;
    let d = &params.derived;
    match op {
        Op::CreateDhcpFailover => create::create(engine, expect_with_scopes(op, d)?, t).await,
        Op::EditDhcpFailover => match d {
            DerivedParameters::DhcpFailover(p) => edit::update(engine, p, t).await,
            other => Err(not_of_type(op, "DhcpFailoverParameters", other)),
        },
        Op::AddDhcpFailoverScopes => scopes::add(engine, expect_with_scopes(op, d)?, t).await,
        Op::RemoveDhcpFailoverScopes => match d {
            DerivedParameters::DhcpFailoverRemoveScopes(p) => {
                scopes::remove(engine, p, options.relationship, t).await
            }
            other => Err(not_of_type(op, "DhcpFailoverRemoveScopesParameters", other)),
        },
        Op::DeleteDhcpFailover => match d {
            DerivedParameters::DhcpFailoverDelete(p) => delete::delete(engine, p, t).await,
            other => Err(not_of_type(op, "DhcpFailoverDeleteParameters", other)),
        },
        Op::ResetConfigSyncStatus => match d {
            DerivedParameters::ResetConfigSyncStatus(p) => sync::reset(engine, p, t).await,
            other => Err(not_of_type(op, "ResetConfigSyncStatusParameters", other)),
        },
        Op::ReplicateScope => match d {
            DerivedParameters::ReplicateScope(p) => replicate::scopes(engine, p, t).await,
            other => Err(not_of_type(op, "ReplicateScopeParameters", other)),
        },
        Op::ReplicateRelation => match d {
            DerivedParameters::ReplicateRelation(p) => replicate::relation(engine, p, t).await,
            other => Err(not_of_type(op, "ReplicateRelationParameters", other)),
        },
        Op::ReplicateServer => match d {
            DerivedParameters::ReplicateServer(p) => replicate::server(engine, p, t).await,
            other => Err(not_of_type(op, "ReplicateServerParameters", other)),
        },
        other => Err(IpamException::new(
            IpamExceptionId::IpamApiMethodNotImplemented,
            format!(
                "OperationId {other} is a valid IpamAdminOperationId, but this server implements only the DHCP failover operations (MS-IPAMM2 §3.19.4.4.1.23-.31)"
            ),
        )),
    }
}

fn expect_with_scopes(
    op: IpamAdminOperationId,
    d: &DerivedParameters,
) -> Result<&DhcpFailoverWithScopesParameters, IpamException> {
    match d {
        DerivedParameters::DhcpFailoverWithScopes(p) => Ok(p),
        other => Err(not_of_type(op, "DhcpFailoverWithScopesParameters", other)),
    }
}

/// Step 1 of every delegate: the parameter is not of the required type.
fn not_of_type(
    op: IpamAdminOperationId,
    expected: &str,
    actual: &DerivedParameters,
) -> IpamException {
    invalid(format!(
        "{op} requires IpamOperationWithProgressParameters of type {expected}; the parameter is of type {}",
        actual.type_name()
    ))
}

/// `ScopeIds` NULL or empty is a fault (§3.19.4.4.1.23 step 2); repeated ids count once,
/// in first-seen order.
fn scope_ids(type_name: &str, ids: Option<&Vec<RecordId>>) -> Result<Vec<RecordId>, IpamException> {
    let ids = ids.ok_or_else(|| invalid(format!("{type_name}.ScopeIds is NULL")))?;
    if ids.is_empty() {
        return Err(invalid(format!("{type_name}.ScopeIds is empty")));
    }
    let mut seen = HashSet::with_capacity(ids.len());
    Ok(ids.iter().copied().filter(|id| seen.insert(*id)).collect())
}

fn formatter(f: &DhcpFailover) -> Option<FailoverDataFormatter> {
    Some(FailoverDataFormatter {
        failover_name: f.relationship_name.clone(),
        server1_name: f.server1_name.clone(),
        server2_name: f.server2_name.clone(),
    })
}

fn entity(
    object_type: IpamObjectType,
    operation_type: EntityOperationType,
    record_id: RecordId,
) -> EntityStatus {
    EntityStatus {
        is_successful: true,
        object_type,
        operation_type,
        record_id,
    }
}

/// Per-scope sub-tasks up to this many scopes; beyond it one sub-task covers the batch, so
/// a 10,000-scope operation does not send 20,000 callbacks.
const PER_SCOPE_TASKS: usize = 256;

/// Sub-tasks for a list of scopes: one per scope, or one for the whole batch.
struct ScopeTasks {
    tasks: Vec<usize>,
    batch: bool,
}

impl ScopeTasks {
    fn add(
        t: &mut Tracker<'_>,
        kind: crate::SubTaskKind,
        verb: &str,
        ids: &[RecordId],
        details: Option<FailoverDataFormatter>,
    ) -> Self {
        if ids.len() <= PER_SCOPE_TASKS {
            let tasks = ids
                .iter()
                .map(|id| t.add(kind, format!("{verb} scope {id}"), details.clone()))
                .collect();
            ScopeTasks {
                tasks,
                batch: false,
            }
        } else {
            ScopeTasks {
                tasks: vec![t.add(kind, format!("{verb} {} scopes", ids.len()), details)],
                batch: true,
            }
        }
    }

    /// Reports the outcome of scope `i` (or of the batch, at the last scope), moving the
    /// percentage from `from` to 100.
    fn done(
        &self,
        t: &mut Tracker<'_>,
        i: usize,
        n: usize,
        status: SubTaskStatus,
        note: Option<String>,
        from: u8,
    ) {
        if self.batch {
            if i + 1 == n {
                t.set(
                    self.tasks[0],
                    SubTaskStatus::CompletedWithSuccess,
                    note,
                    None,
                );
            }
        } else {
            t.set(self.tasks[i], status, note, None);
        }
        t.percent(from + ((100 - from as usize) * (i + 1) / n.max(1)) as u8);
    }

    /// Maps a failed transaction to the client's exception (`context` is the operation's
    /// database-failure id) and reports it on the sub-tasks: the scopes a rule blames carry
    /// the error (all of them for a database failure), the others did not run.
    fn fail(
        &self,
        t: &mut Tracker<'_>,
        ids: &[RecordId],
        cause: crate::faults::OpError,
        context: IpamExceptionId,
        what: &str,
    ) -> IpamException {
        let offending = match &cause {
            crate::faults::OpError::Rejected(v) => offending_scopes(v),
            crate::faults::OpError::Store(_) => ids.iter().copied().collect(),
        };
        let e = crate::faults::op_fault(context, what, cause);
        if self.batch {
            t.set(
                self.tasks[0],
                SubTaskStatus::CompletedWithError,
                None,
                Some(&e),
            );
            return e;
        }
        for (task, id) in self.tasks.iter().zip(ids) {
            if offending.contains(id) {
                t.set(*task, SubTaskStatus::CompletedWithError, None, Some(&e));
            } else {
                t.set(*task, SubTaskStatus::NotRun, None, None);
            }
        }
        e
    }
}

/// The scope ids a list of violations blames.
fn offending_scopes(v: &[crate::faults::Violation]) -> HashSet<RecordId> {
    use crate::faults::Violation as V;
    let mut out = HashSet::new();
    for v in v {
        match v {
            V::ScopesNotFound(ids) => out.extend(ids.iter().copied()),
            V::ScopeInOtherRelationship { scope, .. }
            | V::ScopeNotOnPartners { scope, .. }
            | V::ScopeNotInRelationship { scope, .. } => {
                out.insert(*scope);
            }
            _ => {}
        }
    }
    out
}
