//! `phase status|start|complete|report`, `gate run` and `approve`.

use super::context::Context;
use super::output::{self, Report, say};
use crate::error::{ExitCode, Result};
use crate::phase::PhaseError;
use crate::phase::gates::{self, RunReport};
use crate::phase::lifecycle::{self, Approved, CompleteOutcome, Completed, StartOutcome, Started};
use crate::phase::runner::{Exit, Progress};
use crate::phase::summary::{self, PhaseReport, PhaseStatus};
use clap::{Args, Subcommand};

#[derive(Subcommand)]
pub enum PhaseCommand {
    /// Each phase: locked, active or complete, with its gates' results on HEAD's tree.
    Status {},
    /// Record the start of phase N; refused (exit 1) unless every earlier phase is complete.
    Start { phase: u32 },
    /// Record that phase N is complete at HEAD: its gates passed on HEAD's tree, its
    /// evidence is recorded and its approvals are signed. Exit 1 if not.
    Complete {
        phase: u32,
        /// Also create the annotated tag phase-N-complete at the commit.
        #[arg(long)]
        tag: bool,
    },
    /// Print phase N's report (templates/phase-report.md.j2, overridable in
    /// .auditops/templates/); with --json, the data the template is rendered with.
    Report { phase: u32 },
}

#[derive(Subcommand)]
pub enum GateCommand {
    /// Run a phase's gates, in order, on REV's tree in a throwaway worktree; stop at
    /// the first failure and record each result signed. Exit 1 if a gate failed.
    Run(GateRunArgs),
}

#[derive(Args)]
pub struct GateRunArgs {
    /// The phase whose gates to run (default: the active phase).
    #[arg(long)]
    phase: Option<u32>,
    /// The commit to check (default: HEAD).
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    rev: String,
}

#[derive(Args)]
pub struct ApproveArgs {
    /// What to approve: phase:N (or N) for a phase at the current HEAD,
    /// queue:ID for a review-queue item, or report:ID for a cleanup plan.
    subject: String,
    /// A note kept with the approval.
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
}

pub fn phase(ctx: &Context, command: PhaseCommand) -> Result<ExitCode> {
    match command {
        PhaseCommand::Status {} => output::report(ctx, &summary::status(ctx)?),
        PhaseCommand::Start { phase } => output::report(ctx, &lifecycle::start(ctx, phase)?),
        PhaseCommand::Complete { phase, tag } => {
            output::report(ctx, &lifecycle::complete(ctx, phase, tag)?)
        }
        PhaseCommand::Report { phase } => output::report(ctx, &summary::report(ctx, phase)?),
    }
    Ok(ExitCode::Success)
}

impl Report for PhaseStatus {
    fn text(&self) {
        if self.rows.is_empty() {
            say!("no phases configured (add [[phases]] to .auditops.toml)");
        }
        for row in &self.rows {
            let at = row
                .completion
                .as_ref()
                .map(|c| format!(" at {} ({})", c.git_commit.short(), c.completion_date))
                .unwrap_or_default();
            say!("phase {}  {}  {}{at}", row.id, row.name, row.state);
            for gate in &row.gates {
                let by = gate
                    .signer
                    .as_deref()
                    .map(|s| format!(", signed by {s}"))
                    .unwrap_or_default();
                let inferred = match gate.category_inferred {
                    true => ", inferred",
                    false => "",
                };
                say!(
                    "  gate {:<12} {:<7}  ({}{inferred}){by}",
                    gate.gate,
                    gate.state,
                    gate.category
                );
                if !gate.unlisted_signers.is_empty() {
                    say!(
                        "       passed only by {}, not counted: [policy] gate_signers",
                        gate.unlisted_signers.join(", ")
                    );
                }
            }
            say!(
                "  evidence {}/{}, approvals at HEAD {}/{}",
                row.evidence.count,
                row.evidence.required,
                row.approvals.count,
                row.approvals.required
            );
        }
    }
}

impl Report for PhaseReport {
    fn text(&self) {
        say!("{}", self.markdown.trim_end_matches('\n'));
    }
}

impl Report for Started {
    fn text(&self) {
        match self.outcome {
            StartOutcome::AlreadyStarted => say!(
                "phase {} was already started (at {})",
                self.phase,
                self.git_commit.short()
            ),
            StartOutcome::Started => {
                say!(
                    "started phase {} at {}",
                    self.phase,
                    self.git_commit.short()
                )
            }
        }
    }
}

impl Report for Completed {
    fn text(&self) {
        match self.outcome {
            CompleteOutcome::AlreadyComplete => say!(
                "phase {} is already complete (at {})",
                self.phase,
                self.git_commit
            ),
            CompleteOutcome::Completed => {
                say!("phase {} complete at {}", self.phase, self.git_commit)
            }
        }
        if let Some(tag) = &self.tag {
            say!("tag {tag}");
        }
    }
}

pub fn gate(ctx: &Context, command: GateCommand) -> Result<ExitCode> {
    let GateCommand::Run(args) = command;
    let progress = match ctx.json {
        true => Progress::quiet(),
        false => Progress::for_stderr(),
    };
    let report = gates::run_phase(ctx, args.phase, &args.rev, &progress)?;
    output::report(ctx, &report);
    match report.passed {
        true => Ok(ExitCode::Success),
        false => Err(PhaseError::GateFailed.into()),
    }
}

impl Report for RunReport {
    fn text(&self) {
        for result in self.results.iter().filter(|r| !r.passed) {
            eprintln!(
                "--- {} output (tail; full logs in {}) ---",
                result.gate,
                self.log_dir.display()
            );
            eprintln!("{}", result.output_tail.trim_end());
            if let Some(learned) = &result.learned {
                eprintln!("{}", crate::rules::work::describe(learned));
            }
            if result.outcome == Exit::TimedOut {
                eprintln!(
                    "--- {} timed out and was killed with everything it started ---",
                    result.gate
                );
            }
        }
        if !self.skipped.is_empty() {
            eprintln!(
                "not run (an earlier gate failed): {}",
                self.skipped.join(", ")
            );
        }
        say!(
            "phase {} gates {} on {}",
            self.phase,
            if self.passed { "passed" } else { "FAILED" },
            self.commit.short()
        );
    }
}

pub fn approve(ctx: &Context, args: ApproveArgs) -> Result<ExitCode> {
    if args.subject.starts_with("report:") {
        let approved = crate::cleanup::approve(ctx, &args.subject, args.note.as_deref())?;
        output::report(ctx, &approved);
        return Ok(ExitCode::Success);
    }
    if let Some(item) = args.subject.strip_prefix("queue:") {
        return super::patch::queue_command(
            ctx,
            super::patch::QueueCommand::Approve {
                id: item.to_owned(),
                note: args.note,
                override_reason: None,
            },
        );
    }
    let approved = lifecycle::approve(ctx, &args.subject, args.note.as_deref())?;
    output::report(ctx, &approved);
    Ok(ExitCode::Success)
}

impl Report for Approved {
    fn text(&self) {
        say!("approved {} at {}", self.subject, self.git_commit.short());
    }
}
