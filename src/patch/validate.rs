//! Running a patch's validators (the same runner as phase gates) and scoring
//! them: 1.0 on exit 0, 0.0 otherwise, unless the last output line says
//! `score=<0..1>`. A validator that times out is retried with exponential
//! backoff; one that crashes (killed by a signal, or never started) makes the
//! patch rejected.

use crate::config::{Category, PatchConfig};
use crate::phase::runner::{Exit, Job, Outcome, Progress};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One validator's contribution to a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The validator's name in `[patch.validators]`.
    pub name: String,
    /// What it checks.
    pub category: Category,
    /// Normalised: the weights of all configured validators sum to 1.
    pub weight: f64,
    /// From 0 to 1.
    pub score: f64,
    /// How its last attempt ended.
    pub outcome: Exit,
    /// How many times it ran (timeouts are retried).
    pub attempts: u32,
    /// How long its last attempt took.
    pub duration_ms: u64,
    /// The end of its output (absent from older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tail: Option<String>,
    /// Its full log on the machine that ran it (absent from older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// A failure's signature and what learned rules did (absent on a pass).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned: Option<crate::rules::Learned>,
}

impl Score {
    /// Whether it passed: exited 0 (a timed-out or crashed one did not).
    pub fn passed(&self) -> bool {
        self.outcome == Exit::Exited { code: 0 }
    }
}

impl Score {
    /// Whether it was killed by a signal or never started: the patch is rejected.
    pub fn crashed(&self) -> bool {
        matches!(
            self.outcome,
            Exit::Signalled { .. } | Exit::NotStarted { .. }
        )
    }
}

/// `score=<x>` on the last line, when `x` is a number from 0 to 1.
fn explicit_score(outcome: &Outcome) -> Option<f64> {
    let value: f64 = outcome
        .last_line()?
        .trim()
        .strip_prefix("score=")?
        .trim()
        .parse()
        .ok()?;
    (0.0..=1.0).contains(&value).then_some(value)
}

fn score_of(outcome: &Outcome) -> f64 {
    explicit_score(outcome).unwrap_or(if outcome.passed() { 1.0 } else { 0.0 })
}

/// Runs every configured validator in `worktree`, in name order.
/// `on_start` is called just before the first one starts (for timing).
pub(crate) fn run_all(
    ws: &crate::workspace::Workspace,
    config: &PatchConfig,
    worktree: &Path,
    log_dir: &Path,
    patch_short_id: &str,
    progress: &Progress,
    mut on_start: impl FnMut(),
) -> Vec<Score> {
    let mut scores = Vec::new();
    for (index, (name, validator, weight)) in config.weights().into_iter().enumerate() {
        if index == 0 {
            on_start();
        }
        let mut env = std::collections::BTreeMap::new();
        env.insert("AUDITOPS_VALIDATOR".to_owned(), name.to_owned());
        env.insert("AUDITOPS_PATCH".to_owned(), patch_short_id.to_owned());
        let mut attempts = 0;
        let mut backoff = config.retry_backoff();
        let (outcome, learned, log) = loop {
            attempts += 1;
            let log = log_dir.join(format!("patch-{patch_short_id}-{name}-{attempts}.log"));
            // A failure is looked up among the learned rules, as a gate's is.
            let (outcome, learned) = crate::rules::work::run_check(
                ws,
                validator.category(),
                name,
                &Job {
                    name,
                    command: validator.run.get_ref(),
                    timeout: validator.timeout(),
                    env: &env,
                    cwd: worktree,
                    log_file: log.clone(),
                },
                progress,
            );
            if outcome.exit != Exit::TimedOut || attempts > config.retries {
                break (outcome, learned, log);
            }
            std::thread::sleep(backoff);
            backoff = backoff.saturating_mul(2);
        };
        scores.push(Score {
            name: name.to_owned(),
            category: validator.category(),
            weight: round4(weight),
            score: round4(if outcome.exit == Exit::TimedOut {
                0.0
            } else {
                score_of(&outcome)
            }),
            attempts,
            duration_ms: u64::try_from(outcome.duration.as_millis()).unwrap_or(u64::MAX),
            output_tail: Some(outcome.tail.clone()).filter(|t| !t.is_empty()),
            log: Some(log.display().to_string()),
            learned,
            outcome: outcome.exit,
        });
    }
    scores
}

/// The weighted mean of the scores (0 when nothing validated the patch),
/// rounded like every fraction in a record.
pub(crate) fn confidence(scores: &[Score]) -> f64 {
    let total: f64 = scores.iter().map(|s| s.weight).sum();
    if total <= 0.0 {
        return 0.0;
    }
    round4(scores.iter().map(|s| s.weight * s.score).sum::<f64>() / total)
}

/// Fractions in records have at most 4 decimal places, so that their shortest
/// text (what canonical JSON holds) is the same in every implementation.
pub(crate) fn round4(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(weight: f64, value: f64) -> Score {
        Score {
            name: "v".into(),
            category: Category::Testing,
            weight,
            score: value,
            outcome: Exit::Exited { code: 0 },
            attempts: 1,
            duration_ms: 0,
            output_tail: None,
            log: None,
            learned: None,
        }
    }

    #[test]
    fn confidence_is_the_weighted_mean() {
        assert_eq!(confidence(&[]), 0.0);
        let c = confidence(&[score(0.4, 1.0), score(0.2, 0.0), score(0.4, 0.5)]);
        assert!((c - 0.6).abs() < 1e-9, "{c}");
        assert_eq!(confidence(&[score(0.4, 1.0), score(0.2, 0.0)]), 0.6667);
    }

    #[test]
    fn explicit_scores_are_read_from_the_last_line() {
        let outcome = |tail: &str, code| Outcome {
            exit: Exit::Exited { code },
            duration: std::time::Duration::ZERO,
            tail: tail.into(),
        };
        assert_eq!(score_of(&outcome("ok\nscore=0.75\n", 0)), 0.75);
        assert_eq!(score_of(&outcome("score=0.3\n\n", 1)), 0.3);
        assert_eq!(score_of(&outcome("score=7\n", 0)), 1.0);
        assert_eq!(score_of(&outcome("done\n", 2)), 0.0);
    }
}
