//! Property tests: random documents survive encode → decode, session
//! encode → session decode, and events → XML → events.

mod common;

use common::document;
use nbfx::{SessionDecoder, SessionEncoder, XmlEvent};
use proptest::prelude::*;

/// The events with every value as a string and no comments: what an
/// [`nbfx::EnvelopeWriter`] takes.
fn stringly(events: &[XmlEvent]) -> Vec<XmlEvent> {
    events
        .iter()
        .filter(|e| !matches!(e, XmlEvent::Comment(_)))
        .map(|e| match e {
            XmlEvent::Text(v) => XmlEvent::text(v.to_string()),
            XmlEvent::Attribute {
                prefix,
                local_name,
                value,
            } => XmlEvent::attr(prefix, local_name, value.to_string()),
            e => e.clone(),
        })
        .collect()
}

/// Writes `events` (from [`stringly`]) call by call.
fn write_calls(enc: &mut SessionEncoder, events: &[XmlEvent]) -> Result<Vec<u8>, nbfx::Error> {
    let mut w = enc.envelope();
    for e in events {
        match e {
            XmlEvent::StartElement { prefix, local_name } => w.start_element(prefix, local_name),
            XmlEvent::Attribute {
                prefix,
                local_name,
                value,
            } => w.attribute(prefix, local_name, &value.to_string()),
            XmlEvent::NamespaceDecl { prefix, uri } => w.namespace(prefix, uri),
            XmlEvent::Text(v) => w.text(&v.to_string()),
            XmlEvent::EndElement => w.end_element(),
            XmlEvent::Comment(_) => unreachable!("no comments"),
        }?;
    }
    w.finish()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Call by call or from events, over a session, whole or cut anywhere (a cut
    /// document fails the same way and defines no session string).
    #[test]
    fn envelope_writer_matches_events(
        docs in prop::collection::vec(document(), 1..4),
        budget in 0usize..4096,
        cut in any::<prop::sample::Index>(),
    ) {
        let mut calls = SessionEncoder::new().with_session_budget(budget);
        let mut events = SessionEncoder::new().with_session_budget(budget);
        for doc in &docs {
            let doc = stringly(doc);
            let part = &doc[..cut.index(doc.len() + 1)];
            let expected = events.encode_envelope(part);
            let got = write_calls(&mut calls, part);
            prop_assert_eq!(format!("{got:?}"), format!("{expected:?}"));
            prop_assert_eq!(calls.dictionary().strings(), events.dictionary().strings());
            prop_assert_eq!(write_calls(&mut calls, &doc).unwrap(), events.encode_envelope(&doc).unwrap());
        }
    }

    #[test]
    fn decode_encode_round_trip(events in document()) {
        let bytes = nbfx::encode(&events).unwrap();
        prop_assert_eq!(nbfx::decode(&bytes).unwrap(), events);
    }

    #[test]
    fn session_round_trip(docs in prop::collection::vec(document(), 1..4), budget in 0usize..4096) {
        let mut enc = SessionEncoder::new().with_session_budget(budget);
        let mut dec = SessionDecoder::new();
        for events in &docs {
            let bytes = enc.encode_envelope(events).unwrap();
            prop_assert_eq!(&dec.decode_envelope(&bytes).unwrap(), events);
        }
        prop_assert!(enc.dictionary().byte_len() <= budget);
        prop_assert_eq!(enc.dictionary().strings(), dec.dictionary().strings());
    }

    #[test]
    fn xml_text_round_trip(events in document()) {
        // Random documents may repeat an attribute name, which XML forbids.
        let xml = nbfx::to_xml(&events);
        prop_assume!(xml.is_ok());
        let xml = xml.unwrap();
        let again = nbfx::from_xml(&xml).unwrap();
        // from_xml drops whitespace-only text between markup (kept as an element's
        // whole content) and yields strings only, so compare the XML text it
        // regenerates.
        let ws_between_markup = events.iter().enumerate().any(|(i, e)| matches!(
            e,
            XmlEvent::Text(v) if {
                let s = v.to_string();
                let whole = i > 0
                    && matches!(events.get(i + 1), Some(XmlEvent::EndElement))
                    && matches!(
                        events[..i].iter().rev().find(|e| !matches!(
                            e,
                            XmlEvent::Attribute { .. } | XmlEvent::NamespaceDecl { .. }
                        )),
                        Some(XmlEvent::StartElement { .. })
                    );
                !s.is_empty() && s.trim().is_empty() && !whole
            }
        ));
        prop_assume!(!ws_between_markup);
        prop_assert_eq!(nbfx::to_xml(&again).unwrap(), xml);
    }

    #[test]
    fn decoder_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = nbfx::decode(&bytes);
        let _ = SessionDecoder::new().decode_envelope(&bytes);
    }
}
