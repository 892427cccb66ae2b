//! Hostile input: each yields the right fault, nothing panics, nothing grows without bound.
#![allow(clippy::result_large_err)]

mod common;

use common::*;
use ipam_model::IpamExceptionId;
use ipam_soap::*;

fn id_of(f: &Fault) -> IpamExceptionId {
    f.detail.as_ref().expect("an IpamException").exception_id
}

fn req(xml: &str, limits: &Limits) -> Result<Request, Fault> {
    decode_request(xml.as_bytes(), limits)
}

#[test]
fn xxe_is_refused() {
    let xml = format!(
        r#"<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>{}"#,
        envelope(
            INIT,
            r#"<InitializeOperationParameters xmlns="http://Microsoft.Windows.Ipam"><paramters><OperationId>&xxe;</OperationId></paramters></InitializeOperationParameters>"#
        )
    );
    let f = req(&xml, &Limits::default()).unwrap_err();
    assert_eq!(id_of(&f), IpamExceptionId::IpamApiInvalidParameter);
    assert!(f.reason.contains("DTD"), "{}", f.reason);
}

#[test]
fn billion_laughs_is_refused() {
    let mut dtd = String::from(r#"<!DOCTYPE lolz [<!ENTITY lol "lol">"#);
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        dtd.push_str(&format!(
            r#"<!ENTITY lol{i} "{}">"#,
            format!("&{prev};").repeat(10)
        ));
    }
    dtd.push(']');
    dtd.push('>');
    let xml = format!("{dtd}{}", envelope(INIT, "<x>&lol9;</x>"));
    let f = req(&xml, &Limits::default()).unwrap_err();
    assert_eq!(id_of(&f), IpamExceptionId::IpamApiInvalidParameter);
}

#[test]
fn undeclared_entities_are_refused() {
    let f = req(&envelope(INIT, "<x>&nbsp;</x>"), &Limits::default()).unwrap_err();
    assert_eq!(id_of(&f), IpamExceptionId::IpamApiInvalidParameter);
}

#[test]
fn depth_bomb_is_a_quota_fault() {
    let deep = format!("{}{}", "<d>".repeat(10_000), "</d>".repeat(10_000));
    let limits = Limits {
        max_message_size: 1 << 20,
        ..Limits::default()
    };
    let f = req(&envelope(INIT, &deep), &limits).unwrap_err();
    assert_eq!(id_of(&f), IpamExceptionId::IpamClientMessageSizeExceeded);
    assert!(f.reason.contains("depth"), "{}", f.reason);
    // Unclosed, too.
    let f = req(
        &"<a>".repeat(100_000),
        &Limits {
            max_message_size: 1 << 20,
            ..Limits::default()
        },
    )
    .unwrap_err();
    assert_eq!(id_of(&f), IpamExceptionId::IpamClientMessageSizeExceeded);
}

#[test]
fn ten_mib_string() {
    let big = "A".repeat(10 << 20);
    let body = format!(
        r#"<InitializeOperationParameters xmlns="http://Microsoft.Windows.Ipam"><paramters><OperationId>{big}</OperationId></paramters></InitializeOperationParameters>"#
    );
    // Default limits: the size limit trips first, before any parsing.
    let f = req(&envelope(INIT, &body), &Limits::default()).unwrap_err();
    assert_eq!(id_of(&f), IpamExceptionId::IpamClientMessageSizeExceeded);
    assert!(f.reason.contains("maximum message size"), "{}", f.reason);
    // A raised size limit: the string length quota trips.
    let limits = Limits {
        max_message_size: 16 << 20,
        ..Limits::default()
    };
    let f = req(&envelope(INIT, &body), &limits).unwrap_err();
    assert_eq!(id_of(&f), IpamExceptionId::IpamClientMessageSizeExceeded);
    assert!(f.reason.contains("string content length"), "{}", f.reason);
    // And in an attribute value.
    let f = req(&envelope(INIT, &format!(r#"<x y="{big}"/>"#)), &limits).unwrap_err();
    assert_eq!(id_of(&f), IpamExceptionId::IpamClientMessageSizeExceeded);
}

#[test]
fn name_table_quota() {
    let many: String = (0..3000).map(|i| format!("<n{i:06}/>")).collect();
    let limits = Limits {
        max_message_size: 1 << 20,
        ..Limits::default()
    };
    let f = req(&envelope(INIT, &format!("<x>{many}</x>")), &limits).unwrap_err();
    assert_eq!(id_of(&f), IpamExceptionId::IpamClientMessageSizeExceeded);
    assert!(f.reason.contains("name table"), "{}", f.reason);
}

#[test]
fn truncated_documents() {
    let full = encode_initialize_request(None, "urn:uuid:1", None);
    for cut in (0..full.len()).step_by(7) {
        let f = req(&full[..cut], &Limits::default()).unwrap_err();
        assert_eq!(
            id_of(&f),
            IpamExceptionId::IpamApiInvalidParameter,
            "cut at {cut}"
        );
    }
    let f = decode_request(&[0xff, 0xfe, b'<'], &Limits::default()).unwrap_err();
    assert_eq!(id_of(&f), IpamExceptionId::IpamApiInvalidParameter);
}

#[test]
fn wrong_namespaces() {
    // Envelope in a made-up namespace: VersionMismatch.
    let f = req(
        r#"<s:Envelope xmlns:s="urn:not-soap"><s:Body/></s:Envelope>"#,
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(f.code, FaultCode::VersionMismatch);
    // Action in the WS-Addressing 2004/08 namespace: no action understood.
    let xml = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header><a:Action s:mustUnderstand="1">x</a:Action></s:Header><s:Body/></s:Envelope>"#;
    let f = req(xml, &Limits::default()).unwrap_err();
    assert_eq!(f.code, FaultCode::MustUnderstand);
    // Body operation in the ipam1 namespace.
    let f = req(&envelope(INIT, r#"<InitializeOperationParameters xmlns="http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam"/>"#), &Limits::default()).unwrap_err();
    assert_eq!(id_of(&f), IpamExceptionId::IpamApiInvalidParameter);
    // SOAP 1.1.
    let f = req(
        r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>"#,
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(f.code, FaultCode::VersionMismatch);
}

#[test]
fn arrays_hold_100000_scope_ids_when_the_size_limit_is_raised() {
    let ids: String = (0..100_000)
        .map(|i| format!("<a:long>{i}</a:long>"))
        .collect();
    let body = format!(
        r#"<InitializeOperationParameters xmlns="http://Microsoft.Windows.Ipam"><paramters xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="DhcpFailoverWithScopesParameters"><ScopeIds xmlns:a="http://schemas.microsoft.com/2003/10/Serialization/Arrays">{ids}</ScopeIds></paramters></InitializeOperationParameters>"#
    );
    let xml = envelope(INIT, &body);
    assert_eq!(
        id_of(&req(&xml, &Limits::default()).unwrap_err()),
        IpamExceptionId::IpamClientMessageSizeExceeded
    );
    let limits = Limits {
        max_message_size: 8 << 20,
        ..Limits::default()
    };
    let r = req(&xml, &limits).unwrap();
    let RequestBody::InitializeOperationParameters(p) = r.body else {
        panic!()
    };
    let ipam_model::DerivedParameters::DhcpFailoverWithScopes(d) = p.into_option().unwrap().derived
    else {
        panic!()
    };
    assert_eq!(d.scope_ids.unwrap().len(), 100_000);
    // The array quota itself.
    let small = Limits {
        max_array_length: 10,
        ..limits
    };
    let f = req(&xml, &small).unwrap_err();
    assert_eq!(id_of(&f), IpamExceptionId::IpamClientMessageSizeExceeded);
    assert!(f.reason.contains("ScopeIds"), "{}", f.reason);
}

#[test]
fn odd_but_harmless_input_never_panics() {
    let cases = [
        "",
        "<",
        "<?xml version='1.0'?>",
        "<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'/>",
        "<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'><s:Header><a:Action xmlns:a='http://www.w3.org/2005/08/addressing'>http://Microsoft.Windows.Ipam/IIpamOperationWithProgress/InitializeOperationParameters</a:Action></s:Header></s:Envelope>",
        "<!-- c --><?pi x?><s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'><![CDATA[x]]></s:Envelope>",
        "\u{feff}<x/>",
    ];
    for c in cases {
        let _ = decode_request(c.as_bytes(), &Limits::default());
        let _ = decode_server_message(c.as_bytes(), &Limits::default());
    }
}
