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
pub mod list;
mod named;
pub mod op_id;
pub mod payload;
pub mod read;
pub mod records;
pub mod status;

pub use op_id::OpId;
pub use payload::{Payload, PayloadError};
pub use read::{Entry, Outbox};
pub use records::{Detail, OutboxOp, OutboxOutcome, OutcomeStatus};
pub use status::OpState;

pub(crate) use named::named_enum;

use crate::config::RepoNameError;
use crate::records::KeyedKind;
use crate::sign::SigningKey;
use crate::store::Op;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

named_enum! {
    /// What an operation asks GitHub to do.
    pub enum OpKind {
        /// Open an issue (`create_issue`).
        CreateIssue = "create_issue",
        /// Comment on an issue.
        Comment = "comment",
        /// Add labels to an issue.
        AddLabels = "add_labels",
        /// Remove a label from an issue.
        RemoveLabel = "remove_label",
        /// Close an issue.
        CloseIssue = "close_issue",
        /// Push a branch and open a pull request.
        CreatePullRequest = "create_pull_request",
        /// Propose to close an issue; a later sync closes it.
        ProposeAutoClose = "propose_auto_close",
        /// Reopen a closed issue (a finding it was about came back).
        ReopenIssue = "reopen_issue",
        /// Post an alert to the `[alerts] webhook` (Slack-compatible JSON).
        PostWebhook = "post_webhook",
    }
}

/// An operation to queue: what to do, where, and the key that makes a repeat of
/// the same request a no-op.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpRequest {
    /// What to do.
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
    /// A request to carry out `payload` (whose variant is the kind).
    pub fn new(dedupe_key: String, repo: Option<String>, payload: &Payload) -> Self {
        OpRequest {
            kind: payload.kind(),
            dedupe_key,
            repo,
            // Payloads are structs of strings, numbers and lists: always JSON.
            payload: serde_json::to_value(payload).expect("payloads serialize to JSON"),
        }
    }

    /// Checks the repository name and the payload's fields for the kind, and
    /// returns the payload read.
    pub fn validate(&self) -> Result<Payload, OutboxError> {
        if let Some(repo) = &self.repo {
            crate::config::check_repo_name(repo)?;
        }
        if self.dedupe_key.trim().is_empty() {
            return Err(OutboxError::EmptyKey);
        }
        Ok(Payload::read(self.kind, &self.payload)?)
    }
}

/// The fields of a payload that carry prose: titles, bodies, comments and
/// reasons, built from evidence descriptions, notes and tool output.
const FREE_TEXT_FIELDS: &[&str] = &["title", "body", "comment", "reason", "note", "message"];

/// Redacts probable secrets in the payload's free-text fields, at any depth:
/// every GitHub effect becomes an [`records::OutboxOp`] through its `new`, so nothing a
/// user or a tool typed reaches the state (or GitHub) unredacted.
pub(crate) fn redact_free_text(mut value: serde_json::Value) -> serde_json::Value {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (name, field) in map.iter_mut() {
                    match field {
                        serde_json::Value::String(text)
                            if FREE_TEXT_FIELDS.contains(&name.as_str()) =>
                        {
                            if let std::borrow::Cow::Owned(clean) = crate::evidence::redact(text) {
                                *text = clean;
                            }
                        }
                        _ => walk(field),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut value);
    value
}

/// The store operation that queues `request` (signed with `key` when given) and
/// its op id, so a caller can put it in the same transaction as its own records.
///
/// The op id is derived from the request and the current time (see
/// [`OutboxOp::new`]); the same request queued twice within one second is the
/// same operation, stored once.
pub fn queue_op(request: &OpRequest, key: Option<&SigningKey>) -> (OpId, Op) {
    let op = OutboxOp::new(request, Timestamp::now());
    (op.op_id.clone(), op.put(key))
}

/// Why an operation cannot be queued.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The payload does not fit the kind.
    #[error("invalid outbox operation")]
    Payload(#[from] PayloadError),
    /// The repository is not `owner/name`.
    #[error("invalid outbox operation")]
    Repo(#[from] RepoNameError),
    /// A blank dedupe key.
    #[error("invalid outbox operation: the dedupe key is empty")]
    EmptyKey,
}
