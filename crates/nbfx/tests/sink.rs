//! Decoding into an `EventSink` (strings borrowed) gives exactly the events, or exactly
//! the error, of the `XmlEvent` decoders: on the MC-NBFX examples, the captured sessions,
//! generated documents and every truncation, corruption and limit of them.

mod common;
mod spec_vectors;

use nbfx::{
    Dictionary, Error, EventSink, Limits, SessionDecoder, SessionEncoder, SinkError, Text,
    TextValue, XmlEvent,
};
use proptest::prelude::*;

/// One event as a sink received it.
#[derive(Debug, Clone, PartialEq)]
enum Ev<'a> {
    Start(&'a str, &'a str),
    Attr(&'a str, &'a str, Text<'a>),
    Ns(&'a str, &'a str),
    Text(Text<'a>),
    Comment(&'a str),
    End,
}

/// Records what it receives; stops (with the event's index) at the `stop_at`-th event.
#[derive(Default)]
struct Recorder<'a> {
    events: Vec<Ev<'a>>,
    stop_at: Option<usize>,
}

impl<'a> Recorder<'a> {
    fn push(&mut self, e: Ev<'a>) -> Result<(), usize> {
        let i = self.events.len();
        self.events.push(e);
        if self.stop_at == Some(i) {
            return Err(i);
        }
        Ok(())
    }

    /// The events as the owned decoders give them.
    fn owned(&self) -> Vec<XmlEvent> {
        self.events
            .iter()
            .map(|e| match e {
                Ev::Start(p, l) => XmlEvent::start(*p, *l),
                Ev::Attr(p, l, v) => XmlEvent::Attribute {
                    prefix: (*p).to_owned(),
                    local_name: (*l).to_owned(),
                    value: v.clone().into_owned(),
                },
                Ev::Ns(p, u) => XmlEvent::xmlns(*p, *u),
                Ev::Text(v) => XmlEvent::Text(v.clone().into_owned()),
                Ev::Comment(c) => XmlEvent::Comment((*c).to_owned()),
                Ev::End => XmlEvent::EndElement,
            })
            .collect()
    }

    /// Every name, URI, comment and string text, and whether it was given as a
    /// borrowed string.
    fn strings(&self) -> Vec<&'a str> {
        let mut out = Vec::new();
        let text = |t: &Text<'a>, out: &mut Vec<&'a str>| {
            if let Text::Str(s) = t {
                out.push(*s);
            }
        };
        for e in &self.events {
            match e {
                Ev::Start(p, l) | Ev::Ns(p, l) => out.extend([*p, *l]),
                Ev::Attr(p, l, v) => {
                    out.extend([*p, *l]);
                    text(v, &mut out);
                }
                Ev::Text(v) => text(v, &mut out),
                Ev::Comment(c) => out.push(*c),
                Ev::End => {}
            }
        }
        out
    }
}

impl<'a> EventSink<'a> for Recorder<'a> {
    type Error = usize;

    fn start_element(&mut self, prefix: &'a str, local_name: &'a str) -> Result<(), usize> {
        self.push(Ev::Start(prefix, local_name))
    }

    fn attribute(&mut self, prefix: &'a str, local: &'a str, value: Text<'a>) -> Result<(), usize> {
        self.push(Ev::Attr(prefix, local, value))
    }

    fn namespace(&mut self, prefix: &'a str, uri: &'a str) -> Result<(), usize> {
        self.push(Ev::Ns(prefix, uri))
    }

    fn text(&mut self, value: Text<'a>) -> Result<(), usize> {
        self.push(Ev::Text(value))
    }

    fn comment(&mut self, text: &'a str) -> Result<(), usize> {
        self.push(Ev::Comment(text))
    }

    fn end_element(&mut self) -> Result<(), usize> {
        self.push(Ev::End)
    }
}

/// Compared by their `Debug` form, so that a NaN value equals itself.
fn dbg(x: &(impl std::fmt::Debug + ?Sized)) -> String {
    format!("{x:?}")
}

fn inside(s: &str, buf: &[u8]) -> bool {
    let (p, b) = (s.as_ptr() as usize, buf.as_ptr() as usize);
    p >= b && p + s.len() <= b + buf.len()
}

/// Each string is borrowed: from the input, from a dictionary string (`dict` resolves
/// ids below `ids`), or a Prefix* record's letter.
fn assert_borrowed(strings: &[&str], input: &[u8], dict: &dyn Dictionary, ids: u32) {
    for s in strings {
        if s.is_empty()
            || inside(s, input)
            || (s.len() == 1 && s.as_bytes()[0].is_ascii_lowercase())
        {
            continue;
        }
        let from_dict = (0..ids).any(|id| dict.lookup(id).is_some_and(|d| inside(s, d.as_bytes())));
        assert!(from_dict, "{s:?} was copied");
    }
}

/// The events (or error) of `decode_with`, after checking that `decode_into` agrees,
/// borrows every string, and stops where its sink says.
fn agree(
    bytes: &[u8],
    dict: &dyn Dictionary,
    ids: u32,
    limits: &Limits,
) -> Result<Vec<XmlEvent>, Error> {
    let expected = nbfx::decode_with(bytes, dict, limits);
    let mut sink = Recorder::default();
    match (nbfx::decode_into(bytes, dict, limits, &mut sink), &expected) {
        (Ok(()), Ok(events)) => {
            assert_eq!(dbg(&sink.owned()), dbg(events), "{bytes:02X?}");
            assert_borrowed(&sink.strings(), bytes, dict, ids);
            for stop_at in [0, events.len() / 2, events.len().saturating_sub(1)] {
                if stop_at >= events.len() {
                    continue;
                }
                let mut sink = Recorder {
                    stop_at: Some(stop_at),
                    ..Recorder::default()
                };
                let got = nbfx::decode_into(bytes, dict, limits, &mut sink);
                assert_eq!(got, Err(SinkError::Sink(stop_at)));
                assert_eq!(dbg(&sink.owned()), dbg(&events[..=stop_at]), "{bytes:02X?}");
            }
        }
        (Err(SinkError::Decode(got)), Err(e)) => assert_eq!(&got, e, "{bytes:02X?}"),
        (got, _) => panic!("{bytes:02X?}: decode_into gave {got:?}, decode_with {expected:?}"),
    }
    expected
}

/// `payloads` decoded over one session by `decode_envelope` and by
/// `apply_string_table` + `decode_body_into`: the same events or errors, the same
/// session dictionary after each, and `decode_body` again (the table not re-applied)
/// gives the same once more. Returns how many envelopes decoded.
fn agree_session(payloads: &[Vec<u8>], limits: &Limits) -> usize {
    let mut owned = SessionDecoder::with_limits(limits.clone());
    let mut borrowed = SessionDecoder::with_limits(limits.clone());
    let mut decoded = 0;
    for p in payloads {
        let expected = owned.decode_envelope(p);
        let got = match borrowed.apply_string_table(p) {
            Err(e) => Err(e),
            Ok(body) => {
                assert_eq!(body.offset() + body.bytes().len(), p.len());
                let mut sink = Recorder::default();
                let got = match borrowed.decode_body_into(body, &mut sink) {
                    Ok(()) => {
                        let dict = borrowed.dictionary();
                        let ids = 2 * dict.len() as u32 + 1000;
                        assert_borrowed(&sink.strings(), p, dict, ids);
                        Ok(sink.owned())
                    }
                    Err(SinkError::Decode(e)) => Err(e),
                    Err(SinkError::Sink(i)) => panic!("the recorder stopped at {i}"),
                };
                assert_eq!(dbg(&borrowed.decode_body(body)), dbg(&got), "{p:02X?}");
                got
            }
        };
        assert_eq!(dbg(&got), dbg(&expected), "{p:02X?}");
        assert_eq!(
            borrowed.dictionary().strings(),
            owned.dictionary().strings()
        );
        decoded += usize::from(expected.is_ok());
    }
    decoded
}

/// The spec examples print dictionary strings as `strN`.
struct StrN(Vec<String>);

impl Dictionary for StrN {
    fn lookup(&self, id: u32) -> Option<&str> {
        self.0.get(id as usize).map(String::as_str)
    }
}

/// Limits from tight to default, to hit each one somewhere.
fn limit_grid() -> Vec<Limits> {
    let d = Limits::default;
    let mut v = vec![d()];
    for max_depth in [0, 1, 2, 3] {
        v.push(Limits { max_depth, ..d() });
    }
    for max_output_bytes in [0, 5, 10, 20, 40, 80, 160, 320, 640] {
        v.push(Limits {
            max_output_bytes,
            ..d()
        });
    }
    for max_string_len in [0, 1, 3, 5, 10, 30] {
        v.push(Limits {
            max_string_len,
            ..d()
        });
    }
    for max_array_len in [1, 2, 3] {
        v.push(Limits {
            max_array_len,
            ..d()
        });
    }
    for (max_session_strings, max_session_bytes) in [(0, 0), (1, 1000), (2, 1000), (100, 10)] {
        v.push(Limits {
            max_session_strings,
            max_session_bytes,
            ..d()
        });
    }
    v
}

/// `bytes`, every truncation of it, and a few corruptions of each byte.
fn mangled(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut v = vec![bytes.to_vec()];
    for cut in 0..bytes.len() {
        v.push(bytes[..cut].to_vec());
    }
    for i in 0..bytes.len() {
        for b in [0x00, 0x01, 0x03, 0x7F, 0x80, 0xFF] {
            let mut m = bytes.to_vec();
            m[i] = b;
            v.push(m);
        }
    }
    v
}

#[test]
fn spec_examples_agree() {
    let dict = StrN((0..2000).map(|i| format!("str{i}")).collect());
    let mut ok = 0;
    for (name, bytes) in spec_vectors::EXAMPLES {
        let events = agree(bytes, &dict, 2000, &Limits::default());
        assert!(events.is_ok(), "{name}");
        for limits in limit_grid() {
            for m in mangled(bytes) {
                ok += usize::from(agree(&m, &dict, 2000, &limits).is_ok());
            }
        }
    }
    assert!(ok > 100, "{ok}");
}

#[test]
fn mono_capture_agrees() {
    for client in [true, false] {
        let payloads = common::envelopes(client);
        assert_eq!(agree_session(&payloads, &Limits::default()), payloads.len());
        for limits in limit_grid() {
            agree_session(&payloads, &limits);
        }
        // Each envelope mangled, after the intact ones before it.
        for (i, p) in payloads.iter().enumerate() {
            for m in mangled(p) {
                let mut session = payloads[..i].to_vec();
                session.push(m);
                agree_session(&session, &Limits::default());
            }
        }
    }
}

#[test]
fn wcf_exchange_agrees() {
    let mut sessions: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut encoders = Vec::new();
    let mut current = usize::MAX;
    for (session, c2s, xml) in common::messages() {
        if session != current {
            current = session;
            encoders = vec![SessionEncoder::new(), SessionEncoder::new()];
            sessions.extend([Vec::new(), Vec::new()]);
        }
        let events = nbfx::from_xml(&xml).unwrap();
        let side = usize::from(!c2s);
        let payload = encoders[side].encode_envelope(&events).unwrap();
        let n = sessions.len();
        sessions[n - 2 + side].push(payload);
    }
    assert!(sessions.iter().map(Vec::len).sum::<usize>() >= 19);
    for payloads in sessions.iter().filter(|s| !s.is_empty()) {
        assert_eq!(agree_session(payloads, &Limits::default()), payloads.len());
        for limits in limit_grid() {
            agree_session(payloads, &limits);
        }
        let last = payloads.len() - 1;
        for cut in 0..payloads[last].len() {
            let mut session = payloads.clone();
            session[last].truncate(cut);
            assert_eq!(agree_session(&session, &Limits::default()), last);
        }
    }
}

#[test]
fn fuzz_seeds_agree() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = 0;
    for entry in std::fs::read_dir(root.join("fuzz/seeds")).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        files += 1;
        // The fuzz target's framing: u16 length + payload, over one session.
        let mut payloads = Vec::new();
        let mut rest = &data[..];
        while rest.len() >= 2 {
            let len = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
            let take = len.min(rest.len() - 2);
            payloads.push(rest[2..2 + take].to_vec());
            rest = &rest[2 + take..];
        }
        agree_session(&payloads, &Limits::default());
        for p in &payloads {
            let _ = agree(p, &nbfx::StaticDictionary, 1000, &Limits::default());
        }
    }
    assert!(files >= 80, "{files}");
}

/// The typed values of Array records, one of each size.
const ARRAY_TYPES: &[(u8, usize)] = &[
    (0xB5, 1),
    (0x8B, 2),
    (0x8D, 4),
    (0x91, 4),
    (0x8F, 8),
    (0x93, 8),
    (0x97, 8),
    (0xAF, 8),
    (0x95, 16),
    (0xB1, 16),
    (0x99, 1),
];

/// A root element holding an Array record (its element with an optional attribute and
/// namespace declaration), then a text record.
fn array_document() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(ARRAY_TYPES),
        0usize..6,
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..96),
    )
        .prop_map(|((vt, size), count, attr, values)| {
            let mut b = vec![0x40, 0x01, b'r', 0x03, 0x41, 0x01, b'p', 0x01, b'a'];
            if attr {
                b.extend([0x09, 0x01, b'p', 0x03, b'u', b':', b'x']);
                b.extend([0x04, 0x01, b'x', 0x98, 0x02, b'h', b'i']);
            }
            b.extend([0x01, vt, count as u8]);
            b.extend(values.iter().cycle().take(count * size));
            b.extend([0x99, 0x01, b't']);
            b
        })
}

fn limits() -> impl Strategy<Value = Limits> {
    (
        0usize..12,
        0usize..3000,
        0usize..400,
        1usize..8,
        0usize..20,
        0usize..400,
    )
        .prop_map(|(d, o, s, a, ss, sb)| Limits {
            max_depth: d,
            max_output_bytes: o,
            max_string_len: s,
            max_array_len: a,
            max_session_strings: ss,
            max_session_bytes: sb,
        })
}

/// A change that makes a payload malformed (or not).
#[derive(Debug, Clone)]
enum Damage {
    None,
    Cut(prop::sample::Index),
    Byte(prop::sample::Index, u8),
    Insert(prop::sample::Index, u8),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        Just(Damage::None),
        any::<prop::sample::Index>().prop_map(Damage::Cut),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Damage::Byte(i, b)),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Damage::Insert(i, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, damage: &Damage) {
    match damage {
        Damage::None => {}
        Damage::Cut(i) => bytes.truncate(i.index(bytes.len() + 1)),
        Damage::Byte(i, b) if !bytes.is_empty() => {
            let i = i.index(bytes.len());
            bytes[i] = *b;
        }
        Damage::Byte(..) => {}
        Damage::Insert(i, b) => bytes.insert(i.index(bytes.len() + 1), *b),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Generated documents over a session, each damaged or not, under random limits.
    #[test]
    fn generated_sessions_agree(
        docs in prop::collection::vec((common::document(), damage()), 1..4),
        budget in 0usize..4096,
        limits in prop_oneof![Just(Limits::default()), limits()],
    ) {
        let mut enc = SessionEncoder::new().with_session_budget(budget);
        let payloads: Vec<Vec<u8>> = docs
            .iter()
            .map(|(events, damage)| {
                let mut p = enc.encode_envelope(events).unwrap();
                apply(&mut p, damage);
                p
            })
            .collect();
        agree_session(&payloads, &limits);
        // Undamaged under default limits, each decodes to its events.
        if docs.iter().all(|(_, d)| matches!(d, Damage::None)) && limits == Limits::default() {
            prop_assert_eq!(agree_session(&payloads, &limits), docs.len());
        }
    }

    /// Generated MC-NBFS documents (static dictionary), damaged or not, under random limits.
    #[test]
    fn generated_documents_agree(
        events in common::document(),
        damage in damage(),
        limits in prop_oneof![Just(Limits::default()), limits()],
    ) {
        let mut bytes = nbfx::encode(&events).unwrap();
        apply(&mut bytes, &damage);
        let got = agree(&bytes, &nbfx::StaticDictionary, 1000, &limits);
        if matches!(damage, Damage::None) && limits == Limits::default() {
            prop_assert_eq!(dbg(&got.unwrap()), dbg(&events));
        }
    }

    /// Array records (expanded into one element per value), damaged or not.
    #[test]
    fn arrays_agree(
        bytes in array_document(),
        damage in damage(),
        limits in prop_oneof![Just(Limits::default()), limits()],
    ) {
        let mut bytes = bytes;
        apply(&mut bytes, &damage);
        let _ = agree(&bytes, &nbfx::StaticDictionary, 1000, &limits);
    }

    #[test]
    fn random_bytes_agree(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = agree(&bytes, &nbfx::StaticDictionary, 1000, &Limits::default());
        agree_session(&[bytes], &Limits::default());
    }
}

#[test]
fn array_values_are_expanded_alike() {
    // Three Int16 values under `p:a` with an attribute and a declaration.
    let bytes = [
        0x40, 0x01, b'r', 0x03, 0x41, 0x01, b'p', 0x01, b'a', 0x09, 0x01, b'p', 0x03, b'u', b':',
        b'x', 0x04, 0x01, b'x', 0x98, 0x02, b'h', b'i', 0x01, 0x8B, 0x03, 0x01, 0x00, 0x02, 0x00,
        0x03, 0x00, 0x01,
    ];
    let events = agree(&bytes, &nbfx::StaticDictionary, 1000, &Limits::default()).unwrap();
    let ints: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            XmlEvent::Text(TextValue::Int(n)) => Some(*n),
            _ => None,
        })
        .collect();
    assert_eq!(ints, [1, 2, 3]);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, XmlEvent::Attribute { .. }))
            .count(),
        3
    );
}
