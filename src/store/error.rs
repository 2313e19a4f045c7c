//! Errors of the state store.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid state ref name `{name}`")]
    InvalidRefName {
        name: String,
        #[source]
        source: gix::validate::reference::name::Error,
    },
    #[error("invalid state ref name `{name}`: it must start with refs/")]
    NotUnderRefs { name: String },
    #[error("the state ref {ref_name} is malformed at {commit}: {reason}")]
    Malformed {
        ref_name: String,
        commit: String,
        reason: String,
    },
    #[error(
        "state format version {found} in {ref_name} is newer than this tool supports ({supported}); upgrade git-auditops"
    )]
    UnsupportedVersion {
        ref_name: String,
        found: String,
        supported: u32,
    },
    #[error(
        "could not update {ref_name} after {attempts} attempts: other writers kept winning or the ref is locked"
    )]
    Contention {
        ref_name: String,
        attempts: u32,
        /// Why the last attempt failed.
        #[source]
        source: Box<gix::Error>,
    },
    #[error("`{remote}` is not a configured git remote (see `git remote -v`)")]
    UnknownRemote { remote: String },
    #[error(
        "no remote to use: the current branch has no upstream and there is no `origin`; name one: git auditops state {verb} REMOTE"
    )]
    NoDefaultRemote { verb: &'static str },
    #[error("there is no state to push yet ({ref_name} does not exist); run `git auditops init`")]
    NothingToPush { ref_name: String },
    #[error(
        "the remote `{remote}` has state that this clone does not have; run `git auditops state pull {remote}` and push again"
    )]
    PushDiverged { remote: String },
    #[error("`git {args}` failed: {stderr}")]
    GitCommand { args: String, stderr: String },
    #[error("could not run git")]
    GitSpawn(#[source] std::io::Error),
    #[error("incoming state from `{remote}` failed verification; nothing was merged")]
    IncomingRejected { remote: String },
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cannot store a `{kind}` record under key `{key}`: names must be short words of letters, digits, `.`, `_`, `:` or `-`"
    )]
    InvalidPlace { kind: String, key: String },
    /// gix failed to read or write objects or refs: not something the input caused.
    #[error("git failed while reading or writing the state")]
    Git(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub(crate) fn git(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Git(Box::new(err))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
