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

/// Writes one document record by record, from events or from borrowed strings, checking
/// that the calls form balanced elements.
pub(crate) struct Records<N> {
    pub(crate) out: Vec<u8>,
    pub(crate) names: N,
    depth: usize,
    in_start_tag: bool,
    /// Where the last record starts if it is a text record that may still take the
    /// element's end (`*TextWithEndElement`, MC-NBFX §2.2.3.31: the type plus one).
    text_record: Option<usize>,
}

impl<N: NameTable> Records<N> {
    pub(crate) fn new(names: N, out: Vec<u8>) -> Self {
        Records {
            out,
            names,
            depth: 0,
            in_start_tag: false,
            text_record: None,
        }
    }

    /// Start tag `<prefix:local_name`.
    pub(crate) fn start_element(&mut self, prefix: &str, local_name: &str) -> Result<(), Error> {
        self.text_record = None;
        check_name(local_name, "element name")?;
        write_named(
            &mut self.out,
            &mut self.names,
            &ELEMENT_RECORDS,
            prefix,
            local_name,
        )?;
        self.depth += 1;
        self.in_start_tag = true;
        Ok(())
    }

    fn attribute_name(&mut self, prefix: &str, local_name: &str) -> Result<(), Error> {
        if !self.in_start_tag {
            return Err(invalid("attribute outside a start tag"));
        }
        check_name(local_name, "attribute name")?;
        write_named(
            &mut self.out,
            &mut self.names,
            &ATTRIBUTE_RECORDS,
            prefix,
            local_name,
        )
    }

    /// Attribute `prefix:local_name="value"`.
    pub(crate) fn attribute<V: Value + ?Sized>(
        &mut self,
        prefix: &str,
        local_name: &str,
        value: &V,
    ) -> Result<(), Error> {
        self.attribute_name(prefix, local_name)?;
        value.write(&mut self.out, &mut self.names)
    }

    /// Namespace declaration `xmlns:prefix="uri"`.
    pub(crate) fn namespace(&mut self, prefix: &str, uri: &str) -> Result<(), Error> {
        if !self.in_start_tag {
            return Err(invalid("namespace declaration outside a start tag"));
        }
        write_xmlns(&mut self.out, &mut self.names, prefix, uri)
    }

    /// Character content.
    pub(crate) fn text<V: Value + ?Sized>(&mut self, value: &V) -> Result<(), Error> {
        if self.depth == 0 {
            return Err(invalid("text outside any element"));
        }
        self.in_start_tag = false;
        let at = self.out.len();
        value.write(&mut self.out, &mut self.names)?;
        self.text_record = value.may_take_end().then_some(at);
        Ok(())
    }

    /// A comment.
    pub(crate) fn comment(&mut self, comment: &str) -> Result<(), Error> {
        self.text_record = None;
        self.in_start_tag = false;
        self.out.push(rt::COMMENT);
        write_string(&mut self.out, comment)
    }

    /// End of the innermost open element: folded into the text record just written if
    /// there is one.
    pub(crate) fn end_element(&mut self) -> Result<(), Error> {
        if self.depth == 0 {
            return Err(invalid("end element without an open element"));
        }
        self.in_start_tag = false;
        self.depth -= 1;
        match self.text_record.take() {
            Some(at) => self.out[at] |= 1,
            None => self.out.push(rt::END_ELEMENT),
        }
        Ok(())
    }

    /// One event.
    pub(crate) fn event(&mut self, event: &XmlEvent) -> Result<(), Error> {
        match event {
            XmlEvent::StartElement { prefix, local_name } => self.start_element(prefix, local_name),
            XmlEvent::Attribute {
                prefix,
                local_name,
                value,
            } => self.attribute(prefix, local_name, value),
            XmlEvent::NamespaceDecl { prefix, uri } => self.namespace(prefix, uri),
            XmlEvent::Text(value) => self.text(value),
            XmlEvent::Comment(c) => self.comment(c),
            XmlEvent::EndElement => self.end_element(),
        }
    }

    /// Checks that every element was closed.
    pub(crate) fn finish(&self) -> Result<(), Error> {
        if self.depth != 0 {
            return Err(Error::UnclosedElements { open: self.depth });
        }
        Ok(())
    }
}

/// A text value the writer takes: typed or a plain string.
pub(crate) trait Value {
    /// Writes the text record(s).
    fn write(&self, out: &mut Vec<u8>, names: &mut dyn NameTable) -> Result<(), Error>;
    /// Whether the record written has a `*TextWithEndElement` form.
    fn may_take_end(&self) -> bool {
        true
    }
}

impl Value for TextValue {
    fn write(&self, out: &mut Vec<u8>, names: &mut dyn NameTable) -> Result<(), Error> {
        write_text(out, names, self)
    }
    fn may_take_end(&self) -> bool {
        !matches!(self, TextValue::List(_))
    }
}

impl Value for str {
    fn write(&self, out: &mut Vec<u8>, names: &mut dyn NameTable) -> Result<(), Error> {
        write_chars(out, names, self)
    }
}

/// Encodes a complete, balanced event sequence as MC-NBFX records.
pub(crate) fn encode_events<N: NameTable>(
    events: &[XmlEvent],
    records: &mut Records<N>,
) -> Result<(), Error> {
    for event in events {
        records.event(event)?;
    }
    records.finish()
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

/// A character text record (MC-NBFX §2.2.3.13-15, .20, .21), the smallest form for `s`.
fn write_chars(out: &mut Vec<u8>, names: &mut dyn NameTable, s: &str) -> Result<(), Error> {
    if s.is_empty() {
        out.push(tt::EMPTY);
    } else if let Some(id) = names.text_id(s) {
        out.push(tt::DICTIONARY);
        write_mb31(out, id);
    } else if let Ok(n) = u8::try_from(s.len()) {
        out.push(tt::CHARS8);
        out.push(n);
        out.extend_from_slice(s.as_bytes());
    } else if let Ok(n) = u16::try_from(s.len()) {
        out.push(tt::CHARS16);
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    } else {
        let n = i32::try_from(s.len()).map_err(|_| invalid("text too long"))?;
        out.push(tt::CHARS32);
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    Ok(())
}

/// A text record (MC-NBFX §2.2.3), the smallest form for the value; never the
/// `*TextWithEndElement` form, which [`Records::end_element`] makes of it.
fn write_text(
    out: &mut Vec<u8>,
    names: &mut dyn NameTable,
    value: &TextValue,
) -> Result<(), Error> {
    match value {
        TextValue::List(items) => {
            out.push(tt::START_LIST);
            for item in items {
                if matches!(item, TextValue::List(_)) {
                    return Err(invalid("nested list text"));
                }
                write_text(out, names, item)?;
            }
            out.push(tt::END_LIST);
        }
        TextValue::Text(s) => write_chars(out, names, s)?,
        TextValue::Bool(b) => out.push(if *b { tt::TRUE } else { tt::FALSE }),
        TextValue::Int(v) => match *v {
            0 => out.push(tt::ZERO),
            1 => out.push(tt::ONE),
            v => {
                if let Ok(x) = i8::try_from(v) {
                    out.push(tt::INT8);
                    out.extend_from_slice(&x.to_le_bytes());
                } else if let Ok(x) = i16::try_from(v) {
                    out.push(tt::INT16);
                    out.extend_from_slice(&x.to_le_bytes());
                } else if let Ok(x) = i32::try_from(v) {
                    out.push(tt::INT32);
                    out.extend_from_slice(&x.to_le_bytes());
                } else {
                    out.push(tt::INT64);
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
        },
        TextValue::UInt64(v) => {
            out.push(tt::UINT64);
            out.extend_from_slice(&v.to_le_bytes());
        }
        TextValue::Float(v) => {
            out.push(tt::FLOAT);
            out.extend_from_slice(&v.to_le_bytes());
        }
        TextValue::Double(v) => {
            out.push(tt::DOUBLE);
            out.extend_from_slice(&v.to_le_bytes());
        }
        TextValue::Decimal(d) => {
            if !d.is_valid() {
                return Err(invalid("invalid decimal"));
            }
            out.push(tt::DECIMAL);
            out.extend_from_slice(&d.0);
        }
        TextValue::DateTime(d) => {
            if !d.is_valid() {
                return Err(invalid("invalid DateTime"));
            }
            out.push(tt::DATETIME);
            out.extend_from_slice(&d.0.to_le_bytes());
        }
        TextValue::TimeSpan(t) => {
            out.push(tt::TIMESPAN);
            out.extend_from_slice(&t.to_le_bytes());
        }
        TextValue::UniqueId(b) => {
            out.push(tt::UNIQUE_ID);
            out.extend_from_slice(b);
        }
        TextValue::Uuid(b) => {
            out.push(tt::UUID);
            out.extend_from_slice(b);
        }
        TextValue::Bytes(b) => {
            if let Ok(n) = u8::try_from(b.len()) {
                out.push(tt::BYTES8);
                out.push(n);
            } else if let Ok(n) = u16::try_from(b.len()) {
                out.push(tt::BYTES16);
                out.extend_from_slice(&n.to_le_bytes());
            } else {
                let n = i32::try_from(b.len()).map_err(|_| invalid("bytes too long"))?;
                out.push(tt::BYTES32);
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
                    out.push(tt::QNAME_DICTIONARY);
                    out.push(p);
                    write_mb31(out, id);
                }
                // No dictionary id: fall back to the characters.
                None => {
                    let s = format!("{}:{local_name}", char::from(*prefix));
                    write_chars(out, names, &s)?;
                }
            }
        }
    }
    Ok(())
}
