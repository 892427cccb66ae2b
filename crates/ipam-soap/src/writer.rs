//! A small namespace-aware XML writer over an [`XmlSink`].
//!
//! Every prefix is declared once on `s:Envelope`; elements of the current default
//! namespace are written unprefixed, like WCF, and `i:type` QNames follow the same rule.
//! The same calls produce XML text ([`TextSink`], quick-xml's `Writer`) or, through another
//! sink, a transport's own event form (MC-NBFX for net.tcp's binary encoding) without
//! writing and re-parsing text.

use std::borrow::Cow;

use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};

use crate::ns;

/// Receives one XML document as a stream of calls, in document order.
///
/// Namespaces are not resolved: prefixes are the literal ones of the document (`""` for
/// none) and every declaration arrives as [`XmlSink::namespace`]. Values are logical
/// (unescaped) and hold only XML 1.0 `Char`s. [`XmlSink::namespace`] and
/// [`XmlSink::attribute`] belong to the latest [`XmlSink::start_element`] and come before
/// its content; every element is closed by [`XmlSink::end_element`].
///
/// The calls equal what an XML 1.0 reader gives back from the text [`TextSink`] writes,
/// except that text is passed as written: a reader that drops whitespace-only text between
/// elements (as MC-NBFX encoders from text do) must do the same.
pub trait XmlSink {
    /// Start tag `<prefix:local`.
    fn start_element(&mut self, prefix: &str, local: &str);
    /// `xmlns:prefix="uri"` (`xmlns="uri"` when `prefix` is empty) on the open start tag.
    fn namespace(&mut self, prefix: &str, uri: &str);
    /// `prefix:local="value"` on the open start tag.
    fn attribute(&mut self, prefix: &str, local: &str, value: &str);
    /// Character content (possibly empty).
    fn text(&mut self, text: &str);
    /// End of the innermost open element.
    fn end_element(&mut self);
    /// End of the element just started, written without content on purpose: text writers
    /// use the short form `<a/>`. Otherwise the same as [`XmlSink::end_element`].
    fn end_empty_element(&mut self) {
        self.end_element();
    }
}

/// XML text with quick-xml's `Writer`: no declaration, no indentation, `<a/>` for an element
/// ended by [`XmlSink::end_empty_element`], `<a></a>` for one opened and closed.
pub(crate) struct TextSink {
    w: Writer<Vec<u8>>,
    /// The start tag not yet written (attributes may follow).
    pending: Option<BytesStart<'static>>,
    /// Qualified names of the open elements.
    names: Vec<String>,
}

impl TextSink {
    pub(crate) fn new() -> Self {
        TextSink {
            w: Writer::new(Vec::with_capacity(1024)),
            pending: None,
            names: Vec::new(),
        }
    }

    fn event(&mut self, e: Event<'_>) {
        // Writing to a Vec cannot fail.
        self.w.write_event(e).expect("write to memory");
    }

    fn flush(&mut self) {
        if let Some(e) = self.pending.take() {
            self.event(Event::Start(e));
        }
    }

    fn pending(&mut self) -> &mut BytesStart<'static> {
        self.pending.as_mut().expect("an open start tag")
    }

    /// The document written so far.
    pub(crate) fn into_string(mut self) -> String {
        self.flush();
        String::from_utf8(self.w.into_inner()).expect("the writer only writes UTF-8")
    }
}

fn qualified(prefix: &str, local: &str) -> String {
    if prefix.is_empty() {
        local.to_owned()
    } else {
        format!("{prefix}:{local}")
    }
}

impl XmlSink for TextSink {
    fn start_element(&mut self, prefix: &str, local: &str) {
        self.flush();
        let name = qualified(prefix, local);
        self.pending = Some(BytesStart::new(name.clone()));
        self.names.push(name);
    }

    fn namespace(&mut self, prefix: &str, uri: &str) {
        let key = if prefix.is_empty() {
            Cow::Borrowed("xmlns")
        } else {
            Cow::Owned(format!("xmlns:{prefix}"))
        };
        self.pending().push_attribute((key.as_ref(), uri));
    }

    fn attribute(&mut self, prefix: &str, local: &str, value: &str) {
        let key = qualified(prefix, local);
        self.pending().push_attribute((key.as_str(), value));
    }

    fn text(&mut self, text: &str) {
        self.flush();
        self.event(Event::Text(BytesText::from_escaped(escape(text))));
    }

    fn end_element(&mut self) {
        self.flush();
        let name = self.names.pop().expect("an open element");
        self.event(Event::End(BytesEnd::new(name)));
    }

    fn end_empty_element(&mut self) {
        self.names.pop().expect("an open element");
        let e = self.pending.take().expect("the element just started");
        self.event(Event::Empty(e));
    }
}

/// Prefixes declared on the envelope.
const PREFIXES: &[(&str, &str)] = &[
    ("s", ns::SOAP12),
    ("a", ns::WSA),
    ("i", ns::XSI),
    ("z", ns::SER),
    ("x", ns::XSD),
    ("b", ns::IPAM),
    ("c", ns::IPAM1),
    ("arr", ns::SERARR),
    ("net", ns::SYSNET),
];

/// `xmlns:p="uri"` for every prefix of [`PREFIXES`], to declare again on an element whose
/// content may be read apart from its envelope (a fault detail, a QName value).
pub(crate) fn all_prefix_declarations() -> Vec<(String, &'static str)> {
    PREFIXES
        .iter()
        .map(|(p, u)| (format!("xmlns:{p}"), *u))
        .collect()
}

fn prefix(ns_uri: &str) -> &'static str {
    PREFIXES
        .iter()
        .find(|(_, u)| *u == ns_uri)
        .map(|(p, _)| *p)
        .expect("namespace with a declared prefix")
}

/// Writes one envelope into a sink.
pub(crate) struct Out<'s> {
    sink: &'s mut dyn XmlSink,
    /// The default namespace inside each open element.
    stack: Vec<&'static str>,
    /// Next `z:Id` number.
    next_id: u32,
}

impl<'s> Out<'s> {
    /// Opens `s:Envelope` with every prefix declared.
    pub fn envelope(sink: &'s mut dyn XmlSink) -> Self {
        sink.start_element("s", "Envelope");
        for (p, u) in PREFIXES {
            sink.namespace(p, u);
        }
        Out {
            sink,
            // Deep enough for every envelope of this protocol without growing.
            stack: {
                let mut stack = Vec::with_capacity(16);
                stack.push("");
                stack
            },
            next_id: 1,
        }
    }

    fn default_ns(&self) -> &'static str {
        self.stack.last().copied().unwrap_or("")
    }

    /// The QName text for `i:type` of a type in `ns_uri`.
    pub fn type_qname(&self, ns_uri: &str, local: &str) -> String {
        if ns_uri == self.default_ns() {
            local.to_owned()
        } else {
            format!("{}:{local}", prefix(ns_uri))
        }
    }

    /// A fresh `z:Id` value (`i1`, `i2`, …).
    pub fn fresh_id(&mut self) -> String {
        let id = format!("i{}", self.next_id);
        self.next_id += 1;
        id
    }

    fn open(
        &mut self,
        ns_uri: &'static str,
        local: &str,
        attrs: &[(&str, &str)],
        as_default: bool,
        empty: bool,
    ) {
        self.open_typed(ns_uri, local, None, attrs, as_default, empty);
    }

    fn open_typed(
        &mut self,
        ns_uri: &'static str,
        local: &str,
        ty: Option<(&'static str, &str)>,
        attrs: &[(&str, &str)],
        as_default: bool,
        empty: bool,
    ) {
        let current = self.default_ns();
        let (el_prefix, default, decl) = if as_default && ns_uri != current {
            ("", ns_uri, Some(ns_uri))
        } else if ns_uri == current {
            ("", current, None)
        } else if ns_uri.is_empty() {
            ("", "", Some(""))
        } else {
            (prefix(ns_uri), current, None)
        };
        self.sink.start_element(el_prefix, local);
        if let Some(d) = decl {
            self.sink.namespace("", d);
        }
        for (k, v) in attrs {
            // Logical values: the text sink escapes them once, the binary sink not at all.
            let v: &str = v;
            match k.split_once(':') {
                Some(("xmlns", p)) => self.sink.namespace(p, v),
                Some((p, l)) => self.sink.attribute(p, l, v),
                None if *k == "xmlns" => self.sink.namespace("", v),
                None => self.sink.attribute("", k, v),
            }
        }
        if let Some((type_ns, type_local)) = ty {
            // The QName is resolved inside the element, after its own xmlns declaration.
            let q = if type_ns == default {
                Cow::Borrowed(type_local)
            } else {
                Cow::Owned(format!("{}:{type_local}", prefix(type_ns)))
            };
            self.sink.attribute("i", "type", &q);
        }
        if empty {
            self.sink.end_empty_element();
        } else {
            self.stack.push(default);
        }
    }

    /// Opens an element of `ns_uri` (prefixed unless it is the default namespace).
    pub fn start(&mut self, ns_uri: &'static str, local: &str, attrs: &[(&str, &str)]) {
        self.open(ns_uri, local, attrs, false, false);
    }

    /// Opens an element with `i:type` naming (`type_ns`, `type_local`).
    pub fn start_typed(
        &mut self,
        ns_uri: &'static str,
        local: &str,
        type_ns: &'static str,
        type_local: &str,
        attrs: &[(&str, &str)],
    ) {
        self.open_typed(
            ns_uri,
            local,
            Some((type_ns, type_local)),
            attrs,
            false,
            false,
        );
    }

    /// Opens an element declaring `ns_uri` as the default namespace inside it.
    pub fn start_default(&mut self, ns_uri: &'static str, local: &str, attrs: &[(&str, &str)]) {
        self.open(ns_uri, local, attrs, true, false);
    }

    /// An empty element.
    pub fn empty(&mut self, ns_uri: &'static str, local: &str, attrs: &[(&str, &str)]) {
        self.open(ns_uri, local, attrs, false, true);
    }

    /// An empty element declaring its namespace as the default one.
    pub fn empty_default(&mut self, ns_uri: &'static str, local: &str) {
        self.open(ns_uri, local, &[], true, true);
    }

    /// `<name i:nil="true"/>`.
    pub fn nil(&mut self, ns_uri: &'static str, local: &str) {
        self.empty(ns_uri, local, &[("i:nil", "true")]);
    }

    /// Closes the innermost open element.
    pub fn end(&mut self) {
        self.stack.pop().expect("an open element");
        self.sink.end_element();
    }

    /// Text content; characters XML cannot carry become U+FFFD.
    pub fn text(&mut self, text: &str) {
        if all_xml_chars(text) {
            self.sink.text(text);
        } else {
            let clean: String = text
                .chars()
                .map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' })
                .collect();
            self.sink.text(&clean);
        }
    }

    /// `<name attrs>text</name>`.
    pub fn text_el_with(
        &mut self,
        ns_uri: &'static str,
        local: &str,
        attrs: &[(&str, &str)],
        text: &str,
    ) {
        self.start(ns_uri, local, attrs);
        self.text(text);
        self.end();
    }

    /// `<name>text</name>`.
    pub fn text_el(&mut self, ns_uri: &'static str, local: &str, text: &str) {
        self.text_el_with(ns_uri, local, &[], text);
    }

    /// `<name>text</name>` or `<name i:nil="true"/>`.
    pub fn opt_text_el(&mut self, ns_uri: &'static str, local: &str, text: Option<&str>) {
        match text {
            Some(t) => self.text_el(ns_uri, local, t),
            None => self.nil(ns_uri, local),
        }
    }

    /// Closes every open element, `s:Envelope` included.
    pub fn finish(mut self) {
        while !self.stack.is_empty() {
            self.end();
        }
    }
}

/// Escapes text for content and attribute values. `\r` and tabs/newlines in attributes are
/// written as character references so they survive end-of-line and attribute normalization;
/// characters XML 1.0 cannot carry are replaced by U+FFFD (docs/spec-decisions.md).
pub(crate) fn escape(s: &str) -> Cow<'_, str> {
    let plain = |c: char| !matches!(c, '&' | '<' | '>' | '"' | '\'' | '\r' | '\n' | '\t');
    if all_xml_chars(s) && s.chars().all(plain) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            '\n' => out.push_str("&#xA;"),
            '\t' => out.push_str("&#x9;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    Cow::Owned(out)
}

/// Whether every character of `s` is one XML 1.0 can carry. A `str` holds no surrogates,
/// so the only others are the C0 controls but tab, newline and carriage return, and
/// U+FFFE and U+FFFF (`EF BF BE`, `EF BF BF`): one branch-free pass over the bytes clears
/// text that has neither a control nor an `EF` byte, as nearly all text does.
pub(crate) fn all_xml_chars(s: &str) -> bool {
    let suspect = s.bytes().fold(false, |any, b| {
        any | ((b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r')) | (b == 0xEF)
    });
    !suspect || s.chars().all(is_xml_char)
}

/// The XML 1.0 `Char` production.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::{all_xml_chars, is_xml_char};

    #[test]
    fn all_xml_chars_agrees_with_the_character_test() {
        let edges = [
            0xD7FF, 0xE000, 0xEFFF, 0xF000, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x10FFFF,
        ];
        let chars = (0..0x300u32)
            .chain(edges)
            .filter_map(char::from_u32)
            .collect::<Vec<_>>();
        for &c in &chars {
            for s in [c.to_string(), format!("ab{c}"), format!("{c}é10.0.0.1")] {
                assert_eq!(all_xml_chars(&s), s.chars().all(is_xml_char), "{s:?}");
            }
        }
        assert!(all_xml_chars(""));
        assert!(all_xml_chars("Failover-1\t\r\n"));
        assert!(!all_xml_chars("a\u{0}b"));
        assert!(!all_xml_chars("a\u{FFFF}"));
    }
}
