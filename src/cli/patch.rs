//! `patch submit`, `queue …`, `decisions` and `locks`.

use super::context::Context;
use super::output::{self, Report, say};
use crate::error::{ExitCode, Result};
use crate::lock::LockStates;
use crate::patch::parse::FileChange;
use crate::patch::queue::{self, Listing, Shown};
use crate::patch::records::{Alert, DecisionRecord, files_summary};
use crate::patch::{self, DecisionLog, PatchError, Resolved, Standing, Submitted};
use crate::phase::runner::Progress;
use clap::Subcommand;
use std::io::Read;

#[derive(Subcommand)]
pub enum PatchCommand {
    /// Apply a patch to a branch in a throwaway worktree, run the validators, and
    /// decide: auto_merge, pull_request, manual_review or rejected. Exit 1 when
    /// rejected, 2 when the input is not a patch.
    Submit {
        /// The patch file (`git diff` or `git format-patch` output), or - for stdin.
        file: String,
        /// The branch to apply it to (default: the current branch).
        #[arg(long, value_name = "BRANCH")]
        target: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum QueueCommand {
    /// Patches waiting for a person, and the queue's health.
    List {},
    /// One queue item in full.
    Show { id: String },
    /// Approve an item (signed), then merge it, or open a pull request when the
    /// target moved or is checked out.
    Approve {
        id: String,
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Reject an item, saying why.
    Reject {
        id: String,
        #[arg(long, value_name = "TEXT", required = true)]
        reason: String,
    },
}

fn read_patch(file: &str) -> Result<Vec<u8>, PatchError> {
    let mut bytes = Vec::new();
    let read = match file {
        "-" => std::io::stdin().read_to_end(&mut bytes).map(|_| ()),
        path => std::fs::read(path).map(|b| bytes = b),
    };
    read.map_err(|source| PatchError::Read {
        path: file.into(),
        source,
    })?;
    Ok(bytes)
}

/// A queue-health alert recorded by a command that changed the queue.
fn print_alert(alert: Option<&Alert>) {
    if let Some(alert) = alert {
        eprintln!("alert: {}", alert.message);
    }
}

/// The lines under a listed patch that say what it is: its subject, the files
/// it changes and the first reason of its decision.
fn print_about(subject: &str, files: &[FileChange], reasons: &[String]) {
    say!("    {subject}");
    if !files.is_empty() {
        say!("    files: {}", files_summary(files));
    }
    match reasons {
        [] => {}
        [only] => say!("    why: {only}"),
        [first, rest @ ..] => say!("    why: {first} (+{} more)", rest.len()),
    }
}

pub fn patch(ctx: &Context, command: PatchCommand) -> Result<ExitCode> {
    let PatchCommand::Submit { file, target } = command;
    let bytes = read_patch(&file)?;
    let progress = match ctx.json {
        true => Progress::quiet(),
        false => Progress::for_stderr(),
    };
    let submitted = patch::submit(ctx, &bytes, target.as_deref(), &progress)?;
    output::report(ctx, &submitted);
    print_alert(submitted.health_alert.as_ref());
    match submitted.rejected() {
        true => Err(PatchError::Rejected.into()),
        false => Ok(ExitCode::Success),
    }
}

fn print_decision(d: &DecisionRecord) {
    say!(
        "patch {} for {}: {} (confidence {:.2}, mode {})",
        d.patch_id.short(),
        d.target,
        d.decision,
        d.confidence,
        d.mode
    );
    for s in &d.validators {
        say!(
            "  {:<12} score {:.2} × weight {:.2}  {}{}",
            s.name,
            s.score,
            s.weight,
            s.outcome,
            if s.attempts > 1 {
                format!(" after {} attempts", s.attempts)
            } else {
                String::new()
            }
        );
    }
    for reason in &d.reasons {
        say!("  why: {reason}");
    }
    say!("  action: {}", d.action);
}

impl Report for Submitted {
    fn text(&self) {
        if self.already_decided {
            say!("already decided at {}:", self.decision.timestamp);
        }
        print_decision(&self.decision);
        if let Some(branch) = &self.branch {
            say!("  branch {branch}; pull request queued (run `git auditops sync` to open it)");
        }
        if let Some(item) = &self.queue_item {
            say!("  queued for review as {item} (`git auditops queue show {item}`)");
        }
    }
}

pub fn queue_command(ctx: &Context, command: QueueCommand) -> Result<ExitCode> {
    match command {
        QueueCommand::List {} => output::report(ctx, &queue::list(ctx)?),
        QueueCommand::Show { id } => output::report(ctx, &queue::show(ctx, &id)?),
        QueueCommand::Approve { id, note } => {
            let done = patch::approve(ctx, &id, note.as_deref())?;
            output::report(ctx, &done);
            print_alert(done.health_alert.as_ref());
        }
        QueueCommand::Reject { id, reason } => {
            let done = patch::reject(ctx, &id, &reason)?;
            output::report(ctx, &done);
            print_alert(done.health_alert.as_ref());
        }
    }
    Ok(ExitCode::Success)
}

impl Report for Listing {
    fn text(&self) {
        let m = &self.metrics;
        say!(
            "queue: {} pending, oldest {}, health {}",
            m.pending,
            m.oldest_age_seconds
                .map(|s| crate::duration::format(std::time::Duration::from_secs(s)))
                .unwrap_or_else(|| "-".into()),
            m.health
        );
        for listed in &self.items {
            let state = match &listed.resolution {
                None => listed.state.to_string(),
                Some(r) => r.resolution.to_string(),
            };
            let item = &listed.item;
            say!(
                "{}  {:<8}  {}  {:.2}  {}",
                item.item_id,
                state,
                item.target,
                item.confidence,
                item.created_at
            );
            print_about(&listed.about.subject, &listed.about.files, &item.reasons);
        }
    }
}

impl Report for Shown {
    fn text(&self) {
        let item = &self.item;
        let id = &item.item_id;
        say!("item {id}: {}", self.about.subject);
        say!("  patch {}", item.patch_id);
        if !self.about.files.is_empty() {
            let files: Vec<&str> = self.about.files.iter().map(|f| f.path.as_str()).collect();
            say!("  files: {}", files.join(", "));
        }
        say!(
            "  target {} at {}, patched commit {}",
            item.target,
            item.base_commit.short(),
            item.result_commit
        );
        say!(
            "  confidence {:.2}, queued {}",
            item.confidence,
            item.created_at
        );
        for reason in &item.reasons {
            say!("  why: {reason}");
        }
        match &self.resolution {
            None => say!(
                "  pending: `git auditops queue approve {id}` or `queue reject {id} --reason …`"
            ),
            Some(r) => say!("  {} at {}", r.resolution, r.timestamp),
        }
    }
}

impl Report for Resolved {
    fn text(&self) {
        say!("{} {}: {}", self.resolution, self.item_id, self.action);
        if let Some(branch) = &self.branch {
            say!("  branch {branch}; pull request queued (run `git auditops sync` to open it)");
        }
    }
}

pub fn decisions(ctx: &Context) -> Result<ExitCode> {
    output::report(ctx, &patch::decisions(ctx)?);
    Ok(ExitCode::Success)
}

impl Report for DecisionLog {
    fn text(&self) {
        if self.decisions.is_empty() {
            say!("no decisions recorded");
        }
        for row in &self.decisions {
            let d = &row.record;
            let mark = match row.standing {
                Standing::Trusted => String::new(),
                other => format!("  ({other})"),
            };
            say!(
                "{}  {}  {:<13} {:.2}  {}  {}{mark}",
                d.timestamp,
                d.patch_id.short(),
                d.decision,
                d.confidence,
                d.target,
                d.action
            );
            print_about(&d.title(), &d.files, &d.reasons);
        }
    }
}

pub fn locks(ctx: &Context) -> Result<ExitCode> {
    output::report(ctx, &crate::lock::states(ctx.repo()));
    Ok(ExitCode::Success)
}

impl Report for LockStates {
    fn text(&self) {
        for s in &self.locks {
            match &s.holder {
                Some(h) if s.held => say!(
                    "{:<10} held by pid {} ({}) since {}",
                    s.lock.name(),
                    h.pid,
                    h.command,
                    h.since
                ),
                _ => say!("{:<10} free", s.lock.name()),
            }
        }
    }
}
