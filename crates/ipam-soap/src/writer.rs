//! A small namespace-aware XML writer over quick-xml's `Writer`.
//!
//! Every prefix is declared once on `s:Envelope`; elements of the current default
//! namespace are written unprefixed, like WCF, and `i:type` QNames follow the same rule.

use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};

use crate::ns;

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

/// Writes one envelope.
pub(crate) struct Out {
    w: Writer<Vec<u8>>,
    /// Open elements: qualified name and the default namespace inside them.
    stack: Vec<(String, &'static str)>,
    /// Next `z:Id` number.
    next_id: u32,
}

impl Out {
    /// Opens `s:Envelope` with every prefix declared.
    pub fn envelope() -> Self {
        let mut out = Out {
            w: Writer::new(Vec::with_capacity(1024)),
            stack: Vec::new(),
            next_id: 1,
        };
        let mut e = BytesStart::new("s:Envelope");
        for (p, u) in PREFIXES {
            e.push_attribute((format!("xmlns:{p}").as_str(), *u));
        }
        out.event(Event::Start(e));
        out.stack.push(("s:Envelope".into(), ""));
        out
    }

    fn default_ns(&self) -> &'static str {
        self.stack.last().map_or("", |(_, d)| *d)
    }

    fn event(&mut self, e: Event<'_>) {
        // Writing to a Vec cannot fail.
        self.w.write_event(e).expect("write to memory");
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
        let (name, default, decl) = if as_default && ns_uri != current {
            (local.to_owned(), ns_uri, Some(ns_uri))
        } else if ns_uri == current {
            (local.to_owned(), current, None)
        } else if ns_uri.is_empty() {
            (local.to_owned(), "", Some(""))
        } else {
            (format!("{}:{local}", prefix(ns_uri)), current, None)
        };
        let mut e = BytesStart::new(name.as_str());
        if let Some(d) = decl {
            e.push_attribute(("xmlns", d));
        }
        for (k, v) in attrs {
            e.push_attribute((*k, escape(v).as_str()));
        }
        if let Some((type_ns, type_local)) = ty {
            // The QName is resolved inside the element, after its own xmlns declaration.
            let q = if type_ns == default {
                type_local.to_owned()
            } else {
                format!("{}:{type_local}", prefix(type_ns))
            };
            e.push_attribute(("i:type", q.as_str()));
        }
        if empty {
            self.event(Event::Empty(e));
        } else {
            self.event(Event::Start(e));
            self.stack.push((name, default));
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
        let (name, _) = self.stack.pop().expect("an open element");
        self.event(Event::End(BytesEnd::new(name)));
    }

    /// Text content.
    pub fn text(&mut self, text: &str) {
        self.event(Event::Text(BytesText::from_escaped(escape(text))));
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

    /// Closes everything and returns the document.
    pub fn finish(mut self) -> String {
        while !self.stack.is_empty() {
            self.end();
        }
        String::from_utf8(self.w.into_inner()).expect("the writer only writes UTF-8")
    }
}

/// Escapes text for content and attribute values. `\r` and tabs/newlines in attributes are
/// written as character references so they survive end-of-line and attribute normalization;
/// characters XML 1.0 cannot carry are replaced by U+FFFD (docs/spec-decisions.md).
pub(crate) fn escape(s: &str) -> String {
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
    out
}

/// The XML 1.0 `Char` production.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}
