//! Bridge between [`XmlEvent`]s and XML 1.0 text.

use quick_xml::events::Event;
use quick_xml::name::QName;

use crate::{Error, TextValue, XmlEvent};

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || !c.is_ascii()
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == '-' || c == '.'
}

/// Checks an XML NCName (non-ASCII characters are accepted as is).
fn check_ncname(s: &str) -> Result<(), Error> {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if is_name_start(c) && chars.all(is_name_char) => Ok(()),
        _ => Err(Error::InvalidEvents(format!("not an XML name: {s:?}"))),
    }
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes per MC-NBFX §2.2.3.13.1: markup characters as entities, characters
/// not allowed in XML as `&#N;`. In attributes also `"` and whitespace.
fn escape_into(out: &mut String, s: &str, attribute: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\t' | '\n' if attribute => {
                out.push_str(&format!("&#{};", u32::from(c)));
            }
            '\r' => out.push_str("&#13;"),
            c if !is_xml_char(c) => out.push_str(&format!("&#{};", u32::from(c))),
            c => out.push(c),
        }
    }
}

fn qname(prefix: &str, local: &str) -> Result<String, Error> {
    check_ncname(local)?;
    if prefix.is_empty() {
        Ok(local.to_owned())
    } else {
        check_ncname(prefix)?;
        Ok(format!("{prefix}:{local}"))
    }
}

/// Writes events as XML text (no declaration, no added whitespace).
///
/// Namespace declarations are written exactly where the events have them;
/// no namespace fix-up is done. Empty elements are written as `<a></a>`.
/// Fails on invalid names, unbalanced elements, misplaced attributes or
/// comments that XML cannot represent.
pub fn to_xml(events: &[XmlEvent]) -> Result<String, Error> {
    let mut out = String::new();
    let mut stack: Vec<String> = Vec::new();
    let mut in_start_tag = false;
    // Qualified attribute names of the open start tag (duplicates are not
    // well-formed XML).
    let mut attr_names: Vec<String> = Vec::new();
    for event in events {
        if in_start_tag
            && !matches!(
                event,
                XmlEvent::Attribute { .. } | XmlEvent::NamespaceDecl { .. }
            )
        {
            out.push('>');
            in_start_tag = false;
        }
        match event {
            XmlEvent::StartElement { prefix, local_name } => {
                let q = qname(prefix, local_name)?;
                out.push('<');
                out.push_str(&q);
                stack.push(q);
                in_start_tag = true;
                attr_names.clear();
            }
            XmlEvent::Attribute {
                prefix,
                local_name,
                value,
            } => {
                if !in_start_tag {
                    return Err(Error::InvalidEvents("attribute outside a start tag".into()));
                }
                let q = qname(prefix, local_name)?;
                unique_attr(&mut attr_names, &q)?;
                out.push(' ');
                out.push_str(&q);
                out.push_str("=\"");
                escape_into(&mut out, &value.to_string(), true);
                out.push('"');
            }
            XmlEvent::NamespaceDecl { prefix, uri } => {
                if !in_start_tag {
                    return Err(Error::InvalidEvents(
                        "namespace declaration outside a start tag".into(),
                    ));
                }
                if prefix.is_empty() {
                    unique_attr(&mut attr_names, "xmlns")?;
                    out.push_str(" xmlns=\"");
                } else {
                    check_ncname(prefix)?;
                    unique_attr(&mut attr_names, &format!("xmlns:{prefix}"))?;
                    out.push_str(" xmlns:");
                    out.push_str(prefix);
                    out.push_str("=\"");
                }
                escape_into(&mut out, uri, true);
                out.push('"');
            }
            XmlEvent::Text(value) => {
                if stack.is_empty() {
                    return Err(Error::InvalidEvents("text outside any element".into()));
                }
                match value {
                    TextValue::Text(s) => escape_into(&mut out, s, false),
                    other => escape_into(&mut out, &other.to_string(), false),
                }
            }
            XmlEvent::Comment(c) => {
                if c.contains("--") || c.ends_with('-') || !c.chars().all(is_xml_char) {
                    return Err(Error::InvalidEvents(
                        "comment not representable in XML".into(),
                    ));
                }
                out.push_str("<!--");
                out.push_str(c);
                out.push_str("-->");
            }
            XmlEvent::EndElement => {
                let q = stack
                    .pop()
                    .ok_or_else(|| Error::InvalidEvents("unbalanced end element".into()))?;
                out.push_str("</");
                out.push_str(&q);
                out.push('>');
            }
        }
    }
    if in_start_tag {
        out.push('>');
    }
    if !stack.is_empty() {
        return Err(Error::UnclosedElements { open: stack.len() });
    }
    Ok(out)
}

fn unique_attr(seen: &mut Vec<String>, q: &str) -> Result<(), Error> {
    if seen.iter().any(|s| s == q) {
        return Err(Error::InvalidEvents(format!("duplicate attribute {q}")));
    }
    seen.push(q.to_owned());
    Ok(())
}

fn xml_err(e: impl std::fmt::Display) -> Error {
    Error::Xml(e.to_string())
}

fn split_qname(name: QName<'_>) -> Result<(String, String), Error> {
    let raw: &str = name.as_ref();
    Ok(match raw.split_once(':') {
        Some((p, l)) => (p.to_owned(), l.to_owned()),
        None => (String::new(), raw.to_owned()),
    })
}

/// Parses XML text into events for the encoder.
///
/// Attributes and `xmlns` declarations keep their written order and
/// prefixes. Text and CDATA become [`TextValue::Text`]; text that is only
/// whitespace is dropped between markup (SOAP envelopes carry no significant
/// whitespace between elements) but kept as the whole content of an element
/// (`<a> </a>`: a string of one space, which a binary encoder writes as it
/// is). The XML declaration is skipped; processing instructions and DTDs are
/// rejected (MC-NBFX §1.5 cannot represent them).
pub fn from_xml(xml: &str) -> Result<Vec<XmlEvent>, Error> {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().expand_empty_elements = true;
    reader.config_mut().check_end_names = true;
    let mut events = Vec::new();
    let mut text = String::new();
    let mut depth = 0usize;
    // Whether the latest markup was a start tag: text read after it that ends at an end
    // tag is the element's whole content.
    let mut after_start = false;
    loop {
        let ev = reader.read_event().map_err(xml_err)?;
        let is_text = matches!(ev, Event::Text(_) | Event::CData(_) | Event::GeneralRef(_));
        let is_start = matches!(ev, Event::Start(_));
        if !is_text && !text.is_empty() {
            let whole_content = after_start && matches!(ev, Event::End(_));
            if whole_content || !text.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | '\n')) {
                if depth == 0 {
                    return Err(Error::Xml("text outside the root element".into()));
                }
                events.push(XmlEvent::Text(TextValue::Text(std::mem::take(&mut text))));
            }
            text.clear();
        }
        match ev {
            Event::Start(e) => {
                let (prefix, local_name) = split_qname(e.name())?;
                events.push(XmlEvent::StartElement { prefix, local_name });
                depth += 1;
                for attr in e.attributes() {
                    let attr = attr.map_err(xml_err)?;
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(xml_err)?
                        .into_owned();
                    let (prefix, local_name) = split_qname(attr.key)?;
                    events.push(match (prefix.as_str(), local_name.as_str()) {
                        ("", "xmlns") => XmlEvent::NamespaceDecl {
                            prefix: String::new(),
                            uri: value,
                        },
                        ("xmlns", _) => XmlEvent::NamespaceDecl {
                            prefix: local_name,
                            uri: value,
                        },
                        _ => XmlEvent::Attribute {
                            prefix,
                            local_name,
                            value: TextValue::Text(value),
                        },
                    });
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                events.push(XmlEvent::EndElement);
            }
            Event::Empty(_) => unreachable!("expand_empty_elements is set"),
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(c) => text.push_str(&c.into_inner()),
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().map_err(xml_err)? {
                    text.push(c);
                } else {
                    let name: &str = &r;
                    text.push(match name {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(Error::Xml(format!("unknown entity &{other};"))),
                    });
                }
            }
            Event::Comment(c) => events.push(XmlEvent::Comment(c.xml10_content().into_owned())),
            Event::Decl(_) => {}
            Event::PI(_) | Event::DocType(_) => {
                return Err(Error::Xml(
                    "processing instructions and DTDs are not supported".into(),
                ));
            }
            Event::Eof => break,
        }
        if !is_text {
            after_start = is_start;
        }
    }
    if depth != 0 {
        return Err(Error::UnclosedElements { open: depth });
    }
    Ok(events)
}
