//! DeleteDhcpFailoverDelegate (§3.19.4.4.1.27): deletes the relationship; its scope links
//! go with it (cascade, §3.1.1.1.45.1).

use ipam_model::*;

use super::{entity, formatter};
use crate::faults::{OpError, Violation, invalid, op_fault};
use crate::progress::{SubTaskKind, Tracker};
use crate::{Engine, OperationResult};

pub(super) async fn delete(
    engine: &Engine,
    p: &DhcpFailoverDeleteParameters,
    t: &mut Tracker<'_>,
) -> Result<OperationResult, IpamException> {
    let task = t.add(
        SubTaskKind::Relationship,
        "Delete the failover relationship".into(),
        p.failover.as_ref().and_then(formatter),
    );
    let Some(failover) = &p.failover else {
        let e = invalid("DhcpFailoverDeleteParameters.Failover is NULL");
        t.set(task, SubTaskStatus::CompletedWithError, None, Some(&e));
        return Err(e);
    };
    t.set(task, SubTaskStatus::InProgress, None, None);
    let id = failover.record_id;
    let result = engine
        .write(move |mut db| {
            Box::pin(async move {
                let row = db
                    .get_failover(id)
                    .await?
                    .ok_or(OpError::Rejected(vec![Violation::FailoverNotFound(id)]))?;
                let links = db.scope_ids_of_failover(id).await?;
                db.delete_failover(id).await?;
                Ok((row, links))
            })
        })
        .await;
    match result {
        Ok((row, links)) => {
            t.set(
                task,
                SubTaskStatus::CompletedWithSuccess,
                Some(format!(
                    "deleted '{}' and {} scope link(s)",
                    row.relationship_name.unwrap_or_default(),
                    links.len()
                )),
                None,
            );
            let mut status = vec![entity(
                IpamObjectType::DHCPFailover,
                EntityOperationType::Delete,
                id,
            )];
            status.extend(
                links
                    .iter()
                    .map(|s| entity(IpamObjectType::DHCPScopev4, EntityOperationType::Update, *s)),
            );
            Ok(OperationResult {
                operation_id: IpamAdminOperationId::DeleteDhcpFailover,
                record_id: Some(id),
                completion: DhcpMsmOverallCompletionStatus {
                    entity_status: status,
                    ..Default::default()
                },
            })
        }
        Err(e) => {
            let e = op_fault(
                IpamExceptionId::IpamApiDhcpFailoverFailedToDeleteInIpamDatabase,
                &format!("cannot delete failover relationship {id}"),
                e,
            );
            t.set(task, SubTaskStatus::CompletedWithError, None, Some(&e));
            Err(e)
        }
    }
}
