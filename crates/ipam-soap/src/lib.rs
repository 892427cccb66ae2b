//! MS-IPAMM2 messages, sans-I/O: SOAP 1.2 + WS-Addressing 1.0 envelopes of the
//! `IIpamOperationWithProgress` port type (§3.19, §3.21), DataContract XML of the DHCP
//! failover types (§2.2.4, §7), and `IpamException` faults (§2.2.2.1).
//!
//! Requests are read from a small element tree (namespace URIs, never prefixes; `i:type`
//! QNames resolved against in-scope namespaces), built from XML text with roxmltree or
//! straight from a binary transport's events with a [`TreeBuilder`]; replies are written through an [`XmlSink`]: XML text with quick-xml's `Writer`, or a
//! transport's own event form.
//! Spec gaps and the choices made are listed in `docs/spec-decisions.md` ("Message layer").

// A `Fault` is the error of every decoder by design (it is what goes back on the wire);
// it is built at most once per message, so its size does not matter.
#![allow(clippy::result_large_err)]

mod decode;
mod encode;
mod envelope;
mod fault;
mod limits;
pub mod ns;
mod reader;
mod tree;
mod writer;

pub use envelope::{
    Request, RequestBody, ServerMessage, decode_request, decode_request_document,
    decode_server_message, encode_callback, encode_callback_to, encode_fault, encode_fault_to,
    encode_initialize_request, encode_initialize_response, encode_initialize_response_to,
    encode_keepalive, encode_start_request, encode_start_response, encode_start_response_to,
    to_text,
};
pub use fault::{Fault, FaultCode, QName};
pub use limits::Limits;
pub use reader::Member;
pub use tree::{Document, NotRepresentable, TreeBuilder};
pub use writer::XmlSink;
