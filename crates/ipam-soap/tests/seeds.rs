//! Writes encoder output for every parameter type and callback into `fuzz/seeds/`
//! (run with `cargo test -p ipam-soap --test seeds -- --ignored`).

use std::net::Ipv4Addr;

use ipam_model::*;
use ipam_soap::*;

#[test]
#[ignore = "writes fuzz/seeds/; run on demand with --ignored"]
fn write_fuzz_seeds() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds");
    let f = DhcpFailover {
        relationship_name: Some("r".into()),
        server1_ip: Some(Ipv4Addr::new(10, 0, 0, 1)),
        shared_secret: Some(vec![1, 2, 3]),
        modified_properties: Some(vec!["Mode".into()]),
        operation_tracker: Some(vec![DhcpFailoverOperations::FailoverCreate]),
        ..Default::default()
    };
    let scope = DhcpScopeV4 {
        record_id: 1,
        parent_dhcp_server_record_id: 2,
        scope_id: Ipv4Addr::new(10, 0, 0, 0),
        subnet_mask: Ipv4Addr::new(255, 255, 255, 0),
        start_address: Ipv4Addr::new(10, 0, 0, 1),
        end_address: Ipv4Addr::new(10, 0, 0, 254),
        scope_name: "s".into(),
        description: None,
        status: DhcpScopeStatus::Active,
        lease_duration: TimeSpan::from_secs(3600),
        failover_config_sync_status: DhcpFailoverConfigSyncStatus::InSync,
        failover_relationship_name: Some("r".into()),
    };
    let derived = [
        DerivedParameters::DhcpFailoverWithScopes(DhcpFailoverWithScopesParameters {
            failover: Some(f.clone()),
            scope_ids: Some(vec![1, 2]),
        }),
        DerivedParameters::DhcpFailover(DhcpFailoverParameters {
            failover: Some(f.clone()),
        }),
        DerivedParameters::DhcpFailoverRemoveScopes(DhcpFailoverRemoveScopesParameters {
            force: true,
            scope_ids: Some(vec![3]),
        }),
        DerivedParameters::DhcpFailoverDelete(DhcpFailoverDeleteParameters {
            failover: Some(f.clone()),
            force: true,
        }),
        DerivedParameters::ResetConfigSyncStatus(ScopesParameters {
            scopes: Some(vec![Some(scope.clone()), None]),
        }),
        DerivedParameters::ReplicateScope(ScopesParameters {
            scopes: Some(vec![Some(scope)]),
        }),
        DerivedParameters::ReplicateRelation(ReplicateRelationParameters {
            failover_relation: Some(f.clone()),
        }),
        DerivedParameters::ReplicateServer(ReplicateServerParameters {
            server: Some(DhcpServerV4 {
                record_id: 1,
                name: "n".into(),
                address: Ipv4Addr::LOCALHOST,
                description: None,
            }),
        }),
        DerivedParameters::Other("CreateDhcpScopeParameters".into()),
    ];
    for (i, d) in derived.into_iter().enumerate() {
        let p = IpamOperationWithProgressParameters {
            operation_id: Some(IpamAdminOperationId::ReplicateScope),
            derived: d,
        };
        std::fs::write(
            format!("{dir}/init-{i}.xml"),
            encode_initialize_request(Some(&p), "m", None),
        )
        .unwrap();
    }
    let e = IpamException::invalid_parameter("x").with_inner(IpamException::invalid_parameter("y"));
    let task = SubTaskInstance {
        failed_completion_status: Some(e.clone()),
        is_non_deterministic_progress: true,
        progress_status_descriptions: None,
        sub_task_instance_details: Some(FailoverDataFormatter {
            failover_name: Some("r".into()),
            server1_name: None,
            server2_name: None,
        }),
        sub_task_instance_id: 1,
        sub_task_name: Some("t".into()),
        sub_task_status: SubTaskStatus::InProgress,
        sub_task_unique_id: 2,
    };
    let events = [
        ProgressEvent::AddSubTask {
            sub_task_instance: task.clone(),
        },
        ProgressEvent::SetSubTaskStatus {
            sub_task_instance: task,
            status: SubTaskStatus::NotRun,
            percent_complete: 5,
            completion_status: Some(e.clone()),
        },
        ProgressEvent::SetOverallStatus {
            overall_status: OverallProgressStatus::CompletedWithFailure,
            completion_status: Some(DhcpMsmOverallCompletionStatus {
                entity_status: vec![EntityStatus {
                    is_successful: true,
                    object_type: IpamObjectType::DHCPFailover,
                    operation_type: EntityOperationType::Add,
                    record_id: 4,
                }],
                error_info: Some(e.clone()),
                has_ipam_update_error: true,
                return_object: Some(f),
            }),
        },
    ];
    for (i, ev) in events.iter().enumerate() {
        std::fs::write(format!("{dir}/callback-{i}.xml"), encode_callback(ev)).unwrap();
    }
    std::fs::write(
        format!("{dir}/fault.xml"),
        encode_fault(&Fault::from(e), Some("m")),
    )
    .unwrap();
    std::fs::write(format!("{dir}/keepalive.xml"), encode_keepalive()).unwrap();
    std::fs::write(
        format!("{dir}/start.xml"),
        encode_start_request("m", Some("net.tcp://x/")),
    )
    .unwrap();
    std::fs::write(
        format!("{dir}/zref.xml"),
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action>http://Microsoft.Windows.Ipam/IIpamOperationWithProgress/InitializeOperationParameters</a:Action></s:Header><s:Body><InitializeOperationParameters xmlns="http://Microsoft.Windows.Ipam" xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns:z="http://schemas.microsoft.com/2003/10/Serialization/"><paramters i:type="DhcpFailoverParameters" z:Id="a"><Failover z:Ref="b"/></paramters><X z:Id="b"><Mode>HotStandby</Mode></X></InitializeOperationParameters></s:Body></s:Envelope>"#,
    )
    .unwrap();
}
