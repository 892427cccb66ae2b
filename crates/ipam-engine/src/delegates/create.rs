//! CreateDhcpFailoverDelegate (§3.19.4.4.1.23).

use std::collections::HashMap;

use ipam_model::validate::{validate_dhcp_failover, validate_failover_partners};
use ipam_model::*;
use ipam_store::{Db, ScopeConflicts, ScopePlacement};

use super::{entity, formatter, offending_scopes, scope_ids};
use crate::faults::{OpError, Violation, op_fault, rejected};
use crate::progress::{SubTaskKind, Tracker};
use crate::{Engine, MAX_RELATIONSHIPS_PER_SERVER, OperationResult};

/// Checks `ids` against a relationship between `s1` and `s2` (`this`, when it exists
/// already), given the scopes of `ids` that cannot simply be linked (`conflicts`, from the
/// store): every scope exists, sits on a partner, and is in no other relationship. Returns
/// the violations and the ids not yet linked to `this`.
pub(super) fn check_scopes(
    conflicts: ScopeConflicts,
    ids: &[RecordId],
    s1: RecordId,
    s2: RecordId,
    this: Option<RecordId>,
) -> (Vec<Violation>, Vec<RecordId>) {
    let mut v = Vec::new();
    // `conflicts.missing` is sorted.
    let is_missing = |id: &RecordId| conflicts.missing.binary_search(id).is_ok();
    if !conflicts.missing.is_empty() {
        v.push(Violation::ScopesNotFound(
            ids.iter().copied().filter(is_missing).collect(),
        ));
    }
    let placed: HashMap<RecordId, ScopePlacement> = conflicts
        .placements
        .into_iter()
        .map(|p| (p.record_id, p))
        .collect();
    let mut to_link = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(p) = placed.get(id) else {
            if !is_missing(id) {
                to_link.push(*id); // exists, on a partner, unlinked
            }
            continue;
        };
        if p.server != s1 && p.server != s2 {
            v.push(Violation::ScopeNotOnPartners {
                scope: *id,
                subnet: p.subnet.to_string(),
                server: p.server,
                server1: s1,
                server2: s2,
            });
        }
        match p.relation {
            Some(rel) if Some(rel) == this => {} // already linked here: no second link
            Some(rel) => v.push(Violation::ScopeInOtherRelationship {
                scope: *id,
                subnet: p.subnet.to_string(),
                relation: rel,
                relation_name: p.relation_name.clone().unwrap_or_default(),
            }),
            None => to_link.push(*id),
        }
    }
    (v, to_link)
}

/// The whole create, inside one transaction: checks against the stored data (every
/// violation is collected; the store reads every fact they need in one statement), the
/// relation row, then one link per distinct scope id. The store runs the three in one call
/// where it can ([`Db::create_failover`]); this says what the facts must show.
async fn create_in_tx(
    db: &mut Db<'_>,
    mut f: DhcpFailover,
    ids: Vec<RecordId>,
) -> Result<DhcpFailover, OpError> {
    let (s1, s2) = (f.server1_record_id, f.server2_record_id);
    let name = f.relationship_name.clone().unwrap_or_default();
    let check = |facts: ipam_store::CreateFacts| {
        let mut v = Vec::new();
        for (field, id) in [("Server1RecordId", s1), ("Server2RecordId", s2)] {
            match facts.servers.iter().find(|s| s.record_id == id) {
                None => v.push(Violation::ServerNotFound { field, id }),
                Some(s) if s.relationships >= MAX_RELATIONSHIPS_PER_SERVER => {
                    v.push(Violation::ServerRelationshipLimit {
                        server: id,
                        name: s.name.clone(),
                        count: s.relationships,
                    })
                }
                Some(_) => {}
            }
        }
        if let Some(existing) = facts.duplicate {
            v.push(Violation::DuplicateRelationship {
                name,
                server1: s1,
                server2: s2,
                existing,
            });
        }
        // With no violation, every scope is to be linked.
        let (scope_violations, _) = check_scopes(facts.conflicts, &ids, s1, s2, None);
        v.extend(scope_violations);
        if v.is_empty() {
            Ok(())
        } else {
            Err(OpError::Rejected(v))
        }
    };
    // Step 3: the relation row, every field from Failover; the store assigns RecordId.
    // Step 4: one link per distinct scope id (none exists yet for a new relationship).
    f.record_id = db.create_failover(&f, &ids, check).await??;
    // The row holds exactly the stored fields of `f`; the others are not stored.
    f.modified_properties = None;
    f.set_properties = None;
    f.operation_tracker = None;
    f.server_owner = DhcpFailoverOperationOwner::default();
    Ok(f)
}

pub(super) async fn create(
    engine: &Engine,
    p: &DhcpFailoverWithScopesParameters,
    t: &mut Tracker<'_>,
) -> Result<OperationResult, IpamException> {
    let validate = t.add(
        SubTaskKind::Validate,
        "Validate the failover relationship".into(),
        p.failover.as_ref().and_then(formatter),
    );
    let fail = |t: &mut Tracker<'_>, e: IpamException| {
        t.set(validate, SubTaskStatus::CompletedWithError, None, Some(&e));
        Err(e)
    };
    // Step 2.
    let Some(failover) = p.failover.clone() else {
        return fail(
            t,
            crate::faults::invalid("DhcpFailoverWithScopesParameters.Failover is NULL"),
        );
    };
    let ids = match scope_ids("DhcpFailoverWithScopesParameters", p.scope_ids.as_ref()) {
        Ok(ids) => ids,
        Err(e) => return fail(t, e),
    };
    // ValidateDhcpFailover (§3.1.4.16) and the partners.
    let mut v = validate_dhcp_failover(&failover);
    v.extend(validate_failover_partners(&failover));
    if !v.is_empty() {
        return fail(t, rejected(&[Violation::Invalid(v)]));
    }
    t.set(validate, SubTaskStatus::InProgress, None, None);
    t.percent(10);
    let name = failover.relationship_name.clone().unwrap_or_default();
    let write = t.add(
        SubTaskKind::Relationship,
        format!(
            "Add failover relationship '{name}' and {} scope link(s) to the IPAM database",
            ids.len()
        ),
        formatter(&failover),
    );
    let result = engine
        .write(move |mut db| Box::pin(async move { create_in_tx(&mut db, failover, ids).await }))
        .await;
    match result {
        Ok(created) => {
            t.set(validate, SubTaskStatus::CompletedWithSuccess, None, None);
            t.set(
                write,
                SubTaskStatus::CompletedWithSuccess,
                Some(format!("RecordId {}", created.record_id)),
                None,
            );
            Ok(OperationResult {
                operation_id: IpamAdminOperationId::CreateDhcpFailover,
                record_id: Some(created.record_id),
                completion: DhcpMsmOverallCompletionStatus {
                    entity_status: vec![entity(
                        IpamObjectType::DHCPFailover,
                        EntityOperationType::Add,
                        created.record_id,
                    )],
                    return_object: Some(created),
                    ..Default::default()
                },
            })
        }
        Err(OpError::Rejected(v)) => {
            let e = rejected(&v);
            let detail = (!offending_scopes(&v).is_empty())
                .then(|| "see the exception for each scope".to_owned());
            t.set(
                validate,
                SubTaskStatus::CompletedWithError,
                detail,
                Some(&e),
            );
            t.set(write, SubTaskStatus::NotRun, None, None);
            Err(e)
        }
        Err(e) => {
            let e = op_fault(
                IpamExceptionId::IpamApiDhcpFailoverFailedToAddInIpamDatabase,
                &format!("cannot create failover relationship '{name}'"),
                e,
            );
            t.set(validate, SubTaskStatus::CompletedWithSuccess, None, None);
            t.set(write, SubTaskStatus::CompletedWithError, None, Some(&e));
            Err(e)
        }
    }
}
