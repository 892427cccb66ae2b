//! UpdateDhcpFailoverDelegate (§3.19.4.4.1.24): copies the properties named in
//! `ModifiedProperties` into the stored relationship.

use ipam_model::validate::{FieldViolation, validate_dhcp_failover};
use ipam_model::*;

use super::{entity, formatter};
use crate::faults::{OpError, Violation, invalid, op_fault, rejected};
use crate::progress::{SubTaskKind, Tracker};
use crate::{Engine, OperationResult};

/// Members that are not stored (§3.1.1.1.44.1): naming them changes nothing.
const NOT_STORED: &[&str] = &[
    "OperationTracker",
    "ServerOwner",
    "ModifiedProperties",
    "SetProperties",
];
/// Members that identify the relationship and cannot be edited.
const IDENTITY: &[&str] = &["RecordId", "Server1RecordId", "Server2RecordId"];

pub(super) async fn update(
    engine: &Engine,
    p: &DhcpFailoverParameters,
    t: &mut Tracker<'_>,
) -> Result<OperationResult, IpamException> {
    let task = t.add(
        SubTaskKind::Relationship,
        "Update the failover relationship".into(),
        p.failover.as_ref().and_then(formatter),
    );
    let fail = |t: &mut Tracker<'_>, e: IpamException| {
        t.set(task, SubTaskStatus::CompletedWithError, None, Some(&e));
        Err(e)
    };
    let Some(incoming) = p.failover.clone() else {
        return fail(t, invalid("DhcpFailoverParameters.Failover is NULL"));
    };
    let props: Vec<String> = incoming.modified_properties.clone().unwrap_or_default();
    let mut bad = Vec::new();
    for prop in &props {
        if IDENTITY.contains(&prop.as_str()) {
            bad.push(FieldViolation::new(
                "ModifiedProperties",
                prop,
                "cannot be changed; delete the relationship and create it again",
            ));
        } else if !NOT_STORED.contains(&prop.as_str())
            && !DHCP_FAILOVER_EDITABLE_PROPERTIES.contains(&prop.as_str())
        {
            bad.push(FieldViolation::new(
                "ModifiedProperties",
                prop,
                "is not a property of DhcpFailover",
            ));
        }
    }
    if !bad.is_empty() {
        return fail(t, rejected(&[Violation::Invalid(bad)]));
    }
    t.set(task, SubTaskStatus::InProgress, None, None);
    t.percent(10);
    let id = incoming.record_id;
    let result = engine
        .write(move |mut db| {
            Box::pin(async move {
                // Step 3: the stored row.
                let mut row = db
                    .get_failover(id)
                    .await?
                    .ok_or(OpError::Rejected(vec![Violation::FailoverNotFound(id)]))?;
                // Step 4: nothing to change.
                if props.is_empty() {
                    return Ok((row, false));
                }
                // Step 5: copy each named property.
                for prop in &props {
                    row.copy_property(&incoming, prop);
                }
                let v = validate_dhcp_failover(&row);
                if !v.is_empty() {
                    return Err(OpError::Rejected(vec![Violation::Invalid(v)]));
                }
                db.update_failover(&row).await?;
                Ok((row, true))
            })
        })
        .await;
    match result {
        Ok((row, changed)) => {
            let note = if changed {
                "updated"
            } else {
                "ModifiedProperties is empty: nothing to change"
            };
            t.set(
                task,
                SubTaskStatus::CompletedWithSuccess,
                Some(note.into()),
                None,
            );
            Ok(OperationResult {
                operation_id: IpamAdminOperationId::EditDhcpFailover,
                record_id: Some(row.record_id),
                completion: DhcpMsmOverallCompletionStatus {
                    entity_status: if changed {
                        vec![entity(
                            IpamObjectType::DHCPFailover,
                            EntityOperationType::Update,
                            row.record_id,
                        )]
                    } else {
                        vec![]
                    },
                    return_object: Some(row),
                    ..Default::default()
                },
            })
        }
        Err(e) => {
            let e = op_fault(
                IpamExceptionId::IpamApiDhcpFailoverFailedToUpdateInIpamDatabase,
                &format!("cannot update failover relationship {id}"),
                e,
            );
            fail(t, e)
        }
    }
}
