//! Where the pull requests the tool opened ended. Each sync looks once at
//! every pull request of a done `create_pull_request` operation that no
//! outcome says is closed, and records what it finds closed as one more
//! `done` outcome of that operation (`merged` or `closed_unmerged`): the
//! operation's state stays what its first `done` said, and `cleanup plan`
//! reads these to propose deleting the branch of a pull request that ended.
//! A pull request that cannot be read is left for the next sync.

use super::Executor;
use crate::error::Result;
use crate::github::api;
use crate::outbox::records::{OutboxOutcome, OutcomeStatus};
use crate::outbox::{Detail, Entry, OpKind, OpState};
use octocrab::models::IssueState;

impl Executor<'_> {
    /// The done `create_pull_request` operations whose pull request is open
    /// as far as the state knows, with its repository and number.
    pub(super) fn open_pulls(&self) -> Vec<(Entry, String, u64)> {
        self.outbox
            .entries
            .iter()
            .filter(|e| e.counts && e.op.kind == OpKind::CreatePullRequest)
            .filter(|e| {
                !e.outcomes
                    .iter()
                    .any(|o| matches!(o.detail, Some(Detail::Merged | Detail::ClosedUnmerged)))
            })
            .filter_map(|e| match self.states.get(&e.op.op_id) {
                Some(OpState::Done {
                    number: Some(number),
                    ..
                }) => {
                    let repo = e.outcomes.iter().rev().find_map(|o| o.repo.clone());
                    Some((e.clone(), repo.or_else(|| self.target(e))?, *number))
                }
                _ => None,
            })
            .collect()
    }

    /// Records the pull requests of [`Executor::open_pulls`] found closed.
    pub(super) async fn follow_pulls(&mut self) -> Result<()> {
        if self.dry_run {
            return Ok(());
        }
        for (entry, repo, number) in self.open_pulls() {
            if self.report.stopped.is_some() {
                break;
            }
            let Some(client) = self.client.as_mut() else {
                return Ok(());
            };
            let pull = match api::pull(client, &repo, number).await {
                Ok(pull) => pull,
                Err(err) => {
                    self.report.notes.push(format!(
                        "could not read pull request #{number} in {repo}: {err}"
                    ));
                    continue;
                }
            };
            let detail = match (pull.merged_at.is_some(), pull.state) {
                (true, _) => Detail::Merged,
                (false, Some(IssueState::Closed)) => Detail::ClosedUnmerged,
                _ => continue,
            };
            let mut outcome = OutboxOutcome::of(&entry.op, OutcomeStatus::Done, &self.run_id);
            outcome.repo = Some(repo.clone());
            outcome.number = Some(number);
            let url = pull.html_url.as_ref().map(|u| u.to_string());
            outcome.url = url.clone();
            outcome.detail = Some(detail);
            self.record(
                vec![outcome],
                &format!(
                    "outbox: {} {} pull request #{number} {detail} in {repo}",
                    entry.op.kind, entry.op.op_id
                ),
            )?;
            let report = self.push_report(&entry, &repo, detail.into());
            report.number = Some(number);
            report.url = url;
            self.count(detail.into());
        }
        Ok(())
    }
}
