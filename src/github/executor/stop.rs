//! Error classification: how long to wait before retrying an API error, and
//! which errors (or a quota below the floor) end the whole run with a
//! [`Stop`] in the report. Shared by the permission check and by the
//! operations, so that both stop and retry alike.

use super::Executor;
use crate::github::client::CallError;
use crate::github::report::{Stop, StopReason};
use crate::time::Timestamp;
use std::time::Duration;

impl Executor<'_> {
    /// How long to wait before retrying after `err` (retry number `tries`),
    /// or `None` when retrying within this run makes no sense.
    pub(super) fn pause_before_retry(&self, err: &CallError, tries: u32) -> Option<Duration> {
        let breaker_open = self.client.as_ref().is_some_and(|c| c.breaker.is_open());
        match err {
            CallError::Transient { .. } | CallError::Malformed(_) if !breaker_open => {
                Some(self.backoff.delay(tries))
            }
            CallError::RateLimited {
                retry_after, reset, ..
            } => {
                let wait = retry_after.or_else(|| {
                    reset.map(|r| {
                        Duration::from_secs(
                            u64::try_from(r - jiff::Timestamp::now().as_second()).unwrap_or(0),
                        )
                    })
                })?;
                (wait <= self.config.github.max_retry_after()).then_some(wait)
            }
            _ => None,
        }
    }

    /// Ends the run because of `err`, if it is the kind that ends runs.
    pub(super) fn stop_for(&mut self, err: &CallError) {
        let api_url = self.config.github.api_url();
        let stop = match err {
            CallError::Unreachable(message) => Stop {
                reason: StopReason::Unreachable,
                message: format!("cannot reach {api_url}: {message}"),
                until: None,
            },
            CallError::Transient { message, .. } | CallError::Malformed(message) => {
                let open = self.client.as_ref().is_some_and(|c| c.breaker.is_open());
                Stop {
                    reason: match open {
                        true => StopReason::CircuitOpen,
                        false => StopReason::Unavailable,
                    },
                    message: format!("{api_url} keeps failing: {message}"),
                    until: None,
                }
            }
            CallError::RateLimited {
                message,
                retry_after,
                reset,
            } => Stop {
                reason: StopReason::RateLimited,
                message: format!("GitHub rate-limits this token: {message}"),
                until: retry_after
                    .and_then(|d| {
                        jiff::Timestamp::now()
                            .checked_add(jiff::SignedDuration::try_from(d).ok()?)
                            .ok()
                    })
                    .map(|t| Timestamp::from(t.round(jiff::Unit::Second).unwrap_or(t)))
                    .or_else(|| {
                        crate::github::quota::Quota {
                            reset: *reset,
                            ..Default::default()
                        }
                        .reset_time()
                    }),
            },
            CallError::CircuitOpen { until } => Stop {
                reason: StopReason::CircuitOpen,
                message: format!(
                    "the circuit breaker is open after repeated failures of {api_url}"
                ),
                until: Some(*until),
            },
            _ => return,
        };
        if self.report.stopped.is_none() {
            self.report.stopped = Some(stop);
        }
    }

    pub(super) fn quota_stop(&mut self) -> bool {
        let floor = self.config.github.quota_floor;
        let Some(client) = self.client.as_ref() else {
            return false;
        };
        if !client.quota.below(floor) {
            return false;
        }
        let quota = client.quota;
        let until = quota.reset_time();
        tracing::warn!(remaining = ?quota.remaining, floor, "GitHub API quota below the floor");
        self.report.stopped = Some(Stop {
            reason: StopReason::QuotaFloor,
            message: format!(
                "only {} GitHub API requests are left, below [github] quota_floor = {floor}{}",
                quota.remaining.unwrap_or_default(),
                until
                    .as_ref()
                    .map(|u| format!("; the quota resets at {u}"))
                    .unwrap_or_default()
            ),
            until,
        });
        true
    }
}
