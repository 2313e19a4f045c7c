//! The answers a push needs, prepared ahead of it.
//!
//! The pre-push hook runs inside `git push`, where every millisecond is the
//! user's. It asks the state two things: may this commit go to a protected
//! ref, and does the outbox hold operations to send once the push is done.
//! Reading the state means reading objects, and on a repository with many
//! packs gix loads pack indices one by one until it finds them: most of the
//! hook's time beyond starting the process (docs/performance.md).
//!
//! Both answers depend only on inputs the hook can read without reading an
//! object ([`Inputs`]): the state ref's tip (the results, completions and the
//! outbox), HEAD's commit (the trust list is the one committed there), the
//! bytes of `.auditops.toml` (phases, gates, policy), the git-auditops that
//! answered, and the pushed commit, which names its tree. So an answer, once
//! computed, is kept in `<git dir>/auditops/prepared-push.json` with the
//! inputs it was computed from, and a push that finds the same inputs reads
//! it instead of the state. The daemon prepares it right after the gates it
//! ran, and so does `gate run` ([`prepare`]), so the first push after a
//! commit finds it ready; every decision that allows a push keeps it too.
//!
//! Only what allows is kept: a refusal is worked out every time, as it reads
//! logs, may run or wait for gates, and explains itself. The file is local
//! and per worktree, like the hooks: whoever can write it can replace the
//! hook as well (docs/security.md). A missing, damaged or stale file
//! only makes the push take the longer way.

use crate::error::Result;
use crate::ids::{CommitId, Sha256};
use crate::store::StateView;
use crate::workspace::Workspace;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The file, in the worktree's git folder (HEAD and `.auditops.toml` are
/// per worktree).
const FILE: &str = "prepared-push.json";

/// The layout of the file; another layout is not read.
const FORMAT: u32 = 1;

/// How many allowed commits are kept for one set of inputs: pushes of a few
/// branches, or of one commit to several remotes.
const MAX_ALLOWED: usize = 32;

/// What an answer depends on, each read without reading an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Inputs {
    /// The git-auditops that answered: another version may answer otherwise.
    version: String,
    /// The state ref's tip; `None` before the first record.
    state: Option<CommitId>,
    /// The commit whose trust list judged the signatures; `None` when HEAD
    /// is unborn.
    head: Option<CommitId>,
    /// The SHA-256 of `.auditops.toml`; `None` when the defaults are in force.
    config: Option<Sha256>,
}

impl Inputs {
    /// The inputs as they stand now, read from refs and the loaded config.
    fn current(ws: &Workspace) -> Result<Inputs> {
        let repo = ws.repo();
        Ok(Inputs {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            state: crate::git::ref_target(repo, ws.config()?.ref_name())?.map(Into::into),
            head: crate::git::ref_target(repo, "HEAD")?.map(Into::into),
            config: ws.config_digest(),
        })
    }

    /// The inputs an answer worked out from `view` (`None`: no state yet),
    /// the workspace's trust list and its config depended on. Taken from what
    /// was read, not read again, so that a ref that moved meanwhile cannot
    /// pair an answer with inputs it was not computed from.
    pub(crate) fn used(ws: &Workspace, view: Option<&StateView<'_>>) -> Result<Inputs> {
        Ok(Inputs {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            state: view.map(|view| view.commit.into()),
            head: ws.trust()?.committed_at().map(Into::into),
            config: ws.config_digest(),
        })
    }
}

/// A commit a push to a protected ref may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Allowed {
    /// The commit.
    pub commit: CommitId,
    /// The phase whose gates passed on its tree; `None` when every phase is
    /// complete.
    pub phase: Option<u32>,
}

/// The answers kept for one set of inputs.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Prepared {
    format: u32,
    inputs: Inputs,
    /// Commits allowed, the latest last.
    allowed: Vec<Allowed>,
    /// Whether the outbox held operations to send; `None` when not known yet.
    outbox_open: Option<bool>,
}

impl Prepared {
    /// What is kept for the inputs as they stand now, if anything is: what
    /// the hook reads instead of the state.
    pub(crate) fn current(ws: &Workspace) -> Option<Prepared> {
        Prepared::read(ws, &Inputs::current(ws).ok()?)
    }

    /// What is kept for `inputs`, if anything is.
    fn read(ws: &Workspace, inputs: &Inputs) -> Option<Prepared> {
        let bytes = std::fs::read(path(ws)).ok()?;
        let prepared: Prepared = serde_json::from_slice(&bytes).ok()?;
        (prepared.format == FORMAT && prepared.inputs == *inputs).then_some(prepared)
    }

    /// The answer for a push of `commit` to a protected ref, when it allows.
    pub(crate) fn allowed(&self, commit: CommitId) -> Option<Allowed> {
        self.allowed.iter().find(|a| a.commit == commit).copied()
    }

    /// Whether the outbox held operations to send, when known.
    pub(crate) fn outbox_open(&self) -> Option<bool> {
        self.outbox_open
    }
}

fn path(ws: &Workspace) -> PathBuf {
    ws.repo().git_dir().join("auditops").join(FILE)
}

/// Keeps `allowed`, worked out from `inputs`, with what is already kept for them.
pub(crate) fn keep_allowed(ws: &Workspace, inputs: Inputs, allowed: &[Allowed]) {
    update(ws, inputs, |prepared| {
        prepared.allowed.retain(|a| !allowed.contains(a));
        prepared.allowed.extend_from_slice(allowed);
        let excess = prepared.allowed.len().saturating_sub(MAX_ALLOWED);
        prepared.allowed.drain(..excess);
    });
}

/// Keeps whether the outbox held operations to send, worked out from `inputs`.
pub(crate) fn keep_outbox(ws: &Workspace, inputs: Inputs, open: bool) {
    update(ws, inputs, |prepared| prepared.outbox_open = Some(open));
}

/// Rewrites the file with `change` applied to what is kept for `inputs` (or
/// to nothing, when it holds other inputs). A file that cannot be written
/// only costs the next push its shortcut, so failing is not an error.
fn update(ws: &Workspace, inputs: Inputs, change: impl FnOnce(&mut Prepared)) {
    let mut prepared = Prepared::read(ws, &inputs).unwrap_or(Prepared {
        format: FORMAT,
        inputs,
        allowed: Vec::new(),
        outbox_open: None,
    });
    change(&mut prepared);
    let written = serde_json::to_vec(&prepared)
        .map_err(std::io::Error::other)
        .and_then(|bytes| crate::atomic_file::write_cache(&path(ws), &bytes));
    if let Err(err) = written {
        tracing::debug!(%err, "the prepared push answers could not be kept");
    }
}

/// Prepares the answers for a push of `commit`: the pre-push decision, kept
/// when it allows, and whether the outbox has operations to send. The daemon
/// calls it once the gates it ran are recorded, and `gate run` does too.
/// Nothing here fails the caller: the push works out what is missing.
pub(crate) fn prepare(ws: &Workspace, commit: CommitId) {
    // What ran before may have moved the ref by other paths.
    ws.refresh();
    if let Err(err) = crate::phase::prepush::prepare(ws, commit) {
        tracing::debug!(err = %crate::error::chain(&err), "no pre-push decision prepared");
    }
    if let Err(err) = crate::github::background::outbox_open(ws) {
        tracing::debug!(err = %crate::error::chain(&err), "the outbox was not read");
    }
}
