//! Errors for decoding (with the fault, if any, to send back) and encoding.

use crate::fault::FramingFault;
use crate::records::RecordType;
use crate::varint::VarIntError;

/// A fatal error on the received protocol stream. After one is returned the
/// connection is finished (MC-NMF §3.1.4: "the session MUST be closed");
/// [`FramingError::fault`] says which Fault Record, if any, to send first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// A record size violates MC-NMF §2.2.2.
    #[error("invalid record size: {0}")]
    InvalidSize(#[from] VarIntError),
    /// A variable-sized record announced size 0 (MC-NMF §3.1.4.1).
    #[error("{record:?} record has size 0")]
    ZeroSize { record: RecordType },
    /// A Via, content type, upgrade name or fault is not UTF-8.
    #[error("{record:?} record is not valid UTF-8")]
    InvalidUtf8 { record: RecordType },
    /// A record type octet outside 0x00–0x0C (MC-NMF §2.2.1).
    #[error("unknown record type 0x{0:02x}")]
    UnknownRecordType(u8),
    /// A known record type at a point where the grammar does not allow it
    /// (MC-NMF §3.1.4.2).
    #[error("unexpected {record:?} record, expected {expected}")]
    UnexpectedRecord {
        record: RecordType,
        expected: &'static str,
    },
    /// An Unsized Envelope Record without a first data chunk (§2.2.4.3).
    #[error("unsized envelope record without data chunks")]
    EmptyUnsizedEnvelope,
    /// The Version Record names a version other than 1.x (§3.1.4.3).
    #[error("unsupported framing version {major}.{minor}")]
    UnsupportedVersion { major: u8, minor: u8 },
    /// The Mode Record value is invalid or not supported (§3.1.4.4).
    #[error("unsupported mode 0x{mode:02x}")]
    UnsupportedMode { mode: u8 },
    /// The Known Encoding Record value is invalid or not supported (§3.1.4.6).
    #[error("unsupported known encoding 0x{encoding:02x}")]
    UnsupportedEncoding { encoding: u8 },
    /// An Extensible Encoding Record content type that is not supported.
    #[error("unsupported content type {content_type:?}")]
    UnsupportedContentType { content_type: String },
    /// The Extensible Encoding Record is longer than the quota.
    #[error("content type of {size} octets exceeds the limit of {max}")]
    ContentTypeTooLong { size: u32, max: usize },
    /// The Via is longer than the quota (§3.1.4.5).
    #[error("via of {size} octets exceeds the limit of {max}")]
    ViaTooLong { size: u32, max: usize },
    /// The upgrade protocol name is longer than the quota (§3.1.4.7).
    #[error("upgrade protocol name of {size} octets exceeds the limit of {max}")]
    UpgradeProtocolTooLong { size: u32, max: usize },
    /// An envelope exceeds the maximum envelope size (§3.1.4.11).
    #[error("envelope of at least {size} octets exceeds the limit of {max}")]
    EnvelopeTooLarge { size: u64, max: usize },
    /// A received Fault Record is longer than the quota.
    #[error("fault of {size} octets exceeds the limit of {max}")]
    FaultTooLong { size: u32, max: usize },
    /// The peer sent a Fault Record (§3.1.4.11: the session MUST be closed).
    #[error("peer sent fault {uri}")]
    FaultReceived { uri: String },
    /// More unconsumed input than `Limits::max_buffered_bytes`.
    #[error("{buffered} buffered octets exceed the limit of {max}")]
    BufferLimitExceeded { buffered: usize, max: usize },
}

impl FramingError {
    /// The Fault Record to send before closing, if one should be sent.
    ///
    /// Grammar violations map to `InvalidRecordSequence`. No fault answers
    /// a received fault (§3.1.4.2), an oversized received fault, or a size
    /// that does not fit in 32 bits (MC-NMF §6 note <21>).
    pub fn fault(&self) -> Option<FramingFault> {
        use FramingError as E;
        Some(match self {
            E::InvalidSize(VarIntError::Overflow) => return None,
            E::InvalidSize(VarIntError::Overlong)
            | E::ZeroSize { .. }
            | E::InvalidUtf8 { .. }
            | E::UnknownRecordType(_)
            | E::UnexpectedRecord { .. }
            | E::EmptyUnsizedEnvelope => FramingFault::InvalidRecordSequence,
            E::UnsupportedVersion { .. } => FramingFault::UnsupportedVersion,
            E::UnsupportedMode { .. } => FramingFault::UnsupportedMode,
            E::UnsupportedEncoding { .. } | E::UnsupportedContentType { .. } => {
                FramingFault::ContentTypeInvalid
            }
            E::ContentTypeTooLong { .. } => FramingFault::ContentTypeTooLong,
            E::ViaTooLong { .. } => FramingFault::ViaTooLong,
            E::UpgradeProtocolTooLong { .. } => FramingFault::UpgradeInvalid,
            E::EnvelopeTooLarge { .. } => FramingFault::MaxMessageSizeExceeded,
            E::BufferLimitExceeded { .. } => FramingFault::ServerTooBusy,
            E::FaultTooLong { .. } | E::FaultReceived { .. } => return None,
        })
    }

    /// For [`FramingError::FaultReceived`], the fault if it is one of the
    /// MC-NMF §2.2.5 faults.
    pub fn received_fault(&self) -> Option<FramingFault> {
        match self {
            FramingError::FaultReceived { uri } => FramingFault::from_uri(uri),
            _ => None,
        }
    }
}

/// Why a record could not be encoded or sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// Variable-sized records must not be empty (MC-NMF §2.2.3.3 ff.).
    #[error("{record:?} record must not be empty")]
    Empty { record: RecordType },
    /// The content does not fit a 32-bit record size.
    #[error("{record:?} record of {len} octets is too large")]
    TooLarge { record: RecordType, len: usize },
    /// The connection state does not allow sending this record now
    /// (MC-NMF §3.2.4.3 / §3.3.4.3 "Send Allowed").
    #[error("cannot send now: {0}")]
    NotAllowed(&'static str),
}
