//! Key types and key blobs: which tokens are key types (that is also how a
//! line tells its options field from its key), and the check that a decoded
//! blob really is the key its line says it is. Kept apart from the line
//! syntax because it is about SSH wire format, not about the file format.

use super::{AllowedSigner, LineError};

/// Key types OpenSSH can read from a public key line. Anything else in the key
/// position is treated as the options field, exactly as OpenSSH does.
const KEY_TYPES: &[&str] = &[
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-dss",
    "ssh-ed25519-cert-v01@openssh.com",
    "ssh-rsa-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ssh-dss-cert-v01@openssh.com",
];

const ED25519: &str = "ssh-ed25519";

impl AllowedSigner {
    /// The raw 32-byte ed25519 public key, when this line is a plain
    /// `ssh-ed25519` key: the blob is exactly u32-BE length + `"ssh-ed25519"` +
    /// u32-BE length 32 + 32 bytes, and its embedded type equals `key_type`.
    ///
    /// Returns `None` for `cert-authority` lines even when the key is ed25519:
    /// OpenSSH only accepts such a key as the issuer of a certificate, never as
    /// a direct signer, and handing it out here would make the obvious
    /// "compare the signing key" check trust it directly.
    #[must_use]
    pub fn ed25519_public_key(&self) -> Option<[u8; 32]> {
        if self.cert_authority || self.key_type != ED25519 {
            return None;
        }
        ed25519_from_blob(&self.key_blob)
    }
}

pub(super) fn is_key_type(token: &str) -> bool {
    KEY_TYPES.contains(&token)
}

/// Read one SSH wire-format `string` (u32-BE length + bytes).
fn read_string(buf: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = buf.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
    if rest.len() < len {
        return None;
    }
    Some(rest.split_at(len))
}

fn ed25519_from_blob(blob: &[u8]) -> Option<[u8; 32]> {
    let (name, rest) = read_string(blob)?;
    if name != ED25519.as_bytes() {
        return None;
    }
    let (key, rest) = read_string(rest)?;
    if !rest.is_empty() {
        return None;
    }
    key.try_into().ok()
}

/// The key type field is just a label; the blob carries its own type, and a
/// line where the two disagree is corrupt (or an attempt to smuggle one key in
/// under another's name). Only ed25519 is checked in depth: it is the only type
/// we verify with, and a malformed one must not silently become "no key".
pub(super) fn check_blob(key_type: &str, blob: &[u8]) -> Result<(), LineError> {
    let (embedded, _) = read_string(blob).ok_or(LineError::BlobTooShort)?;
    if embedded != key_type.as_bytes() {
        return Err(LineError::BlobTypeMismatch {
            embedded: String::from_utf8_lossy(embedded).into_owned(),
            key_type: key_type.to_owned(),
        });
    }
    if key_type == ED25519 && ed25519_from_blob(blob).is_none() {
        return Err(LineError::MalformedEd25519);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    #[test]
    fn cert_authority_key_is_not_a_direct_signer() {
        let ca = one(&format!("*@example.com cert-authority ssh-ed25519 {K1}"));
        assert!(ca.cert_authority);
        assert_eq!(ca.ed25519_public_key(), None);
    }

    #[test]
    fn other_valid_key_types_parse() {
        let mut sk = Vec::new();
        wire_string(&mut sk, b"sk-ssh-ed25519@openssh.com");
        wire_string(&mut sk, &[7; 32]);
        wire_string(&mut sk, b"ssh:");
        let s = one(&format!(
            "alice sk-ssh-ed25519@openssh.com {}",
            STANDARD.encode(&sk)
        ));
        assert_eq!(s.key_type, "sk-ssh-ed25519@openssh.com");
        assert_eq!(s.ed25519_public_key(), None);

        let mut cert = Vec::new();
        wire_string(&mut cert, b"ssh-ed25519-cert-v01@openssh.com");
        wire_string(&mut cert, &[1; 32]);
        let s = one(&format!(
            "alice ssh-ed25519-cert-v01@openssh.com {}",
            STANDARD.encode(&cert)
        ));
        assert_eq!(s.ed25519_public_key(), None);
    }

    #[test]
    fn hand_built_blob_mismatch_is_not_ed25519() {
        let mut s = one(&format!("alice ssh-ed25519 {K1}"));
        s.key_type = "ssh-rsa".to_owned();
        assert_eq!(s.ed25519_public_key(), None);
        s.key_type = "ssh-ed25519".to_owned();
        s.key_blob.push(0);
        assert_eq!(s.ed25519_public_key(), None);
    }

    #[test]
    fn error_blob_type_mismatch() {
        err_at(
            &format!("alice ssh-ed25519 {K1}\n\nbob ssh-rsa {K2}"),
            3,
            "\"ssh-ed25519\" but the line says \"ssh-rsa\"",
        );
        err_at(&format!("alice ssh-ed25519 {RSA}"), 1, "but the line says");
        err_at(
            &format!("alice ssh-ed25519 {}", STANDARD.encode([0, 0, 0, 11, b's'])),
            1,
            "too short",
        );
        err_at(
            &format!("alice ssh-ed25519 {}", STANDARD.encode([0xff; 8])),
            1,
            "too short",
        );
    }

    #[test]
    fn error_malformed_ed25519_blob() {
        let mut short = Vec::new();
        wire_string(&mut short, b"ssh-ed25519");
        wire_string(&mut short, &[1; 31]);
        err_at(
            &format!("alice ssh-ed25519 {}", STANDARD.encode(&short)),
            1,
            "malformed ssh-ed25519",
        );
        let mut trailing = Vec::new();
        wire_string(&mut trailing, b"ssh-ed25519");
        wire_string(&mut trailing, &[1; 32]);
        trailing.push(0);
        err_at(
            &format!("alice ssh-ed25519 {}", STANDARD.encode(&trailing)),
            1,
            "malformed ssh-ed25519",
        );
    }
}
