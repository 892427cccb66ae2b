//! The MC-NBFX record encoder: [`XmlEvent`]s to records (MC-NBFX §2).

use crate::records::{
    self as rt, ATTRIBUTE_RECORDS, ELEMENT_RECORDS, NameRecords, text as tt, write_mb31,
    write_string,
};
use crate::{Error, TextValue, XmlEvent, dictionary::static_id};

/// Decides which strings are written as DictionaryStrings.
pub(crate) trait NameTable {
    /// Id for an element/attribute local name or namespace URI, if it should
    /// be written as a DictionaryString (may add a session string).
    fn name_id(&mut self, s: &str) -> Option<u32>;
    /// Id for text content, if already in a dictionary (never adds).
    fn text_id(&mut self, s: &str) -> Option<u32>;
}

/// MC-NBFS: the static dictionary only.
pub(crate) struct StaticNames;

impl NameTable for StaticNames {
    fn name_id(&mut self, s: &str) -> Option<u32> {
        static_id(s)
    }
    fn text_id(&mut self, s: &str) -> Option<u32> {
        static_id(s)
    }
}

fn invalid(msg: &str) -> Error {
    Error::InvalidEvents(msg.to_owned())
}

/// Single lowercase ASCII letter prefix → its index 0..=25.
fn letter(prefix: &str) -> Option<u8> {
    match prefix.as_bytes() {
        [c @ b'a'..=b'z'] => Some(c - b'a'),
        _ => None,
    }
}

fn check_name(s: &str, what: &str) -> Result<(), Error> {
    if s.is_empty() || s == "xmlns" {
        return Err(Error::InvalidEvents(format!("invalid {what} {s:?}")));
    }
    Ok(())
}

/// Encodes a complete, balanced event sequence as MC-NBFX records.
pub(crate) fn encode_events(
    events: &[XmlEvent],
    names: &mut dyn NameTable,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let mut depth = 0usize;
    let mut in_start_tag = false;
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            XmlEvent::StartElement { prefix, local_name } => {
                check_name(local_name, "element name")?;
                write_named(out, names, &ELEMENT_RECORDS, prefix, local_name)?;
                depth += 1;
                in_start_tag = true;
            }
            XmlEvent::Attribute {
                prefix,
                local_name,
                value,
            } => {
                if !in_start_tag {
                    return Err(invalid("attribute outside a start tag"));
                }
                check_name(local_name, "attribute name")?;
                write_named(out, names, &ATTRIBUTE_RECORDS, prefix, local_name)?;
                write_text(out, names, value, false)?;
            }
            XmlEvent::NamespaceDecl { prefix, uri } => {
                if !in_start_tag {
                    return Err(invalid("namespace declaration outside a start tag"));
                }
                write_xmlns(out, names, prefix, uri)?;
            }
            XmlEvent::Text(value) => {
                if depth == 0 {
                    return Err(invalid("text outside any element"));
                }
                in_start_tag = false;
                let with_end = matches!(events.get(i + 1), Some(XmlEvent::EndElement))
                    && !matches!(value, TextValue::List(_));
                write_text(out, names, value, with_end)?;
                if with_end {
                    depth -= 1;
                    i += 1;
                }
            }
            XmlEvent::Comment(c) => {
                in_start_tag = false;
                out.push(rt::COMMENT);
                write_string(out, c)?;
            }
            XmlEvent::EndElement => {
                if depth == 0 {
                    return Err(invalid("end element without an open element"));
                }
                in_start_tag = false;
                depth -= 1;
                out.push(rt::END_ELEMENT);
            }
        }
        i += 1;
    }
    if depth != 0 {
        return Err(Error::UnclosedElements { open: depth });
    }
    Ok(())
}

/// An element or attribute record: picks Short/Prefix/plain and the
/// Dictionary form when the name has an id.
fn write_named(
    out: &mut Vec<u8>,
    names: &mut dyn NameTable,
    records: &NameRecords,
    prefix: &str,
    name: &str,
) -> Result<(), Error> {
    let id = names.name_id(name);
    match (prefix, letter(prefix), id) {
        ("", _, Some(id)) => {
            out.push(records.short_dictionary);
            write_mb31(out, id);
        }
        ("", _, None) => {
            out.push(records.short);
            write_string(out, name)?;
        }
        (_, Some(l), Some(id)) => {
            out.push(records.prefix_dictionary_a + l);
            write_mb31(out, id);
        }
        (_, Some(l), None) => {
            out.push(records.prefix_a + l);
            write_string(out, name)?;
        }
        (p, None, id) => {
            check_name(p, records.prefix_what)?;
            out.push(if id.is_some() {
                records.dictionary
            } else {
                records.plain
            });
            write_string(out, p)?;
            match id {
                Some(id) => write_mb31(out, id),
                None => write_string(out, name)?,
            }
        }
    }
    Ok(())
}

/// Xmlns attribute records (MC-NBFX §2.2.2.5-8).
fn write_xmlns(
    out: &mut Vec<u8>,
    names: &mut dyn NameTable,
    prefix: &str,
    uri: &str,
) -> Result<(), Error> {
    let id = names.name_id(uri);
    if prefix.is_empty() {
        match id {
            Some(id) => {
                out.push(rt::SHORT_DICTIONARY_XMLNS_ATTRIBUTE);
                write_mb31(out, id);
            }
            None => {
                out.push(rt::SHORT_XMLNS_ATTRIBUTE);
                write_string(out, uri)?;
            }
        }
    } else {
        check_name(prefix, "namespace prefix")?;
        match id {
            Some(id) => {
                out.push(rt::DICTIONARY_XMLNS_ATTRIBUTE);
                write_string(out, prefix)?;
                write_mb31(out, id);
            }
            None => {
                out.push(rt::XMLNS_ATTRIBUTE);
                write_string(out, prefix)?;
                write_string(out, uri)?;
            }
        }
    }
    Ok(())
}

/// A text record (MC-NBFX §2.2.3), the smallest form for the value; with
/// `with_end` the `*TextWithEndElement` form (§2.2.3.31).
fn write_text(
    out: &mut Vec<u8>,
    names: &mut dyn NameTable,
    value: &TextValue,
    with_end: bool,
) -> Result<(), Error> {
    let end = u8::from(with_end);
    match value {
        TextValue::List(items) => {
            out.push(tt::START_LIST);
            for item in items {
                if matches!(item, TextValue::List(_)) {
                    return Err(invalid("nested list text"));
                }
                write_text(out, names, item, false)?;
            }
            out.push(tt::END_LIST);
            if with_end {
                out.push(rt::END_ELEMENT);
            }
        }
        TextValue::Text(s) => {
            if s.is_empty() {
                out.push(tt::EMPTY | end);
            } else if let Some(id) = names.text_id(s) {
                out.push(tt::DICTIONARY | end);
                write_mb31(out, id);
            } else if let Ok(n) = u8::try_from(s.len()) {
                out.push(tt::CHARS8 | end);
                out.push(n);
                out.extend_from_slice(s.as_bytes());
            } else if let Ok(n) = u16::try_from(s.len()) {
                out.push(tt::CHARS16 | end);
                out.extend_from_slice(&n.to_le_bytes());
                out.extend_from_slice(s.as_bytes());
            } else {
                let n = i32::try_from(s.len()).map_err(|_| invalid("text too long"))?;
                out.push(tt::CHARS32 | end);
                out.extend_from_slice(&n.to_le_bytes());
                out.extend_from_slice(s.as_bytes());
            }
        }
        TextValue::Bool(b) => out.push(if *b { tt::TRUE } else { tt::FALSE } | end),
        TextValue::Int(v) => match *v {
            0 => out.push(tt::ZERO | end),
            1 => out.push(tt::ONE | end),
            v => {
                if let Ok(x) = i8::try_from(v) {
                    out.push(tt::INT8 | end);
                    out.extend_from_slice(&x.to_le_bytes());
                } else if let Ok(x) = i16::try_from(v) {
                    out.push(tt::INT16 | end);
                    out.extend_from_slice(&x.to_le_bytes());
                } else if let Ok(x) = i32::try_from(v) {
                    out.push(tt::INT32 | end);
                    out.extend_from_slice(&x.to_le_bytes());
                } else {
                    out.push(tt::INT64 | end);
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
        },
        TextValue::UInt64(v) => {
            out.push(tt::UINT64 | end);
            out.extend_from_slice(&v.to_le_bytes());
        }
        TextValue::Float(v) => {
            out.push(tt::FLOAT | end);
            out.extend_from_slice(&v.to_le_bytes());
        }
        TextValue::Double(v) => {
            out.push(tt::DOUBLE | end);
            out.extend_from_slice(&v.to_le_bytes());
        }
        TextValue::Decimal(d) => {
            if !d.is_valid() {
                return Err(invalid("invalid decimal"));
            }
            out.push(tt::DECIMAL | end);
            out.extend_from_slice(&d.0);
        }
        TextValue::DateTime(d) => {
            if !d.is_valid() {
                return Err(invalid("invalid DateTime"));
            }
            out.push(tt::DATETIME | end);
            out.extend_from_slice(&d.0.to_le_bytes());
        }
        TextValue::TimeSpan(t) => {
            out.push(tt::TIMESPAN | end);
            out.extend_from_slice(&t.to_le_bytes());
        }
        TextValue::UniqueId(b) => {
            out.push(tt::UNIQUE_ID | end);
            out.extend_from_slice(b);
        }
        TextValue::Uuid(b) => {
            out.push(tt::UUID | end);
            out.extend_from_slice(b);
        }
        TextValue::Bytes(b) => {
            if let Ok(n) = u8::try_from(b.len()) {
                out.push(tt::BYTES8 | end);
                out.push(n);
            } else if let Ok(n) = u16::try_from(b.len()) {
                out.push(tt::BYTES16 | end);
                out.extend_from_slice(&n.to_le_bytes());
            } else {
                let n = i32::try_from(b.len()).map_err(|_| invalid("bytes too long"))?;
                out.push(tt::BYTES32 | end);
                out.extend_from_slice(&n.to_le_bytes());
            }
            out.extend_from_slice(b);
        }
        TextValue::QName { prefix, local_name } => {
            let p = prefix
                .checked_sub(b'a')
                .filter(|p| *p < 26)
                .ok_or_else(|| invalid("QName prefix must be a lowercase letter"))?;
            match names.name_id(local_name) {
                Some(id) => {
                    out.push(tt::QNAME_DICTIONARY | end);
                    out.push(p);
                    write_mb31(out, id);
                }
                // No dictionary id: fall back to the characters.
                None => {
                    let s = TextValue::Text(format!("{}:{local_name}", char::from(*prefix)));
                    write_text(out, names, &s, with_end)?;
                }
            }
        }
    }
    Ok(())
}
