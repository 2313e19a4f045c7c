//! `action = "fix"`: after a gate failed with a signature whose rule has a
//! fix command, run that command in the pooled worktree at the failing
//! commit and submit what it changed through the normal patch pipeline
//! (validators, confidence, decision, queue). `[patch] mode` decides what
//! follows: `analysis_only` runs and submits nothing (it only says that a
//! fix exists), `supervised` queues the patch for a person, `automatic` lets
//! confidence decide. The protected-paths boundary is the pipeline's: a fix
//! that deletes files or touches protected paths always waits for a person.

use super::record::{Rule, RuleAction};
use crate::config::PatchMode;
use crate::error::Result;
use crate::patch::{Options, Submitted};
use crate::phase::gates::RunReport;
use crate::phase::records::GateResult;
use crate::phase::runner::{self, Job, Progress};
use crate::workspace::Workspace;
use crate::worktree::PooledWorktree;
use std::process::Command;
use std::time::Duration;

/// How long a fix command may run.
const FIX_TIMEOUT: Duration = Duration::from_secs(600);
/// How long to wait for the worktree pool.
const POOL_WAIT: Duration = Duration::from_secs(30);

/// The failed result of `report` whose rule is a fix rule, with the rule.
fn fix_for(ws: &Workspace, report: &RunReport) -> Result<Option<(GateResult, Rule)>> {
    let Some(failed) = report.results.iter().find(|r| !r.passed) else {
        return Ok(None);
    };
    let Some(learned) = &failed.learned else {
        return Ok(None);
    };
    let rule = super::decide::accepted(ws)?.remove(&learned.signature.sha256);
    Ok(rule
        .filter(|r| r.action == RuleAction::Fix && r.fix.is_some())
        .map(|r| (failed.clone(), r)))
}

/// After a gate run: runs the fix a rule names for its failure, if any, and
/// submits the change. Says what it did on `progress`; a fix that cannot run
/// is a warning, never the gate run's error.
pub(crate) fn after_gate_run(ws: &Workspace, report: &RunReport, progress: &Progress) {
    let outcome = fix_for(ws, report).and_then(|found| match found {
        Some((failed, rule)) => fix(ws, &failed, &rule, progress).map(|s| s.map(|s| (rule, s))),
        None => Ok(None),
    });
    match outcome {
        Ok(Some((rule, submitted))) => progress.announce(format_args!(
            "fix of {}: patch {} {} ({})",
            rule.id,
            submitted.decision.patch_id.short(),
            submitted.decision.decision,
            submitted.decision.action
        )),
        Ok(None) => {}
        Err(err) => eprintln!("warning: the rule's fix did not run: {err}"),
    }
}

/// Runs `rule`'s fix for `failed` and submits the diff; `None` when the mode
/// submits nothing or the fix changed nothing.
fn fix(
    ws: &Workspace,
    failed: &GateResult,
    rule: &Rule,
    progress: &Progress,
) -> Result<Option<Submitted>> {
    let command = rule.fix.as_deref().unwrap_or_default();
    if ws.config()?.patch.mode == PatchMode::AnalysisOnly {
        progress.announce(format_args!(
            "  {}: rule {} would run `{command}`; [patch] mode is analysis_only: nothing submitted",
            failed.gate, rule.id
        ));
        return Ok(None);
    }
    let diff = {
        let pool = PooledWorktree::checkout(ws.repo(), failed.commit.object_id(), POOL_WAIT)?;
        let env = std::collections::BTreeMap::from([
            ("AUDITOPS_RULE".to_owned(), rule.id.clone()),
            ("AUDITOPS_COMMIT".to_owned(), failed.commit.to_string()),
        ]);
        progress.announce(format_args!(
            "  {}: rule {} runs its fix `{command}`",
            failed.gate, rule.id
        ));
        let outcome = runner::run(
            &Job {
                name: "fix",
                command,
                timeout: FIX_TIMEOUT,
                env: &env,
                cwd: pool.path(),
                log_file: crate::phase::gates::log_dir(ws.repo()).join(format!(
                    "fix-{}-{}.log",
                    failed.tree.short(),
                    failed.gate
                )),
            },
            progress,
        );
        let diff = staged_diff(pool.path());
        // The slot is reused: leave it as checked out (ignored build output stays).
        let _ = git(pool.path(), &["reset", "-q", "--hard"]);
        let _ = git(pool.path(), &["clean", "-fdq"]);
        if !outcome.passed() {
            progress.announce(format_args!("  fix `{command}` {}", outcome.exit));
            return Ok(None);
        }
        diff?
    };
    if diff.is_empty() {
        progress.announce(format_args!("  fix `{command}` changed nothing"));
        return Ok(None);
    }
    let message = format!(
        "Fix {} failure with `{command}`\n\nAutomatic fix by learned rule {} for the failure \
         signature {} of gate `{}` on commit {}.",
        failed.gate,
        rule.id,
        rule.signature.short(),
        failed.gate,
        failed.commit
    );
    let submitted = crate::patch::submit(
        ws,
        &diff,
        Options {
            target: None,
            author: None,
            message: Some(&message),
            again: false,
        },
        progress,
    )?;
    Ok(Some(submitted))
}

fn git(dir: &std::path::Path, args: &[&str]) -> std::io::Result<std::process::Output> {
    Command::new("git")
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .args(args)
        .output()
}

/// Everything the fix changed, new files included, as a binary diff.
fn staged_diff(dir: &std::path::Path) -> Result<Vec<u8>> {
    let io = |err| crate::error::Error::io(dir)(err);
    let added = git(dir, &["add", "-A"]).map_err(io)?;
    if !added.status.success() {
        return Err(crate::error::Error::Refused(format!(
            "git add in {}: {}",
            dir.display(),
            String::from_utf8_lossy(&added.stderr).trim()
        )));
    }
    let diff = git(dir, &["diff", "--cached", "--binary", "--no-color"]).map_err(io)?;
    Ok(diff.stdout)
}
