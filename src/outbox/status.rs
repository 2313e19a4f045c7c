//! The state of an operation, derived from its outcomes (which are only ever
//! added, never rewritten).

use super::OpKind;
use super::op_id::OpId;
use super::read::{Entry, Outbox};
use super::records::{Detail, OutcomeStatus};
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::HashMap;

/// Where an operation stands, derived from its outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum OpState {
    /// Waiting to run, or to run again.
    Pending {
        /// Attempts made so far.
        attempts: u32,
        /// An earlier attempt may have taken effect: reconcile before retrying.
        uncertain: bool,
        /// Why the last attempt failed.
        last_error: Option<String>,
    },
    /// Listed in the digest operation `into`, which is not done yet.
    Folded {
        /// The digest operation.
        into: OpId,
    },
    /// An auto-close proposal is up on the issue since `since`; a later sync
    /// closes it (or not).
    Proposed {
        /// The issue.
        number: u64,
        /// The issue's page.
        url: Option<String>,
        /// When the proposal was posted.
        since: Timestamp,
    },
    /// Carried out.
    Done {
        /// The issue or pull request.
        number: Option<u64>,
        /// Its page.
        url: Option<String>,
        /// How it was done.
        detail: Option<Detail>,
    },
    /// Failed in a way retrying cannot fix.
    Failed {
        /// Why.
        error: String,
        /// Attempts made.
        attempts: u32,
    },
    /// Not signed by a trusted key: never runs.
    Untrusted,
}

impl OpState {
    /// A short name for listings: `pending`, `done`, …
    pub fn name(&self) -> &'static str {
        match self {
            OpState::Pending { .. } => "pending",
            OpState::Folded { .. } => "folded",
            OpState::Proposed { .. } => "proposed",
            OpState::Done { .. } => "done",
            OpState::Failed { .. } => "failed",
            OpState::Untrusted => "untrusted",
        }
    }

    /// Work remains for the executor (including waiting on a digest or an
    /// auto-close proposal).
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            OpState::Pending { .. } | OpState::Folded { .. } | OpState::Proposed { .. }
        )
    }
}

/// The state an entry's own outcomes give, before folds are resolved.
fn own_state(entry: &Entry) -> OpState {
    if !entry.counts {
        return OpState::Untrusted;
    }
    let outcomes = &entry.outcomes;
    let auto_close = entry.op.kind == OpKind::ProposeAutoClose;
    let done = outcomes.iter().find(|o| {
        o.status == OutcomeStatus::Done
            && (!auto_close || o.detail.is_some_and(Detail::ends_auto_close))
    });
    if let Some(o) = done {
        return OpState::Done {
            number: o.number,
            url: o.url.clone(),
            detail: o.detail,
        };
    }
    let failed = || {
        outcomes
            .iter()
            .filter(|o| o.status == OutcomeStatus::Failed)
    };
    let attempts = failed().map(|o| o.attempts).max().unwrap_or(0);
    if let Some(o) = failed().find(|o| !o.retryable) {
        return OpState::Failed {
            error: o.error.clone().unwrap_or_default(),
            attempts,
        };
    }
    if auto_close
        && let Some(o) = outcomes
            .iter()
            .find(|o| o.status == OutcomeStatus::Done && o.number.is_some())
    {
        return OpState::Proposed {
            number: o.number.unwrap_or_default(),
            url: o.url.clone(),
            since: o.timestamp,
        };
    }
    if let Some(o) = outcomes
        .iter()
        .rev()
        .find(|o| o.status == OutcomeStatus::Folded)
        && let Some(into) = &o.folded_into
    {
        return OpState::Folded { into: into.clone() };
    }
    OpState::Pending {
        attempts,
        uncertain: failed().any(|o| o.uncertain),
        last_error: failed().next_back().and_then(|o| o.error.clone()),
    }
}

/// Every operation's state. A folded operation is done when its digest is;
/// if the digest cannot be made (failed, untrusted, missing) it is pending again.
pub fn states(outbox: &Outbox) -> HashMap<OpId, OpState> {
    let own: HashMap<&OpId, OpState> = outbox
        .entries
        .iter()
        .map(|e| (&e.op.op_id, own_state(e)))
        .collect();
    outbox
        .entries
        .iter()
        .map(|entry| {
            let id = &entry.op.op_id;
            let state = match &own[id] {
                OpState::Folded { into } => match own.get(into) {
                    Some(OpState::Done { number, url, .. }) => OpState::Done {
                        number: *number,
                        url: url.clone(),
                        detail: Some(Detail::Digest),
                    },
                    Some(OpState::Pending { .. }) | Some(OpState::Folded { .. }) => {
                        OpState::Folded { into: into.clone() }
                    }
                    _ => {
                        let mut unfolded = entry.clone();
                        unfolded
                            .outcomes
                            .retain(|o| o.status != OutcomeStatus::Folded);
                        own_state(&unfolded)
                    }
                },
                other => other.clone(),
            };
            (id.clone(), state)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::records::{OutboxOp, OutboxOutcome};
    use crate::outbox::{OpKind, OpRequest};

    fn entry(kind: OpKind, n: u32) -> Entry {
        let op = OutboxOp::new(
            &OpRequest {
                kind,
                dedupe_key: format!("k{n}"),
                repo: None,
                payload: serde_json::json!({"title": "t", "body": "b"}),
            },
            "2026-01-01T00:00:00Z".parse().unwrap(),
        );
        Entry {
            record_id: crate::store::RecordId::of(op.op_id.as_str().as_bytes()),
            op,
            counts: true,
            signer: None,
            outcomes: Vec::new(),
        }
    }

    #[test]
    fn failures_then_success() {
        let mut e = entry(OpKind::CreateIssue, 1);
        let mut failed = OutboxOutcome::of(&e.op, OutcomeStatus::Failed, "local");
        failed.attempts = 2;
        failed.retryable = true;
        failed.uncertain = true;
        e.outcomes.push(failed);
        let outbox = Outbox {
            entries: vec![e.clone()],
        };
        assert_eq!(
            outbox.states()[&e.op.op_id],
            OpState::Pending {
                attempts: 2,
                uncertain: true,
                last_error: None
            }
        );
        let mut done = OutboxOutcome::of(&e.op, OutcomeStatus::Done, "local");
        done.number = Some(7);
        e.outcomes.push(done);
        let outbox = Outbox {
            entries: vec![e.clone()],
        };
        assert!(matches!(
            outbox.states()[&e.op.op_id],
            OpState::Done {
                number: Some(7),
                ..
            }
        ));
    }

    #[test]
    fn folded_follows_its_digest() {
        let mut digest = entry(OpKind::CreateIssue, 0);
        let mut folded = entry(OpKind::CreateIssue, 1);
        let mut f = OutboxOutcome::of(&folded.op, OutcomeStatus::Folded, "local");
        f.folded_into = Some(digest.op.op_id.clone());
        folded.outcomes.push(f);
        let outbox = Outbox {
            entries: vec![digest.clone(), folded.clone()],
        };
        assert_eq!(outbox.states()[&folded.op.op_id].name(), "folded");

        let mut failed = OutboxOutcome::of(&digest.op, OutcomeStatus::Failed, "local");
        failed.retryable = false;
        digest.outcomes.push(failed);
        let outbox = Outbox {
            entries: vec![digest.clone(), folded.clone()],
        };
        assert_eq!(outbox.states()[&folded.op.op_id].name(), "pending");

        digest.outcomes.clear();
        let mut done = OutboxOutcome::of(&digest.op, OutcomeStatus::Done, "local");
        done.number = Some(40);
        digest.outcomes.push(done);
        let outbox = Outbox {
            entries: vec![digest, folded.clone()],
        };
        assert!(matches!(
            &outbox.states()[&folded.op.op_id],
            OpState::Done {
                number: Some(40),
                detail: Some(Detail::Digest),
                ..
            }
        ));
    }

    #[test]
    fn auto_close_is_proposed_until_closed() {
        let mut e = entry(OpKind::ProposeAutoClose, 1);
        let mut proposed = OutboxOutcome::of(&e.op, OutcomeStatus::Done, "local");
        proposed.number = Some(3);
        proposed.detail = Some(Detail::Proposed);
        e.outcomes.push(proposed);
        let outbox = Outbox {
            entries: vec![e.clone()],
        };
        assert_eq!(outbox.states()[&e.op.op_id].name(), "proposed");
        let mut closed = OutboxOutcome::of(&e.op, OutcomeStatus::Done, "local");
        closed.number = Some(3);
        closed.detail = Some(Detail::Closed);
        e.outcomes.push(closed);
        let outbox = Outbox {
            entries: vec![e.clone()],
        };
        assert_eq!(outbox.states()[&e.op.op_id].name(), "done");
    }
}
