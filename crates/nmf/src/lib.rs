//! Sans-I/O implementation of the .NET Message Framing Protocol [MC-NMF] as
//! used by the net.tcp binding [MS-NMFTB].
//!
//! Bytes go in, records and events come out; the caller owns the socket.
//! Envelope payloads are opaque (SOAP encoding is another crate's job).
//!
//! * [`varint`]: record size encoding (MC-NMF §2.2.2).
//! * [`records`]: the record codec (§2.2.1–§2.2.6) and encoders.
//! * [`ServerConnection`]: the receiver state machine (§3.3), Duplex mode.
//! * [`ClientConnection`]: a Duplex initiator (§3.2) for tests and load
//!   generators.
//! * [`FramingFault`]: the Fault Record values (§2.2.5).
//! * [`Limits`]: receive quotas (§5.1).
//!
//! Mode support: Duplex only. Singleton-Unsized, Simplex and Singleton-Sized
//! are refused with `UnsupportedMode`; encodings other than Known Encoding
//! 0x03 and 0x08 with `ContentTypeInvalid` (see [`server`]). The Via is
//! delivered as-is; mapping it to an endpoint is the caller's job.
//!
//! Fuzzing: `cd crates/nmf/fuzz && cargo +nightly fuzz run server_read corpus seeds`.
//!
//! # Server loop
//!
//! ```
//! use nmf::{Event, Limits, ServerConnection, encode_fault};
//!
//! let mut conn = ServerConnection::new(Limits::default());
//! let mut out = Vec::new(); // stands in for the socket's write half
//! // A client's first TCP segment: preamble + first envelope, pipelined.
//! let mut client = nmf::ClientConnection::default();
//! let mut segment = client.start("net.tcp://host/Ipam", nmf::KnownEncoding::Soap12BinarySession).unwrap();
//! segment.extend(client.send_envelope(b"request").unwrap());
//!
//! conn.receive(&segment);
//! while let Some(event) = conn.poll_event() {
//!     match event {
//!         Ok(Event::PreambleComplete(p)) => {
//!             if p.via.ends_with("/Ipam") {
//!                 out.extend(conn.accept_preamble().unwrap());
//!             } else {
//!                 out.extend(conn.fault(nmf::FramingFault::EndpointNotFound));
//!                 break; // then close the socket
//!             }
//!         }
//!         Ok(Event::UpgradeRequested { .. }) => {
//!             out.extend(conn.refuse_upgrade().unwrap());
//!             break; // then close the socket
//!         }
//!         Ok(Event::Envelope(payload)) => {
//!             let reply = payload; // decode, dispatch, encode ...
//!             out.extend(conn.send_envelope(&reply).unwrap());
//!         }
//!         Ok(Event::End) => out.extend(conn.end().unwrap()),
//!         Err(err) => {
//!             if let Some(fault) = err.fault() {
//!                 out.extend(encode_fault(fault));
//!             }
//!             break; // then close the socket
//!         }
//!     }
//! }
//! assert_eq!(out, [&[0x0b, 0x06, 0x07][..], b"request"].concat());
//! ```

mod buffer;
pub mod client;
pub mod error;
pub mod fault;
pub mod limits;
pub mod records;
pub mod server;
pub mod varint;
mod wire;

pub use client::{ClientConnection, ClientEvent};
pub use error::{EncodeError, FramingError};
pub use fault::{FAULT_NAMESPACE, FramingFault};
pub use limits::Limits;
pub use records::{
    KnownEncoding, Mode, Record, RecordType, Version, decode_record, encode_end, encode_fault,
    encode_preamble, encode_preamble_ack, encode_preamble_end, encode_sized_envelope,
    encode_upgrade_request, encode_upgrade_response,
};
pub use server::{Event, Preamble, ServerConnection, UpgradeAccepted};
