//! Sans-I/O .NET Binary XML: [MC-NBFX] records, the [MC-NBFS] static
//! dictionary and [MC-NBFSE] session dictionaries.
//!
//! Documents are sequences of [`XmlEvent`]s. Decode with [`decode`] (MC-NBFS:
//! static dictionary only), [`decode_with`] (any [`Dictionary`]) or a
//! [`SessionDecoder`] (MC-NBFSE envelopes over a connection), or record by
//! record into an [`EventSink`] with borrowed strings ([`decode_into`],
//! [`SessionDecoder::decode_body_into`]); encode with
//! [`encode`] or a [`SessionEncoder`]. [`to_xml`] and [`from_xml`] bridge to
//! XML text.
//!
//! ```
//! let mut dec = nbfx::SessionDecoder::new();
//! // MC-NBFSE §3: StringTable {"action", "Inventory"} + document.
//! let payload = [
//!     0x11, 0x06, b'a', b'c', b't', b'i', b'o', b'n', 0x09, b'I', b'n', b'v', b'e', b'n',
//!     b't', b'o', b'r', b'y', 0x56, 0x02, 0x0B, 0x01, b's', 0x04, 0x56, 0x0E, 0x42, 0x03,
//!     0x81, 0x01, 0x01,
//! ];
//! let xml = nbfx::to_xml(&dec.decode_envelope(&payload)?)?;
//! assert_eq!(
//!     xml,
//!     r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><Inventory>0</Inventory></s:Body></s:Envelope>"#
//! );
//! let mut enc = nbfx::SessionEncoder::new();
//! let bytes = enc.encode_envelope(&nbfx::from_xml(&xml)?)?;
//! assert_eq!(nbfx::to_xml(&nbfx::SessionDecoder::new().decode_envelope(&bytes)?)?, xml);
//! # Ok::<(), nbfx::Error>(())
//! ```

mod dictionary;
mod error;
mod event;
mod limits;
mod reader;
pub mod records;
mod session;
mod sink;
mod static_dict;
mod text;
mod writer;
mod xml;

pub use dictionary::{Dictionary, SessionDictionary, StaticDictionary, static_id, static_string};
pub use error::Error;
pub use event::XmlEvent;
pub use limits::Limits;
pub use session::{
    DEFAULT_SESSION_BUDGET, EnvelopeBody, EnvelopeWriter, SessionDecoder, SessionEncoder,
};
pub use sink::{EventSink, SinkError, Text, replay};
pub use static_dict::STATIC_DICTIONARY;
pub use text::{DateTime, Decimal, TextValue};
pub use xml::{from_xml, to_xml};

/// Decodes an MC-NBFS document (MC-NBFX records, DictionaryStrings from the
/// MC-NBFS static dictionary) with default [`Limits`].
pub fn decode(bytes: &[u8]) -> Result<Vec<XmlEvent>, Error> {
    decode_with(bytes, &StaticDictionary, &Limits::default())
}

/// Decodes an MC-NBFX document resolving DictionaryStrings through `dict`.
pub fn decode_with(
    bytes: &[u8],
    dict: &dyn Dictionary,
    limits: &Limits,
) -> Result<Vec<XmlEvent>, Error> {
    reader::decode_document(bytes, 0, dict, limits)
}

/// Decodes an MC-NBFX document into `sink`, record by record: the events
/// [`decode_with`] returns, in order, with names, namespace URIs, comments and
/// string text borrowed from `bytes` and `dict`. Fails with
/// [`SinkError::Decode`] exactly where [`decode_with`] fails, unless the sink
/// stops first.
pub fn decode_into<'a, S: EventSink<'a>>(
    bytes: &'a [u8],
    dict: &'a dyn Dictionary,
    limits: &Limits,
    sink: &mut S,
) -> Result<(), SinkError<S::Error>> {
    reader::decode_document_into(bytes, 0, dict, limits, sink)
}

/// Encodes events as an MC-NBFS document: names, namespace URIs and text
/// found in the MC-NBFS static dictionary become DictionaryStrings, the rest
/// is written literally. The events must form balanced elements.
pub fn encode(events: &[XmlEvent]) -> Result<Vec<u8>, Error> {
    let mut records = writer::Records::new(writer::StaticNames, Vec::new());
    writer::encode_events(events, &mut records)?;
    Ok(records.out)
}
