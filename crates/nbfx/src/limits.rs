//! Resource limits protecting the decoder against hostile input
//! (MC-NBFX §4, MC-NBFSE §4).

/// Resource limits applied while decoding (and, for the session dictionary,
/// while encoding).
///
/// Every length read from the wire is checked against the remaining input
/// *and* the relevant limit before anything is allocated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Maximum element nesting depth.
    pub max_depth: usize,
    /// Maximum total size of the decoded document, estimated as the number of
    /// bytes its XML text form would take. Bounds expansion through
    /// dictionary strings and Array records.
    pub max_output_bytes: usize,
    /// Maximum length in bytes of any single string or text value.
    pub max_string_len: usize,
    /// Maximum number of items in one Array record (MC-NBFX §2.3.3).
    pub max_array_len: usize,
    /// Maximum number of strings held in one session dictionary (MC-NBFSE §2.1).
    pub max_session_strings: usize,
    /// Maximum total UTF-8 bytes of the strings held in one session dictionary.
    pub max_session_bytes: usize,
}

impl Default for Limits {
    /// Defaults suited to SOAP envelopes: depth 64, 4 MiB of output,
    /// 1 MiB strings, 64 Ki array items, 4096 session strings / 256 KiB.
    fn default() -> Self {
        Self {
            max_depth: 64,
            max_output_bytes: 4 * 1024 * 1024,
            max_string_len: 1024 * 1024,
            max_array_len: 64 * 1024,
            max_session_strings: 4096,
            max_session_bytes: 256 * 1024,
        }
    }
}
