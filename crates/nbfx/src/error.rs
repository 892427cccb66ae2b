//! Typed errors for decoding and encoding.

/// Errors returned by the decoder, the encoder and the XML text bridge.
///
/// Offsets are byte offsets into the slice that was being decoded (for a
/// session envelope: into the whole envelope payload, string table included).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ended in the middle of a record or structure.
    #[error("unexpected end of input at offset {offset}")]
    UnexpectedEof {
        /// Offset at which more bytes were needed.
        offset: usize,
    },
    /// A MultiByteInt31 (MC-NBFX §2.1.2) was longer than 5 bytes or exceeded 31 bits.
    #[error("invalid MultiByteInt31 at offset {offset}")]
    InvalidMultiByteInt31 {
        /// Offset of the first byte of the integer.
        offset: usize,
    },
    /// A reserved or unknown record type (MC-NBFX §2.1.1).
    #[error("unknown or reserved record type 0x{record:02X} at offset {offset}")]
    UnknownRecord {
        /// The record type byte.
        record: u8,
        /// Offset of the record type byte.
        offset: usize,
    },
    /// A valid record type in a position where it is not allowed.
    #[error("record 0x{record:02X} not allowed at offset {offset}: {reason}")]
    UnexpectedRecord {
        /// The record type byte.
        record: u8,
        /// Offset of the record type byte.
        offset: usize,
        /// Why the record was rejected.
        reason: &'static str,
    },
    /// A String or Chars text record did not contain valid UTF-8.
    #[error("invalid UTF-8 at offset {offset}")]
    InvalidUtf8 {
        /// Offset of the string bytes.
        offset: usize,
    },
    /// A UnicodeChars text record did not contain valid UTF-16LE.
    #[error("invalid UTF-16 at offset {offset}")]
    InvalidUtf16 {
        /// Offset of the string bytes.
        offset: usize,
    },
    /// A DictionaryString id that is in neither the static (MC-NBFS) nor the
    /// session (MC-NBFSE) dictionary.
    #[error("unknown dictionary string id {id} at offset {offset}")]
    UnknownDictionaryString {
        /// The DictionaryString value.
        id: u32,
        /// Offset of the DictionaryString.
        offset: usize,
    },
    /// A field held a value the specification forbids.
    #[error("invalid value at offset {offset}: {reason}")]
    InvalidValue {
        /// Offset of the offending field.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// A configured [`Limits`](crate::Limits) value was exceeded.
    #[error("limit exceeded: {limit} (maximum {max})")]
    LimitExceeded {
        /// Name of the limit (the [`Limits`](crate::Limits) field).
        limit: &'static str,
        /// The configured maximum.
        max: usize,
    },
    /// The document ended while elements were still open.
    #[error("document ended with {open} unclosed element(s)")]
    UnclosedElements {
        /// Number of elements still open.
        open: usize,
    },
    /// The MC-NBFSE §2.1 StringTable prefix of an envelope was malformed.
    #[error("invalid MC-NBFSE string table: {0}")]
    InvalidStringTable(&'static str),
    /// The event sequence given to the encoder or XML writer is not a
    /// well-formed document.
    #[error("invalid event sequence: {0}")]
    InvalidEvents(String),
    /// The XML text given to [`from_xml`](crate::from_xml) could not be parsed
    /// or uses a construct NBFX cannot represent.
    #[error("XML text error: {0}")]
    Xml(String),
}
