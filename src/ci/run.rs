//! `ci run`: what a CI job does with the gates. Pull the state, run the gates
//! that have no trusted pass on the tree yet, record the results signed with
//! the CI key, and push them, pulling and retrying while other runners push
//! first, so that a fan-out of runners (one gate each) converges on the remote.

use super::push::{self, PushReport};
use crate::error::{Error, Result};
use crate::ids::{CommitId, TreeId};
use crate::phase::gates;
use crate::phase::runner::{Exit, Progress};
use crate::phase::status::{GateState, Reader};
use crate::sign::SignError;
use crate::workspace::Workspace;
use serde::Serialize;

/// What `ci run` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// The phase (default: the active one, after pulling).
    pub phase: Option<u32>,
    /// The gates to run (default: all of the phase's).
    pub gates: Vec<String>,
    /// The revision whose tree they run on.
    pub rev: String,
    /// Run and report only: no signing, no recording, no pushing.
    pub no_record: bool,
}

/// Whether the results were recorded, and if not, why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Recording {
    /// Signed, recorded and pushed.
    Recorded,
    /// `--no-record` was given.
    NoRecord,
    /// A pull request from a fork: no key, so nothing could be signed.
    ForkWithoutKey,
}

/// What became of one gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CiGateState {
    /// It ran and passed.
    Passed,
    /// It ran and failed.
    Failed,
    /// A trusted pass by an allowed gate signer was already recorded for the
    /// tree: not run again.
    AlreadyPassed,
    /// Not run because an earlier gate failed.
    NotRun,
}

/// One gate's line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct CiGate {
    /// The gate's id.
    pub gate: String,
    /// What became of it.
    pub state: CiGateState,
    /// How long it ran (for an earlier pass, how long that run took).
    pub duration_ms: Option<u64>,
    /// Who signed the result that counts, if it is recorded and trusted.
    pub signer: Option<String>,
    /// How its command ended, when it ran here.
    pub outcome: Option<Exit>,
    /// The end of its output, when it failed here.
    pub output_tail: Option<String>,
}

/// What `ci run` did (`--json`).
#[derive(Debug, Clone, Serialize)]
pub struct CiRun {
    /// The phase whose gates these are.
    pub phase: u32,
    /// Its name.
    pub phase_name: String,
    /// The commit.
    pub commit: CommitId,
    /// Its tree: what results are about.
    pub tree: TreeId,
    /// Whether results were recorded.
    pub recording: Recording,
    /// Why they were not, for people.
    pub recording_note: Option<String>,
    /// The remote pulled from and pushed to (none: no remote, `--no-record`).
    pub remote: Option<String>,
    /// Records that arrived with the first pull.
    pub pulled: Option<usize>,
    /// Every requested gate, in the phase's order.
    pub gates: Vec<CiGate>,
    /// No gate failed.
    pub passed: bool,
    /// How the push went.
    pub push: Option<PushReport>,
}

/// Whether to record, and if not, why: with no key at all in a pull request
/// from a fork, the job runs the gates and says so instead of failing.
fn recording(ws: &Workspace, no_record: bool) -> Result<(Recording, Option<String>)> {
    if no_record {
        return Ok((
            Recording::NoRecord,
            Some("--no-record: nothing is signed, recorded or pushed".into()),
        ));
    }
    match crate::sign::key::for_recording(ws) {
        Ok(_) => Ok((Recording::Recorded, None)),
        Err(Error::Sign(err @ SignError::NoKey { .. })) => match super::fork::detect() {
            Some(why) => Ok((
                Recording::ForkWithoutKey,
                Some(format!(
                    "{why}: no signing key, so the gates run without recording or pushing; \
                     their results count once a run with the CI key records them"
                )),
            )),
            None => Err(err.into()),
        },
        Err(err) => Err(err),
    }
}

/// Runs `ci run`.
pub fn run(ws: &Workspace, options: &RunOptions, progress: &Progress) -> Result<CiRun> {
    let repo = ws.repo();
    let (recording, recording_note) = recording(ws, options.no_record)?;
    let record = recording == Recording::Recorded;
    if let Some(note) = &recording_note {
        progress.announce(format_args!("git-auditops: {note}"));
    }
    let remote = match crate::store::remote::default_remote(repo, "pull") {
        Ok(remote) => Some(remote),
        Err(_) if !record => None,
        Err(err) => return Err(err.into()),
    };
    let pulled = match &remote {
        Some(remote) => Some(push::pull(ws, remote)?),
        None => None,
    };
    let phase = gates::chosen_phase(ws, options.phase)?;
    let id = *phase.id.get_ref();
    let known: Vec<&str> = phase.gate_ids().collect();
    for gate in &options.gates {
        if !known.contains(&gate.as_str()) {
            return Err(super::CiError::UnknownGate {
                phase: id,
                gate: gate.clone(),
                known: known.join(", "),
            }
            .into());
        }
    }
    let chosen: Vec<&str> = known
        .iter()
        .copied()
        .filter(|g| options.gates.is_empty() || options.gates.iter().any(|o| o == g))
        .collect();
    let commit: CommitId = crate::git::resolve_commit(repo, &options.rev)?.into();
    let tree: TreeId = crate::git::tree_of(repo, commit.object_id())?.into();
    let before = {
        let view = ws.view()?;
        Reader::new(ws, view.as_ref())?.gates(phase, tree)?
    };
    let to_run: Vec<&str> = chosen
        .iter()
        .copied()
        .filter(|g| !before.iter().any(|s| s.gate == *g && s.passed()))
        .collect();
    progress.announce(format_args!(
        "git-auditops: phase {id} ({}) on {}: {} gate(s) to run, {} already passed",
        phase.name,
        commit.short(),
        to_run.len(),
        chosen.len() - to_run.len()
    ));
    let ran = match to_run.is_empty() {
        true => None,
        false => Some(gates::run_recording(
            ws, phase, commit, &to_run, progress, record,
        )?),
    };
    let after = match (&ran, record) {
        (Some(_), true) => {
            let view = ws.view()?;
            Reader::new(ws, view.as_ref())?.gates(phase, tree)?
        }
        _ => before.clone(),
    };
    let mut report_gates = Vec::new();
    for gate in &chosen {
        let earlier = before.iter().find(|s| s.gate == *gate);
        let now = after.iter().find(|s| s.gate == *gate);
        let result = ran
            .as_ref()
            .and_then(|r| r.results.iter().find(|res| res.gate == *gate));
        let line = match (earlier.filter(|s| s.passed()), result) {
            (Some(status), _) => CiGate {
                gate: gate.to_string(),
                state: CiGateState::AlreadyPassed,
                duration_ms: status.result.as_ref().map(|r| r.duration_ms),
                signer: status.signer.clone(),
                outcome: None,
                output_tail: None,
            },
            (None, Some(result)) => CiGate {
                gate: gate.to_string(),
                state: match result.passed {
                    true => CiGateState::Passed,
                    false => CiGateState::Failed,
                },
                duration_ms: Some(result.duration_ms),
                signer: now
                    .filter(|s| record && s.state != GateState::Missing)
                    .and_then(|s| s.signer.clone()),
                outcome: Some(result.outcome.clone()),
                output_tail: (!result.passed).then(|| result.output_tail.clone()),
            },
            (None, None) => CiGate {
                gate: gate.to_string(),
                state: CiGateState::NotRun,
                duration_ms: None,
                signer: None,
                outcome: None,
                output_tail: None,
            },
        };
        report_gates.push(line);
    }
    let passed = !report_gates.iter().any(|g| g.state == CiGateState::Failed);
    let push = match (&remote, record) {
        (Some(remote), true) => Some(push::push_until_landed(ws, remote)?),
        _ => None,
    };
    Ok(CiRun {
        phase: id,
        phase_name: phase.name.clone(),
        commit,
        tree,
        recording,
        recording_note,
        remote,
        pulled,
        gates: report_gates,
        passed,
        push,
    })
}
