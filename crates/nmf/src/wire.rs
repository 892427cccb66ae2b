//! What the server and client state machines share: the receive buffer with
//! its quota, record reading restricted to the types the grammar expects, and
//! the Send Allowed / End sent flags (MC-NMF §3.2.4.3, §3.3.4.3).

use crate::buffer::InputBuffer;
use crate::error::{EncodeError, FramingError};
use crate::limits::Limits;
use crate::records::{self, Record, RecordType, decode_record};

#[derive(Debug)]
pub(crate) struct Wire {
    pub(crate) limits: Limits,
    pub(crate) input: InputBuffer,
    pending_error: Option<FramingError>,
    send_allowed: bool,
    end_sent: bool,
}

impl Wire {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            limits: limits.normalized(),
            input: InputBuffer::default(),
            pending_error: None,
            send_allowed: false,
            end_sent: false,
        }
    }

    /// Appends received bytes. If the unconsumed input would exceed
    /// `max_buffered_bytes`, the bytes are dropped and
    /// [`FramingError::BufferLimitExceeded`] is kept for
    /// [`take_pending_error`](Self::take_pending_error). Ignored while an
    /// error is pending.
    pub(crate) fn receive(&mut self, bytes: &[u8]) {
        if self.pending_error.is_some() {
            return;
        }
        let buffered = self.input.len() + bytes.len();
        if buffered > self.limits.max_buffered_bytes {
            self.pending_error = Some(FramingError::BufferLimitExceeded {
                buffered,
                max: self.limits.max_buffered_bytes,
            });
            return;
        }
        self.input.push(bytes);
    }

    pub(crate) fn take_pending_error(&mut self) -> Option<FramingError> {
        self.pending_error.take()
    }

    /// Decodes and consumes the next record, `None` if more input is needed.
    /// A record type outside `expected` (described by `what`) is refused as
    /// soon as its type octet arrives; a Fault Record is always accepted and
    /// returned as [`FramingError::FaultReceived`].
    pub(crate) fn next_record(
        &mut self,
        expected: &[RecordType],
        what: &'static str,
    ) -> Result<Option<Record>, FramingError> {
        let buf = self.input.data();
        let Some(&first) = buf.first() else {
            return Ok(None);
        };
        let ty = RecordType::from_byte(first).ok_or(FramingError::UnknownRecordType(first))?;
        if ty != RecordType::Fault && !expected.contains(&ty) {
            return Err(FramingError::UnexpectedRecord {
                record: ty,
                expected: what,
            });
        }
        let Some((record, len)) = decode_record(buf, &self.limits)? else {
            return Ok(None);
        };
        self.input.consume(len);
        match record {
            Record::Fault(uri) => Err(FramingError::FaultReceived { uri }),
            record => Ok(Some(record)),
        }
    }

    /// A session starts: sending is allowed, no End Record sent yet.
    pub(crate) fn open(&mut self) {
        self.send_allowed = true;
        self.end_sent = false;
    }

    /// Between sessions: nothing may be sent.
    pub(crate) fn reset(&mut self) {
        self.send_allowed = false;
        self.end_sent = false;
    }

    /// Nothing more will be sent or received; the buffer is released.
    pub(crate) fn close(&mut self) {
        self.send_allowed = false;
        self.input.clear();
    }

    /// Whether our End Record has been sent in this session.
    pub(crate) fn end_sent(&self) -> bool {
        self.end_sent
    }

    /// Frames `payload` as a Sized Envelope Record if sending is allowed.
    pub(crate) fn send_envelope(&self, payload: &[u8]) -> Result<Vec<u8>, EncodeError> {
        self.check_send_allowed()?;
        records::encode_sized_envelope(payload)
    }

    /// The End Record, if sending is allowed; sending is not allowed after it.
    pub(crate) fn end(&mut self) -> Result<Vec<u8>, EncodeError> {
        self.check_send_allowed()?;
        self.send_allowed = false;
        self.end_sent = true;
        Ok(records::encode_end())
    }

    fn check_send_allowed(&self) -> Result<(), EncodeError> {
        if self.send_allowed {
            Ok(())
        } else {
            Err(EncodeError::NotAllowed("session not open for sending"))
        }
    }
}
