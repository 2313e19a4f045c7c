//! `phase status|start|complete|report`, `gate run` and `approve`.

use super::context::Context;
use super::output;
use super::output::say;
use crate::duration;
use crate::error::{Error, ExitCode, Result};
use crate::phase::gates;
use crate::phase::lifecycle;
use crate::phase::runner::{Exit, Progress};
use crate::phase::status::{PhaseState, Reader};
use crate::sign::{key, trust};
use crate::store::Store;
use clap::{Args, Subcommand};
use serde::Serialize;

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
    /// .auditops/templates/).
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
    /// What to approve: phase:N (or N) for a phase at the current HEAD, or
    /// queue:ID for a review-queue item.
    subject: String,
    /// A note kept with the approval.
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
}

#[derive(Serialize)]
struct PhaseRow {
    id: u32,
    name: String,
    state: PhaseState,
    completion: Option<crate::phase::records::PhaseCompletion>,
    gates: Vec<crate::phase::status::GateStatus>,
    evidence: Counted,
    approvals: Counted,
}

#[derive(Serialize)]
struct Counted {
    count: usize,
    required: u32,
}

fn no_phases() -> Error {
    Error::Usage(
        "no phases are configured: add [[phases]] and [gates.<ID>] to .auditops.toml".into(),
    )
}

pub fn phase(ctx: &Context, command: PhaseCommand) -> Result<ExitCode> {
    let config = ctx.config()?;
    let trust = trust::load(ctx.repo(), config.allowed_signers(), None)?;
    match command {
        PhaseCommand::Status {} => {
            let store = Store::new(ctx.repo(), config.ref_name())?;
            let view = store.view()?;
            let reader = Reader {
                config,
                view: view.as_ref(),
                trust: &trust,
            };
            let head = crate::git::head_commit(ctx.repo())?;
            let tree = head
                .map(|c| crate::git::tree_of(ctx.repo(), c))
                .transpose()?;
            let evidence = crate::evidence::record::list(ctx, None)?.evidence;
            let mut rows = Vec::new();
            for (phase, (state, completion)) in config.phases.iter().zip(reader.states()?) {
                let id = *phase.id.get_ref();
                let gates = match tree {
                    Some(tree) => reader.gates(phase, tree)?,
                    None => Vec::new(),
                };
                let approvals = match head {
                    Some(head) => lifecycle::approvals(&reader, id, head)?.len(),
                    None => 0,
                };
                rows.push(PhaseRow {
                    id,
                    name: phase.name.clone(),
                    state,
                    completion: completion.map(|c| c.record),
                    gates,
                    evidence: Counted {
                        count: evidence.iter().filter(|l| l.evidence.phase == id).count(),
                        required: phase.evidence_min,
                    },
                    approvals: Counted {
                        count: approvals,
                        required: phase.approvals,
                    },
                });
            }
            if ctx.json {
                output::json(&rows);
                return Ok(ExitCode::Success);
            }
            if rows.is_empty() {
                say!("no phases configured (add [[phases]] to .auditops.toml)");
            }
            for row in &rows {
                let state = serde_json::to_value(row.state).unwrap_or_default();
                let at = row
                    .completion
                    .as_ref()
                    .map(|c| format!(" at {} ({})", &c.git_commit[..12], c.completion_date))
                    .unwrap_or_default();
                say!(
                    "phase {}  {}  {}{at}",
                    row.id,
                    row.name,
                    state.as_str().unwrap_or("?")
                );
                for gate in &row.gates {
                    let by = gate
                        .signer
                        .as_deref()
                        .map(|s| format!(", signed by {s}"))
                        .unwrap_or_default();
                    say!("  gate {:<12} {}{by}", gate.gate, gate.state);
                }
                say!(
                    "  evidence {}/{}, approvals at HEAD {}/{}",
                    row.evidence.count,
                    row.evidence.required,
                    row.approvals.count,
                    row.approvals.required
                );
            }
            Ok(ExitCode::Success)
        }
        PhaseCommand::Start { phase } => {
            let started = lifecycle::start(ctx.repo(), config, &trust, phase)?;
            if ctx.json {
                output::json(&started);
            } else if started.outcome == "already_started" {
                say!(
                    "phase {phase} was already started (at {})",
                    &started.git_commit[..12]
                );
            } else {
                say!("started phase {phase} at {}", &started.git_commit[..12]);
            }
            Ok(ExitCode::Success)
        }
        PhaseCommand::Complete { phase, tag } => {
            let done = lifecycle::complete(ctx.repo(), config, &trust, phase, tag)?;
            if ctx.json {
                output::json(&done);
            } else if done.outcome == "already_complete" {
                say!("phase {phase} is already complete (at {})", done.git_commit);
            } else {
                say!("phase {phase} complete at {}", done.git_commit);
            }
            if let (Some(tag), false) = (&done.tag, ctx.json) {
                say!("tag {tag}");
            }
            Ok(ExitCode::Success)
        }
        PhaseCommand::Report { phase } => {
            let text = report(ctx, config, &trust, phase)?;
            say!("{}", text.trim_end_matches('\n'));
            Ok(ExitCode::Success)
        }
    }
}

fn report(
    ctx: &Context,
    config: &crate::config::Config,
    trust: &crate::sign::TrustSet,
    id: u32,
) -> Result<String> {
    let phase = config
        .phase(id)
        .ok_or_else(|| Error::Usage(format!("there is no phase {id} in .auditops.toml")))?;
    let store = Store::new(ctx.repo(), config.ref_name())?;
    let view = store.view()?;
    let reader = Reader {
        config,
        view: view.as_ref(),
        trust,
    };
    let (state, completion) = reader
        .states()?
        .into_iter()
        .nth(id as usize)
        .ok_or_else(no_phases)?;
    // The report is about the completion commit once there is one, else HEAD.
    let commit = match &completion {
        Some(done) => gix::ObjectId::from_hex(done.record.git_commit.as_bytes())
            .map_err(|e| Error::Usage(e.to_string()))?,
        None => crate::git::head_commit(ctx.repo())?
            .ok_or_else(|| Error::Usage("HEAD has no commit yet".into()))?,
    };
    let tree = crate::git::tree_of(ctx.repo(), commit)?;
    let gates: Vec<serde_json::Value> = reader
        .gates(phase, tree)?
        .iter()
        .map(|g| {
            serde_json::json!({
                "gate": g.gate,
                "state": g.state,
                "category": config.gate(&g.gate).map(|c| serde_json::to_value(c.category).unwrap_or_default()).unwrap_or_default(),
                "duration": g.result.as_ref().map(|r| duration::format(std::time::Duration::from_millis(r.duration_ms))).unwrap_or_else(|| "-".into()),
                "signer": g.signer.clone().unwrap_or_else(|| "-".into()),
            })
        })
        .collect();
    let evidence: Vec<crate::evidence::Evidence> =
        lifecycle::evidence(ctx.repo(), config, trust, id)?
            .into_iter()
            .map(|l| l.evidence)
            .collect();
    let approvals = lifecycle::approvals(&reader, id, commit)?;
    let context = serde_json::json!({
        "phase": {
            "id": id,
            "name": phase.name,
            "state": state,
            "evidence_min": phase.evidence_min,
            "approvals": phase.approvals,
        },
        "commit": commit.to_string(),
        "tree": tree.to_string(),
        "completion_signer": completion.as_ref().and_then(|c| c.signer().map(str::to_owned)),
        "completion": completion.map(|c| c.record),
        "gates": gates,
        "evidence": evidence,
        "approvals": approvals,
        "generated_at": crate::records::now(),
        "tool_version": env!("CARGO_PKG_VERSION"),
    });
    Ok(crate::render::render(
        "phase-report.md.j2",
        ctx.repo().workdir(),
        &context,
    )?)
}

#[derive(Serialize)]
struct GateRunJson<'a> {
    phase: u32,
    commit: String,
    tree: String,
    passed: bool,
    results: &'a [crate::phase::records::GateResult],
    skipped: &'a [String],
}

pub fn gate(ctx: &Context, command: GateCommand) -> Result<ExitCode> {
    let GateCommand::Run(args) = command;
    let config = ctx.config()?;
    if config.phases.is_empty() {
        return Err(no_phases());
    }
    let trust = trust::load(ctx.repo(), config.allowed_signers(), None)?;
    let phase = match args.phase {
        Some(id) => config
            .phase(id)
            .ok_or_else(|| Error::Usage(format!("there is no phase {id} in .auditops.toml")))?,
        None => {
            let store = Store::new(ctx.repo(), config.ref_name())?;
            let view = store.view()?;
            Reader {
                config,
                view: view.as_ref(),
                trust: &trust,
            }
            .active()?
            .ok_or_else(|| {
                Error::Usage("every phase is complete; name one with --phase N".into())
            })?
        }
    };
    let commit = crate::git::resolve_commit(ctx.repo(), &args.rev)?;
    let key = key::for_recording(ctx.repo(), config.trust.require_signed)?;
    let all: Vec<&str> = phase.gate_ids().collect();
    if !ctx.json {
        eprintln!(
            "running phase {} ({}) gates on {}",
            phase.id.get_ref(),
            phase.name,
            &commit.to_string()[..12]
        );
    }
    let progress = if ctx.json {
        Progress::quiet()
    } else {
        Progress::for_stderr()
    };
    let report = gates::run(
        ctx.repo(),
        config,
        key.as_ref(),
        phase,
        commit,
        &all,
        &progress,
    )?;
    if ctx.json {
        output::json(&GateRunJson {
            phase: *phase.id.get_ref(),
            commit: report.commit.to_string(),
            tree: report.tree.to_string(),
            passed: report.passed(),
            results: &report.results,
            skipped: &report.skipped,
        });
    } else {
        for result in report.results.iter().filter(|r| !r.passed) {
            let log = gates::log_dir(ctx.repo());
            eprintln!(
                "--- {} output (tail; full logs in {}) ---",
                result.gate,
                log.display()
            );
            eprintln!("{}", result.output_tail.trim_end());
            if result.outcome == Exit::TimedOut {
                eprintln!(
                    "--- {} timed out and was killed with everything it started ---",
                    result.gate
                );
            }
        }
        if !report.skipped.is_empty() {
            eprintln!(
                "not run (an earlier gate failed): {}",
                report.skipped.join(", ")
            );
        }
        say!(
            "phase {} gates {} on {}",
            phase.id.get_ref(),
            if report.passed() { "passed" } else { "FAILED" },
            &report.commit.to_string()[..12]
        );
    }
    match report.passed() {
        true => Ok(ExitCode::Success),
        false => Err(Error::Refused("a gate failed".into())),
    }
}

pub fn approve(ctx: &Context, args: ApproveArgs) -> Result<ExitCode> {
    if let Some(item) = args.subject.strip_prefix("queue:") {
        return super::patch::queue_command(
            ctx,
            super::patch::QueueCommand::Approve {
                id: item.to_owned(),
                note: args.note,
            },
        );
    }
    let approved = lifecycle::approve(
        ctx.repo(),
        ctx.config()?,
        &args.subject,
        args.note.as_deref(),
    )?;
    if ctx.json {
        output::json(&approved);
    } else {
        say!(
            "approved {} at {}",
            approved.subject,
            &approved.git_commit[..12]
        );
    }
    Ok(ExitCode::Success)
}
