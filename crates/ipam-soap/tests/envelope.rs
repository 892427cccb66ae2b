//! Envelope handling: actions, Keepalive, mustUnderstand, SOAP 1.1, the spec's examples.
#![allow(clippy::result_large_err)]

mod common;

use common::*;
use ipam_model::*;
use ipam_soap::*;

fn req(xml: &str) -> Result<Request, Fault> {
    decode_request(xml.as_bytes(), &Limits::default())
}

/// The spec's text splits tags over lines and separates them by blank lines; that is still XML.
fn spec_example(section: &str, n: usize) -> String {
    let spec = include_str!("data/spec-examples.txt");
    let start = spec.find(&format!("## {section}")).unwrap();
    let rest = &spec[start..];
    let mut envs = rest.match_indices("<s:Envelope").map(|(i, _)| i);
    let i = envs.nth(n).unwrap();
    let end = rest[i..].find("</s:Envelope>").unwrap() + i + "</s:Envelope>".len();
    rest[i..end].to_owned()
}

#[test]
fn keepalive_of_the_spec_is_recognised() {
    let r = req(&spec_example("2.2.2.2", 0)).unwrap();
    assert_eq!(r.body, RequestBody::Keepalive);
    assert_eq!(
        r.action,
        "Microsoft.WindowsServerSolutions.Common.ProviderFramework.Keepalive"
    );
    let r = req(&encode_keepalive()).unwrap();
    assert_eq!(r.body, RequestBody::Keepalive);
}

#[test]
fn spec_section_4_requests_are_action_not_supported_here() {
    // §4.1 and §4.2 are IIpamServer requests: not this port type.
    for (section, action) in [
        ("4.1", "GetCommonPropertyValue"),
        ("4.2", "SaveRange"),
        ("4.3", "InitializeEnumeration"),
    ] {
        let f = req(&spec_example(section, 0)).unwrap_err();
        assert_eq!(f.code, FaultCode::Sender);
        assert_eq!(
            f.subcode,
            Some(QName::new(
                "http://www.w3.org/2005/08/addressing",
                "ActionNotSupported"
            ))
        );
        assert!(f.problem_action.as_deref().unwrap().ends_with(action));
        assert_eq!(f.action, "http://www.w3.org/2005/08/addressing/fault");
        if section != "4.3" {
            assert!(
                f.request_message_id
                    .as_deref()
                    .unwrap()
                    .starts_with("urn:uuid:")
            );
        }
        let xml = encode_fault(&f, f.request_message_id.as_deref());
        match decode_server_message(xml.as_bytes(), &Limits::default()).unwrap() {
            ServerMessage::Fault(back) => assert_eq!(back, f),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn spec_section_4_3_callbacks_parse_as_envelopes() {
    // The enumeration callbacks use the service port type's action and a:To anonymous, like ours.
    for n in [3, 5] {
        let xml = spec_example("4.3", n);
        assert!(xml.contains("IIpamEnumerator/"), "{xml}");
        let f = decode_server_message(xml.as_bytes(), &Limits::default()).unwrap_err();
        assert_eq!(f.subcode.unwrap().local, "ActionNotSupported");
    }
}

#[test]
fn start_operation_and_reply() {
    let xml = encode_start_request("urn:uuid:1", Some("net.tcp://h/ipam"));
    let r = req(&xml).unwrap();
    assert_eq!(r.body, RequestBody::StartOperationWithCallback);
    assert_eq!(r.message_id.as_deref(), Some("urn:uuid:1"));
    assert_eq!(r.to.as_deref(), Some("net.tcp://h/ipam"));
    let reply = encode_start_response(r.message_id.as_deref());
    assert_eq!(
        decode_server_message(reply.as_bytes(), &Limits::default()).unwrap(),
        ServerMessage::Response {
            action: "http://Microsoft.Windows.Ipam/IIpamOperationWithProgress/StartOperationWithCallbackResponse".into(),
            relates_to: Some("urn:uuid:1".into())
        }
    );
    let reply = encode_initialize_response(Some("urn:uuid:2"));
    assert!(reply.contains("<a:RelatesTo>urn:uuid:2</a:RelatesTo>"));
    assert!(
        reply.contains(
            r#"<InitializeOperationParametersResponse xmlns="http://Microsoft.Windows.Ipam"/>"#
        ),
        "{reply}"
    );
}

#[test]
fn wrong_body_for_the_action_is_invalid_parameter() {
    let f = req(&envelope(
        INIT,
        r#"<StartOperationWithCallback xmlns="http://Microsoft.Windows.Ipam"/>"#,
    ))
    .unwrap_err();
    assert_eq!(
        f.detail.unwrap().exception_id,
        IpamExceptionId::IpamApiInvalidParameter
    );
    let f = req(&envelope(INIT, "")).unwrap_err();
    assert!(f.reason.contains("empty"));
}

#[test]
fn unknown_action_and_missing_action() {
    let f = req(&envelope("urn:nope", "")).unwrap_err();
    assert_eq!(f.subcode.as_ref().unwrap().local, "ActionNotSupported");
    assert_eq!(f.problem_action.as_deref(), Some("urn:nope"));
    assert_eq!(
        f.request_message_id.as_deref(),
        Some("urn:uuid:00000000-0000-0000-0000-000000000001")
    );
    let xml = encode_fault(&f, f.request_message_id.as_deref());
    assert!(
        xml.contains("<s:Value xmlns:a=\"http://www.w3.org/2005/08/addressing\">a:ActionNotSupported</s:Value>"),
        "{xml}"
    );
    assert!(
        xml.contains("<a:ProblemAction><a:Action>urn:nope</a:Action></a:ProblemAction>"),
        "{xml}"
    );

    let f = req(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>"#,
    )
    .unwrap_err();
    assert_eq!(f.subcode.unwrap().local, "MessageAddressingHeaderRequired");
}

#[test]
fn must_understand_headers() {
    let with_header = |h: &str| {
        format!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">{INIT}</a:Action><a:MessageID>m1</a:MessageID>{h}</s:Header><s:Body><InitializeOperationParameters xmlns="http://Microsoft.Windows.Ipam"/></s:Body></s:Envelope>"#
        )
    };
    for mu in ["1", "true", " true "] {
        let f = req(&with_header(&format!(
            r#"<x:Security xmlns:x="urn:sec" s:mustUnderstand="{mu}"/>"#
        )))
        .unwrap_err();
        assert_eq!(f.code, FaultCode::MustUnderstand);
        assert_eq!(f.not_understood, Some(QName::new("urn:sec", "Security")));
        assert_eq!(f.request_message_id.as_deref(), Some("m1"));
        let xml = encode_fault(&f, Some("m1"));
        assert!(
            xml.contains(r#"<s:NotUnderstood qname="nu:Security" xmlns:nu="urn:sec"/>"#),
            "{xml}"
        );
        assert!(xml.contains("<s:Value xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">s:MustUnderstand</s:Value>"));
        match decode_server_message(xml.as_bytes(), &Limits::default()).unwrap() {
            ServerMessage::Fault(back) => assert_eq!(back, f),
            other => panic!("{other:?}"),
        }
    }
    // Optional or not-for-us headers are ignored; so is a mustUnderstand in another namespace.
    for h in [
        r#"<x:Security xmlns:x="urn:sec" s:mustUnderstand="0"/>"#,
        r#"<x:Security xmlns:x="urn:sec"/>"#,
        r#"<x:Security xmlns:x="urn:sec" s:mustUnderstand="1" s:role="http://www.w3.org/2003/05/soap-envelope/role/none"/>"#,
        r#"<x:Security xmlns:x="urn:sec" mustUnderstand="1"/>"#,
        r#"<a:FaultTo s:mustUnderstand="1"><a:Address>urn:x</a:Address></a:FaultTo>"#,
    ] {
        assert!(req(&with_header(h)).is_ok(), "{h}");
    }
}

#[test]
fn soap_11_is_a_version_mismatch() {
    let xml = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><a:Action xmlns:a="http://www.w3.org/2005/08/addressing">http://Microsoft.Windows.Ipam/IIpamOperationWithProgress/StartOperationWithCallback</a:Action></soap:Header><soap:Body><StartOperationWithCallback xmlns="http://Microsoft.Windows.Ipam"/></soap:Body></soap:Envelope>"#;
    let f = req(xml).unwrap_err();
    assert_eq!(f.code, FaultCode::VersionMismatch);
    let out = encode_fault(&f, None);
    assert!(
        out.contains(r#"<s:Upgrade><s:SupportedEnvelope qname="s:Envelope"/></s:Upgrade>"#),
        "{out}"
    );
    assert!(out.contains(
        "<s:Value xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">s:VersionMismatch</s:Value>"
    ));
    // Not an envelope at all, or an envelope in no namespace.
    assert_eq!(
        req("<Envelope/>").unwrap_err().code,
        FaultCode::VersionMismatch
    );
    assert_eq!(
        req(r#"<x:Foo xmlns:x="urn:x"/>"#).unwrap_err().code,
        FaultCode::VersionMismatch
    );
}

#[test]
fn ipam_faults_have_the_2_2_2_1_shape_and_decode_back() {
    let e = IpamException::new(
        IpamExceptionId::IpamApiDhcpFailoverFailedToAddInIpamDatabase,
        "could not add <rel> & co",
    )
    .with_inner(IpamException::new(
        IpamExceptionId::IpamApiFailedWithUniqueKeyViolation,
        "duplicate\r\nname",
    ));
    let f = Fault::from(e.clone());
    let xml = encode_fault(&f, Some("urn:uuid:9"));
    for needle in [
        "<a:Action s:mustUnderstand=\"1\">http://www.w3.org/2005/08/addressing/soap/fault</a:Action>",
        "<a:RelatesTo>urn:uuid:9</a:RelatesTo>",
        "<s:Code><s:Value xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">s:Sender</s:Value></s:Code>",
        "<s:Text xml:lang=\"en-US\">could not add &lt;rel&gt; &amp; co</s:Text>",
        "<IpamException xmlns=\"http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam\" xmlns:s=",
        "<ClassName xmlns=\"\" i:type=\"x:string\">Microsoft.Windows.Ipam.IpamException</ClassName>",
        "<IpamExceptionData xmlns=\"\" z:Id=\"i1\" i:type=\"b:IpamExceptionData\"><b:ExceptionId>IpamApiDhcpFailoverFailedToAddInIpamDatabase</b:ExceptionId>",
        "<InnerIpamException xmlns=\"\" i:type=\"c:IpamException\">",
        "<b:ExceptionId>IpamApiFailedWithUniqueKeyViolation</b:ExceptionId>",
    ] {
        assert!(xml.contains(needle), "missing {needle} in {xml}");
    }
    match decode_server_message(xml.as_bytes(), &Limits::default()).unwrap() {
        ServerMessage::Fault(back) => {
            assert_eq!(back.detail, Some(e));
            assert_eq!(back.request_message_id.as_deref(), Some("urn:uuid:9"));
            assert_eq!(back, f.relating_to(Some("urn:uuid:9")));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn inner_exception_reference_cycles_end_in_a_fault() {
    let xml = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action>http://www.w3.org/2005/08/addressing/soap/fault</a:Action></s:Header><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code><s:Reason><s:Text xml:lang="en-US">x</s:Text></s:Reason><s:Detail><IpamException xmlns="http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam" xmlns:z="http://schemas.microsoft.com/2003/10/Serialization/" z:Id="e"><InnerIpamException xmlns="" z:Ref="e"/></IpamException></s:Detail></s:Fault></s:Body></s:Envelope>"#;
    let f = decode_server_message(xml.as_bytes(), &Limits::default()).unwrap_err();
    assert_eq!(
        f.detail.unwrap().exception_id,
        IpamExceptionId::IpamClientMessageSizeExceeded
    );
}

#[test]
fn spec_fault_sample_decodes() {
    // §2.2.2.1's sample has a placeholder instead of the IpamException element.
    let xml = spec_example("2.2.2.1", 0);
    match decode_server_message(xml.as_bytes(), &Limits::default()).unwrap() {
        ServerMessage::Fault(f) => {
            assert_eq!(f.code, FaultCode::Sender);
            assert_eq!(
                f.reason,
                "The creator of this fault did not specify a Reason."
            );
            assert_eq!(f.detail, None);
        }
        other => panic!("{other:?}"),
    }
}

/// A UTF-8 byte order mark before the envelope is skipped (Mono writes one in each text
/// envelope; the net.tcp layer hands the bytes over as they are).
#[test]
fn a_byte_order_mark_is_skipped() {
    let xml = encode_start_request("urn:uuid:1", None);
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), xml.as_bytes()].concat();
    assert_eq!(
        decode_request(&with_bom, &Limits::default()).unwrap(),
        decode_request(xml.as_bytes(), &Limits::default()).unwrap()
    );
}
