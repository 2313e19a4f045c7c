//! Errors of key handling and trust loading.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("no signing key found (tried: {}); create one with `git auditops key generate`, or set `[trust] require_signed = false` to record unsigned", tried.join("; "))]
    NoKey { tried: Vec<String> },
    #[error("cannot read the signing key {path}")]
    KeyRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not an OpenSSH private key")]
    KeyParse {
        path: PathBuf,
        #[source]
        source: ssh_key::Error,
    },
    #[error("cannot make a new key for {path}")]
    KeyGenerate {
        path: PathBuf,
        #[source]
        source: ssh_key::Error,
    },
    #[error("{path} is a {algorithm} key; git-auditops signs with ed25519 keys only")]
    NotEd25519 { path: PathBuf, algorithm: String },
    #[error("{path} holds a public key; point auditops.signingKey at the private key file")]
    PublicKeyOnly { path: PathBuf },
    #[error(
        "{path} is protected by a passphrase: set AUDITOPS_KEY_PASSPHRASE or run from a terminal to be asked"
    )]
    PassphraseNeeded { path: PathBuf },
    #[error("wrong passphrase for {path}")]
    BadPassphrase { path: PathBuf },
    #[error("HOME is not set; pass --out PATH")]
    NoHome,
    #[error("{path} already exists; not overwriting a key (choose another path with --out)")]
    KeyExists { path: PathBuf },
    #[error("cannot write {path}")]
    KeyWrite {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the trust file {path}")]
    TrustRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the trust file {source_name}")]
    TrustGit {
        source_name: String,
        #[source]
        source: crate::git::GitError,
    },
    #[error("{source_name}:{line}: {message}")]
    TrustParse {
        source_name: String,
        line: usize,
        message: String,
    },
}
