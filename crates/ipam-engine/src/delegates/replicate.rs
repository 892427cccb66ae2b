//! ReplicateFailoverScopeDelegate (§3.19.4.4.1.29), DoFailoverReplicationDelegate (.30) and
//! ReplicateFailoverServerDelegate (.31): copy each failover scope's configuration to the
//! partner server's scope of the same subnet, creating it there if needed.
//!
//! The spec's DestinationServer logic picks the scope's own server in both branches; the
//! partner is meant (docs/spec-decisions.md).

use std::collections::HashSet;

use ipam_model::*;
use ipam_store::Db;

use super::{ScopeTasks, entity};
use crate::faults::{OpError, Violation, invalid, rejected};
use crate::progress::{SubTaskKind, Tracker};
use crate::{Engine, OperationResult};

/// What replication did for one scope.
#[derive(Debug, Clone)]
enum Outcome {
    Skipped(String),
    Created(RecordId),
    Updated(RecordId),
}

async fn replicate_one(
    db: &mut Db<'_>,
    id: RecordId,
    destinations: &HashSet<RecordId>,
) -> Result<Outcome, OpError> {
    if destinations.contains(&id) {
        return Ok(Outcome::Skipped(
            "already updated from its partner in this operation".into(),
        ));
    }
    let Some(source) = db.get_scope(id).await? else {
        return Ok(Outcome::Skipped(
            "no such scope in the IPAM database".into(),
        ));
    };
    // 3.1: the scope's link; 3.2: its relationship.
    let Some((_, rel)) = db.links_of_scopes(&[id]).await?.into_iter().next() else {
        return Ok(Outcome::Skipped(
            "the scope is in no failover relationship".into(),
        ));
    };
    let Some(relation) = db.get_failover(rel).await? else {
        return Ok(Outcome::Skipped(
            "its failover relationship does not exist".into(),
        ));
    };
    // 3.3: the partner server.
    let server = source.parent_dhcp_server_record_id;
    let dest = if server == relation.server1_record_id {
        relation.server2_record_id
    } else if server == relation.server2_record_id {
        relation.server1_record_id
    } else {
        return Ok(Outcome::Skipped(format!(
            "scope's server {server} is not a partner of relationship {rel}"
        )));
    };
    if dest == 0 || db.get_server(dest).await?.is_none() {
        return Ok(Outcome::Skipped(format!(
            "partner server {dest} is not in the IPAM database"
        )));
    }
    // 3.4–3.5: update the partner's scope of the same subnet, or create it.
    let outcome = match db.find_scope_by_subnet(dest, source.scope_id).await? {
        Some(mut target) => {
            target.subnet_mask = source.subnet_mask;
            target.start_address = source.start_address;
            target.end_address = source.end_address;
            target.scope_name = source.scope_name.clone();
            target.description = source.description.clone();
            target.status = source.status;
            target.lease_duration = source.lease_duration;
            target.failover_config_sync_status = DhcpFailoverConfigSyncStatus::InSync;
            db.update_scope(&target).await?;
            match db.links_of_scopes(&[target.record_id]).await?.first() {
                Some((_, r)) if *r == rel => {}
                Some((_, r)) => {
                    return Err(OpError::Rejected(vec![
                        Violation::ScopeInOtherRelationship {
                            scope: target.record_id,
                            subnet: target.scope_id.to_string(),
                            relation: *r,
                            relation_name: db
                                .get_failover(*r)
                                .await?
                                .and_then(|f| f.relationship_name)
                                .unwrap_or_default(),
                        },
                    ]));
                }
                None => {
                    db.link_scope(target.record_id, rel).await?;
                }
            }
            Outcome::Updated(target.record_id)
        }
        None => {
            let created = db
                .insert_scope(&NewDhcpScope {
                    parent_dhcp_server_record_id: dest,
                    scope_id: source.scope_id,
                    subnet_mask: source.subnet_mask,
                    start_address: source.start_address,
                    end_address: source.end_address,
                    scope_name: source.scope_name.clone(),
                    description: source.description.clone(),
                    status: source.status,
                    lease_duration: source.lease_duration,
                    failover_config_sync_status: DhcpFailoverConfigSyncStatus::InSync,
                })
                .await?;
            db.link_scope(created.record_id, rel).await?;
            Outcome::Created(created.record_id)
        }
    };
    db.set_failover_config_sync_status(id, DhcpFailoverConfigSyncStatus::InSync)
        .await?;
    Ok(outcome)
}

async fn run(
    engine: &Engine,
    op: IpamAdminOperationId,
    context: IpamExceptionId,
    ids: Vec<RecordId>,
    t: &mut Tracker<'_>,
) -> Result<OperationResult, IpamException> {
    let tasks = ScopeTasks::add(
        t,
        SubTaskKind::Replicate,
        "Replicate to the partner server",
        &ids,
        None,
    );
    t.percent(5);
    let ids2 = ids.clone();
    let result = engine
        .write(move |mut db| {
            Box::pin(async move {
                let mut destinations = HashSet::new();
                let mut out = Vec::with_capacity(ids2.len());
                for id in &ids2 {
                    let o = replicate_one(&mut db, *id, &destinations).await?;
                    if let Outcome::Created(d) | Outcome::Updated(d) = &o {
                        destinations.insert(*d);
                    }
                    out.push(o);
                }
                Ok(out)
            })
        })
        .await;
    match result {
        Ok(outcomes) => {
            let mut status = Vec::new();
            for (i, (id, o)) in ids.iter().zip(&outcomes).enumerate() {
                let (s, note) = match o {
                    Outcome::Skipped(why) => (SubTaskStatus::NotApplicable, why.clone()),
                    Outcome::Created(d) => {
                        status.push(entity(
                            IpamObjectType::DHCPScopev4,
                            EntityOperationType::Add,
                            *d,
                        ));
                        (
                            SubTaskStatus::CompletedWithSuccess,
                            format!("created scope {d} on the partner"),
                        )
                    }
                    Outcome::Updated(d) => {
                        status.push(entity(
                            IpamObjectType::DHCPScopev4,
                            EntityOperationType::Update,
                            *d,
                        ));
                        (
                            SubTaskStatus::CompletedWithSuccess,
                            format!("updated scope {d} on the partner"),
                        )
                    }
                };
                let _ = id;
                tasks.done(t, i, ids.len(), s, Some(note), 5);
            }
            Ok(OperationResult {
                operation_id: op,
                record_id: None,
                completion: DhcpMsmOverallCompletionStatus {
                    entity_status: status,
                    ..Default::default()
                },
            })
        }
        Err(e) => Err(tasks.fail(t, &ids, e, context, "cannot replicate")),
    }
}

pub(super) async fn scopes(
    engine: &Engine,
    p: &ScopesParameters,
    t: &mut Tracker<'_>,
) -> Result<OperationResult, IpamException> {
    let scopes = p
        .scopes
        .as_ref()
        .ok_or_else(|| invalid("ReplicateScopeParameters.Scopes is NULL"))?;
    if scopes.is_empty() {
        return Err(invalid("ReplicateScopeParameters.Scopes is empty"));
    }
    let ids = scopes.iter().flatten().map(|s| s.record_id).collect();
    run(
        engine,
        IpamAdminOperationId::ReplicateScope,
        IpamExceptionId::IpamApiDhcpFailoverFailedToReplicateScopes,
        ids,
        t,
    )
    .await
}

pub(super) async fn relation(
    engine: &Engine,
    p: &ReplicateRelationParameters,
    t: &mut Tracker<'_>,
) -> Result<OperationResult, IpamException> {
    let f = p
        .failover_relation
        .as_ref()
        .ok_or_else(|| invalid("ReplicateRelationParameters.FailoverRelation is NULL"))?;
    let ids = engine
        .failover_scopes(f.record_id)
        .await?
        .into_iter()
        .map(|s| s.record_id)
        .collect();
    run(
        engine,
        IpamAdminOperationId::ReplicateRelation,
        IpamExceptionId::IpamApiDhcpFailoverFailedToReplicateRelation,
        ids,
        t,
    )
    .await
}

pub(super) async fn server(
    engine: &Engine,
    p: &ReplicateServerParameters,
    t: &mut Tracker<'_>,
) -> Result<OperationResult, IpamException> {
    let s = p
        .server
        .as_ref()
        .ok_or_else(|| invalid("ReplicateServerParameters.Server is NULL"))?;
    let id = s.record_id;
    let context = IpamExceptionId::IpamApiDhcpFailoverFailedToReplicateServer;
    if engine
        .read_as(context, async |db| db.get_server(id).await)
        .await?
        .is_none()
    {
        return Err(rejected(&[Violation::ServerNotFound {
            field: "Server.RecordId",
            id,
        }]));
    }
    let scopes = engine
        .read_as(context, async |db| db.list_scopes(Some(id)).await)
        .await?;
    let ids = scopes.into_iter().map(|s| s.record_id).collect();
    run(
        engine,
        IpamAdminOperationId::ReplicateServer,
        IpamExceptionId::IpamApiDhcpFailoverFailedToReplicateServer,
        ids,
        t,
    )
    .await
}
