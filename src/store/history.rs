//! The transactions of the state ref, newest first (`git auditops log`).

use super::Store;
use super::error::{Result, StoreError};
use crate::ids::CommitId;
use crate::time::Timestamp;
use gix::ObjectId;

/// The newest transactions of the state ref; in JSON, the array of them.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(transparent)]
pub struct History {
    /// Newest first.
    pub transactions: Vec<Transaction>,
    /// The state ref they are of.
    #[serde(skip)]
    pub ref_name: String,
}

/// One commit of the state ref.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Transaction {
    /// The commit of the transaction.
    pub commit: CommitId,
    /// Two parents for a merge of another clone's state.
    pub parents: Vec<CommitId>,
    /// Who wrote it (git's author name).
    pub author: String,
    /// The author's email.
    pub email: String,
    /// When it was written.
    pub time: Option<Timestamp>,
    /// What changed (`evidence: add 3 records (phase 1)`).
    pub message: String,
}

impl Store<'_> {
    /// Up to `limit` transactions, newest first.
    pub fn history(&self, limit: usize) -> Result<History> {
        let history = |transactions| History {
            transactions,
            ref_name: self.ref_name().to_owned(),
        };
        let Some(tip) = self.tip()? else {
            return Ok(history(Vec::new()));
        };
        let walk = self
            .repo
            .rev_walk([tip])
            .sorting(gix::revision::walk::Sorting::ByCommitTime(
                Default::default(),
            ))
            .all()
            .map_err(StoreError::git)?;
        let mut out = Vec::new();
        for info in walk.take(limit) {
            let info = info.map_err(StoreError::git)?;
            out.push(self.transaction(info.id)?);
        }
        Ok(history(out))
    }

    fn transaction(&self, id: ObjectId) -> Result<Transaction> {
        let commit = self.repo.find_commit(id).map_err(StoreError::git)?;
        let author = commit.author().map_err(StoreError::git)?;
        let seconds = author.time().map(|t| t.seconds).unwrap_or_default();
        Ok(Transaction {
            commit: id.into(),
            parents: commit.parent_ids().map(|p| p.detach().into()).collect(),
            author: author.name.to_string(),
            email: author.email.to_string(),
            time: Timestamp::from_second(seconds),
            message: commit
                .message_raw_sloppy()
                .to_string()
                .trim_end()
                .to_owned(),
        })
    }
}
