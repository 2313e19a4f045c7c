//! The crate's error type and the one place errors become exit codes (CLI.md).

use crate::config::ConfigError;
use crate::evidence::EvidenceError;
use crate::git::GitError;
use crate::sign::SignError;
use crate::store::StoreError;

/// Exit codes of the command-line contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Success = 0,
    /// The operation ran and said no.
    Refused = 1,
    /// Usage or input error.
    Usage = 2,
    /// Verification failed.
    Verification = 3,
    /// A lock could not be taken in time.
    Busy = 4,
    /// GitHub refused for lack of permission (a local report was written).
    Permission = 5,
    /// GitHub unreachable, rate-limited or circuit open (operations stay queued).
    Unavailable = 6,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
    #[error(transparent)]
    Worktree(#[from] crate::worktree::WorktreeError),
    #[error(transparent)]
    Hook(#[from] crate::hooks::HookError),
    #[error(transparent)]
    Template(#[from] crate::render::RenderError),
    #[error(transparent)]
    Outbox(#[from] crate::outbox::OutboxError),
    #[error(transparent)]
    GitHub(#[from] crate::github::GithubError),
    /// The operation ran and said no (a gate failed, a push was refused).
    #[error("{0}")]
    Refused(String),
    /// Bad arguments that clap could not catch.
    #[error("{0}")]
    Usage(String),
    /// Verification ran and found failures (already reported).
    #[error("{0}")]
    Verification(String),
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Config(_) | Error::Git(_) | Error::Evidence(_) | Error::Usage(_) => {
                ExitCode::Usage
            }
            Error::Worktree(crate::worktree::WorktreeError::Lock(
                crate::lock::LockError::Busy { .. },
            )) => ExitCode::Busy,
            Error::Sign(_) | Error::Worktree(_) | Error::Hook(_) | Error::Template(_) => {
                ExitCode::Usage
            }
            Error::Outbox(_) => ExitCode::Usage,
            Error::GitHub(err) => err.exit_code(),
            Error::Refused(_) => ExitCode::Refused,
            Error::Verification(_) => ExitCode::Verification,
            Error::Store(err) => match err {
                StoreError::Malformed { .. }
                | StoreError::UnsupportedVersion { .. }
                | StoreError::IncomingRejected { .. } => ExitCode::Verification,
                StoreError::PushDiverged { .. } => ExitCode::Refused,
                StoreError::Contention { .. } => ExitCode::Busy,
                StoreError::InvalidRefName { .. }
                | StoreError::InvalidPlace { .. }
                | StoreError::UnknownRemote { .. }
                | StoreError::NoDefaultRemote { .. }
                | StoreError::GitCommand { .. }
                | StoreError::GitSpawn(_)
                | StoreError::Io { .. }
                | StoreError::Git(_) => ExitCode::Usage,
            },
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
