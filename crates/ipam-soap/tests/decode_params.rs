//! Hand-written InitializeOperationParameters envelopes for every failover parameter type:
#![allow(clippy::result_large_err)]
//! renamed prefixes, reordered members, nil versus absent, z:Ref, type and value errors.

mod common;

use std::net::Ipv4Addr;

use common::*;
use ipam_model::*;
use ipam_soap::*;

const NS: &str = r#"xmlns="http://Microsoft.Windows.Ipam" xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns:z="http://schemas.microsoft.com/2003/10/Serialization/" xmlns:arr="http://schemas.microsoft.com/2003/10/Serialization/Arrays" xmlns:net="http://schemas.datacontract.org/2004/07/System.Net""#;

fn init(paramters: &str) -> String {
    format!(r#"<InitializeOperationParameters {NS}>{paramters}</InitializeOperationParameters>"#)
}

fn ip(name: &str, a: u32) -> String {
    format!(
        "<{name}><net:m_Address>{a}</net:m_Address><net:m_Family>InterNetwork</net:m_Family><net:m_HashCode>0</net:m_HashCode><net:m_Numbers i:nil=\"true\"/><net:m_ScopeId>0</net:m_ScopeId></{name}>"
    )
}

fn decoded(paramters: &str) -> Member<IpamOperationWithProgressParameters> {
    match decode_init(&init(paramters))
        .unwrap_or_else(|f| panic!("{f:?}"))
        .body
    {
        RequestBody::InitializeOperationParameters(m) => m,
        other => panic!("{other:?}"),
    }
}

fn present(paramters: &str) -> IpamOperationWithProgressParameters {
    match decoded(paramters) {
        Member::Present(p) => p,
        other => panic!("{other:?}"),
    }
}

fn fault(paramters: &str) -> IpamException {
    decode_init(&init(paramters))
        .unwrap_err()
        .detail
        .expect("an IpamException detail")
}

/// A failover written in reverse XSD order, with an unknown member thrown in.
fn failover_reordered(name: &str) -> String {
    format!(
        "<{name}><StateSwitchInterval>PT10M</StateSwitchInterval><SharedSecretEnabled>1</SharedSecretEnabled><SharedSecret>AAEC/w==</SharedSecret><ServerOwner>ServerTwo</ServerOwner><Server2State>PartnerDown</Server2State><Server2RecordId>2</Server2RecordId><Server2PSName>b</Server2PSName><Server2Name i:nil=\"true\"/>{}<Server1State>Normal</Server1State><Server1RecordId>1</Server1RecordId><Server1Percentage>100</Server1Percentage><Server1PSName>a</Server1PSName><Server1Name>dhcp1</Server1Name>{}<RelationshipName>rel</RelationshipName><RecordId>-7</RecordId><OperationTracker><DhcpFailoverOperations>FailoverCreate</DhcpFailoverOperations><DhcpFailoverOperations>FailoverDelete</DhcpFailoverOperations></OperationTracker><Mode>HotStandby</Mode><MCLT>-P1DT0.5S</MCLT><Unknown><Deep/></Unknown><AutoStateTransition>false</AutoStateTransition><SetProperties/><ModifiedProperties><arr:string>Mode</arr:string><arr:string>MCLT</arr:string></ModifiedProperties></{name}>",
        ip("Server2IP", 4261412874),
        ip("Server1IP", 16777226),
    )
}

fn failover_expected() -> DhcpFailover {
    DhcpFailover {
        modified_properties: Some(vec!["Mode".into(), "MCLT".into()]),
        set_properties: Some(vec![]),
        auto_state_transition: false,
        mclt: TimeSpan(-(86400 * TICKS_PER_SECOND + 5_000_000)),
        mode: DhcpFailoverMode::HotStandby,
        operation_tracker: Some(vec![
            DhcpFailoverOperations::FailoverCreate,
            DhcpFailoverOperations::FailoverDelete,
        ]),
        record_id: -7,
        relationship_name: Some("rel".into()),
        server1_ip: Some(Ipv4Addr::new(10, 0, 0, 1)),
        server1_name: Some("dhcp1".into()),
        server1_ps_name: Some("a".into()),
        server1_percentage: 100,
        server1_record_id: 1,
        server1_state: DhcpFailoverState::Normal,
        server2_ip: Some(Ipv4Addr::new(10, 0, 0, 254)),
        server2_name: None,
        server2_ps_name: Some("b".into()),
        server2_record_id: 2,
        server2_state: DhcpFailoverState::PartnerDown,
        server_owner: DhcpFailoverOperationOwner::ServerTwo,
        shared_secret: Some(vec![0, 1, 2, 255]),
        shared_secret_enabled: true,
        state_switch_interval: TimeSpan::from_secs(600),
    }
}

#[test]
fn with_scopes_reordered_members() {
    let p = present(&format!(
        r#"<paramters i:type="DhcpFailoverWithScopesParameters"><ScopeIds><arr:long>9223372036854775807</arr:long><arr:long> -1 </arr:long></ScopeIds>{}<OperationId>AddDhcpFailoverScopes</OperationId></paramters>"#,
        failover_reordered("Failover")
    ));
    assert_eq!(
        p.operation_id,
        Some(IpamAdminOperationId::AddDhcpFailoverScopes)
    );
    assert_eq!(
        p.derived,
        DerivedParameters::DhcpFailoverWithScopes(DhcpFailoverWithScopesParameters {
            failover: Some(failover_expected()),
            scope_ids: Some(vec![i64::MAX, -1]),
        })
    );
}

#[test]
fn every_failover_type_decodes() {
    let f = failover_reordered("Failover");
    let p = present(&format!(
        r#"<paramters i:type="DhcpFailoverParameters"><OperationId>EditDhcpFailover</OperationId>{f}</paramters>"#
    ));
    assert_eq!(
        p.derived,
        DerivedParameters::DhcpFailover(DhcpFailoverParameters {
            failover: Some(failover_expected())
        })
    );

    let p = present(
        r#"<paramters i:type="DhcpFailoverRemoveScopesParameters"><Force>true</Force><ScopeIds/></paramters>"#,
    );
    assert_eq!(p.operation_id, None);
    assert_eq!(
        p.derived,
        DerivedParameters::DhcpFailoverRemoveScopes(DhcpFailoverRemoveScopesParameters {
            force: true,
            scope_ids: Some(vec![])
        })
    );

    let p = present(&format!(
        r#"<paramters i:type="DhcpFailoverDeleteParameters">{f}</paramters>"#
    ));
    assert_eq!(
        p.derived,
        DerivedParameters::DhcpFailoverDelete(DhcpFailoverDeleteParameters {
            failover: Some(failover_expected()),
            force: false
        })
    );

    let p = present(&format!(
        r#"<paramters i:type="ReplicateRelationParameters">{}</paramters>"#,
        failover_reordered("FailoverRelation")
    ));
    assert_eq!(
        p.derived,
        DerivedParameters::ReplicateRelation(ReplicateRelationParameters {
            failover_relation: Some(failover_expected())
        })
    );

    let server = format!(
        r#"<paramters i:type="ReplicateServerParameters"><OperationId>ReplicateServer</OperationId><Server i:type="DhcpServerV4"><RecordId>5</RecordId><ServerRoleInfo><ParentServer><Name>dhcp1.contoso.com</Name><IPAddresses><net:IPAddress i:nil="true"/>{}</IPAddresses><Description>main</Description></ParentServer></ServerRoleInfo><AllowFilterEnabled>Enabled</AllowFilterEnabled></Server></paramters>"#,
        ip("net:IPAddress", 16885952)
    );
    let p = present(&server);
    assert_eq!(
        p.derived,
        DerivedParameters::ReplicateServer(ReplicateServerParameters {
            server: Some(DhcpServerV4 {
                record_id: 5,
                name: "dhcp1.contoso.com".into(),
                address: Ipv4Addr::new(192, 168, 1, 1),
                description: Some("main".into()),
            })
        })
    );

    for (ty, op) in [
        ("ResetConfigSyncStatusParameters", "ResetConfigSyncStatus"),
        ("ReplicateScopeParameters", "ReplicateScope"),
    ] {
        let xml = format!(
            r#"<paramters i:type="{ty}"><OperationId>{op}</OperationId><Scopes><DhcpScope i:nil="true"/><DhcpScope i:type="DhcpScopeV4"><LeaseDuration>P8D</LeaseDuration><FailoverRelationshipName>rel</FailoverRelationshipName><FailoverConfigSyncStatus>OutOfSync</FailoverConfigSyncStatus>{}{}{}{}<Status>Deactivated</Status><ScopeName>lab</ScopeName><RecordId>42</RecordId><ParentDhcpServerRecordId>1</ParentDhcpServerRecordId><PrefixLength>24</PrefixLength></DhcpScope><DhcpScope><RecordId>43</RecordId></DhcpScope></Scopes></paramters>"#,
            ip("ScopeId", 10),
            ip("SubnetMask", 16777215),
            ip("StartAddress", 16777226),
            ip("EndAddress", 4261412874),
        );
        let p = present(&xml);
        let scopes = match p.derived {
            DerivedParameters::ResetConfigSyncStatus(s) | DerivedParameters::ReplicateScope(s) => {
                s.scopes.unwrap()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(scopes.len(), 3);
        assert_eq!(scopes[0], None);
        let s = scopes[1].as_ref().unwrap();
        assert_eq!(s.record_id, 42);
        assert_eq!(s.scope_id, Ipv4Addr::new(10, 0, 0, 0));
        assert_eq!(s.subnet_mask, Ipv4Addr::new(255, 255, 255, 0));
        assert_eq!(s.start_address, Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(s.end_address, Ipv4Addr::new(10, 0, 0, 254));
        assert_eq!(s.status, DhcpScopeStatus::Inactive);
        assert_eq!(
            s.failover_config_sync_status,
            DhcpFailoverConfigSyncStatus::OutOfSync
        );
        assert_eq!(s.failover_relationship_name.as_deref(), Some("rel"));
        assert_eq!(s.lease_duration, TimeSpan::from_secs(8 * 86400));
        assert_eq!(scopes[2].as_ref().unwrap().record_id, 43);
    }
}

#[test]
fn absent_and_nil_paramters_are_both_null_but_distinct() {
    assert_eq!(decoded(""), Member::Absent);
    assert_eq!(decoded(r#"<paramters i:nil="true"/>"#), Member::Nil);
    assert_eq!(decoded(r#"<paramters i:nil="1"/>"#), Member::Nil);
    assert_eq!(decoded(r#"<paramters i:nil="true"/>"#).into_option(), None);
    assert_eq!(decoded("").into_option(), None);
}

#[test]
fn nil_and_absent_members() {
    let p = present(
        r#"<paramters i:type="DhcpFailoverWithScopesParameters"><Failover i:nil="true"/></paramters>"#,
    );
    assert_eq!(
        p.derived,
        DerivedParameters::DhcpFailoverWithScopes(DhcpFailoverWithScopesParameters::default())
    );
    let p = present(r#"<paramters i:type="DhcpFailoverParameters"><Failover/></paramters>"#);
    assert_eq!(
        p.derived,
        DerivedParameters::DhcpFailover(DhcpFailoverParameters {
            failover: Some(DhcpFailover::default())
        })
    );
}

#[test]
fn prefixes_are_irrelevant_only_namespaces_count() {
    let body = r#"<q1:InitializeOperationParameters xmlns:q1="http://Microsoft.Windows.Ipam"><q1:paramters xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="q1:DhcpFailoverRemoveScopesParameters"><q1:OperationId>RemoveDhcpFailoverScopes</q1:OperationId><q1:ScopeIds xmlns:w="http://schemas.microsoft.com/2003/10/Serialization/Arrays"><w:long>7</w:long></q1:ScopeIds></q1:paramters></q1:InitializeOperationParameters>"#;
    let env = format!(
        r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing"><soap:Header><wsa:Action soap:mustUnderstand="true">{INIT}</wsa:Action></soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"#
    );
    let r = decode_request(env.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(r.message_id, None);
    let p = match r.body {
        RequestBody::InitializeOperationParameters(m) => m.into_option().unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        p.operation_id,
        Some(IpamAdminOperationId::RemoveDhcpFailoverScopes)
    );
    assert_eq!(
        p.derived,
        DerivedParameters::DhcpFailoverRemoveScopes(DhcpFailoverRemoveScopesParameters {
            force: false,
            scope_ids: Some(vec![7])
        })
    );
    // The default namespace resolves an unprefixed i:type; a wrong default namespace does not.
    let e = fault(r#"<paramters xmlns:o="urn:other" i:type="o:DhcpFailoverParameters"/>"#);
    assert_eq!(e.exception_id, IpamExceptionId::IpamApiInvalidParameter);
    assert_eq!(
        e.message,
        "paramters is not of type IpamOperationWithProgressParameters: {urn:other}DhcpFailoverParameters"
    );
    // Elements in the wrong namespace are unknown members, hence ignored.
    let p = present(
        r#"<paramters i:type="DhcpFailoverRemoveScopesParameters"><Force xmlns="urn:x">true</Force></paramters>"#,
    );
    assert_eq!(
        p.derived,
        DerivedParameters::DhcpFailoverRemoveScopes(Default::default())
    );
}

#[test]
fn z_ref_takes_the_content_of_the_referenced_element() {
    let xml = format!(
        r#"<paramters i:type="DhcpFailoverWithScopesParameters"><Failover z:Ref="i9"/><ScopeIds z:Ref="i8"/></paramters><Spare z:Id="i9">{}</Spare><Spare2 z:Id="i8"><arr:long>5</arr:long></Spare2>"#,
        &failover_reordered("X")[3..failover_reordered("X").len() - 4]
    );
    let p = present(&xml);
    assert_eq!(
        p.derived,
        DerivedParameters::DhcpFailoverWithScopes(DhcpFailoverWithScopesParameters {
            failover: Some(failover_expected()),
            scope_ids: Some(vec![5]),
        })
    );
    let e =
        fault(r#"<paramters i:type="DhcpFailoverParameters"><Failover z:Ref="nope"/></paramters>"#);
    assert!(e.message.contains("z:Ref"), "{}", e.message);
}

#[test]
fn z_ref_cycles_end_in_a_fault() {
    let body =
        r#"<paramters i:type="DhcpFailoverParameters" z:Id="a"><Failover z:Ref="a"/></paramters>"#;
    // `Failover` takes the content (and the i:type) of `paramters`: not a DhcpFailover.
    let e = fault(body);
    assert!(
        e.message.contains("is not of type DhcpFailover"),
        "{}",
        e.message
    );
    // A reference to a reference is refused.
    let e = fault(
        r#"<paramters i:type="DhcpFailoverParameters"><Failover z:Id="b" z:Ref="b"/></paramters>"#,
    );
    assert_eq!(e.exception_id, IpamExceptionId::IpamApiInvalidParameter);
}

#[test]
fn other_derived_types_and_the_base_type() {
    let p = present(
        r#"<paramters i:type="CreateDhcpScopeParameters"><OperationId>CreateDhcpScope</OperationId><Scope/></paramters>"#,
    );
    assert_eq!(
        p.derived,
        DerivedParameters::Other("CreateDhcpScopeParameters".into())
    );
    let p = present(r#"<paramters><OperationId>ReplicateServer</OperationId></paramters>"#);
    assert_eq!(
        p.derived,
        DerivedParameters::Other("IpamOperationWithProgressParameters".into())
    );
}

#[test]
fn wrong_types_are_not_of_type_faults() {
    for (ty, qname) in [
        (
            "DhcpFailover",
            "{http://Microsoft.Windows.Ipam}DhcpFailover",
        ),
        (
            "NoSuchParameters",
            "{http://Microsoft.Windows.Ipam}NoSuchParameters",
        ),
        (
            "z:DhcpFailoverParameters",
            "{http://schemas.microsoft.com/2003/10/Serialization/}DhcpFailoverParameters",
        ),
    ] {
        let e = fault(&format!(r#"<paramters i:type="{ty}"/>"#));
        assert_eq!(e.exception_id, IpamExceptionId::IpamApiInvalidParameter);
        assert_eq!(
            e.message,
            format!("paramters is not of type IpamOperationWithProgressParameters: {qname}")
        );
    }
    let e = fault(r#"<paramters i:type="undeclared:X"/>"#);
    assert!(
        e.message.contains("prefix 'undeclared' is not declared"),
        "{}",
        e.message
    );
    let e = fault(
        r#"<paramters i:type="DhcpFailoverParameters"><Failover i:type="DhcpScope"/></paramters>"#,
    );
    assert_eq!(
        e.message,
        "paramters/Failover is not of type DhcpFailover: {http://Microsoft.Windows.Ipam}DhcpScope"
    );
}

#[test]
fn bad_values_name_path_and_value() {
    let cases = [
        (
            r#"<paramters><OperationId>Bogus</OperationId></paramters>"#,
            "paramters/OperationId",
            "'Bogus'",
        ),
        (
            r#"<paramters i:type="DhcpFailoverWithScopesParameters"><ScopeIds><arr:long>1</arr:long><arr:long>x1</arr:long></ScopeIds></paramters>"#,
            "paramters/ScopeIds/long[2]",
            "'x1'",
        ),
        (
            r#"<paramters i:type="DhcpFailoverParameters"><Failover><MCLT>PT1X</MCLT></Failover></paramters>"#,
            "paramters/Failover/MCLT",
            "'PT1X'",
        ),
        (
            r#"<paramters i:type="DhcpFailoverParameters"><Failover><MCLT>P10675199DT2H48M5.4775808S</MCLT></Failover></paramters>"#,
            "paramters/Failover/MCLT",
            "outside the TimeSpan range",
        ),
        (
            r#"<paramters i:type="DhcpFailoverParameters"><Failover><Mode>Fast</Mode></Failover></paramters>"#,
            "paramters/Failover/Mode",
            "'Fast'",
        ),
        (
            r#"<paramters i:type="DhcpFailoverParameters"><Failover><Server1Percentage>-1</Server1Percentage></Failover></paramters>"#,
            "paramters/Failover/Server1Percentage",
            "'-1'",
        ),
        (
            r#"<paramters i:type="DhcpFailoverParameters"><Failover><SharedSecret>!!</SharedSecret></Failover></paramters>"#,
            "paramters/Failover/SharedSecret",
            "'!!'",
        ),
        (
            r#"<paramters i:type="DhcpFailoverDeleteParameters"><Force>yes</Force></paramters>"#,
            "paramters/Force",
            "'yes'",
        ),
        (
            r#"<paramters i:type="DhcpFailoverParameters"><Failover><Server1IP><net:m_Address>4294967296</net:m_Address><net:m_Family>InterNetwork</net:m_Family></Server1IP></Failover></paramters>"#,
            "paramters/Failover/Server1IP/m_Address",
            "'4294967296'",
        ),
        (
            r#"<paramters i:type="DhcpFailoverParameters"><Failover><Server1IP><net:m_Address>1</net:m_Address><net:m_Family>InterNetworkV6</net:m_Family></Server1IP></Failover></paramters>"#,
            "paramters/Failover/Server1IP/m_Family",
            "IPv4",
        ),
    ];
    for (xml, path, needle) in cases {
        let e = fault(xml);
        assert_eq!(
            e.exception_id,
            IpamExceptionId::IpamApiInvalidParameter,
            "{xml}"
        );
        assert!(
            e.message.contains(path) && e.message.contains(needle),
            "{xml}: {}",
            e.message
        );
    }
}

#[test]
fn timespan_extremes_decode() {
    for (text, ts) in [
        ("-P10675199DT2H48M5.4775808S", TimeSpan::MIN),
        ("P10675199DT2H48M5.4775807S", TimeSpan::MAX),
        ("PT0S", TimeSpan::ZERO),
    ] {
        let p = present(&format!(
            r#"<paramters i:type="DhcpFailoverParameters"><Failover><MCLT>{text}</MCLT></Failover></paramters>"#
        ));
        let DerivedParameters::DhcpFailover(d) = p.derived else {
            panic!()
        };
        assert_eq!(d.failover.unwrap().mclt, ts);
    }
}
