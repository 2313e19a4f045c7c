//! Scheduled work, each on its own timer (the scheduler sleeps until the
//! earliest): sweeping worktrees of dead processes and trimming the pool,
//! trimming old gate logs, carrying out waiting outbox operations (which is
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
/// Trimming old gate logs.
const TRIM_EVERY: Duration = Duration::from_secs(6 * 60 * 60);
/// Gate logs older than this are removed (their results stay in the state).
const LOG_MAX_AGE: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// The next time each piece of scheduled work is due.
pub(crate) struct Timers {
    sweep: Instant,
    outbox: Instant,
    queue: Instant,
    trim: Instant,
}

impl Timers {
    /// Due first after their period; start-up already swept.
    pub(crate) fn new(now: Instant) -> Self {
        Timers {
            sweep: now + SWEEP_EVERY,
            outbox: now + OUTBOX_EVERY,
            queue: now + QUEUE_EVERY,
            trim: now + Duration::from_secs(60),
        }
    }

    /// When the earliest is due.
    pub(crate) fn next(&self) -> Instant {
        self.sweep.min(self.outbox).min(self.queue).min(self.trim)
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
        if now >= self.trim {
            self.trim = now + TRIM_EVERY;
            let logs = crate::phase::gates::log_dir(ws.repo());
            let trimmed = trim_logs(&logs, LOG_MAX_AGE);
            if trimmed > 0 {
                state
                    .lock()
                    .event(format!("removed {trimmed} gate log(s) older than 30 days"));
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

/// Removes gate logs (`<tree>-<gate>-<stamp>.log`) older than `max_age`; the
/// daemon's and sync's own logs are capped by rotation instead.
pub(crate) fn trim_logs(dir: &std::path::Path, max_age: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".log") || name.starts_with("daemon.") || name.starts_with("sync.") {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age > max_age);
        if old && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
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

    #[test]
    fn old_gate_logs_go_and_the_daemons_own_stay() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "aaaa-lint-20200101T000000Z.log",
            "daemon.log",
            "sync.log",
            "keep.txt",
        ] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        assert_eq!(trim_logs(dir.path(), Duration::from_secs(3600)), 0);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(trim_logs(dir.path(), Duration::from_millis(1)), 1);
        assert!(dir.path().join("daemon.log").exists());
        assert!(dir.path().join("keep.txt").exists());
    }
}
