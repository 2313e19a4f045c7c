//! Running a phase's gates against a commit and recording each result signed.
//!
//! Gates run in the pooled worktree, as patch validators do: ignored build
//! output (`target/`, `node_modules/`, `.venv/`) survives from one run to the
//! next, so a second `cargo test` is incremental. A gate that needs a pristine
//! tree says `clean = true` and gets a throwaway worktree of its own, and so do
//! the gates of a run that finds the pool in use: they never wait for it.

use super::PhaseError;
use super::records::{GateResult, definition_sha256};
use super::runner::{Job, Progress};
use super::status::Reader;
use crate::config::PhaseConfig;
use crate::error::Result;
use crate::ids::{CommitId, TreeId};
use crate::records::KeyedKind;
use crate::time::Timestamp;
use crate::workspace::Workspace;
use crate::worktree::{PooledWorktree, Throwaway};
use serde::Serialize;
use std::path::PathBuf;

/// The results of one run, in the order the gates ran (`gate run --json`).
#[derive(Debug, Serialize)]
pub struct RunReport {
    /// The phase whose gates ran.
    pub phase: u32,
    /// The commit they ran on.
    pub commit: CommitId,
    /// Its tree: what the results are about.
    pub tree: TreeId,
    /// Every gate that should run ran and passed.
    pub passed: bool,
    /// One result per gate that ran.
    pub results: Vec<GateResult>,
    /// Gates not run because an earlier one failed.
    pub skipped: Vec<String>,
    /// Where the full logs are.
    #[serde(skip)]
    pub log_dir: PathBuf,
}

/// Where the gates that do not ask for a clean tree run.
enum GateTree {
    /// The pool's slot: build caches survive.
    Pooled(PooledWorktree),
    /// A fresh worktree, when the pool is in use (a patch being validated):
    /// a gate — a push waiting on it — never waits for the pool.
    Fresh(Throwaway),
}

impl GateTree {
    fn take(repo: &gix::Repository, commit: CommitId) -> Result<GateTree> {
        match PooledWorktree::checkout(repo, commit.object_id(), std::time::Duration::ZERO) {
            Ok(pool) => Ok(GateTree::Pooled(pool)),
            Err(crate::worktree::WorktreeError::Lock(_)) => Ok(GateTree::Fresh(Throwaway::create(
                repo,
                commit.object_id(),
                "gate",
            )?)),
            Err(err) => Err(err.into()),
        }
    }

    fn path(&self) -> &std::path::Path {
        match self {
            GateTree::Pooled(pool) => pool.path(),
            GateTree::Fresh(fresh) => fresh.path(),
        }
    }
}

/// Where full gate logs go: `<git dir>/auditops/logs/`.
pub(crate) fn log_dir(repo: &gix::Repository) -> PathBuf {
    repo.common_dir().join("auditops").join("logs")
}

/// The UTC time a gate run started, as it appears in its log's name: fixed
/// width, so that names sort by time.
const LOG_STAMP: &str = "%Y%m%dT%H%M%SZ";

/// A gate log's name: `<short tree>-<gate>-<start stamp>.log`.
fn log_name(tree: TreeId, gate: &str, stamp: &str) -> String {
    format!("{}-{gate}-{stamp}.log", tree.short())
}

/// The full log of the run that recorded `result`, when that run was in this
/// clone (logs stay on the machine that ran the gate): the latest log of that
/// gate on that tree started no later than the result was recorded. Only the
/// refusal path reads the folder, never an allowed push.
pub(crate) fn log_of(repo: &gix::Repository, result: &GateResult) -> Option<PathBuf> {
    let dir = log_dir(repo);
    let ended = result.timestamp.instant().strftime(LOG_STAMP).to_string();
    let prefix = log_name(result.tree, &result.gate, "");
    let prefix = prefix.strip_suffix(".log").unwrap_or(&prefix);
    std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| {
            // Only this gate's: `lint-` must not take `lint-extra`'s logs.
            name.strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(".log"))
                .is_some_and(|stamp| stamp.len() == ended.len() && *stamp <= *ended)
        })
        .max()
        .map(|name| dir.join(name))
}

/// The phase `gate run` is about: `id` when given, else the active phase.
pub(crate) fn chosen_phase(ws: &Workspace, id: Option<u32>) -> Result<&PhaseConfig> {
    let config = ws.config()?;
    if config.phases.is_empty() {
        return Err(PhaseError::NoPhases.into());
    }
    match id {
        Some(id) => super::lifecycle::phase(config, id),
        None => {
            let view = ws.view()?;
            Ok(Reader::new(ws, view.as_ref())?
                .active()?
                .ok_or(PhaseError::AllComplete)?)
        }
    }
}

/// `gate run`: all gates of phase `id` (default: the active phase) on `rev`.
pub(crate) fn run_phase(
    ws: &Workspace,
    id: Option<u32>,
    rev: &str,
    progress: &Progress,
) -> Result<RunReport> {
    let phase = chosen_phase(ws, id)?;
    let commit: CommitId = crate::git::resolve_commit(ws.repo(), rev)?.into();
    let all: Vec<&str> = phase.gate_ids().collect();
    progress.announce(format_args!(
        "running phase {} ({}) gates on {}",
        phase.id.get_ref(),
        phase.name,
        commit.short()
    ));
    let report = run(ws, phase, commit, &all, progress)?;
    // A fix rule for the failure runs now that the gates released the pool.
    crate::rules::fix::after_gate_run(ws, &report, progress);
    if report.passed {
        crate::prepared::prepare(ws, commit);
    }
    Ok(report)
}

/// Runs `gates` (ids of `phase`, in the phase's order) on `commit`, one at a
/// time, stopping at the first failure. Each result is recorded as soon as its
/// gate ends, so an interrupted run keeps what it learned.
pub(crate) fn run(
    ws: &Workspace,
    phase: &PhaseConfig,
    commit: CommitId,
    gates: &[&str],
    progress: &Progress,
) -> Result<RunReport> {
    run_recording(ws, phase, commit, gates, progress, true)
}

/// [`run`], or with `record = false` (`ci run --no-record`, a pull request
/// from a fork without secrets) the same run that signs and writes nothing:
/// no result, and no findings of a gate's SARIF file.
pub(crate) fn run_recording(
    ws: &Workspace,
    phase: &PhaseConfig,
    commit: CommitId,
    gates: &[&str],
    progress: &Progress,
    record: bool,
) -> Result<RunReport> {
    let (repo, config) = (ws.repo(), ws.config()?);
    let key = match record {
        true => crate::sign::key::for_recording(ws)?,
        false => None,
    };
    let tree: TreeId = crate::git::tree_of(repo, commit.object_id())?.into();
    let id = *phase.id.get_ref();
    let mut shared: Option<GateTree> = None;
    let mut report = RunReport {
        phase: id,
        commit,
        tree,
        passed: true,
        results: Vec::new(),
        skipped: Vec::new(),
        log_dir: log_dir(repo),
    };
    for gate_id in phase.gate_ids().filter(|id| gates.contains(id)) {
        if !report.passed {
            report.skipped.push(gate_id.to_owned());
            continue;
        }
        let gate = config
            .gate(gate_id)
            .expect("config validation checks gate ids");
        let stamp = jiff::Timestamp::now().strftime(LOG_STAMP).to_string();
        let short_tree = tree.short();
        let mut env = gate.env.clone();
        env.insert("AUDITOPS_GATE".into(), gate_id.to_owned());
        env.insert("AUDITOPS_COMMIT".into(), commit.to_string());
        env.insert("AUDITOPS_TREE".into(), tree.to_string());
        let fresh;
        let cwd = match gate.clean {
            true => {
                fresh = Throwaway::create(repo, commit.object_id(), "gate")?;
                fresh.path()
            }
            false => match &mut shared {
                Some(tree) => tree.path(),
                slot => slot.insert(GateTree::take(repo, commit)?).path(),
            },
        };
        // The pooled worktree keeps ignored files between runs: a SARIF file
        // an earlier run wrote must not pass for this run's scan.
        if let Some(sarif) = &gate.sarif {
            let stale = cwd.join(sarif.get_ref());
            if let Err(err) = std::fs::remove_file(&stale)
                && err.kind() != std::io::ErrorKind::NotFound
            {
                return Err(crate::worktree::WorktreeError::io(&stale)(err).into());
            }
        }
        // Learned rules may retry a failure and say what fixed it before.
        let (outcome, learned) = crate::rules::work::run_check(
            ws,
            gate.category(),
            gate_id,
            &Job {
                name: gate_id,
                command: gate.run.get_ref(),
                timeout: gate.timeout(),
                env: &env,
                cwd,
                log_file: report.log_dir.join(log_name(tree, gate_id, &stamp)),
            },
            progress,
        );
        // Cancelled by the daemon: the run says nothing about the tree.
        if super::runner::cancelled() {
            return Err(crate::daemon::cancelled_error(gate_id));
        }
        // A gate that scans: its SARIF becomes findings of this commit, and
        // `fail_on` may fail it (src/findings/gate.rs).
        let scanned = gate.sarif.as_ref().filter(|_| record).map(|sarif| {
            let file = cwd.join(sarif.get_ref());
            crate::findings::gate::scan(ws, &file, gate.fail_on, cwd, commit)
        });
        let result = GateResult {
            schema_version: 1,
            gate: gate_id.to_owned(),
            definition_sha256: definition_sha256(gate),
            category: gate.category(),
            tree,
            commit,
            phase: id,
            passed: outcome.passed() && scanned.as_ref().is_none_or(|s| s.failure.is_none()),
            outcome: outcome.exit.clone(),
            duration_ms: u64::try_from(outcome.duration.as_millis()).unwrap_or(u64::MAX),
            output_tail: match scanned.as_ref().and_then(|s| s.failure.as_ref()) {
                Some(why) => format!("{}\n{why}", crate::evidence::redact(&outcome.tail))
                    .trim_start()
                    .to_owned(),
                None => crate::evidence::redact(&outcome.tail).into_owned(),
            },
            timestamp: Timestamp::now(),
            scan: scanned.and_then(|s| s.scan),
            learned: None,
        };
        let result = GateResult {
            learned: crate::rules::work::settle(learned, &result),
            ..result
        };
        let message = format!(
            "gate: {gate_id} {} on tree {short_tree} (phase {id})",
            if result.passed { "passed" } else { "failed" },
        );
        if record {
            ws.write(&[result.put(key.as_ref())], &message)?;
        }
        report.passed = result.passed;
        report.results.push(result);
    }
    // Only a failure (or a flaky pass) can push a failure rate up.
    if report.results.iter().any(|r| r.learned.is_some()) {
        crate::alerts::after_gate_run(ws, progress);
    }
    Ok(report)
}
