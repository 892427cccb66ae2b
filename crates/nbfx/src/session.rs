//! MC-NBFSE: envelopes prefixed by a StringTable (§2.1) that extends a
//! per-direction session dictionary (§2.2).

use crate::dictionary::{
    Dictionary, IdIndex, STATIC_INDEX, SessionDictionary, StaticDictionary, find_id, hash,
    insert_id,
};
use crate::reader::{decode_document, decode_document_into};
use crate::records::{Cursor, write_mb31, write_string};
use crate::writer::{NameTable, Records, encode_events};
use crate::{Error, EventSink, Limits, SinkError, XmlEvent};

/// Decoder for one direction of an MC-NBFSE session (e.g. all client→server
/// SizedEnvelope payloads of one connection).
///
/// Each envelope starts with a StringTable (MC-NBFSE §2.1) whose strings get
/// the next odd ids; the rest is an MC-NBFX document whose DictionaryStrings
/// resolve through MC-NBFS (even) or the session table (odd).
#[derive(Debug, Clone, Default)]
pub struct SessionDecoder {
    dict: SessionDictionary,
    limits: Limits,
}

impl SessionDecoder {
    /// A decoder with the default [`Limits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder with custom limits.
    pub fn with_limits(limits: Limits) -> Self {
        Self {
            dict: SessionDictionary::new(),
            limits,
        }
    }

    /// The session dictionary accumulated so far.
    pub fn dictionary(&self) -> &SessionDictionary {
        &self.dict
    }

    /// Decodes one envelope payload (StringTable + document).
    ///
    /// The StringTable strings are added to the session dictionary before
    /// the document is decoded; they stay there even if the document turns
    /// out to be malformed (the connection is unusable then anyway).
    pub fn decode_envelope(&mut self, payload: &[u8]) -> Result<Vec<XmlEvent>, Error> {
        let body = self.apply_string_table(payload)?;
        self.decode_body(body)
    }

    /// Reads the StringTable at the start of an envelope payload into the
    /// session dictionary (once per envelope) and returns the document that
    /// follows, to decode with [`SessionDecoder::decode_body_into`] or
    /// [`SessionDecoder::decode_body`] (as often as needed, before the next
    /// envelope's table is applied).
    pub fn apply_string_table<'p>(&mut self, payload: &'p [u8]) -> Result<EnvelopeBody<'p>, Error> {
        let mut cur = Cursor::new(payload, 0);
        let size = cur.mb31()? as usize;
        if size > cur.remaining() {
            return Err(Error::InvalidStringTable("size exceeds the envelope"));
        }
        let table_start = cur.offset();
        let table = cur.take(size)?;
        let strings = parse_string_table(table, table_start, &self.limits, &self.dict)?;
        self.dict.extend(strings, &self.limits)?;
        let offset = cur.offset();
        if cur.is_empty() {
            return Err(Error::InvalidValue {
                offset,
                reason: "envelope without a document",
            });
        }
        let bytes = cur.take(cur.remaining())?;
        Ok(EnvelopeBody { bytes, offset })
    }

    /// The events of an envelope's document (see
    /// [`SessionDecoder::decode_envelope`]).
    pub fn decode_body(&self, body: EnvelopeBody<'_>) -> Result<Vec<XmlEvent>, Error> {
        decode_document(body.bytes, body.offset, &self.dict, &self.limits)
    }

    /// Decodes an envelope's document into `sink` record by record, names and
    /// string text borrowed from the payload and the dictionaries: the events
    /// and errors of [`SessionDecoder::decode_body`], unless the sink stops.
    pub fn decode_body_into<'a, S: EventSink<'a>>(
        &'a self,
        body: EnvelopeBody<'a>,
        sink: &mut S,
    ) -> Result<(), SinkError<S::Error>> {
        decode_document_into(body.bytes, body.offset, &self.dict, &self.limits, sink)
    }
}

/// The MC-NBFX document of an envelope payload, after its StringTable
/// ([`SessionDecoder::apply_string_table`]).
#[derive(Debug, Clone, Copy)]
pub struct EnvelopeBody<'p> {
    bytes: &'p [u8],
    /// Where `bytes` start in the payload (for error offsets).
    offset: usize,
}

impl<'p> EnvelopeBody<'p> {
    /// The document's bytes.
    pub fn bytes(&self) -> &'p [u8] {
        self.bytes
    }

    /// Where the document starts in the envelope payload.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

/// Parses the Strings of a StringTable; they must fill `table` exactly.
fn parse_string_table(
    table: &[u8],
    base: usize,
    limits: &Limits,
    dict: &SessionDictionary,
) -> Result<Vec<String>, Error> {
    let mut cur = Cursor::new(table, base);
    let mut strings = Vec::new();
    let mut bytes = dict.byte_len();
    while !cur.is_empty() {
        let len =
            cur.mb31()
                .map_err(|_| Error::InvalidStringTable("bad string length"))? as usize;
        if len > cur.remaining() {
            return Err(Error::InvalidStringTable("string exceeds the table size"));
        }
        if len > limits.max_string_len {
            return Err(Error::LimitExceeded {
                limit: "max_string_len",
                max: limits.max_string_len,
            });
        }
        bytes = bytes.saturating_add(len);
        if bytes > limits.max_session_bytes {
            return Err(Error::LimitExceeded {
                limit: "max_session_bytes",
                max: limits.max_session_bytes,
            });
        }
        if dict.len() + strings.len() >= limits.max_session_strings {
            return Err(Error::LimitExceeded {
                limit: "max_session_strings",
                max: limits.max_session_strings,
            });
        }
        let offset = cur.offset();
        let s = std::str::from_utf8(cur.take(len)?).map_err(|_| Error::InvalidUtf8 { offset })?;
        strings.push(s.to_owned());
    }
    Ok(strings)
}

/// Encoder for one direction of an MC-NBFSE session.
///
/// Element and attribute local names and namespace URIs that are not in the
/// MC-NBFS static dictionary are added to the session dictionary (announced
/// in the envelope's StringTable) while the session's string bytes stay
/// within the budget (default 2048, WCF's default `MaxSessionSize`);
/// everything else is written literally. With a budget of 0 every envelope
/// carries an empty StringTable.
#[derive(Debug, Clone)]
pub struct SessionEncoder {
    dict: SessionDictionary,
    /// The ids of the session strings by string. Static ids are found in the one shared
    /// [`STATIC_INDEX`] first (hot in the cache, where a copy per session was not).
    index: IdIndex,
    /// The ids found last, by the address of the caller's string ([`IdCache`]).
    cache: IdCache,
    limits: Limits,
    budget_bytes: usize,
}

impl Default for SessionEncoder {
    fn default() -> Self {
        Self::new()
    }
}

/// How many session strings a [`SessionEncoder`] has room for from the start.
const SESSION_STRINGS_HINT: usize = 96;

/// Default session-dictionary byte budget of [`SessionEncoder`].
pub const DEFAULT_SESSION_BUDGET: usize = 2048;

impl SessionEncoder {
    /// An encoder with the default budget ([`DEFAULT_SESSION_BUDGET`]).
    pub fn new() -> Self {
        Self {
            // Room for the strings of a typical session (a CreateDhcpFailover defines
            // about 65): no growth, and no rehash of the index, as they are defined.
            dict: SessionDictionary::with_capacity(SESSION_STRINGS_HINT),
            index: IdIndex::with_capacity(SESSION_STRINGS_HINT),
            cache: IdCache::default(),
            limits: Limits::default(),
            budget_bytes: DEFAULT_SESSION_BUDGET,
        }
    }

    /// Sets the total UTF-8 bytes of session strings this encoder may
    /// define over the connection (0: never use session strings).
    pub fn with_session_budget(mut self, bytes: usize) -> Self {
        self.budget_bytes = bytes;
        self
    }

    /// The session dictionary defined so far.
    pub fn dictionary(&self) -> &SessionDictionary {
        &self.dict
    }

    /// Encodes one envelope payload: StringTable followed by the document.
    /// On error the session dictionary is left unchanged.
    pub fn encode_envelope(&mut self, events: &[XmlEvent]) -> Result<Vec<u8>, Error> {
        let mut envelope = self.envelope();
        encode_events(events, &mut envelope.records)?;
        envelope.finish()
    }

    /// Starts one envelope written call by call from borrowed strings, the same
    /// records [`SessionEncoder::encode_envelope`] writes for the same events.
    /// The session strings it defines are kept only if
    /// [`EnvelopeWriter::finish`] succeeds.
    pub fn envelope(&mut self) -> EnvelopeWriter<'_> {
        let names = SessionNames {
            first_new: self.dict.len(),
            dict: &mut self.dict,
            index: &mut self.index,
            cache: &mut self.cache,
            budget: self.budget_bytes.min(self.limits.max_session_bytes),
            max_strings: self.limits.max_session_strings,
        };
        EnvelopeWriter {
            records: Records::new(names, Vec::with_capacity(1024)),
            done: false,
        }
    }
}

/// One envelope of a [`SessionEncoder`], written call by call (see
/// [`XmlEvent`] for the order the calls must follow). Each call returns the
/// error the same event would give [`SessionEncoder::encode_envelope`];
/// dropped without a successful [`EnvelopeWriter::finish`], it leaves the
/// session dictionary as it was.
pub struct EnvelopeWriter<'e> {
    records: Records<SessionNames<'e>>,
    done: bool,
}

impl EnvelopeWriter<'_> {
    /// Start tag `<prefix:local_name` (`prefix` `""` for none).
    pub fn start_element(&mut self, prefix: &str, local_name: &str) -> Result<(), Error> {
        self.records.start_element(prefix, local_name)
    }

    /// `xmlns:prefix="uri"` (`xmlns="uri"` when `prefix` is empty) on the open start tag.
    pub fn namespace(&mut self, prefix: &str, uri: &str) -> Result<(), Error> {
        self.records.namespace(prefix, uri)
    }

    /// `prefix:local_name="value"` on the open start tag.
    pub fn attribute(&mut self, prefix: &str, local_name: &str, value: &str) -> Result<(), Error> {
        self.records.attribute(prefix, local_name, value)
    }

    /// Character content.
    pub fn text(&mut self, text: &str) -> Result<(), Error> {
        self.records.text(text)
    }

    /// End of the innermost open element.
    pub fn end_element(&mut self) -> Result<(), Error> {
        self.records.end_element()
    }

    /// The envelope payload (StringTable + document); the session strings it
    /// defined stay in the dictionary.
    pub fn finish(mut self) -> Result<Vec<u8>, Error> {
        self.records.finish()?;
        let names = &self.records.names;
        let new = &names.dict.strings()[names.first_new..];
        // Each string: its bytes and a length of at most five.
        let mut table = Vec::with_capacity(new.iter().map(|s| s.len() + 5).sum());
        for s in new {
            write_string(&mut table, s)?;
        }
        let body = &self.records.out;
        let mut out = Vec::with_capacity(table.len() + body.len() + 5);
        let table_len = u32::try_from(table.len())
            .map_err(|_| Error::InvalidEvents("string table too large".into()))?;
        write_mb31(&mut out, table_len);
        out.extend_from_slice(&table);
        out.extend_from_slice(body);
        self.done = true;
        Ok(out)
    }
}

impl Drop for EnvelopeWriter<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.records.names.forget_new();
        }
    }
}

impl std::fmt::Debug for EnvelopeWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvelopeWriter")
            .field("bytes", &self.records.out.len())
            .finish_non_exhaustive()
    }
}

/// The encoder's [`NameTable`]: names not in a dictionary yet become session strings
/// while the budget lasts.
struct SessionNames<'a> {
    dict: &'a mut SessionDictionary,
    index: &'a mut IdIndex,
    cache: &'a mut IdCache,
    /// The dictionary's length before this envelope.
    first_new: usize,
    budget: usize,
    max_strings: usize,
}

impl SessionNames<'_> {
    /// Takes the strings this envelope defined back out of the dictionary.
    fn forget_new(&mut self) {
        for (i, s) in self.dict.strings().iter().enumerate().skip(self.first_new) {
            let id = SessionDictionary::id_at(i);
            if let Ok(entry) = self.index.find_entry(hash(s), |&x| x == id) {
                entry.remove();
            }
        }
        self.dict.truncate(self.first_new);
    }

    /// The static or session id of `s` (`h` its hash), if it has one.
    fn find(&self, h: u64, s: &str) -> Option<u32> {
        find_id(&STATIC_INDEX, &StaticDictionary, h, s)
            .or_else(|| find_id(self.index, &*self.dict, h, s))
    }
}

impl NameTable for SessionNames<'_> {
    fn name_id(&mut self, s: &str) -> Option<u32> {
        if let Some(id) = self.cache.get(s, self.dict) {
            return Some(id);
        }
        let h = hash(s);
        if let Some(id) = self.find(h, s) {
            self.cache.put(s, id);
            return Some(id);
        }
        if s.is_empty()
            || self.dict.byte_len() + s.len() > self.budget
            || self.dict.len() >= self.max_strings
        {
            return None;
        }
        let id = self.dict.next_id();
        self.dict.push(s);
        insert_id(self.index, &*self.dict, h, id);
        self.cache.put(s, id);
        Some(id)
    }

    fn text_id(&mut self, s: &str) -> Option<u32> {
        if let Some(id) = self.cache.get(s, self.dict) {
            return Some(id);
        }
        let id = self.find(hash(s), s)?;
        self.cache.put(s, id);
        Some(id)
    }
}

/// Slots of an [`IdCache`].
const ID_CACHE_SLOTS: usize = 128;

/// The ids an encoder found last, by the address and length of the string it was asked
/// about. The names and namespaces of a SOAP writer are string literals, passed again and
/// again at the same address: a hit costs one compare of the string with the
/// dictionary's, where a miss hashes it and probes two tables. A hit counts only when the
/// dictionary's string for the id is the string asked about, so an address that now holds
/// other text is a miss, never a wrong id.
#[derive(Debug, Clone)]
struct IdCache([(usize, usize, u32); ID_CACHE_SLOTS]);

impl Default for IdCache {
    fn default() -> Self {
        IdCache([(0, 0, 0); ID_CACHE_SLOTS])
    }
}

impl IdCache {
    fn slot(s: &str) -> usize {
        let addr = s.as_ptr() as usize;
        ((addr >> 3) ^ (addr >> 11) ^ s.len()) % ID_CACHE_SLOTS
    }

    /// The id of `s` in `dict`, if `s` was looked up at this address before.
    fn get(&self, s: &str, dict: &SessionDictionary) -> Option<u32> {
        let (addr, len, id) = self.0[Self::slot(s)];
        (addr == s.as_ptr() as usize && len == s.len() && dict.lookup(id) == Some(s)).then_some(id)
    }

    fn put(&mut self, s: &str, id: u32) {
        self.0[Self::slot(s)] = (s.as_ptr() as usize, s.len(), id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `<name>name</name>`.
    fn doc(name: &str) -> Vec<XmlEvent> {
        doc_text(name, name)
    }

    /// `<name>text</name>`.
    fn doc_text(name: &str, text: &str) -> Vec<XmlEvent> {
        vec![
            XmlEvent::start("", name),
            XmlEvent::text(text),
            XmlEvent::EndElement,
        ]
    }

    /// One envelope `<name>text</name>` written call by call from borrowed strings.
    fn borrowed(enc: &mut SessionEncoder, name: &str, text: &str) -> Vec<u8> {
        let mut w = enc.envelope();
        w.start_element("", name).unwrap();
        w.text(text).unwrap();
        w.end_element().unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn a_string_at_an_address_seen_before_is_looked_up_by_its_text() {
        // The same buffer, the same length, other text: the id cache must not answer with
        // the id of what the buffer held before.
        let mut enc = SessionEncoder::new();
        let mut fresh = SessionEncoder::new();
        let mut buf = String::from("Alpha");
        let text = String::from("Alpha");
        for next in ["Gamma", "Alpha", "Omega", "Gamma"] {
            assert_eq!(
                borrowed(&mut enc, &buf, &text),
                fresh.encode_envelope(&doc_text(&buf, &text)).unwrap(),
                "{buf}"
            );
            buf.replace_range(.., next);
        }
        assert_eq!(enc.dictionary().strings(), ["Alpha", "Gamma", "Omega"]);
    }

    #[test]
    fn a_failed_envelope_defines_no_session_string() {
        let mut enc = SessionEncoder::new();
        let first = enc.encode_envelope(&doc("Kept")).unwrap();
        // "Dropped" is added to the dictionary before the document turns out unbalanced.
        let bad = [XmlEvent::start("", "Dropped"), XmlEvent::start("", "Body")];
        assert!(matches!(
            enc.encode_envelope(&bad),
            Err(Error::UnclosedElements { open: 2 })
        ));
        assert_eq!(enc.dictionary().strings(), ["Kept"]);
        let mut fresh = SessionEncoder::new();
        assert_eq!(fresh.encode_envelope(&doc("Kept")).unwrap(), first);
        // The same ids and the same text look-ups as if the failure never happened.
        for name in ["Dropped", "Kept", "Body"] {
            assert_eq!(
                enc.encode_envelope(&doc(name)).unwrap(),
                fresh.encode_envelope(&doc(name)).unwrap(),
                "{name}"
            );
        }
        assert_eq!(enc.dictionary().strings(), ["Kept", "Dropped"]);
    }
}
