//! `ci run`, `ci check-push`, `ci init`: what CI jobs call.

use super::context::Context;
use super::output::{self, Report, say};
use crate::ci::check_push::{PushCheck, PushEvent};
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
    /// For a CI job on a push (GitHub's push event values): when REF is
    /// protected and the pushed commit's tree lacks passing results by allowed
    /// gate signers (the push skipped the hook), or the push dropped commits,
    /// record a signed `bypass` record and exit 1.
    CheckPush(CheckPushArgs),
    /// Write the CI workflow: with --github, .github/workflows/auditops.yml
    /// (check-push on pushes, the gates, verify on pull requests). Refuses to
    /// replace an existing file without --force.
    Init(InitArgs),
}

#[derive(Args)]
pub struct InitArgs {
    /// Write a GitHub Actions workflow.
    #[arg(long)]
    github: bool,
    /// One job per gate of the active phase (fan-out), instead of one job.
    #[arg(long)]
    matrix: bool,
    /// Replace an existing workflow file.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
pub struct CheckPushArgs {
    /// The ref pushed, e.g. refs/heads/main (GitHub: github.ref).
    #[arg(long = "ref", value_name = "REF")]
    ref_name: String,
    /// The ref's commit before the push; 40 zeros when it was created
    /// (GitHub: github.event.before).
    #[arg(long, value_name = "SHA")]
    before: String,
    /// The ref's commit after the push; 40 zeros when it was deleted
    /// (GitHub: github.event.after).
    #[arg(long, value_name = "SHA")]
    after: String,
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
        CiCommand::CheckPush(args) => check_push(ctx, args),
        CiCommand::Init(args) => init(ctx, args),
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

fn init(ctx: &Context, args: InitArgs) -> Result<ExitCode> {
    if !args.github {
        return Err(crate::ci::CiError::NoSystem.into());
    }
    let written = crate::ci::init::init(ctx, args.matrix, args.force)?;
    output::report(ctx, &written);
    Ok(ExitCode::Success)
}

impl Report for crate::ci::init::Initialized {
    fn text(&self) {
        let verb = if self.replaced { "replaced" } else { "wrote" };
        say!("{verb} {}", self.path.display());
        if let Some(matrix) = &self.matrix {
            say!(
                "one job per gate of phase {}: {}",
                matrix.phase,
                matrix.gates.join(", ")
            );
        }
        say!("next:");
        say!("  git auditops key generate --no-passphrase --out ci_key");
        say!(
            "  add its allowed_signers line (principal e.g. ci@github-actions) to the trust file, commit"
        );
        say!("  store the text of ci_key as the secret AUDITOPS_SIGNING_KEY, then delete ci_key");
        say!("  commit and push the workflow");
    }
}

fn check_push(ctx: &Context, args: CheckPushArgs) -> Result<ExitCode> {
    let event = PushEvent {
        ref_name: args.ref_name,
        before: args.before,
        after: args.after,
    };
    let verdict = crate::ci::check_push::check(ctx, &event)?;
    output::report(ctx, &verdict);
    if github::in_actions() && !verdict.ok {
        let lines: Vec<String> = verdict
            .uncovered
            .iter()
            .map(|u| {
                github::error_command(
                    None,
                    "auditops: push bypassed the gates",
                    &format!(
                        "{} {}: no passing result by an allowed gate signer for {}",
                        verdict.ref_name,
                        u.commit.short(),
                        u.missing.join(", ")
                    ),
                )
            })
            .collect();
        workflow_commands(ctx.json, &lines);
    }
    match verdict.ok {
        true => Ok(ExitCode::Success),
        false => Err(Error::Refused(format!(
            "the push to {} bypassed the gates{}; recorded as a bypass",
            verdict.ref_name,
            if verdict.forced {
                " or dropped commits"
            } else {
                ""
            }
        ))),
    }
}

impl Report for PushCheck {
    fn text(&self) {
        if !self.protected {
            return say!("{} is not protected: nothing to check", self.ref_name);
        }
        if self.ok {
            return say!(
                "{}: the push is covered by passing results ({} commit(s))",
                self.ref_name,
                self.commits.len()
            );
        }
        for u in &self.uncovered {
            say!(
                "uncovered: {} (tree {}): missing {}",
                u.commit.short(),
                u.tree.short(),
                u.missing.join(", ")
            );
        }
        if self.forced {
            say!(
                "forced: {} commit(s) dropped from {}",
                self.dropped.len(),
                self.ref_name
            );
        }
        if let Some(id) = &self.recorded {
            say!("recorded bypass {}", id.short());
        }
        if let Some(issue) = &self.issue {
            say!(
                "issue: {}",
                serde_json::to_string(issue).unwrap_or_default()
            );
        }
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
