//! Deduplication: operations of the same kind, repository and dedupe key are
//! one request. `issue new` refuses to queue a second one while the first is
//! pending or its issue open; the executor marks a later duplicate done (or
//! holds it back while the first may still take effect), so two clones that
//! queued the same request offline still make one issue.

use super::OpKind;
use super::op_id::OpId;
use super::read::{Entry, Outbox};
use super::records::OutcomeStatus;
use super::status::OpState;
use std::collections::{HashMap, HashSet};

/// An earlier operation that makes a new one redundant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Duplicate {
    /// Queued and not carried out yet.
    Pending {
        /// The earlier operation.
        op_id: OpId,
    },
    /// Carried out; for an issue, not known to be closed.
    Done {
        /// The earlier operation.
        op_id: OpId,
        /// Its issue or pull request.
        number: Option<u64>,
        /// Its page.
        url: Option<String>,
    },
}

/// Issues the outbox knows are closed, as `(repository, number)`.
fn closed_issues(outbox: &Outbox, default_repo: Option<&str>) -> HashSet<(String, u64)> {
    let mut closed = HashSet::new();
    for entry in &outbox.entries {
        let repo = target_repo(entry, default_repo);
        for o in &entry.outcomes {
            let closes = match entry.op.kind {
                OpKind::CloseIssue => o.status == OutcomeStatus::Done,
                OpKind::ProposeAutoClose => {
                    o.status == OutcomeStatus::Done && o.detail.is_some_and(|d| d.closes())
                }
                _ => false,
            };
            if let (true, Some(number)) = (closes, o.number) {
                closed.insert((repo.clone(), number));
            }
        }
    }
    closed
}

/// The repository an entry targets, with `default_repo` for unset ones ("" if none).
pub(crate) fn target_repo(entry: &Entry, default_repo: Option<&str>) -> String {
    entry
        .op
        .repo
        .as_deref()
        .or(default_repo)
        .unwrap_or_default()
        .to_owned()
}

/// The operation that makes a request of `kind` with `dedupe_key` on `repo`
/// redundant, if any. `before` limits pending candidates to operations that
/// sort before it (created earlier); done ones count whenever they were made.
pub fn find(
    outbox: &Outbox,
    states: &HashMap<OpId, OpState>,
    kind: OpKind,
    repo: &str,
    dedupe_key: &str,
    default_repo: Option<&str>,
    before: Option<&Entry>,
) -> Option<Duplicate> {
    let closed = closed_issues(outbox, default_repo);
    let mut pending = None;
    for entry in &outbox.entries {
        if entry.op.kind != kind
            || entry.op.dedupe_key != dedupe_key
            || target_repo(entry, default_repo) != repo
        {
            continue;
        }
        if let Some(me) = before
            && me.op.op_id == entry.op.op_id
        {
            continue;
        }
        match states.get(&entry.op.op_id) {
            Some(OpState::Done { number, url, .. }) => {
                let is_closed = kind == OpKind::CreateIssue
                    && number.is_some_and(|n| closed.contains(&(repo.to_owned(), n)));
                if !is_closed {
                    return Some(Duplicate::Done {
                        op_id: entry.op.op_id.clone(),
                        number: *number,
                        url: url.clone(),
                    });
                }
            }
            Some(state) if state.is_open() && pending.is_none() => {
                let earlier = before.is_none_or(|me| entry.op.order_key() < me.op.order_key());
                if earlier {
                    pending = Some(Duplicate::Pending {
                        op_id: entry.op.op_id.clone(),
                    });
                }
            }
            _ => {}
        }
    }
    pending
}
