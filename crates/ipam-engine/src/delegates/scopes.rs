//! DhcpFailoverAddScopesDelegate (§3.19.4.4.1.25) and DhcpFailoverRemoveScopesDelegate
//! (§3.19.4.4.1.26).

use std::collections::HashMap;

use ipam_model::*;

use super::create::check_scopes;
use super::{ScopeTasks, entity, formatter, scope_ids};
use crate::faults::{OpError, Violation, invalid};
use crate::progress::{SubTaskKind, Tracker};
use crate::{Engine, OperationResult};

pub(super) async fn add(
    engine: &Engine,
    p: &DhcpFailoverWithScopesParameters,
    t: &mut Tracker<'_>,
) -> Result<OperationResult, IpamException> {
    let Some(failover) = &p.failover else {
        return Err(invalid("DhcpFailoverWithScopesParameters.Failover is NULL"));
    };
    let ids = scope_ids("DhcpFailoverWithScopesParameters", p.scope_ids.as_ref())?;
    let tasks = ScopeTasks::add(
        t,
        SubTaskKind::Scope,
        "Add to the relationship",
        &ids,
        formatter(failover),
    );
    t.percent(5);
    let rel = failover.record_id;
    let ids2 = ids.clone();
    let result = engine
        .write(move |mut db| {
            Box::pin(async move {
                // Step 3: the relationship must exist (the spec names the link table; the
                // relation table is meant).
                let row = db
                    .get_failover(rel)
                    .await?
                    .ok_or(OpError::Rejected(vec![Violation::FailoverNotFound(rel)]))?;
                db.lock_servers(&[row.server1_record_id, row.server2_record_id])
                    .await?;
                let conflicts = db
                    .scope_conflicts(row.server1_record_id, row.server2_record_id, &ids2)
                    .await?;
                let (v, to_link) = check_scopes(
                    conflicts,
                    &ids2,
                    row.server1_record_id,
                    row.server2_record_id,
                    Some(rel),
                );
                if !v.is_empty() {
                    return Err(OpError::Rejected(v));
                }
                // Step 4: link each scope not linked yet.
                db.link_scopes_bulk(rel, &to_link).await?;
                Ok((row, to_link))
            })
        })
        .await;
    match result {
        Ok((row, linked)) => {
            let linked: std::collections::HashSet<_> = linked.into_iter().collect();
            for (i, id) in ids.iter().enumerate() {
                let note = if linked.contains(id) {
                    "added"
                } else {
                    "already in the relationship"
                };
                tasks.done(
                    t,
                    i,
                    ids.len(),
                    SubTaskStatus::CompletedWithSuccess,
                    Some(note.into()),
                    5,
                );
            }
            let mut status = vec![entity(
                IpamObjectType::DHCPFailover,
                EntityOperationType::Update,
                rel,
            )];
            status.extend(
                ids.iter()
                    .filter(|id| linked.contains(id))
                    .map(|s| entity(IpamObjectType::DHCPScopev4, EntityOperationType::Update, *s)),
            );
            // Step 5: the updated Failover object is returned.
            Ok(OperationResult {
                operation_id: IpamAdminOperationId::AddDhcpFailoverScopes,
                record_id: Some(rel),
                completion: DhcpMsmOverallCompletionStatus {
                    entity_status: status,
                    return_object: Some(row),
                    ..Default::default()
                },
            })
        }
        Err(e) => Err(tasks.fail(
            t,
            &ids,
            e,
            IpamExceptionId::IpamApiDhcpFailoverFailedToAddScopesInIpamDatabase,
            &format!("cannot add scopes to failover relationship {rel}"),
        )),
    }
}

/// Removes the links of the listed scopes. The spec deletes every link of each ScopeId
/// whatever its relationship; ipamd removes each scope from the relationship it is in,
/// which must be `relationship` when the caller names one (the JSON API does), and faults
/// on a scope that is in no (or another) relationship (docs/spec-decisions.md).
pub(super) async fn remove(
    engine: &Engine,
    p: &DhcpFailoverRemoveScopesParameters,
    relationship: Option<RecordId>,
    t: &mut Tracker<'_>,
) -> Result<OperationResult, IpamException> {
    let ids = scope_ids("DhcpFailoverRemoveScopesParameters", p.scope_ids.as_ref())?;
    let tasks = ScopeTasks::add(
        t,
        SubTaskKind::Scope,
        "Remove from its relationship",
        &ids,
        None,
    );
    t.percent(5);
    let ids2 = ids.clone();
    let result = engine
        .write(move |mut db| {
            Box::pin(async move {
                let mut v = Vec::new();
                if let Some(r) = relationship
                    && db.get_failover(r).await?.is_none()
                {
                    return Err(OpError::Rejected(vec![Violation::FailoverNotFound(r)]));
                }
                // Each existing scope with the relationship it is in, in one query.
                let links: HashMap<RecordId, Option<RecordId>> = db
                    .scope_placements(&ids2)
                    .await?
                    .into_iter()
                    .map(|p| (p.record_id, p.relation))
                    .collect();
                let missing: Vec<RecordId> = ids2
                    .iter()
                    .copied()
                    .filter(|id| !links.contains_key(id))
                    .collect();
                if !missing.is_empty() {
                    v.push(Violation::ScopesNotFound(missing));
                }
                let mut by_rel: HashMap<RecordId, Vec<RecordId>> = HashMap::new();
                for id in ids2.iter() {
                    let Some(link) = links.get(id) else { continue };
                    match (link.as_ref(), relationship) {
                        (Some(r), Some(want)) if *r != want => {
                            v.push(Violation::ScopeNotInRelationship {
                                scope: *id,
                                relation: Some(want),
                            })
                        }
                        (Some(r), _) => by_rel.entry(*r).or_default().push(*id),
                        (None, want) => v.push(Violation::ScopeNotInRelationship {
                            scope: *id,
                            relation: want,
                        }),
                    }
                }
                if !v.is_empty() {
                    return Err(OpError::Rejected(v));
                }
                let mut rels: Vec<RecordId> = by_rel.keys().copied().collect();
                rels.sort_unstable();
                for r in &rels {
                    db.unlink_scopes(*r, &by_rel[r]).await?;
                }
                Ok(rels)
            })
        })
        .await;
    match result {
        Ok(rels) => {
            for i in 0..ids.len() {
                tasks.done(
                    t,
                    i,
                    ids.len(),
                    SubTaskStatus::CompletedWithSuccess,
                    Some("removed".into()),
                    5,
                );
            }
            let mut status: Vec<EntityStatus> = rels
                .iter()
                .map(|r| {
                    entity(
                        IpamObjectType::DHCPFailover,
                        EntityOperationType::Update,
                        *r,
                    )
                })
                .collect();
            status.extend(
                ids.iter()
                    .map(|s| entity(IpamObjectType::DHCPScopev4, EntityOperationType::Update, *s)),
            );
            Ok(OperationResult {
                operation_id: IpamAdminOperationId::RemoveDhcpFailoverScopes,
                record_id: relationship.or(rels.first().copied()),
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
            IpamExceptionId::IpamApiDhcpFailoverFailedToRemoveScopesFromIpamDatabase,
            "cannot remove scopes from their failover relationship",
        )),
    }
}
