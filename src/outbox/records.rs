//! The two record kinds of the outbox: an operation (`outbox-op`) and an
//! outcome of it (`outbox-outcome`), both keyed by op id.

use super::op_id::OpId;
use super::payload::{Payload, PayloadError};
use super::{OpKind, OpRequest};
use crate::ids::Sha256;
use crate::records::KeyedKind;
use crate::sign::Subject;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One queued operation. Never rewritten; see [`OutboxOutcome`] for what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxOp {
    /// The record format's version (1).
    pub schema_version: u32,
    /// The first 16 hex digits of [`OutboxOp::content_sha256`]: the key, and the
    /// marker in everything the operation creates.
    pub op_id: OpId,
    /// What the operation asks GitHub to do.
    pub kind: OpKind,
    /// Operations of the same kind, repository and key are one request.
    pub dedupe_key: String,
    /// `owner/name`; `None` resolves at sync time.
    pub repo: Option<String>,
    /// The kind's fields, with every non-integer number stored as a decimal
    /// string (records hold integers only). Read it with [`OutboxOp::payload`].
    pub payload: serde_json::Value,
    /// When it was queued (whole seconds).
    pub created_at: Timestamp,
}

impl OutboxOp {
    /// The operation `request` queued at `created_at`, with its op id.
    pub fn new(request: &OpRequest, created_at: Timestamp) -> Self {
        let mut op = OutboxOp {
            schema_version: 1,
            op_id: OpId::of(&Sha256::of([])),
            kind: request.kind,
            dedupe_key: request.dedupe_key.clone(),
            repo: request.repo.clone(),
            payload: super::redact_free_text(super::payload::integers_only(
                request.payload.clone(),
            )),
            created_at,
        };
        op.op_id = OpId::of(&op.content_sha256());
        op
    }

    /// SHA-256 of the canonical JSON of kind, dedupe key, repository,
    /// payload and creation time: what the op id and the subject digest name.
    pub fn content_sha256(&self) -> Sha256 {
        let content = serde_json::json!({
            "kind": self.kind,
            "dedupe_key": self.dedupe_key,
            "repo": self.repo,
            "payload": self.payload,
            "created_at": self.created_at,
        });
        Sha256::of(crate::canonical::canonical_json(&content))
    }

    /// The payload read and checked for the operation's kind.
    pub fn payload(&self) -> Result<Payload, PayloadError> {
        Payload::read(self.kind, &self.payload)
    }

    /// What the operation is about, in a few words: its title or its target
    /// (empty when the payload cannot be read).
    pub fn describe(&self) -> String {
        self.payload().map(|p| p.describe()).unwrap_or_default()
    }

    /// The marker put in the body of everything this operation creates.
    pub fn marker(&self) -> String {
        self.op_id.marker()
    }

    /// The outbox's order: oldest first, ties by op id.
    pub fn order_key(&self) -> (Timestamp, &OpId) {
        (self.created_at, &self.op_id)
    }
}

fn op_subject(op_id: &OpId, sha256: &Sha256) -> Subject {
    Subject::new(format!("outbox-op:{op_id}"), "sha256", sha256.to_hex())
}

impl KeyedKind for OutboxOp {
    const KIND: &'static str = "outbox-op";

    fn key(&self) -> Vec<String> {
        vec![self.op_id.to_string()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![op_subject(&self.op_id, &self.content_sha256())]
    }

    fn unix_seconds(&self) -> Option<i64> {
        Some(self.created_at.as_second())
    }

    /// The op id must be the one the content implies, so that two different
    /// operations can never share a key.
    fn check(&self) -> Result<(), crate::records::RecordError> {
        if self.op_id != OpId::of(&self.content_sha256()) {
            return Err(crate::records::RecordError::Invalid(format!(
                "op id {} is not the one its content implies",
                self.op_id
            )));
        }
        Ok(())
    }
}

/// What an outcome says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatus {
    /// The effect exists on GitHub (`number`/`url` name it); `detail` says how.
    Done,
    /// An attempt failed: `retryable` says whether a later sync tries again.
    Failed,
    /// Folded into a digest issue (`folded_into`, a `create_issue` op id); done
    /// when that operation is.
    Folded,
}

super::named::named_enum! {
    /// How an operation is done: the values of [`OutboxOutcome::detail`].
    pub enum Detail {
        /// Made by this attempt.
        Created = "created",
        /// Found by its marker after an attempt whose result was unknown.
        Adopted = "adopted",
        /// The same request (kind, repository, dedupe key) was already carried out.
        Deduplicated = "deduplicated",
        /// Listed in the digest issue `number`.
        Digest = "digest",
        /// An auto-close proposal was posted; a later sync closes the issue.
        Proposed = "proposed",
        /// The issue carried `auto-close:proposed` already.
        AlreadyProposed = "already_proposed",
        /// The issue was closed.
        Closed = "closed",
        /// `auto-close:blocked`: never closed by the tool.
        Blocked = "blocked",
        /// Someone closed the issue before the tool did.
        AlreadyClosed = "already_closed",
        /// A closed issue was reopened.
        Reopened = "reopened",
        /// An auto-close proposal withdrawn before it closed the issue (a
        /// finding it was about came back).
        Cancelled = "cancelled",
        /// A later sync saw the pull request merged.
        Merged = "merged",
        /// A later sync saw the pull request closed without merging.
        ClosedUnmerged = "closed_unmerged",
    }
}

impl Detail {
    /// Whether an auto-close proposal with this outcome is over (the issue is
    /// closed, or will never be closed by the tool).
    pub fn ends_auto_close(self) -> bool {
        matches!(
            self,
            Detail::Closed | Detail::Blocked | Detail::AlreadyClosed | Detail::Cancelled
        )
    }

    /// Whether the issue the outcome names is closed.
    pub fn closes(self) -> bool {
        matches!(self, Detail::Closed | Detail::AlreadyClosed)
    }
}

/// One thing that became of an operation. An operation collects outcomes over
/// its life (failed attempts, then done); [`super::status`] reads them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxOutcome {
    /// The record format's version (1).
    pub schema_version: u32,
    /// The operation.
    pub op_id: OpId,
    /// The operation's [`OutboxOp::content_sha256`].
    pub op_sha256: Sha256,
    /// What happened.
    pub status: OutcomeStatus,
    /// The repository the operation ran against (`owner/name`).
    pub repo: Option<String>,
    /// The issue or pull request number.
    pub number: Option<u64>,
    /// The issue, comment or pull request on GitHub.
    pub url: Option<String>,
    /// For `done`: how.
    pub detail: Option<Detail>,
    /// Why the attempt failed.
    pub error: Option<String>,
    /// Attempts made so far, over all runs.
    pub attempts: u32,
    /// A failed attempt that a later sync should retry.
    pub retryable: bool,
    /// The failed attempt may have taken effect on GitHub (a timeout, a dropped
    /// connection, a 5xx after sending a write): reconcile before retrying.
    pub uncertain: bool,
    /// For `folded`: the digest operation.
    pub folded_into: Option<OpId>,
    /// `GITHUB_RUN_ID`, or `local`.
    pub run_id: String,
    /// When it was recorded.
    pub timestamp: Timestamp,
}

impl OutboxOutcome {
    /// An outcome of `op` with every optional field empty.
    pub fn of(op: &OutboxOp, status: OutcomeStatus, run_id: &str) -> Self {
        OutboxOutcome {
            schema_version: 1,
            op_id: op.op_id.clone(),
            op_sha256: op.content_sha256(),
            status,
            repo: op.repo.clone(),
            number: None,
            url: None,
            detail: None,
            error: None,
            attempts: 0,
            retryable: false,
            uncertain: false,
            folded_into: None,
            run_id: run_id.to_owned(),
            timestamp: Timestamp::now(),
        }
    }
}

impl KeyedKind for OutboxOutcome {
    const KIND: &'static str = "outbox-outcome";

    fn key(&self) -> Vec<String> {
        vec![self.op_id.to_string()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![op_subject(&self.op_id, &self.op_sha256)]
    }

    fn unix_seconds(&self) -> Option<i64> {
        Some(self.timestamp.as_second())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::Statement;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn request() -> OpRequest {
        OpRequest {
            kind: OpKind::CreateIssue,
            dedupe_key: "k".into(),
            repo: None,
            payload: serde_json::json!({"title": "t", "body": "b", "confidence": 0.87}),
        }
    }

    #[test]
    fn op_id_follows_the_content() {
        let a = OutboxOp::new(&request(), ts("2026-01-01T00:00:00Z"));
        let b = OutboxOp::new(&request(), ts("2026-01-01T00:00:00Z"));
        let c = OutboxOp::new(&request(), ts("2026-01-01T00:00:01Z"));
        assert_eq!(a.op_id, b.op_id);
        assert_ne!(a.op_id, c.op_id);
        assert_eq!(a.op_id.as_str().len(), 16);
        assert_eq!(a.payload["confidence"], "0.87");
    }

    #[test]
    fn stored_form_is_the_plain_strings() {
        let op = OutboxOp::new(&request(), ts("2026-01-01T00:00:00Z"));
        let content = serde_json::json!({
            "kind": "create_issue",
            "dedupe_key": "k",
            "repo": null,
            "payload": {"title": "t", "body": "b", "confidence": "0.87"},
            "created_at": "2026-01-01T00:00:00Z",
        });
        let sha = Sha256::of(crate::canonical::canonical_json(&content));
        assert_eq!(op.content_sha256(), sha);
        assert_eq!(op.op_id.as_str(), &sha.to_hex()[..16]);
        let stored = serde_json::to_value(&op).unwrap();
        assert_eq!(stored["created_at"], "2026-01-01T00:00:00Z");
        assert_eq!(stored["op_id"], op.op_id.as_str());
        let mut outcome = OutboxOutcome::of(&op, OutcomeStatus::Done, "local");
        outcome.detail = Some(Detail::AlreadyClosed);
        outcome.folded_into = Some(op.op_id.clone());
        let stored = serde_json::to_value(&outcome).unwrap();
        assert_eq!(stored["op_sha256"], sha.to_hex());
        assert_eq!(stored["detail"], "already_closed");
        assert_eq!(stored["folded_into"], op.op_id.as_str());
        let back: OutboxOutcome = serde_json::from_value(stored).unwrap();
        assert_eq!(back, outcome);
    }

    #[test]
    fn a_forged_op_id_is_refused() {
        let mut op = OutboxOp::new(&request(), ts("2026-01-01T00:00:00Z"));
        let good = op.statement();
        assert!(OutboxOp::from_statement(&good).is_ok());
        op.op_id = "0000000000000000".parse().unwrap();
        let forged = Statement::new(
            op.subjects(),
            OutboxOp::predicate_type(),
            serde_json::to_value(&op).unwrap(),
        );
        let err = OutboxOp::from_statement(&forged).unwrap_err();
        assert!(
            err.to_string().contains("not the one its content implies"),
            "{err}"
        );
    }
}
