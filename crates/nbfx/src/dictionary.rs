//! Dictionary strings: the MC-NBFS §2.1 static dictionary (even ids) and the
//! MC-NBFSE §2.1 session dictionary (odd ids).

use std::hash::BuildHasher;
use std::sync::LazyLock;

use foldhash::fast::FixedState;
use hashbrown::HashTable;

use crate::static_dict::STATIC_DICTIONARY;
use crate::{Error, Limits};

/// Resolves a DictionaryString (MC-NBFX §2.1.4) id to its characters.
///
/// MC-NBFX leaves the mapping to producer and consumer; MC-NBFS defines the
/// even ids ([`StaticDictionary`]) and MC-NBFSE the odd ones
/// ([`SessionDictionary`]).
pub trait Dictionary {
    /// The string for `id`, or `None` if the id is unknown.
    fn lookup(&self, id: u32) -> Option<&str>;
}

/// The MC-NBFS §2.1 static dictionary alone: even ids only.
#[derive(Debug, Clone, Copy, Default)]
pub struct StaticDictionary;

impl Dictionary for StaticDictionary {
    fn lookup(&self, id: u32) -> Option<&str> {
        static_string(id)
    }
}

/// The string for an even MC-NBFS §2.1 id.
pub fn static_string(id: u32) -> Option<&'static str> {
    if !id.is_multiple_of(2) {
        return None;
    }
    STATIC_DICTIONARY.get((id / 2) as usize).copied()
}

/// Ids of strings, found by the hash of their characters ([`hash`]): one for the static
/// dictionary ([`STATIC_INDEX`]), one per encoder for its session strings.
pub(crate) type IdIndex = HashTable<u32>;

/// The hasher of [`IdIndex`]: fixed and fast. The indexed strings are the static
/// dictionary and the names an encoder chose to define (never a peer's input).
const HASHER: FixedState = FixedState::with_seed(0x4e42_4658_5345_4e43);

/// The hash of `s` in an [`IdIndex`].
pub(crate) fn hash(s: &str) -> u64 {
    HASHER.hash_one(s)
}

/// The id in `index` whose string (resolved through `dict`) is `s`, `h` being `hash(s)`.
pub(crate) fn find_id(index: &IdIndex, dict: &dyn Dictionary, h: u64, s: &str) -> Option<u32> {
    index.find(h, |&id| dict.lookup(id) == Some(s)).copied()
}

/// Adds `id` (a string of `dict` not in `index` yet) under `h`.
pub(crate) fn insert_id(index: &mut IdIndex, dict: &dyn Dictionary, h: u64, id: u32) {
    index.insert_unique(h, id, |&id| hash(dict.lookup(id).unwrap_or_default()));
}

/// The static dictionary's even ids, built once.
pub(crate) static STATIC_INDEX: LazyLock<IdIndex> = LazyLock::new(|| {
    let mut index = IdIndex::with_capacity(STATIC_DICTIONARY.len());
    for (i, s) in STATIC_DICTIONARY.iter().enumerate() {
        insert_id(&mut index, &StaticDictionary, hash(s), (i * 2) as u32);
    }
    index
});

/// The even MC-NBFS §2.1 id of `s`, if `s` is in the static dictionary.
pub fn static_id(s: &str) -> Option<u32> {
    find_id(&STATIC_INDEX, &StaticDictionary, hash(s), s)
}

/// A cumulative MC-NBFSE §2.1 session dictionary for one direction of a
/// connection, combined with the static dictionary: even ids resolve through
/// MC-NBFS, odd id `2n + 1` is the `n`-th session string (MC-NBFSE §2.2).
#[derive(Debug, Clone, Default)]
pub struct SessionDictionary {
    strings: Vec<String>,
    bytes: usize,
}

impl SessionDictionary {
    /// An empty session dictionary.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty session dictionary with room for `n` strings.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            strings: Vec::with_capacity(n),
            bytes: 0,
        }
    }

    /// Number of session strings.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// Whether no session string has been added.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// Total UTF-8 bytes of the session strings.
    pub fn byte_len(&self) -> usize {
        self.bytes
    }

    /// The session strings in id order (ids 1, 3, 5, …).
    pub fn strings(&self) -> &[String] {
        &self.strings
    }

    /// The id the next added string will get.
    pub(crate) fn next_id(&self) -> u32 {
        Self::id_at(self.strings.len())
    }

    /// The odd MC-NBFSE §2.1 id of the `index`-th session string.
    pub(crate) fn id_at(index: usize) -> u32 {
        (index as u32) * 2 + 1
    }

    /// Appends strings, checking `limits.max_session_strings` and
    /// `limits.max_session_bytes` for the whole batch first (all or nothing).
    pub(crate) fn extend(&mut self, new: Vec<String>, limits: &Limits) -> Result<(), Error> {
        let count = self.strings.len().saturating_add(new.len());
        if count > limits.max_session_strings {
            return Err(Error::LimitExceeded {
                limit: "max_session_strings",
                max: limits.max_session_strings,
            });
        }
        let bytes = new
            .iter()
            .fold(self.bytes, |acc, s| acc.saturating_add(s.len()));
        if bytes > limits.max_session_bytes {
            return Err(Error::LimitExceeded {
                limit: "max_session_bytes",
                max: limits.max_session_bytes,
            });
        }
        // Duplicates (forbidden by MC-NBFSE §2.1) still take a slot so numbering stays
        // aligned.
        self.strings.extend(new);
        self.bytes = bytes;
        Ok(())
    }

    /// Appends one string; the caller has checked the limits.
    pub(crate) fn push(&mut self, s: &str) {
        self.bytes += s.len();
        self.strings.push(s.to_owned());
    }

    /// Drops the strings from the `len`-th on.
    pub(crate) fn truncate(&mut self, len: usize) {
        for s in self.strings.drain(len.min(self.strings.len())..) {
            self.bytes -= s.len();
        }
    }
}

impl Dictionary for SessionDictionary {
    fn lookup(&self, id: u32) -> Option<&str> {
        if id.is_multiple_of(2) {
            static_string(id)
        } else {
            self.strings.get((id >> 1) as usize).map(String::as_str)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_table_matches_spec_anchors() {
        assert_eq!(STATIC_DICTIONARY.len(), 487);
        assert_eq!(static_string(0x00), Some("mustUnderstand"));
        assert_eq!(static_string(0x02), Some("Envelope"));
        assert_eq!(
            static_string(0x04),
            Some("http://www.w3.org/2003/05/soap-envelope")
        );
        assert_eq!(
            static_string(0x06),
            Some("http://www.w3.org/2005/08/addressing")
        );
        assert_eq!(static_string(0x0E), Some("Body"));
        assert_eq!(static_string(0x3CC), Some("detail"));
        assert_eq!(static_string(0x3CE), None);
        assert_eq!(static_string(0x01), None);
        assert_eq!(static_id("Header"), Some(0x08));
        assert_eq!(static_id("nope"), None);
        for (i, s) in STATIC_DICTIONARY.iter().enumerate() {
            assert_eq!(static_id(s), Some(i as u32 * 2), "{s}");
        }
    }

    #[test]
    fn session_ids_are_odd_and_cumulative() {
        let mut d = SessionDictionary::new();
        let l = Limits::default();
        d.extend(vec!["action".into(), "Inventory".into()], &l)
            .unwrap();
        assert_eq!(d.lookup(1), Some("action"));
        assert_eq!(d.lookup(3), Some("Inventory"));
        assert_eq!(d.lookup(5), None);
        assert_eq!(d.lookup(2), Some("Envelope"));
        d.extend(vec!["x".into()], &l).unwrap();
        assert_eq!(d.lookup(5), Some("x"));
    }
}
