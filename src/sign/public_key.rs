//! An ed25519 public key and the names people and tools give it.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use sha2::{Digest, Sha256};

/// An ed25519 public key: its 32-byte encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// securesystemslib's default keyid for an ed25519 key: the SHA-256 of its
    /// canonical JSON key dict, so external verifiers match signatures to keys.
    pub fn keyid(&self) -> String {
        let dict = format!(
            r#"{{"keytype":"ed25519","keyval":{{"public":"{}"}},"scheme":"ed25519"}}"#,
            hex::encode(self.0)
        );
        hex::encode(Sha256::digest(dict.as_bytes()))
    }

    /// The SSH wire-format blob: string "ssh-ed25519", string key.
    pub fn ssh_blob(&self) -> Vec<u8> {
        let mut blob = Vec::with_capacity(51);
        blob.extend_from_slice(&11u32.to_be_bytes());
        blob.extend_from_slice(b"ssh-ed25519");
        blob.extend_from_slice(&32u32.to_be_bytes());
        blob.extend_from_slice(&self.0);
        blob
    }

    /// OpenSSH's `SHA256:` fingerprint, as `ssh-keygen -l` shows it.
    pub fn fingerprint(&self) -> String {
        format!(
            "SHA256:{}",
            STANDARD_NO_PAD.encode(Sha256::digest(self.ssh_blob()))
        )
    }

    /// The `ssh-ed25519 AAAA…` form (no comment).
    pub fn openssh(&self) -> String {
        format!("ssh-ed25519 {}", STANDARD.encode(self.ssh_blob()))
    }

    /// The encoding in hex.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The key as a curve point, if the encoding is one.
    pub fn verifying_key(&self) -> Option<ed25519_dalek::VerifyingKey> {
        ed25519_dalek::VerifyingKey::from_bytes(&self.0).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyid_is_sha256_of_the_securesystemslib_key_dict() {
        let key = PublicKey([0u8; 32]);
        let dict = format!(
            "{{\"keytype\":\"ed25519\",\"keyval\":{{\"public\":\"{}\"}},\"scheme\":\"ed25519\"}}",
            "00".repeat(32)
        );
        assert_eq!(key.keyid(), hex::encode(Sha256::digest(dict)));
    }

    #[test]
    fn openssh_form_round_trips_through_base64() {
        let key = PublicKey([7u8; 32]);
        let line = key.openssh();
        let b64 = line.strip_prefix("ssh-ed25519 ").unwrap();
        assert_eq!(STANDARD.decode(b64).unwrap(), key.ssh_blob());
    }
}
