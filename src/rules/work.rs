//! Rules at work: what happens when a gate or a patch validator fails and its
//! signature has an accepted rule. The guidance is printed and recorded with
//! the result or score; a `retry` rule runs the check once more after a
//! backoff (only for the
//! categories a retry may hide nothing in, or a rule marked flaky), and a
//! pass on that retry is recorded as flaky, never as a plain pass.

use super::record::{RuleAction, retry_allowed};
use super::{Learned, signature};
use crate::config::Category;
use crate::phase::records::GateResult;
use crate::phase::runner::{self, Job, Outcome, Progress};
use crate::workspace::Workspace;
use std::time::Duration;

/// How long a retry waits; `AUDITOPS_RETRY_BACKOFF` (a duration) overrides
/// it, so that tests do not wait.
fn backoff() -> Duration {
    std::env::var("AUDITOPS_RETRY_BACKOFF")
        .ok()
        .and_then(|text| crate::duration::parse(&text).ok())
        .unwrap_or(Duration::from_secs(5))
}

/// Runs a gate's or a validator's `job`; on a failure, looks its signature up
/// among the accepted rules and does what the rule says.
pub(crate) fn run_check(
    ws: &Workspace,
    category: Category,
    gate: &str,
    job: &Job<'_>,
    progress: &Progress,
) -> (Outcome, Option<Learned>) {
    let first = runner::run(job, progress);
    if first.passed() {
        return (first, None);
    }
    let mut learned = Learned::failure(signature(
        category,
        gate,
        &crate::evidence::redact(&first.tail),
    ));
    // Reading the rules must not turn a gate failure into another error.
    let rule = match super::decide::accepted(ws) {
        Ok(mut rules) => rules.remove(&learned.signature.sha256),
        Err(err) => {
            tracing::warn!("rules not read: {err}");
            None
        }
    };
    let Some(rule) = rule else {
        return (first, Some(learned));
    };
    learned.rule = Some(rule.id.clone());
    learned.guidance = rule.guidance.clone();
    progress.announce(format_args!(
        "  {gate}: known failure ({}): {}",
        rule.id,
        rule.guidance.as_deref().unwrap_or("no guidance recorded")
    ));
    if rule.action != RuleAction::Retry || !retry_allowed(rule.category, rule.flaky) {
        return (first, Some(learned));
    }
    let wait = backoff();
    learned.retried = Some(format!(
        "{} (action retry{}) after {}",
        rule.id,
        if rule.flaky { ", flaky" } else { "" },
        crate::duration::format(wait)
    ));
    progress.announce(format_args!(
        "  {gate}: retrying once in {}",
        crate::duration::format(wait)
    ));
    std::thread::sleep(wait);
    let retry_log = job.log_file.with_extension("retry.log");
    let second = runner::run(
        &Job {
            log_file: retry_log,
            ..*job
        },
        progress,
    );
    learned.flaky = second.passed();
    (second, Some(learned))
}

/// What a result records: what the run learned, or, for a failure the gate's
/// scan added after the command passed, the signature of its tail.
pub(crate) fn settle(learned: Option<Learned>, result: &GateResult) -> Option<Learned> {
    match learned {
        Some(learned) => Some(learned),
        None if !result.passed => Some(Learned::failure(signature(
            result.category,
            &result.gate,
            &result.output_tail,
        ))),
        None => None,
    }
}

/// The lines printed under a failure's output: its signature, and the rule
/// that knows it with its guidance.
pub fn describe(learned: &Learned) -> String {
    let mut text = format!(
        "--- failure signature {} ---",
        learned.signature.sha256.short()
    );
    if let Some(rule) = &learned.rule {
        text.push_str(&format!(
            "\n--- known failure, rule {rule}: {} ---",
            learned
                .guidance
                .as_deref()
                .unwrap_or("no guidance recorded")
        ));
    }
    if let Some(why) = &learned.retried {
        text.push_str(&format!("\n--- retried once: {why} ---"));
    }
    text
}
