//! Record identity: the SHA-256 of a record's canonical line.
//!
//! Every line in the state ref is one record in canonical form, so that two
//! implementations (or two clones) that hold the same record hold the same bytes,
//! and a record's id can be recomputed by anyone from the line alone.

use crate::ids::{IdError, Sha256};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// SHA-256 of a record's canonical bytes; 64 lowercase hex digits on the wire
/// (checked when read, as every `id` of a `--json` row).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordId(Sha256);

impl RecordId {
    /// The id of the record stored as `canonical_line`.
    pub fn of(canonical_line: &[u8]) -> Self {
        RecordId(Sha256::of(canonical_line))
    }

    /// The 32 bytes of the digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// The 64 hex digits.
    pub fn to_hex(self) -> String {
        self.0.to_hex()
    }

    /// The short form shown to people (like git's abbreviated ids).
    pub fn short(self) -> String {
        self.0.short()
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for RecordId {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, IdError> {
        text.parse().map(RecordId)
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
    /// The SHA-256 of `line`.
    pub id: RecordId,
    /// The record in canonical form, without its newline.
    pub line: Vec<u8>,
}

impl RawRecord {
    /// A stored line, with its id computed.
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

    #[test]
    fn serializes_as_hex_and_checks_when_read() {
        let id = RecordId::of(b"abc");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{}\"", id.to_hex()));
        assert_eq!(serde_json::from_str::<RecordId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<RecordId>("\"abc\"").is_err());
    }
}
