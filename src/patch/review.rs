//! `queue approve` and `queue reject`: a person resolves a queue item.

use super::error::PatchError;
use super::queue::{self, Change};
use super::records::{Action, Alert, DecisionRecord, QueueResolution, Resolution};
use super::{act, branch_name, pull_request_op};
use crate::error::Result;
use crate::records::KeyedKind;
use crate::sign::key;
use crate::time::Timestamp;
use crate::workspace::Workspace;

/// What `queue approve` or `queue reject` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Resolved {
    /// The item resolved.
    pub item_id: String,
    /// What the patch is about.
    pub subject: String,
    /// The target branch.
    pub target: String,
    /// The reviewer's note (approve) or reason (reject).
    pub note: Option<String>,
    /// `--override`: why a failing or protected patch was approved anyway.
    #[serde(rename = "override")]
    pub override_reason: Option<String>,
    /// Approved or rejected.
    pub resolution: Resolution,
    /// What was done about it.
    pub action: Action,
    /// The branch made for a pull request, if any.
    pub branch: Option<String>,
    /// The outbox operation queued, if any.
    pub outbox_op: Option<String>,
    /// The queue-health alert recorded with the resolution, if the health changed.
    #[serde(skip)]
    pub health_alert: Option<Alert>,
}

/// Why approving the item of `decision` needs `--override`: its failed
/// validators and the protected paths it changes.
fn needs_override(ws: &Workspace, decision: Option<&DecisionRecord>) -> Result<Vec<String>> {
    let Some(decision) = decision else {
        return Ok(Vec::new());
    };
    let failed = decision
        .validators
        .iter()
        .filter(|s| !s.passed())
        .map(|s| format!("validator `{}` {}", s.name, s.outcome));
    let protected = super::submit::protected_changes(ws.config()?, &decision.files)
        .into_iter()
        .map(|p| format!("it changes protected `{p}`"));
    Ok(failed.chain(protected).collect())
}

/// Approves a pending item: a signed approval, then the merge (when the target
/// has not moved and is not checked out) or else a pull request. An item a
/// validator failed, or that changes a protected path, is refused unless
/// `override_reason` says why; that text is signed with the approval.
pub fn approve(
    ws: &Workspace,
    item_id: &str,
    note: Option<&str>,
    override_reason: Option<&str>,
) -> Result<Resolved> {
    let repo = ws.repo();
    let item = queue::pending_item(queue::load(ws)?, item_id)?;
    let decision = queue::decision_of(ws, &item)?;
    let override_reason = override_reason
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let blockers = needs_override(ws, decision.as_ref().map(|d| &d.record))?;
    if !blockers.is_empty() && override_reason.is_none() {
        return Err(PatchError::NeedsOverride {
            item: item_id.to_owned(),
            reasons: blockers,
        }
        .into());
    }
    // An approval is a person's signature: a key is needed even where unsigned
    // records are allowed.
    let key = key::find(repo)?;
    let approval = crate::approval::Approval::new(
        format!("queue:{item_id}"),
        item.result_commit,
        note,
        override_reason.as_deref(),
    );
    let mut ops = vec![approval.put(Some(&key))];
    let (mut branch, mut outbox_op) = (None, None);
    let merged = act::checked_out_in(repo, &item.target).is_none()
        && act::move_branch(
            repo,
            &item.target,
            item.base_commit,
            item.result_commit,
            &format!("auditops: merge approved patch {item_id}"),
        )
        .map_err(PatchError::from)?;
    let action = if merged {
        Action::Merged
    } else {
        let name = branch_name(&item.patch_id, &item.target);
        act::create_branch(repo, &name, item.result_commit).map_err(PatchError::from)?;
        if let Some(decision) = &decision {
            let (op_id, op) = pull_request_op(&decision.record, decision.id, Some(&key));
            ops.push(op);
            outbox_op = Some(op_id);
        }
        branch = Some(name);
        Action::PullRequestQueued
    };
    let resolution = QueueResolution {
        schema_version: 1,
        item_id: item.item_id.clone(),
        resolution: Resolution::Approved,
        action,
        note: note.map(|n| crate::evidence::redact(n).into_owned()),
        timestamp: Timestamp::now(),
    };
    ops.push(resolution.put(Some(&key)));
    let health_alert = queue::alert_for(ws, Change::Resolved(&item.item_id))?;
    if let Some(alert) = &health_alert {
        ops.extend(crate::alerts::with_channels(ws, alert, Some(&key))?);
    }
    ws.write(&ops, &format!("queue: approve {item_id}"))?;
    Ok(Resolved {
        item_id: item_id.to_owned(),
        subject: title(decision.as_ref().map(|d| &d.record), &item),
        target: item.target.clone(),
        note: note.map(str::to_owned),
        override_reason,
        resolution: Resolution::Approved,
        action,
        branch,
        outbox_op,
        health_alert,
    })
}

fn title(decision: Option<&DecisionRecord>, item: &super::records::QueueItem) -> String {
    decision
        .map(DecisionRecord::title)
        .unwrap_or_else(|| format!("patch {}", item.patch_id.short()))
}

/// Rejects a pending item, with a reason.
pub fn reject(ws: &Workspace, item_id: &str, reason: &str) -> Result<Resolved> {
    if reason.trim().is_empty() {
        return Err(PatchError::NoReason.into());
    }
    let item = queue::pending_item(queue::load(ws)?, item_id)?;
    let key = key::for_recording(ws)?;
    let resolution = QueueResolution {
        schema_version: 1,
        item_id: item.item_id.clone(),
        resolution: Resolution::Rejected,
        action: Action::None,
        note: Some(crate::evidence::redact(reason.trim()).into_owned()),
        timestamp: Timestamp::now(),
    };
    let mut ops = vec![resolution.put(key.as_ref())];
    let health_alert = queue::alert_for(ws, Change::Resolved(&item.item_id))?;
    if let Some(alert) = &health_alert {
        ops.extend(crate::alerts::with_channels(ws, alert, key.as_ref())?);
    }
    ws.write(&ops, &format!("queue: reject {item_id}"))?;
    let decision = queue::decision_of(ws, &item)?;
    Ok(Resolved {
        item_id: item_id.to_owned(),
        subject: title(decision.as_ref().map(|d| &d.record), &item),
        target: item.target.clone(),
        note: Some(reason.trim().to_owned()),
        override_reason: None,
        resolution: Resolution::Rejected,
        action: Action::None,
        branch: None,
        outbox_op: None,
        health_alert,
    })
}
