//! The transactions of the state ref, newest first (`git auditops log`).

use super::Store;
use super::error::{Result, StoreError};
use gix::ObjectId;

/// One commit of the state ref.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Transaction {
    pub commit: String,
    pub parents: Vec<String>,
    pub author: String,
    pub email: String,
    /// RFC 3339, UTC.
    pub time: String,
    pub message: String,
}

impl Store<'_> {
    /// Up to `limit` transactions, newest first.
    pub fn history(&self, limit: usize) -> Result<Vec<Transaction>> {
        let Some(tip) = self.tip()? else {
            return Ok(Vec::new());
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
        Ok(out)
    }

    fn transaction(&self, id: ObjectId) -> Result<Transaction> {
        let commit = self.repo.find_commit(id).map_err(StoreError::git)?;
        let author = commit.author().map_err(StoreError::git)?;
        let seconds = author.time().map(|t| t.seconds).unwrap_or_default();
        let time = jiff::Timestamp::from_second(seconds)
            .map(|t| t.to_string())
            .unwrap_or_default();
        Ok(Transaction {
            commit: id.to_string(),
            parents: commit.parent_ids().map(|p| p.to_string()).collect(),
            author: author.name.to_string(),
            email: author.email.to_string(),
            time,
            message: commit
                .message_raw_sloppy()
                .to_string()
                .trim_end()
                .to_owned(),
        })
    }
}
