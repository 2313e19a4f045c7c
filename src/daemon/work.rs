//! The daemon's gate queue: which trees need the active phase's gates, one run
//! at a time on a worker thread, newer HEADs replacing queued runs, and runs
//! for trees no longer checked out cancelled.
//!
//! A run is `phase::gates::run`, the function `gate run` calls, so its results
//! are the same signed records. Only gates without any result on the tree run:
//! a failed gate would fail again on the same tree.

use super::protocol::{Current, Event, Queued};
use crate::error::Result;
use crate::ids::{CommitId, TreeId};
use crate::phase::runner::{Progress, Supervisor};
use crate::phase::status::{GateState, Reader};
use crate::time::Timestamp;
use crate::workspace::Workspace;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

/// How many events `daemon status` shows.
const EVENTS_KEPT: usize = 20;

/// A run of gates on one tree.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub tree: TreeId,
    pub commit: CommitId,
    pub phase: u32,
    pub gates: Vec<String>,
    /// The worktree whose HEAD this is; `None` when a push asked for it.
    pub worktree: Option<PathBuf>,
    /// Where to open the workspace (its `.auditops.toml` is the one used).
    pub dir: PathBuf,
}

impl Job {
    /// Asked for by a push: a push waits on it, so it is never replaced or cancelled.
    fn pinned(&self) -> bool {
        self.worktree.is_none()
    }

    pub(crate) fn queued(&self) -> Queued {
        Queued {
            tree: self.tree,
            commit: self.commit,
            gates: self.gates.clone(),
            worktree: self.worktree.clone(),
        }
    }
}

/// The run in progress.
pub(crate) struct Running {
    pub job: Job,
    pub current: Current,
    pub cancel: Arc<AtomicBool>,
}

/// What the threads of the daemon share.
pub(crate) struct Shared {
    pub running: Option<Running>,
    pub queue: VecDeque<Job>,
    pub events: VecDeque<Event>,
    pub stopping: bool,
    /// The last time anything happened: events, requests for work, runs ending.
    pub last_activity: Instant,
}

/// The shared state and the condition the worker waits on.
pub(crate) struct State {
    shared: Mutex<Shared>,
    pub cond: Condvar,
}

impl State {
    pub(crate) fn new() -> Arc<State> {
        Arc::new(State {
            shared: Mutex::new(Shared {
                running: None,
                queue: VecDeque::new(),
                events: VecDeque::new(),
                stopping: false,
                last_activity: Instant::now(),
            }),
            cond: Condvar::new(),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Shared {
    /// Notes an event for `daemon status` and the log.
    pub(crate) fn event(&mut self, what: String) {
        tracing::info!("{what}");
        if self.events.len() == EVENTS_KEPT {
            self.events.pop_front();
        }
        self.events.push_back(Event {
            at: Timestamp::now(),
            what,
        });
    }

    /// Whether gates are running or queued for `tree`.
    pub(crate) fn pending(&self, tree: TreeId) -> bool {
        self.running.as_ref().is_some_and(|r| r.job.tree == tree)
            || self.queue.iter().any(|j| j.tree == tree)
    }

    pub(crate) fn busy(&self) -> bool {
        self.running.is_some() || !self.queue.is_empty()
    }
}

/// The error a cancelled gate run ends with (`phase::gates` returns it).
pub(crate) fn cancelled_error(gate: &str) -> crate::error::Error {
    super::DaemonError::Cancelled {
        gate: gate.to_owned(),
    }
    .into()
}

/// The gates of the active phase with no result on `commit`'s tree. A gate
/// whose result here is not counted only because of `[policy] gate_signers`
/// (say, only CI's results count) is not run again: this machine's next result
/// would not count either, and the daemon would run it in a loop.
fn missing(ws: &Workspace, commit: CommitId) -> Result<Option<(u32, TreeId, Vec<String>)>> {
    let view = ws.view()?;
    let reader = Reader::new(ws, view.as_ref())?;
    let Some(phase) = reader.active()? else {
        return Ok(None);
    };
    let tree: TreeId = crate::git::tree_of(ws.repo(), commit.object_id())?.into();
    let gates: Vec<String> = reader
        .gates(phase, tree)?
        .into_iter()
        .filter(|s| s.state == GateState::Missing && !s.uncounted_result)
        .map(|s| s.gate)
        .collect();
    Ok(Some((*phase.id.get_ref(), tree, gates)))
}

/// The worktrees whose HEADs the daemon follows: the main one and every
/// linked one, but not the worktrees git-auditops makes for itself.
pub(crate) fn worktrees(repo: &gix::Repository) -> Vec<PathBuf> {
    let ours = repo.common_dir().join("auditops");
    let mut out = Vec::new();
    if let Ok(all) = repo.worktrees_including_main() {
        for wt in all.flatten() {
            if let Some(dir) = wt.workdir()
                && !dir.starts_with(&ours)
                && dir.exists()
            {
                out.push(dir.to_owned());
            }
        }
    }
    out
}

/// What one worktree's HEAD needs: its tree, and a run when gates are missing.
fn plan(dir: &Path) -> Result<(Option<TreeId>, Option<Job>)> {
    let ws = Workspace::open(dir)?;
    let Some(head) = crate::git::head_commit(ws.repo())? else {
        return Ok((None, None));
    };
    let commit: CommitId = head.into();
    let tree: TreeId = crate::git::tree_of(ws.repo(), head)?.into();
    if ws.config()?.daemon.gates == crate::config::DaemonGates::Off {
        return Ok((Some(tree), None));
    }
    let job = missing(&ws, commit)?.and_then(|(phase, tree, gates)| {
        (!gates.is_empty()).then(|| Job {
            tree,
            commit,
            phase,
            gates,
            worktree: Some(dir.to_owned()),
            dir: dir.to_owned(),
        })
    });
    Ok((Some(tree), job))
}

/// Looks at every worktree's HEAD: queues runs for trees that lack results
/// (replacing a queued run of the same worktree), drops queued runs and cancels
/// the running one for trees that are no longer any HEAD.
pub(crate) fn scan(state: &State, repo: &gix::Repository) {
    let mut heads = Vec::new();
    let mut jobs = Vec::new();
    for dir in worktrees(repo) {
        match plan(&dir) {
            Ok((tree, job)) => {
                heads.extend(tree);
                jobs.extend(job);
            }
            Err(err) => {
                tracing::warn!(worktree = %dir.display(), "cannot plan gates: {}", crate::error::chain(&err))
            }
        }
    }
    let mut shared = state.lock();
    let before = shared.queue.len();
    shared.queue.retain(|queued| {
        queued.pinned()
            || (heads.contains(&queued.tree)
                && !jobs
                    .iter()
                    .any(|j| j.worktree == queued.worktree && j.tree != queued.tree))
    });
    let replaced = before - shared.queue.len();
    if replaced > 0 {
        shared.event(format!(
            "dropped {replaced} queued run(s): their trees are no longer checked out"
        ));
    }
    if let Some(running) = &shared.running
        && !running.job.pinned()
        && !heads.contains(&running.job.tree)
        && !running.cancel.swap(true, Ordering::SeqCst)
    {
        let what = format!(
            "cancelling the gates of tree {}: no longer any worktree's HEAD",
            running.job.tree.short()
        );
        shared.event(what);
    }
    for job in jobs {
        if !shared.pending(job.tree) {
            let what = format!(
                "queued {} gate(s) of phase {} on tree {} (commit {})",
                job.gates.len(),
                job.phase,
                job.tree.short(),
                job.commit.short()
            );
            shared.event(what);
            shared.queue.push_back(job);
        }
    }
    let busy = shared.busy();
    if busy {
        shared.last_activity = Instant::now();
    }
    state.cond.notify_all();
    drop(shared);
    if !busy {
        release_memory();
    }
}

/// What the pre-push hook asks: runs the missing gates of `commit` unless they
/// are already pending. Whether any are pending for its tree afterwards.
pub(crate) fn enqueue(state: &State, dir: &Path, commit: CommitId) -> Result<bool> {
    let ws = Workspace::open(dir)?;
    let tree: TreeId = crate::git::tree_of(ws.repo(), commit.object_id())?.into();
    if state.lock().pending(tree) {
        return Ok(true);
    }
    if ws.config()?.daemon.gates == crate::config::DaemonGates::Off {
        return Ok(false);
    }
    let Some((phase, tree, gates)) = missing(&ws, commit)? else {
        return Ok(false);
    };
    if gates.is_empty() {
        return Ok(false);
    }
    let mut shared = state.lock();
    if !shared.pending(tree) {
        let what = format!(
            "a push asked for {} gate(s) on tree {}",
            gates.len(),
            tree.short()
        );
        shared.event(what);
        shared.queue.push_back(Job {
            tree,
            commit,
            phase,
            gates,
            worktree: None,
            dir: dir.to_owned(),
        });
        shared.last_activity = Instant::now();
        state.cond.notify_all();
    }
    Ok(true)
}

/// The worker: runs queued jobs one at a time until the daemon stops.
pub(crate) fn worker(state: Arc<State>, done: std::sync::mpsc::Sender<super::server::Msg>) {
    loop {
        let (job, cancel) = {
            let mut shared = state.lock();
            let job = loop {
                if shared.stopping {
                    return;
                }
                if let Some(job) = shared.queue.pop_front() {
                    break job;
                }
                shared = state.cond.wait(shared).unwrap_or_else(|e| e.into_inner());
            };
            let cancel = Arc::new(AtomicBool::new(false));
            shared.running = Some(Running {
                current: Current {
                    tree: job.tree,
                    commit: job.commit,
                    gate: None,
                    started: Timestamp::now(),
                    gates: job.gates.clone(),
                    done: 0,
                },
                job: job.clone(),
                cancel: cancel.clone(),
            });
            (job, cancel)
        };
        let outcome = run_job(&state, &job, cancel);
        let mut shared = state.lock();
        shared.running = None;
        shared.last_activity = Instant::now();
        shared.event(outcome);
        state.cond.notify_all();
        if shared.queue.is_empty() {
            drop(shared);
            release_memory();
            // The scheduler sleeps while work is pending; wake it to restart
            // the idle timer.
            let _ = done.send(super::server::Msg::Done);
        }
    }
}

/// Hands freed memory back to the system once work is done, so that an idle
/// daemon stays small (glibc keeps freed heap pages otherwise).
pub(crate) fn release_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap memory to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Runs one job; what happened, in a few words.
fn run_job(state: &Arc<State>, job: &Job, cancel: Arc<AtomicBool>) -> String {
    let tree = job.tree.short();
    let run = || -> Result<String> {
        let ws = Workspace::open(&job.dir)?;
        // `gate run` may have recorded some of them since they were queued.
        let Some((phase_id, _, still)) = missing(&ws, job.commit)? else {
            return Ok(format!(
                "no active phase any more; nothing run on tree {tree}"
            ));
        };
        let gates: Vec<&str> = job
            .gates
            .iter()
            .filter(|g| phase_id == job.phase && still.contains(g))
            .map(String::as_str)
            .collect();
        if gates.is_empty() {
            return Ok(format!("the gates of tree {tree} were recorded meanwhile"));
        }
        let config = ws.config()?;
        let Some(phase) = config.phases.iter().find(|p| *p.id.get_ref() == job.phase) else {
            return Ok(format!("phase {} is gone from the config", job.phase));
        };
        let watcher = state.clone();
        let all = job.gates.clone();
        let supervisor = Supervisor {
            cancel,
            started: Box::new(move |gate: &str| {
                let mut shared = watcher.lock();
                if let Some(running) = &mut shared.running {
                    running.current.gate = Some(gate.to_owned());
                    running.current.started = Timestamp::now();
                    running.current.done = all.iter().position(|g| g == gate).unwrap_or(0);
                }
                tracing::info!(gate, "gate started");
            }),
        };
        let report = crate::phase::runner::supervise(supervisor, || {
            crate::phase::gates::run(&ws, phase, job.commit, &gates, &Progress::quiet())
        })?;
        if report.passed {
            // The push of this commit finds its answer ready.
            crate::prepared::prepare(&ws, job.commit);
        }
        Ok(match report.passed {
            true => format!("gates passed on tree {tree}: {}", gates.join(", ")),
            false => {
                let failed = report
                    .results
                    .iter()
                    .filter(|r| !r.passed)
                    .map(|r| r.gate.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("gate {failed} failed on tree {tree}")
            }
        })
    };
    match run() {
        Ok(what) => what,
        Err(crate::error::Error::Daemon(super::DaemonError::Cancelled { gate })) => {
            format!("cancelled gate {gate} on tree {tree}: no longer checked out")
        }
        Err(err) => format!(
            "gates on tree {tree} could not run: {}",
            crate::error::chain(&err)
        ),
    }
}
