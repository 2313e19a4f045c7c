//! Permissions: what the token may do on each repository, read once per run
//! before any write, and the refusal of an operation it may not carry out.

use super::Executor;
use crate::github::api;
use crate::github::permissions::{self, Access, Refusal};
use crate::github::report::OpResult;
use crate::outbox::Entry;

impl Executor<'_> {
    /// Reads the repository's `permissions`: what may run there.
    pub(super) async fn check_access(&mut self, repo: &str) {
        let max = *self.config.github.max_attempts.get_ref();
        let mut tries = 0;
        let result = loop {
            tries += 1;
            let Some(client) = self.client.as_mut() else {
                return;
            };
            match api::repository(client, repo).await {
                Err(err) if tries < max => match self.pause_before_retry(&err, tries) {
                    Some(wait) => tokio::time::sleep(wait).await,
                    None => break Err(err),
                },
                other => break other,
            }
        };
        let access = match Access::from_answer(repo, result) {
            Ok(access) => access,
            Err(err) => {
                self.stop_for(&err);
                return;
            }
        };
        self.access.insert(repo.to_owned(), access);
    }

    pub(super) fn refuse(&mut self, entry: &Entry, repo: &str, reason: String) {
        self.report.refused.push(Refusal {
            op_id: entry.op.op_id.clone(),
            kind: entry.op.kind,
            repo: repo.to_owned(),
            needs: permissions::needed(&entry.op),
            reason: reason.clone(),
        });
        self.push_report(entry, repo, OpResult::Refused).error = Some(reason);
        self.count(OpResult::Refused);
    }
}
