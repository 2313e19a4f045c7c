//! The crate's error type, and the one place where errors become the exit codes
//! of the command-line contract (docs/cli.md).
//!
//! Domain modules return their own error types and keep the underlying cause
//! (`#[source]`), so that `main` can print the message and then each cause, as
//! cargo and jj do. Which exit code a failure is belongs to the contract, not to
//! the module that failed, so the whole mapping lives here.

use crate::config::ConfigError;
use crate::evidence::EvidenceError;
use crate::git::{ConfigParamsError, GitError};
use crate::github::GithubError;
use crate::hooks::HookError;
use crate::lock::LockError;
use crate::manpages::ManError;
use crate::outbox::OutboxError;
use crate::patch::PatchError;
use crate::phase::PhaseError;
use crate::render::RenderError;
use crate::sign::SignError;
use crate::store::StoreError;
use crate::verify::VerifyError;
use crate::worktree::WorktreeError;
use std::path::PathBuf;

/// Exit codes of the command-line contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Everything held.
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
    /// git, libgit2 or the file system failed in a way the input did not cause.
    Internal = 7,
}

/// Every failure a command can end with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `.auditops.toml` is missing, unreadable or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The state ref could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Keys and trust lists.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// Reading the repository.
    #[error(transparent)]
    Git(#[from] GitError),
    /// Recording evidence.
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
    /// Throwaway worktrees.
    #[error(transparent)]
    Worktree(#[from] WorktreeError),
    /// Subsystem locks.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// Installing and running git hooks.
    #[error(transparent)]
    Hook(#[from] HookError),
    /// Rendering a template.
    #[error(transparent)]
    Template(#[from] RenderError),
    /// Queueing GitHub operations.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// Carrying out GitHub operations.
    #[error(transparent)]
    GitHub(#[from] GithubError),
    /// Submitting patches and resolving the review queue.
    #[error(transparent)]
    Patch(#[from] PatchError),
    /// Phases, gates, approvals and the pre-push check.
    #[error(transparent)]
    Phase(#[from] PhaseError),
    /// Verifying the state.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// Installing the manual pages.
    #[error(transparent)]
    Man(#[from] ManError),
    /// Quarantining records.
    #[error(transparent)]
    Quarantine(#[from] crate::quarantine::QuarantineError),
    /// Importing and reading scanner findings.
    #[error(transparent)]
    Findings(#[from] crate::findings::FindingsError),
    /// Cleaning up: the plan changed, approvals are short, a deletion failed.
    #[error(transparent)]
    Cleanup(#[from] crate::cleanup::CleanupError),
    /// The per-repository daemon.
    #[error(transparent)]
    Daemon(#[from] crate::daemon::DaemonError),
    /// Learned rules: a bad signature, action or patterns file.
    #[error(transparent)]
    Rules(#[from] crate::rules::RulesError),
    /// CI runs, push checks and workflow files.
    #[error(transparent)]
    Ci(#[from] crate::ci::CiError),
    /// A file outside the state could not be read or written.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
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
    /// A file operation on `path` failed; use with `map_err`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }

    /// The exit code of the command-line contract for this failure.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Config(err) => config(err),
            Error::Store(err) => store(err),
            Error::Sign(err) => sign(err),
            Error::Git(err) => git(err),
            Error::Evidence(err) => evidence(err),
            Error::Worktree(err) => worktree(err),
            Error::Lock(err) => lock(err),
            Error::Hook(err) => hook(err),
            Error::Template(_) => ExitCode::Usage,
            Error::Outbox(err) => outbox(err),
            // Every findings error is about the input: a file, an id.
            Error::Findings(_) => ExitCode::Usage,
            Error::GitHub(err) => github(err),
            Error::Patch(err) => patch(err),
            Error::Phase(err) => phase(err),
            Error::Verify(err) => verify(err),
            Error::Man(err) => man(err),
            Error::Quarantine(err) => quarantine(err),
            Error::Cleanup(err) => cleanup(err),
            Error::Daemon(err) => daemon(err),
            // Every rules error is about the input: a signature, a flag, a file.
            Error::Rules(_) => ExitCode::Usage,
            Error::Ci(err) => ci(err),
            Error::Io { .. } => ExitCode::Internal,
            Error::Refused(_) => ExitCode::Refused,
            Error::Usage(_) => ExitCode::Usage,
            Error::Verification(_) => ExitCode::Verification,
        }
    }
}

fn daemon(err: &crate::daemon::DaemonError) -> ExitCode {
    use crate::daemon::DaemonError;
    match err {
        DaemonError::AlreadyRunning { .. } | DaemonError::NotStopped { .. } => ExitCode::Busy,
        DaemonError::Refused(_) | DaemonError::Cancelled { .. } => ExitCode::Refused,
        DaemonError::Io { .. }
        | DaemonError::Bind { .. }
        | DaemonError::Protocol(_)
        | DaemonError::NotUp { .. } => ExitCode::Internal,
    }
}

fn ci(err: &crate::ci::CiError) -> ExitCode {
    use crate::ci::CiError;
    match err {
        CiError::UnknownGate { .. }
        | CiError::BadSha { .. }
        | CiError::NoWorkTree
        | CiError::NoGatesForMatrix { .. }
        | CiError::NoSystem => ExitCode::Usage,
        CiError::WorkflowExists { .. } => ExitCode::Refused,
        CiError::PullRefused { .. } => ExitCode::Verification,
        CiError::PushRetriesExhausted { .. } => ExitCode::Busy,
    }
}

fn cleanup(err: &crate::cleanup::CleanupError) -> ExitCode {
    use crate::cleanup::CleanupError;
    match err {
        CleanupError::BadReportId(_) | CleanupError::Unsigned => ExitCode::Usage,
        CleanupError::PlanChanged { .. } | CleanupError::ApprovalsShort { .. } => ExitCode::Refused,
        CleanupError::Delete { .. } => ExitCode::Internal,
    }
}

fn quarantine(err: &crate::quarantine::QuarantineError) -> ExitCode {
    use crate::quarantine::QuarantineError;
    match err {
        QuarantineError::NoReason | QuarantineError::Unsigned => ExitCode::Usage,
    }
}

fn config(err: &ConfigError) -> ExitCode {
    match err {
        // The config is input: unreadable or invalid, it is the user's to fix.
        ConfigError::Invalid { .. } | ConfigError::Missing { .. } | ConfigError::Read { .. } => {
            ExitCode::Usage
        }
    }
}

fn store(err: &StoreError) -> ExitCode {
    match err {
        StoreError::Malformed { .. }
        | StoreError::UnsupportedVersion { .. }
        | StoreError::IncomingRejected { .. } => ExitCode::Verification,
        StoreError::PushDiverged { .. } => ExitCode::Refused,
        StoreError::Contention { .. } | StoreError::Locked { .. } | StoreError::GitLock { .. } => {
            ExitCode::Busy
        }
        StoreError::InvalidRefName { .. }
        | StoreError::NotUnderRefs { .. }
        | StoreError::InvalidPlace { .. }
        | StoreError::UnknownRemote { .. }
        | StoreError::NoDefaultRemote { .. }
        | StoreError::NothingToPush { .. } => ExitCode::Usage,
        // A remote that refuses or cannot be reached is the user's to fix.
        StoreError::GitCommand { .. } => ExitCode::Usage,
        StoreError::GitSpawn(_) | StoreError::Io { .. } | StoreError::Git(_) => ExitCode::Internal,
    }
}

fn sign(err: &SignError) -> ExitCode {
    match err {
        SignError::KeyWrite { .. } | SignError::KeyGenerate { .. } | SignError::SshSig { .. } => {
            ExitCode::Internal
        }
        SignError::TrustGit { source, .. } => git(source),
        SignError::UntrustedSigner { .. } => ExitCode::Verification,
        SignError::NoKey { .. }
        | SignError::EnvKeyMalformed { .. }
        | SignError::KeyRead { .. }
        | SignError::KeyParse { .. }
        | SignError::NotEd25519 { .. }
        | SignError::PublicKeyOnly { .. }
        | SignError::PassphraseNeeded { .. }
        | SignError::BadPassphrase { .. }
        | SignError::PassphraseMismatch
        | SignError::PassphrasePrompt { .. }
        | SignError::NoHome
        | SignError::KeyExists { .. }
        | SignError::TrustRead { .. }
        | SignError::TrustParse { .. } => ExitCode::Usage,
    }
}

fn git(err: &GitError) -> ExitCode {
    match err {
        GitError::Object(_) => ExitCode::Internal,
        GitError::ConfigParameters(err) => config_params(err),
        GitError::NotARepository { .. }
        | GitError::BadRevision { .. }
        | GitError::NotACommit { .. }
        | GitError::Bare { .. }
        | GitError::OutsideRepository { .. } => ExitCode::Usage,
    }
}

fn config_params(err: &ConfigParamsError) -> ExitCode {
    match err {
        ConfigParamsError::Format { .. }
        | ConfigParamsError::Key { .. }
        | ConfigParamsError::Include(_) => ExitCode::Usage,
        ConfigParamsError::Apply(_) => ExitCode::Internal,
    }
}

fn evidence(err: &EvidenceError) -> ExitCode {
    match err {
        EvidenceError::Git(err) => git(err),
        EvidenceError::Write(_) => ExitCode::Internal,
        EvidenceError::FileMissing { .. }
        | EvidenceError::NotAFile { .. }
        | EvidenceError::Binary { .. }
        | EvidenceError::NotUtf8 { .. }
        | EvidenceError::OutOfRange { .. }
        | EvidenceError::EmptyDescription
        | EvidenceError::BadId(_) => ExitCode::Usage,
    }
}

fn lock(err: &LockError) -> ExitCode {
    match err {
        LockError::Busy { .. } => ExitCode::Busy,
        LockError::Io { .. } => ExitCode::Internal,
        LockError::Unknown(_) | LockError::AlreadyHeld(_) => ExitCode::Usage,
    }
}

fn worktree(err: &WorktreeError) -> ExitCode {
    match err {
        WorktreeError::Lock(err) => lock(err),
        WorktreeError::Create { .. }
        | WorktreeError::Io { .. }
        | WorktreeError::Spawn(_)
        | WorktreeError::Checkout { .. } => ExitCode::Internal,
    }
}

fn patch(err: &PatchError) -> ExitCode {
    match err {
        PatchError::Recorded { kind, .. } => match kind {
            crate::patch::RefusalKind::Malformed => ExitCode::Usage,
            _ => ExitCode::Refused,
        },
        PatchError::Refused(_)
        | PatchError::DoesNotApply { .. }
        | PatchError::Rejected
        | PatchError::AlreadyResolved { .. }
        | PatchError::NeedsOverride { .. } => ExitCode::Refused,
        PatchError::Malformed(_)
        | PatchError::Unreadable(_)
        | PatchError::Read { .. }
        | PatchError::DetachedHead
        | PatchError::NoBranch(_)
        | PatchError::RefUpdate(_)
        | PatchError::NoItem(_)
        | PatchError::NoReason
        | PatchError::BadAuthor(_) => ExitCode::Usage,
        PatchError::Git { .. }
        | PatchError::Scratch { .. }
        | PatchError::Spawn(_)
        | PatchError::GitCommand { .. } => ExitCode::Internal,
    }
}

fn hook(err: &HookError) -> ExitCode {
    match err {
        HookError::Git { .. }
        | HookError::GitSpawn { .. }
        | HookError::Io { .. }
        | HookError::Input(_) => ExitCode::Internal,
        HookError::OutsideRepository { .. }
        | HookError::ChainedInTheWay { .. }
        | HookError::Unknown(_) => ExitCode::Usage,
        HookError::ChainedRefused { .. } | HookError::PushRefused { .. } => ExitCode::Refused,
    }
}

fn outbox(err: &OutboxError) -> ExitCode {
    match err {
        OutboxError::Payload(_) | OutboxError::Repo(_) | OutboxError::EmptyKey => ExitCode::Usage,
    }
}

fn github(err: &GithubError) -> ExitCode {
    match err {
        GithubError::Permission { .. } => ExitCode::Permission,
        GithubError::Unavailable { .. } => ExitCode::Unavailable,
        GithubError::Busy(err) => lock(err),
        GithubError::Io { .. }
        | GithubError::Runtime(_)
        | GithubError::Git(_)
        | GithubError::Local(_) => ExitCode::Internal,
        GithubError::NoRepository { .. }
        | GithubError::NoToken
        | GithubError::ApiUrl(_)
        | GithubError::Client(_) => ExitCode::Usage,
    }
}

fn phase(err: &PhaseError) -> ExitCode {
    match err {
        PhaseError::EarlierIncomplete { .. }
        | PhaseError::AlreadyComplete { .. }
        | PhaseError::GatesNotPassed { .. }
        | PhaseError::NotEnoughEvidence { .. }
        | PhaseError::NotEnoughApprovals { .. }
        | PhaseError::TagElsewhere { .. }
        | PhaseError::GateFailed => ExitCode::Refused,
        PhaseError::NoSuchPhase { .. }
        | PhaseError::NoPhases
        | PhaseError::AllComplete
        | PhaseError::NoHead
        | PhaseError::Subject(_)
        | PhaseError::PushInputNotUtf8
        | PhaseError::PushInputLine { .. }
        | PhaseError::PushInputSha { .. } => ExitCode::Usage,
        PhaseError::TagSpawn(_) | PhaseError::TagFailed { .. } => ExitCode::Internal,
    }
}

fn verify(err: &VerifyError) -> ExitCode {
    match err {
        // An empty trail is not a verified one (docs/cli.md: exit 3 unless --allow-empty).
        VerifyError::NoState { .. } => ExitCode::Verification,
    }
}

fn man(err: &ManError) -> ExitCode {
    match err {
        ManError::NoHome => ExitCode::Usage,
        ManError::Write { .. } => ExitCode::Internal,
    }
}

/// An error and its causes on one line, `message: cause: cause`, for reports
/// that carry a failure as text (`verify --json` reasons).
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(err) = cause {
        text.push_str(": ");
        text.push_str(&err.to_string());
        cause = err.source();
    }
    text
}

/// The result of library calls that may end a command.
pub type Result<T, E = Error> = std::result::Result<T, E>;
