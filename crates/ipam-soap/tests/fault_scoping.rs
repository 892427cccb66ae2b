//! Fault envelopes stay readable when their body is read apart from the envelope (Mono's
//! WCF client with binary encoding copies the fault out): the QName values of
//! `s:Code/s:Value` and `s:Subcode/s:Value` declare their prefix on the element, and the
//! `IpamException` detail declares every prefix its content uses.

use ipam_model::IpamException;
use ipam_soap::{Fault, ServerMessage, decode_server_message, encode_fault, encode_start_response};

#[test]
fn fault_code_prefixes_are_declared_on_the_value() {
    let fault = Fault::action_not_supported("urn:x");
    let xml = encode_fault(&fault, Some("urn:uuid:1"));
    assert!(
        xml.contains(
            r#"<s:Value xmlns:s="http://www.w3.org/2003/05/soap-envelope">s:Sender</s:Value>"#
        ),
        "{xml}"
    );
    assert!(xml.contains(r#"<s:Value xmlns:a="http://www.w3.org/2005/08/addressing">a:ActionNotSupported</s:Value>"#), "{xml}");
    match decode_server_message(xml.as_bytes(), &Default::default()).unwrap() {
        ServerMessage::Fault(f) => assert_eq!(f, fault.relating_to(Some("urn:uuid:1"))),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_exception_detail_declares_its_prefixes() {
    let ipam = Fault::from(IpamException::invalid_parameter("x"));
    let xml = encode_fault(&ipam, None);
    let detail = &xml[xml.find("<IpamException").unwrap()..];
    let open = &detail[..detail.find('>').unwrap()];
    for decl in [
        r#"xmlns:i="http://www.w3.org/2001/XMLSchema-instance""#,
        r#"xmlns:x="http://www.w3.org/2001/XMLSchema""#,
        r#"xmlns:z="http://schemas.microsoft.com/2003/10/Serialization/""#,
        r#"xmlns:b="http://Microsoft.Windows.Ipam""#,
    ] {
        assert!(open.contains(decl), "{decl} missing from {open}");
    }
    match decode_server_message(xml.as_bytes(), &Default::default()).unwrap() {
        ServerMessage::Fault(f) => assert_eq!(f, ipam),
        other => panic!("{other:?}"),
    }
    assert!(!encode_start_response(Some("urn:uuid:1")).contains("<s:Value"));
}

#[test]
fn attribute_values_are_escaped_once() {
    let header = ipam_soap::QName {
        ns: "urn:h&x\"y".into(),
        local: "Secret".into(),
    };
    let fault = Fault::must_understand(header.clone());
    let xml = encode_fault(&fault, None);
    assert!(xml.contains(r#"xmlns:nu="urn:h&amp;x&quot;y""#), "{xml}");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let nu = doc
        .descendants()
        .find(|n| n.tag_name().name() == "NotUnderstood")
        .unwrap();
    assert_eq!(nu.lookup_namespace_uri(Some("nu")), Some("urn:h&x\"y"));
}
