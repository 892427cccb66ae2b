//! Record codec, MC-NMF §2.2.
//!
//! [`decode_record`] parses one complete record from the front of a buffer
//! (or reports that more bytes are needed); the `encode_*` functions build
//! the records either side sends.

use crate::error::{EncodeError, FramingError};
use crate::fault::FramingFault;
use crate::limits::Limits;
use crate::varint;

/// Record type octet, MC-NMF §2.2.1. Values 0x0D–0xFF are reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RecordType {
    /// Version Record, §2.2.3.1.
    Version = 0x00,
    /// Mode Record, §2.2.3.2.
    Mode = 0x01,
    /// Via Record, §2.2.3.3.
    Via = 0x02,
    /// Known Encoding Record, §2.2.3.4.1.
    KnownEncoding = 0x03,
    /// Extensible Encoding Record, §2.2.3.4.2.
    ExtensibleEncoding = 0x04,
    /// Unsized Envelope Record, §2.2.4.3.
    UnsizedEnvelope = 0x05,
    /// Sized Envelope Record, §2.2.4.1.
    SizedEnvelope = 0x06,
    /// End Record, §2.2.3.9.
    End = 0x07,
    /// Fault Record, §2.2.5.
    Fault = 0x08,
    /// Upgrade Request Record, §2.2.3.5.
    UpgradeRequest = 0x09,
    /// Upgrade Response Record, §2.2.3.6.
    UpgradeResponse = 0x0A,
    /// Preamble Ack Record, §2.2.3.8.
    PreambleAck = 0x0B,
    /// Preamble End Record, §2.2.3.7.
    PreambleEnd = 0x0C,
}

impl RecordType {
    /// Maps a record type octet; `None` for the reserved values.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        Some(match byte {
            0x00 => Self::Version,
            0x01 => Self::Mode,
            0x02 => Self::Via,
            0x03 => Self::KnownEncoding,
            0x04 => Self::ExtensibleEncoding,
            0x05 => Self::UnsizedEnvelope,
            0x06 => Self::SizedEnvelope,
            0x07 => Self::End,
            0x08 => Self::Fault,
            0x09 => Self::UpgradeRequest,
            0x0A => Self::UpgradeResponse,
            0x0B => Self::PreambleAck,
            0x0C => Self::PreambleEnd,
            _ => return None,
        })
    }
}

/// Framing protocol version carried by the Version Record, §2.2.3.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    /// Major version; MUST be 1.
    pub major: u8,
    /// Minor version; MUST be 0 when sending.
    pub minor: u8,
}

impl Version {
    /// Version 1.0, the only version MC-NMF defines.
    pub const V1_0: Version = Version { major: 1, minor: 0 };
}

/// Communication mode, MC-NMF §2.2.3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Mode {
    /// One unsized message (or request/reply pair), §3.1.1.1.1.
    SingletonUnsized = 0x01,
    /// Multiple bidirectional sized messages, §3.1.1.1.2.
    Duplex = 0x02,
    /// Multiple one-way sized messages, §3.1.1.1.3.
    Simplex = 0x03,
    /// A single one-way message sized by the transport, §3.1.1.1.4.
    SingletonSized = 0x04,
}

impl Mode {
    /// Maps a mode octet; `None` for 0x00 and the reserved 0x05–0xFF.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        Some(match byte {
            0x01 => Self::SingletonUnsized,
            0x02 => Self::Duplex,
            0x03 => Self::Simplex,
            0x04 => Self::SingletonSized,
            _ => return None,
        })
    }
}

/// Known Encoding values, MC-NMF §2.2.3.4.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum KnownEncoding {
    /// SOAP 1.1, UTF-8 text.
    Soap11Utf8 = 0x00,
    /// SOAP 1.1, UTF-16 text.
    Soap11Utf16 = 0x01,
    /// SOAP 1.1, Unicode little-endian text.
    Soap11UnicodeLe = 0x02,
    /// SOAP 1.2, UTF-8 text.
    Soap12Utf8 = 0x03,
    /// SOAP 1.2, UTF-16 text.
    Soap12Utf16 = 0x04,
    /// SOAP 1.2, Unicode little-endian text.
    Soap12UnicodeLe = 0x05,
    /// SOAP 1.2, MTOM.
    Soap12Mtom = 0x06,
    /// SOAP 1.2, binary [MC-NBFS] (sessionless).
    Soap12Binary = 0x07,
    /// SOAP 1.2, binary with in-band dictionary [MC-NBFSE] (NetTcpBinding).
    Soap12BinarySession = 0x08,
}

impl KnownEncoding {
    /// Maps an encoding octet; `None` for the reserved 0x09–0xFF.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        Some(match byte {
            0x00 => Self::Soap11Utf8,
            0x01 => Self::Soap11Utf16,
            0x02 => Self::Soap11UnicodeLe,
            0x03 => Self::Soap12Utf8,
            0x04 => Self::Soap12Utf16,
            0x05 => Self::Soap12UnicodeLe,
            0x06 => Self::Soap12Mtom,
            0x07 => Self::Soap12Binary,
            0x08 => Self::Soap12BinarySession,
            _ => return None,
        })
    }
}

/// One decoded record (MC-NMF §2.2.3–§2.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Version Record, §2.2.3.1. Any major/minor pair is decoded; whether
    /// it is supported is the state machine's decision.
    Version(Version),
    /// Mode Record, §2.2.3.2.
    Mode(Mode),
    /// Via Record, §2.2.3.3.
    Via(String),
    /// Known Encoding Record, §2.2.3.4.1.
    KnownEncoding(KnownEncoding),
    /// Extensible Encoding Record, §2.2.3.4.2 (a MIME content type).
    ExtensibleEncoding(String),
    /// Unsized Envelope Record, §2.2.4.3: the concatenated data chunks.
    UnsizedEnvelope(Vec<u8>),
    /// Sized Envelope Record, §2.2.4.1: the payload.
    SizedEnvelope(Vec<u8>),
    /// End Record, §2.2.3.9.
    End,
    /// Fault Record, §2.2.5: the fault URI.
    Fault(String),
    /// Upgrade Request Record, §2.2.3.5: the upgrade protocol name.
    UpgradeRequest(String),
    /// Upgrade Response Record, §2.2.3.6.
    UpgradeResponse,
    /// Preamble Ack Record, §2.2.3.8.
    PreambleAck,
    /// Preamble End Record, §2.2.3.7.
    PreambleEnd,
}

impl Record {
    /// The record's type octet.
    pub fn record_type(&self) -> RecordType {
        match self {
            Record::Version(_) => RecordType::Version,
            Record::Mode(_) => RecordType::Mode,
            Record::Via(_) => RecordType::Via,
            Record::KnownEncoding(_) => RecordType::KnownEncoding,
            Record::ExtensibleEncoding(_) => RecordType::ExtensibleEncoding,
            Record::UnsizedEnvelope(_) => RecordType::UnsizedEnvelope,
            Record::SizedEnvelope(_) => RecordType::SizedEnvelope,
            Record::End => RecordType::End,
            Record::Fault(_) => RecordType::Fault,
            Record::UpgradeRequest(_) => RecordType::UpgradeRequest,
            Record::UpgradeResponse => RecordType::UpgradeResponse,
            Record::PreambleAck => RecordType::PreambleAck,
            Record::PreambleEnd => RecordType::PreambleEnd,
        }
    }

    /// Appends the wire form of this record to `out`. An Unsized Envelope
    /// is written as a single data chunk followed by the terminator.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let ty = self.record_type();
        match self {
            Record::Version(v) => out.extend_from_slice(&[ty as u8, v.major, v.minor]),
            Record::Mode(m) => out.extend_from_slice(&[ty as u8, *m as u8]),
            Record::KnownEncoding(e) => out.extend_from_slice(&[ty as u8, *e as u8]),
            Record::Via(s)
            | Record::ExtensibleEncoding(s)
            | Record::Fault(s)
            | Record::UpgradeRequest(s) => encode_sized(ty, s.as_bytes(), out)?,
            Record::SizedEnvelope(p) => encode_sized(ty, p, out)?,
            Record::UnsizedEnvelope(p) => {
                encode_sized(ty, p, out)?;
                out.push(0x00);
            }
            Record::End | Record::UpgradeResponse | Record::PreambleAck | Record::PreambleEnd => {
                out.push(ty as u8)
            }
        }
        Ok(())
    }

    /// The wire form of this record as a new vector.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        self.encode(&mut out)?;
        Ok(out)
    }
}

/// Writes `type, size, payload` for a variable-sized record.
fn encode_sized(ty: RecordType, payload: &[u8], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if payload.is_empty() {
        return Err(EncodeError::Empty { record: ty });
    }
    let len = u32::try_from(payload.len()).map_err(|_| EncodeError::TooLarge {
        record: ty,
        len: payload.len(),
    })?;
    out.reserve(1 + varint::encoded_len(len) + payload.len());
    out.push(ty as u8);
    varint::encode(len, out);
    out.extend_from_slice(payload);
    Ok(())
}

/// Result of looking at the front of a buffer for one record.
pub(crate) type Decoded<T> = Result<Option<(T, usize)>, FramingError>;

/// Reads `size, payload` of a variable-sized record whose type octet is at
/// `buf[0]`. The size is checked against `max` (via `too_large`) before the
/// payload is awaited. Returns the payload slice and the total record length.
fn sized_payload(
    buf: &[u8],
    ty: RecordType,
    max: usize,
    too_large: impl FnOnce(u32) -> FramingError,
) -> Decoded<&[u8]> {
    let Some((size, n)) = varint::decode(&buf[1..])? else {
        return Ok(None);
    };
    if size == 0 {
        return Err(FramingError::ZeroSize { record: ty });
    }
    if u64::from(size) > max as u64 {
        return Err(too_large(size));
    }
    let start = 1 + n;
    let end = start + size as usize;
    if buf.len() < end {
        return Ok(None);
    }
    Ok(Some((&buf[start..end], end)))
}

/// Reads a variable-sized record carrying UTF-8 text (Via, content type,
/// upgrade protocol, fault URI) and wraps the text with `record`.
fn sized_string(
    buf: &[u8],
    ty: RecordType,
    max: usize,
    too_large: impl FnOnce(u32) -> FramingError,
    record: fn(String) -> Record,
) -> Decoded<Record> {
    let Some((p, n)) = sized_payload(buf, ty, max, too_large)? else {
        return Ok(None);
    };
    let text = std::str::from_utf8(p).map_err(|_| FramingError::InvalidUtf8 { record: ty })?;
    Ok(Some((record(text.to_owned()), n)))
}

/// Scans an Unsized Envelope Record (§2.2.4.3) without copying: returns the
/// total payload size and record length once the terminator has arrived.
/// The running total is checked against `max` as each chunk size is read.
fn scan_unsized(buf: &[u8], max: usize) -> Decoded<u64> {
    let mut pos = 1;
    let mut total: u64 = 0;
    loop {
        let Some(&first) = buf.get(pos) else {
            return Ok(None);
        };
        if first == 0x00 {
            if total == 0 {
                return Err(FramingError::EmptyUnsizedEnvelope);
            }
            return Ok(Some((total, pos + 1)));
        }
        let Some((size, n)) = varint::decode(&buf[pos..])? else {
            return Ok(None);
        };
        total += u64::from(size);
        if total > max as u64 {
            return Err(FramingError::EnvelopeTooLarge { size: total, max });
        }
        pos += n + size as usize;
        if pos > buf.len() {
            return Ok(None);
        }
    }
}

/// Concatenates the chunks of an Unsized Envelope Record already validated
/// by [`scan_unsized`].
fn collect_unsized(buf: &[u8], total: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(total as usize);
    let mut pos = 1;
    while buf[pos] != 0x00 {
        let Ok(Some((size, n))) = varint::decode(&buf[pos..]) else {
            unreachable!("chunk sizes were validated by scan_unsized");
        };
        let start = pos + n;
        out.extend_from_slice(&buf[start..start + size as usize]);
        pos = start + size as usize;
    }
    out
}

/// Decodes one record from the front of `buf`.
///
/// Returns `Ok(None)` if `buf` holds only part of a record, and otherwise
/// the record and the number of bytes it occupied. Size prefixes are checked
/// against `limits` as soon as they are read. Semantic checks (supported
/// version, mode, encoding) are left to the state machines, except that
/// values the spec reserves are rejected here: a Mode outside 1–4 is
/// [`FramingError::UnsupportedMode`], a Known Encoding above 8 is
/// [`FramingError::UnsupportedEncoding`].
pub fn decode_record(buf: &[u8], limits: &Limits) -> Decoded<Record> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let ty = RecordType::from_byte(first).ok_or(FramingError::UnknownRecordType(first))?;
    let record = match ty {
        RecordType::Version => {
            let [_, major, minor, ..] = *buf else {
                return Ok(None);
            };
            (Record::Version(Version { major, minor }), 3)
        }
        RecordType::Mode => {
            let Some(&mode) = buf.get(1) else {
                return Ok(None);
            };
            let mode = Mode::from_byte(mode).ok_or(FramingError::UnsupportedMode { mode })?;
            (Record::Mode(mode), 2)
        }
        RecordType::KnownEncoding => {
            let Some(&encoding) = buf.get(1) else {
                return Ok(None);
            };
            let encoding = KnownEncoding::from_byte(encoding)
                .ok_or(FramingError::UnsupportedEncoding { encoding })?;
            (Record::KnownEncoding(encoding), 2)
        }
        RecordType::Via => {
            let max = limits.max_via_len;
            let too_large = |size| FramingError::ViaTooLong { size, max };
            return sized_string(buf, ty, max, too_large, Record::Via);
        }
        RecordType::ExtensibleEncoding => {
            let max = limits.max_content_type_len;
            let too_large = |size| FramingError::ContentTypeTooLong { size, max };
            return sized_string(buf, ty, max, too_large, Record::ExtensibleEncoding);
        }
        RecordType::UpgradeRequest => {
            let max = limits.max_upgrade_protocol_len;
            let too_large = |size| FramingError::UpgradeProtocolTooLong { size, max };
            return sized_string(buf, ty, max, too_large, Record::UpgradeRequest);
        }
        RecordType::Fault => {
            let max = limits.max_fault_len;
            let too_large = |size| FramingError::FaultTooLong { size, max };
            return sized_string(buf, ty, max, too_large, Record::Fault);
        }
        RecordType::SizedEnvelope => {
            let max = limits.max_envelope_size;
            let Some((p, n)) =
                sized_payload(buf, ty, max, |size| FramingError::EnvelopeTooLarge {
                    size: size.into(),
                    max,
                })?
            else {
                return Ok(None);
            };
            (Record::SizedEnvelope(p.to_vec()), n)
        }
        RecordType::UnsizedEnvelope => {
            let Some((total, n)) = scan_unsized(buf, limits.max_envelope_size)? else {
                return Ok(None);
            };
            (
                Record::UnsizedEnvelope(collect_unsized(&buf[..n], total)),
                n,
            )
        }
        RecordType::End => (Record::End, 1),
        RecordType::UpgradeResponse => (Record::UpgradeResponse, 1),
        RecordType::PreambleAck => (Record::PreambleAck, 1),
        RecordType::PreambleEnd => (Record::PreambleEnd, 1),
    };
    Ok(Some(record))
}

/// The Preamble Message (§2.2.6): Version 1.0, Mode, Via and Known Encoding
/// records. The Preamble End Record is *not* included (see
/// [`encode_preamble_end`]); Upgrade Request Records may go in between.
pub fn encode_preamble(
    via: &str,
    mode: Mode,
    encoding: KnownEncoding,
) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(via.len() + 12);
    Record::Version(Version::V1_0).encode(&mut out)?;
    Record::Mode(mode).encode(&mut out)?;
    encode_sized(RecordType::Via, via.as_bytes(), &mut out)?;
    Record::KnownEncoding(encoding).encode(&mut out)?;
    Ok(out)
}

/// Preamble End Record, §2.2.3.7.
pub fn encode_preamble_end() -> Vec<u8> {
    vec![RecordType::PreambleEnd as u8]
}

/// Preamble Ack Record, §2.2.3.8.
pub fn encode_preamble_ack() -> Vec<u8> {
    vec![RecordType::PreambleAck as u8]
}

/// Upgrade Request Record, §2.2.3.5, e.g. `"application/negotiate"`.
pub fn encode_upgrade_request(protocol: &str) -> Result<Vec<u8>, EncodeError> {
    Record::UpgradeRequest(protocol.to_owned()).to_bytes()
}

/// Upgrade Response Record, §2.2.3.6.
pub fn encode_upgrade_response() -> Vec<u8> {
    vec![RecordType::UpgradeResponse as u8]
}

/// Sized Envelope Record, §2.2.4.1. The payload must not be empty.
pub fn encode_sized_envelope(payload: &[u8]) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode_sized(RecordType::SizedEnvelope, payload, &mut out)?;
    Ok(out)
}

/// End Record, §2.2.3.9.
pub fn encode_end() -> Vec<u8> {
    vec![RecordType::End as u8]
}

/// Fault Record, §2.2.5, carrying `fault`'s URI.
pub fn encode_fault(fault: FramingFault) -> Vec<u8> {
    let mut out = Vec::new();
    encode_sized(RecordType::Fault, fault.uri().as_bytes(), &mut out)
        .expect("fault URIs are short and non-empty");
    out
}
