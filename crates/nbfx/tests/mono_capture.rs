//! The captured Mono NetTcpBinding session (transport-interop.md Appendix A):
//! SizedEnvelope payloads decoded per direction with MC-NBFSE session
//! dictionaries.

use nbfx::{SessionDecoder, SessionEncoder, TextValue, XmlEvent};

/// Hex per TCP segment as captured; `true` = client to server.
const SEGMENTS: &[(bool, &str)] = &[
    (
        true,
        "0001000102021e6e65742e7463703a2f2f3132372e302e302e313a31383830382f4563686f03080c",
    ),
    (false, "0b"),
    (
        true,
        "06bc0102017356020b0173040b0161065608440a1e0082991375726e3a746573742f494563686f2f4563686f441aad1924e7b328d2ff4e800c7c195cbbc591442c5e0741646472657373992e687474703a2f2f7777772e77332e6f72672f323030352f30382f61646472657373696e672f616e6f6e796d6f757301440c1e0082991e6e65742e7463703a2f2f3132372e302e302e313a31383830382f4563686f01560e40044563686f080875726e3a746573744201990568656c6c6f010101",
    ),
    (
        false,
        "06790b0a4563686f526573756c7456020b0173040b0161065608440a1e0082991b75726e3a746573742f494563686f2f4563686f526573706f6e73654412ad1924e7b328d2ff4e800c7c195cbbc59101560e400c4563686f526573706f6e7365080875726e3a746573744201990a6563686f3a68656c6c6f010101",
    ),
    (
        true,
        "06bb01040161016256020b0173040b0161065608440a1e0082991275726e3a746573742f494563686f2f416464441aadb7e688690c164e49b26e09db0e1daf10442c5e0741646472657373992e687474703a2f2f7777772e77332e6f72672f323030352f30382f61646472657373696e672f616e6f6e796d6f757301440c1e0082991e6e65742e7463703a2f2f3132372e302e302e313a31383830382f4563686f01560e4003416464080875726e3a746573744203891442058916010101",
    ),
    (
        false,
        "066c0a09416464526573756c7456020b0173040b0161065608440a1e0082991a75726e3a746573742f494563686f2f416464526573706f6e73654412adb7e688690c164e49b26e09db0e1daf1001560e400b416464526573706f6e7365080875726e3a746573744203892a010101",
    ),
    (
        true,
        "06ba010056020b0173040b0161065608440a1e0082991375726e3a746573742f494563686f2f4563686f441aada922b43f0898514ba86128be0b4b2d6c442c5e0741646472657373992e687474703a2f2f7777772e77332e6f72672f323030352f30382f61646472657373696e672f616e6f6e796d6f757301440c1e0082991e6e65742e7463703a2f2f3132372e302e302e313a31383830382f4563686f01560e40044563686f080875726e3a7465737442019905616761696e010101",
    ),
    (
        false,
        "066e0056020b0173040b0161065608440a1e0082991b75726e3a746573742f494563686f2f4563686f526573706f6e73654412ada922b43f0898514ba86128be0b4b2d6c01560e400c4563686f526573706f6e7365080875726e3a746573744201990a6563686f3a616761696e010101",
    ),
    (true, "07"),
    (false, "07"),
];

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Extracts SizedEnvelope (0x06) payloads: record type, MultiByteInt31
/// size, payload. Segments that are not envelopes (preamble, ack, end) are
/// skipped.
fn envelopes(client: bool) -> Vec<Vec<u8>> {
    SEGMENTS
        .iter()
        .filter(|(c, s)| *c == client && s.starts_with("06"))
        .map(|(_, s)| {
            let b = hex(s);
            let (mut size, mut shift, mut i) = (0usize, 0, 1);
            loop {
                size |= usize::from(b[i] & 0x7F) << shift;
                shift += 7;
                i += 1;
                if b[i - 1] & 0x80 == 0 {
                    break;
                }
            }
            assert_eq!(b.len() - i, size, "segment holds exactly one envelope");
            b[i..].to_vec()
        })
        .collect()
}

fn all_payloads() -> Vec<Vec<u8>> {
    let mut v = envelopes(true);
    v.extend(envelopes(false));
    v
}

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
