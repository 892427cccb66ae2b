//! Input buffer shared by the server and client state machines.

/// Bytes received but not yet consumed. Consumption advances a cursor; the
/// storage is compacted lazily so that pipelined records are not copied once
/// per record.
#[derive(Debug, Default)]
pub(crate) struct InputBuffer {
    bytes: Vec<u8>,
    start: usize,
}

impl InputBuffer {
    /// Unconsumed bytes.
    pub(crate) fn data(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    pub(crate) fn len(&self) -> usize {
        self.bytes.len() - self.start
    }

    pub(crate) fn push(&mut self, data: &[u8]) {
        if self.start == self.bytes.len() {
            self.bytes.clear();
            self.start = 0;
        } else if self.start >= 4096 && self.start * 2 >= self.bytes.len() {
            self.bytes.drain(..self.start);
            self.start = 0;
        }
        self.bytes.extend_from_slice(data);
    }

    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.len());
        self.start += n;
        if self.start == self.bytes.len() {
            self.bytes.clear();
            self.start = 0;
        }
    }

    /// Removes and returns all unconsumed bytes.
    pub(crate) fn take_all(&mut self) -> Vec<u8> {
        let rest = self.data().to_vec();
        self.bytes.clear();
        self.start = 0;
        rest
    }

    /// Drops everything and releases the storage.
    pub(crate) fn clear(&mut self) {
        self.bytes = Vec::new();
        self.start = 0;
    }
}
