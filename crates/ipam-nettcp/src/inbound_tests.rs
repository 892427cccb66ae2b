//! Binary requests read straight from their events decode exactly as their XML text form
//! does: the captured vectors, generated requests, and hostile envelopes (whose faults
//! must stay those of the text path).

use ipam_model::*;
use ipam_soap::{Limits, Member, RequestBody};
use nbfx::{TextValue, XmlEvent};
use proptest::prelude::*;

use super::strategies::{params, text};
use super::*;

// Its `decode_init` returns the message layer's `Fault` by value, as ipam-soap's tests do.
#[allow(clippy::result_large_err)]
#[path = "../../ipam-soap/tests/common/mod.rs"]
mod common;

const WCF_BODY: &str =
    include_str!("../../../../shared/notes/captures/wcf-create-request-body.xml");
const MONO_BODY: &str =
    include_str!("../../../../shared/notes/captures/mono-client-create-request-body.xml");
const SOAP_DATA_BODY: &str = include_str!("../../ipam-soap/tests/data/wcf-create-request-body.xml");

/// The request in `events`, from their tree when it can be built, else through XML text.
fn decode_events(
    events: &[nbfx::XmlEvent],
    limits: &ipam_soap::Limits,
) -> Result<Result<Request, Fault>, nbfx::Error> {
    match tree(events, limits) {
        Ok(doc) => Ok(ipam_soap::decode_request_document(&doc, limits)),
        Err(NotRepresentable) => through_text(events, limits),
    }
}

/// The message tree of `events`, when the text path would read them unchanged and within
/// the quotas (the tree [`decode_binary`] builds from the records of those events).
fn tree<'a>(
    events: &'a [nbfx::XmlEvent],
    limits: &'a ipam_soap::Limits,
) -> Result<ipam_soap::Document<'a>, NotRepresentable> {
    let mut sink = TreeSink(TreeBuilder::new(limits));
    nbfx::replay(events, &mut sink)?;
    sink.0.finish()
}

/// The client-to-server envelopes of the captured sessions, as written on the wire.
fn captured_requests() -> Vec<String> {
    common::exchange()
        .into_iter()
        .filter(|(direction, _, _)| direction.starts_with("C>S"))
        .map(|(_, _, xml)| xml)
        .collect()
}

fn wrap(body: &str) -> String {
    common::envelope(common::INIT, body)
}

/// The events a session decoder gives for `xml` sent as MC-NBFSE envelopes (twice over
/// one session, so that the second one uses session strings).
fn wire_events(xml: &str) -> Vec<XmlEvent> {
    let events = nbfx::from_xml(xml).expect("the text form parses");
    let mut encoder = nbfx::SessionEncoder::new();
    let mut decoder = nbfx::SessionDecoder::new();
    let first = encoder.encode_envelope(&events).expect("encodes");
    let second = encoder.encode_envelope(&events).expect("encodes");
    let decoded = decoder.decode_envelope(&first).expect("decodes");
    assert_eq!(decoded, decoder.decode_envelope(&second).expect("decodes"));
    decoded
}

/// The outcome of today's path: the events written as text, read by ipam-soap.
fn through_text(
    events: &[XmlEvent],
    limits: &Limits,
) -> Result<Result<Request, Fault>, nbfx::Error> {
    let xml = nbfx::to_xml(events)?;
    Ok(ipam_soap::decode_request(xml.as_bytes(), limits))
}

/// Both paths agree on `events`; returns whether the tree was built from the events.
/// When the events can be sent as binary envelopes, the server's binary path
/// (`Inbound::decode_request`, records straight into the tree) agrees too, and builds the
/// tree from the records exactly when it can be built from the events.
fn same_outcome(events: &[XmlEvent], limits: &Limits) -> bool {
    let text = through_text(events, limits);
    assert_eq!(decode_events(events, limits), text, "{events:?}");
    let direct = match tree(events, limits) {
        Ok(doc) => {
            let direct = ipam_soap::decode_request_document(&doc, limits);
            assert_eq!(Ok(direct), text, "{events:?}");
            true
        }
        Err(NotRepresentable) => false,
    };
    if let Some(wire) = through_the_wire(events, limits) {
        assert_eq!(wire.direct, direct, "{events:?}");
        if wire.same_events {
            assert_eq!(wire.outcome, text, "{events:?}");
        }
    }
    direct
}

/// What the server's binary path made of events sent as envelopes.
struct Wire {
    /// The outcome of the first envelope.
    outcome: Result<Result<Request, Fault>, nbfx::Error>,
    /// Whether the tree was built from the records (of both envelopes).
    direct: bool,
    /// Whether the envelopes decode to the events sent.
    same_events: bool,
}

/// `events` sent as two MC-NBFSE envelopes over one session (the second one using the
/// session strings the first defined), read by `Inbound::decode_request` (and, for how it
/// read them, by `decode_binary` over a second session): each outcome is that of the text
/// path on the events the envelope decodes to. `None` when the encoder refuses the events.
fn through_the_wire(events: &[XmlEvent], limits: &Limits) -> Option<Wire> {
    let mut encoder = nbfx::SessionEncoder::new();
    let first = encoder.encode_envelope(events).ok()?;
    let second = encoder.encode_envelope(events).expect("encodes twice");
    let mut inbound = Inbound::new(KnownEncoding::Soap12BinarySession, nbfx::Limits::default());
    assert!(inbound.is_binary());
    let mut session = nbfx::SessionDecoder::new();
    let mut events_session = nbfx::SessionDecoder::new();
    let mut outcomes = Vec::new();
    let mut reads = Vec::new();
    let mut same_events = true;
    for payload in [first, second] {
        // (An envelope without a document does not decode.)
        let decoded = events_session.decode_envelope(&payload);
        same_events &= decoded.as_deref() == Ok(events);
        let expected = decoded
            .clone()
            .and_then(|decoded| through_text(&decoded, limits));
        let outcome = inbound.decode_request(&payload, limits);
        assert_eq!(outcome, expected, "{decoded:?}");
        let (again, read) = match decode_binary(&mut session, &payload, limits) {
            Ok((outcome, read)) => (Ok(outcome), read),
            Err(e) => (Err(e), Read::Text),
        };
        assert_eq!(again, expected, "{decoded:?}");
        let representable = decoded.is_ok_and(|decoded| tree(&decoded, limits).is_ok());
        assert_eq!(read == Read::Direct, representable, "{events:?}");
        outcomes.push(outcome);
        reads.push(read);
    }
    assert_eq!(reads[0], reads[1], "{events:?}");
    Some(Wire {
        outcome: outcomes.swap_remove(0),
        direct: reads[0] == Read::Direct,
        same_events,
    })
}

/// Malformed envelopes get the decoding error of the events decoder, whether the records
/// went into the tree first or not.
#[test]
fn malformed_envelopes_get_the_errors_of_the_events_decoder() {
    let events = wire_events(&wrap(WCF_BODY));
    let payload = nbfx::SessionEncoder::new()
        .encode_envelope(&events)
        .expect("encodes");
    let limits = Limits::default();
    let mut errors = 0;
    let mut cases: Vec<(Vec<u8>, nbfx::Limits)> = Vec::new();
    for cut in 0..payload.len() {
        cases.push((payload[..cut].to_vec(), nbfx::Limits::default()));
    }
    for i in 0..payload.len() {
        for byte in [0x00, 0x01, 0x02, 0x05, 0x41, 0x98, 0xA6, 0xFF] {
            let mut p = payload.clone();
            p[i] = byte;
            cases.push((p, nbfx::Limits::default()));
        }
    }
    for max_output_bytes in (0..4000).step_by(97) {
        cases.push((
            payload.clone(),
            nbfx::Limits {
                max_output_bytes,
                ..nbfx::Limits::default()
            },
        ));
    }
    for max_depth in 0..8 {
        cases.push((
            payload.clone(),
            nbfx::Limits {
                max_depth,
                ..nbfx::Limits::default()
            },
        ));
    }
    for max_string_len in [0, 1, 5, 10, 40] {
        cases.push((
            payload.clone(),
            nbfx::Limits {
                max_string_len,
                ..nbfx::Limits::default()
            },
        ));
    }
    for (payload, nbfx_limits) in &cases {
        let mut inbound = Inbound::new(KnownEncoding::Soap12BinarySession, nbfx_limits.clone());
        let outcome = inbound.decode_request(payload, &limits);
        let mut session = nbfx::SessionDecoder::with_limits(nbfx_limits.clone());
        let expected = session
            .decode_envelope(payload)
            .and_then(|events| through_text(&events, &limits));
        errors += usize::from(expected.is_err());
        assert_eq!(outcome, expected, "{payload:02X?} {nbfx_limits:?}");
    }
    assert!(errors > cases.len() / 2, "{errors} of {}", cases.len());
}

#[test]
fn captured_requests_take_the_direct_path() {
    let limits = Limits::default();
    let mut xmls = captured_requests();
    assert!(xmls.len() >= 6, "{}", xmls.len());
    xmls.extend([WCF_BODY, MONO_BODY, SOAP_DATA_BODY].map(wrap));
    for xml in xmls {
        let events = wire_events(&xml);
        assert!(same_outcome(&events, &limits), "{xml}");
        assert!(through_text(&events, &limits).unwrap().is_ok(), "{xml}");
    }
}

#[test]
fn typed_text_values_read_as_their_text() {
    let mut events = wire_events(&wrap(WCF_BODY));
    let mut typed = 0;
    for e in &mut events {
        if let XmlEvent::Text(v) = e {
            let s = v.to_string();
            let t = s.trim();
            *v = match (t.parse::<i64>(), t) {
                (Ok(n), _) => TextValue::Int(n),
                (_, "true") => TextValue::Bool(true),
                _ => continue,
            };
            typed += 1;
        }
    }
    assert!(typed > 5);
    assert!(same_outcome(&events, &Limits::default()));
}

/// Envelopes the text path faults on, or that break a quota, at the edge or past it.
#[test]
fn hostile_envelopes_get_the_faults_of_their_text_form() {
    let base = wire_events(&wrap(WCF_BODY));
    let cases: Vec<(Vec<XmlEvent>, Limits)> = {
        let mut v = Vec::new();
        let mut push = |f: &dyn Fn(&mut Vec<XmlEvent>), limits: Limits| {
            let mut e = base.clone();
            f(&mut e);
            v.push((e, limits));
        };
        let first_text = |e: &mut Vec<XmlEvent>, t: TextValue| {
            let i = e
                .iter()
                .position(|x| matches!(x, XmlEvent::Text(_)))
                .unwrap();
            e[i] = XmlEvent::Text(t);
        };
        let d = Limits::default;
        push(&|_| {}, d());
        for depth in 1..12 {
            push(
                &|_| {},
                Limits {
                    max_depth: depth,
                    ..d()
                },
            );
        }
        for size in [100, 1000, 2000, 2400, 2500, 2600, 3000] {
            push(
                &|_| {},
                Limits {
                    max_message_size: size,
                    ..d()
                },
            );
        }
        for chars in [10, 30, 40, 50, 60, 70, 100] {
            push(
                &|_| {},
                Limits {
                    max_string_content_length: chars,
                    ..d()
                },
            );
        }
        for names in [50, 200, 400, 500, 600, 700, 800] {
            push(
                &|_| {},
                Limits {
                    max_name_table_chars: names,
                    ..d()
                },
            );
        }
        push(&|e| first_text(e, TextValue::text("x".repeat(9000))), d());
        push(&|e| first_text(e, TextValue::text("a\u{1}b")), d());
        push(&|e| first_text(e, TextValue::text("a\u{FFFE}b")), d());
        push(&|e| first_text(e, TextValue::text("<&>\r\n\t\"'")), d());
        push(&|e| e.insert(1, XmlEvent::Comment("c".into())), d());
        push(&|e| e.insert(3, XmlEvent::attr("", "x", "1")), d());
        push(&|e| e.insert(1, XmlEvent::attr("zz", "x", "1")), d());
        push(&|e| e.insert(1, XmlEvent::attr("xmlns", "x", "urn:x")), d());
        push(&|e| e.insert(1, XmlEvent::attr("xml", "lang", "en")), d());
        push(&|e| e.insert(1, XmlEvent::xmlns("q", "")), d());
        push(&|e| e.insert(1, XmlEvent::xmlns("", "")), d());
        push(&|e| e.insert(1, XmlEvent::xmlns("xml", "urn:x")), d());
        push(
            &|e| {
                e.insert(
                    1,
                    XmlEvent::xmlns("q", "http://www.w3.org/XML/1998/namespace"),
                )
            },
            d(),
        );
        push(&|e| e.insert(1, XmlEvent::start("", "b\u{e9}")), d());
        push(&|e| e.insert(1, XmlEvent::start("", "1b")), d());
        push(&|e| e.insert(1, XmlEvent::start("nope", "b")), d());
        push(
            &|e| {
                e.pop();
            },
            d(),
        );
        push(&|e| e.push(XmlEvent::EndElement), d());
        push(&|e| e.push(XmlEvent::text("tail")), d());
        push(&|e| e.insert(0, XmlEvent::text(" ")), d());
        push(
            &|e| {
                let c = e.clone();
                e.extend(c);
            },
            d(),
        );
        push(&|e| e.clear(), d());
        // Two attributes with one expanded name under two prefixes.
        push(
            &|e| {
                e.insert(1, XmlEvent::xmlns("q", "urn:q"));
                e.insert(1, XmlEvent::xmlns("r", "urn:q"));
                e.insert(1, XmlEvent::attr("q", "x", "1"));
                e.insert(1, XmlEvent::attr("r", "x", "2"));
            },
            d(),
        );
        // Text split over records, over the string limit only when merged.
        push(
            &|e| {
                let i = e
                    .iter()
                    .position(|x| matches!(x, XmlEvent::Text(_)))
                    .unwrap();
                e[i] = XmlEvent::text("y".repeat(60));
                e.insert(i, XmlEvent::text("y".repeat(60)));
            },
            Limits {
                max_string_content_length: 100,
                ..d()
            },
        );
        v
    };
    let mut direct = 0;
    let mut wired = 0;
    for (events, limits) in &cases {
        direct += usize::from(same_outcome(events, limits));
        wired += usize::from(through_the_wire(events, limits).is_some());
    }
    assert!(direct > 10, "{direct}");
    // Most also went through the server's binary path.
    assert!(wired > 40, "{wired} of {}", cases.len());
}

/// Each quota at the smallest value the text path accepts, and one below: the direct path
/// takes the first (the text size is counted exactly) and gives the fault of the second.
#[test]
fn quotas_at_their_edge() {
    let mut events = wire_events(&wrap(WCF_BODY));
    // The second text is the message id, which any string may be.
    let i = events
        .iter()
        .enumerate()
        .filter(|(_, x)| matches!(x, XmlEvent::Text(_)))
        .nth(1)
        .unwrap()
        .0;
    events.insert(i, XmlEvent::text("&<>\r\"\t"));
    events.insert(1, XmlEvent::attr("", "q", "&<>\r\"\t\n"));
    let size = nbfx::to_xml(&events).unwrap().len();
    let edge = |set: &dyn Fn(usize) -> Limits, from: usize| {
        let ok = |n: usize| matches!(through_text(&events, &set(n)), Ok(Ok(_)));
        let mut n = from;
        while n > 0 && ok(n - 1) {
            n -= 1;
        }
        assert!(ok(n) && !ok(n - 1), "{n}");
        (
            same_outcome(&events, &set(n)),
            same_outcome(&events, &set(n - 1)),
        )
    };
    let d = Limits::default;
    let (at, below) = edge(
        &|n| Limits {
            max_message_size: n,
            ..d()
        },
        size,
    );
    assert!(at && !below);
    assert_eq!(
        edge(
            &|n| Limits {
                max_depth: n,
                ..d()
            },
            32
        ),
        (true, false)
    );
    assert_eq!(
        edge(
            &|n| Limits {
                max_string_content_length: n,
                ..d()
            },
            400
        ),
        (true, false)
    );
    edge(
        &|n| Limits {
            max_name_table_chars: n,
            ..d()
        },
        2000,
    );
}

/// One change to a valid envelope's events.
#[derive(Debug, Clone)]
enum Change {
    Text(usize, String),
    Attr(usize, String, String, String),
    Decl(usize, String, String),
    Start(usize, String, String),
    End(usize),
    Remove(usize),
    Comment(usize),
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("s".to_owned()),
        Just("i".to_owned()),
        Just("xml".to_owned()),
        Just("xmlns".to_owned()),
        Just("type".to_owned()),
        Just("nil".to_owned()),
        "[a-z_][a-z0-9.-]{0,3}",
        "[\u{e0}-\u{ff}1:]{1,2}",
    ]
}

fn uri() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(ipam_soap::ns::XSI.to_owned()),
        Just(ipam_soap::ns::SER.to_owned()),
        Just(ipam_soap::ns::IPAM.to_owned()),
        Just("http://www.w3.org/XML/1998/namespace".to_owned()),
        Just("http://www.w3.org/2000/xmlns/".to_owned()),
        text(),
    ]
}

fn change() -> impl Strategy<Value = Change> {
    let at = 0usize..400;
    prop_oneof![
        (
            at.clone(),
            prop_oneof![text(), "[ -~\u{1}\u{d}\u{fffe}]{0,40}"]
        )
            .prop_map(|(i, t)| Change::Text(i, t)),
        (
            at.clone(),
            name(),
            name(),
            prop_oneof![
                text(),
                Just("true".to_owned()),
                Just("i:DhcpFailover".to_owned())
            ]
        )
            .prop_map(|(i, p, l, v)| Change::Attr(i, p, l, v)),
        (at.clone(), name(), uri()).prop_map(|(i, p, u)| Change::Decl(i, p, u)),
        (at.clone(), name(), name()).prop_map(|(i, p, l)| Change::Start(i, p, l)),
        at.clone().prop_map(Change::End),
        at.clone().prop_map(Change::Remove),
        at.prop_map(Change::Comment),
    ]
}

fn apply(events: &mut Vec<XmlEvent>, change: &Change) {
    let at = |i: usize| i % (events.len() + 1);
    match change {
        Change::Text(i, t) => events.insert(at(*i), XmlEvent::text(t.clone())),
        Change::Attr(i, p, l, v) => {
            events.insert(at(*i), XmlEvent::attr(p.clone(), l.clone(), v.clone()))
        }
        Change::Decl(i, p, u) => events.insert(at(*i), XmlEvent::xmlns(p.clone(), u.clone())),
        Change::Start(i, p, l) => events.insert(at(*i), XmlEvent::start(p.clone(), l.clone())),
        Change::End(i) => events.insert(at(*i), XmlEvent::EndElement),
        Change::Remove(i) => {
            if !events.is_empty() {
                let i = i % events.len();
                events.remove(i);
            }
        }
        Change::Comment(i) => events.insert(at(*i), XmlEvent::Comment("c".into())),
    }
}

fn limits() -> impl Strategy<Value = Limits> {
    (1usize..40, 500usize..4000, 1usize..200, 50usize..1500).prop_map(
        |(max_depth, max_message_size, max_string_content_length, max_name_table_chars)| Limits {
            max_depth,
            max_message_size,
            max_string_content_length,
            max_name_table_chars,
            ..Limits::default()
        },
    )
}

fn request(p: Option<IpamOperationWithProgressParameters>, kind: u8, id: &str) -> String {
    match kind {
        0 => ipam_soap::encode_start_request(id, Some("net.tcp://h/")),
        1 => ipam_soap::encode_keepalive(),
        _ => ipam_soap::encode_initialize_request(p.as_ref(), id, None),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_requests_decode_alike(
        p in proptest::option::of(params()),
        kind in 0u8..4,
        id in text(),
    ) {
        let events = wire_events(&request(p.clone(), kind, &id));
        let limits = Limits::default();
        prop_assert!(same_outcome(&events, &limits));
        if kind >= 2 {
            let r = through_text(&events, &limits).unwrap().unwrap();
            prop_assert_eq!(
                r.body,
                RequestBody::InitializeOperationParameters(match p {
                    Some(p) => Member::Present(p),
                    None => Member::Nil,
                })
            );
        }
    }

    #[test]
    fn changed_requests_decode_alike(
        p in proptest::option::of(params()),
        changes in proptest::collection::vec(change(), 0..4),
        limits in prop_oneof![Just(Limits::default()), limits()],
    ) {
        let mut events = wire_events(&request(p, 2, "urn:uuid:1"));
        for c in &changes {
            apply(&mut events, c);
        }
        same_outcome(&events, &limits);
    }
}
