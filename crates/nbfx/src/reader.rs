//! The MC-NBFX record decoder (MC-NBFX §2), driving an [`EventSink`] record by record.
//! The [`XmlEvent`] decoders are this one with a sink that collects owned events.

use crate::records::{
    self as rt, ATTRIBUTE_RECORDS, Cursor, ELEMENT_RECORDS, NameRecords, text as tt,
};
use crate::sink::{Collect, EventSink, SinkError, Text};
use crate::text::{DateTime, Decimal};
use crate::{Dictionary, Error, Limits, TextValue, XmlEvent};

/// Fixed per-event overhead charged against `Limits::max_output_bytes`
/// (roughly the markup around names and values).
const EVENT_OVERHEAD: usize = 4;

/// The single-letter prefixes of the Prefix* records.
const LETTERS: &str = "abcdefghijklmnopqrstuvwxyz";

/// Decodes one MC-NBFX document from `input`, resolving DictionaryStrings
/// through `dict`.
///
/// `base` is the offset of `input` within the caller's buffer, used in error
/// offsets. The document must close every element it opens.
pub(crate) fn decode_document(
    input: &[u8],
    base: usize,
    dict: &dyn Dictionary,
    limits: &Limits,
) -> Result<Vec<XmlEvent>, Error> {
    let mut events = Collect::default();
    decode_document_into(input, base, dict, limits, &mut events).map_err(SinkError::into_decode)?;
    Ok(events.0)
}

/// Decodes one MC-NBFX document from `input` into `sink`, names and string text
/// borrowed from `input` and `dict`; see [`decode_document`].
pub(crate) fn decode_document_into<'a, S: EventSink<'a>>(
    input: &'a [u8],
    base: usize,
    dict: &'a dyn Dictionary,
    limits: &Limits,
    sink: &mut S,
) -> Result<(), SinkError<S::Error>> {
    Decoder {
        cur: Cursor::new(input, base),
        dict,
        limits,
        depth: 0,
        output: 0,
        sink,
    }
    .run()
}

/// An attribute record's event.
#[derive(Clone)]
enum Attr<'a> {
    Namespace(&'a str, &'a str),
    Value(&'a str, &'a str, Text<'a>),
}

struct Decoder<'a, 'b, S> {
    cur: Cursor<'a>,
    dict: &'a dyn Dictionary,
    limits: &'b Limits,
    depth: usize,
    output: usize,
    sink: &'b mut S,
}

impl<'a, S: EventSink<'a>> Decoder<'a, '_, S> {
    fn run(&mut self) -> Result<(), SinkError<S::Error>> {
        while let Some(record) = self.cur.peek() {
            let offset = self.cur.offset();
            self.cur.u8()?;
            match record {
                rt::END_ELEMENT => self.end_element(record, offset)?,
                rt::COMMENT => {
                    let s = self.string()?;
                    self.charge(s.len() + 7)?;
                    self.sink.comment(s).map_err(SinkError::Sink)?;
                }
                rt::ARRAY => self.array()?,
                rt::SHORT_ELEMENT..=rt::PREFIX_ELEMENT_Z => {
                    self.element(record)?;
                    self.open()?;
                }
                tt::ZERO..=tt::LAST => {
                    let value = self.text(record, offset)?;
                    if self.depth == 0 {
                        return Err(Error::UnexpectedRecord {
                            record,
                            offset,
                            reason: "text outside any element",
                        }
                        .into());
                    }
                    self.charge(value.approx_len() + EVENT_OVERHEAD)?;
                    self.sink.text(value).map_err(SinkError::Sink)?;
                    if record & 1 == 1 {
                        self.end_element(record, offset)?;
                    }
                }
                rt::SHORT_ATTRIBUTE..=rt::PREFIX_ATTRIBUTE_Z => {
                    return Err(Error::UnexpectedRecord {
                        record,
                        offset,
                        reason: "attribute record not following an element record",
                    }
                    .into());
                }
                _ => return Err(Error::UnknownRecord { record, offset }.into()),
            }
        }
        if self.depth != 0 {
            return Err(Error::UnclosedElements { open: self.depth }.into());
        }
        Ok(())
    }

    fn charge(&mut self, n: usize) -> Result<(), Error> {
        self.output = self.output.saturating_add(n);
        if self.output > self.limits.max_output_bytes {
            return Err(Error::LimitExceeded {
                limit: "max_output_bytes",
                max: self.limits.max_output_bytes,
            });
        }
        Ok(())
    }

    fn open(&mut self) -> Result<(), Error> {
        if self.depth >= self.limits.max_depth {
            return Err(Error::LimitExceeded {
                limit: "max_depth",
                max: self.limits.max_depth,
            });
        }
        self.depth += 1;
        Ok(())
    }

    /// EndElement (MC-NBFX §2.3.1), also implied by `*TextWithEndElement`.
    fn end_element(&mut self, record: u8, offset: usize) -> Result<(), SinkError<S::Error>> {
        if self.depth == 0 {
            return Err(Error::UnexpectedRecord {
                record,
                offset,
                reason: "end element without an open element",
            }
            .into());
        }
        self.depth -= 1;
        self.charge(EVENT_OVERHEAD)?;
        self.sink.end_element().map_err(SinkError::Sink)
    }

    /// A String (MC-NBFX §2.1.3), bounded by the remaining input and
    /// `max_string_len`.
    fn string(&mut self) -> Result<&'a str, Error> {
        let len = self.cur.mb31()? as usize;
        self.utf8(len)
    }

    fn utf8(&mut self, len: usize) -> Result<&'a str, Error> {
        self.check_string_len(len)?;
        let offset = self.cur.offset();
        let bytes = self.cur.take(len)?;
        std::str::from_utf8(bytes).map_err(|_| Error::InvalidUtf8 { offset })
    }

    fn utf16(&mut self, len: usize) -> Result<String, Error> {
        self.check_string_len(len)?;
        let offset = self.cur.offset();
        let bytes = self.cur.take(len)?;
        if !len.is_multiple_of(2) {
            return Err(Error::InvalidUtf16 { offset });
        }
        let units = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]));
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| Error::InvalidUtf16 { offset })
    }

    fn bytes(&mut self, len: usize) -> Result<Vec<u8>, Error> {
        self.check_string_len(len)?;
        Ok(self.cur.take(len)?.to_vec())
    }

    fn check_string_len(&self, len: usize) -> Result<(), Error> {
        if len > self.limits.max_string_len {
            return Err(Error::LimitExceeded {
                limit: "max_string_len",
                max: self.limits.max_string_len,
            });
        }
        if len > self.cur.remaining() {
            return Err(Error::UnexpectedEof {
                offset: self.cur.offset() + self.cur.remaining(),
            });
        }
        Ok(())
    }

    /// A DictionaryString (MC-NBFX §2.1.4; MC-NBFS §2.1; MC-NBFSE §2.2).
    fn dict_string(&mut self) -> Result<&'a str, Error> {
        let offset = self.cur.offset();
        let id = self.cur.mb31()?;
        let dict = self.dict;
        dict.lookup(id)
            .ok_or(Error::UnknownDictionaryString { id, offset })
    }

    /// A name field: non-empty and not `xmlns` (MC-NBFX §2.2.1, §2.2.2).
    fn name(&mut self, dictionary: bool) -> Result<&'a str, Error> {
        let offset = self.cur.offset();
        let s = if dictionary {
            self.dict_string()?
        } else {
            self.string()?
        };
        if s.is_empty() {
            return Err(Error::InvalidValue {
                offset,
                reason: "empty name or prefix",
            });
        }
        if s == "xmlns" {
            return Err(Error::InvalidValue {
                offset,
                reason: "name or prefix is \"xmlns\"",
            });
        }
        Ok(s)
    }

    fn letter(base: u8, record: u8) -> &'static str {
        let i = usize::from(record - base);
        &LETTERS[i..=i]
    }

    /// Prefix and local name of an element or attribute record of the
    /// `records` family (MC-NBFX §2.2.1, §2.2.2.1-4, §2.2.2.9-10).
    fn qualified_name(
        &mut self,
        records: &NameRecords,
        record: u8,
    ) -> Result<(&'a str, &'a str), Error> {
        Ok(if record == records.short {
            ("", self.name(false)?)
        } else if record == records.plain {
            (self.name(false)?, self.name(false)?)
        } else if record == records.short_dictionary {
            ("", self.name(true)?)
        } else if record == records.dictionary {
            (self.name(false)?, self.name(true)?)
        } else if (records.prefix_dictionary_a..records.prefix_a).contains(&record) {
            (
                Self::letter(records.prefix_dictionary_a, record),
                self.name(true)?,
            )
        } else {
            (Self::letter(records.prefix_a, record), self.name(false)?)
        })
    }

    /// The names of an element record (MC-NBFX §2.2.1) whose type byte has been
    /// consumed, charged.
    fn element_name(&mut self, record: u8) -> Result<(&'a str, &'a str), Error> {
        let (prefix, local_name) = self.qualified_name(&ELEMENT_RECORDS, record)?;
        self.charge(prefix.len() + local_name.len() + EVENT_OVERHEAD)?;
        Ok((prefix, local_name))
    }

    /// The next attribute record (§2.2.2), if one follows.
    fn next_attribute(&mut self) -> Result<Option<Attr<'a>>, Error> {
        match self.cur.peek() {
            Some(a @ rt::SHORT_ATTRIBUTE..=rt::PREFIX_ATTRIBUTE_Z) => {
                self.cur.u8()?;
                self.attribute(a).map(Some)
            }
            _ => Ok(None),
        }
    }

    fn emit_attribute(&mut self, attr: Attr<'a>) -> Result<(), SinkError<S::Error>> {
        match attr {
            Attr::Namespace(prefix, uri) => self.sink.namespace(prefix, uri),
            Attr::Value(prefix, local_name, value) => {
                self.sink.attribute(prefix, local_name, value)
            }
        }
        .map_err(SinkError::Sink)
    }

    /// An element record (MC-NBFX §2.2.1) and the attribute records that
    /// follow it (§2.2.2). The record type byte has been consumed.
    fn element(&mut self, record: u8) -> Result<(), SinkError<S::Error>> {
        let (prefix, local_name) = self.element_name(record)?;
        self.sink
            .start_element(prefix, local_name)
            .map_err(SinkError::Sink)?;
        while let Some(attr) = self.next_attribute()? {
            self.emit_attribute(attr)?;
        }
        Ok(())
    }

    /// An attribute record (MC-NBFX §2.2.2.1-§2.2.2.10), charged.
    fn attribute(&mut self, record: u8) -> Result<Attr<'a>, Error> {
        let attr = match record {
            rt::SHORT_XMLNS_ATTRIBUTE => Attr::Namespace("", self.string()?),
            rt::XMLNS_ATTRIBUTE => Attr::Namespace(self.name(false)?, self.string()?),
            rt::SHORT_DICTIONARY_XMLNS_ATTRIBUTE => Attr::Namespace("", self.dict_string()?),
            rt::DICTIONARY_XMLNS_ATTRIBUTE => {
                Attr::Namespace(self.name(false)?, self.dict_string()?)
            }
            _ => {
                let (prefix, local_name) = self.qualified_name(&ATTRIBUTE_RECORDS, record)?;
                let offset = self.cur.offset();
                let vt = self.cur.u8()?;
                if !(tt::ZERO..=tt::LAST).contains(&vt) || vt & 1 == 1 {
                    return Err(Error::UnexpectedRecord {
                        record: vt,
                        offset,
                        reason: "attribute value must be a text record without end element",
                    });
                }
                let value = self.text(vt, offset)?;
                Attr::Value(prefix, local_name, value)
            }
        };
        let len = match &attr {
            Attr::Namespace(prefix, uri) => prefix.len() + uri.len() + 9,
            Attr::Value(prefix, local_name, value) => {
                prefix.len() + local_name.len() + value.approx_len()
            }
        };
        self.charge(len + EVENT_OVERHEAD)?;
        Ok(attr)
    }

    /// A text record (MC-NBFX §2.2.3) whose type byte (even or odd) has been
    /// consumed. Does not handle the implied EndElement of odd types.
    fn text(&mut self, record: u8, offset: usize) -> Result<Text<'a>, Error> {
        if record == tt::START_LIST {
            return self.list().map(Text::Value);
        }
        self.scalar_text(record & !1, record, offset)
    }

    /// StartListText … EndListText (MC-NBFX §2.2.3.19).
    fn list(&mut self) -> Result<TextValue, Error> {
        let mut items = Vec::new();
        loop {
            let offset = self.cur.offset();
            let record = self.cur.u8()?;
            if record == tt::END_LIST {
                return Ok(TextValue::List(items));
            }
            if !(tt::ZERO..=tt::LAST).contains(&record) || record & 1 == 1 {
                return Err(Error::UnexpectedRecord {
                    record,
                    offset,
                    reason: "list items must be text records without end element",
                });
            }
            if record == tt::START_LIST {
                return Err(Error::UnexpectedRecord {
                    record,
                    offset,
                    reason: "nested StartListText",
                });
            }
            let item = self.scalar_text(record, record, offset)?;
            // Items are at least one byte each, so the count is bounded by
            // the input; their size is charged here to bound dictionary
            // amplification.
            self.charge(item.approx_len() + 1)?;
            items.push(item.into_owned());
        }
    }

    /// A non-list text record's payload; `base` is the even record type.
    fn scalar_text(&mut self, base: u8, record: u8, offset: usize) -> Result<Text<'a>, Error> {
        let value = match base {
            tt::CHARS8 => {
                let n = usize::from(self.cur.u8()?);
                return self.utf8(n).map(Text::Str);
            }
            tt::CHARS16 => {
                let n = usize::from(self.cur.u16()?);
                return self.utf8(n).map(Text::Str);
            }
            tt::CHARS32 => {
                let n = self.length32()?;
                return self.utf8(n).map(Text::Str);
            }
            tt::EMPTY => return Ok(Text::Str("")),
            tt::DICTIONARY => return self.dict_string().map(Text::Str),
            tt::ZERO => TextValue::Int(0),
            tt::ONE => TextValue::Int(1),
            tt::FALSE => TextValue::Bool(false),
            tt::TRUE => TextValue::Bool(true),
            tt::INT8 => TextValue::Int(i64::from(self.cur.u8()? as i8)),
            tt::INT16 => TextValue::Int(i64::from(self.cur.u16()? as i16)),
            tt::INT32 => TextValue::Int(i64::from(self.cur.i32()?)),
            tt::INT64 => TextValue::Int(self.cur.u64()? as i64),
            tt::FLOAT => TextValue::Float(f32::from_le_bytes(self.cur.array()?)),
            tt::DOUBLE => TextValue::Double(f64::from_le_bytes(self.cur.array()?)),
            tt::DECIMAL => {
                let at = self.cur.offset();
                let d = Decimal(self.cur.array()?);
                if !d.is_valid() {
                    return Err(Error::InvalidValue {
                        offset: at,
                        reason: "decimal scale > 28 or bad sign byte",
                    });
                }
                TextValue::Decimal(d)
            }
            tt::DATETIME => {
                let at = self.cur.offset();
                let d = DateTime(self.cur.u64()?);
                if !d.is_valid() {
                    return Err(Error::InvalidValue {
                        offset: at,
                        reason: "DateTime ticks out of range or TZ > 2",
                    });
                }
                TextValue::DateTime(d)
            }
            tt::BYTES8 => {
                let n = usize::from(self.cur.u8()?);
                TextValue::Bytes(self.bytes(n)?)
            }
            tt::BYTES16 => {
                let n = usize::from(self.cur.u16()?);
                TextValue::Bytes(self.bytes(n)?)
            }
            tt::BYTES32 => {
                let n = self.length32()?;
                TextValue::Bytes(self.bytes(n)?)
            }
            tt::UNIQUE_ID => TextValue::UniqueId(self.cur.array()?),
            tt::TIMESPAN => TextValue::TimeSpan(self.cur.u64()? as i64),
            tt::UUID => TextValue::Uuid(self.cur.array()?),
            tt::UINT64 => TextValue::UInt64(self.cur.u64()?),
            tt::BOOL => {
                let at = self.cur.offset();
                match self.cur.u8()? {
                    0 => TextValue::Bool(false),
                    1 => TextValue::Bool(true),
                    _ => {
                        return Err(Error::InvalidValue {
                            offset: at,
                            reason: "BoolText value not 0 or 1",
                        });
                    }
                }
            }
            tt::UNICODE_CHARS8 => {
                let n = usize::from(self.cur.u8()?);
                TextValue::Text(self.utf16(n)?)
            }
            tt::UNICODE_CHARS16 => {
                let n = usize::from(self.cur.u16()?);
                TextValue::Text(self.utf16(n)?)
            }
            tt::UNICODE_CHARS32 => {
                // The spec table says MultiByteInt31, but its own example and
                // WCF use a 4-byte Int32 length.
                let n = self.length32()?;
                TextValue::Text(self.utf16(n)?)
            }
            tt::QNAME_DICTIONARY => {
                let at = self.cur.offset();
                let p = self.cur.u8()?;
                if p > 25 {
                    return Err(Error::InvalidValue {
                        offset: at,
                        reason: "QNameDictionaryText prefix > 25",
                    });
                }
                TextValue::QName {
                    prefix: b'a' + p,
                    local_name: self.dict_string()?.to_owned(),
                }
            }
            // 0xA4 StartListText handled by the caller; 0xA6 EndListText
            // without a list, and reserved 0xA5/0xA7.
            _ => {
                return Err(Error::UnexpectedRecord {
                    record,
                    offset,
                    reason: "EndListText without StartListText or reserved text record",
                });
            }
        };
        Ok(Text::Value(value))
    }

    /// An Int32 length of Chars32/Bytes32/UnicodeChars32 text (must be ≥ 0).
    fn length32(&mut self) -> Result<usize, Error> {
        let offset = self.cur.offset();
        let n = self.cur.i32()?;
        usize::try_from(n).map_err(|_| Error::InvalidValue {
            offset,
            reason: "negative length",
        })
    }

    /// Array (MC-NBFX §2.3.3): an element record, an EndElement, a
    /// `*TextWithEndElement` record type, a MultiByteInt31 count and packed
    /// values; expanded into one element per value.
    fn array(&mut self) -> Result<(), SinkError<S::Error>> {
        let e_off = self.cur.offset();
        let record = self.cur.u8()?;
        if !(rt::SHORT_ELEMENT..=rt::PREFIX_ELEMENT_Z).contains(&record) {
            return Err(Error::UnexpectedRecord {
                record,
                offset: e_off,
                reason: "Array must start with an element record",
            }
            .into());
        }
        let output_before = self.output;
        let (prefix, local_name) = self.element_name(record)?;
        let mut attrs = Vec::new();
        while let Some(attr) = self.next_attribute()? {
            attrs.push(attr);
        }
        let template_cost = self.output - output_before + EVENT_OVERHEAD;
        let end_off = self.cur.offset();
        if self.cur.u8()? != rt::END_ELEMENT {
            return Err(Error::UnexpectedRecord {
                record: rt::ARRAY,
                offset: end_off,
                reason: "Array element record not followed by EndElement",
            }
            .into());
        }
        let t_off = self.cur.offset();
        let vt = self.cur.u8()?;
        let size = match vt {
            0xB5 => 1,
            0x8B => 2,
            0x8D | 0x91 => 4,
            0x8F | 0x93 | 0x97 | 0xAF => 8,
            0x95 | 0xB1 => 16,
            _ => {
                return Err(Error::UnexpectedRecord {
                    record: vt,
                    offset: t_off,
                    reason: "unsupported Array value record type",
                }
                .into());
            }
        };
        let n_off = self.cur.offset();
        let count = self.cur.mb31()? as usize;
        if count == 0 {
            return Err(Error::InvalidValue {
                offset: n_off,
                reason: "Array length is zero",
            }
            .into());
        }
        if count > self.limits.max_array_len {
            return Err(Error::LimitExceeded {
                limit: "max_array_len",
                max: self.limits.max_array_len,
            }
            .into());
        }
        if count.saturating_mul(size) > self.cur.remaining() {
            return Err(Error::UnexpectedEof {
                offset: self.cur.offset() + self.cur.remaining(),
            }
            .into());
        }
        if self.depth >= self.limits.max_depth {
            return Err(Error::LimitExceeded {
                limit: "max_depth",
                max: self.limits.max_depth,
            }
            .into());
        }
        // The first copy was charged by `element_name` and `attribute`; charge the
        // others and the values up front, before expanding.
        let per_item = template_cost + 48 + 2 * EVENT_OVERHEAD;
        self.charge(per_item.saturating_mul(count))?;
        for _ in 0..count {
            let v_off = self.cur.offset();
            let value = self.scalar_text(vt & !1, vt, v_off)?;
            self.sink
                .start_element(prefix, local_name)
                .map_err(SinkError::Sink)?;
            for attr in &attrs {
                self.emit_attribute(attr.clone())?;
            }
            self.sink.text(value).map_err(SinkError::Sink)?;
            self.sink.end_element().map_err(SinkError::Sink)?;
        }
        Ok(())
    }
}
