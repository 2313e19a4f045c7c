//! ed25519 signature checks, many at a time, grouped by key.
//!
//! `verify` checks every signature of the state, nearly all made by a handful
//! of keys. Checked one by one, a signature costs a double scalar
//! multiplication; in a batch, the cofactored equations of all signatures are
//! summed with random 128-bit weights `z`, and signatures by the same key `A`
//! share one term:
//!
//! ```text
//! [8]( -(Σ z·s)·B + Σ z·R + Σ_A (Σ_{sigs by A} z·k)·A ) == identity
//! ```
//!
//! so a batch of n signatures by m keys is one multiscalar multiplication of
//! n + m + 1 points, where ed25519-dalek's `verify_batch` needs 2n + 1. If any
//! signature is invalid the sum is the identity with probability at most 2⁻¹²⁸
//! (the weights come from the operating system's random source).
//!
//! A single check uses the same cofactored equation, so a signature's verdict
//! does not depend on which batch it falls in. Signing stays with
//! ed25519-dalek; only verification is here, built from curve25519-dalek's
//! public point and scalar arithmetic.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};
use std::collections::HashMap;

/// A public key ready for checks: its encoding (hashed into every challenge)
/// and its point.
#[derive(Clone, Copy, Debug)]
pub struct CheckKey {
    encoded: [u8; 32],
    point: EdwardsPoint,
}

impl CheckKey {
    /// The checks key of a verifying key.
    pub fn new(key: &ed25519_dalek::VerifyingKey) -> CheckKey {
        CheckKey {
            encoded: key.to_bytes(),
            point: key.to_edwards(),
        }
    }

    /// The key's 32-byte encoding.
    pub fn encoded(&self) -> &[u8; 32] {
        &self.encoded
    }
}

/// One signature, with everything about it computed that needs no curve
/// arithmetic: `R` as encoded, `s`, and the challenge `k = SHA-512(R ‖ A ‖ M)`.
/// The message is not kept: `k` is all the checks need of it.
#[derive(Clone, Debug)]
pub struct SignatureCheck {
    r: CompressedEdwardsY,
    /// `None` when `s` is not reduced modulo the group order: always invalid.
    s: Option<Scalar>,
    k: Scalar,
    key: CheckKey,
}

impl SignatureCheck {
    /// `message` is given in parts, hashed in order as if concatenated, so that
    /// a DSSE PAE need not be built in memory.
    pub fn new(signature: &[u8; 64], key: &CheckKey, message: &[&[u8]]) -> SignatureCheck {
        let mut r = [0u8; 32];
        r.copy_from_slice(&signature[..32]);
        let mut s = [0u8; 32];
        s.copy_from_slice(&signature[32..]);
        let mut hasher = Sha512::new();
        hasher.update(r);
        hasher.update(key.encoded);
        for part in message {
            hasher.update(part);
        }
        SignatureCheck {
            r: CompressedEdwardsY(r),
            s: Scalar::from_canonical_bytes(s).into(),
            k: Scalar::from_hash(hasher),
            key: *key,
        }
    }

    /// The key this signature is checked against.
    pub fn key(&self) -> &CheckKey {
        &self.key
    }

    /// Checks this one signature: `[8]([s]B - [k]A - R) == identity`.
    pub fn verify(&self) -> bool {
        let (Some(s), Some(r)) = (self.s, self.r.decompress()) else {
            return false;
        };
        let minus_a = -self.key.point;
        let recomputed = EdwardsPoint::vartime_double_scalar_mul_basepoint(&self.k, &minus_a, &s);
        (recomputed - r).mul_by_cofactor().is_identity()
    }
}

/// Whether every signature holds, checked together. `false` says at least one
/// fails (or the random weights were unavailable); then check one by one to
/// find which.
pub fn verify_batch(checks: &[&SignatureCheck]) -> bool {
    if checks.is_empty() {
        return true;
    }
    let Some(weights) = random_weights(checks.len()) else {
        return false;
    };
    let mut scalars = Vec::with_capacity(checks.len() + 8);
    let mut points = Vec::with_capacity(checks.len() + 8);
    let mut base = Scalar::ZERO;
    let mut per_key: HashMap<[u8; 32], (Scalar, EdwardsPoint)> = HashMap::new();
    for (check, z) in checks.iter().zip(weights) {
        let (Some(s), Some(r)) = (check.s, check.r.decompress()) else {
            return false;
        };
        base -= z * s;
        let term = per_key
            .entry(check.key.encoded)
            .or_insert((Scalar::ZERO, check.key.point));
        term.0 += z * check.k;
        scalars.push(z);
        points.push(r);
    }
    scalars.push(base);
    points.push(ED25519_BASEPOINT_POINT);
    for (scalar, point) in per_key.into_values() {
        scalars.push(scalar);
        points.push(point);
    }
    EdwardsPoint::vartime_multiscalar_mul(&scalars, &points)
        .mul_by_cofactor()
        .is_identity()
}

/// Every check's verdict: one batch, then one by one only if the batch fails.
/// A single check (the pre-push hook's case) skips the batch and its random
/// weights.
pub fn verify_each(checks: &[&SignatureCheck]) -> Vec<bool> {
    if checks.len() > 1 && verify_batch(checks) {
        return vec![true; checks.len()];
    }
    checks.iter().map(|check| check.verify()).collect()
}

/// `count` independent uniformly random scalars below 2¹²⁸.
fn random_weights(count: usize) -> Option<Vec<Scalar>> {
    let mut bytes = vec![0u8; count * 16];
    getrandom::getrandom(&mut bytes).ok()?;
    Some(
        bytes
            .chunks_exact(16)
            .map(|chunk| {
                let mut wide = [0u8; 32];
                wide[..16].copy_from_slice(chunk);
                Scalar::from_bytes_mod_order(wide)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn key(seed: u8) -> (SigningKey, CheckKey) {
        let signing = SigningKey::from_bytes(&[seed; 32]);
        let check = CheckKey::new(&signing.verifying_key());
        (signing, check)
    }

    fn signed(seed: u8, count: usize) -> Vec<SignatureCheck> {
        let (signing, check) = key(seed);
        (0..count)
            .map(|i| {
                let message = format!("message {i} of key {seed}");
                let signature = signing.sign(message.as_bytes()).to_bytes();
                SignatureCheck::new(&signature, &check, &[message.as_bytes()])
            })
            .collect()
    }

    fn refs(checks: &[SignatureCheck]) -> Vec<&SignatureCheck> {
        checks.iter().collect()
    }

    /// RFC 8032, section 7.1, TEST 2: a one-byte message.
    #[test]
    fn accepts_the_rfc_8032_test_vector() {
        let public: [u8; 32] =
            hex::decode("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
                .unwrap()
                .try_into()
                .unwrap();
        let signature: [u8; 64] = hex::decode(concat!(
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da",
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        ))
        .unwrap()
        .try_into()
        .unwrap();
        let key = CheckKey::new(&ed25519_dalek::VerifyingKey::from_bytes(&public).unwrap());
        let good = SignatureCheck::new(&signature, &key, &[&[0x72]]);
        assert!(good.verify());
        assert!(verify_batch(&[&good]));
        let other = SignatureCheck::new(&signature, &key, &[&[0x73]]);
        assert!(!other.verify());
        assert!(!verify_batch(&[&good, &other]));
    }

    #[test]
    fn message_parts_hash_as_their_concatenation() {
        let (signing, check) = key(3);
        let signature = signing.sign(b"DSSEv1 1 t 2 hi").to_bytes();
        let parts: [&[u8]; 3] = [b"DSSEv1 1 t", b" 2 ", b"hi"];
        assert!(SignatureCheck::new(&signature, &check, &parts).verify());
    }

    #[test]
    fn a_batch_of_valid_signatures_by_several_keys_passes() {
        let mut checks = signed(1, 40);
        checks.extend(signed(2, 3));
        checks.extend(signed(9, 1));
        assert!(verify_batch(&refs(&checks)));
        assert!(verify_each(&refs(&checks)).iter().all(|ok| *ok));
        assert!(checks.iter().all(SignatureCheck::verify));
        assert!(verify_batch(&[]));
    }

    #[test]
    fn one_bad_signature_fails_the_batch_and_is_named() {
        let mut checks = signed(1, 20);
        let (signing, _) = key(1);
        let (_, wrong_key) = key(2);
        // Signed by key 1 but checked against key 2.
        let signature = signing.sign(b"moved").to_bytes();
        checks.push(SignatureCheck::new(&signature, &wrong_key, &[b"moved"]));
        let verdicts = verify_each(&refs(&checks));
        assert!(!verify_batch(&refs(&checks)));
        assert_eq!(verdicts.iter().filter(|ok| !**ok).count(), 1);
        assert!(!verdicts[20]);
    }

    #[test]
    fn a_flipped_bit_in_r_or_s_is_caught() {
        let (signing, check) = key(5);
        let signature = signing.sign(b"payload").to_bytes();
        for byte in [0, 31, 32, 40, 63] {
            let mut bad = signature;
            bad[byte] ^= 0x01;
            let bad = SignatureCheck::new(&bad, &check, &[b"payload"]);
            let good = SignatureCheck::new(&signature, &check, &[b"payload"]);
            assert!(!bad.verify(), "byte {byte}");
            assert_eq!(
                verify_each(&[&good, &bad]),
                vec![true, false],
                "byte {byte}"
            );
        }
    }

    #[test]
    fn an_unreduced_s_is_rejected() {
        // s + ℓ satisfies the same equation, but is not the canonical encoding.
        let (signing, check) = key(7);
        let signature = signing.sign(b"m").to_bytes();
        let s = Scalar::from_canonical_bytes(signature[32..].try_into().unwrap()).unwrap();
        let ell = hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
            .unwrap();
        let mut sum = [0u8; 32];
        let mut carry = 0u16;
        for i in 0..32 {
            let total = s.as_bytes()[i] as u16 + ell[i] as u16 + carry;
            sum[i] = total as u8;
            carry = total >> 8;
        }
        assert_eq!(carry, 0, "s + ℓ < 2²⁵³ fits in 32 bytes");
        let mut unreduced = signature;
        unreduced[32..].copy_from_slice(&sum);
        let check = SignatureCheck::new(&unreduced, &check, &[b"m"]);
        assert!(!check.verify());
        assert!(!verify_batch(&[&check]));
    }
}
