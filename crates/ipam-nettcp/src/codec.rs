//! Envelope payload ↔ SOAP XML text, per MC-NMF Known Encoding ([MC-NMF] §2.2.3.4.1).
//!
//! * 0x08, SOAP 1.2 binary with in-band dictionary: [MC-NBFSE] StringTable + [MC-NBFX]
//!   document, with one session dictionary per direction, cumulative over the session.
//! * 0x03, SOAP 1.2 UTF-8 text: the XML bytes, possibly behind a byte order mark (Mono
//!   writes one in each envelope).

use nmf::KnownEncoding;

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Client → server direction of one session.
#[derive(Debug)]
pub(crate) enum Inbound {
    Text,
    Binary(Box<nbfx::SessionDecoder>),
}

impl Inbound {
    /// The decoder for a session of `encoding` (the server accepts only 0x03 and 0x08).
    pub(crate) fn new(encoding: KnownEncoding, limits: nbfx::Limits) -> Self {
        match encoding {
            KnownEncoding::Soap12BinarySession => {
                Inbound::Binary(Box::new(nbfx::SessionDecoder::with_limits(limits)))
            }
            _ => Inbound::Text,
        }
    }

    pub(crate) fn is_binary(&self) -> bool {
        matches!(self, Inbound::Binary(_))
    }

    /// The SOAP envelope as XML text bytes.
    pub(crate) fn decode(&mut self, payload: Vec<u8>) -> Result<Vec<u8>, nbfx::Error> {
        match self {
            Inbound::Text => Ok(match payload.strip_prefix(BOM) {
                Some(rest) => rest.to_vec(),
                None => payload,
            }),
            Inbound::Binary(decoder) => {
                let events = decoder.decode_envelope(&payload)?;
                Ok(nbfx::to_xml(&events)?.into_bytes())
            }
        }
    }
}

/// Server → client direction of one session.
#[derive(Debug)]
pub(crate) enum Outbound {
    Text,
    Binary(Box<nbfx::SessionEncoder>),
}

impl Outbound {
    pub(crate) fn new(encoding: KnownEncoding) -> Self {
        match encoding {
            KnownEncoding::Soap12BinarySession => {
                Outbound::Binary(Box::new(nbfx::SessionEncoder::new()))
            }
            _ => Outbound::Text,
        }
    }

    /// The envelope payload for SOAP XML text `xml`.
    pub(crate) fn encode(&mut self, xml: &str) -> Result<Vec<u8>, nbfx::Error> {
        match self {
            Outbound::Text => Ok(xml.as_bytes().to_vec()),
            Outbound::Binary(encoder) => encoder.encode_envelope(&nbfx::from_xml(xml)?),
        }
    }
}
