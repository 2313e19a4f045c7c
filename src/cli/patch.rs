//! `patch submit`, `queue …`, `decisions` and `locks`.

use super::context::Context;
use super::output;
use super::output::say;
use crate::error::{Error, ExitCode, Result};
use crate::patch::records::DecisionRecord;
use crate::patch::{self, queue};
use crate::phase::runner::Progress;
use crate::records::{KeyedKind, read_all};
use crate::sign::trust;
use crate::store::Store;
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

fn read_patch(file: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let read = match file {
        "-" => std::io::stdin().read_to_end(&mut bytes).map(|_| ()),
        path => std::fs::read(path).map(|b| bytes = b),
    };
    read.map_err(|e| Error::Usage(format!("cannot read the patch {file}: {e}")))?;
    Ok(bytes)
}

fn name_of<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn print_decision(d: &DecisionRecord) {
    say!(
        "patch {} for {}: {} (confidence {:.2}, mode {})",
        &d.patch_id[..12],
        d.target,
        name_of(&d.decision),
        d.confidence,
        name_of(&d.mode)
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
    say!("  action: {}", name_of(&d.action));
}

pub fn patch(ctx: &Context, command: PatchCommand) -> Result<ExitCode> {
    let PatchCommand::Submit { file, target } = command;
    let config = ctx.config()?;
    let bytes = read_patch(&file)?;
    let trust = trust::load(ctx.repo(), config.allowed_signers(), None)?;
    let progress = if ctx.json {
        Progress::quiet()
    } else {
        Progress::for_stderr()
    };
    let submitted = patch::submit(
        ctx.repo(),
        config,
        &trust,
        &bytes,
        target.as_deref(),
        &progress,
    )?;
    if ctx.json {
        output::json(&submitted);
    } else {
        if submitted.already_decided {
            say!("already decided at {}:", submitted.decision.timestamp);
        }
        print_decision(&submitted.decision);
        if let Some(branch) = &submitted.branch {
            say!("  branch {branch}; pull request queued (run `git auditops sync` to open it)");
        }
        if let Some(item) = &submitted.queue_item {
            say!("  queued for review as {item} (`git auditops queue show {item}`)");
        }
    }
    match submitted.decision.decision {
        patch::decide::Decision::Rejected => Err(Error::Refused("the patch was rejected".into())),
        _ => Ok(ExitCode::Success),
    }
}

pub fn queue_command(ctx: &Context, command: QueueCommand) -> Result<ExitCode> {
    let config = ctx.config()?;
    let trust = trust::load(ctx.repo(), config.allowed_signers(), None)?;
    let store = Store::new(ctx.repo(), config.ref_name())?;
    let view = store.view()?;
    let entries = match &view {
        Some(view) => queue::entries(view, &trust, config.trust.require_signed)?,
        None => Vec::new(),
    };
    match command {
        QueueCommand::List {} => {
            let metrics =
                queue::metrics(&entries, &config.queue, jiff::Timestamp::now().as_second());
            record_health(ctx, config, &trust, view.as_ref(), &metrics)?;
            if ctx.json {
                let items: Vec<serde_json::Value> = entries
                    .iter()
                    .map(|e| {
                        serde_json::json!({
                            "item": e.item.record,
                            "state": if e.pending() { "pending" } else { "resolved" },
                            "resolution": e.resolution.as_ref().map(|r| &r.record),
                        })
                    })
                    .collect();
                output::json(&serde_json::json!({ "metrics": metrics, "items": items }));
                return Ok(ExitCode::Success);
            }
            say!(
                "queue: {} pending, oldest {}, health {}",
                metrics.pending,
                metrics
                    .oldest_age_seconds
                    .map(|s| crate::duration::format(std::time::Duration::from_secs(s)))
                    .unwrap_or_else(|| "-".into()),
                metrics.health.name()
            );
            for e in &entries {
                let state = match &e.resolution {
                    None => "pending".to_owned(),
                    Some(r) => name_of(&r.record.resolution),
                };
                let item = &e.item.record;
                say!(
                    "{}  {:<8}  {}  {:.2}  {}",
                    item.item_id,
                    state,
                    item.target,
                    item.confidence,
                    item.created_at
                );
            }
            Ok(ExitCode::Success)
        }
        QueueCommand::Show { id } => {
            let entry = entries
                .iter()
                .find(|e| e.item.record.item_id == id)
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "no queue item `{id}` (see `git auditops queue list`)"
                    ))
                })?;
            if ctx.json {
                output::json(&serde_json::json!({
                    "item": entry.item.record,
                    "signer": entry.item.signer(),
                    "resolution": entry.resolution.as_ref().map(|r| &r.record),
                }));
                return Ok(ExitCode::Success);
            }
            let item = &entry.item.record;
            say!("item {}: patch {}", item.item_id, item.patch_id);
            say!(
                "  target {} at {}, patched commit {}",
                item.target,
                &item.base_commit[..12],
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
            match &entry.resolution {
                None => say!(
                    "  pending: `git auditops queue approve {id}` or `queue reject {id} --reason …`"
                ),
                Some(r) => say!(
                    "  {} at {}",
                    name_of(&r.record.resolution),
                    r.record.timestamp
                ),
            }
            Ok(ExitCode::Success)
        }
        QueueCommand::Approve { id, note } => {
            let done = patch::approve(ctx.repo(), config, &trust, &id, note.as_deref())?;
            print_resolved(&done, ctx.json);
            Ok(ExitCode::Success)
        }
        QueueCommand::Reject { id, reason } => {
            let done = patch::reject(ctx.repo(), config, &trust, &id, &reason)?;
            print_resolved(&done, ctx.json);
            Ok(ExitCode::Success)
        }
    }
}

fn print_resolved(done: &patch::Resolved, json: bool) {
    if json {
        output::json(done);
        return;
    }
    say!(
        "{} {}: {}",
        name_of(&done.resolution),
        done.item_id,
        name_of(&done.action)
    );
    if let Some(branch) = &done.branch {
        say!("  branch {branch}; pull request queued (run `git auditops sync` to open it)");
    }
}

/// Records a queue-health alert when the health changed since the last one.
/// Without a key where signatures are required, the alert is only printed.
pub fn record_health(
    ctx: &Context,
    config: &crate::config::Config,
    trust: &crate::sign::TrustSet,
    view: Option<&crate::store::StateView<'_>>,
    metrics: &queue::Metrics,
) -> Result<()> {
    let Some(alert) = queue::health_alert(view, trust, config.trust.require_signed, metrics)?
    else {
        return Ok(());
    };
    eprintln!("alert: {}", alert.message);
    match crate::sign::key::for_recording(ctx.repo(), config.trust.require_signed) {
        Ok(key) => {
            Store::new(ctx.repo(), config.ref_name())?.write(
                &[alert.put(key.as_ref())],
                &format!("alert: queue health {}", metrics.health.name()),
            )?;
        }
        Err(err) => eprintln!("warning: the alert was not recorded: {err}"),
    }
    Ok(())
}

pub fn decisions(ctx: &Context) -> Result<ExitCode> {
    let json = ctx.json;
    let config = ctx.config()?;
    let trust = trust::load(ctx.repo(), config.allowed_signers(), None)?;
    let store = Store::new(ctx.repo(), config.ref_name())?;
    let mut all: Vec<(String, Option<String>, DecisionRecord)> = match store.view()? {
        Some(view) => read_all::<DecisionRecord>(&view, &trust)?
            .into_iter()
            .map(|r| (r.id.to_hex(), r.signer().map(str::to_owned), r.record))
            .collect(),
        None => Vec::new(),
    };
    all.sort_by(|a, b| a.2.timestamp.cmp(&b.2.timestamp));
    if json {
        let rows: Vec<serde_json::Value> = all
            .iter()
            .map(|(id, signer, d)| {
                let mut row = serde_json::to_value(d).unwrap_or_default();
                row["id"] = id.clone().into();
                row["signer"] = signer.clone().into();
                row
            })
            .collect();
        output::json(&rows);
        return Ok(ExitCode::Success);
    }
    if all.is_empty() {
        say!("no decisions recorded");
    }
    for (_, _, d) in &all {
        say!(
            "{}  {}  {:<13} {:.2}  {}  {}",
            d.timestamp,
            &d.patch_id[..12],
            name_of(&d.decision),
            d.confidence,
            d.target,
            name_of(&d.action)
        );
    }
    Ok(ExitCode::Success)
}

pub fn locks(ctx: &Context) -> Result<ExitCode> {
    let json = ctx.json;
    let states = crate::lock::states(ctx.repo()).map_err(|e| Error::Usage(e.to_string()))?;
    if json {
        output::json(&states);
        return Ok(ExitCode::Success);
    }
    for s in &states {
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
    Ok(ExitCode::Success)
}
