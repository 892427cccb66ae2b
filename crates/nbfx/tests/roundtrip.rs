//! Property tests: random documents survive encode → decode, session
//! encode → session decode, and events → XML → events.

use nbfx::{DateTime, Decimal, SessionDecoder, SessionEncoder, TextValue, XmlEvent};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "Envelope",
            "Header",
            "Body",
            "Action",
            "To",
            "MessageID",
            "Address",
            "Fault",
        ])
        .prop_map(str::to_owned),
        "[A-Za-z_][A-Za-z0-9_.-]{0,10}",
    ]
    .prop_filter("xmlns is reserved", |s| {
        s != "xmlns" && !s.starts_with("xml")
    })
}

fn prefix() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-z]", "[a-z][a-z0-9]{1,4}",]
        .prop_filter("xmlns is reserved", |s| !s.starts_with("xml"))
}

fn text_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,40}",
        "\\PC{0,20}",
        prop::sample::select(vec![
            "http://www.w3.org/2005/08/addressing/anonymous",
            "http://www.w3.org/2003/05/soap-envelope",
        ])
        .prop_map(str::to_owned),
        // Long enough for Chars16Text.
        "[a-z]{250,300}",
    ]
}

fn scalar() -> impl Strategy<Value = TextValue> {
    prop_oneof![
        text_string().prop_map(TextValue::Text),
        any::<bool>().prop_map(TextValue::Bool),
        any::<i64>().prop_map(TextValue::Int),
        (-300i64..300).prop_map(TextValue::Int),
        any::<u64>().prop_map(TextValue::UInt64),
        any::<f32>()
            .prop_filter("NaN != NaN", |f| !f.is_nan())
            .prop_map(TextValue::Float),
        any::<f64>()
            .prop_filter("NaN != NaN", |f| !f.is_nan())
            .prop_map(TextValue::Double),
        (any::<[u8; 12]>(), 0u8..=28, any::<bool>()).prop_map(|(m, scale, neg)| {
            let mut raw = [0u8; 16];
            raw[2] = scale;
            raw[3] = if neg { 0x80 } else { 0 };
            raw[4..].copy_from_slice(&m);
            TextValue::Decimal(Decimal(raw))
        }),
        (0..DateTime::MAX_TICKS, 0u64..=2)
            .prop_map(|(t, k)| TextValue::DateTime(DateTime(t | (k << 62)))),
        any::<i64>().prop_map(TextValue::TimeSpan),
        any::<[u8; 16]>().prop_map(TextValue::UniqueId),
        any::<[u8; 16]>().prop_map(TextValue::Uuid),
        prop::collection::vec(any::<u8>(), 0..300).prop_map(TextValue::Bytes),
        (
            b'a'..=b'z',
            prop::sample::select(vec!["Envelope", "string", "int"])
        )
            .prop_map(|(prefix, n)| TextValue::QName {
                prefix,
                local_name: n.to_owned()
            }),
    ]
}

fn value() -> impl Strategy<Value = TextValue> {
    prop_oneof![
        4 => scalar(),
        1 => prop::collection::vec(scalar(), 0..4).prop_map(TextValue::List),
    ]
}

#[derive(Debug, Clone)]
enum Node {
    Element {
        prefix: String,
        name: String,
        xmlns: Vec<(String, String)>,
        attrs: Vec<(String, String, TextValue)>,
        children: Vec<Node>,
    },
    Text(TextValue),
    Comment(String),
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        value().prop_map(Node::Text),
        "[a-z ]{0,10}".prop_map(Node::Comment),
    ];
    leaf.prop_recursive(6, 48, 5, |inner| {
        (
            prefix(),
            name(),
            prop::collection::vec((prefix(), text_string()), 0..3),
            prop::collection::vec((prefix(), name(), value()), 0..3),
            prop::collection::vec(inner, 0..5),
        )
            .prop_map(|(prefix, name, xmlns, attrs, children)| Node::Element {
                prefix,
                name,
                xmlns,
                attrs,
                children,
            })
    })
}

fn flatten(n: &Node, out: &mut Vec<XmlEvent>) {
    match n {
        Node::Element {
            prefix,
            name,
            xmlns,
            attrs,
            children,
        } => {
            out.push(XmlEvent::start(prefix, name));
            for (p, uri) in xmlns {
                out.push(XmlEvent::xmlns(p, uri));
            }
            for (p, n, v) in attrs {
                out.push(XmlEvent::Attribute {
                    prefix: p.clone(),
                    local_name: n.clone(),
                    value: v.clone(),
                });
            }
            for c in children {
                flatten(c, out);
            }
            out.push(XmlEvent::EndElement);
        }
        Node::Text(v) => out.push(XmlEvent::Text(v.clone())),
        Node::Comment(c) => out.push(XmlEvent::Comment(c.clone())),
    }
}

fn document() -> impl Strategy<Value = Vec<XmlEvent>> {
    (prefix(), name(), prop::collection::vec(node(), 0..6)).prop_map(|(p, n, children)| {
        let root = Node::Element {
            prefix: p,
            name: n,
            xmlns: vec![],
            attrs: vec![],
            children,
        };
        let mut out = Vec::new();
        flatten(&root, &mut out);
        out
    })
}

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
