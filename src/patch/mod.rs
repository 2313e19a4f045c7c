//! Patches: apply a patch to a target branch in memory, check the result out in
//! a pooled worktree, run the repository's validators, score them, and decide:
//! merge, pull request, manual review, or reject. Every decision is recorded,
//! signed, with everything it was based on.

mod act;
mod apply;
pub mod decide;
mod error;
mod git_cli;
pub mod id;
pub mod input;
pub mod parse;
mod paths;
pub mod queue;
pub mod records;
mod redact;
mod review;
mod submit;
pub mod validate;

pub use act::RefUpdateError;
pub use error::PatchError;
pub use error::RefusalKind;
pub use id::PatchId;
pub use review::{Resolved, approve, reject};
pub use submit::{Options, Submitted, submit};

use crate::error::Result;
use crate::outbox::{OpKind, OpRequest};
use crate::records::read_all;
use crate::sign::{SignatureStatus, SigningKey};
use crate::store::{Op, RecordId};
use crate::workspace::Workspace;
use decide::Decision;
use records::DecisionRecord;
pub(crate) use records::display_as_serialized;
use serde::Serialize;

/// The branch a pull request for a patch to `target` comes from (one per
/// target: a patch may be proposed to several).
pub(crate) fn branch_name(patch_id: &PatchId, target: &str) -> String {
    format!(
        "auditops/patch/{}-{}",
        patch_id.short(),
        target.replace('/', "-")
    )
}

/// The outbox operation that opens the pull request of `record`: its title is
/// the patch's subject, its body the patch's message.
fn pull_request_op(
    record: &DecisionRecord,
    record_id: RecordId,
    key: Option<&SigningKey>,
) -> (String, Op) {
    let title = record.title();
    let request = OpRequest {
        kind: OpKind::CreatePullRequest,
        dedupe_key: format!("patch:{}:{}", record.patch_id, record.target),
        repo: None,
        payload: serde_json::json!({
            "head": branch_name(&record.patch_id, &record.target),
            "base": record.target,
            "title": title,
            "body": record.body,
            "author": record.author,
            "patch_id": record.patch_id,
            "decision_id": record_id,
            "decision": record.decision,
            "confidence": record.confidence,
            "validators": record.validators.iter().map(|s| serde_json::json!({
                "name": s.name, "score": s.score, "weight": s.weight, "category": s.category,
            })).collect::<Vec<_>>(),
            "reason": record.reasons.join("; "),
            "auto_merge": record.decision == Decision::AutoMerge,
        }),
    };
    let (op_id, op) = crate::outbox::queue_op(&request, key);
    (op_id.into(), op)
}

/// Whether a decision record's signature makes it count for this clone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Standing {
    /// Signed by a key of the trust list.
    Trusted,
    /// Not signed at all.
    Unsigned,
    /// Signed, but not by a trusted key (or the signature does not hold).
    Untrusted,
}

display_as_serialized!(Standing);

/// One row of the decision log.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedDecision {
    /// The decision.
    #[serde(flatten)]
    pub record: DecisionRecord,
    /// The record's id.
    pub id: RecordId,
    /// Who signed it (trusted signers only).
    pub signer: Option<String>,
    /// What its signature establishes (the JSON says it with `signer`).
    #[serde(skip)]
    pub standing: Standing,
}

/// `decisions`: every decision record, oldest first, trusted or not.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct DecisionLog {
    /// The rows.
    pub decisions: Vec<LoggedDecision>,
}

/// The decision log; reads only.
pub fn decisions(ws: &Workspace) -> Result<DecisionLog> {
    let mut decisions: Vec<LoggedDecision> = match ws.view()? {
        Some(view) => read_all::<DecisionRecord>(&view, ws.trust()?)?
            .into_iter()
            .map(|r| LoggedDecision {
                id: r.id,
                signer: r.signer().map(str::to_owned),
                standing: match r.status {
                    SignatureStatus::Trusted { .. } => Standing::Trusted,
                    SignatureStatus::Unsigned => Standing::Unsigned,
                    _ => Standing::Untrusted,
                },
                record: r.record,
            })
            .collect(),
        None => Vec::new(),
    };
    decisions.sort_by_key(|a| a.record.timestamp);
    Ok(DecisionLog { decisions })
}
