//! Scheduled work, each on its own timer (the scheduler sleeps until the
//! earliest): sweeping worktrees of dead processes and trimming the pool,
//! proposing a cleanup plan (old logs, idle pooled worktrees, finished patch
//! branches: deleting those needs a signed approval, so the daemon only says a
//! plan is waiting and never runs one), carrying out waiting outbox operations (which is
//! when auto-close follow-ups end their review period), the queue-health alert
//! that time alone can raise, and the retries of a sync after a push.

use super::work::State;
use crate::github::GithubError;
use crate::records::KeyedKind;
use crate::workspace::Workspace;
use std::time::{Duration, Instant, SystemTime};

/// Sweeping worktrees left by dead processes, trimming the pool.
const SWEEP_EVERY: Duration = Duration::from_secs(10 * 60);
/// Looking for waiting outbox operations (auto-close follow-ups).
const OUTBOX_EVERY: Duration = Duration::from_secs(60 * 60);
/// Checking the review queue's health.
const QUEUE_EVERY: Duration = Duration::from_secs(15 * 60);
/// Looking for what `cleanup plan` would propose.
const PLAN_EVERY: Duration = Duration::from_secs(6 * 60 * 60);

/// The next time each piece of scheduled work is due.
pub(crate) struct Timers {
    sweep: Instant,
    outbox: Instant,
    queue: Instant,
    plan: Instant,
}

impl Timers {
    /// Due first after their period (start-up already swept), except the
    /// cleanup plan: at start-up, so that a daemon that exits when idle still
    /// says when one is waiting, and an idle one does no work.
    pub(crate) fn new(now: Instant) -> Self {
        Timers {
            sweep: now + SWEEP_EVERY,
            outbox: now + OUTBOX_EVERY,
            queue: now + QUEUE_EVERY,
            plan: now,
        }
    }

    /// When the earliest is due.
    pub(crate) fn next(&self) -> Instant {
        self.sweep.min(self.outbox).min(self.queue).min(self.plan)
    }

    /// Runs what is due and sets its next time.
    pub(crate) fn run_due(&mut self, state: &State, ws: &Workspace, now: Instant) {
        if now >= self.sweep {
            self.sweep = now + SWEEP_EVERY;
            let swept = crate::worktree::sweep_pool(ws.repo());
            if swept > 0 {
                state
                    .lock()
                    .event(format!("swept {swept} worktree(s) of dead processes"));
            }
        }
        if now >= self.plan {
            self.plan = now + PLAN_EVERY;
            // A fresh workspace: the plan reads the state and config as they are now.
            let dir = ws.repo().workdir().unwrap_or(ws.repo().git_dir());
            match Workspace::open(dir).and_then(|ws| crate::cleanup::plan(&ws)) {
                Ok(plan) if !plan.actions.is_empty() => state.lock().event(format!(
                    "cleanup plan {} proposes {} deletion(s): `git auditops cleanup plan` shows \
                     them, `git auditops approve report:{}` approves them",
                    plan.report_id.short(),
                    plan.actions.len(),
                    plan.report_id
                )),
                Ok(_) => {}
                Err(err) => tracing::warn!("cleanup plan: {}", crate::error::chain(&err)),
            }
        }
        if now >= self.queue {
            self.queue = now + QUEUE_EVERY;
            let dir = ws.repo().workdir().unwrap_or(ws.repo().git_dir());
            let fresh = Workspace::open(dir);
            if let Err(err) = fresh.and_then(|ws| queue_health(state, &ws)) {
                tracing::warn!("queue health: {}", crate::error::chain(&err));
            }
        }
        if now >= self.outbox {
            self.outbox = now + OUTBOX_EVERY;
            SyncRetry::default().now(state, ws);
        }
    }
}

/// Records the queue-health alert when time alone moved the health.
fn queue_health(state: &State, ws: &Workspace) -> crate::error::Result<()> {
    if ws.view()?.is_none() {
        return Ok(());
    }
    let Some(alert) = crate::patch::queue::alert_if_moved(ws)? else {
        return Ok(());
    };
    let key = crate::sign::key::for_recording(ws)?;
    ws.write(
        &[alert.put(key.as_ref())],
        &format!("alert: {}", alert.message),
    )?;
    state.lock().event(alert.message.clone());
    Ok(())
}

/// Backoff before retry `n` (from 1): 30 s × 2^(n-1), at most 30 min, ±10%.
pub(crate) fn backoff(n: u32, jitter: f64) -> Duration {
    let base = 30.0 * 2f64.powi(n.saturating_sub(1).min(16) as i32);
    let capped = base.min(30.0 * 60.0);
    Duration::from_secs_f64(capped * (1.0 + 0.1 * jitter.clamp(-1.0, 1.0)))
}

/// A jitter in [-1, 1] from the clock's nanoseconds: spreading retries needs
/// no cryptographic randomness.
fn jitter() -> f64 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    f64::from(nanos % 2001) / 1000.0 - 1.0
}

/// The sync after a push, and its retries while GitHub is unavailable. The
/// operations stay queued in the state whatever happens; at idle exit the
/// daemon gives up and a later push (or `sync`) carries them out.
#[derive(Debug, Default)]
pub(crate) struct SyncRetry {
    attempt: u32,
    due: Option<Instant>,
}

impl SyncRetry {
    /// When the next retry is due.
    pub(crate) fn due(&self) -> Option<Instant> {
        self.due
    }

    /// A push: sync now, whatever the backoff said.
    pub(crate) fn now(&mut self, state: &State, ws: &Workspace) {
        self.attempt = 0;
        self.run(state, ws);
    }

    /// Retries when the backoff has run out.
    pub(crate) fn retry_if_due(&mut self, state: &State, ws: &Workspace, now: Instant) {
        if self.due.is_some_and(|due| now >= due) {
            self.run(state, ws);
        }
    }

    fn run(&mut self, state: &State, daemon_ws: &Workspace) {
        self.due = None;
        // Opened afresh: the config (token source, api_url, breaker) may have
        // changed since the daemon started.
        let dir = daemon_ws
            .repo()
            .workdir()
            .unwrap_or(daemon_ws.repo().git_dir());
        let ws = match Workspace::open(dir) {
            Ok(ws) => ws,
            Err(err) => {
                state
                    .lock()
                    .event(format!("sync: {}", crate::error::chain(&err)));
                return;
            }
        };
        let ws = &ws;
        let enabled = ws
            .config()
            .is_ok_and(|c| c.daemon.sync == crate::config::DaemonSync::AfterPush);
        let pending = crate::outbox::Outbox::read(ws)
            .is_ok_and(|outbox| outbox.states().values().any(|s| s.is_open()));
        if !enabled || !pending {
            return;
        }
        let known = ws
            .config()
            .is_ok_and(|config| crate::github::repo::is_known(ws.repo(), config));
        if !known {
            return;
        }
        let outcome = crate::github::sync::run(ws, crate::github::sync::Options::default());
        let error = match outcome {
            Ok(report) => report.error().map(crate::error::Error::from),
            Err(err) => Some(err),
        };
        let what = match error {
            None => {
                self.attempt = 0;
                "sync: the outbox is carried out".to_owned()
            }
            Some(crate::error::Error::GitHub(
                err @ (GithubError::Unavailable { .. } | GithubError::Busy(_)),
            )) => {
                self.attempt += 1;
                let wait = backoff(self.attempt, jitter());
                self.due = Some(Instant::now() + wait);
                format!(
                    "sync: {err}; retry {} in {}",
                    self.attempt,
                    crate::duration::format(wait)
                )
            }
            Some(err) => format!("sync: {}", crate::error::chain(&err)),
        };
        state.lock().event(what);
        super::work::release_memory();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_30s_to_at_most_30m_with_10_percent_jitter() {
        assert_eq!(backoff(1, 0.0), Duration::from_secs(30));
        assert_eq!(backoff(2, 0.0), Duration::from_secs(60));
        assert_eq!(backoff(3, 0.0), Duration::from_secs(120));
        assert_eq!(backoff(7, 0.0), Duration::from_secs(1800));
        assert_eq!(backoff(40, 0.0), Duration::from_secs(1800));
        assert_eq!(backoff(1, 1.0), Duration::from_secs(33));
        assert_eq!(backoff(1, -1.0), Duration::from_secs(27));
        for _ in 0..100 {
            let j = jitter();
            assert!((-1.0..=1.0).contains(&j));
        }
    }
}
