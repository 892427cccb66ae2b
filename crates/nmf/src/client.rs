//! Initiator (client) state machine, MC-NMF §3.2, Duplex mode only.
//!
//! Meant for tests and load generators that speak the wire like a WCF
//! NetTcpBinding client with SecurityMode.None: preamble without upgrades,
//! Sized Envelopes both ways, End.

use crate::error::{EncodeError, FramingError};
use crate::limits::Limits;
use crate::records::{self, KnownEncoding, Mode, Record, RecordType};
use crate::wire::Wire;

/// Something the server sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// Preamble Ack Record (§3.1.4.10): the server accepted the preamble.
    PreambleAck,
    /// One Sized Envelope payload from the server.
    Envelope(Vec<u8>),
    /// The server's End Record.
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    AwaitingAck,
    Open,
    EndReceived,
    Finished,
}

/// Sans-I/O client side of one MC-NMF Duplex connection. A Fault Record
/// from the server is reported as [`FramingError::FaultReceived`].
#[derive(Debug)]
pub struct ClientConnection {
    wire: Wire,
    state: State,
}

impl ClientConnection {
    /// A connection that has not sent its preamble yet.
    pub fn new(limits: Limits) -> Self {
        Self {
            wire: Wire::new(limits),
            state: State::Idle,
        }
    }

    /// Starts a Duplex session (§3.2.4.2): returns the Preamble Message and
    /// the Preamble End Record to send. Like WCF, envelopes may be sent
    /// right away (pipelined) without waiting for the Preamble Ack.
    pub fn start(&mut self, via: &str, encoding: KnownEncoding) -> Result<Vec<u8>, EncodeError> {
        if self.state != State::Idle {
            return Err(EncodeError::NotAllowed("a session is already in progress"));
        }
        let mut out = records::encode_preamble(via, Mode::Duplex, encoding)?;
        out.extend_from_slice(&records::encode_preamble_end());
        self.state = State::AwaitingAck;
        self.wire.open();
        Ok(out)
    }

    /// Frames a request as a Sized Envelope Record (§3.2.4.3.2).
    pub fn send_envelope(&mut self, payload: &[u8]) -> Result<Vec<u8>, EncodeError> {
        self.wire.send_envelope(payload)
    }

    /// Returns the End Record to send (§3.2.4.5).
    pub fn end(&mut self) -> Result<Vec<u8>, EncodeError> {
        let end = self.wire.end()?;
        if self.state == State::EndReceived {
            self.state = State::Idle;
        }
        Ok(end)
    }

    /// Appends bytes received from the server.
    pub fn receive(&mut self, bytes: &[u8]) {
        if self.state != State::Finished {
            self.wire.receive(bytes);
        }
    }

    /// Next event, `None` if more input is needed, or an error after which
    /// the connection is finished.
    pub fn poll_event(&mut self) -> Option<Result<ClientEvent, FramingError>> {
        if let Some(err) = self.wire.take_pending_error() {
            self.finish();
            return Some(Err(err));
        }
        match self.step() {
            Ok(event) => event.map(Ok),
            Err(err) => {
                self.finish();
                Some(Err(err))
            }
        }
    }

    /// True after an error: nothing more will be produced.
    pub fn is_finished(&self) -> bool {
        self.state == State::Finished
    }

    fn finish(&mut self) {
        self.state = State::Finished;
        self.wire.close();
    }

    fn step(&mut self) -> Result<Option<ClientEvent>, FramingError> {
        let (expected, what): (&[RecordType], &'static str) = match self.state {
            State::AwaitingAck => (&[RecordType::PreambleAck], "Preamble Ack"),
            State::Open => (
                &[RecordType::SizedEnvelope, RecordType::End],
                "Sized Envelope or End",
            ),
            State::Idle | State::EndReceived => (&[], "nothing"),
            State::Finished => return Ok(None),
        };
        let Some(record) = self.wire.next_record(expected, what)? else {
            return Ok(None);
        };
        Ok(Some(match record {
            Record::PreambleAck => {
                self.state = State::Open;
                ClientEvent::PreambleAck
            }
            Record::SizedEnvelope(payload) => ClientEvent::Envelope(payload),
            Record::End => {
                self.state = if self.wire.end_sent() {
                    State::Idle
                } else {
                    State::EndReceived
                };
                ClientEvent::End
            }
            other => {
                return Err(FramingError::UnexpectedRecord {
                    record: other.record_type(),
                    expected: what,
                });
            }
        }))
    }
}

impl Default for ClientConnection {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}
