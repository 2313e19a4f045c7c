//! The circuit breaker: after `threshold` consecutive failures (server errors,
//! timeouts, unreachable) GitHub is left alone for a cool-down, then tried with
//! one probe. Its state persists in `.git/auditops/github/breaker.json`, so a
//! run started by every push does not hammer a server that is down.

use super::error::GithubError;
use super::files;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct State {
    consecutive_failures: u32,
    /// While set and in the future, the circuit is open (Unix milliseconds).
    open_until_ms: Option<i64>,
    last_error: Option<String>,
}

#[derive(Debug)]
pub struct Breaker {
    path: PathBuf,
    threshold: u32,
    cooldown: Duration,
    state: State,
    /// The circuit was open and its cool-down is over: the next request is the probe.
    probing: bool,
}

/// The circuit is open until `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Open {
    /// When the next probe may go out (whole seconds).
    pub until: Timestamp,
    /// The failure that opened it.
    pub last_error: Option<String>,
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// `ms` as a timestamp in whole seconds (now, if out of range: the state
/// file is ours, but may have been edited).
fn timestamp_ms(ms: i64) -> Timestamp {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| Timestamp::from(t.round(jiff::Unit::Second).unwrap_or(t)))
        .unwrap_or_else(|_| Timestamp::now())
}

impl Breaker {
    pub fn load(dir: PathBuf, threshold: u32, cooldown: Duration) -> Self {
        let path = dir.join("breaker.json");
        let state = files::read_json(&path).unwrap_or_default();
        Breaker {
            path,
            threshold,
            cooldown,
            state,
            probing: false,
        }
    }

    /// Whether a request may go out now. After the cool-down the circuit is
    /// half-open: one request (the probe) goes out and decides.
    pub fn allow(&mut self) -> Result<(), Open> {
        match self.state.open_until_ms {
            Some(until) if now_ms() < until => Err(Open {
                until: timestamp_ms(until),
                last_error: self.state.last_error.clone(),
            }),
            Some(_) => {
                self.probing = true;
                Ok(())
            }
            None => Ok(()),
        }
    }

    pub fn is_open(&self) -> bool {
        self.state
            .open_until_ms
            .is_some_and(|until| now_ms() < until)
    }

    /// A request got an answer that is not a failure of the service.
    pub fn success(&mut self) -> Result<(), GithubError> {
        self.probing = false;
        if self.state == State::default() {
            return Ok(());
        }
        self.state = State::default();
        files::write_json(&self.path, &self.state)
    }

    /// A request failed (server error, timeout, unreachable). Returns whether
    /// the circuit is now open.
    pub fn failure(&mut self, error: &str) -> Result<bool, GithubError> {
        self.state.consecutive_failures = self.state.consecutive_failures.saturating_add(1);
        self.state.last_error = Some(error.to_owned());
        let open = self.probing || self.state.consecutive_failures >= self.threshold;
        if open {
            let cooldown = i64::try_from(self.cooldown.as_millis()).unwrap_or(i64::MAX / 2);
            self.state.open_until_ms = Some(now_ms().saturating_add(cooldown));
            self.probing = false;
        }
        files::write_json(&self.path, &self.state)?;
        Ok(open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_threshold_persists_and_probes() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = Breaker::load(dir.path().into(), 3, Duration::from_millis(200));
        assert!(b.allow().is_ok());
        assert!(!b.failure("502").unwrap());
        assert!(!b.failure("502").unwrap());
        assert!(b.failure("502").unwrap());
        assert!(b.allow().is_err());

        // A new process sees the open circuit.
        let mut again = Breaker::load(dir.path().into(), 3, Duration::from_millis(200));
        assert!(again.is_open());
        let open = again.allow().unwrap_err();
        assert_eq!(open.last_error.as_deref(), Some("502"));

        std::thread::sleep(Duration::from_millis(250));
        // Half-open: one probe; its failure opens the circuit again at once.
        assert!(again.allow().is_ok());
        assert!(again.failure("timeout").unwrap());
        assert!(again.allow().is_err());
        std::thread::sleep(Duration::from_millis(250));
        assert!(again.allow().is_ok());
        again.success().unwrap();
        assert_eq!(again.state.consecutive_failures, 0);
        let fresh = Breaker::load(dir.path().into(), 3, Duration::from_millis(200));
        assert!(!fresh.is_open());
    }
}
