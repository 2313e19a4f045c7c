//! The two record kinds of the outbox: an operation (`outbox-op`) and an
//! outcome of it (`outbox-outcome`), both keyed by op id.

use super::{OpKind, OpRequest};
use crate::records::{KeyedKind, unix_seconds};
use crate::sign::Subject;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Hex digits of the op id: 64 bits, plenty for one repository's outbox.
const OP_ID_HEX: usize = 16;

/// One queued operation. Never rewritten; see [`OutboxOutcome`] for what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxOp {
    pub schema_version: u32,
    /// The first 16 hex digits of [`OutboxOp::content_sha256`]: the key, and the
    /// marker in everything the operation creates.
    pub op_id: String,
    pub kind: OpKind,
    pub dedupe_key: String,
    pub repo: Option<String>,
    /// The kind's fields, with every non-integer number stored as a decimal
    /// string (records hold integers only).
    pub payload: serde_json::Value,
    /// RFC 3339 UTC, whole seconds.
    pub created_at: String,
}

impl OutboxOp {
    pub fn new(request: &OpRequest, created_at: String) -> Self {
        let mut op = OutboxOp {
            schema_version: 1,
            op_id: String::new(),
            kind: request.kind,
            dedupe_key: request.dedupe_key.clone(),
            repo: request.repo.clone(),
            payload: super::payload::integers_only(request.payload.clone()),
            created_at,
        };
        op.op_id = op.content_sha256()[..OP_ID_HEX].to_owned();
        op
    }

    /// SHA-256 (hex) of the canonical JSON of kind, dedupe key, repository,
    /// payload and creation time: what the op id and the subject digest name.
    pub fn content_sha256(&self) -> String {
        let content = serde_json::json!({
            "kind": self.kind,
            "dedupe_key": self.dedupe_key,
            "repo": self.repo,
            "payload": self.payload,
            "created_at": self.created_at,
        });
        hex::encode(Sha256::digest(crate::canonical::canonical_json(&content)))
    }

    /// The marker put in the body of everything this operation creates.
    pub fn marker(&self) -> String {
        marker(&self.op_id)
    }
}

/// `<!-- auditops:op=<op id> -->`
pub fn marker(op_id: &str) -> String {
    format!("<!-- auditops:op={op_id} -->")
}

fn op_subject(op_id: &str, sha256: &str) -> Subject {
    Subject::new(format!("outbox-op:{op_id}"), "sha256", sha256)
}

impl KeyedKind for OutboxOp {
    const KIND: &'static str = "outbox-op";

    fn key(&self) -> Vec<String> {
        vec![self.op_id.clone()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![op_subject(&self.op_id, &self.content_sha256())]
    }

    fn unix_seconds(&self) -> Option<i64> {
        unix_seconds(&self.created_at)
    }

    /// The op id must be the one the content implies, so that two different
    /// operations can never share a key.
    fn check(&self) -> Result<(), crate::records::RecordError> {
        if self.op_id != self.content_sha256()[..OP_ID_HEX] {
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

/// Values of [`OutboxOutcome::detail`].
pub mod detail {
    /// Made by this attempt.
    pub const CREATED: &str = "created";
    /// Found by its marker after an attempt whose result was unknown.
    pub const ADOPTED: &str = "adopted";
    /// The same request (kind, repository, dedupe key) was already carried out.
    pub const DEDUPLICATED: &str = "deduplicated";
    /// Listed in the digest issue `number`.
    pub const DIGEST: &str = "digest";
    /// An auto-close proposal was posted; a later sync closes the issue.
    pub const PROPOSED: &str = "proposed";
    /// The issue carried `auto-close:proposed` already.
    pub const ALREADY_PROPOSED: &str = "already_proposed";
    /// The issue was closed.
    pub const CLOSED: &str = "closed";
    /// `auto-close:blocked`: never closed by the tool.
    pub const BLOCKED: &str = "blocked";
    /// Someone closed the issue before the tool did.
    pub const ALREADY_CLOSED: &str = "already_closed";
}

/// One thing that became of an operation. An operation collects outcomes over
/// its life (failed attempts, then done); [`super::status`] reads them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxOutcome {
    pub schema_version: u32,
    pub op_id: String,
    /// The operation's [`OutboxOp::content_sha256`].
    pub op_sha256: String,
    pub status: OutcomeStatus,
    /// The repository the operation ran against (`owner/name`).
    pub repo: Option<String>,
    /// The issue or pull request number.
    pub number: Option<u64>,
    pub url: Option<String>,
    pub detail: Option<String>,
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
    pub folded_into: Option<String>,
    /// `GITHUB_RUN_ID`, or `local`.
    pub run_id: String,
    pub timestamp: String,
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
            timestamp: crate::records::now(),
        }
    }
}

impl KeyedKind for OutboxOutcome {
    const KIND: &'static str = "outbox-outcome";

    fn key(&self) -> Vec<String> {
        vec![self.op_id.clone()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![op_subject(&self.op_id, &self.op_sha256)]
    }

    fn unix_seconds(&self) -> Option<i64> {
        unix_seconds(&self.timestamp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::Statement;

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
        let a = OutboxOp::new(&request(), "2026-01-01T00:00:00Z".into());
        let b = OutboxOp::new(&request(), "2026-01-01T00:00:00Z".into());
        let c = OutboxOp::new(&request(), "2026-01-01T00:00:01Z".into());
        assert_eq!(a.op_id, b.op_id);
        assert_ne!(a.op_id, c.op_id);
        assert_eq!(a.op_id.len(), 16);
        assert_eq!(a.payload["confidence"], "0.87");
    }

    #[test]
    fn a_forged_op_id_is_refused() {
        let mut op = OutboxOp::new(&request(), "2026-01-01T00:00:00Z".into());
        let good = op.statement();
        assert!(OutboxOp::from_statement(&good).is_ok());
        op.op_id = "0000000000000000".into();
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
