//! Running a phase's gates against a commit, in a throwaway worktree, and
//! recording each result signed.

use super::records::{GateResult, definition_sha256};
use super::runner::{self, Job, Progress};
use crate::config::{Config, PhaseConfig};
use crate::error::Result;
use crate::records::{self, KeyedKind};
use crate::sign::SigningKey;
use crate::store::Store;
use crate::worktree::Throwaway;
use gix::ObjectId;

/// The results of one run, in the order the gates ran.
pub struct RunReport {
    pub commit: ObjectId,
    pub tree: ObjectId,
    pub results: Vec<GateResult>,
    /// Gates not run because an earlier one failed.
    pub skipped: Vec<String>,
}

impl RunReport {
    pub fn passed(&self) -> bool {
        self.results.iter().all(|r| r.passed) && self.skipped.is_empty()
    }
}

/// Where full gate logs go: `<git dir>/auditops/logs/`.
pub fn log_dir(repo: &gix::Repository) -> std::path::PathBuf {
    repo.common_dir().join("auditops").join("logs")
}

/// Runs `gates` (ids of `phase`, in the phase's order) on `commit`, one at a
/// time, stopping at the first failure. Each result is recorded as soon as its
/// gate ends, so an interrupted run keeps what it learned.
pub fn run(
    repo: &gix::Repository,
    config: &Config,
    key: Option<&SigningKey>,
    phase: &PhaseConfig,
    commit: ObjectId,
    gates: &[&str],
    progress: &Progress,
) -> Result<RunReport> {
    let store = Store::new(repo, config.ref_name())?;
    let tree = crate::git::tree_of(repo, commit)?;
    let worktree = Throwaway::create(repo, commit, "gate")?;
    let mut report = RunReport {
        commit,
        tree,
        results: Vec::new(),
        skipped: Vec::new(),
    };
    let mut failed = false;
    for gate_id in phase.gate_ids().filter(|id| gates.contains(id)) {
        if failed {
            report.skipped.push(gate_id.to_owned());
            continue;
        }
        let gate = config
            .gate(gate_id)
            .expect("config validation checks gate ids");
        let stamp = jiff::Timestamp::now()
            .strftime("%Y%m%dT%H%M%SZ")
            .to_string();
        let short_tree = &tree.to_string()[..12];
        let mut env = gate.env.clone();
        env.insert("AUDITOPS_GATE".into(), gate_id.to_owned());
        env.insert("AUDITOPS_COMMIT".into(), commit.to_string());
        env.insert("AUDITOPS_TREE".into(), tree.to_string());
        let outcome = runner::run(
            &Job {
                name: gate_id,
                command: gate.run.get_ref(),
                timeout: gate.timeout(),
                env: &env,
                cwd: worktree.path(),
                log_file: log_dir(repo).join(format!("{short_tree}-{gate_id}-{stamp}.log")),
            },
            progress,
        );
        let result = GateResult {
            schema_version: 1,
            gate: gate_id.to_owned(),
            definition_sha256: definition_sha256(gate),
            category: gate.category,
            tree: tree.to_string(),
            commit: commit.to_string(),
            phase: *phase.id.get_ref(),
            passed: outcome.passed(),
            outcome: outcome.exit.clone(),
            duration_ms: u64::try_from(outcome.duration.as_millis()).unwrap_or(u64::MAX),
            output_tail: outcome.tail.clone(),
            timestamp: records::now(),
        };
        let message = format!(
            "gate: {gate_id} {} on tree {short_tree} (phase {})",
            if result.passed { "passed" } else { "failed" },
            phase.id.get_ref()
        );
        store.write(&[result.put(key)], &message)?;
        failed = !result.passed;
        report.results.push(result);
    }
    Ok(report)
}
