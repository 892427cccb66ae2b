//! Reader quotas in the manner of WCF's `XmlDictionaryReaderQuotas` and `MaxReceivedMessageSize`,
//! checked before the document tree is built (see docs/spec-decisions.md, "Limits").

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

/// Checks size and encoding, then streams the document once to check depth, string
/// lengths, name table and the absence of a DTD. Returns the text to build the tree from.
pub(crate) fn precheck<'a>(xml: &'a [u8], limits: &Limits) -> Result<&'a str, Fault> {
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
    scan(text, limits).map_err(Fault::from)?;
    Ok(text)
}

fn scan(text: &str, limits: &Limits) -> Result<(), IpamException> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    let mut names: HashSet<String> = HashSet::new();
    let mut name_chars = 0usize;
    let long_string = |len: usize| {
        quota(format!(
            "a string of {len} characters exceeds the maximum string content length of {}",
            limits.max_string_content_length
        ))
    };
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
                    return Err(quota(format!(
                        "the message nests deeper than the maximum depth of {}",
                        limits.max_depth
                    )));
                }
                let mut add = |n: &str| {
                    if !names.contains(n) {
                        name_chars += n.chars().count();
                        names.insert(n.to_owned());
                        if name_chars > limits.max_name_table_chars {
                            return Err(quota(format!(
                                "the element and attribute names exceed the maximum name table size of {} characters",
                                limits.max_name_table_chars
                            )));
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

fn check_len(text: &str, limits: &Limits) -> Result<(), usize> {
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

/// Builds the tree: no DTD, no entity resolution beyond the five predefined ones, a node
/// count bounded by the message size.
pub(crate) fn parse<'a>(text: &'a str, limits: &Limits) -> Result<roxmltree::Document<'a>, Fault> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: u32::try_from(limits.max_message_size).unwrap_or(u32::MAX),
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::NodesLimitReached => Fault::from(quota("too many XML nodes".into())),
        e => Fault::from(malformed(e)),
    })
}
