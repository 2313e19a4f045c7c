//! One operation carried out against GitHub: the perform step with its
//! journal mark (so a lost result is reconciled, not repeated), retries
//! within the run, and the decision between done, failed, refused, waiting
//! and stopped. The largest single piece of the executor, and the one whose
//! bookkeeping (`attempts`, `uncertain`) must stay together.

use super::Executor;
use crate::error::Result;
use crate::github::client::CallError;
use crate::github::error::GithubError;
use crate::github::perform::{self, Env, Failure, Job};
use crate::github::report::OpResult;
use crate::outbox::{Entry, OpState};

impl Executor<'_> {
    /// Carries out one operation, retrying within the run as the failure allows.
    pub(super) async fn attempt(&mut self, entry: &Entry, repo: &str, job: Job) -> Result<()> {
        let op_id = entry.op.op_id.clone();
        let (mut attempts, mut uncertain) = match self.states.get(&op_id) {
            Some(OpState::Pending {
                attempts,
                uncertain,
                ..
            }) => (*attempts, *uncertain),
            _ => (0, false),
        };
        let journaled = self.journal.is_marked(&op_id);
        uncertain |= journaled;
        let max = *self.config.github.max_attempts.get_ref();
        let mut tries = 0;
        let mut marked = journaled;
        loop {
            if self.quota_stop() {
                self.push_report(entry, repo, OpResult::Stopped);
                return Ok(());
            }
            tries += 1;
            attempts += 1;
            if !marked {
                self.journal.mark(&op_id)?;
                marked = true;
            }
            let result = {
                let env = Env {
                    repo: self.ws.repo(),
                    config: self.config,
                    states: &self.states,
                };
                let Some(client) = self.client.as_mut() else {
                    return Ok(());
                };
                perform::run(client, &env, &entry.op, repo, uncertain, &job).await
            };
            let err = match result {
                Ok(effect) => return self.record_effect(entry, repo, effect, attempts),
                Err(failure @ (Failure::Waiting(_) | Failure::Deferred(_))) => {
                    if !uncertain {
                        self.journal.clear(&op_id)?;
                    }
                    let why = match failure {
                        Failure::Deferred(why) => {
                            self.deferred.push(op_id.clone());
                            why
                        }
                        Failure::Waiting(why) => why,
                        _ => String::new(),
                    };
                    self.push_report(entry, repo, OpResult::Waiting).note = Some(why);
                    return Ok(());
                }
                Err(Failure::Invalid(why)) => {
                    return self.record_failure(entry, repo, attempts, why, false, uncertain);
                }
                Err(Failure::Fatal(err)) => return Err(err),
                Err(Failure::Call(err)) => err,
            };
            match &err {
                CallError::Transient { maybe_applied, .. } => uncertain |= *maybe_applied,
                CallError::Malformed(_) => uncertain = true,
                // Not sent, or refused before it was carried out.
                CallError::RateLimited { .. }
                | CallError::Unreachable(_)
                | CallError::CircuitOpen { .. }
                | CallError::Forbidden { .. } => attempts -= 1,
                _ => {}
            }
            match &err {
                CallError::Forbidden { status, message } => {
                    if !uncertain {
                        self.journal.clear(&op_id)?;
                    }
                    self.refuse(
                        entry,
                        repo,
                        format!("GitHub refused it ({status}: {message})"),
                    );
                    return Ok(());
                }
                CallError::NotFound { message } => {
                    return self.record_failure(
                        entry,
                        repo,
                        attempts,
                        format!("404: {message} (the issue or repository is gone)"),
                        false,
                        uncertain,
                    );
                }
                CallError::Rejected { status, message } => {
                    return self.record_failure(
                        entry,
                        repo,
                        attempts,
                        format!("{status}: {message}"),
                        false,
                        uncertain,
                    );
                }
                CallError::Local(err) => return Err(GithubError::Local(err.clone()).into()),
                _ => {}
            }
            if tries < max
                && let Some(wait) = self.pause_before_retry(&err, tries)
            {
                tracing::info!(op = %op_id, error = %err, ?wait, "retrying");
                tokio::time::sleep(wait).await;
                continue;
            }
            // Out of patience for this run.
            let ends_run = !matches!(err, CallError::Transient { .. } | CallError::Malformed(_))
                || self.client.as_ref().is_some_and(|c| c.breaker.is_open());
            if attempts > 0
                && (uncertain
                    || matches!(err, CallError::Transient { .. } | CallError::Malformed(_)))
            {
                self.record_failure(entry, repo, attempts, err.to_string(), true, uncertain)?;
            } else {
                if !uncertain {
                    self.journal.clear(&op_id)?;
                }
                self.push_report(entry, repo, OpResult::Stopped).error = Some(err.to_string());
            }
            if ends_run {
                self.stop_for(&err);
            }
            return Ok(());
        }
    }
}
