//! `status`: one screen on the state, the phases, the review queue, the outbox,
//! the hooks and the key, read from one view of the state.
//!
//! Reading only: nothing here writes the state ref (the queue-health alert is
//! recorded where the queue changes, see `patch::queue`). The one thing it
//! cleans up is outside the state: pooled worktrees that a process which died
//! left behind, so that a user who looks at `status` after a crash finds them gone.

use crate::error::Result;
use crate::hooks;
use crate::ids::CommitId;
use crate::patch::queue;
use crate::phase::summary::Progress;
use crate::sign::{KeySource, key};
use crate::workspace::Workspace;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Everything `status` shows; `--json` prints it as it is.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// The state ref and its tip.
    pub state: StateTip,
    /// How far along the phases are.
    pub phases: Progress,
    /// The review queue's size, age and health.
    pub queue: queue::Metrics,
    /// How many outbox operations are in each state (`pending`, `done`, …).
    pub outbox: BTreeMap<&'static str, usize>,
    /// Open scanner findings per tool.
    pub findings: BTreeMap<String, u64>,
    /// The managed git hooks; empty when they cannot be inspected.
    pub hooks: Vec<hooks::Status>,
    /// Where the signing key was found, if anywhere.
    pub signing_key: Option<KeyLocation>,
    /// Where the trust list was read from (`HEAD:.auditops/allowed_signers`).
    pub trust: String,
    /// Pooled worktrees of dead processes removed by this call.
    pub worktrees_swept: usize,
    /// The per-repository daemon, as `daemon status --json` shows it.
    pub daemon: crate::daemon::Status,
    /// Open failure-rate alerts and pending rule proposals.
    pub learning: crate::alerts::Learning,
}

/// The state ref and where it points.
#[derive(Debug, Serialize)]
pub struct StateTip {
    /// The ref's name.
    #[serde(rename = "ref")]
    pub ref_name: String,
    /// Its commit; `None` before `init`.
    pub tip: Option<CommitId>,
    /// The ref's lock file, when one exists (a write in progress, or one left by
    /// a writer that died, which the next write removes).
    pub lock: Option<crate::store::RefLockState>,
}

/// Where the signing key in use was found.
#[derive(Debug, Serialize)]
pub struct KeyLocation {
    /// The private key file.
    pub path: PathBuf,
    /// Which setting pointed at it.
    pub source: KeySource,
}

/// Reads the summary; sweeps dead processes' pooled worktrees first.
pub fn summary(ws: &Workspace) -> Result<Summary> {
    let worktrees_swept = crate::worktree::sweep_pool(ws.repo());
    let store = ws.store()?;
    let view = ws.view()?;
    let mut outbox: BTreeMap<&'static str, usize> = BTreeMap::new();
    for state in crate::outbox::read::Outbox::read(ws)?.states().values() {
        *outbox.entry(state.name()).or_default() += 1;
    }
    Ok(Summary {
        state: StateTip {
            ref_name: store.ref_name().to_owned(),
            tip: view.as_ref().map(|v| v.commit.into()),
            lock: crate::store::ref_lock::state(ws.repo(), store.ref_name()),
        },
        phases: crate::phase::summary::progress(ws)?,
        queue: queue::health(ws)?,
        outbox,
        findings: crate::findings::read::open_per_tool(ws)?
            .into_iter()
            .collect(),
        hooks: hooks::status(ws.repo())
            .map(|statuses| statuses.hooks)
            .unwrap_or_default(),
        signing_key: key::locate(ws.repo())
            .ok()
            .map(|(path, source)| KeyLocation { path, source }),
        trust: ws.trust()?.source.clone(),
        worktrees_swept,
        daemon: crate::daemon::status(ws.repo()),
        learning: crate::alerts::learning(ws)?,
    })
}
