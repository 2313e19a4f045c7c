//! `patch submit`: read, apply, validate, decide, act, record. Every
//! submission leaves a decision: a patch refused before it was applied
//! (malformed, binary, hostile path, a hunk that does not apply) is recorded
//! as `rejected` with its reason, the same shape as any other decision.

use super::apply::{self, ApplyError};
use super::decide::{self, Decision, Inputs};
use super::error::{PatchError, RefusalKind};
use super::git_cli::Scratch;
use super::id::PatchId;
use super::input::{self, Input, Person};
use super::parse::{self, ChangeStatus, FileChange, ParsedDiff};
use super::queue::{self, Change};
use super::records::{Action, Alert, AlertKind, DecisionRecord, ItemId, QueueItem};
use super::{act, branch_name, paths, pull_request_op, validate};
use crate::config::{ALWAYS_PROTECTED, Config, PatchMode};
use crate::error::Result;
use crate::ids::{CommitId, Sha256};
use crate::phase::runner::Progress;
use crate::records::{KeyedKind, read_keyed};
use crate::sign::{SigningKey, key};
use crate::store::{Op, RecordId};
use crate::time::Timestamp;
use crate::workspace::Workspace;
use crate::worktree::PooledWorktree;
use std::time::Instant;

/// What `patch submit` was asked.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// The branch to apply to (default: the current branch).
    pub target: Option<&'a str>,
    /// `NAME <EMAIL>` for a plain diff (mail names its own authors).
    pub author: Option<&'a str>,
    /// The commit message for a plain diff (first line: the subject).
    pub message: Option<&'a str>,
    /// Validate again even when a decision for this patch, target and base is
    /// recorded.
    pub again: bool,
}

/// What `patch submit` did: the decision record's fields at the top level, as
/// every decision document (`--json`) is shaped.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Submitted {
    /// The decision record's id.
    pub id: RecordId,
    /// The decision, as recorded.
    #[serde(flatten)]
    pub decision: DecisionRecord,
    /// The branch made for a pull request, if any.
    pub branch: Option<String>,
    /// The outbox operation queued, if any.
    pub outbox_op: Option<String>,
    /// The queue item created, if any.
    pub queue_item: Option<ItemId>,
    /// The patch had been decided before for this target and base; nothing
    /// was run again.
    pub already_decided: bool,
    /// With `--again`: the earlier decision this one was made after.
    pub again_of: Option<RecordId>,
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

    /// The error the command exits with once the decision is printed: the
    /// refusal (malformed input exits 2), or a plain rejection.
    pub fn failure(&self) -> Option<PatchError> {
        if !self.rejected() {
            return None;
        }
        Some(match self.decision.refused {
            Some(kind) => PatchError::Recorded {
                kind,
                message: self.decision.reasons.join("; "),
            },
            None => PatchError::Rejected,
        })
    }

    fn new(id: RecordId, decision: DecisionRecord) -> Self {
        Submitted {
            id,
            decision,
            branch: None,
            outbox_op: None,
            queue_item: None,
            already_decided: false,
            again_of: None,
            ready_ms: None,
            pool_created: false,
            health_alert: None,
        }
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

pub(crate) fn protected_changes(config: &Config, changes: &[FileChange]) -> Vec<String> {
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

/// An automatic merge is news too: recorded and sent like every alert.
fn merged_alert(record: &DecisionRecord) -> Alert {
    Alert {
        schema_version: 1,
        alert: AlertKind::PatchAutoMerged,
        subject: record.patch_id.to_hex(),
        message: format!(
            "patch {} ({}) was merged into {} without a person: confidence {:.2}",
            record.patch_id.short(),
            record.title(),
            record.target,
            record.confidence
        ),
        health: None,
        failure_rate: None,
        timestamp: Timestamp::now(),
    }
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
        failure_rate: None,
        timestamp: Timestamp::now(),
    }
}

/// The latest counted decision about `patch_id` for `target` at `base`, or
/// the merge of it that `base` already contains (a merged patch sent again is
/// not applied twice).
fn decided_before(
    ws: &Workspace,
    patch_id: &PatchId,
    target: &str,
    base: CommitId,
) -> Result<Option<(RecordId, DecisionRecord)>> {
    let Some(view) = ws.view()? else {
        return Ok(None);
    };
    let require_signed = ws.require_signed()?;
    let records: Vec<_> = read_keyed::<DecisionRecord>(&view, &[patch_id.to_hex()], ws.trust()?)?
        .into_iter()
        .filter(|r| r.counts(require_signed) && r.record.target == target)
        .collect();
    let same_base = records
        .iter()
        .filter(|r| r.record.base_commit == base)
        .max_by_key(|r| r.record.timestamp);
    let merged = || {
        records
            .iter()
            .filter(|r| r.record.action == Action::Merged)
            .find(|r| {
                r.record
                    .result_commit
                    .is_some_and(|result| contains(ws.repo(), base, result))
            })
    };
    Ok(same_base.or_else(merged).map(|r| (r.id, r.record.clone())))
}

/// Whether `commit` is `ancestor` or descends from it.
fn contains(repo: &gix::Repository, commit: CommitId, ancestor: CommitId) -> bool {
    let (commit, ancestor) = (commit.object_id(), ancestor.object_id());
    ancestor == commit
        || repo
            .merge_base(ancestor, commit)
            .is_ok_and(|found| found.is_some_and(|found| found.detach() == ancestor))
}

/// An error's message with its causes, for a recorded reason.
fn with_causes(err: &PatchError) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Records `record` as a refusal of `kind` and returns it as decided.
fn refuse(
    ws: &Workspace,
    key: Option<&SigningKey>,
    mut record: DecisionRecord,
    kind: RefusalKind,
    reason: String,
    again: bool,
) -> Result<Submitted> {
    if !again
        && let Some((id, done)) =
            decided_before(ws, &record.patch_id, &record.target, record.base_commit)?
    {
        let mut submitted = Submitted::new(id, done);
        submitted.already_decided = true;
        return Ok(submitted);
    }
    record.refused = Some(kind);
    record.reasons.push(reason);
    record.timestamp = Timestamp::now();
    let record = record.redacted();
    let op = record.put(key);
    let id = op.record_id();
    let alert = rejection_alert(&record);
    let label = match kind {
        RefusalKind::Malformed => "malformed",
        RefusalKind::Refused => "refused",
        RefusalKind::DoesNotApply => "does not apply",
    };
    let mut ops = vec![op];
    ops.extend(crate::alerts::with_channels(ws, &alert, key)?);
    ws.write(
        &ops,
        &format!("patch: reject {} ({label})", record.patch_id.short()),
    )?;
    Ok(Submitted::new(id, record))
}

/// A subject naming the files, for a plain diff without `--message`.
fn subject_for(changes: &[FileChange]) -> String {
    match changes {
        [one] => format!("{} {}", one.status.verb(), one.path),
        files => format!(
            "change {} files: {}",
            files.len(),
            super::records::files_summary(files)
        ),
    }
}

/// Every part's changes, each path once (its last change in the series).
fn all_changes(parsed: &[ParsedDiff]) -> Vec<FileChange> {
    let mut all: Vec<FileChange> = Vec::new();
    for change in parsed.iter().flat_map(|p| p.changes.iter()) {
        all.retain(|c| c.path != change.path);
        all.push(change.clone());
    }
    all
}

/// Applies, validates and decides `patch` against the target (default: the
/// current branch) and records the decision. A refusal (malformed, hostile,
/// does not apply) is recorded and returned as a rejected decision whose
/// [`Submitted::failure`] says how the command exits.
pub fn submit(
    ws: &Workspace,
    patch: &[u8],
    options: Options<'_>,
    progress: &Progress,
) -> Result<Submitted> {
    let started = Instant::now();
    let (repo, config) = (ws.repo(), ws.config()?);
    let (target, base) = target_branch(repo, options.target)?;
    let author = options.author.map(Person::parse).transpose()?;
    // A missing key fails here, before anything runs or is recorded.
    let key = key::for_recording(ws)?;
    let scratch = Scratch::new(repo)?;
    let mode = config.patch.mode;
    let mut record = DecisionRecord {
        schema_version: 1,
        patch_id: PatchId::of_bytes(patch),
        target: target.clone(),
        base_commit: base,
        result_commit: None,
        mode,
        validators: Vec::new(),
        confidence: 0.0,
        decision: Decision::Rejected,
        action: Action::Alerted,
        reasons: Vec::new(),
        files: Vec::new(),
        subject: None,
        author: author.as_ref().map(Person::to_string),
        body: None,
        input: None,
        refused: None,
        commits: Vec::new(),
        timestamp: Timestamp::now(),
    };
    let read: Input = match input::read(&scratch, patch, author.as_ref(), options.message) {
        Ok(read) => read,
        Err(err @ PatchError::Malformed(_)) => {
            return refuse(
                ws,
                key.as_ref(),
                record,
                RefusalKind::Malformed,
                with_causes(&err),
                options.again,
            );
        }
        Err(err) => return Err(err.into()),
    };
    record.patch_id = input::patch_id(&scratch, &read, patch)?;
    record.input = Some(read.form);
    let first = &read.parts[0];
    record.subject = first.subject.clone();
    record.body = first.body.clone();
    record.author = first.author.as_ref().map(Person::to_string);

    let earlier = decided_before(ws, &record.patch_id, &target, base)?;
    if let Some((id, done)) = &earlier
        && !options.again
    {
        let mut submitted = Submitted::new(*id, done.clone());
        submitted.already_decided = true;
        return Ok(submitted);
    }

    let mut parsed = Vec::with_capacity(read.parts.len());
    for part in &read.parts {
        match parse::parse(&part.diff) {
            Ok(p) => parsed.push(p),
            Err(err) => {
                record.files = all_changes(&parsed);
                let kind = match err {
                    PatchError::Refused(_) => RefusalKind::Refused,
                    _ => RefusalKind::Malformed,
                };
                return refuse(
                    ws,
                    key.as_ref(),
                    record,
                    kind,
                    with_causes(&err),
                    options.again,
                );
            }
        }
    }
    record.files = all_changes(&parsed);
    if let Some((id, _)) = &earlier {
        record.reasons.push(format!(
            "submitted again with --again after decision {}",
            id.short()
        ));
    }
    let fallback = subject_for(&record.files);
    let git2_repo = apply::open(repo)?;
    let committer = apply::committer(&git2_repo)?;
    let parts: Vec<_> = read.parts.iter().cloned().zip(parsed).collect();
    let applied = match apply::apply(&git2_repo, &scratch, &parts, base, &committer, &fallback) {
        Ok(applied) => applied,
        Err(ApplyError::Failed(err)) => return Err(err.into()),
        Err(ApplyError::Refused(err)) => {
            return refuse(
                ws,
                key.as_ref(),
                record,
                RefusalKind::Refused,
                with_causes(&err),
                options.again,
            );
        }
        Err(ApplyError::Conflict(detail)) => {
            let reason = format!(
                "the patch does not apply to {target} at {}: {detail}",
                base.short()
            );
            return refuse(
                ws,
                key.as_ref(),
                record,
                RefusalKind::DoesNotApply,
                reason,
                options.again,
            );
        }
    };
    drop(scratch);
    let result = *applied
        .commits
        .last()
        .expect("a patch has at least one part");
    record.result_commit = Some(result);
    if applied.commits.len() > 1 {
        record.commits = applied.commits.clone();
    }
    if applied.by_git {
        tracing::debug!("applied by git (offsets or a three-way merge)");
    }

    let pool = PooledWorktree::checkout(repo, result.object_id(), config.patch.lock_timeout())?;
    let mut ready_ms = None;
    let log_dir = crate::phase::gates::log_dir(repo);
    record.validators = validate::run_all(
        ws,
        &config.patch,
        pool.path(),
        &log_dir,
        &record.patch_id.short(),
        progress,
        || {
            ready_ms = Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
        },
    );
    let pool_created = pool.created;
    drop(pool);
    record.confidence = validate::confidence(&record.validators);
    let deletes: Vec<String> = record
        .files
        .iter()
        .filter(|c| c.status == ChangeStatus::Deleted)
        .map(|c| c.path.clone())
        .collect();
    let protected = protected_changes(config, &record.files);
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
    record.reasons.extend(reasons);
    let short = record.patch_id.short();
    record.action = act_on(repo, &mut record, mode, result, &short)?;
    record.timestamp = Timestamp::now();
    // The commit keeps its message; the record (and what is built from it:
    // the alert, the queue item, the pull request) gets the redacted one.
    let record = record.redacted();

    let record_op = record.put(key.as_ref());
    let mut submitted = Submitted::new(record_op.record_id(), record.clone());
    submitted.again_of = earlier.map(|(id, _)| id);
    submitted.ready_ms = ready_ms;
    submitted.pool_created = pool_created;
    let mut ops: Vec<Op> = vec![record_op];
    match record.action {
        Action::PullRequestQueued => {
            let name = branch_name(&record.patch_id, &target);
            act::create_branch(repo, &name, result).map_err(PatchError::from)?;
            let (op_id, op) = pull_request_op(&record, submitted.id, key.as_ref());
            ops.push(op);
            submitted.branch = Some(name);
            submitted.outbox_op = Some(op_id);
        }
        Action::QueuedForReview => {
            let item = QueueItem {
                schema_version: 1,
                item_id: ItemId::of(&Sha256::of(format!(
                    "{}\n{target}\n{base}\n{}",
                    record.patch_id, record.timestamp
                ))),
                patch_id: record.patch_id.clone(),
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
            if let Some(alert) = &submitted.health_alert {
                ops.extend(crate::alerts::with_channels(ws, alert, key.as_ref())?);
            }
            submitted.queue_item = Some(item.item_id);
        }
        Action::Alerted => ops.extend(crate::alerts::with_channels(
            ws,
            &rejection_alert(&record),
            key.as_ref(),
        )?),
        Action::Merged => ops.extend(crate::alerts::with_channels(
            ws,
            &merged_alert(&record),
            key.as_ref(),
        )?),
        Action::None => {}
    }
    let message = format!(
        "patch: {} {} ({:.2}) for {target}",
        record.decision, short, record.confidence
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
