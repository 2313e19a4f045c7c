//! Patches: apply a patch to a target branch in memory, check the result out in
//! a pooled worktree, run the repository's validators, score them, and decide:
//! merge, pull request, manual review, or reject. Every decision is recorded,
//! signed, with everything it was based on.

mod act;
mod apply;
pub mod decide;
pub mod parse;
pub mod paths;
pub mod queue;
pub mod records;
pub mod validate;

use crate::config::{ALWAYS_PROTECTED, Config, PatchMode};
use crate::error::{Error, Result};
use crate::outbox::{OpKind, OpRequest};
use crate::phase::runner::Progress;
use crate::records::{KeyedKind, read_keyed};
use crate::sign::{SigningKey, TrustSet, key};
use crate::store::{Op, Store};
use crate::worktree::PooledWorktree;
use decide::{Decision, Inputs};
use gix::ObjectId;
use parse::{FileChange, ParsedPatch};
use records::{Action, Alert, DecisionRecord, QueueItem, QueueResolution, Resolution};
use std::time::Instant;

pub use parse::PatchError;

/// What `patch submit` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Submitted {
    /// The decision record's id.
    pub id: String,
    pub decision: DecisionRecord,
    /// The branch made for a pull request, if any.
    pub branch: Option<String>,
    /// The outbox operation queued, if any.
    pub outbox_op: Option<String>,
    /// The queue item created, if any.
    pub queue_item: Option<String>,
    /// The patch had been decided before; nothing was run again.
    pub already_decided: bool,
    /// Milliseconds from the start of the command until the first validator started.
    pub ready_ms: Option<u64>,
    /// Whether the pooled worktree was created (first use) rather than reused.
    pub pool_created: bool,
}

/// The branch a pull request for a patch comes from.
pub fn branch_name(patch_id: &str) -> String {
    format!("auditops/patch/{}", &patch_id[..12])
}

fn target_branch(repo: &gix::Repository, target: Option<&str>) -> Result<(String, ObjectId)> {
    let branch = match target {
        Some(t) => t.strip_prefix("refs/heads/").unwrap_or(t).to_owned(),
        None => repo
            .head_name()
            .ok()
            .flatten()
            .map(|n| n.shorten().to_string())
            .ok_or_else(|| {
                Error::Usage("HEAD is detached: name the target with --target BRANCH".into())
            })?,
    };
    let tip = crate::store::read_ref(repo, &format!("refs/heads/{branch}"))?.ok_or_else(|| {
        Error::Usage(format!(
            "there is no local branch `{branch}` to apply the patch to"
        ))
    })?;
    Ok((branch, tip))
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

fn pull_request_op(
    record: &DecisionRecord,
    record_id: &str,
    title: &str,
    key: Option<&SigningKey>,
) -> (String, Op) {
    let request = OpRequest {
        kind: OpKind::CreatePullRequest,
        dedupe_key: format!("patch:{}", record.patch_id),
        repo: None,
        payload: serde_json::json!({
            "head": branch_name(&record.patch_id),
            "base": record.target,
            "title": title,
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

/// Applies, validates and decides `patch` against `target` (default: the
/// current branch).
pub fn submit(
    repo: &gix::Repository,
    config: &Config,
    trust: &TrustSet,
    patch: &[u8],
    target: Option<&str>,
    progress: &Progress,
) -> Result<Submitted> {
    let started = Instant::now();
    let (target, base) = target_branch(repo, target)?;
    let git2_repo = apply::open(repo)?;
    let base_tree = apply::tree_of(&git2_repo, base)?;
    let parsed: ParsedPatch = parse::parse(patch, &base_tree)?;
    let store = Store::new(repo, config.ref_name())?;
    if let Some(view) = store.view()?
        && let Some(done) =
            read_keyed::<DecisionRecord>(&view, std::slice::from_ref(&parsed.id), trust)?
                .into_iter()
                .find(|r| r.counts(config.trust.require_signed))
    {
        return Ok(Submitted {
            id: done.id.to_hex(),
            decision: done.record,
            branch: None,
            outbox_op: None,
            queue_item: None,
            already_decided: true,
            ready_ms: None,
            pool_created: false,
        });
    }
    // A missing key fails here, before anything runs or is recorded.
    let key = key::for_recording(repo, config.trust.require_signed)?;
    let mode = config.patch.mode;
    let mut record = DecisionRecord {
        schema_version: 1,
        patch_id: parsed.id.clone(),
        target: target.clone(),
        base_commit: base.to_string(),
        result_commit: None,
        mode,
        validators: Vec::new(),
        confidence: 0.0,
        decision: Decision::Rejected,
        action: Action::Alerted,
        reasons: Vec::new(),
        files: parsed.changes.clone(),
        timestamp: String::new(),
    };
    let result = match apply::apply(&git2_repo, &parsed, base, &base_tree) {
        Ok(commit) => commit,
        Err(reason) => {
            record.reasons.push(format!(
                "the patch does not apply to {target} at {}: {reason}",
                &base.to_string()[..12]
            ));
            record.timestamp = crate::records::now();
            let alert = rejection_alert(&record);
            store.write(
                &[record.put(key.as_ref()), alert.put(key.as_ref())],
                &format!("patch: reject {} (does not apply)", parsed.short_id()),
            )?;
            return Err(Error::Refused(record.reasons.join("; ")));
        }
    };
    record.result_commit = Some(result.to_string());

    let pool = PooledWorktree::checkout(repo, result, config.patch.lock_timeout())?;
    let mut ready_ms = None;
    let log_dir = crate::phase::gates::log_dir(repo);
    record.validators = validate::run_all(
        &config.patch,
        pool.path(),
        &log_dir,
        parsed.short_id(),
        progress,
        || {
            ready_ms = Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
        },
    );
    record.confidence = validate::confidence(&record.validators);
    let deletes: Vec<String> = parsed
        .changes
        .iter()
        .filter(|c| c.status == "deleted")
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

    let mut extra: Vec<Op> = Vec::new();
    let (mut branch, mut outbox_op, mut queue_item) = (None, None, None);
    record.action = match (mode, decision) {
        (PatchMode::AnalysisOnly, _) => Action::None,
        (_, Decision::Rejected) => Action::Alerted,
        (_, Decision::AutoMerge) => {
            let message = format!("auditops: merge patch {}", parsed.short_id());
            match act::move_branch(repo, &target, base, result, &message)
                .map_err(|e| Error::Usage(e.to_string()))?
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
    };
    record.timestamp = crate::records::now();
    let record_op = record.put(key.as_ref());
    let record_id = record_op.record_id().to_hex();
    match record.action {
        Action::PullRequestQueued => {
            let name = branch_name(&parsed.id);
            act::create_branch(repo, &name, result).map_err(|e| Error::Usage(e.to_string()))?;
            let (op_id, op) = pull_request_op(&record, &record_id, &parsed.message, key.as_ref());
            extra.push(op);
            branch = Some(name);
            outbox_op = Some(op_id);
        }
        Action::QueuedForReview => {
            let item = QueueItem {
                schema_version: 1,
                item_id: parsed.short_id().to_owned(),
                patch_id: parsed.id.clone(),
                target: target.clone(),
                base_commit: base.to_string(),
                result_commit: result.to_string(),
                confidence: record.confidence,
                reasons: record.reasons.clone(),
                created_at: record.timestamp.clone(),
            };
            queue_item = Some(item.item_id.clone());
            extra.push(item.put(key.as_ref()));
        }
        Action::Alerted => extra.push(rejection_alert(&record).put(key.as_ref())),
        Action::Merged | Action::None => {}
    }
    let message = format!(
        "patch: {} {} ({:.2}) for {target}",
        serde_json::to_value(record.decision)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        parsed.short_id(),
        record.confidence
    );
    let mut ops = vec![record_op];
    ops.extend(extra);
    store.write(&ops, &message)?;
    Ok(Submitted {
        id: record_id,
        pool_created: pool.created,
        decision: record,
        branch,
        outbox_op,
        queue_item,
        already_decided: false,
        ready_ms,
    })
}

fn rejection_alert(record: &DecisionRecord) -> Alert {
    Alert {
        schema_version: 1,
        alert: "patch-rejected".into(),
        subject: record.patch_id.clone(),
        message: format!(
            "patch {} for {} was rejected: {}",
            &record.patch_id[..12],
            record.target,
            record.reasons.join("; ")
        ),
        health: None,
        timestamp: crate::records::now(),
    }
}

/// What `queue approve` or `queue reject` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Resolved {
    pub item_id: String,
    pub resolution: Resolution,
    pub action: Action,
    pub branch: Option<String>,
    pub outbox_op: Option<String>,
}

fn pending_item(
    repo: &gix::Repository,
    config: &Config,
    trust: &TrustSet,
    item_id: &str,
) -> Result<QueueItem> {
    let store = Store::new(repo, config.ref_name())?;
    let view = store
        .view()?
        .ok_or_else(|| Error::Usage(format!("no queue item `{item_id}`")))?;
    let entry = queue::entries(&view, trust, config.trust.require_signed)?
        .into_iter()
        .find(|e| e.item.record.item_id == item_id)
        .ok_or_else(|| {
            Error::Usage(format!(
                "no queue item `{item_id}` (see `git auditops queue list`)"
            ))
        })?;
    if let Some(done) = &entry.resolution {
        return Err(Error::Refused(format!(
            "queue item {item_id} was already {} at {}",
            serde_json::to_value(done.record.resolution)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            done.record.timestamp
        )));
    }
    Ok(entry.item.record)
}

/// Approves a pending item: a signed approval, then the merge (when the target
/// has not moved and is not checked out) or else a pull request.
pub fn approve(
    repo: &gix::Repository,
    config: &Config,
    trust: &TrustSet,
    item_id: &str,
    note: Option<&str>,
) -> Result<Resolved> {
    let item = pending_item(repo, config, trust, item_id)?;
    // An approval is a person's signature: a key is needed even where unsigned
    // records are allowed.
    let key = key::find(repo)?;
    let result = ObjectId::from_hex(item.result_commit.as_bytes())
        .map_err(|e| Error::Usage(e.to_string()))?;
    let base =
        ObjectId::from_hex(item.base_commit.as_bytes()).map_err(|e| Error::Usage(e.to_string()))?;
    let approval = crate::approval::Approval {
        schema_version: 1,
        subject: format!("queue:{item_id}"),
        git_commit: result.into(),
        note: note.map(str::to_owned),
        timestamp: crate::time::Timestamp::now(),
    };
    let mut ops = vec![approval.put(Some(&key))];
    let (mut branch, mut outbox_op) = (None, None);
    let merged = act::checked_out_in(repo, &item.target).is_none()
        && act::move_branch(
            repo,
            &item.target,
            base,
            result,
            &format!("auditops: merge approved patch {item_id}"),
        )
        .map_err(|e| Error::Usage(e.to_string()))?;
    let action = if merged {
        Action::Merged
    } else {
        let name = branch_name(&item.patch_id);
        act::create_branch(repo, &name, result).map_err(|e| Error::Usage(e.to_string()))?;
        let store = Store::new(repo, config.ref_name())?;
        let decision = store
            .view()?
            .map(|view| {
                read_keyed::<DecisionRecord>(&view, std::slice::from_ref(&item.patch_id), trust)
            })
            .transpose()?
            .and_then(|found| found.into_iter().next());
        if let Some(decision) = decision {
            let (op_id, op) = pull_request_op(
                &decision.record,
                &decision.id.to_hex(),
                &format!("auditops: approved patch {item_id}"),
                Some(&key),
            );
            ops.push(op);
            outbox_op = Some(op_id);
        }
        branch = Some(name);
        Action::PullRequestQueued
    };
    let resolution = QueueResolution {
        schema_version: 1,
        item_id: item_id.to_owned(),
        resolution: Resolution::Approved,
        action,
        note: note.map(str::to_owned),
        timestamp: crate::records::now(),
    };
    ops.push(resolution.put(Some(&key)));
    Store::new(repo, config.ref_name())?.write(&ops, &format!("queue: approve {item_id}"))?;
    Ok(Resolved {
        item_id: item_id.to_owned(),
        resolution: Resolution::Approved,
        action,
        branch,
        outbox_op,
    })
}

/// Rejects a pending item, with a reason.
pub fn reject(
    repo: &gix::Repository,
    config: &Config,
    trust: &TrustSet,
    item_id: &str,
    reason: &str,
) -> Result<Resolved> {
    if reason.trim().is_empty() {
        return Err(Error::Usage(
            "--reason must say why the patch is rejected".into(),
        ));
    }
    pending_item(repo, config, trust, item_id)?;
    let key = key::for_recording(repo, config.trust.require_signed)?;
    let resolution = QueueResolution {
        schema_version: 1,
        item_id: item_id.to_owned(),
        resolution: Resolution::Rejected,
        action: Action::None,
        note: Some(reason.trim().to_owned()),
        timestamp: crate::records::now(),
    };
    Store::new(repo, config.ref_name())?.write(
        &[resolution.put(key.as_ref())],
        &format!("queue: reject {item_id}"),
    )?;
    Ok(Resolved {
        item_id: item_id.to_owned(),
        resolution: Resolution::Rejected,
        action: Action::None,
        branch: None,
        outbox_op: None,
    })
}
