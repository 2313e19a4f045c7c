//! The outbox: every GitHub effect the tool wants is first recorded here, as an
//! operation in the state ref, and carried out later by one executor
//! (`crate::github`) when the user pushes or runs `git auditops sync`
//! (DESIGN.md principle 7).
//!
//! Why: commands keep working offline (operations simply wait), and the
//! executor can make every effect idempotent. An operation has an op id that
//! travels into what it creates (`<!-- auditops:op=<op id> -->`), so a retry
//! after a crash or a lost response finds the earlier effect instead of making
//! a second one.
//!
//! Storage: an operation is a keyed record `index/outbox-op/<op id>/`; what
//! became of it is recorded as new `outbox-outcome` records under
//! `index/outbox-outcome/<op id>/`. Nothing is rewritten: the state of an
//! operation (pending, done, failed, …) is derived from its outcomes
//! (see [`status`]). docs/state-format.md specifies both kinds.

pub mod dedupe;
pub mod issue;
pub mod payload;
pub mod read;
pub mod records;
pub mod status;

pub use read::{Entry, Outbox};
pub use records::{OutboxOp, OutboxOutcome, OutcomeStatus};
pub use status::OpState;

use crate::records::KeyedKind;
use crate::sign::SigningKey;
use crate::store::Op;
use serde::{Deserialize, Serialize};

/// What an operation asks GitHub to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    CreateIssue,
    Comment,
    AddLabels,
    RemoveLabel,
    CloseIssue,
    CreatePullRequest,
    ProposeAutoClose,
}

impl OpKind {
    pub const ALL: [OpKind; 7] = [
        OpKind::CreateIssue,
        OpKind::Comment,
        OpKind::AddLabels,
        OpKind::RemoveLabel,
        OpKind::CloseIssue,
        OpKind::CreatePullRequest,
        OpKind::ProposeAutoClose,
    ];

    /// The name used in records and output (`create_issue`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::CreateIssue => "create_issue",
            OpKind::Comment => "comment",
            OpKind::AddLabels => "add_labels",
            OpKind::RemoveLabel => "remove_label",
            OpKind::CloseIssue => "close_issue",
            OpKind::CreatePullRequest => "create_pull_request",
            OpKind::ProposeAutoClose => "propose_auto_close",
        }
    }
}

impl std::fmt::Display for OpKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An operation to queue: what to do, where, and the key that makes a repeat of
/// the same request a no-op.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpRequest {
    pub kind: OpKind,
    /// Two operations of the same kind, repository and dedupe key are the same
    /// request: the executor carries out the first and marks the others done.
    pub dedupe_key: String,
    /// `owner/name`; `None` resolves at sync time (`[github] repo`, else the remote).
    pub repo: Option<String>,
    /// The kind's fields (see [`payload`] and docs/state-format.md).
    pub payload: serde_json::Value,
}

impl OpRequest {
    /// Checks the repository name and the payload's fields for the kind.
    pub fn validate(&self) -> Result<(), OutboxError> {
        if let Some(repo) = &self.repo {
            crate::config::check_repo_name(repo).map_err(OutboxError::Invalid)?;
        }
        if self.dedupe_key.trim().is_empty() {
            return Err(OutboxError::Invalid("the dedupe key is empty".into()));
        }
        payload::validate(self.kind, &self.payload).map_err(OutboxError::Invalid)
    }
}

/// The store operation that queues `request` (signed with `key` when given) and
/// its op id, so a caller can put it in the same transaction as its own records.
///
/// The op id is derived from the request and the current time (see
/// [`OutboxOp::new`]); the same request queued twice within one second is the
/// same operation, stored once.
pub fn queue_op(request: &OpRequest, key: Option<&SigningKey>) -> (String, Op) {
    let op = OutboxOp::new(request, crate::records::now());
    (op.op_id.clone(), op.put(key))
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("invalid outbox operation: {0}")]
    Invalid(String),
    #[error("{}", path.display())]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}
