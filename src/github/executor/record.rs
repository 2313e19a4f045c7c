//! Result recording: outcomes written to the store as signed records (and
//! mirrored in the in-memory outbox), the per-operation report and the
//! counts for the metrics.

use super::Executor;
use crate::error::Result;
use crate::github::perform::Effect;
use crate::github::report::{OpReport, OpResult};
use crate::outbox::records::{OutboxOutcome, OutcomeStatus};
use crate::outbox::{Entry, Payload};
use crate::records::KeyedKind;

impl Executor<'_> {
    /// Records `outcomes` in one transaction and updates the in-memory outbox.
    pub(super) fn record(&mut self, outcomes: Vec<OutboxOutcome>, message: &str) -> Result<()> {
        if outcomes.is_empty() || self.dry_run {
            return Ok(());
        }
        let key = self.signing_key()?;
        let ops: Vec<_> = outcomes.iter().map(|o| o.put(key)).collect();
        self.ws.write(&ops, message)?;
        for outcome in outcomes {
            if let Some(entry) = self
                .outbox
                .entries
                .iter_mut()
                .find(|e| e.op.op_id == outcome.op_id)
            {
                entry.outcomes.push(outcome);
            }
        }
        self.states = self.outbox.states();
        Ok(())
    }

    pub(super) fn push_report(
        &mut self,
        entry: &Entry,
        repo: &str,
        result: OpResult,
    ) -> &mut OpReport {
        self.report.operations.push(OpReport {
            op_id: entry.op.op_id.clone(),
            kind: entry.op.kind,
            repo: repo.to_owned(),
            result,
            number: None,
            url: None,
            attempts: 0,
            error: None,
            note: None,
        });
        let last = self.report.operations.len() - 1;
        &mut self.report.operations[last]
    }

    pub(super) fn count(&mut self, outcome: OpResult) {
        *self.counts.entry(outcome).or_default() += 1;
    }

    pub(super) fn record_effect(
        &mut self,
        entry: &Entry,
        repo: &str,
        effect: Effect,
        attempts: u32,
    ) -> Result<()> {
        let mut outcome = OutboxOutcome::of(&entry.op, OutcomeStatus::Done, &self.run_id);
        outcome.repo = Some(repo.to_owned());
        outcome.number = effect.number;
        outcome.url = effect.url.clone();
        outcome.detail = Some(effect.detail);
        outcome.attempts = attempts;
        let at = effect.number.map(|n| format!(" #{n}")).unwrap_or_default();
        self.record(
            vec![outcome],
            &format!(
                "outbox: {} {} {}{at} in {repo}",
                entry.op.kind, entry.op.op_id, effect.detail
            ),
        )?;
        self.journal.clear(&entry.op.op_id)?;
        if let Some(note) = &effect.note {
            tracing::info!(op = %entry.op.op_id, "{note}");
        }
        let report = self.push_report(entry, repo, effect.detail.into());
        report.number = effect.number;
        report.url = effect.url;
        report.attempts = attempts;
        report.note = effect.note;
        self.count(effect.detail.into());
        if matches!(entry.op.payload(), Ok(Payload::Issue(p)) if p.digest.is_some()) {
            self.complete_folds()?;
        }
        Ok(())
    }

    pub(super) fn record_failure(
        &mut self,
        entry: &Entry,
        repo: &str,
        attempts: u32,
        error: String,
        retryable: bool,
        uncertain: bool,
    ) -> Result<()> {
        let mut outcome = OutboxOutcome::of(&entry.op, OutcomeStatus::Failed, &self.run_id);
        outcome.repo = Some(repo.to_owned());
        // GitHub's messages can quote what was sent.
        outcome.error = Some(crate::evidence::redact(&error).into_owned());
        outcome.attempts = attempts;
        outcome.retryable = retryable;
        outcome.uncertain = uncertain;
        let verdict = if retryable {
            "failed (will retry)"
        } else {
            "failed"
        };
        self.record(
            vec![outcome],
            &format!("outbox: {} {} {verdict}", entry.op.kind, entry.op.op_id),
        )?;
        self.journal.clear(&entry.op.op_id)?;
        let result = match retryable {
            true => OpResult::GaveUp,
            false => OpResult::Failed,
        };
        let report = self.push_report(entry, repo, result);
        report.attempts = attempts;
        report.error = Some(error);
        self.count(result);
        Ok(())
    }
}
