//! Signing and trust: OpenSSH ed25519 keys, DSSE envelopes carrying in-toto
//! statements, and allowed_signers lists.

pub mod allowed_signers;
pub(crate) mod batch;
pub mod dsse;
pub mod env_key;
mod error;
pub mod floor;
pub mod key;
pub mod open;
mod public_key;
pub mod statement;
pub mod trust;

pub use dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE, pae};
pub use env_key::SIGNING_KEY_ENV;
pub use error::SignError;
pub use key::{KeySource, SigningKey};
pub use open::{OpenError, Opened, open};
pub use public_key::PublicKey;
pub use statement::{Statement, Subject};
pub use trust::{SignatureStatus, TrustSet};

use crate::canonical::canonical_json;

/// The stored form of a statement: a DSSE envelope in canonical JSON, signed
/// when a key is given (unsigned records are allowed by `require_signed = false`).
pub fn seal(statement: &Statement, key: Option<&SigningKey>) -> Vec<u8> {
    let payload = canonical_json(statement);
    let mut envelope = Envelope::new(IN_TOTO_PAYLOAD_TYPE, &payload);
    if let Some(key) = key {
        let signature = key.sign(&pae(IN_TOTO_PAYLOAD_TYPE, &payload));
        envelope.add_signature(key.public.keyid(), &signature);
    }
    canonical_json(&envelope)
}
