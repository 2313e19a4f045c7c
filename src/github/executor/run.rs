//! The run loop: which operations to take on and in what order (pending work
//! first, then follow-ups, then another pass for those that waited on an
//! operation done later in the run), and what happens to one operation
//! before it reaches the API: the permission check, deduplication and the
//! dry run.

use super::Executor;
use crate::error::Result;
use crate::github::client::Client;
use crate::github::error::GithubError;
use crate::github::perform::{Effect, Job};
use crate::github::report::OpResult;
use crate::github::token;
use crate::outbox::dedupe::{self, Duplicate};
use crate::outbox::{Detail, Entry, OpId, OpState};
use std::collections::BTreeSet;

impl Executor<'_> {
    /// The run. Errors are local problems (store, key, templates, no token or
    /// repository); GitHub's refusals and outages end up in the report.
    pub async fn run(&mut self) -> Result<()> {
        self.reload()?;
        self.complete_folds()?;
        let work: Vec<Entry> = self
            .outbox
            .entries
            .iter()
            .filter(|e| {
                matches!(
                    self.states.get(&e.op.op_id),
                    Some(OpState::Pending { .. } | OpState::Proposed { .. })
                )
            })
            .cloned()
            .collect();
        let watching = !self.dry_run && !self.open_pulls().is_empty();
        if work.is_empty() && !watching {
            self.report.notes.push("nothing to do".into());
            return Ok(());
        }
        if work.iter().any(|e| e.op.repo.is_none()) && self.default_repo.is_err() {
            // Says which remote and URL were tried.
            crate::github::repo::resolve(self.ws.repo(), self.config)?;
        }
        if !self.dry_run {
            // Before anything is sent: a key problem must not strand an effect.
            self.signing_key()?;
        }
        let api_url = self.config.github.api_url().to_owned();
        let Some((token, source)) = token::find(&api_url) else {
            if self.dry_run {
                self.report
                    .notes
                    .push("no GitHub token: permissions not checked".into());
                self.plan_without_network(&work);
                return Ok(());
            }
            return Err(GithubError::NoToken.into());
        };
        self.report.token_source = Some(source.to_string());
        self.client = Some(Client::for_config(
            &self.config.github,
            &token,
            self.dirs.github(),
        )?);
        drop(token);

        let repos: BTreeSet<String> = work.iter().filter_map(|e| self.target(e)).collect();
        for repo in &repos {
            self.check_access(repo).await;
            if self.report.stopped.is_some() {
                return Ok(());
            }
        }
        for repo in &repos {
            self.fold_digest(repo)?;
        }
        let order: Vec<OpId> = {
            let mut ids: Vec<(bool, OpId)> = self
                .outbox
                .entries
                .iter()
                .filter_map(|e| match self.states.get(&e.op.op_id) {
                    Some(OpState::Pending { .. }) => Some((false, e.op.op_id.clone())),
                    Some(OpState::Proposed { .. }) => Some((true, e.op.op_id.clone())),
                    _ => None,
                })
                .collect();
            // Pending work first (oldest first), then proposals to follow up.
            ids.sort_by_key(|(follow_up, _)| *follow_up);
            ids.into_iter().map(|(_, id)| id).collect()
        };
        for op_id in order {
            if self.report.stopped.is_some() {
                break;
            }
            self.handle(&op_id).await?;
        }
        // Operations that waited on one done later in the run go again, as
        // long as each pass gets somewhere.
        loop {
            let deferred = std::mem::take(&mut self.deferred);
            let progress = deferred.iter().any(|id| {
                self.states
                    .get(id)
                    .is_some_and(|_| self.dependency_done(id))
            });
            if deferred.is_empty() || !progress || self.report.stopped.is_some() {
                break;
            }
            for op_id in deferred {
                self.report
                    .operations
                    .retain(|o| !(o.op_id == op_id && o.result == OpResult::Waiting));
                self.handle(&op_id).await?;
            }
        }
        self.follow_pulls().await?;
        self.complete_folds()?;
        Ok(())
    }

    /// Whether the operation `op_id` waits on (its `issue_op`) is done.
    fn dependency_done(&self, op_id: &OpId) -> bool {
        let payload = self.outbox.get(op_id.as_str()).map(|e| e.op.payload());
        let dependency = payload
            .as_ref()
            .and_then(|p| p.as_ref().ok()?.target()?.issue_op.as_ref());
        dependency.is_some_and(|dep| matches!(self.states.get(dep), Some(OpState::Done { .. })))
    }

    /// Dry run without a token: say what would be done.
    fn plan_without_network(&mut self, work: &[Entry]) {
        for entry in work {
            let repo = self.target(entry).unwrap_or_default();
            self.push_report(entry, &repo, OpResult::WouldRun).note = Some(entry.op.describe());
        }
    }

    async fn handle(&mut self, op_id: &OpId) -> Result<()> {
        let Some(entry) = self.outbox.get(op_id.as_str()).cloned() else {
            return Ok(());
        };
        let Some(repo) = self.target(&entry) else {
            return Ok(());
        };
        let job = match self.states.get(op_id) {
            Some(OpState::Pending { .. }) => Job::Perform,
            Some(OpState::Proposed { number, since, .. }) => Job::FollowUp {
                number: *number,
                since: *since,
            },
            _ => return Ok(()),
        };
        if let Some(why) = self.access.get(&repo).and_then(|a| a.refuses(&entry.op)) {
            self.refuse(&entry, &repo, why);
            return Ok(());
        }
        if matches!(job, Job::Perform) {
            let default_repo = self.default_repo().map(str::to_owned);
            match dedupe::find(
                &self.outbox,
                &self.states,
                entry.op.kind,
                &repo,
                &entry.op.dedupe_key,
                default_repo.as_deref(),
                Some(&entry),
            ) {
                Some(Duplicate::Done { op_id, number, url }) => {
                    if self.dry_run {
                        self.push_report(&entry, &repo, OpResult::WouldDeduplicate);
                        return Ok(());
                    }
                    let effect = Effect {
                        number,
                        url,
                        detail: Detail::Deduplicated,
                        note: Some(format!("same key as op {op_id}")),
                    };
                    return self.record_effect(&entry, &repo, effect, 0);
                }
                Some(Duplicate::Pending { op_id }) => {
                    self.push_report(&entry, &repo, OpResult::Waiting).note =
                        Some(format!("waits for op {op_id}, which has the same key"));
                    return Ok(());
                }
                None => {}
            }
        }
        if self.dry_run {
            let folded = self
                .report
                .operations
                .iter()
                .any(|o| o.op_id == entry.op.op_id && o.result == OpResult::WouldFold);
            if folded {
                return Ok(());
            }
            let result = match job {
                Job::Perform => OpResult::WouldRun,
                Job::FollowUp { .. } => OpResult::WouldCheck,
            };
            self.push_report(&entry, &repo, result).note = Some(entry.op.describe());
            return Ok(());
        }
        self.attempt(&entry, &repo, job).await
    }
}
