//! The pre-push hook's wait: a push refused only because gates have not run
//! yet on its tree waits for them when the daemon runs or has queued them,
//! then is decided again. With no daemon, nothing changes: the refusal stands.
//! Ctrl-C ends the hook, and git does not push.

use super::client::{ask, lock_holder};
use super::protocol::{Request, Status};
use super::{DaemonError, Paths};
use crate::error::Result;
use crate::ids::{CommitId, TreeId};
use crate::phase::prepush::{self, PushUpdate, RefDecision};
use crate::phase::status::GateState;
use crate::workspace::Workspace;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often the hook asks the daemon how far it is.
const POLL: Duration = Duration::from_millis(100);
/// How long a daemon that is starting gets to answer.
const STARTING: Duration = Duration::from_secs(3);
/// How often a plain (not a terminal) progress line repeats itself.
const REPEAT: Duration = Duration::from_secs(10);

/// Refusals that waiting can turn around: gates missing, none failed.
fn waitable(decisions: &[RefDecision]) -> Vec<CommitId> {
    let mut out = Vec::new();
    for d in decisions {
        let missing_only = !d.allowed
            && !d.gates.is_empty()
            && d.gates.iter().all(|g| g.state == GateState::Missing);
        if missing_only
            && let Some(commit) = d.commit
            && !out.contains(&commit)
        {
            out.push(commit);
        }
    }
    out
}

/// Whether the daemon still has gates of any of `trees` to run, and a line
/// saying what it is doing.
fn progress(status: &Status, trees: &[TreeId], waited: Duration) -> Option<String> {
    let running = status.current.as_ref().filter(|c| trees.contains(&c.tree));
    let queued: usize = status
        .queued
        .iter()
        .filter(|q| trees.contains(&q.tree))
        .map(|q| q.gates.len())
        .sum();
    match running {
        Some(current) => {
            let left = current.gates.len().saturating_sub(current.done + 1) + queued;
            let elapsed = jiff::Timestamp::now()
                .duration_since(current.started.instant())
                .unsigned_abs();
            Some(format!(
                "git-auditops: gate {} running on tree {} for {}s, {left} more to run (waited {}s)",
                current.gate.as_deref().unwrap_or("(starting)"),
                current.tree.short(),
                elapsed.as_secs(),
                waited.as_secs()
            ))
        }
        None if queued > 0 => Some(format!(
            "git-auditops: {queued} gate(s) queued behind other work (waited {}s)",
            waited.as_secs()
        )),
        None => None,
    }
}

/// Asks the daemon; one that holds its lock but has not bound its socket yet
/// (a post-commit hook just started it) gets a moment to come up.
fn ask_starting(paths: &Paths, request: Request) -> Result<Option<super::Response>, DaemonError> {
    let deadline = Instant::now() + STARTING;
    loop {
        match ask(paths, request.clone())? {
            Some(response) => return Ok(Some(response)),
            None if Instant::now() < deadline && lock_holder(paths).is_some() => {
                std::thread::sleep(Duration::from_millis(20));
            }
            None => return Ok(None),
        }
    }
}

/// Waits for the daemon's gates on the trees of refused refs (up to
/// `[policy] wait_for_gates`), showing progress on stderr, then decides again.
/// Returns `decisions` unchanged when there is nothing to wait for.
pub fn wait_for_gates(
    ws: &Workspace,
    updates: &[PushUpdate],
    decisions: Vec<RefDecision>,
) -> Result<Vec<RefDecision>> {
    let commits = waitable(&decisions);
    if commits.is_empty() {
        return Ok(decisions);
    }
    let paths = Paths::new(ws.repo());
    let worktree = ws.repo().workdir().map(ToOwned::to_owned);
    let mut trees = Vec::new();
    for commit in commits {
        let request = Request::Enqueue {
            commit,
            worktree: worktree.clone(),
        };
        let asked = ask_starting(&paths, request);
        match asked {
            // No daemon: refuse as without one.
            Ok(None) => return Ok(decisions),
            Ok(Some(response)) if response.pending == Some(true) => {
                trees.push(crate::git::tree_of(ws.repo(), commit.object_id())?.into());
            }
            Ok(Some(_)) => {}
            Err(err) => {
                eprintln!("git-auditops: the daemon could not take the gates: {err}");
            }
        }
    }
    if trees.is_empty() {
        return Ok(decisions);
    }
    let limit = ws.config()?.policy.wait_for_gates();
    let started = Instant::now();
    let live = std::io::stderr().is_terminal();
    let (mut last_line, mut last_shown) = (String::new(), started);
    eprintln!(
        "git-auditops: the daemon is running the missing gates; waiting (up to {}, Ctrl-C aborts the push)",
        crate::duration::format(limit)
    );
    loop {
        let status = match ask(&paths, Request::Status) {
            Ok(Some(response)) => response.status.unwrap_or_default(),
            Ok(None) | Err(DaemonError::Io { .. }) => {
                eprintln!("git-auditops: the daemon went away; deciding with what is recorded");
                break;
            }
            Err(err) => return Err(err.into()),
        };
        let Some(line) = progress(&status, &trees, started.elapsed()) else {
            break;
        };
        if live {
            eprint!("\r\x1b[K{line}");
            let _ = std::io::stderr().flush();
        } else if line.split(" (waited").next() != last_line.split(" (waited").next()
            || last_shown.elapsed() >= REPEAT
        {
            eprintln!("{line}");
            last_shown = Instant::now();
        }
        last_line = line;
        if started.elapsed() >= limit {
            eprintln!(
                "{}git-auditops: gave up waiting after {} ([policy] wait_for_gates)",
                if live { "\n" } else { "" },
                crate::duration::format(limit)
            );
            break;
        }
        std::thread::sleep(POLL);
    }
    if live {
        eprintln!();
    }
    ws.refresh();
    prepush::decide(ws, updates, false)
}
