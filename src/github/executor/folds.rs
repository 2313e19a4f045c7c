//! Digest folding: when a repository has more pending issues than
//! `max_issues_per_run`, they are folded into one digest issue, and once the
//! digest is done the folded operations are marked done with it.

use super::Executor;
use crate::error::Result;
use crate::github::digest;
use crate::github::report::OpResult;
use crate::outbox::records::{OutboxOutcome, OutcomeStatus};
use crate::outbox::{Detail, Entry, OpState};

impl Executor<'_> {
    /// Folds `repo`'s pending issues into a digest when there are too many.
    pub(super) fn fold_digest(&mut self, repo: &str) -> Result<()> {
        let max = digest::max_issues(self.config);
        let default_repo = self.default_repo().map(str::to_owned);
        let candidates: Vec<Entry> =
            digest::candidates(&self.outbox, &self.states, repo, default_repo.as_deref())
                .into_iter()
                .cloned()
                .collect();
        if candidates.len() as u64 <= max {
            return Ok(());
        }
        // The digest carries no labels: reading the repository is enough.
        let allowed = self.access.get(repo).is_some_and(|a| a.level.is_some());
        if !allowed {
            return Ok(());
        }
        if self.dry_run {
            self.report.notes.push(format!(
                "{} issues for {repo} exceed max_issues_per_run ({max}): they would be folded into one digest issue",
                candidates.len()
            ));
            for entry in &candidates {
                self.push_report(entry, repo, OpResult::WouldFold);
            }
            return Ok(());
        }
        let refs: Vec<&Entry> = candidates.iter().collect();
        let run_id = self.run_id.clone();
        let workdir = self.ws.repo().workdir().map(std::path::Path::to_owned);
        let key = self.signing_key()?;
        let (digest_id, ops) = digest::fold(workdir.as_deref(), &refs, repo, &run_id, max, key)?;
        self.ws.write(
            &ops,
            &format!(
                "outbox: fold {} create_issue operations into digest {digest_id}",
                candidates.len()
            ),
        )?;
        for entry in &candidates {
            self.push_report(entry, repo, OpResult::Folded).note =
                Some(format!("into digest op {digest_id}"));
            self.count(OpResult::Folded);
        }
        self.reload()
    }

    /// Marks folded operations done once their digest is.
    pub(super) fn complete_folds(&mut self) -> Result<()> {
        if self.dry_run {
            return Ok(());
        }
        let pending: Vec<OutboxOutcome> = self
            .outbox
            .entries
            .iter()
            .filter(|e| !e.outcomes.iter().any(|o| o.status == OutcomeStatus::Done))
            .filter_map(|e| match self.states.get(&e.op.op_id) {
                Some(OpState::Done {
                    number,
                    url,
                    detail: Some(Detail::Digest),
                }) => {
                    let mut o = OutboxOutcome::of(&e.op, OutcomeStatus::Done, &self.run_id);
                    o.number = *number;
                    o.url = url.clone();
                    o.detail = Some(Detail::Digest);
                    o.repo = self.target(e);
                    Some(o)
                }
                _ => None,
            })
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        let n = pending.len();
        let number = pending[0].number.unwrap_or_default();
        self.record(
            pending,
            &format!("outbox: {n} operation(s) done in digest #{number}"),
        )
    }
}
