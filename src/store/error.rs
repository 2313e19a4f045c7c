//! Errors of the state store.

use crate::ids::CommitId;
use std::path::PathBuf;

/// Why the state ref could not be read, written or shared.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The configured state ref is not a valid ref name.
    #[error("invalid state ref name `{name}`")]
    InvalidRefName {
        /// The name configured.
        name: String,
        /// What git's rules say.
        #[source]
        source: gix::validate::reference::name::Error,
    },
    /// The configured state ref is not under `refs/`.
    #[error("invalid state ref name `{name}`: it must start with refs/")]
    NotUnderRefs {
        /// The name configured.
        name: String,
    },
    /// The state's tree does not follow docs/state-format.md.
    #[error("the state ref {ref_name} is malformed at {commit}: {reason}")]
    Malformed {
        /// The state ref.
        ref_name: String,
        /// The commit read.
        commit: CommitId,
        /// What is wrong with it.
        reason: String,
    },
    /// The state was written by a newer version of the tool.
    #[error(
        "state format version {found} in {ref_name} is newer than this tool supports ({supported}); upgrade git-auditops"
    )]
    UnsupportedVersion {
        /// The state ref.
        ref_name: String,
        /// The version it holds.
        found: String,
        /// The newest version this tool reads.
        supported: u32,
    },
    /// Other writers kept moving the ref, or it stayed locked.
    #[error(
        "could not update {ref_name} after {attempts} attempts: other writers kept winning or the ref is locked"
    )]
    Contention {
        /// The state ref.
        ref_name: String,
        /// How many times the write was tried.
        attempts: u32,
        /// Why the last attempt failed.
        #[source]
        source: Box<gix::Error>,
    },
    /// Another live process held the state ref's lock for longer than
    /// `[state] lock_timeout`.
    #[error(
        "the state ref's lock {} is busy{}: held by pid {pid}, which is still running; waited {} ([state] lock_timeout); try again when it is done",
        path.display(),
        age.map(|a| format!(" ({} old)", crate::lock::secs(a))).unwrap_or_default(),
        crate::lock::secs(*waited)
    )]
    Locked {
        /// The ref's lock file.
        path: PathBuf,
        /// How long ago it was written; `None` if it vanished meanwhile.
        age: Option<std::time::Duration>,
        /// The owner's pid, as the sidecar file says.
        pid: String,
        /// How long this process waited.
        waited: std::time::Duration,
    },
    /// A git lock file that a ref update needs (`packed-refs.lock`, or the
    /// state ref's own lock taken by a plain git command) stayed in place for
    /// `[state] lock_timeout` with no process of this tool holding it.
    #[error(
        "{} is in the way ({} old): a git command is running, or one that died left it; waited {} ([state] lock_timeout). If no git command is running in this repository, remove it (`rm {}`) and try again",
        path.display(),
        crate::lock::secs(*age),
        crate::lock::secs(*waited),
        path.display()
    )]
    GitLock {
        /// The lock file.
        path: PathBuf,
        /// How long ago it was written.
        age: std::time::Duration,
        /// How long this process waited.
        waited: std::time::Duration,
        /// Why the last attempt failed.
        #[source]
        source: Box<gix::Error>,
    },
    /// A remote name that is not configured.
    #[error("`{remote}` is not a configured git remote (see `git remote -v`)")]
    UnknownRemote {
        /// The name given.
        remote: String,
    },
    /// No remote was named and none is implied.
    #[error(
        "no remote to use: the current branch has no upstream and there is no `origin`; name one: git auditops state {verb} REMOTE"
    )]
    NoDefaultRemote {
        /// `push` or `pull`.
        verb: &'static str,
    },
    /// `state push` without a state ref.
    #[error("there is no state to push yet ({ref_name} does not exist); run `git auditops init`")]
    NothingToPush {
        /// The state ref.
        ref_name: String,
    },
    /// The remote moved on; pull first.
    #[error(
        "the remote `{remote}` has state that this clone does not have; run `git auditops state pull {remote}` and push again"
    )]
    PushDiverged {
        /// The remote.
        remote: String,
    },
    /// `git fetch` or `git push` failed.
    #[error("`git {args}` failed: {stderr}")]
    GitCommand {
        /// Its arguments.
        args: String,
        /// What git said.
        stderr: String,
    },
    /// git could not be started.
    #[error("could not run git")]
    GitSpawn(#[source] std::io::Error),
    /// Records of a pull failed verification; nothing was merged.
    #[error("incoming state from `{remote}` failed verification; nothing was merged")]
    IncomingRejected {
        /// The remote.
        remote: String,
    },
    /// A file of the store could not be read or written.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A record's kind or key is not a valid place in the state.
    #[error(
        "cannot store a `{kind}` record under key `{key}`: names must be short words of letters, digits, `.`, `_`, `:` or `-`"
    )]
    InvalidPlace {
        /// The kind.
        kind: String,
        /// The key, `/`-joined.
        key: String,
    },
    /// gix failed to read or write objects or refs: not something the input caused.
    #[error("git failed while reading or writing the state")]
    Git(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub(crate) fn git(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Git(Box::new(err))
    }
}

/// The result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
