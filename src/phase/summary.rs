//! What `phase status` and `phase report` show: where each phase stands, read
//! from the state and HEAD, for people and for `--json`.

use super::lifecycle::{self, CountedApproval};
use super::records::PhaseCompletion;
use super::status::{GateState, GateStatus, PhaseState, Reader};
use crate::config::Category;
use crate::error::Result;
use crate::evidence::Evidence;
use crate::ids::{CommitId, TreeId};
use crate::time::Timestamp;
use crate::workspace::Workspace;
use serde::Serialize;

/// Every configured phase, in order (`phase status`; in JSON, the array of rows).
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct PhaseStatus {
    /// One row per phase.
    pub rows: Vec<PhaseRow>,
}

/// Where one phase stands, with its gates on HEAD's tree.
#[derive(Debug, Serialize)]
pub struct PhaseRow {
    /// The phase.
    pub id: u32,
    /// Its name.
    pub name: String,
    /// Locked, active or complete.
    pub state: PhaseState,
    /// The completion that makes it complete.
    pub completion: Option<PhaseCompletion>,
    /// Its gates on HEAD's tree (none while HEAD is unborn).
    pub gates: Vec<GateStatus>,
    /// Its evidence records, each distinct evidence once.
    pub evidence: Counted,
    /// Its approvals at HEAD by distinct trusted signers.
    pub approvals: Counted,
}

/// How many there are of something, and how many the phase needs.
#[derive(Debug, Serialize)]
pub struct Counted {
    /// How many there are.
    pub count: usize,
    /// How many the phase needs to complete.
    pub required: u32,
}

/// How far along the phases are, in one line of `status`.
#[derive(Debug, Serialize)]
pub struct Progress {
    /// How many phases `.auditops.toml` defines.
    pub configured: usize,
    /// How many of them are complete.
    pub complete: usize,
    /// The phase being worked on; `None` when all are complete (or none exist).
    pub active: Option<ActivePhase>,
}

/// The active phase, by id and name.
#[derive(Debug, Serialize)]
pub struct ActivePhase {
    /// The phase.
    pub id: u32,
    /// Its name.
    pub name: String,
}

/// How far along the phases are in the workspace's view of the state.
pub(crate) fn progress(ws: &Workspace) -> Result<Progress> {
    let view = ws.view()?;
    let reader = Reader::new(ws, view.as_ref())?;
    let states = reader.states()?;
    Ok(Progress {
        configured: states.len(),
        complete: states
            .iter()
            .filter(|(state, _)| *state == PhaseState::Complete)
            .count(),
        active: reader.active_of(&states).map(|phase| ActivePhase {
            id: *phase.id.get_ref(),
            name: phase.name.clone(),
        }),
    })
}

/// Reads where every phase stands at HEAD.
pub(crate) fn status(ws: &Workspace) -> Result<PhaseStatus> {
    let (repo, config) = (ws.repo(), ws.config()?);
    let view = ws.view()?;
    let reader = Reader::new(ws, view.as_ref())?;
    let head: Option<CommitId> = crate::git::head_commit(repo)?.map(Into::into);
    let tree: Option<TreeId> = head
        .map(|c| crate::git::tree_of(repo, c.object_id()).map(TreeId::from))
        .transpose()?;
    let evidence =
        crate::evidence::record::distinct(crate::evidence::record::all_in(view.as_ref(), None)?);
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
    Ok(PhaseStatus { rows })
}

/// What `templates/phase-report.md.j2` is rendered with.
#[derive(Debug, Serialize)]
pub struct ReportContext {
    /// The phase and what it requires.
    pub phase: ReportPhase,
    /// The commit the report is about: the completion's once there is one,
    /// else HEAD.
    pub commit: CommitId,
    /// Its tree.
    pub tree: TreeId,
    /// Who signed the completion, if a trusted key did.
    pub completion_signer: Option<String>,
    /// The completion.
    pub completion: Option<PhaseCompletion>,
    /// The phase's gates on the tree.
    pub gates: Vec<ReportGate>,
    /// The evidence that counts.
    pub evidence: Vec<Evidence>,
    /// The approvals at the commit by distinct trusted signers.
    pub approvals: Vec<CountedApproval>,
    /// When the report was made.
    pub generated_at: Timestamp,
    /// The version of git-auditops that made it.
    pub tool_version: &'static str,
}

/// The phase in a report.
#[derive(Debug, Serialize)]
pub struct ReportPhase {
    /// The phase.
    pub id: u32,
    /// Its name.
    pub name: String,
    /// Locked, active or complete.
    pub state: PhaseState,
    /// Evidence records it requires.
    pub evidence_min: u32,
    /// Approvals it requires.
    pub approvals: u32,
}

/// A gate's line in a report's table.
#[derive(Debug, Serialize)]
pub struct ReportGate {
    /// The gate's id.
    pub gate: String,
    /// Whether it passed.
    pub state: GateState,
    /// What kind of check it is.
    pub category: Category,
    /// How long it ran, or `-`.
    pub duration: String,
    /// Who signed its result, or `-`.
    pub signer: String,
}

/// The data of phase `id`'s report.
pub(crate) fn report_context(ws: &Workspace, id: u32) -> Result<ReportContext> {
    let (repo, config) = (ws.repo(), ws.config()?);
    let phase = lifecycle::phase(config, id)?;
    let view = ws.view()?;
    let reader = Reader::new(ws, view.as_ref())?;
    let (state, completion) = reader.states()?.swap_remove(id as usize);
    // The report is about the completion commit once there is one, else HEAD.
    let (commit, tree) = match &completion {
        Some(done) => {
            let commit = done.record.git_commit;
            let tree = crate::git::tree_of(repo, commit.object_id())?;
            (commit, tree.into())
        }
        None => lifecycle::head(repo)?,
    };
    let gates = reader
        .gates(phase, tree)?
        .into_iter()
        .map(|g| ReportGate {
            category: g.category,
            duration: g
                .result
                .as_ref()
                .map(|r| crate::duration::format(std::time::Duration::from_millis(r.duration_ms)))
                .unwrap_or_else(|| "-".into()),
            signer: g.signer.unwrap_or_else(|| "-".into()),
            state: g.state,
            gate: g.gate,
        })
        .collect();
    Ok(ReportContext {
        phase: ReportPhase {
            id,
            name: phase.name.clone(),
            state,
            evidence_min: phase.evidence_min,
            approvals: phase.approvals,
        },
        commit,
        tree,
        completion_signer: completion
            .as_ref()
            .and_then(|c| c.signer().map(str::to_owned)),
        completion: completion.map(|c| c.record),
        gates,
        evidence: lifecycle::evidence(ws, id)?
            .into_iter()
            .map(|l| l.evidence)
            .collect(),
        approvals: lifecycle::approvals(&reader, id, commit)?,
        generated_at: Timestamp::now(),
        tool_version: env!("CARGO_PKG_VERSION"),
    })
}

/// Phase `id`'s report (`phase report N`): its data, which `--json` prints,
/// and the Markdown rendered from that same data, which the text form prints.
/// One reading of the store makes both, so they cannot disagree.
#[derive(Debug, Serialize)]
pub struct PhaseReport {
    /// The data, with the names the template sees (`phase`, `commit`,
    /// `gates`, `evidence`, …): what a template override can use is what a
    /// script can read.
    #[serde(flatten)]
    pub context: ReportContext,
    /// The report rendered from `templates/phase-report.md.j2` (or its
    /// override in `.auditops/templates/`).
    #[serde(skip)]
    pub markdown: String,
}

/// Phase `id`'s report: its data, and the Markdown rendered from its template
/// (overridable in `.auditops/templates/`).
pub(crate) fn report(ws: &Workspace, id: u32) -> Result<PhaseReport> {
    let context = report_context(ws, id)?;
    let markdown = crate::render::render("phase-report.md.j2", ws.repo().workdir(), &context)?;
    Ok(PhaseReport { context, markdown })
}
