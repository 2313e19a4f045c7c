//! Trust: which keys may sign auditops records.
//!
//! The list is an allowed_signers file in git's format. By default it is read as
//! committed at HEAD (never from the working tree or the state ref, which anyone
//! with push access to the state could edit); a reviewer may bring their own list.

use super::allowed_signers::{self, AllowedSigner};
use super::batch::{self, CheckKey, SignatureCheck};
use super::dsse::Envelope;
use super::error::SignError;
use super::public_key::PublicKey;
use sha2::Digest;
use std::collections::HashMap;
use std::path::Path;

/// The namespace our signatures are made in. A key line with a `namespaces=`
/// option is trusted only if it lists this one.
pub const NAMESPACE: &str = "auditops";

/// A key trusted to sign, and who it belongs to.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    /// The key.
    pub public: PublicKey,
    /// Its keyid.
    pub keyid: String,
    pub(crate) check_key: CheckKey,
    /// The allowed_signers line that trusts it.
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
    /// SHA-256 of the list's text: what a verdict under this list depends on.
    text_digest: [u8; 32],
    /// The commit whose list this is (HEAD when it was read); `None` for a
    /// file a reviewer brought, or an unborn HEAD.
    committed_at: Option<gix::ObjectId>,
}

impl TrustSet {
    /// Parses an allowed_signers list read from `source` (named in messages).
    pub fn parse(text: &str, source: &str) -> Result<Self, SignError> {
        let signers = allowed_signers::parse(text).map_err(|err| SignError::TrustParse {
            source_name: source.to_owned(),
            line: err.line,
            message: err.problem.to_string(),
        })?;
        let mut set = TrustSet {
            source: source.to_owned(),
            text_digest: sha2::Sha256::digest(text.as_bytes()).into(),
            ..TrustSet::default()
        };
        for signer in signers {
            let usable = signer
                .ed25519_public_key()
                .filter(|_| signer.allows_namespace(NAMESPACE))
                .map(PublicKey)
                .and_then(|public| public.verifying_key().map(|v| (public, v)));
            match usable {
                // A key of small order satisfies the verification equation for
                // signatures anyone can make: trusting it would trust everyone.
                Some((_, verifying)) if verifying.is_weak() => {
                    return Err(SignError::TrustParse {
                        source_name: source.to_owned(),
                        line: signer.line,
                        message: "this ed25519 key has small order, so anyone could sign as it; \
                                  remove the line"
                            .into(),
                    });
                }
                Some((public, verifying)) => {
                    let keyid = public.keyid();
                    set.keys.entry(keyid.clone()).or_default().push(TrustedKey {
                        public,
                        keyid,
                        check_key: CheckKey::new(&verifying),
                        signer,
                    })
                }
                None => set.skipped += 1,
            }
        }
        Ok(set)
    }

    /// Reads an allowed_signers file.
    pub fn read_file(path: &Path) -> Result<Self, SignError> {
        let text = std::fs::read_to_string(path).map_err(|err| SignError::TrustRead {
            path: path.to_owned(),
            source: err,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Whether no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// How many keys are trusted.
    pub fn len(&self) -> usize {
        self.keys.values().map(Vec::len).sum()
    }

    /// The SHA-256 of the list's text.
    pub fn text_digest(&self) -> &[u8; 32] {
        &self.text_digest
    }

    /// The commit the list was read from: HEAD at the time, `None` for a file
    /// a reviewer brought or an unborn HEAD. A prepared pre-push decision is
    /// keyed by it (`crate::prepared`), as the hook can read HEAD without
    /// reading the list.
    pub(crate) fn committed_at(&self) -> Option<gix::ObjectId> {
        self.committed_at
    }

    /// Who the list trusts the key `keyid` as, if it trusts it (at some time):
    /// what `key show` and `doctor` tell a signer about their own key.
    pub fn principals_of(&self, keyid: &str) -> Option<&[String]> {
        match self.key(keyid, None) {
            KeyLookup::Trusted(key) => Some(&key.signer.principals),
            _ => None,
        }
    }

    /// The trusted key with `keyid` that is valid at `unix_seconds` (when known).
    pub(crate) fn key(&self, keyid: &str, unix_seconds: Option<i64>) -> KeyLookup<'_> {
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

pub(crate) enum KeyLookup<'a> {
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
        /// The key that signed.
        keyid: String,
        /// Who the list says it is.
        principals: Vec<String>,
    },
    /// No signatures at all.
    Unsigned,
    /// Signed, but by no key in the trust list.
    Untrusted {
        /// The keys that signed.
        keyids: Vec<String>,
    },
    /// A trusted key's signature does not match the payload.
    BadSignature {
        /// The key.
        keyid: String,
    },
    /// The key is trusted, but not at the time the record claims.
    OutsideValidity {
        /// The key.
        keyid: String,
    },
    /// The envelope's encodings are broken.
    Malformed {
        /// What is broken.
        reason: String,
    },
}

/// How an envelope's signatures are to be judged once the cryptographic checks ran.
pub(crate) enum Plan<'t> {
    Decided(SignatureStatus),
    /// Check these signatures; all must hold. Then the record is trusted as
    /// signed by `signer` (the first trusted key among its signatures).
    Check {
        checks: Vec<SignatureCheck>,
        signer: &'t TrustedKey,
    },
}

impl TrustedKey {
    /// The status of a record this key signed validly.
    pub fn trusted(&self) -> SignatureStatus {
        SignatureStatus::Trusted {
            keyid: self.keyid.clone(),
            principals: self.signer.principals.clone(),
        }
    }
}

/// Plans the checks for `envelope` (whose decoded payload is `payload`) against
/// `trust` without doing any curve arithmetic, so that many envelopes'
/// signatures can be verified in one batch.
pub(crate) fn plan<'t>(
    envelope: &Envelope<'_>,
    payload: &[u8],
    trust: &'t TrustSet,
    unix_seconds: Option<i64>,
) -> Plan<'t> {
    if envelope.signatures.is_empty() {
        return Plan::Decided(SignatureStatus::Unsigned);
    }
    let header = super::dsse::pae_header(&envelope.payload_type, payload.len());
    let mut checks = Vec::with_capacity(envelope.signatures.len());
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
                checks.push(SignatureCheck::new(
                    &bytes,
                    &key.check_key,
                    &[&header, payload],
                ));
                first_trusted.get_or_insert(key);
            }
            KeyLookup::OutsideValidity => {
                return Plan::Decided(SignatureStatus::OutsideValidity {
                    keyid: sig.keyid.to_string(),
                });
            }
            KeyLookup::Unknown => untrusted.push(sig.keyid.to_string()),
        }
    }
    match first_trusted {
        Some(signer) => Plan::Check { checks, signer },
        None => Plan::Decided(SignatureStatus::Untrusted { keyids: untrusted }),
    }
}

/// The status of a record whose planned checks gave `verdicts` (one per check):
/// trusted if all hold, else the first failing signature's key.
pub(crate) fn judge(
    checks: &[SignatureCheck],
    signer: &TrustedKey,
    verdicts: &[bool],
) -> SignatureStatus {
    match verdicts.iter().position(|ok| !ok) {
        None => signer.trusted(),
        Some(bad) => SignatureStatus::BadSignature {
            keyid: PublicKey(*checks[bad].key().encoded()).keyid(),
        },
    }
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
    let git_failed = |err| SignError::TrustGit {
        source_name: source.clone(),
        source: err,
    };
    let head = crate::git::head_commit(repo).map_err(git_failed)?;
    let committed = match head {
        Some(commit) => crate::git::read_committed(repo, commit, path).map_err(git_failed)?,
        None => crate::git::Committed::Missing,
    };
    let set = match committed {
        crate::git::Committed::File(bytes) => {
            let text = String::from_utf8(bytes).map_err(|_| SignError::TrustParse {
                source_name: source.clone(),
                line: 0,
                message: "not UTF-8 text".into(),
            })?;
            TrustSet::parse(&text, &source)?
        }
        _ => TrustSet {
            source: format!("{source} (not committed: no key is trusted)"),
            ..TrustSet::default()
        },
    };
    Ok(TrustSet {
        committed_at: head,
        ..set
    })
}

/// Checks one envelope's signatures now (outside a batch): the status and, when
/// trusted, the signer's principals.
pub fn check_envelope(
    envelope: &Envelope<'_>,
    payload: &[u8],
    trust: &TrustSet,
    unix_seconds: Option<i64>,
) -> SignatureStatus {
    match plan(envelope, payload, trust, unix_seconds) {
        Plan::Decided(status) => status,
        Plan::Check { checks, signer } => {
            let refs: Vec<&SignatureCheck> = checks.iter().collect();
            judge(&checks, signer, &batch::verify_each(&refs))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn line_for(key: &[u8; 32]) -> String {
        let mut blob = Vec::new();
        for part in [b"ssh-ed25519".as_slice(), key.as_slice()] {
            blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
            blob.extend_from_slice(part);
        }
        let encoded = base64::engine::general_purpose::STANDARD.encode(blob);
        format!("alice@example.com ssh-ed25519 {encoded}\n")
    }

    #[test]
    fn a_key_of_small_order_is_refused_by_line() {
        // The identity point (y = 1): every [s]B = R "signature" would verify.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let text = format!("# team\n{}", line_for(&identity));
        let err = TrustSet::parse(&text, "signers").unwrap_err().to_string();
        assert!(err.contains("signers:2"), "{err}");
        assert!(err.contains("small order"), "{err}");
    }

    #[test]
    fn the_digest_follows_the_text() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[4; 32]).verifying_key();
        let line = line_for(&key.to_bytes());
        let one = TrustSet::parse(&line, "a").unwrap();
        let same = TrustSet::parse(&line, "b").unwrap();
        let other = TrustSet::parse(&format!("# note\n{line}"), "a").unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one.text_digest(), same.text_digest());
        assert_ne!(one.text_digest(), other.text_digest());
    }
}
