//! Errors of key handling and trust loading.

use std::path::PathBuf;

/// Why a key or a trust list could not be found, read or written.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// No key where lookup looks.
    #[error("no signing key found (tried: {}); create one with `git auditops key generate`, or set `[trust] require_signed = false` to record unsigned", tried.join("; "))]
    NoKey {
        /// Each place tried, and why it did not do.
        tried: Vec<String>,
    },
    /// `AUDITOPS_SIGNING_KEY` is set but does not hold an OpenSSH ed25519
    /// private key. Never carries the variable's text.
    #[error(
        "{variable} is set but is not usable as a signing key: {reason}; it must hold the whole text of an OpenSSH ed25519 private key (as `git auditops key generate --out FILE` writes to FILE), or be unset"
    )]
    EnvKeyMalformed {
        /// The variable's name.
        variable: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The key file could not be read.
    #[error("cannot read the signing key {path}")]
    KeyRead {
        /// The key file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The key file is not an OpenSSH private key.
    #[error("{path} is not an OpenSSH private key")]
    KeyParse {
        /// The key file.
        path: PathBuf,
        /// What the parser said.
        #[source]
        source: ssh_key::Error,
    },
    /// An SSH signature (for a signed tag) could not be made with the key.
    #[error("cannot make an SSH signature with {path}")]
    SshSig {
        /// The key file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: ssh_key::Error,
    },
    /// A new key could not be made (the system's randomness or encoding failed).
    #[error("cannot make a new key for {path}")]
    KeyGenerate {
        /// Where it was to be written.
        path: PathBuf,
        /// What failed.
        #[source]
        source: ssh_key::Error,
    },
    /// A key of another algorithm.
    #[error("{path} is a {algorithm} key; git-auditops signs with ed25519 keys only")]
    NotEd25519 {
        /// The key file.
        path: PathBuf,
        /// Its algorithm.
        algorithm: String,
    },
    /// A public key where the private key was expected.
    #[error("{path} holds a public key; point auditops.signingKey at the private key file")]
    PublicKeyOnly {
        /// The key file.
        path: PathBuf,
    },
    /// The key is encrypted and no passphrase can be had.
    #[error(
        "{path} is protected by a passphrase: set AUDITOPS_KEY_PASSPHRASE or run from a terminal to be asked"
    )]
    PassphraseNeeded {
        /// The key file.
        path: PathBuf,
    },
    /// The passphrase does not decrypt the key.
    #[error("wrong passphrase for {path}")]
    BadPassphrase {
        /// The key file.
        path: PathBuf,
    },
    /// `key generate`: the passphrase typed again is not the one typed first.
    #[error(
        "the two passphrases differ; nothing was written. Run `git auditops key generate` again (an empty passphrase means none)"
    )]
    PassphraseMismatch,
    /// `key generate`: the terminal could not be asked for a passphrase.
    #[error(
        "cannot read a passphrase from the terminal; use --no-passphrase, or set AUDITOPS_KEY_PASSPHRASE"
    )]
    PassphrasePrompt {
        /// What the terminal said.
        #[source]
        source: std::io::Error,
    },
    /// `key generate` without `--out` and without a home folder.
    #[error("HOME is not set; pass --out PATH")]
    NoHome,
    /// `key generate` never overwrites.
    #[error("{path} already exists; not overwriting a key (choose another path with --out)")]
    KeyExists {
        /// The file in the way.
        path: PathBuf,
    },
    /// A new key could not be written.
    #[error("cannot write {path}")]
    KeyWrite {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A trust file given by path could not be read.
    #[error("cannot read the trust file {path}")]
    TrustRead {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The committed trust file could not be read from git.
    #[error("cannot read the trust file {source_name}")]
    TrustGit {
        /// Where it was read from (`HEAD:.auditops/allowed_signers`).
        source_name: String,
        /// What git said.
        #[source]
        source: crate::git::GitError,
    },
    /// A line of the trust file is invalid.
    #[error("{source_name}:{line}: {message}")]
    TrustParse {
        /// Where it was read from.
        source_name: String,
        /// The line, counted from 1 (0 for the whole file).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A signing command's key is not trusted by the list at HEAD (under
    /// `[trust] require_trusted_signer`): its records would fail everyone's verify.
    #[error(
        "the signing key {path} is not trusted by {trust_source}; nothing was recorded. Add this line to {allowed_signers} and commit it (or set `[trust] require_trusted_signer = false`):\n{line}"
    )]
    UntrustedSigner {
        /// The private key file.
        path: PathBuf,
        /// Where the trust list was read from.
        trust_source: String,
        /// The repository path of the allowed_signers file.
        allowed_signers: String,
        /// The allowed_signers line that would trust the key.
        line: String,
    },
}
