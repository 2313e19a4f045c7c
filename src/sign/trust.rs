//! Trust: which keys may sign auditops records.
//!
//! The list is an allowed_signers file in git's format. By default it is read as
//! committed at HEAD (never from the working tree or the state ref, which anyone
//! with push access to the state could edit); a reviewer may bring their own list.

use super::allowed_signers::{self, AllowedSigner};
use super::dsse::Envelope;
use super::error::SignError;
use super::public_key::PublicKey;
use ed25519_dalek::Verifier;
use std::collections::HashMap;
use std::path::Path;

/// The namespace our signatures are made in. A key line with a `namespaces=`
/// option is trusted only if it lists this one.
pub const NAMESPACE: &str = "auditops";

/// A key trusted to sign, and who it belongs to.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    pub public: PublicKey,
    pub keyid: String,
    pub verifying: ed25519_dalek::VerifyingKey,
    pub signer: AllowedSigner,
}

/// The keys trusted for this run, by keyid.
#[derive(Debug, Clone, Default)]
pub struct TrustSet {
    /// Where the list came from, for messages (`HEAD:.auditops/allowed_signers`).
    pub source: String,
    keys: HashMap<String, Vec<TrustedKey>>,
    /// Lines skipped because they cannot sign for us (other key types, other
    /// namespaces, certificate authorities).
    pub skipped: usize,
}

impl TrustSet {
    pub fn parse(text: &str, source: &str) -> Result<Self, SignError> {
        let signers = allowed_signers::parse(text).map_err(|err| SignError::TrustParse {
            source_name: source.to_owned(),
            line: err.line,
            message: err.message,
        })?;
        let mut set = TrustSet {
            source: source.to_owned(),
            ..TrustSet::default()
        };
        for signer in signers {
            let usable = signer
                .ed25519_public_key()
                .filter(|_| signer.allows_namespace(NAMESPACE))
                .map(PublicKey)
                .and_then(|public| public.verifying_key().map(|v| (public, v)));
            match usable {
                Some((public, verifying)) => {
                    let keyid = public.keyid();
                    set.keys.entry(keyid.clone()).or_default().push(TrustedKey {
                        public,
                        keyid,
                        verifying,
                        signer,
                    })
                }
                None => set.skipped += 1,
            }
        }
        Ok(set)
    }

    pub fn read_file(path: &Path) -> Result<Self, SignError> {
        let text = std::fs::read_to_string(path).map_err(|err| SignError::TrustRead {
            path: path.to_owned(),
            source: err,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn len(&self) -> usize {
        self.keys.values().map(Vec::len).sum()
    }

    /// The trusted key with `keyid` that is valid at `unix_seconds` (when known).
    pub fn key(&self, keyid: &str, unix_seconds: Option<i64>) -> KeyLookup<'_> {
        let Some(candidates) = self.keys.get(keyid) else {
            return KeyLookup::Unknown;
        };
        let valid = candidates
            .iter()
            .find(|k| unix_seconds.is_none_or(|t| k.signer.valid_at(t)));
        match valid {
            Some(key) => KeyLookup::Trusted(key),
            None => KeyLookup::OutsideValidity,
        }
    }
}

pub enum KeyLookup<'a> {
    Trusted(&'a TrustedKey),
    OutsideValidity,
    Unknown,
}

/// What the signatures of one envelope establish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureStatus {
    /// At least one valid signature by a trusted key, and no invalid one by a
    /// trusted key.
    Trusted {
        keyid: String,
        principals: Vec<String>,
    },
    /// No signatures at all.
    Unsigned,
    /// Signed, but by no key in the trust list.
    Untrusted { keyids: Vec<String> },
    /// A trusted key's signature does not match the payload.
    BadSignature { keyid: String },
    /// The key is trusted, but not at the time the record claims.
    OutsideValidity { keyid: String },
    /// The envelope's encodings are broken.
    Malformed { reason: String },
}

/// One signature to check: the trusted key and where it came from in a batch.
pub struct PendingCheck {
    pub message: Vec<u8>,
    pub signature: ed25519_dalek::Signature,
    pub key: ed25519_dalek::VerifyingKey,
}

/// How an envelope's signatures are to be judged once the cryptographic checks ran.
pub enum Plan {
    Decided(SignatureStatus),
    /// Check these signatures; all must hold. The status if they do.
    Check {
        checks: Vec<PendingCheck>,
        if_valid: SignatureStatus,
        keyids: Vec<String>,
    },
}

/// Plans the checks for `envelope` (whose decoded payload is `payload`) against
/// `trust` without doing any curve arithmetic, so that many envelopes'
/// signatures can be verified in one batch.
pub fn plan(
    envelope: &Envelope,
    payload: &[u8],
    trust: &TrustSet,
    unix_seconds: Option<i64>,
) -> Plan {
    if envelope.signatures.is_empty() {
        return Plan::Decided(SignatureStatus::Unsigned);
    }
    let message = super::dsse::pae(&envelope.payload_type, payload);
    let mut checks = Vec::new();
    let mut keyids = Vec::new();
    let mut first_trusted: Option<&TrustedKey> = None;
    let mut untrusted = Vec::new();
    for sig in &envelope.signatures {
        match trust.key(&sig.keyid, unix_seconds) {
            KeyLookup::Trusted(key) => {
                let bytes = match sig.bytes() {
                    Ok(b) => b,
                    Err(err) => {
                        return Plan::Decided(SignatureStatus::Malformed {
                            reason: err.to_string(),
                        });
                    }
                };
                checks.push(PendingCheck {
                    message: message.clone(),
                    signature: ed25519_dalek::Signature::from_bytes(&bytes),
                    key: key.verifying,
                });
                keyids.push(sig.keyid.clone());
                first_trusted.get_or_insert(key);
            }
            KeyLookup::OutsideValidity => {
                return Plan::Decided(SignatureStatus::OutsideValidity {
                    keyid: sig.keyid.clone(),
                });
            }
            KeyLookup::Unknown => untrusted.push(sig.keyid.clone()),
        }
    }
    match first_trusted {
        Some(key) => Plan::Check {
            checks,
            if_valid: SignatureStatus::Trusted {
                keyid: key.keyid.clone(),
                principals: key.signer.principals.clone(),
            },
            keyids,
        },
        None => Plan::Decided(SignatureStatus::Untrusted { keyids: untrusted }),
    }
}

/// Verifies every check; one batch first, then one by one only if the batch
/// fails, to find which ones are bad. Returns one verdict per check.
pub fn verify_all(checks: &[&PendingCheck]) -> Vec<bool> {
    if checks.is_empty() {
        return Vec::new();
    }
    let messages: Vec<&[u8]> = checks.iter().map(|c| c.message.as_slice()).collect();
    let signatures: Vec<ed25519_dalek::Signature> = checks.iter().map(|c| c.signature).collect();
    let keys: Vec<ed25519_dalek::VerifyingKey> = checks.iter().map(|c| c.key).collect();
    if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok() {
        return vec![true; checks.len()];
    }
    checks
        .iter()
        .map(|c| c.key.verify(&c.message, &c.signature).is_ok())
        .collect()
}

/// The trust list for this run: `override_file` when a reviewer brings one, else
/// `path` as committed at HEAD. A list absent at HEAD trusts nobody.
pub fn load(
    repo: &gix::Repository,
    path: &str,
    override_file: Option<&Path>,
) -> Result<TrustSet, SignError> {
    if let Some(file) = override_file {
        return TrustSet::read_file(file);
    }
    let source = format!("HEAD:{path}");
    let head = crate::git::head_commit(repo).map_err(|err| SignError::TrustParse {
        source_name: source.clone(),
        line: 0,
        message: err.to_string(),
    })?;
    let committed = match head {
        Some(commit) => {
            crate::git::read_committed(repo, commit, path).map_err(|err| SignError::TrustParse {
                source_name: source.clone(),
                line: 0,
                message: err.to_string(),
            })?
        }
        None => crate::git::Committed::Missing,
    };
    match committed {
        crate::git::Committed::File(bytes) => {
            let text = String::from_utf8(bytes).map_err(|_| SignError::TrustParse {
                source_name: source.clone(),
                line: 0,
                message: "not UTF-8 text".into(),
            })?;
            TrustSet::parse(&text, &source)
        }
        _ => Ok(TrustSet {
            source: format!("{source} (not committed: no key is trusted)"),
            ..TrustSet::default()
        }),
    }
}

/// Checks one envelope's signatures now (outside a batch): the status and, when
/// trusted, the signer's principals.
pub fn check_envelope(
    envelope: &Envelope,
    payload: &[u8],
    trust: &TrustSet,
    unix_seconds: Option<i64>,
) -> SignatureStatus {
    match plan(envelope, payload, trust, unix_seconds) {
        Plan::Decided(status) => status,
        Plan::Check {
            checks,
            if_valid,
            keyids,
        } => {
            let refs: Vec<&PendingCheck> = checks.iter().collect();
            match verify_all(&refs).iter().position(|ok| !ok) {
                None => if_valid,
                Some(bad) => SignatureStatus::BadSignature {
                    keyid: keyids[bad].clone(),
                },
            }
        }
    }
}
