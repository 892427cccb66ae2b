//! The decoded CreateDhcpFailover sessions in
//! `shared/notes/captures/wcf-create-exchange.txt` ("with wire prefixes"
//! form): each message goes XML text → events → MC-NBFSE envelope (one
//! session encoder per direction) → decoder → XML text, and must keep the
//! same namespace-resolved infoset.

mod common;

use common::messages;
use nbfx::{SessionDecoder, SessionEncoder};

type Infoset = Vec<(
    Option<String>,
    String,
    Vec<(Option<String>, String, String)>,
    Option<String>,
)>;

fn infoset(xml: &str) -> Infoset {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .filter(|n| n.is_element())
        .map(|n| {
            let mut attrs: Vec<_> = n
                .attributes()
                .map(|a| {
                    (
                        a.namespace().map(str::to_owned),
                        a.name().to_owned(),
                        a.value().to_owned(),
                    )
                })
                .collect();
            attrs.sort();
            let text = n
                .children()
                .filter(|c| c.is_text())
                .map(|c| c.text().unwrap_or(""))
                .collect::<String>();
            let text = (!text.trim().is_empty()).then_some(text);
            (
                n.tag_name().namespace().map(str::to_owned),
                n.tag_name().name().to_owned(),
                attrs,
                text,
            )
        })
        .collect()
}

#[test]
fn create_exchange_messages_survive_the_binary_session() {
    let msgs = messages();
    assert!(msgs.len() >= 19, "found {} messages", msgs.len());
    let mut current = usize::MAX;
    let mut codecs = Vec::new();
    for (session, c2s, xml) in &msgs {
        if *session != current {
            current = *session;
            // [client→server, server→client] encoder/decoder pairs.
            codecs = vec![
                (SessionEncoder::new(), SessionDecoder::new()),
                (SessionEncoder::new(), SessionDecoder::new()),
            ];
        }
        let (enc, dec) = &mut codecs[usize::from(!*c2s)];
        let events = nbfx::from_xml(xml).unwrap();
        let bytes = enc.encode_envelope(&events).unwrap();
        let decoded = dec.decode_envelope(&bytes).unwrap();
        assert_eq!(decoded, events);
        let back = nbfx::to_xml(&decoded).unwrap();
        assert_eq!(infoset(&back), infoset(xml));
        // Binary is smaller than the indented text.
        assert!(bytes.len() < xml.len(), "{} vs {}", bytes.len(), xml.len());
    }
}

#[test]
fn session_strings_make_repeat_messages_smaller() {
    let msgs = messages();
    let (_, _, xml) = msgs
        .iter()
        .find(|(_, c2s, x)| *c2s && x.contains("InitializeOperationParameters<"))
        .or_else(|| msgs.iter().find(|(_, c2s, _)| *c2s))
        .unwrap();
    let events = nbfx::from_xml(xml).unwrap();
    let mut enc = SessionEncoder::new();
    let first = enc.encode_envelope(&events).unwrap();
    let second = enc.encode_envelope(&events).unwrap();
    assert!(second.len() < first.len());
    let literal = SessionEncoder::new()
        .with_session_budget(0)
        .encode_envelope(&events)
        .unwrap();
    assert_eq!(literal[0], 0, "budget 0 writes an empty StringTable");
    let mut dec = SessionDecoder::new();
    assert_eq!(dec.decode_envelope(&first).unwrap(), events);
    assert_eq!(dec.decode_envelope(&second).unwrap(), events);
    assert_eq!(
        SessionDecoder::new().decode_envelope(&literal).unwrap(),
        events
    );
}
