//! Identifiers that records carry: git object ids and SHA-256 digests.
//!
//! Records are signed and shared between clones, so a record read back may hold
//! anything the format allows. These newtypes check their format when they are
//! deserialized (a record with a malformed id is refused as a whole, not
//! discovered later by a panic) and give people a short form ([`CommitId::short`]
//! and friends) that cannot panic, whatever the value.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256 as Sha256Hasher};
use std::fmt;
use std::str::FromStr;

/// How many characters the short form of an id shows (as `git log --oneline`
/// would with a long enough abbreviation).
pub const SHORT_LEN: usize = 12;

/// Why a text is not an id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not {what}")]
pub struct IdError {
    text: String,
    what: &'static str,
}

fn is_lower_hex(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Declares a git object id newtype: 40 lowercase hex digits for SHA-1
/// repositories, 64 for SHA-256 ones.
macro_rules! object_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(gix::ObjectId);

        impl $name {
            /// The git object id.
            pub fn object_id(self) -> gix::ObjectId {
                self.0
            }

            /// The first [`SHORT_LEN`] hex digits, for people.
            pub fn short(&self) -> String {
                let mut hex = self.0.to_string();
                hex.truncate(SHORT_LEN);
                hex
            }
        }

        impl From<gix::ObjectId> for $name {
            fn from(id: gix::ObjectId) -> Self {
                $name(id)
            }
        }

        impl From<$name> for gix::ObjectId {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(text: &str) -> Result<Self, IdError> {
                let bad = || IdError { text: text.to_owned(), what: $what };
                if !matches!(text.len(), 40 | 64) || !is_lower_hex(text) {
                    return Err(bad());
                }
                gix::ObjectId::from_hex(text.as_bytes()).map($name).map_err(|_| bad())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.short())
            }
        }

        impl PartialEq<gix::ObjectId> for $name {
            fn eq(&self, other: &gix::ObjectId) -> bool {
                self.0 == *other
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

object_id!(
    /// The full id of a git commit.
    CommitId,
    "a full commit id (40 or 64 lowercase hex digits)"
);
object_id!(
    /// The full id of a git tree.
    TreeId,
    "a full tree id (40 or 64 lowercase hex digits)"
);

/// A SHA-256 digest, written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256([u8; 32]);

impl Sha256 {
    /// The digest of `bytes`.
    pub fn of(bytes: impl AsRef<[u8]>) -> Self {
        Sha256(Sha256Hasher::digest(bytes.as_ref()).into())
    }

    /// A digest computed elsewhere.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Sha256(bytes)
    }

    /// The 32 bytes of the digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 64 hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The first [`SHORT_LEN`] hex digits, for people.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..SHORT_LEN / 2])
    }
}

impl FromStr for Sha256 {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, IdError> {
        let bad = || IdError {
            text: text.to_owned(),
            what: "a SHA-256 digest (64 lowercase hex digits)",
        };
        if text.len() != 64 || !is_lower_hex(text) {
            return Err(bad());
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| bad())?;
        Ok(Sha256(bytes))
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({})", self.short())
    }
}

impl Serialize for Sha256 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The short form of any text that should be an id: at most [`SHORT_LEN`]
/// characters, cut on a character boundary. For values that are not typed yet
/// (user input echoed back); never panics.
pub fn short(text: &str) -> &str {
    match text.char_indices().nth(SHORT_LEN) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn commit_ids_round_trip_and_shorten() {
        let id: CommitId = COMMIT.parse().unwrap();
        assert_eq!(id.to_string(), COMMIT);
        assert_eq!(id.short(), "0123456789ab");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{COMMIT}\""));
        assert_eq!(serde_json::from_str::<CommitId>(&json).unwrap(), id);
    }

    #[test]
    fn malformed_object_ids_are_refused_when_read() {
        for bad in [
            "",
            "abc",
            &COMMIT.to_uppercase(),
            &format!("{COMMIT}0"),
            "g".repeat(40).as_str(),
        ] {
            assert!(bad.parse::<TreeId>().is_err(), "{bad:?}");
            assert!(serde_json::from_str::<CommitId>(&format!("\"{bad}\"")).is_err());
        }
    }

    #[test]
    fn sha256_is_64_lowercase_hex() {
        let digest = Sha256::of(b"abc");
        assert_eq!(
            digest.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(digest.to_hex().parse::<Sha256>().unwrap(), digest);
        assert_eq!(digest.short(), "ba7816bf8f01");
        assert!("BA7816BF".parse::<Sha256>().is_err());
        assert!(serde_json::from_str::<Sha256>("\"ba78\"").is_err());
    }

    #[test]
    fn short_never_panics() {
        assert_eq!(short(""), "");
        assert_eq!(short("abc"), "abc");
        assert_eq!(short("ééééééééééééééé"), "éééééééééééé");
        assert_eq!(short(COMMIT), "0123456789ab");
    }
}
