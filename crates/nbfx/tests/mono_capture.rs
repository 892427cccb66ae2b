//! The captured Mono NetTcpBinding session (transport-interop.md Appendix A):
//! SizedEnvelope payloads decoded per direction with MC-NBFSE session
//! dictionaries.

mod common;

use common::{all_payloads, envelopes};
use nbfx::{SessionDecoder, SessionEncoder, TextValue, XmlEvent};

const REQUEST_1: &str = concat!(
    r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">"#,
    r#"<s:Header><a:Action s:mustUnderstand="1">urn:test/IEcho/Echo</a:Action>"#,
    r#"<a:MessageID>urn:uuid:b3e72419-d228-4eff-800c-7c195cbbc591</a:MessageID>"#,
    r#"<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>"#,
    r#"<a:To s:mustUnderstand="1">net.tcp://127.0.0.1:18808/Echo</a:To></s:Header>"#,
    r#"<s:Body><Echo xmlns="urn:test"><s>hello</s></Echo></s:Body></s:Envelope>"#
);

const REPLY_1: &str = concat!(
    r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">"#,
    r#"<s:Header><a:Action s:mustUnderstand="1">urn:test/IEcho/EchoResponse</a:Action>"#,
    r#"<a:RelatesTo>urn:uuid:b3e72419-d228-4eff-800c-7c195cbbc591</a:RelatesTo></s:Header>"#,
    r#"<s:Body><EchoResponse xmlns="urn:test"><EchoResult>echo:hello</EchoResult></EchoResponse></s:Body></s:Envelope>"#
);

fn text_of(xml: &str, local: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .filter(|n| n.tag_name().name() == local)
        .map(|n| n.text().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn client_to_server_envelopes() {
    let payloads = envelopes(true);
    assert_eq!(payloads.len(), 3);
    let mut dec = SessionDecoder::new();
    let xml: Vec<String> = payloads
        .iter()
        .map(|p| nbfx::to_xml(&dec.decode_envelope(p).unwrap()).unwrap())
        .collect();
    assert_eq!(xml[0], REQUEST_1);
    assert_eq!(dec.dictionary().strings(), ["s", "a", "b"]);

    assert_eq!(text_of(&xml[1], "Action"), ["urn:test/IEcho/Add"]);
    assert_eq!(text_of(&xml[1], "a"), ["20"]);
    assert_eq!(text_of(&xml[1], "b"), ["22"]);
    assert_eq!(text_of(&xml[2], "Action"), ["urn:test/IEcho/Echo"]);
    assert_eq!(text_of(&xml[2], "s"), ["again"]);
    // Every message parses as namespace-well-formed XML.
    for x in &xml {
        let doc = roxmltree::Document::parse(x).unwrap();
        assert_eq!(
            doc.root_element().tag_name().namespace(),
            Some("http://www.w3.org/2003/05/soap-envelope")
        );
    }
}

#[test]
fn server_to_client_envelopes_use_their_own_table() {
    let payloads = envelopes(false);
    assert_eq!(payloads.len(), 3);
    let mut dec = SessionDecoder::new();
    let xml: Vec<String> = payloads
        .iter()
        .map(|p| nbfx::to_xml(&dec.decode_envelope(p).unwrap()).unwrap())
        .collect();
    assert_eq!(xml[0], REPLY_1);
    assert_eq!(dec.dictionary().strings(), ["EchoResult", "AddResult"]);
    assert_eq!(text_of(&xml[1], "AddResult"), ["42"]);
    assert_eq!(
        text_of(&xml[1], "RelatesTo"),
        ["urn:uuid:6988e6b7-160c-494e-b26e-09db0e1daf10"]
    );
    assert_eq!(text_of(&xml[2], "EchoResult"), ["echo:again"]);
}

#[test]
fn typed_values_in_capture() {
    let payloads = envelopes(true);
    let mut dec = SessionDecoder::new();
    dec.decode_envelope(&payloads[0]).unwrap();
    let events = dec.decode_envelope(&payloads[1]).unwrap();
    assert!(events.contains(&XmlEvent::Text(TextValue::Int(20))));
    assert!(events.contains(&XmlEvent::Text(TextValue::Int(22))));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, XmlEvent::Text(TextValue::UniqueId(_))))
    );
}

#[test]
fn capture_round_trips_through_our_encoder() {
    // Decode each direction, re-encode with a session encoder, decode again.
    for client in [true, false] {
        let mut dec = SessionDecoder::new();
        let mut enc = SessionEncoder::new();
        let mut dec2 = SessionDecoder::new();
        for p in envelopes(client) {
            let events = dec.decode_envelope(&p).unwrap();
            let bytes = enc.encode_envelope(&events).unwrap();
            assert_eq!(dec2.decode_envelope(&bytes).unwrap(), events);
            // And through XML text.
            let xml = nbfx::to_xml(&events).unwrap();
            let from_text = nbfx::from_xml(&xml).unwrap();
            let bytes = SessionEncoder::new().encode_envelope(&from_text).unwrap();
            let back = SessionDecoder::new().decode_envelope(&bytes).unwrap();
            assert_eq!(nbfx::to_xml(&back).unwrap(), xml);
        }
    }
}

#[test]
fn truncated_capture_envelopes_are_errors() {
    for p in all_payloads() {
        for cut in 1..p.len() {
            // A cut inside the table or the document must not decode (a cut
            // that leaves a complete table and no document is also an error).
            let mut dec = SessionDecoder::new();
            assert!(dec.decode_envelope(&p[..cut]).is_err(), "cut {cut}");
        }
    }
}
