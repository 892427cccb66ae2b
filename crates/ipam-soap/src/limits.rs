//! Reader quotas in the manner of WCF's `XmlDictionaryReaderQuotas` and `MaxReceivedMessageSize`,
//! checked on the document tree, with a streaming pass to name the first problem when the
//! tree cannot be built or breaks one (see docs/spec-decisions.md, "Limits").

use std::collections::HashSet;

use ipam_model::{IpamException, IpamExceptionId};
use quick_xml::events::Event;

use crate::fault::Fault;

/// Quotas applied to every message read. Exceeding one is a fault, never a panic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Maximum message size in bytes (WCF `MaxReceivedMessageSize`, default 64 KiB).
    pub max_message_size: usize,
    /// Maximum element nesting depth (WCF `MaxDepth`, default 32).
    pub max_depth: usize,
    /// Maximum characters in one text node or attribute value (WCF `MaxStringContentLength`, default 8192).
    pub max_string_content_length: usize,
    /// Maximum items in one array (`ScopeIds`, `Scopes`, …) (WCF `MaxArrayLength`; default 1,048,576
    /// so that the message size is the binding limit).
    pub max_array_length: usize,
    /// Maximum total characters of the distinct element and attribute names (WCF
    /// `MaxNameTableCharCount`, default 16384).
    pub max_name_table_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_size: 64 * 1024,
            max_depth: 32,
            max_string_content_length: 8192,
            max_array_length: 1 << 20,
            max_name_table_chars: 16384,
        }
    }
}

/// A quota was exceeded: `IpamClientMessageSizeExceeded`.
pub(crate) fn quota(message: String) -> IpamException {
    IpamException::new(IpamExceptionId::IpamClientMessageSizeExceeded, message)
}

/// Malformed or forbidden XML (DTD, entities, bad UTF-8): `IpamApiInvalidParameter`.
pub(crate) fn malformed(message: impl std::fmt::Display) -> IpamException {
    IpamException::invalid_parameter(format!("the message is not well-formed XML: {message}"))
}

/// Checks the size, then the encoding, builds the tree (no DTD, no entity resolution
/// beyond the five predefined ones, a node count bounded by the message size) and checks
/// depth, string lengths and name table on it: one parse of the message.
///
/// When the tree cannot be built or breaks a quota, the streaming pass [`scan`] runs over
/// the text so that the fault is the one of the first problem in document order (a depth
/// bomb that is also unclosed is a quota fault, not a syntax error).
pub(crate) fn parse<'a>(xml: &'a [u8], limits: &Limits) -> Result<roxmltree::Document<'a>, Fault> {
    if xml.len() > limits.max_message_size {
        return Err(quota(format!(
            "the message is {} bytes, more than the maximum message size of {} bytes",
            xml.len(),
            limits.max_message_size
        ))
        .into());
    }
    let xml = xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(xml);
    let text =
        std::str::from_utf8(xml).map_err(|e| Fault::from(malformed(format!("not UTF-8: {e}"))))?;
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: u32::try_from(limits.max_message_size).unwrap_or(u32::MAX),
        ..Default::default()
    };
    let doc = match roxmltree::Document::parse_with_options(text, options) {
        Ok(doc) => doc,
        Err(e) => {
            scan(text, limits)?;
            return Err(match e {
                roxmltree::Error::NodesLimitReached => quota("too many XML nodes".into()),
                e => malformed(e),
            }
            .into());
        }
    };
    if let Err(e) = check_tree(&doc, text, limits) {
        scan(text, limits)?;
        return Err(e.into());
    }
    Ok(doc)
}

fn too_deep(limits: &Limits) -> IpamException {
    quota(format!(
        "the message nests deeper than the maximum depth of {}",
        limits.max_depth
    ))
}

fn names_too_long(limits: &Limits) -> IpamException {
    quota(format!(
        "the element and attribute names exceed the maximum name table size of {} characters",
        limits.max_name_table_chars
    ))
}

fn long_string(len: usize, limits: &Limits) -> IpamException {
    quota(format!(
        "a string of {len} characters exceeds the maximum string content length of {}",
        limits.max_string_content_length
    ))
}

/// The qualified name at the start of `s` (an element's after its `<`, an attribute's).
fn raw_name(s: &str) -> &str {
    let end = s
        .bytes()
        .position(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>' | b'='))
        .unwrap_or(s.len());
    &s[..end]
}

/// A name in the name table: as written (`&str`), or as (prefix, local name), the
/// qualified name `prefix:local` (`local` alone for no prefix).
pub(crate) trait TableName: Copy + Eq + std::hash::Hash {
    /// The bytes of the qualified name.
    fn bytes(&self) -> usize;
    /// The characters of the qualified name.
    fn chars(&self) -> usize;
}

impl TableName for &str {
    fn bytes(&self) -> usize {
        self.len()
    }

    fn chars(&self) -> usize {
        str::chars(self).count()
    }
}

impl TableName for (&str, &str) {
    fn bytes(&self) -> usize {
        match self.0.len() {
            0 => self.1.len(),
            p => p + 1 + self.1.len(),
        }
    }

    fn chars(&self) -> usize {
        match self.0.chars().count() {
            0 => self.1.chars().count(),
            p => p + 1 + self.1.chars().count(),
        }
    }
}

/// Distinct element and attribute names and their total characters (WCF
/// `MaxNameTableCharCount`).
pub(crate) struct NameTable<N> {
    /// The name added last: a repeat of it (sibling array items) is skipped at once.
    last: Option<N>,
    names: Names<N>,
}

enum Names<N> {
    /// Every name seen, repeats included, and their bytes: while those stay within the
    /// limit, so do the distinct names' characters, and no set is needed (the usual case).
    All { names: Vec<N>, bytes: usize },
    /// The distinct names and their characters, once the bytes of all passed the limit.
    Distinct { names: HashSet<N>, chars: usize },
}

impl<N: TableName> NameTable<N> {
    pub(crate) fn new() -> Self {
        NameTable {
            last: None,
            names: Names::All {
                names: Vec::with_capacity(64),
                bytes: 0,
            },
        }
    }

    /// Adds a name; past `max` bytes of names, switches to counting distinct names.
    pub(crate) fn add(&mut self, name: N, max: usize) {
        if self.last == Some(name) {
            return;
        }
        self.last = Some(name);
        match &mut self.names {
            Names::All { names, bytes } => {
                names.push(name);
                *bytes += name.bytes();
                if *bytes > max {
                    self.distinct();
                }
            }
            Names::Distinct { names, chars } => {
                if names.insert(name) {
                    *chars += name.chars();
                }
            }
        }
    }

    /// Whether the characters of the distinct names, plus `extra`, exceed `max`.
    pub(crate) fn exceeds(&mut self, extra: usize, max: usize) -> bool {
        self.bound() + extra > max && self.distinct() + extra > max
    }

    /// The characters of the distinct names, or a bound of them.
    fn bound(&self) -> usize {
        match &self.names {
            Names::All { bytes, .. } => *bytes,
            Names::Distinct { chars, .. } => *chars,
        }
    }

    /// The characters of the distinct names.
    fn distinct(&mut self) -> usize {
        if let Names::All { names, .. } = &mut self.names {
            let names: HashSet<N> = names.drain(..).collect();
            let chars = names.iter().map(TableName::chars).sum();
            self.names = Names::Distinct { names, chars };
        }
        match &self.names {
            Names::Distinct { chars, .. } => *chars,
            Names::All { .. } => unreachable!("converted above"),
        }
    }
}

/// The reader quotas on a built tree: element depth, characters of every text node,
/// attribute value and namespace URI (as read, after entity and character references, like
/// WCF's `MaxStringContentLength`), and the name table:
/// element and attribute names as written, plus `xmlns:p` for every declared prefix.
fn check_tree<'a>(
    doc: &roxmltree::Document<'a>,
    text: &'a str,
    limits: &Limits,
) -> Result<(), IpamException> {
    let max_names = limits.max_name_table_chars;
    let mut names = NameTable::new();
    // Declared prefixes and the characters of their names (`xmlns:p`, `xmlns`), kept apart:
    // those names are not in the text as such.
    let mut prefixes: HashSet<&str> = HashSet::new();
    let mut prefix_chars = 0usize;
    let total = |names: &mut NameTable<&'a str>, prefix_chars: usize| {
        if names.exceeds(prefix_chars, max_names) {
            Err(names_too_long(limits))
        } else {
            Ok(())
        }
    };
    let check = |s: &str| check_len(s, limits).map_err(|len| long_string(len, limits));
    // The open elements, innermost last, with their in-scope namespace counts (a change
    // from the parent's count means declarations).
    let mut open: Vec<(roxmltree::NodeId, usize)> = Vec::new();
    for n in doc.root().descendants() {
        if n.is_text() {
            check(n.text().unwrap_or(""))?;
            continue;
        }
        if !n.is_element() {
            continue;
        }
        let parent = n.parent().map(|p| p.id());
        while open.last().is_some_and(|(id, _)| Some(*id) != parent) {
            open.pop();
        }
        if open.len() + 1 > limits.max_depth {
            return Err(too_deep(limits));
        }
        names.add(raw_name(&text[n.range().start + 1..]), max_names);
        total(&mut names, prefix_chars)?;
        for a in n.attributes() {
            names.add(raw_name(&text[a.range().start..]), max_names);
            total(&mut names, prefix_chars)?;
            check(a.value())?;
        }
        // In-scope namespaces: the declared URIs are strings too (a redeclaration keeps
        // the count, so only a new count can bring a new prefix).
        let namespaces = n.namespaces();
        let count = namespaces.len();
        let declares_prefixes = open.last().map(|(_, c)| *c) != Some(count);
        for ns in namespaces {
            check(ns.uri())?;
            let p = ns.name().unwrap_or("");
            if declares_prefixes && p != "xml" && prefixes.insert(p) {
                // `xmlns:p`, or `xmlns` for the default namespace.
                prefix_chars += if p.is_empty() {
                    5
                } else {
                    6 + p.chars().count()
                };
                total(&mut names, prefix_chars)?;
            }
        }
        open.push((n.id(), count));
    }
    Ok(())
}

/// The streaming pass: depth, string lengths and name table as quick-xml reads the text,
/// and no DTD. Reports the first problem in document order.
fn scan(text: &str, limits: &Limits) -> Result<(), IpamException> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    let mut names: HashSet<String> = HashSet::new();
    let mut name_chars = 0usize;
    let long_string = |len: usize| long_string(len, limits);
    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed(format!("{e} at byte {}", reader.error_position())))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
                if depth > limits.max_depth
                    || (matches!(event, Event::Empty(_)) && depth + 1 > limits.max_depth)
                {
                    return Err(too_deep(limits));
                }
                let mut add = |n: &str| {
                    if !names.contains(n) {
                        name_chars += n.chars().count();
                        names.insert(n.to_owned());
                        if name_chars > limits.max_name_table_chars {
                            return Err(names_too_long(limits));
                        }
                    }
                    Ok(())
                };
                add(e.name().into_inner())?;
                for attr in e.attributes() {
                    let attr = attr.map_err(malformed)?;
                    add(attr.key.into_inner())?;
                    check_len(&attr.value, limits).map_err(long_string)?;
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Text(ref t) => check_len(t.as_ref(), limits).map_err(long_string)?,
            Event::CData(ref t) => check_len(t.as_ref(), limits).map_err(long_string)?,
            Event::DocType(_) => return Err(malformed("a DTD is not allowed")),
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(())
}

pub(crate) fn check_len(text: &str, limits: &Limits) -> Result<(), usize> {
    // Cheap bound first: a text of fewer bytes than the limit has fewer characters.
    if text.len() <= limits.max_string_content_length {
        return Ok(());
    }
    let len = text.chars().count();
    if len > limits.max_string_content_length {
        Err(len)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Without entity or character references, the tree finds what the former streaming
    /// pass found, with the same fault; with them, strings are measured as read.
    /// The former check: the streaming pass over the whole text, then the tree.
    fn two_passes(xml: &str, limits: &Limits) -> Result<(), Fault> {
        scan(xml, limits)?;
        parse(xml.as_bytes(), limits).map(drop)
    }

    fn outcome(r: Result<(), Fault>) -> Option<(ipam_model::IpamExceptionId, String)> {
        r.err().map(|f| {
            let d = f.detail.expect("a quota or syntax fault has a detail");
            (d.exception_id, d.message)
        })
    }

    fn fragment() -> impl Strategy<Value = &'static str> {
        proptest::sample::select(vec![
            "<a>",
            "</a>",
            "<a/>",
            "<bb x=\"1\">",
            "</bb>",
            "<p:c xmlns:p=\"urn:p\">",
            "</p:c>",
            "<d xmlns=\"urn:d\" y='22'>",
            "</d>",
            "text",
            "<![CDATA[cd]]>",
            "<!--c-->",
            " ",
            "<e f=\"eee\"/>",
            "<longname1/>",
            "<longname2 q:z=\"v\" xmlns:q=\"urn:q\"/>",
        ])
    }

    #[test]
    fn strings_are_measured_after_references() {
        let limits = Limits {
            max_string_content_length: 5,
            ..Limits::default()
        };
        let refs = format!("<r>{}</r>", "&amp;".repeat(6));
        let f = parse(refs.as_bytes(), &limits).map(drop).unwrap_err();
        assert!(
            f.reason.contains("a string of 6 characters"),
            "{}",
            f.reason
        );
        parse(br#"<r a="&amp;&amp;&#65;&lt;"/>"#, &limits).unwrap();
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        #[test]
        fn one_pass_finds_what_two_passes_found(
            parts in proptest::collection::vec(fragment(), 0..14),
            depth in 1usize..5,
            string in 1usize..12,
            names in 5usize..60,
        ) {
            let xml = format!("<r>{}</r>", parts.concat());
            let limits = Limits {
                max_depth: depth,
                max_string_content_length: string,
                max_name_table_chars: names,
                ..Limits::default()
            };
            prop_assert_eq!(
                outcome(parse(xml.as_bytes(), &limits).map(drop)),
                outcome(two_passes(&xml, &limits)),
                "{}", xml
            );
        }
    }
}
