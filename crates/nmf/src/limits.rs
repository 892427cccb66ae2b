//! Receive quotas, MC-NMF §5.1 ("limit the size of variable-length records").

/// Size limits applied while decoding. Every size prefix is checked against
/// the matching limit *before* any of its payload is awaited or buffered, so
/// an untrusted size (up to 4 GiB) never causes an allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Maximum Via length in octets (MC-NMF §3.1.4.5 MaxViaSize; WCF: 2048).
    pub max_via_len: usize,
    /// Maximum Extensible Encoding content type length (MC-NMF §3.1.4.6
    /// MaxContentTypeSize; WCF: 256).
    pub max_content_type_len: usize,
    /// Maximum upgrade protocol name length (MC-NMF §3.1.4.7
    /// MaxUpgradeProtocolSize; WCF: 256).
    pub max_upgrade_protocol_len: usize,
    /// Maximum fault URI length accepted in a received Fault Record.
    pub max_fault_len: usize,
    /// Maximum envelope payload size (MC-NMF §3.1.4.11 MaxEnvelopeSize). For
    /// an Unsized Envelope Record it bounds the sum of all chunks. Default
    /// 64 KiB like WCF's `maxReceivedMessageSize`; clamped to
    /// [`Limits::MAX_ENVELOPE_SIZE_CEILING`].
    pub max_envelope_size: usize,
    /// Maximum number of received bytes held while not yet consumed by
    /// `poll_event`. Raised to at least one maximal record if set lower.
    pub max_buffered_bytes: usize,
}

impl Limits {
    /// Highest accepted `max_envelope_size` (64 MiB).
    pub const MAX_ENVELOPE_SIZE_CEILING: usize = 64 * 1024 * 1024;
    /// Default `max_envelope_size` (64 KiB).
    pub const DEFAULT_MAX_ENVELOPE_SIZE: usize = 64 * 1024;

    /// Default limits with a different maximum envelope size; the buffer
    /// limit follows it.
    pub fn with_max_envelope_size(max_envelope_size: usize) -> Self {
        let mut limits = Self {
            max_envelope_size,
            ..Self::default()
        };
        limits.max_buffered_bytes = 0;
        limits.normalized()
    }

    /// Returns these limits with `max_envelope_size` clamped to
    /// `1..=MAX_ENVELOPE_SIZE_CEILING` and `max_buffered_bytes` raised so
    /// that one maximal record (plus its header) always fits.
    pub fn normalized(mut self) -> Self {
        self.max_envelope_size = self
            .max_envelope_size
            .clamp(1, Self::MAX_ENVELOPE_SIZE_CEILING);
        let largest = self
            .max_envelope_size
            .max(self.max_via_len)
            .max(self.max_content_type_len)
            .max(self.max_upgrade_protocol_len)
            .max(self.max_fault_len);
        // Type octet + five-octet size, plus slack for one socket read.
        let floor = largest + 6 + 64 * 1024;
        self.max_buffered_bytes = self.max_buffered_bytes.max(floor);
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_via_len: 2048,
            max_content_type_len: 256,
            max_upgrade_protocol_len: 256,
            max_fault_len: 2048,
            max_envelope_size: Self::DEFAULT_MAX_ENVELOPE_SIZE,
            max_buffered_bytes: 0,
        }
        .normalized()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let l = Limits::default();
        assert_eq!(l.max_envelope_size, 65536);
        assert!(l.max_buffered_bytes >= l.max_envelope_size + 6);
    }

    #[test]
    fn clamps_envelope_size() {
        let l = Limits::with_max_envelope_size(usize::MAX);
        assert_eq!(l.max_envelope_size, Limits::MAX_ENVELOPE_SIZE_CEILING);
        assert!(l.max_buffered_bytes > Limits::MAX_ENVELOPE_SIZE_CEILING);
        assert_eq!(Limits::with_max_envelope_size(0).max_envelope_size, 1);
    }
}
