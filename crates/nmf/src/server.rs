//! Receiver (server) state machine, MC-NMF §3.3 over MS-NMFTB.
//!
//! Supported: Duplex mode (§3.1.1.1.2), which is what NetTcpBinding uses in
//! buffered transfer mode, with Known Encodings 0x03 (SOAP 1.2 UTF-8 text)
//! and 0x08 (SOAP 1.2 binary with in-band dictionary). Everything else is
//! refused with the fault WCF sends:
//!
//! * Simplex and Singleton-Sized: `UnsupportedMode` (MS-NMFTB §3.1.1 forbids
//!   them for net.tcp; notes <3>, <4>).
//! * Singleton-Unsized (NetTcpBinding streamed transfer): `UnsupportedMode`
//!   as well; streaming is not implemented.
//! * Other Known Encodings and all Extensible Encodings: `ContentTypeInvalid`.
//!
//! Upgrades (§3.1.4.7) are surfaced as [`Event::UpgradeRequested`]; the
//! caller refuses ([`ServerConnection::refuse_upgrade`], `UpgradeInvalid`) or
//! accepts ([`ServerConnection::accept_upgrade`]).
//!
//! After both sides have sent an End Record the connection accepts a new
//! preamble (§3.1.1.2 `ProtocolStream-a = 1*(...)`, MS-NMFTB §3.3.6.1), which
//! is how WCF reuses pooled connections.

use crate::error::{EncodeError, FramingError};
use crate::fault::FramingFault;
use crate::limits::Limits;
use crate::records::{self, KnownEncoding, Mode, Record, RecordType, Version};
use crate::wire::Wire;

/// The session properties announced by a completed preamble (§2.2.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preamble {
    /// Framing version (major 1).
    pub version: Version,
    /// Communication mode (always [`Mode::Duplex`] for this server).
    pub mode: Mode,
    /// The Via URI the client addressed, e.g. `net.tcp://host:port/path`.
    pub via: String,
    /// Envelope encoding of all subsequent envelopes.
    pub encoding: KnownEncoding,
}

/// Something the server must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The Preamble End Record arrived. Look up the Via, then call
    /// [`ServerConnection::accept_preamble`] (send Preamble Ack) or
    /// [`ServerConnection::fault`] (e.g. `EndpointNotFound`). No further
    /// events are produced until one of them is called.
    PreambleComplete(Preamble),
    /// An Upgrade Request Record arrived. Call
    /// [`ServerConnection::refuse_upgrade`] or
    /// [`ServerConnection::accept_upgrade`]; no further events until then.
    UpgradeRequested {
        /// Upgrade protocol name, e.g. `application/negotiate`.
        content_type: String,
    },
    /// One complete Sized Envelope payload (opaque, in the session encoding).
    Envelope(Vec<u8>),
    /// The client sent its End Record (§3.1.4.13). Finish pending replies,
    /// then call [`ServerConnection::end`] and send the result.
    End,
}

/// Result of accepting an upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeAccepted {
    /// Upgrade Response Record to send (§2.2.3.6).
    pub response: Vec<u8>,
    /// Bytes received after the Upgrade Request Record. They belong to the
    /// upgraded protocol (e.g. the first MS-NNS handshake frame, which WCF
    /// pipelines). Feed the decrypted stream back through
    /// [`ServerConnection::receive`]; the next record expected there is
    /// another Upgrade Request or the Preamble End.
    pub upgraded_bytes: Vec<u8>,
}

#[derive(Debug)]
enum State {
    Version,
    Mode(Version),
    Via(Version, Mode),
    Encoding(Version, Mode, String),
    UpgradeOrPreambleEnd(Preamble),
    UpgradeDecision(Preamble),
    PreambleDecision(Preamble),
    Envelopes,
    EndReceived,
    Finished,
}

enum Step {
    Event(Event),
    Progress,
    Idle,
}

/// Sans-I/O server side of one MC-NMF connection.
///
/// Feed received bytes with [`receive`](Self::receive), drain events with
/// [`poll_event`](Self::poll_event), and write the bytes returned by the
/// action methods. Once `poll_event` yields an error, or after
/// [`fault`](Self::fault), the connection is finished.
#[derive(Debug)]
pub struct ServerConnection {
    wire: Wire,
    state: State,
    session: Option<Preamble>,
}

impl ServerConnection {
    /// A connection awaiting a Version Record. `limits` are normalized
    /// (see [`Limits::normalized`]).
    pub fn new(limits: Limits) -> Self {
        Self {
            wire: Wire::new(limits),
            state: State::Version,
            session: None,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.wire.limits
    }

    /// Appends received bytes. They are parsed by [`poll_event`](Self::poll_event).
    /// If the unconsumed input would exceed `max_buffered_bytes`, the bytes
    /// are dropped and the next `poll_event` reports
    /// [`FramingError::BufferLimitExceeded`]. Ignored once finished.
    pub fn receive(&mut self, bytes: &[u8]) {
        if !self.is_finished() {
            self.wire.receive(bytes);
        }
    }

    /// Next event, `None` if more input (or a decision) is needed, or an
    /// error after which the connection is finished. Send
    /// `encode_fault(f)` for `err.fault() == Some(f)`, then close.
    pub fn poll_event(&mut self) -> Option<Result<Event, FramingError>> {
        if let Some(err) = self.wire.take_pending_error() {
            self.finish();
            return Some(Err(err));
        }
        loop {
            match self.step() {
                Ok(Step::Event(event)) => return Some(Ok(event)),
                Ok(Step::Progress) => continue,
                Ok(Step::Idle) => return None,
                Err(err) => {
                    self.finish();
                    return Some(Err(err));
                }
            }
        }
    }

    /// Answers [`Event::PreambleComplete`]: returns the Preamble Ack Record
    /// to send (§3.1.4.9) and starts delivering envelopes.
    pub fn accept_preamble(&mut self) -> Result<Vec<u8>, EncodeError> {
        let preamble = match self.take_state() {
            State::PreambleDecision(preamble) => preamble,
            other => {
                self.state = other;
                return Err(EncodeError::NotAllowed("no preamble awaiting a decision"));
            }
        };
        self.session = Some(preamble);
        self.state = State::Envelopes;
        self.wire.open();
        Ok(records::encode_preamble_ack())
    }

    /// Answers [`Event::UpgradeRequested`] with an `UpgradeInvalid` Fault
    /// Record (§3.1.4.7) and finishes the connection.
    pub fn refuse_upgrade(&mut self) -> Result<Vec<u8>, EncodeError> {
        if !matches!(self.state, State::UpgradeDecision(_)) {
            return Err(EncodeError::NotAllowed(
                "no upgrade request awaiting a decision",
            ));
        }
        Ok(self.fault(FramingFault::UpgradeInvalid))
    }

    /// Answers [`Event::UpgradeRequested`] by agreeing to upgrade (§3.1.4.7).
    pub fn accept_upgrade(&mut self) -> Result<UpgradeAccepted, EncodeError> {
        let preamble = match self.take_state() {
            State::UpgradeDecision(preamble) => preamble,
            other => {
                self.state = other;
                return Err(EncodeError::NotAllowed(
                    "no upgrade request awaiting a decision",
                ));
            }
        };
        self.state = State::UpgradeOrPreambleEnd(preamble);
        Ok(UpgradeAccepted {
            response: records::encode_upgrade_response(),
            upgraded_bytes: self.wire.input.take_all(),
        })
    }

    /// Frames a reply payload as a Sized Envelope Record (§3.3.4.3). Allowed
    /// after [`accept_preamble`](Self::accept_preamble) and before
    /// [`end`](Self::end).
    pub fn send_envelope(&mut self, payload: &[u8]) -> Result<Vec<u8>, EncodeError> {
        self.wire.send_envelope(payload)
    }

    /// Returns the End Record to send (§3.3.4.5). Once the client's End has
    /// also been received, the connection waits for a new preamble.
    pub fn end(&mut self) -> Result<Vec<u8>, EncodeError> {
        let end = self.wire.end()?;
        if matches!(self.state, State::EndReceived) {
            self.reset_session();
        }
        Ok(end)
    }

    /// Returns a Fault Record for `fault` and finishes the connection. Use it
    /// to reject a preamble (`EndpointNotFound`, `ServerTooBusy`, ...).
    pub fn fault(&mut self, fault: FramingFault) -> Vec<u8> {
        self.finish();
        records::encode_fault(fault)
    }

    /// The properties of the current session, once its preamble is accepted.
    pub fn session(&self) -> Option<&Preamble> {
        self.session.as_ref()
    }

    /// True after an error or a fault: nothing more will be produced.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Finished)
    }

    /// True between sessions: no preamble byte of the next session received.
    /// A caller may close an idle connection here without losing data.
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Version) && self.wire.input.len() == 0
    }

    /// Number of received bytes not yet consumed.
    pub fn buffered_len(&self) -> usize {
        self.wire.input.len()
    }

    fn take_state(&mut self) -> State {
        std::mem::replace(&mut self.state, State::Finished)
    }

    fn finish(&mut self) {
        self.state = State::Finished;
        self.wire.close();
    }

    fn reset_session(&mut self) {
        self.state = State::Version;
        self.session = None;
        self.wire.reset();
    }

    fn step(&mut self) -> Result<Step, FramingError> {
        let (expected, what): (&[RecordType], &'static str) = match &self.state {
            State::Version => (&[RecordType::Version], "Version"),
            State::Mode(_) => (&[RecordType::Mode], "Mode"),
            State::Via(..) => (&[RecordType::Via], "Via"),
            State::Encoding(..) => (
                &[RecordType::KnownEncoding, RecordType::ExtensibleEncoding],
                "Known or Extensible Encoding",
            ),
            State::UpgradeOrPreambleEnd(_) => (
                &[RecordType::UpgradeRequest, RecordType::PreambleEnd],
                "Upgrade Request or Preamble End",
            ),
            State::Envelopes => (
                &[RecordType::SizedEnvelope, RecordType::End],
                "Sized Envelope or End",
            ),
            // Waiting for the caller (a decision, or our own End before a new
            // session may start), or done.
            State::UpgradeDecision(_)
            | State::PreambleDecision(_)
            | State::EndReceived
            | State::Finished => return Ok(Step::Idle),
        };
        match self.wire.next_record(expected, what)? {
            Some(record) => self.apply(record),
            None => Ok(Step::Idle),
        }
    }

    fn apply(&mut self, record: Record) -> Result<Step, FramingError> {
        let state = self.take_state();
        let (next, step) = match (state, record) {
            (State::Version, Record::Version(version)) => {
                // MC-NMF §3.1.4.3; like WCF (§6 note <3>) the minor version
                // is not checked when the major version is 1.
                if version.major != 1 {
                    return Err(FramingError::UnsupportedVersion {
                        major: version.major,
                        minor: version.minor,
                    });
                }
                (State::Mode(version), Step::Progress)
            }
            (State::Mode(version), Record::Mode(mode)) => {
                if mode != Mode::Duplex {
                    return Err(FramingError::UnsupportedMode { mode: mode as u8 });
                }
                (State::Via(version, mode), Step::Progress)
            }
            (State::Via(version, mode), Record::Via(via)) => {
                (State::Encoding(version, mode, via), Step::Progress)
            }
            (State::Encoding(version, mode, via), Record::KnownEncoding(encoding)) => {
                if !matches!(
                    encoding,
                    KnownEncoding::Soap12Utf8 | KnownEncoding::Soap12BinarySession
                ) {
                    return Err(FramingError::UnsupportedEncoding {
                        encoding: encoding as u8,
                    });
                }
                let preamble = Preamble {
                    version,
                    mode,
                    via,
                    encoding,
                };
                (State::UpgradeOrPreambleEnd(preamble), Step::Progress)
            }
            (State::Encoding(..), Record::ExtensibleEncoding(content_type)) => {
                return Err(FramingError::UnsupportedContentType { content_type });
            }
            (State::UpgradeOrPreambleEnd(preamble), Record::UpgradeRequest(content_type)) => (
                State::UpgradeDecision(preamble),
                Step::Event(Event::UpgradeRequested { content_type }),
            ),
            (State::UpgradeOrPreambleEnd(preamble), Record::PreambleEnd) => (
                State::PreambleDecision(preamble.clone()),
                Step::Event(Event::PreambleComplete(preamble)),
            ),
            (State::Envelopes, Record::SizedEnvelope(payload)) => {
                (State::Envelopes, Step::Event(Event::Envelope(payload)))
            }
            (State::Envelopes, Record::End) => {
                if self.wire.end_sent() {
                    self.reset_session();
                    (State::Version, Step::Event(Event::End))
                } else {
                    (State::EndReceived, Step::Event(Event::End))
                }
            }
            (_, record) => {
                // step() only decodes record types the state expects.
                return Err(FramingError::UnexpectedRecord {
                    record: record.record_type(),
                    expected: "a record valid in this state",
                });
            }
        };
        self.state = next;
        Ok(step)
    }
}

impl Default for ServerConnection {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}
