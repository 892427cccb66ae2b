//! The captured WCF (Mono) exchange and request bodies decode as expected.
#![allow(clippy::result_large_err)]

mod common;

use std::net::Ipv4Addr;

use common::*;
use ipam_model::*;
use ipam_soap::*;

fn expected_create(name: &str, secret: Option<&[u8]>) -> IpamOperationWithProgressParameters {
    IpamOperationWithProgressParameters {
        operation_id: Some(IpamAdminOperationId::CreateDhcpFailover),
        derived: DerivedParameters::DhcpFailoverWithScopes(DhcpFailoverWithScopesParameters {
            failover: Some(DhcpFailover {
                modified_properties: None,
                set_properties: None,
                auto_state_transition: true,
                mclt: TimeSpan::from_secs(3600),
                mode: DhcpFailoverMode::LoadBalance,
                operation_tracker: None,
                record_id: 0,
                relationship_name: Some(name.into()),
                server1_ip: Some(Ipv4Addr::new(10, 0, 0, 1)),
                server1_name: Some("dhcp1.contoso.com".into()),
                server1_ps_name: Some("dhcp1.contoso.com".into()),
                server1_percentage: 50,
                server1_record_id: 1,
                server1_state: DhcpFailoverState::Normal,
                server2_ip: Some(Ipv4Addr::new(10, 0, 0, 2)),
                server2_name: Some("dhcp2.contoso.com".into()),
                server2_ps_name: Some("dhcp2.contoso.com".into()),
                server2_record_id: 2,
                server2_state: DhcpFailoverState::Normal,
                server_owner: DhcpFailoverOperationOwner::ServerOne,
                shared_secret: secret.map(<[u8]>::to_vec),
                shared_secret_enabled: secret.is_some(),
                state_switch_interval: TimeSpan::from_secs(600),
            }),
            scope_ids: Some(vec![1, 2, 3]),
        }),
    }
}

fn params(r: Request) -> IpamOperationWithProgressParameters {
    match r.body {
        RequestBody::InitializeOperationParameters(Member::Present(p)) => p,
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn wcf_request_body_decodes() {
    let r = decode_init(include_str!("data/wcf-create-request-body.xml")).unwrap();
    assert_eq!(
        params(r),
        expected_create("smoke-failover-1", Some(b"secret"))
    );
}

#[test]
fn mono_client_request_body_decodes() {
    let r = decode_init(include_str!("data/mono-client-create-request-body.xml")).unwrap();
    assert_eq!(params(r), expected_create("mono-client-0", None));
}

#[test]
fn every_captured_envelope_decodes_on_its_side() {
    let ex = exchange();
    assert_eq!(ex.len(), 19);
    let limits = Limits::default();
    for (dir, action, env) in ex {
        if dir == "C>S" {
            let r = decode_request(env.as_bytes(), &limits)
                .unwrap_or_else(|f| panic!("{action}: {f:?}"));
            assert_eq!(r.action, action);
            assert!(r.message_id.as_deref().unwrap().starts_with("urn:uuid:"));
            assert_eq!(
                r.reply_to.as_deref(),
                Some("http://www.w3.org/2005/08/addressing/anonymous")
            );
            assert_eq!(r.to.as_deref(), Some("net.tcp://127.0.0.1:18950/"));
            match r.body {
                RequestBody::InitializeOperationParameters(p) => {
                    let p = p.into_option().unwrap();
                    assert_eq!(
                        p.operation_id,
                        Some(IpamAdminOperationId::CreateDhcpFailover)
                    );
                }
                RequestBody::StartOperationWithCallback => {
                    assert!(action.ends_with("StartOperationWithCallback"))
                }
                RequestBody::Keepalive => panic!("no keepalive captured"),
            }
        } else {
            let m = decode_server_message(env.as_bytes(), &limits)
                .unwrap_or_else(|f| panic!("{action}: {f:?}"));
            match m {
                ServerMessage::Response {
                    action: a,
                    relates_to,
                } => {
                    assert_eq!(a, action);
                    assert!(relates_to.unwrap().starts_with("urn:uuid:"));
                }
                ServerMessage::Callback(ev) => assert!(action.ends_with(ev.name()), "{action}"),
                ServerMessage::Fault(f) => {
                    // Mono writes the bare code `Sender`; it still reads as Sender.
                    assert_eq!(f.code, FaultCode::Sender);
                    assert_eq!(f.action, "http://www.w3.org/2005/08/addressing/soap/fault");
                    let d = f.detail.unwrap();
                    assert!(matches!(
                        d.exception_id,
                        IpamExceptionId::IpamApiFailedWithUniqueKeyViolation
                            | IpamExceptionId::IpamApiDhcpScopeNotFoundInDB
                    ));
                    assert!(d.message.contains("constraint"));
                    assert!(d.inner.is_none());
                }
            }
        }
    }
}

#[test]
fn captured_callbacks_have_the_expected_content() {
    let limits = Limits::default();
    let events: Vec<ProgressEvent> = exchange()
        .into_iter()
        .filter(|(d, a, _)| d == "S>C" && !a.contains("Response") && !a.contains("fault"))
        .map(
            |(_, _, env)| match decode_server_message(env.as_bytes(), &limits).unwrap() {
                ServerMessage::Callback(e) => e,
                other => panic!("{other:?}"),
            },
        )
        .collect();
    assert_eq!(
        events[0],
        ProgressEvent::StartProgressCallback {
            is_non_deterministic: false
        }
    );
    assert_eq!(
        events[1],
        ProgressEvent::SetCompletionPercentage {
            completion_percentage: 100
        }
    );
    assert_eq!(
        events[2],
        ProgressEvent::SetOverallStatus {
            overall_status: OverallProgressStatus::CompletedWithSuccess,
            completion_status: None
        }
    );
}
