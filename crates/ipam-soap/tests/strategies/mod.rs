//! Proptest strategies for every type the message layer writes: all parameter types,
//! every callback, nested exceptions. Shared by the round-trip tests and by ipam-nettcp's
//! binary-encoding tests.
#![allow(dead_code)]

use std::net::Ipv4Addr;

use ipam_model::*;
use proptest::prelude::*;
use proptest::sample::select;

pub fn text() -> impl Strategy<Value = String> {
    "\\PC{0,16}"
}

pub fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

pub fn addr() -> impl Strategy<Value = Ipv4Addr> {
    any::<[u8; 4]>().prop_map(Ipv4Addr::from)
}

pub fn span() -> impl Strategy<Value = TimeSpan> {
    prop_oneof![
        any::<i64>().prop_map(TimeSpan),
        Just(TimeSpan::MIN),
        Just(TimeSpan::MAX),
        Just(TimeSpan::ZERO)
    ]
}

pub fn failover_with(secret: BoxedStrategy<Option<Vec<u8>>>) -> BoxedStrategy<DhcpFailover> {
    let a = (
        proptest::option::of(proptest::collection::vec(text(), 0..4)),
        proptest::option::of(proptest::collection::vec(text(), 0..4)),
        any::<bool>(),
        span(),
        select(DhcpFailoverMode::ALL),
        proptest::option::of(proptest::collection::vec(
            select(DhcpFailoverOperations::ALL),
            0..4,
        )),
        any::<i64>(),
        opt_text(),
    );
    let b = (
        proptest::option::of(addr()),
        opt_text(),
        opt_text(),
        any::<u32>(),
        any::<i64>(),
        select(DhcpFailoverState::ALL),
        proptest::option::of(addr()),
        opt_text(),
        opt_text(),
        any::<i64>(),
        select(DhcpFailoverState::ALL),
    );
    let c = (
        select(DhcpFailoverOperationOwner::ALL),
        secret,
        any::<bool>(),
        span(),
    );
    (a, b, c)
        .prop_map(|(a, b, c)| DhcpFailover {
            modified_properties: a.0,
            set_properties: a.1,
            auto_state_transition: a.2,
            mclt: a.3,
            mode: a.4,
            operation_tracker: a.5,
            record_id: a.6,
            relationship_name: a.7,
            server1_ip: b.0,
            server1_name: b.1,
            server1_ps_name: b.2,
            server1_percentage: b.3,
            server1_record_id: b.4,
            server1_state: b.5,
            server2_ip: b.6,
            server2_name: b.7,
            server2_ps_name: b.8,
            server2_record_id: b.9,
            server2_state: b.10,
            server_owner: c.0,
            shared_secret: c.1,
            shared_secret_enabled: c.2,
            state_switch_interval: c.3,
        })
        .boxed()
}

pub fn failover() -> impl Strategy<Value = DhcpFailover> {
    failover_with(proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)).boxed())
}

pub fn scope() -> BoxedStrategy<DhcpScopeV4> {
    (
        (any::<i64>(), any::<i64>(), addr(), addr(), addr(), addr()),
        (
            text(),
            opt_text(),
            select(DhcpScopeStatus::ALL),
            span(),
            select(DhcpFailoverConfigSyncStatus::ALL),
            opt_text(),
        ),
    )
        .prop_map(|(a, b)| DhcpScopeV4 {
            record_id: a.0,
            parent_dhcp_server_record_id: a.1,
            scope_id: a.2,
            subnet_mask: a.3,
            start_address: a.4,
            end_address: a.5,
            scope_name: b.0,
            description: b.1,
            status: b.2,
            lease_duration: b.3,
            failover_config_sync_status: b.4,
            failover_relationship_name: b.5,
        })
        .boxed()
}

pub fn scopes() -> impl Strategy<Value = ScopesParameters> {
    proptest::option::of(proptest::collection::vec(
        proptest::option::of(scope()),
        0..4,
    ))
    .prop_map(|scopes| ScopesParameters { scopes })
}

pub fn ids() -> impl Strategy<Value = Option<Vec<i64>>> {
    proptest::option::of(proptest::collection::vec(any::<i64>(), 0..8))
}

pub fn other_type() -> impl Strategy<Value = String> {
    let failover_types = [
        "DhcpFailoverWithScopesParameters",
        "DhcpFailoverParameters",
        "DhcpFailoverRemoveScopesParameters",
        "DhcpFailoverDeleteParameters",
        "ResetConfigSyncStatusParameters",
        "ReplicateScopeParameters",
        "ReplicateRelationParameters",
        "ReplicateServerParameters",
    ];
    let others: Vec<&'static str> = ipam_soap::ns::OPERATION_PARAMETER_TYPES
        .iter()
        .copied()
        .filter(|t| !failover_types.contains(t))
        .collect();
    select(others).prop_map(str::to_owned)
}

pub fn derived() -> BoxedStrategy<DerivedParameters> {
    let f = || proptest::option::of(failover());
    prop_oneof![
        (f(), ids()).prop_map(
            |(failover, scope_ids)| DerivedParameters::DhcpFailoverWithScopes(
                DhcpFailoverWithScopesParameters {
                    failover,
                    scope_ids
                }
            )
        ),
        f().prop_map(
            |failover| DerivedParameters::DhcpFailover(DhcpFailoverParameters { failover })
        ),
        (any::<bool>(), ids()).prop_map(|(force, scope_ids)| {
            DerivedParameters::DhcpFailoverRemoveScopes(DhcpFailoverRemoveScopesParameters {
                force,
                scope_ids,
            })
        }),
        (f(), any::<bool>()).prop_map(|(failover, force)| DerivedParameters::DhcpFailoverDelete(
            DhcpFailoverDeleteParameters { failover, force }
        )),
        scopes().prop_map(DerivedParameters::ResetConfigSyncStatus),
        scopes().prop_map(DerivedParameters::ReplicateScope),
        f().prop_map(|failover_relation| DerivedParameters::ReplicateRelation(
            ReplicateRelationParameters { failover_relation }
        )),
        proptest::option::of((any::<i64>(), text(), addr(), opt_text()).prop_map(
            |(record_id, name, address, description)| {
                DhcpServerV4 {
                    record_id,
                    name,
                    address,
                    description,
                }
            }
        ))
        .prop_map(|server| DerivedParameters::ReplicateServer(
            ReplicateServerParameters { server }
        )),
        other_type().prop_map(DerivedParameters::Other),
    ]
    .boxed()
}

pub fn params() -> BoxedStrategy<IpamOperationWithProgressParameters> {
    (
        proptest::option::of(select(IpamAdminOperationId::ALL)),
        derived(),
    )
        .prop_map(
            |(operation_id, derived)| IpamOperationWithProgressParameters {
                operation_id,
                derived,
            },
        )
        .boxed()
}

pub fn exception() -> impl Strategy<Value = IpamException> {
    let leaf = (select(IpamExceptionId::ALL), text()).prop_map(|(id, m)| IpamException::new(id, m));
    leaf.prop_recursive(3, 4, 1, |inner| {
        (select(IpamExceptionId::ALL), text(), inner)
            .prop_map(|(id, m, i)| IpamException::new(id, m).with_inner(i))
    })
}

pub fn sub_task() -> BoxedStrategy<SubTaskInstance> {
    (
        proptest::option::of(exception()),
        any::<bool>(),
        opt_text(),
        proptest::option::of((opt_text(), opt_text(), opt_text()).prop_map(|(a, b, c)| {
            FailoverDataFormatter {
                failover_name: a,
                server1_name: b,
                server2_name: c,
            }
        })),
        any::<i32>(),
        opt_text(),
        select(SubTaskStatus::ALL),
        any::<i32>(),
    )
        .prop_map(|t| SubTaskInstance {
            failed_completion_status: t.0,
            is_non_deterministic_progress: t.1,
            progress_status_descriptions: t.2,
            sub_task_instance_details: t.3,
            sub_task_instance_id: t.4,
            sub_task_name: t.5,
            sub_task_status: t.6,
            sub_task_unique_id: t.7,
        })
        .boxed()
}

pub fn completion() -> BoxedStrategy<DhcpMsmOverallCompletionStatus> {
    let entity = (
        any::<bool>(),
        select(IpamObjectType::ALL),
        select(EntityOperationType::ALL),
        any::<i64>(),
    )
        .prop_map(
            |(is_successful, object_type, operation_type, record_id)| EntityStatus {
                is_successful,
                object_type,
                operation_type,
                record_id,
            },
        );
    (
        proptest::collection::vec(entity, 0..4),
        proptest::option::of(exception()),
        any::<bool>(),
        // The secret is never written back (docs/spec-decisions.md), so it cannot round-trip.
        proptest::option::of(failover_with(Just(None).boxed())),
    )
        .prop_map(
            |(entity_status, error_info, has_ipam_update_error, return_object)| {
                DhcpMsmOverallCompletionStatus {
                    entity_status,
                    error_info,
                    has_ipam_update_error,
                    return_object,
                }
            },
        )
        .boxed()
}

pub fn event() -> BoxedStrategy<ProgressEvent> {
    prop_oneof![
        any::<bool>().prop_map(
            |is_non_deterministic| ProgressEvent::StartProgressCallback {
                is_non_deterministic
            }
        ),
        sub_task().prop_map(|sub_task_instance| ProgressEvent::AddSubTask { sub_task_instance }),
        (
            sub_task(),
            select(SubTaskStatus::ALL),
            0u8..=100,
            proptest::option::of(exception())
        )
            .prop_map(
                |(sub_task_instance, status, percent_complete, completion_status)| {
                    ProgressEvent::SetSubTaskStatus {
                        sub_task_instance,
                        status,
                        percent_complete,
                        completion_status,
                    }
                }
            ),
        (0u8..=100).prop_map(
            |completion_percentage| ProgressEvent::SetCompletionPercentage {
                completion_percentage
            }
        ),
        (
            select(OverallProgressStatus::ALL),
            proptest::option::of(completion())
        )
            .prop_map(|(overall_status, completion_status)| {
                ProgressEvent::SetOverallStatus {
                    overall_status,
                    completion_status,
                }
            }),
    ]
    .boxed()
}
