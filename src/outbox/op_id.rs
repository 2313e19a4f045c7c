//! The op id: the first 16 hex digits of an operation's content digest. It
//! keys the operation's records and travels into everything it creates
//! (`<!-- auditops:op=<op id> -->`).

use crate::ids::Sha256;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::str::FromStr;

/// Hex digits of an op id: 64 bits, plenty for one repository's outbox.
const HEX_DIGITS: usize = 16;

/// The id of an outbox operation; 16 lowercase hex digits, checked when read.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct OpId(String);

/// Text that is not an op id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an op id (16 lowercase hex digits)")]
pub struct OpIdError(String);

impl OpId {
    /// The op id a content digest implies.
    pub fn of(content: &Sha256) -> Self {
        OpId(content.to_hex()[..HEX_DIGITS].to_owned())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The marker put in the body of everything the operation creates.
    pub fn marker(&self) -> String {
        format!("<!-- auditops:op={} -->", self.0)
    }
}

impl FromStr for OpId {
    type Err = OpIdError;

    fn from_str(text: &str) -> Result<Self, OpIdError> {
        let ok = text.len() == HEX_DIGITS
            && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        match ok {
            true => Ok(OpId(text.to_owned())),
            false => Err(OpIdError(text.to_owned())),
        }
    }
}

impl<'de> Deserialize<'de> for OpId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl std::borrow::Borrow<str> for OpId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<OpId> for String {
    fn from(id: OpId) -> String {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_ids_are_checked() {
        assert!("0123456789abcdef".parse::<OpId>().is_ok());
        for bad in [
            "",
            "abcd",
            "0123456789ABCDEF",
            "0123456789abcdeg",
            "0123456789abcdef0",
        ] {
            assert!(bad.parse::<OpId>().is_err(), "{bad}");
        }
        let id = OpId::of(&Sha256::of(b"x"));
        assert_eq!(id.as_str().len(), 16);
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{id}\""));
    }
}
