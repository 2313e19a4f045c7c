//! `cleanup plan` and `cleanup run ID [--dry-run]` (`approve report:ID` is in
//! `phase.rs`, with the other approvals).

use super::context::Context;
use super::output::{self, Report, say};
use crate::cleanup::{ApprovedReport, Plan, RunOutcome};
use crate::error::{ExitCode, Result};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum CleanupCommand {
    /// List what would be deleted (patch branches of resolved queue items or
    /// merged into their target, state copies of remotes that are gone,
    /// unused pooled worktrees, logs past `[cleanup] log_retention`), with the
    /// report id to approve.
    Plan,
    /// Run an approved report: refused (exit 1) when the plan changed or
    /// approvals are short; records one signed audit record per action.
    Run {
        /// The report id (`cleanup plan` prints it).
        #[arg(value_name = "ID")]
        id: String,
        /// Check and show what would run; delete and record nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub fn run(ctx: &Context, command: CleanupCommand) -> Result<ExitCode> {
    match command {
        CleanupCommand::Plan => output::report(ctx, &crate::cleanup::plan(ctx)?),
        CleanupCommand::Run { id, dry_run } => {
            output::report(ctx, &crate::cleanup::run(ctx, &id, dry_run)?)
        }
    }
    Ok(ExitCode::Success)
}

impl Report for Plan {
    fn text(&self) {
        say!("report {}", self.report_id);
        if self.actions.is_empty() {
            say!("nothing to clean up");
        }
        for a in &self.actions {
            say!(
                "  {} {} ({} bytes, sha256 {}): {}",
                a.kind,
                a.target,
                a.bytes,
                a.sha256.short(),
                a.reason
            );
        }
    }
}

impl Report for RunOutcome {
    fn text(&self) {
        let verb = if self.dry_run {
            "would delete"
        } else {
            "deleted"
        };
        for e in &self.actions {
            say!("{verb} {} ({})", e.action.target, e.action.reason);
        }
        say!(
            "report {}: {} actions, approved by {}",
            self.report_id.short(),
            self.actions.len(),
            self.approvers.len()
        );
    }
}

impl Report for ApprovedReport {
    fn text(&self) {
        say!("approved {} (record {})", self.subject, self.id.short());
    }
}
