//! ResetConfigSyncStatusDelegate (§3.19.4.4.1.28): sets `FailoverConfigSyncStatus` to
//! `InSync` on each listed scope that exists. The spec compares the scope's RecordId with
//! the table's `ScopeId` column; the RecordId is meant (docs/spec-decisions.md).

use ipam_model::*;

use super::{ScopeTasks, entity};
use crate::faults::{OpError, invalid};
use crate::progress::{SubTaskKind, Tracker};
use crate::{Engine, OperationResult};

pub(super) async fn reset(
    engine: &Engine,
    p: &ScopesParameters,
    t: &mut Tracker<'_>,
) -> Result<OperationResult, IpamException> {
    let Some(scopes) = &p.scopes else {
        return Err(invalid("ResetConfigSyncStatusParameters.Scopes is NULL"));
    };
    // Nil items name no scope and are skipped; an empty list is allowed.
    let ids: Vec<RecordId> = scopes.iter().flatten().map(|s| s.record_id).collect();
    let tasks = ScopeTasks::add(
        t,
        SubTaskKind::ConfigSync,
        "Reset the config sync status of",
        &ids,
        None,
    );
    let ids2 = ids.clone();
    let result = engine
        .write(move |mut db| {
            Box::pin(async move {
                let set = db
                    .set_failover_config_sync_statuses(&ids2, DhcpFailoverConfigSyncStatus::InSync)
                    .await?;
                let found: Vec<bool> = ids2
                    .iter()
                    .map(|id| set.binary_search(id).is_ok())
                    .collect();
                Ok::<_, OpError>(found)
            })
        })
        .await;
    match result {
        Ok(found) => {
            let mut status = Vec::new();
            for (i, (id, ok)) in ids.iter().zip(&found).enumerate() {
                let (s, note) = if *ok {
                    status.push(entity(
                        IpamObjectType::DHCPScopev4,
                        EntityOperationType::Update,
                        *id,
                    ));
                    (SubTaskStatus::CompletedWithSuccess, "InSync")
                } else {
                    (
                        SubTaskStatus::NotApplicable,
                        "no such scope in the IPAM database",
                    )
                };
                tasks.done(t, i, ids.len(), s, Some(note.into()), 0);
            }
            Ok(OperationResult {
                operation_id: IpamAdminOperationId::ResetConfigSyncStatus,
                record_id: None,
                completion: DhcpMsmOverallCompletionStatus {
                    entity_status: status,
                    ..Default::default()
                },
            })
        }
        Err(e) => Err(tasks.fail(
            t,
            &ids,
            e,
            IpamExceptionId::IpamApiDhcpFailoverFailedToResetConfigSyncStatus,
            "cannot reset the config sync status",
        )),
    }
}
