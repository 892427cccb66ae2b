//! decode(encode(x)) == x for every type the codec writes: all parameter types, every
#![allow(clippy::result_large_err)]
//! callback, faults with nested exceptions.

use ipam_model::*;
use ipam_soap::*;
use proptest::prelude::*;
mod strategies;
use strategies::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn initialize_requests_round_trip(p in params(), id in "urn:uuid:[0-9a-f]{8}") {
        let xml = encode_initialize_request(Some(&p), &id, Some("net.tcp://localhost/ipam"));
        let r = decode_request(xml.as_bytes(), &Limits::default()).map_err(|f| TestCaseError::fail(format!("{f:?}\n{xml}")))?;
        prop_assert_eq!(r.message_id.as_deref(), Some(id.as_str()));
        prop_assert_eq!(r.body, RequestBody::InitializeOperationParameters(Member::Present(p)));
    }

    #[test]
    fn callbacks_round_trip(e in event()) {
        let xml = encode_callback(&e);
        let m = decode_server_message(xml.as_bytes(), &Limits::default()).map_err(|f| TestCaseError::fail(format!("{f:?}\n{xml}")))?;
        prop_assert_eq!(m, ServerMessage::Callback(e));
    }

    #[test]
    fn faults_round_trip(e in exception(), id in proptest::option::of("[a-z0-9:-]{1,20}")) {
        let f = Fault::from(e);
        let xml = encode_fault(&f, id.as_deref());
        let m = decode_server_message(xml.as_bytes(), &Limits::default()).map_err(|f| TestCaseError::fail(format!("{f:?}\n{xml}")))?;
        prop_assert_eq!(m, ServerMessage::Fault(f.relating_to(id.as_deref())));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_request(&bytes, &Limits::default());
        let _ = decode_server_message(&bytes, &Limits::default());
    }
}

#[test]
fn nil_paramters_round_trip() {
    let xml = encode_initialize_request(None, "m", None);
    let r = decode_request(xml.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        r.body,
        RequestBody::InitializeOperationParameters(Member::Nil)
    );
}

#[test]
fn whitespace_and_markup_in_strings_survive() {
    let e = IpamException::new(
        IpamExceptionId::IpamApiInvalidParameter,
        " a\r\n\tb <c> & \"d\" 'e' ]]> ",
    );
    let f = Fault::from(e);
    let xml = encode_fault(&f, None);
    let ServerMessage::Fault(back) =
        decode_server_message(xml.as_bytes(), &Limits::default()).unwrap()
    else {
        panic!()
    };
    assert_eq!(back, f);
}

#[test]
fn return_object_never_carries_the_secret() {
    let f = DhcpFailover {
        shared_secret: Some(b"secret".to_vec()),
        shared_secret_enabled: true,
        ..Default::default()
    };
    let e = ProgressEvent::SetOverallStatus {
        overall_status: OverallProgressStatus::CompletedWithSuccess,
        completion_status: Some(DhcpMsmOverallCompletionStatus {
            return_object: Some(f),
            ..Default::default()
        }),
    };
    let xml = encode_callback(&e);
    assert!(!xml.contains("c2VjcmV0"));
    assert!(xml.contains(r#"<SharedSecret i:nil="true"/>"#), "{xml}");
    assert!(
        xml.contains(r#"<completionStatus i:type="DhcpMsmOverallCompletionStatus">"#),
        "{xml}"
    );
    assert!(xml.contains(r#"<EntityStatusCollectionObject i:type="EntityStatusCollection"><EntityStatusList></EntityStatusList>"#), "{xml}");
    assert!(
        xml.contains(r#"<ReturnObject i:type="DhcpFailover">"#),
        "{xml}"
    );
    assert!(xml.contains("<a:Action s:mustUnderstand=\"1\">http://Microsoft.Windows.Ipam/IIpamOperationWithProgress/SetOverallStatus</a:Action>"));
    assert!(xml.contains(
        "<a:To s:mustUnderstand=\"1\">http://www.w3.org/2005/08/addressing/anonymous</a:To>"
    ));
}

#[test]
fn callback_actions_of_either_port_type_are_read() {
    let xml = encode_callback(&ProgressEvent::SetCompletionPercentage {
        completion_percentage: 42,
    })
    .replace(
        "IIpamOperationWithProgress/",
        "IIpamOperationWithProgressCallback/",
    )
    .replace(">42<", ">42.75<");
    assert_eq!(
        decode_server_message(xml.as_bytes(), &Limits::default()).unwrap(),
        ServerMessage::Callback(ProgressEvent::SetCompletionPercentage {
            completion_percentage: 42
        })
    );
}
