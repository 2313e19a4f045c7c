//! `ci run`, `ci check-push`, `ci init`: what CI jobs call.

use super::context::Context;
use super::output::{self, Report, say};
use crate::ci::github;
use crate::ci::run::{CiGateState, CiRun, Recording, RunOptions};
use crate::error::{Error, ExitCode, Result};
use crate::phase::runner::Progress;
use clap::{Args, Subcommand};

#[derive(Subcommand)]
pub enum CiCommand {
    /// For a CI job: pull the state, run the gates that have no trusted pass on
    /// REV's tree yet (default: the active phase's), record the results signed
    /// (AUDITOPS_SIGNING_KEY) and push them, retrying while other runners push
    /// first. Exit 1 when a gate failed.
    Run(RunArgs),
}

#[derive(Args)]
pub struct RunArgs {
    /// The phase whose gates to run (default: the active phase).
    #[arg(long)]
    phase: Option<u32>,
    /// Run only this gate (repeat for several): one gate per runner fans out.
    #[arg(long = "gate", value_name = "ID")]
    gates: Vec<String>,
    /// The revision whose tree the gates run on.
    #[arg(long, default_value = "HEAD")]
    rev: String,
    /// Run and report only: sign, record and push nothing (needs no key).
    #[arg(long)]
    no_record: bool,
}

pub fn run(ctx: &Context, command: CiCommand) -> Result<ExitCode> {
    match command {
        CiCommand::Run(args) => ci_run(ctx, args),
    }
}

/// Prints GitHub workflow commands where the runner reads them: stdout, or
/// stderr when stdout carries the one JSON document.
pub(super) fn workflow_commands(json: bool, lines: &[String]) {
    for line in lines {
        match json {
            true => eprintln!("{line}"),
            false => say!("{line}"),
        }
    }
}

fn ci_run(ctx: &Context, args: RunArgs) -> Result<ExitCode> {
    let progress = match ctx.json {
        true => Progress::quiet(),
        false => Progress::for_stderr(),
    };
    let options = RunOptions {
        phase: args.phase,
        gates: args.gates,
        rev: args.rev,
        no_record: args.no_record,
    };
    let run = crate::ci::run::run(ctx, &options, &progress)?;
    output::report(ctx, &run);
    if github::in_actions() {
        workflow_commands(ctx.json, &github::gate_errors(&run, ctx.repo().workdir()));
        github::append_summary(&github::gate_summary(&run))
            .map_err(Error::io("$GITHUB_STEP_SUMMARY"))?;
    }
    match run.passed {
        true => Ok(ExitCode::Success),
        false => Err(Error::Refused(format!(
            "gate(s) failed on {}: {}",
            run.commit.short(),
            run.gates
                .iter()
                .filter(|g| g.state == CiGateState::Failed)
                .map(|g| g.gate.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

impl Report for CiRun {
    fn text(&self) {
        for gate in self.gates.iter().filter(|g| g.state == CiGateState::Failed) {
            eprintln!("--- {} output (tail) ---", gate.gate);
            eprintln!("{}", gate.output_tail.as_deref().unwrap_or("").trim_end());
        }
        say!(
            "phase {} ({}) on {} (tree {})",
            self.phase,
            self.phase_name,
            self.commit.short(),
            self.tree.short()
        );
        for gate in &self.gates {
            let state = match gate.state {
                CiGateState::Passed => "passed",
                CiGateState::Failed => "FAILED",
                CiGateState::AlreadyPassed => "already passed",
                CiGateState::NotRun => "not run",
            };
            let by = gate
                .signer
                .as_deref()
                .map(|s| format!(", signed by {s}"))
                .unwrap_or_default();
            say!("  {:<12} {state}{by}", gate.gate);
        }
        match (self.recording, &self.push) {
            (Recording::Recorded, Some(push)) => say!(
                "results pushed to {} ({} attempt(s), {} record(s) merged from other runners)",
                push.remote,
                push.attempts,
                push.merged
            ),
            (Recording::Recorded, None) => say!("results recorded (no remote to push to)"),
            _ => say!(
                "not recorded: {}",
                self.recording_note.as_deref().unwrap_or("")
            ),
        }
    }
}
