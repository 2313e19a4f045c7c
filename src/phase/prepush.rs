//! The pre-push decision: a push to a protected ref needs the active phase's
//! gates to have passed (with trusted, recorded results) on the pushed tree.
//!
//! This runs inside `git push`, so it touches no network and starts no git
//! process: everything is read in-process from the repository and the state.

use super::PhaseError;
use super::gates;
use super::records::GateResult;
use super::runner::Progress;
use super::status::{GateState, GateStatus, Reader};
use crate::error::Result;
use crate::ids::CommitId;
use crate::workspace::Workspace;
use gix::ObjectId;
use serde::Serialize;
use std::path::PathBuf;

/// Lines of a failed gate's recorded output the refusal shows.
const TAIL_LINES: usize = 10;

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
    /// The gates without a passing result.
    pub gates: Vec<Lacking>,
    /// The phase whose gates were required.
    pub phase: Option<u32>,
}

/// A gate without a passing result on the pushed tree, and what is known of
/// why, so that the refusal can say what to do next.
#[derive(Debug, Clone, Serialize)]
pub struct Lacking {
    /// The gate's id.
    pub gate: String,
    /// [`GateState::Failed`] or [`GateState::Missing`].
    pub state: GateState,
    /// Missing because the gate's definition changed since its last result.
    pub stale: bool,
    /// The failing result recorded on this tree, when it failed: its commit,
    /// exit and output tail.
    pub failure: Option<GateResult>,
    /// The full log of that failing run, when it ran in this clone.
    pub log: Option<PathBuf>,
    /// Why passing results do not count: their signers are not in `[policy]
    /// gate_signers` (see [`super::signers`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer_note: Option<String>,
}

impl Lacking {
    /// What the refusal says of a gate that has not passed; the log folder is
    /// read only here, for a failure, so an allowed push never reads it.
    fn of(
        repo: &gix::Repository,
        status: GateStatus,
        signers: &crate::config::GateSigners,
    ) -> Self {
        let log = status
            .result
            .as_ref()
            .and_then(|result| gates::log_of(repo, result));
        Lacking {
            signer_note: super::signers::missing_signer_note(signers, &status.unlisted_signers),
            gate: status.gate,
            state: status.state,
            stale: status.stale,
            failure: status.result,
            log,
        }
    }
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
///
/// A push whose answer was prepared for the same inputs (`crate::prepared`)
/// reads it instead of the state; a decision that allows is kept for the
/// next push.
pub fn decide(
    ws: &Workspace,
    updates: &[PushUpdate],
    run_missing: bool,
) -> Result<Vec<RefDecision>> {
    let config = ws.config()?;
    decide_with(ws, updates, run_missing, |name| {
        config.policy.is_protected(name)
    })
}

/// Works out, and keeps when it allows, the decision on a push of `commit` to
/// a protected ref, so that the push finds it ready (`crate::prepared::prepare`).
pub(crate) fn prepare(ws: &Workspace, commit: CommitId) -> Result<()> {
    let update = PushUpdate {
        local_ref: "HEAD".to_owned(),
        local: Some(commit),
        remote_ref: "a protected ref".to_owned(),
    };
    decide_with(ws, &[update], false, |_| true).map(drop)
}

/// The decisions prepared for these inputs, when every protected update has
/// one (`None` sends the push the long way).
fn prepared_decisions(
    ws: &Workspace,
    updates: &[PushUpdate],
    is_protected: &impl Fn(&str) -> bool,
) -> Option<Vec<RefDecision>> {
    let prepared = crate::prepared::Prepared::current(ws)?;
    updates
        .iter()
        .map(|update| match is_protected(&update.remote_ref) {
            false => Some(RefDecision::allow(update, None)),
            // A deletion has no commit: it is refused the long way.
            true => {
                let allowed = prepared.allowed(update.local?)?;
                Some(RefDecision::allow(update, allowed.phase))
            }
        })
        .collect()
}

/// [`decide`] with the protected refs named by `is_protected`.
fn decide_with(
    ws: &Workspace,
    updates: &[PushUpdate],
    run_missing: bool,
    is_protected: impl Fn(&str) -> bool,
) -> Result<Vec<RefDecision>> {
    let repo = ws.repo();
    let config = ws.config()?;
    if !updates.iter().any(|u| is_protected(&u.remote_ref)) {
        return Ok(updates
            .iter()
            .map(|u| RefDecision::allow(u, None))
            .collect());
    }
    if let Some(decisions) = prepared_decisions(ws, updates, &is_protected) {
        return Ok(decisions);
    }
    let mut view = ws.view()?;
    let mut ran_gates = false;
    let mut decisions = Vec::new();
    let mut phases = None;
    for update in updates {
        if !is_protected(&update.remote_ref) {
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
                        first.id.short()
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
            ran_gates = true;
            view = ws.view()?;
            statuses = Reader::new(ws, view.as_ref())?.gates(phase, tree)?;
        }
        let lacking: Vec<Lacking> = statuses
            .into_iter()
            .filter(|s| !s.passed())
            .map(|s| Lacking::of(repo, s, &config.policy.gate_signers))
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
    // Kept only when the whole answer came from one reading of the state:
    // running gates moved it.
    if !ran_gates {
        keep_if_allowed(ws, view.as_ref(), &decisions, &is_protected);
    }
    Ok(decisions)
}

/// Keeps the commits of `decisions` for the next push (`crate::prepared`)
/// when every one allows, under the inputs they were worked out from.
fn keep_if_allowed(
    ws: &Workspace,
    view: Option<&crate::store::StateView<'_>>,
    decisions: &[RefDecision],
    is_protected: &impl Fn(&str) -> bool,
) {
    if !decisions.iter().all(|d| d.allowed) {
        return;
    }
    let allowed: Vec<crate::prepared::Allowed> = decisions
        .iter()
        .filter(|d| is_protected(&d.remote_ref))
        .filter_map(|d| {
            Some(crate::prepared::Allowed {
                commit: d.commit?,
                phase: d.phase,
            })
        })
        .collect();
    if let Ok(inputs) = crate::prepared::Inputs::used(ws, view) {
        crate::prepared::keep_allowed(ws, inputs, &allowed);
    }
}

/// The message git shows the user for refused refs: for a gate that failed on
/// the pushed tree, where and how (the end of its output, its full log) and
/// that it must be fixed; for gates that have not run, the command that runs
/// them.
pub(crate) fn explain(decisions: &[RefDecision]) -> String {
    let mut out = String::new();
    for d in decisions.iter().filter(|d| !d.allowed) {
        out += &format!(
            "git-auditops: push to {} refused: {}\n",
            d.remote_ref,
            d.reason.as_deref().unwrap_or("refused")
        );
        for gate in &d.gates {
            out += &explain_gate(gate);
        }
        let failed: Vec<&str> = d
            .gates
            .iter()
            .filter(|g| g.failure.is_some())
            .map(|g| g.gate.as_str())
            .collect();
        match (d.phase, &d.commit) {
            (Some(phase), Some(_)) if !failed.is_empty() => {
                out += &format!(
                    "Running it again on this tree would fail again: fix what failed ({}), commit, \
                     and push again (`git auditops gate run --phase {phase}` checks the new commit first).\n",
                    failed.join(", ")
                );
            }
            (Some(_), Some(_)) if d.gates.iter().all(|g| g.signer_note.is_some()) => {
                out += "Their results must be signed by an allowed gate signer: let CI run them \
(`git auditops ci run`), then `git auditops state pull` and push again.\n";
            }
            (Some(phase), Some(commit)) if !d.gates.is_empty() => {
                out += &format!(
                    "Run them, then push again:\n  git auditops gate run --phase {phase} --rev {commit}\n"
                );
            }
            _ => {}
        }
    }
    out += "(git's own escape hatch, `git push --no-verify`, skips this check; a CI job running \
`git auditops ci check-push` records such a push as a bypass.)\n";
    out
}

/// One gate's lines of the refusal.
fn explain_gate(gate: &Lacking) -> String {
    let Some(result) = &gate.failure else {
        let why = match (&gate.signer_note, gate.stale) {
            (Some(note), _) => format!(" ({note})"),
            (None, true) => " (the gate's definition changed since its last result)".to_owned(),
            (None, false) => String::new(),
        };
        return format!("  {}: missing{why}\n", gate.gate);
    };
    let mut out = format!(
        "  {}: {} on tree {} (commit {})\n",
        gate.gate,
        result.outcome,
        result.tree.short(),
        result.commit.short()
    );
    let lines: Vec<&str> = result.output_tail.trim_end().lines().collect();
    match lines.len() {
        0 => out += "    (no output)\n",
        n => {
            if n > TAIL_LINES {
                out += "    | …\n";
            }
            for line in &lines[n.saturating_sub(TAIL_LINES)..] {
                out += &format!("    | {line}\n");
            }
        }
    }
    match &gate.log {
        Some(log) => out += &format!("    full log: {}\n", log.display()),
        None => out += "    (its full log is on the machine that ran it)\n",
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Category;
    use crate::ids::Sha256;
    use crate::phase::runner::Exit;
    use crate::time::Timestamp;

    fn refused(gates: Vec<Lacking>) -> RefDecision {
        RefDecision {
            remote_ref: "refs/heads/main".to_owned(),
            commit: Some(ObjectId::from_hex(&[b'c'; 40]).unwrap().into()),
            allowed: false,
            reason: Some("phase 0 (Setup) gates have not passed".to_owned()),
            gates,
            phase: Some(0),
        }
    }

    fn missing(gate: &str) -> Lacking {
        Lacking {
            gate: gate.to_owned(),
            state: GateState::Missing,
            stale: false,
            failure: None,
            log: None,
            signer_note: None,
        }
    }

    fn failed(gate: &str, output_tail: &str, log: Option<&str>) -> Lacking {
        Lacking {
            gate: gate.to_owned(),
            state: GateState::Failed,
            stale: false,
            failure: Some(GateResult {
                schema_version: 1,
                gate: gate.to_owned(),
                definition_sha256: Sha256::of(b""),
                category: Category::Testing,
                tree: ObjectId::from_hex(&[b'a'; 40]).unwrap().into(),
                commit: ObjectId::from_hex(&[b'b'; 40]).unwrap().into(),
                phase: 0,
                outcome: Exit::Exited { code: 2 },
                scan: None,
                learned: None,
                passed: false,
                duration_ms: 1,
                output_tail: output_tail.to_owned(),
                timestamp: Timestamp::now(),
            }),
            log: log.map(PathBuf::from),
            signer_note: None,
        }
    }

    #[test]
    fn gates_that_have_not_run_get_the_command_that_runs_them() {
        let text = explain(&[refused(vec![missing("lint")])]);
        assert!(text.contains("  lint: missing\n"), "{text}");
        assert!(
            text.contains(&format!(
                "Run them, then push again:\n  git auditops gate run --phase 0 --rev {}\n",
                "c".repeat(40)
            )),
            "{text}"
        );
    }

    #[test]
    fn a_failed_gate_shows_where_what_and_the_last_lines_and_says_fix_it() {
        let tail: String = (1..=15).map(|n| format!("line {n}\n")).collect();
        let text = explain(&[refused(vec![
            failed("test", &tail, Some("/logs/aaaa-test-20260101T000000Z.log")),
            missing("lint"),
        ])]);
        assert!(
            text.contains("  test: failed (exit 2) on tree aaaaaaaaaaaa (commit bbbbbbbbbbbb)\n"),
            "{text}"
        );
        // The last TAIL_LINES lines, marked as cut.
        assert!(text.contains("    | …\n    | line 6\n"), "{text}");
        assert!(text.contains("    | line 15\n"), "{text}");
        assert!(!text.contains("line 5\n"), "{text}");
        assert!(
            text.contains("    full log: /logs/aaaa-test-20260101T000000Z.log\n"),
            "{text}"
        );
        assert!(text.contains("fix what failed (test), commit, and push again"));
        assert!(!text.contains("Run them"), "{text}");

        // A result pulled from another clone has no log here; no output is said.
        let text = explain(&[refused(vec![failed("test", "", None)])]);
        assert!(text.contains("    (no output)\n"), "{text}");
        assert!(text.contains("on the machine that ran it"), "{text}");
    }
}
