//! `patch submit`: apply, validate, decide, act, record.

use super::apply::{self, ApplyError};
use super::decide::{self, Decision, Inputs};
use super::error::PatchError;
use super::parse::{self, ChangeStatus, FileChange};
use super::queue::{self, Change};
use super::records::{Action, Alert, AlertKind, DecisionRecord, ItemId, QueueItem};
use super::{act, branch_name, paths, pull_request_op, validate};
use crate::config::{ALWAYS_PROTECTED, Config, PatchMode};
use crate::error::Result;
use crate::ids::CommitId;
use crate::phase::runner::Progress;
use crate::records::{KeyedKind, read_keyed};
use crate::sign::key;
use crate::store::{Op, RecordId};
use crate::time::Timestamp;
use crate::workspace::Workspace;
use crate::worktree::PooledWorktree;
use std::time::Instant;

/// What `patch submit` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Submitted {
    /// The decision record's id.
    pub id: RecordId,
    /// The decision, as recorded.
    pub decision: DecisionRecord,
    /// The branch made for a pull request, if any.
    pub branch: Option<String>,
    /// The outbox operation queued, if any.
    pub outbox_op: Option<String>,
    /// The queue item created, if any.
    pub queue_item: Option<ItemId>,
    /// The patch had been decided before; nothing was run again.
    pub already_decided: bool,
    /// Milliseconds from the start of the command until the first validator started.
    pub ready_ms: Option<u64>,
    /// Whether the pooled worktree was created (first use) rather than reused.
    pub pool_created: bool,
    /// The queue-health alert recorded with the queued item, if the health changed.
    #[serde(skip)]
    pub health_alert: Option<Alert>,
}

impl Submitted {
    /// The patch was rejected: the command fails once the decision is shown.
    pub fn rejected(&self) -> bool {
        self.decision.decision == Decision::Rejected
    }
}

fn target_branch(repo: &gix::Repository, target: Option<&str>) -> Result<(String, CommitId)> {
    let branch = match target {
        Some(t) => t.strip_prefix("refs/heads/").unwrap_or(t).to_owned(),
        None => repo
            .head_name()
            .ok()
            .flatten()
            .map(|n| n.shorten().to_string())
            .ok_or(PatchError::DetachedHead)?,
    };
    let tip = crate::store::read_ref(repo, &format!("refs/heads/{branch}"))?
        .ok_or_else(|| PatchError::NoBranch(branch.clone()))?;
    Ok((branch, tip.into()))
}

fn protected_changes(config: &Config, changes: &[FileChange]) -> Vec<String> {
    let globs: Vec<&str> = ALWAYS_PROTECTED
        .iter()
        .copied()
        .chain(
            config
                .patch
                .protected_paths
                .iter()
                .map(|g| g.get_ref().as_str()),
        )
        .chain(std::iter::once(config.allowed_signers()))
        .collect();
    changes
        .iter()
        .flat_map(|c| std::iter::once(&c.path).chain(c.old_path.as_ref()))
        .filter(|path| globs.iter().any(|g| paths::glob_matches(g, path)))
        .cloned()
        .collect()
}

fn rejection_alert(record: &DecisionRecord) -> Alert {
    Alert {
        schema_version: 1,
        alert: AlertKind::PatchRejected,
        subject: record.patch_id.to_hex(),
        message: format!(
            "patch {} for {} was rejected: {}",
            record.patch_id.short(),
            record.target,
            record.reasons.join("; ")
        ),
        health: None,
        timestamp: Timestamp::now(),
    }
}

/// The decision already recorded for `record.patch_id`, if one counts.
fn decided_before(ws: &Workspace, patch_id: &crate::ids::Sha256) -> Result<Option<Submitted>> {
    let Some(view) = ws.view()? else {
        return Ok(None);
    };
    let require_signed = ws.require_signed()?;
    let done = read_keyed::<DecisionRecord>(&view, &[patch_id.to_hex()], ws.trust()?)?
        .into_iter()
        .find(|r| r.counts(require_signed));
    Ok(done.map(|done| Submitted {
        id: done.id,
        decision: done.record,
        branch: None,
        outbox_op: None,
        queue_item: None,
        already_decided: true,
        ready_ms: None,
        pool_created: false,
        health_alert: None,
    }))
}

/// Applies, validates and decides `patch` against `target` (default: the
/// current branch). A patch that does not apply is recorded as rejected and
/// returned as [`PatchError::DoesNotApply`]; one the validators reject is
/// returned as decided ([`Submitted::rejected`]).
pub fn submit(
    ws: &Workspace,
    patch: &[u8],
    target: Option<&str>,
    progress: &Progress,
) -> Result<Submitted> {
    let started = Instant::now();
    let (repo, config) = (ws.repo(), ws.config()?);
    let (target, base) = target_branch(repo, target)?;
    let git2_repo = apply::open(repo)?;
    let base_tree = apply::tree_of(&git2_repo, base)?;
    let parsed = parse::parse(patch, &base_tree)?;
    if let Some(done) = decided_before(ws, &parsed.id)? {
        return Ok(done);
    }
    // A missing key fails here, before anything runs or is recorded.
    let key = key::for_recording(ws)?;
    let mode = config.patch.mode;
    let mut record = DecisionRecord {
        schema_version: 1,
        patch_id: parsed.id,
        target: target.clone(),
        base_commit: base,
        result_commit: None,
        mode,
        validators: Vec::new(),
        confidence: 0.0,
        decision: Decision::Rejected,
        action: Action::Alerted,
        reasons: Vec::new(),
        files: parsed.changes.clone(),
        subject: parsed.subject.clone(),
        timestamp: Timestamp::now(),
    };
    let result = match apply::apply(&git2_repo, &parsed, base, &base_tree) {
        Ok(commit) => commit,
        Err(ApplyError::Failed(err)) => return Err(err.into()),
        Err(ApplyError::Conflict(source)) => {
            record.reasons.push(format!(
                "the patch does not apply to {target} at {}: {}",
                base.short(),
                source.message()
            ));
            record.timestamp = Timestamp::now();
            let alert = rejection_alert(&record);
            ws.write(
                &[record.put(key.as_ref()), alert.put(key.as_ref())],
                &format!("patch: reject {} (does not apply)", parsed.id.short()),
            )?;
            return Err(PatchError::DoesNotApply {
                target,
                base,
                source,
            }
            .into());
        }
    };
    record.result_commit = Some(result);

    let pool = PooledWorktree::checkout(repo, result.object_id(), config.patch.lock_timeout())?;
    let mut ready_ms = None;
    let log_dir = crate::phase::gates::log_dir(repo);
    record.validators = validate::run_all(
        &config.patch,
        pool.path(),
        &log_dir,
        &parsed.id.short(),
        progress,
        || {
            ready_ms = Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
        },
    );
    record.confidence = validate::confidence(&record.validators);
    let deletes: Vec<String> = parsed
        .changes
        .iter()
        .filter(|c| c.status == ChangeStatus::Deleted)
        .map(|c| c.path.clone())
        .collect();
    let protected = protected_changes(config, &parsed.changes);
    let crashed = record
        .validators
        .iter()
        .find(|s| s.crashed())
        .map(|s| format!("{}: {}", s.name, s.outcome));
    let (decision, reasons) = decide::decide(&Inputs {
        mode,
        confidence: record.confidence,
        auto_merge: *config.patch.auto_merge.get_ref(),
        pull_request: *config.patch.pull_request.get_ref(),
        crashed,
        deletes: &deletes,
        protected: &protected,
        target_checked_out: act::checked_out_in(repo, &target),
    });
    record.decision = decision;
    record.reasons = reasons;
    record.action = act_on(repo, &mut record, mode, result, &parsed.id.short())?;
    record.timestamp = Timestamp::now();

    let record_op = record.put(key.as_ref());
    let mut submitted = Submitted {
        id: record_op.record_id(),
        decision: record.clone(),
        branch: None,
        outbox_op: None,
        queue_item: None,
        already_decided: false,
        ready_ms,
        pool_created: pool.created,
        health_alert: None,
    };
    let mut ops: Vec<Op> = vec![record_op];
    match record.action {
        Action::PullRequestQueued => {
            let name = branch_name(&record.patch_id);
            act::create_branch(repo, &name, result).map_err(PatchError::from)?;
            let (op_id, op) = pull_request_op(&record, submitted.id, &parsed.message, key.as_ref());
            ops.push(op);
            submitted.branch = Some(name);
            submitted.outbox_op = Some(op_id);
        }
        Action::QueuedForReview => {
            let item = QueueItem {
                schema_version: 1,
                item_id: ItemId::of(&record.patch_id),
                patch_id: record.patch_id,
                target: target.clone(),
                base_commit: base,
                result_commit: result,
                confidence: record.confidence,
                reasons: record.reasons.clone(),
                created_at: record.timestamp,
            };
            // The validators took a while: others may have changed the queue.
            ws.refresh();
            submitted.health_alert = queue::alert_for(ws, Change::Queued(&item))?;
            ops.push(item.put(key.as_ref()));
            ops.extend(submitted.health_alert.iter().map(|a| a.put(key.as_ref())));
            submitted.queue_item = Some(item.item_id);
        }
        Action::Alerted => ops.push(rejection_alert(&record).put(key.as_ref())),
        Action::Merged | Action::None => {}
    }
    let message = format!(
        "patch: {} {} ({:.2}) for {target}",
        record.decision,
        parsed.id.short(),
        record.confidence
    );
    ws.write(&ops, &message)?;
    Ok(submitted)
}

/// Carries the decision out (moves the target for an auto-merge) and says what
/// was done; an auto-merge whose target moved becomes a pull request.
fn act_on(
    repo: &gix::Repository,
    record: &mut DecisionRecord,
    mode: PatchMode,
    result: CommitId,
    short_id: &str,
) -> Result<Action> {
    Ok(match (mode, record.decision) {
        (PatchMode::AnalysisOnly, _) => Action::None,
        (_, Decision::Rejected) => Action::Alerted,
        (_, Decision::AutoMerge) => {
            let message = format!("auditops: merge patch {short_id}");
            let target = record.target.clone();
            match act::move_branch(repo, &target, record.base_commit, result, &message)
                .map_err(PatchError::from)?
            {
                true => Action::Merged,
                false => {
                    record.reasons.push(format!(
                        "{target} moved during validation; not merging over it"
                    ));
                    record.decision = Decision::PullRequest;
                    Action::PullRequestQueued
                }
            }
        }
        (_, Decision::PullRequest) => Action::PullRequestQueued,
        (_, Decision::ManualReview) => Action::QueuedForReview,
    })
}
