//! A patch's identity: git's stable patch id (`git patch-id --stable`), so that
//! the same change exported twice — another signature line, another date,
//! whitespace moved around, files in another order — is the same patch.
//! Decisions recorded before this was so carry the SHA-256 of the patch bytes
//! (64 hex digits); both forms are read.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// How many hex digits people see (the same as every other short id).
const SHORT: usize = crate::ids::SHORT_LEN;

/// A patch id: 40 hex digits (git's stable patch id) or, in older records, 64
/// (the SHA-256 of the patch bytes).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PatchId(String);

/// Why a text is not a patch id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a patch id (40 or 64 lowercase hex digits)")]
pub struct PatchIdError(String);

impl PatchId {
    /// Reads 40 or 64 lowercase hex digits.
    pub fn parse(text: &str) -> Result<Self, PatchIdError> {
        let hex = matches!(text.len(), 40 | 64)
            && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        match hex {
            true => Ok(PatchId(text.to_owned())),
            false => Err(PatchIdError(text.to_owned())),
        }
    }

    /// The id of input git finds no change in (a malformed patch): the SHA-256
    /// of its bytes, so that its refusal is still keyed by what was sent.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        PatchId(crate::ids::Sha256::of(bytes).to_hex())
    }

    /// The full id.
    pub fn to_hex(&self) -> String {
        self.0.clone()
    }

    /// The first 12 hex digits, for people.
    pub fn short(&self) -> String {
        self.0[..SHORT].to_owned()
    }

    /// The digest algorithm of a statement subject naming this id.
    pub fn algorithm(&self) -> &'static str {
        match self.0.len() {
            40 => "gitPatchId",
            _ => "sha256",
        }
    }
}

impl fmt::Display for PatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PatchId({})", self.0)
    }
}

impl Serialize for PatchId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PatchId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        PatchId::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_lengths_are_read_and_nothing_else() {
        assert_eq!(
            PatchId::parse(&"a".repeat(40)).unwrap().algorithm(),
            "gitPatchId"
        );
        assert_eq!(
            PatchId::parse(&"0".repeat(64)).unwrap().algorithm(),
            "sha256"
        );
        for bad in ["", "abc", &"A".repeat(40), &"0".repeat(41)] {
            assert!(PatchId::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(PatchId::of_bytes(b"x").short().len(), 12);
    }
}
