//! The pre-push decision: a push to a protected ref needs the active phase's
//! gates to have passed (with trusted, recorded results) on the pushed tree.
//!
//! This runs inside `git push`, so it touches no network and starts no git
//! process: everything is read in-process from the repository and the state.

use super::PhaseError;
use super::gates;
use super::runner::Progress;
use super::status::{GateState, Reader};
use crate::error::Result;
use crate::ids::CommitId;
use crate::workspace::Workspace;
use gix::ObjectId;
use serde::Serialize;

/// One line of git's pre-push input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushUpdate {
    /// The local ref pushed.
    pub local_ref: String,
    /// The commit pushed; `None` for a deletion.
    pub local: Option<CommitId>,
    /// The ref it updates on the remote.
    pub remote_ref: String,
}

/// Parses git's pre-push input: `<local ref> <local sha> <remote ref> <remote sha>`.
/// A local sha of zeros is a deletion.
pub fn parse_updates(input: &[u8]) -> Result<Vec<PushUpdate>> {
    let text = std::str::from_utf8(input).map_err(|_| PhaseError::PushInputNotUtf8)?;
    let mut updates = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [local_ref, local_sha, remote_ref, _remote_sha] = fields[..] else {
            return Err(PhaseError::PushInputLine {
                line: n + 1,
                text: line.to_owned(),
            }
            .into());
        };
        let local =
            ObjectId::from_hex(local_sha.as_bytes()).map_err(|_| PhaseError::PushInputSha {
                line: n + 1,
                sha: local_sha.to_owned(),
            })?;
        updates.push(PushUpdate {
            local_ref: local_ref.to_owned(),
            local: (!local.is_null()).then_some(local.into()),
            remote_ref: remote_ref.to_owned(),
        });
    }
    Ok(updates)
}

/// The verdict on one pushed ref.
#[derive(Debug, Clone, Serialize)]
pub struct RefDecision {
    /// The remote ref.
    pub remote_ref: String,
    /// The commit pushed to it; `None` for a deletion.
    pub commit: Option<CommitId>,
    /// Whether the push of this ref may go ahead.
    pub allowed: bool,
    /// Why it was refused, when it was.
    pub reason: Option<String>,
    /// The gates without a passing result, with their state.
    pub gates: Vec<(String, String)>,
    /// The phase whose gates were required.
    pub phase: Option<u32>,
}

impl RefDecision {
    fn allow(update: &PushUpdate, phase: Option<u32>) -> Self {
        RefDecision {
            remote_ref: update.remote_ref.clone(),
            commit: update.local,
            allowed: true,
            reason: None,
            gates: Vec::new(),
            phase,
        }
    }

    fn refuse(update: &PushUpdate, phase: Option<u32>, reason: String) -> Self {
        RefDecision {
            allowed: false,
            reason: Some(reason),
            ..RefDecision::allow(update, phase)
        }
    }
}

/// Decides every update. With `run_missing`, gates without a result are run
/// (showing progress) and recorded before deciding.
pub fn decide(
    ws: &Workspace,
    updates: &[PushUpdate],
    run_missing: bool,
) -> Result<Vec<RefDecision>> {
    let (repo, config) = (ws.repo(), ws.config()?);
    let protected: Vec<&PushUpdate> = updates
        .iter()
        .filter(|u| config.policy.is_protected(&u.remote_ref))
        .collect();
    if protected.is_empty() {
        return Ok(updates
            .iter()
            .map(|u| RefDecision::allow(u, None))
            .collect());
    }
    let mut view = ws.view()?;
    let mut decisions = Vec::new();
    let mut phases = None;
    for update in updates {
        if !config.policy.is_protected(&update.remote_ref) {
            decisions.push(RefDecision::allow(update, None));
            continue;
        }
        let Some(commit) = update.local else {
            decisions.push(RefDecision::refuse(
                update,
                None,
                format!("{} is protected; deleting it is refused", update.remote_ref),
            ));
            continue;
        };
        let reader = Reader::new(ws, view.as_ref())?;
        // The completions do not change during the push (running missing gates
        // adds gate results only), so they are read once for every ref.
        let (chain_break, active) = match &phases {
            Some(read) => read,
            None => {
                let states = reader.states()?;
                &*phases.insert((
                    reader.chain_breaks_of(repo, &states).into_iter().next(),
                    reader.active_of(&states),
                ))
            }
        };
        let (phase, tree, mut statuses) = {
            if let Some(first) = chain_break {
                decisions.push(RefDecision::refuse(
                    update,
                    Some(first.phase),
                    format!(
                        "the phase chain is broken: {} (record {}); run `git auditops verify`",
                        first.reason,
                        crate::ids::short(&first.id)
                    ),
                ));
                continue;
            }
            let Some(phase) = *active else {
                decisions.push(RefDecision::allow(update, None));
                continue;
            };
            let tree = crate::git::tree_of(repo, commit.object_id())?.into();
            (phase, tree, reader.gates(phase, tree)?)
        };
        let missing: Vec<&str> = statuses
            .iter()
            .filter(|s| s.state == GateState::Missing)
            .map(|s| s.gate.as_str())
            .collect();
        if run_missing && !missing.is_empty() {
            let progress = Progress::for_stderr();
            progress.announce(format_args!(
                "git-auditops: running the missing gates of phase {} on {} before the push",
                phase.id.get_ref(),
                commit.short()
            ));
            gates::run(ws, phase, commit, &missing, &progress)?;
            view = ws.view()?;
            statuses = Reader::new(ws, view.as_ref())?.gates(phase, tree)?;
        }
        let lacking: Vec<(String, String)> = statuses
            .iter()
            .filter(|s| !s.passed())
            .map(|s| {
                let state = match (&s.result, s.stale) {
                    (Some(r), _) => format!("failed: {}", r.outcome),
                    (None, true) => {
                        "missing (the gate's definition changed since its last result)".to_owned()
                    }
                    (None, false) => "missing".to_owned(),
                };
                (s.gate.clone(), state)
            })
            .collect();
        let id = *phase.id.get_ref();
        if lacking.is_empty() {
            decisions.push(RefDecision::allow(update, Some(id)));
        } else {
            let mut decision = RefDecision::refuse(
                update,
                Some(id),
                format!(
                    "phase {id} ({}) gates have not passed on {} (tree {})",
                    phase.name,
                    commit.short(),
                    tree.short()
                ),
            );
            decision.gates = lacking;
            decisions.push(decision);
        }
    }
    Ok(decisions)
}

/// The message git shows the user for refused refs.
pub(crate) fn explain(decisions: &[RefDecision]) -> String {
    let mut out = String::new();
    for d in decisions.iter().filter(|d| !d.allowed) {
        out += &format!(
            "git-auditops: push to {} refused: {}\n",
            d.remote_ref,
            d.reason.as_deref().unwrap_or("refused")
        );
        for (gate, state) in &d.gates {
            out += &format!("  {gate}: {state}\n");
        }
        if let (Some(phase), Some(commit)) = (d.phase, &d.commit)
            && !d.gates.is_empty()
        {
            out += &format!(
                "Run them, then push again:\n  git auditops gate run --phase {phase} --rev {commit}\n"
            );
        }
    }
    out += "(git's own escape hatch, `git push --no-verify`, skips this check; nothing records such a push.)\n";
    out
}
