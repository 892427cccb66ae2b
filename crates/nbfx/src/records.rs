//! Record type bytes (MC-NBFX §2.1.1, table 1) and the wire primitives
//! MultiByteInt31 (§2.1.2) and String (§2.1.3).

use crate::Error;

/// EndElement (MC-NBFX §2.3.1).
pub const END_ELEMENT: u8 = 0x01;
/// Comment (MC-NBFX §2.3.2).
pub const COMMENT: u8 = 0x02;
/// Array (MC-NBFX §2.3.3).
pub const ARRAY: u8 = 0x03;
/// ShortAttribute (MC-NBFX §2.2.2.1).
pub const SHORT_ATTRIBUTE: u8 = 0x04;
/// Attribute (MC-NBFX §2.2.2.2).
pub const ATTRIBUTE: u8 = 0x05;
/// ShortDictionaryAttribute (MC-NBFX §2.2.2.3).
pub const SHORT_DICTIONARY_ATTRIBUTE: u8 = 0x06;
/// DictionaryAttribute (MC-NBFX §2.2.2.4).
pub const DICTIONARY_ATTRIBUTE: u8 = 0x07;
/// ShortXmlnsAttribute (MC-NBFX §2.2.2.5).
pub const SHORT_XMLNS_ATTRIBUTE: u8 = 0x08;
/// XmlnsAttribute (MC-NBFX §2.2.2.6).
pub const XMLNS_ATTRIBUTE: u8 = 0x09;
/// ShortDictionaryXmlnsAttribute (MC-NBFX §2.2.2.7).
pub const SHORT_DICTIONARY_XMLNS_ATTRIBUTE: u8 = 0x0A;
/// DictionaryXmlnsAttribute (MC-NBFX §2.2.2.8).
pub const DICTIONARY_XMLNS_ATTRIBUTE: u8 = 0x0B;
/// PrefixDictionaryAttributeA; B..Z follow (MC-NBFX §2.2.2.9).
pub const PREFIX_DICTIONARY_ATTRIBUTE_A: u8 = 0x0C;
/// PrefixDictionaryAttributeZ.
pub const PREFIX_DICTIONARY_ATTRIBUTE_Z: u8 = 0x25;
/// PrefixAttributeA; B..Z follow (MC-NBFX §2.2.2.10).
pub const PREFIX_ATTRIBUTE_A: u8 = 0x26;
/// PrefixAttributeZ.
pub const PREFIX_ATTRIBUTE_Z: u8 = 0x3F;
/// ShortElement (MC-NBFX §2.2.1.1).
pub const SHORT_ELEMENT: u8 = 0x40;
/// Element (MC-NBFX §2.2.1.2).
pub const ELEMENT: u8 = 0x41;
/// ShortDictionaryElement (MC-NBFX §2.2.1.3).
pub const SHORT_DICTIONARY_ELEMENT: u8 = 0x42;
/// DictionaryElement (MC-NBFX §2.2.1.4).
pub const DICTIONARY_ELEMENT: u8 = 0x43;
/// PrefixDictionaryElementA; B..Z follow (MC-NBFX §2.2.1.5).
pub const PREFIX_DICTIONARY_ELEMENT_A: u8 = 0x44;
/// PrefixDictionaryElementZ.
pub const PREFIX_DICTIONARY_ELEMENT_Z: u8 = 0x5D;
/// PrefixElementA; B..Z follow (MC-NBFX §2.2.1.6).
pub const PREFIX_ELEMENT_A: u8 = 0x5E;
/// PrefixElementZ.
pub const PREFIX_ELEMENT_Z: u8 = 0x77;

/// The record types of one name-bearing record family: elements
/// (MC-NBFX §2.2.1) or attributes (§2.2.2.1-4, §2.2.2.9-10).
pub(crate) struct NameRecords {
    pub(crate) short: u8,
    pub(crate) short_dictionary: u8,
    pub(crate) prefix_a: u8,
    pub(crate) prefix_dictionary_a: u8,
    pub(crate) plain: u8,
    pub(crate) dictionary: u8,
    /// What a bad prefix is called in the error.
    pub(crate) prefix_what: &'static str,
}

pub(crate) const ELEMENT_RECORDS: NameRecords = NameRecords {
    short: SHORT_ELEMENT,
    short_dictionary: SHORT_DICTIONARY_ELEMENT,
    prefix_a: PREFIX_ELEMENT_A,
    prefix_dictionary_a: PREFIX_DICTIONARY_ELEMENT_A,
    plain: ELEMENT,
    dictionary: DICTIONARY_ELEMENT,
    prefix_what: "element prefix",
};

pub(crate) const ATTRIBUTE_RECORDS: NameRecords = NameRecords {
    short: SHORT_ATTRIBUTE,
    short_dictionary: SHORT_DICTIONARY_ATTRIBUTE,
    prefix_a: PREFIX_ATTRIBUTE_A,
    prefix_dictionary_a: PREFIX_DICTIONARY_ATTRIBUTE_A,
    plain: ATTRIBUTE,
    dictionary: DICTIONARY_ATTRIBUTE,
    prefix_what: "attribute prefix",
};

/// Text record types (MC-NBFX §2.2.3). Each `*_TEXT` value is even; the
/// `*TextWithEndElement` form (§2.2.3.31) is the value plus one.
pub mod text {
    /// ZeroText (§2.2.3.1).
    pub const ZERO: u8 = 0x80;
    /// OneText (§2.2.3.2).
    pub const ONE: u8 = 0x82;
    /// FalseText (§2.2.3.3).
    pub const FALSE: u8 = 0x84;
    /// TrueText (§2.2.3.4).
    pub const TRUE: u8 = 0x86;
    /// Int8Text (§2.2.3.5).
    pub const INT8: u8 = 0x88;
    /// Int16Text (§2.2.3.6).
    pub const INT16: u8 = 0x8A;
    /// Int32Text (§2.2.3.7).
    pub const INT32: u8 = 0x8C;
    /// Int64Text (§2.2.3.8).
    pub const INT64: u8 = 0x8E;
    /// FloatText (§2.2.3.9).
    pub const FLOAT: u8 = 0x90;
    /// DoubleText (§2.2.3.10).
    pub const DOUBLE: u8 = 0x92;
    /// DecimalText (§2.2.3.11).
    pub const DECIMAL: u8 = 0x94;
    /// DateTimeText (§2.2.3.12).
    pub const DATETIME: u8 = 0x96;
    /// Chars8Text (§2.2.3.13).
    pub const CHARS8: u8 = 0x98;
    /// Chars16Text (§2.2.3.14).
    pub const CHARS16: u8 = 0x9A;
    /// Chars32Text (§2.2.3.15).
    pub const CHARS32: u8 = 0x9C;
    /// Bytes8Text (§2.2.3.16).
    pub const BYTES8: u8 = 0x9E;
    /// Bytes16Text (§2.2.3.17).
    pub const BYTES16: u8 = 0xA0;
    /// Bytes32Text (§2.2.3.18).
    pub const BYTES32: u8 = 0xA2;
    /// StartListText (§2.2.3.19).
    pub const START_LIST: u8 = 0xA4;
    /// EndListText (§2.2.3.19).
    pub const END_LIST: u8 = 0xA6;
    /// EmptyText (§2.2.3.20).
    pub const EMPTY: u8 = 0xA8;
    /// DictionaryText (§2.2.3.21).
    pub const DICTIONARY: u8 = 0xAA;
    /// UniqueIdText (§2.2.3.22).
    pub const UNIQUE_ID: u8 = 0xAC;
    /// TimeSpanText (§2.2.3.23).
    pub const TIMESPAN: u8 = 0xAE;
    /// UuidText (§2.2.3.24).
    pub const UUID: u8 = 0xB0;
    /// UInt64Text (§2.2.3.25).
    pub const UINT64: u8 = 0xB2;
    /// BoolText (§2.2.3.26).
    pub const BOOL: u8 = 0xB4;
    /// UnicodeChars8Text (§2.2.3.27).
    pub const UNICODE_CHARS8: u8 = 0xB6;
    /// UnicodeChars16Text (§2.2.3.28).
    pub const UNICODE_CHARS16: u8 = 0xB8;
    /// UnicodeChars32Text (§2.2.3.29).
    pub const UNICODE_CHARS32: u8 = 0xBA;
    /// QNameDictionaryText (§2.2.3.30).
    pub const QNAME_DICTIONARY: u8 = 0xBC;
    /// Highest text record type (QNameDictionaryTextWithEndElement).
    pub const LAST: u8 = 0xBD;
}

/// A bounds-checked little-endian reader over untrusted input.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Added to `pos` in error offsets (position of `buf` in the caller's input).
    base: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8], base: usize) -> Self {
        Self { buf, pos: 0, base }
    }

    /// Absolute offset of the next byte, for error reporting.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// Takes `n` bytes, failing (without allocating) if fewer remain.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if n > self.remaining() {
            return Err(Error::UnexpectedEof {
                offset: self.base + self.buf.len(),
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(crate) fn i32(&mut self) -> Result<i32, Error> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, Error> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// Reads a MultiByteInt31 (MC-NBFX §2.1.2): 7 bits per byte, least
    /// significant group first, high bit set on all but the last byte; at
    /// most 5 bytes, the fifth carrying only 3 bits.
    pub(crate) fn mb31(&mut self) -> Result<u32, Error> {
        let start = self.offset();
        let mut value: u32 = 0;
        for i in 0..5 {
            let b = self.u8()?;
            if i == 4 {
                if b & 0xF8 != 0 {
                    return Err(Error::InvalidMultiByteInt31 { offset: start });
                }
                return Ok(value | (u32::from(b) << 28));
            }
            value |= u32::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        unreachable!("loop returns on the fifth byte")
    }
}

/// Appends a MultiByteInt31 (MC-NBFX §2.1.2). `value` must be < 2^31.
pub(crate) fn write_mb31(out: &mut Vec<u8>, value: u32) {
    debug_assert!(value <= 0x7FFF_FFFF);
    let mut v = value;
    while v >= 0x80 {
        out.push((v as u8 & 0x7F) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a String (MC-NBFX §2.1.3): MultiByteInt31 length + UTF-8 bytes.
pub(crate) fn write_string(out: &mut Vec<u8>, s: &str) -> Result<(), Error> {
    let len = u32::try_from(s.len())
        .ok()
        .filter(|l| *l <= 0x7FFF_FFFF)
        .ok_or_else(|| Error::InvalidEvents("string longer than 2^31-1 bytes".into()))?;
    write_mb31(out, len);
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multibyteint31_spec_examples() {
        // MC-NBFX §2.1.2.1-§2.1.2.5
        for (value, bytes) in [
            (17u32, &[0x11u8][..]),
            (145, &[0x91, 0x01]),
            (5521, &[0x91, 0x2B]),
            (16384, &[0x80, 0x80, 0x01]),
            (268_435_456, &[0x80, 0x80, 0x80, 0x80, 0x01]),
            (0x7FFF_FFFF, &[0xFF, 0xFF, 0xFF, 0xFF, 0x07]),
        ] {
            let mut out = Vec::new();
            write_mb31(&mut out, value);
            assert_eq!(out, bytes, "encode {value}");
            assert_eq!(Cursor::new(bytes, 0).mb31().unwrap(), value);
        }
        // The 4-byte example of §2.1.2.4 as printed (80 80 80 01 = 2^21).
        assert_eq!(
            Cursor::new(&[0x80, 0x80, 0x80, 0x01], 0).mb31().unwrap(),
            2_097_152
        );
    }

    #[test]
    fn multibyteint31_rejects_overlong() {
        assert!(matches!(
            Cursor::new(&[0xFF, 0xFF, 0xFF, 0xFF, 0x08], 0).mb31(),
            Err(Error::InvalidMultiByteInt31 { offset: 0 })
        ));
        assert!(matches!(
            Cursor::new(&[0x80, 0x80], 0).mb31(),
            Err(Error::UnexpectedEof { .. })
        ));
    }
}
