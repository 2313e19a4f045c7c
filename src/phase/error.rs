//! Why a phase operation refused or could not run. Which exit code each is
//! belongs to the command-line contract: see `phase` in `src/error.rs`.

use crate::approval::SubjectError;
use crate::ids::CommitId;

/// A phase operation that said no, or was asked something it cannot do.
#[derive(Debug, thiserror::Error)]
pub enum PhaseError {
    /// The phase asked for is not configured.
    #[error("there is no phase {id}: .auditops.toml defines {}", defined_phases(*.defined))]
    NoSuchPhase {
        /// The phase asked for.
        id: u32,
        /// How many phases the config defines.
        defined: usize,
    },
    /// The config has no `[[phases]]` at all.
    #[error("no phases are configured: add [[phases]] and [gates.<ID>] to .auditops.toml")]
    NoPhases,
    /// No phase was named and none is active.
    #[error("every phase is complete; name one with --phase N")]
    AllComplete,
    /// The operation needs HEAD, and HEAD is unborn.
    #[error("HEAD has no commit yet; commit something first")]
    NoHead,
    /// An approval subject that names nothing approvable.
    #[error(transparent)]
    Subject(#[from] SubjectError),
    /// A phase cannot start or complete before the phases before it.
    #[error("cannot {verb} phase {id}: phase {earlier} ({earlier_name}) is not complete")]
    EarlierIncomplete {
        /// `start` or `complete`.
        verb: &'static str,
        /// The phase asked for.
        id: u32,
        /// The first earlier phase that is not complete.
        earlier: u32,
        /// Its name.
        earlier_name: String,
    },
    /// Starting a phase that is already complete.
    #[error("phase {id} ({name}) is already complete")]
    AlreadyComplete {
        /// The phase.
        id: u32,
        /// Its name.
        name: String,
    },
    /// Completing a phase whose gates have not all passed on HEAD's tree.
    #[error(
        "phase {id} cannot complete at {}: gates not passed on its tree: {}; run `git auditops gate run --phase {id}`",
        commit.short(),
        gates.join(", ")
    )]
    GatesNotPassed {
        /// The phase.
        id: u32,
        /// HEAD.
        commit: CommitId,
        /// Each gate that has not passed, with its state: `lint (failed)`.
        gates: Vec<String>,
    },
    /// Completing a phase with too little evidence.
    #[error(
        "phase {id} needs at least {required} evidence record(s) and has {found}; add some with `git auditops evidence add --phase {id} …`"
    )]
    NotEnoughEvidence {
        /// The phase.
        id: u32,
        /// `evidence_min` of the phase.
        required: u32,
        /// The evidence that counts.
        found: usize,
    },
    /// Completing a phase with too few approvals at HEAD.
    #[error(
        "phase {id} needs {required} approval(s) at {} by distinct trusted signers and has {found}; each approver runs `git auditops approve phase:{id}`",
        commit.short()
    )]
    NotEnoughApprovals {
        /// The phase.
        id: u32,
        /// HEAD.
        commit: CommitId,
        /// `approvals` of the phase.
        required: u32,
        /// Approvals by distinct trusted signers at HEAD.
        found: usize,
    },
    /// The tag `phase-N-complete` exists and points elsewhere.
    #[error("tag {tag} already exists at another commit ({existing}); not moving it")]
    TagElsewhere {
        /// The tag's name.
        tag: String,
        /// What it points at.
        existing: gix::ObjectId,
    },
    /// `git tag` could not be started.
    #[error("could not run git tag")]
    TagSpawn(#[source] std::io::Error),
    /// `git tag` ran and failed.
    #[error("git tag {tag} failed: {stderr}")]
    TagFailed {
        /// The tag's name.
        tag: String,
        /// What git said.
        stderr: String,
    },
    /// A gate of `gate run` failed (its report was printed).
    #[error("a gate failed")]
    GateFailed,
    /// git's pre-push input is not text.
    #[error("pre-push input is not UTF-8")]
    PushInputNotUtf8,
    /// A line of git's pre-push input does not have its four fields.
    #[error(
        "pre-push input line {line}: expected `<local ref> <local sha> <remote ref> <remote sha>`, got `{text}`"
    )]
    PushInputLine {
        /// The line number, from 1.
        line: usize,
        /// The line.
        text: String,
    },
    /// A pushed sha in git's pre-push input is not an object id.
    #[error("pre-push input line {line}: `{sha}` is not an object id")]
    PushInputSha {
        /// The line number, from 1.
        line: usize,
        /// The field.
        sha: String,
    },
}

fn defined_phases(count: usize) -> String {
    match count {
        0 => "no [[phases]]".to_owned(),
        n => format!("phases 0 to {}", n - 1),
    }
}
