//! Pushing the state after a CI run: when another runner pushed first, pull
//! (verify, merge by union) and push again, with a growing, jittered pause so
//! that runners that collided do not collide again in step.

use super::CiError;
use crate::error::{Error, Result};
use crate::share::{self, PushOutcome};
use crate::store::StoreError;
use crate::workspace::Workspace;
use std::time::Duration;

/// How many pushes are tried before giving up.
pub(crate) const MAX_ATTEMPTS: u32 = 16;

/// What pushing took.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PushReport {
    /// The remote.
    pub remote: String,
    /// How the last push ended.
    pub outcome: PushOutcome,
    /// How many pushes it took (1 when nobody pushed in between).
    pub attempts: u32,
    /// Records that arrived from other runners while retrying.
    pub merged: usize,
}

/// The pause after failed attempt `attempt`: between half and all of
/// 50 ms·2^n, capped at 1 s, drawn at random so that colliding runners spread
/// out. (Eight runners pushing at once needed up to 6 attempts in the tests.)
fn pause(attempt: u32) -> Duration {
    let ceiling = (50u64 << attempt.min(5)).min(1_000);
    let mut bytes = [0u8; 4];
    let random = match getrandom::getrandom(&mut bytes) {
        Ok(()) => u64::from(u32::from_le_bytes(bytes)),
        Err(_) => u64::from(std::process::id()),
    };
    Duration::from_millis(ceiling / 2 + random % (ceiling / 2 + 1))
}

/// Pulls from `remote` into `ws`: the merge a retry needs.
pub(crate) fn pull(ws: &Workspace, remote: &str) -> Result<usize> {
    match share::pull(ws, Some(remote), None)? {
        Ok(pulled) => Ok(pulled.arrived),
        Err(report) => Err(CiError::PullRefused {
            remote: remote.to_owned(),
            failures: report.failures.len() + report.history.len(),
        }
        .into()),
    }
}

/// Pushes the state to `remote`, pulling and retrying while it diverged.
pub(crate) fn push_until_landed(ws: &Workspace, remote: &str) -> Result<PushReport> {
    let mut merged = 0;
    for attempt in 1..=MAX_ATTEMPTS {
        match share::push(ws, Some(remote)) {
            Ok(pushed) => {
                return Ok(PushReport {
                    remote: remote.to_owned(),
                    outcome: pushed.outcome,
                    attempts: attempt,
                    merged,
                });
            }
            Err(Error::Store(StoreError::PushDiverged { .. })) if attempt < MAX_ATTEMPTS => {
                tracing::debug!(attempt, "state push diverged; pulling and retrying");
                std::thread::sleep(pause(attempt));
                merged += pull(ws, remote)?;
            }
            Err(Error::Store(StoreError::PushDiverged { .. })) => break,
            Err(err) => return Err(err),
        }
    }
    Err(CiError::PushRetriesExhausted {
        remote: remote.to_owned(),
        attempts: MAX_ATTEMPTS,
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_are_bounded_and_jittered() {
        for attempt in 1..20 {
            let p = pause(attempt);
            assert!(p <= Duration::from_millis(1_000), "{p:?}");
            assert!(p >= Duration::from_millis(25), "{p:?}");
        }
        let spread: std::collections::BTreeSet<Duration> = (0..20).map(|_| pause(5)).collect();
        assert!(spread.len() > 1, "jittered");
    }
}
