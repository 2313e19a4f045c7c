//! How patch submission and the review queue fail. Which exit code each failure
//! is belongs to the command-line contract: see `patch` in `src/error.rs`.

use crate::ids::CommitId;
use std::path::PathBuf;

/// What kind of refusal a recorded rejection was, for its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalKind {
    /// Not a patch (exit 2).
    Malformed,
    /// A patch never applied: binary, hostile path, escaping symlink (exit 1).
    Refused,
    /// A hunk does not apply to the target (exit 1).
    DoesNotApply,
}

/// Why a patch was not decided, or a queue item not resolved.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// Not a patch at all (exit 2).
    #[error("malformed patch: {0}")]
    Malformed(String),
    /// libgit2 could not read the patch (exit 2).
    #[error("malformed patch")]
    Unreadable(#[source] git2::Error),
    /// A well-formed patch we will not apply (exit 1).
    #[error("patch refused: {0}")]
    Refused(String),
    /// The patch file could not be read (exit 2).
    #[error("cannot read the patch {}", path.display())]
    Read {
        /// The file named on the command line.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// No `--target` and HEAD names no branch (exit 2).
    #[error("HEAD is detached: name the target with --target BRANCH")]
    DetachedHead,
    /// The target branch does not exist (exit 2).
    #[error("there is no local branch `{0}` to apply the patch to")]
    NoBranch(String),
    /// The patch does not apply to the target's tip; the rejection was recorded
    /// (exit 1).
    #[error("the patch does not apply to {target} at {}: {detail}", base.short())]
    DoesNotApply {
        /// The target branch.
        target: String,
        /// Its tip.
        base: CommitId,
        /// Which file and hunk, and what git said.
        detail: String,
    },
    /// `--author` is not `NAME <EMAIL>` (exit 2).
    #[error("--author `{0}` is not of the form \"NAME <EMAIL>\"")]
    BadAuthor(String),
    /// A scratch file of the patch pipeline could not be written or read (exit 7).
    #[error("cannot use the scratch file {}", path.display())]
    Scratch {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// git could not be started (exit 7).
    #[error("could not run git")]
    Spawn(#[source] std::io::Error),
    /// A git command that should not fail did (exit 7).
    #[error("git failed to {action}: {stderr}")]
    GitCommand {
        /// What was being done.
        action: &'static str,
        /// What git said.
        stderr: String,
    },
    /// `queue approve` of an item a validator failed or that changes a
    /// protected path, without `--override` (exit 1).
    #[error(
        "queue item {item} was not approved: {}; to approve it anyway, say why: `git auditops queue approve {item} --override TEXT`",
        reasons.join("; ")
    )]
    NeedsOverride {
        /// The item.
        item: String,
        /// The failed validators and protected paths.
        reasons: Vec<String>,
    },
    /// A refusal recorded as a `rejected` decision and printed (exit 2 when
    /// malformed, else 1).
    #[error("{message}")]
    Recorded {
        /// What kind.
        kind: RefusalKind,
        /// The recorded reason.
        message: String,
    },
    /// The validators ran and the patch was rejected; the decision was recorded
    /// and printed (exit 1).
    #[error("the patch was rejected")]
    Rejected,
    /// libgit2 failed on a repository and patch that were fine (exit 7).
    #[error("libgit2 failed to {action}")]
    Git {
        /// What was being done.
        action: &'static str,
        /// What libgit2 said.
        #[source]
        source: git2::Error,
    },
    /// A branch could not be moved or created (exit 2).
    #[error(transparent)]
    RefUpdate(#[from] super::act::RefUpdateError),
    /// No counted queue item has this id (exit 2).
    #[error("no queue item `{0}` (see `git auditops queue list`)")]
    NoItem(String),
    /// The queue item was resolved before (exit 1).
    #[error("queue item {item} was already {resolution} at {at}")]
    AlreadyResolved {
        /// The item.
        item: String,
        /// How it was resolved.
        resolution: super::records::Resolution,
        /// When.
        at: crate::time::Timestamp,
    },
    /// `queue reject` without a reason (exit 2).
    #[error("--reason must say why the patch is rejected")]
    NoReason,
}

impl PatchError {
    /// A libgit2 failure while doing `action`; use with `map_err`.
    pub(crate) fn git(action: &'static str) -> impl FnOnce(git2::Error) -> PatchError {
        move |source| PatchError::Git { action, source }
    }
}
