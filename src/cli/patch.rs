//! `patch submit`, `queue …`, `decisions` and `locks`.

use super::context::Context;
use super::output::{self, Report, say};
use crate::error::{ExitCode, Result};
use crate::lock::LockStates;
use crate::patch::parse::FileChange;
use crate::patch::queue::{self, Listing, Shown};
use crate::patch::records::{Action, Alert, DecisionRecord, files_summary};
use crate::patch::validate::Score;
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
        /// The author of a plain diff, "NAME <EMAIL>" (default: your git
        /// identity). Mail input keeps the authors it names.
        #[arg(long, value_name = "NAME <EMAIL>")]
        author: Option<String>,
        /// The commit message of a plain diff; its first line is the subject
        /// (default: a subject naming the files).
        #[arg(long, value_name = "TEXT")]
        message: Option<String>,
        /// Validate again even though this patch was decided for this target
        /// at this base; the new decision says so.
        #[arg(long)]
        again: bool,
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
        /// Required when a validator failed or a protected path is touched:
        /// why it is approved anyway (signed with the approval).
        #[arg(long = "override", value_name = "TEXT")]
        override_reason: Option<String>,
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
    let PatchCommand::Submit {
        file,
        target,
        author,
        message,
        again,
    } = command;
    let bytes = read_patch(&file)?;
    let progress = match ctx.json {
        true => Progress::quiet(),
        false => Progress::for_stderr(),
    };
    let options = patch::Options {
        target: target.as_deref(),
        author: author.as_deref(),
        message: message.as_deref(),
        again,
    };
    let submitted = patch::submit(ctx, &bytes, options, &progress)?;
    output::report(ctx, &submitted);
    print_alert(submitted.health_alert.as_ref());
    match submitted.failure() {
        Some(err) => Err(err.into()),
        None => Ok(ExitCode::Success),
    }
}

/// One line per validator, and the tail of a failed one's output.
fn print_validators<'a>(validators: impl IntoIterator<Item = &'a Score>, indent: &str) {
    for s in validators {
        say!(
            "{indent}{:<12} {:<6} score {:.2} × weight {:.2}  {}in {}{}",
            s.name,
            if s.passed() { "passed" } else { "FAILED" },
            s.score,
            s.weight,
            match s.passed() {
                true => String::new(),
                false => format!("{} ", s.outcome),
            },
            crate::duration::format(std::time::Duration::from_millis(s.duration_ms)),
            if s.attempts > 1 {
                format!(" after {} attempts", s.attempts)
            } else {
                String::new()
            }
        );
        if !s.passed() {
            if let Some(tail) = &s.output_tail {
                for line in tail
                    .lines()
                    .rev()
                    .take(5)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                {
                    say!("{indent}  | {line}");
                }
            }
            if let Some(log) = &s.log {
                say!("{indent}  log: {log}");
            }
            if let Some(learned) = &s.learned {
                for line in crate::rules::work::describe(learned).lines() {
                    say!("{indent}  {line}");
                }
            }
        }
    }
}

fn print_decision(d: &DecisionRecord) {
    say!(
        "patch {} for {} at {}: {} (confidence {:.2}, mode {})",
        d.patch_id.short(),
        d.target,
        d.base_commit.short(),
        d.decision,
        d.confidence,
        d.mode
    );
    say!("  {}", d.title());
    if let Some(author) = &d.author {
        say!("  author: {author}");
    }
    if d.commits.len() > 1 {
        say!("  series of {} commits", d.commits.len());
    }
    print_validators(&d.validators, "  ");
    for reason in &d.reasons {
        say!("  why: {reason}");
    }
    say!("  action: {}", d.action);
}

impl Report for Submitted {
    fn text(&self) {
        if self.already_decided {
            say!(
                "already decided at {} for this target and base (`--again` to validate again):",
                self.decision.timestamp
            );
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
        QueueCommand::Approve {
            id,
            note,
            override_reason,
        } => {
            let done = patch::approve(ctx, &id, note.as_deref(), override_reason.as_deref())?;
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
            if let Some(author) = &listed.about.author {
                say!("    author: {author}");
            }
            print_validators(listed.about.validators.iter().map(|v| &v.score), "    ");
        }
    }
}

impl Report for Shown {
    fn text(&self) {
        let item = &self.item;
        let id = &item.item_id;
        say!("item {id}: {}", self.about.subject);
        say!("  patch {}", item.patch_id);
        if let Some(author) = &self.about.author {
            say!("  author: {author}");
        }
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
        print_validators(self.about.validators.iter().map(|v| &v.score), "  ");
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
        let what = match self.action {
            Action::Merged => format!("merged into {}", self.target),
            Action::PullRequestQueued => format!("a pull request to {} queued", self.target),
            _ => format!("nothing merged into {}", self.target),
        };
        say!(
            "{} {} ({}): {what}",
            self.resolution,
            self.item_id,
            self.subject
        );
        if let Some(text) = &self.override_reason {
            say!("  override: {text}");
        }
        if let Some(note) = &self.note {
            say!(
                "  {}: {note}",
                if self.action == Action::None {
                    "reason"
                } else {
                    "note"
                }
            );
        }
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
    output::report(ctx, &crate::lock::states(ctx));
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
        if let Some(r) = &self.state_ref {
            match &r.holder {
                Some(h) => say!(
                    "{:<10} {} ({}s old) held by pid {} ({})",
                    r.lock,
                    r.path.display(),
                    r.age_secs,
                    h.pid,
                    h.command
                ),
                None => say!(
                    "{:<10} {} ({}s old) left by a process that died; the next write removes it",
                    r.lock,
                    r.path.display(),
                    r.age_secs
                ),
            }
        }
    }
}
