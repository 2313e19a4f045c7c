//! `approve report:ID` and `cleanup run ID [--dry-run]`.

use super::error::CleanupError;
use super::plan::{Action, ActionKind, Held, plan};
use super::records::CleanupRecord;
use crate::approval::Approval;
use crate::error::Result;
use crate::ids::Sha256;
use crate::lock::Subsystem;
use crate::records::{KeyedKind, read_keyed};
use crate::sign::key;
use crate::time::Timestamp;
use crate::workspace::Workspace;
use gix::refs::Target;
use gix::refs::transaction::{Change, PreviousValue, RefEdit, RefLog};
use serde::Serialize;
use std::collections::BTreeSet;
use std::time::Duration;

/// The approval subject of a cleanup report.
pub(crate) fn report_subject(id: &Sha256) -> String {
    format!("report:{id}")
}

fn parse_id(text: &str) -> Result<Sha256> {
    let text = text.trim();
    let hex = text.strip_prefix("report:").unwrap_or(text);
    hex.parse()
        .map_err(|_| CleanupError::BadReportId(text.to_owned()).into())
}

/// What `approve report:ID` recorded.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovedReport {
    /// `report:<id>`.
    pub subject: String,
    /// The approval record's id.
    pub id: crate::store::RecordId,
}

/// Records a signed approval of the cleanup report `id` (`report:ID` or the
/// bare id). The report need not match the current plan: `run` checks that.
pub fn approve(ws: &Workspace, id: &str, note: Option<&str>) -> Result<ApprovedReport> {
    let report = parse_id(id)?;
    let signing_key = key::for_recording(ws)?.ok_or(CleanupError::Unsigned)?;
    key::ensure_trusted(ws, &signing_key)?;
    let (commit, _) = crate::phase::lifecycle::head(ws.repo())?;
    let subject = report_subject(&report);
    let record = Approval::new(subject.clone(), commit, note, None);
    let op = record.put(Some(&signing_key));
    let rid = op.record_id();
    ws.write(&[op], &format!("approval: cleanup {}", report.short()))?;
    Ok(ApprovedReport { subject, id: rid })
}

/// The distinct trusted keyids that approved `report`.
fn approvers(ws: &Workspace, report: &Sha256) -> Result<Vec<String>> {
    let Some(view) = ws.view()? else {
        return Ok(Vec::new());
    };
    let key = vec![report_subject(report)];
    let keyids: BTreeSet<String> = read_keyed::<Approval>(&view, &key, ws.trust()?)?
        .into_iter()
        .filter_map(|read| match read.status {
            crate::sign::SignatureStatus::Trusted { keyid, .. } => Some(keyid),
            _ => None,
        })
        .collect();
    Ok(keyids.into_iter().collect())
}

/// One action as run (or, with `--dry-run`, as it would run).
#[derive(Debug, Clone, Serialize)]
pub struct Executed {
    /// The action.
    #[serde(flatten)]
    pub action: Action,
    /// The audit record written for it; `None` on a dry run.
    pub record: Option<crate::store::RecordId>,
}

/// What `cleanup run` did.
#[derive(Debug, Clone, Serialize)]
pub struct RunOutcome {
    /// The report run.
    pub report_id: Sha256,
    /// Whether this was a dry run (nothing deleted, nothing recorded).
    pub dry_run: bool,
    /// The keyids of the report's approvers.
    pub approvers: Vec<String>,
    /// Each action.
    pub actions: Vec<Executed>,
}

/// Runs the cleanup report `id`: recomputes the plan, refuses (exit 1) when
/// its id differs or fewer than `[cleanup] approvals` distinct trusted
/// signers approved it, and otherwise deletes each target (only if it still
/// points where the plan saw it) and records one signed audit record per
/// action. `dry_run` checks the same and changes nothing.
pub fn run(ws: &Workspace, id: &str, dry_run: bool) -> Result<RunOutcome> {
    let report = parse_id(id)?;
    let mut current = plan(ws)?;
    // Pooled worktrees are deleted under the `worktrees` lock, and planned
    // again under it: nobody can take one between the check and the deletion.
    let _pool = match current
        .actions
        .iter()
        .any(|a| a.kind == ActionKind::PooledWorktree)
    {
        true if !dry_run => {
            let locks = crate::lock::acquire(ws.repo(), &[Subsystem::Worktrees], Duration::ZERO)?;
            current = plan(ws)?;
            Some(locks)
        }
        _ => None,
    };
    if current.report_id != report {
        return Err(CleanupError::PlanChanged {
            approved: report,
            current: current.report_id,
        }
        .into());
    }
    let need = ws.config()?.cleanup.approvals.get();
    let approvers = approvers(ws, &report)?;
    if approvers.len() < need as usize {
        return Err(CleanupError::ApprovalsShort {
            report,
            have: approvers.len(),
            need,
        }
        .into());
    }
    if dry_run {
        return Ok(RunOutcome {
            report_id: report,
            dry_run,
            approvers,
            actions: current
                .actions
                .into_iter()
                .map(|action| Executed {
                    action,
                    record: None,
                })
                .collect(),
        });
    }
    let signing_key = key::for_recording(ws)?.ok_or(CleanupError::Unsigned)?;
    let operator = signing_key.public.keyid();
    let mut ops = Vec::new();
    let mut actions = Vec::new();
    let mut failed = None;
    for action in current.actions {
        // What was deleted before a failure is still recorded.
        if let Err(err) = delete(ws.repo(), &action) {
            failed = Some(err);
            break;
        }
        let op = CleanupRecord {
            schema_version: 1,
            action: action.kind,
            target: action.target.clone(),
            bytes: action.bytes,
            sha256_before: action.sha256,
            report_id: report,
            approvers: approvers.clone(),
            operator: operator.clone(),
            timestamp: Timestamp::now(),
        }
        .put(Some(&signing_key));
        actions.push(Executed {
            action,
            record: Some(op.record_id()),
        });
        ops.push(op);
    }
    if !ops.is_empty() {
        ws.write(
            &ops,
            &format!("cleanup: {} actions (report {})", ops.len(), report.short()),
        )?;
    }
    if let Some(err) = failed {
        return Err(err);
    }
    Ok(RunOutcome {
        report_id: report,
        dry_run,
        approvers,
        actions,
    })
}

/// Deletes what the action names, if it is still what the plan saw.
fn delete(repo: &gix::Repository, action: &Action) -> Result<()> {
    let fail = |source: Box<dyn std::error::Error + Send + Sync>| CleanupError::Delete {
        target: action.target.clone(),
        source,
    };
    let expected = match &action.held {
        Held::Ref(oid) => *oid,
        Held::File(path) => {
            let (sha256, _) = super::logs::content_sha256(path).map_err(|e| fail(Box::new(e)))?;
            if sha256 != action.sha256 {
                return Err(fail("it changed since the plan was made".into()).into());
            }
            return Ok(std::fs::remove_file(path).map_err(|e| fail(Box::new(e)))?);
        }
        Held::Worktree(path) => {
            return Ok(crate::worktree::remove_idle(repo, path).map_err(|e| fail(Box::new(e)))?);
        }
    };
    let name: gix::refs::FullName = action
        .target
        .as_str()
        .try_into()
        .map_err(|e: gix::validate::reference::name::Error| fail(Box::new(e)))?;
    let expected = PreviousValue::MustExistAndMatch(Target::Object(expected));
    repo.edit_reference(RefEdit {
        change: Change::Delete {
            expected,
            log: RefLog::AndReference,
        },
        name,
        deref: false,
    })
    .map_err(|e| fail(Box::new(e)))?;
    Ok(())
}
