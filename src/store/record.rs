//! Record identity: the SHA-256 of a record's canonical line.
//!
//! Every line in the state ref is one record in canonical form, so that two
//! implementations (or two clones) that hold the same record hold the same bytes,
//! and a record's id can be recomputed by anyone from the line alone.

use sha2::{Digest, Sha256};
use std::fmt;

/// SHA-256 of a record's canonical bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId([u8; 32]);

impl RecordId {
    pub fn of(canonical_line: &[u8]) -> Self {
        RecordId(Sha256::digest(canonical_line).into())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }

    /// The short form shown to people (like git's abbreviated ids).
    pub fn short(self) -> String {
        hex::encode(&self.0[..6])
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordId({})", self.short())
    }
}

/// One stored line and its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRecord {
    pub id: RecordId,
    pub line: Vec<u8>,
}

impl RawRecord {
    pub fn new(line: Vec<u8>) -> Self {
        RawRecord {
            id: RecordId::of(&line),
            line,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_is_sha256_of_the_line() {
        assert_eq!(
            RecordId::of(b"abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
