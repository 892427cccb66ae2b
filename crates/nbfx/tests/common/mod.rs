//! Inputs shared by the integration tests: the captured Mono session, the captured
//! WCF exchange, and generated documents. Each test crate uses some of them.
#![allow(dead_code)]

use nbfx::{DateTime, Decimal, TextValue, XmlEvent};
use proptest::prelude::*;

/// Hex per TCP segment as captured; `true` = client to server.
pub const SEGMENTS: &[(bool, &str)] = &[
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

pub fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Extracts SizedEnvelope (0x06) payloads: record type, MultiByteInt31
/// size, payload. Segments that are not envelopes (preamble, ack, end) are
/// skipped.
pub fn envelopes(client: bool) -> Vec<Vec<u8>> {
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

pub fn all_payloads() -> Vec<Vec<u8>> {
    let mut v = envelopes(true);
    v.extend(envelopes(false));
    v
}

pub const CAPTURE: &str =
    include_str!("../../../../../shared/notes/captures/wcf-create-exchange.txt");

/// (session index, client-to-server, XML) for every message.
pub fn messages() -> Vec<(usize, bool, String)> {
    let mut out = Vec::new();
    let mut session = 0;
    let mut direction = true;
    let mut lines = CAPTURE.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("== session:") {
            session += 1;
        } else if let Some(rest) = line.strip_prefix("--- ") {
            direction = rest.starts_with("C>S");
        } else if line == "with wire prefixes:" {
            let mut xml = String::new();
            for l in lines.by_ref() {
                xml.push_str(l);
                xml.push('\n');
                if l == "</s:Envelope>" {
                    break;
                }
            }
            out.push((session, direction, xml));
        }
    }
    out
}

pub fn name() -> impl Strategy<Value = String> {
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

pub fn prefix() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-z]", "[a-z][a-z0-9]{1,4}",]
        .prop_filter("xmlns is reserved", |s| !s.starts_with("xml"))
}

pub fn text_string() -> impl Strategy<Value = String> {
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

pub fn scalar() -> impl Strategy<Value = TextValue> {
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

pub fn value() -> impl Strategy<Value = TextValue> {
    prop_oneof![
        4 => scalar(),
        1 => prop::collection::vec(scalar(), 0..4).prop_map(TextValue::List),
    ]
}

#[derive(Debug, Clone)]
pub enum Node {
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

pub fn node() -> impl Strategy<Value = Node> {
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

pub fn flatten(n: &Node, out: &mut Vec<XmlEvent>) {
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

pub fn document() -> impl Strategy<Value = Vec<XmlEvent>> {
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
