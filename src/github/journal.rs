//! The in-flight journal and the sync lock.
//!
//! Before a write that creates something is sent, its op id is written (and
//! flushed) to `.git/auditops/github/inflight/<op id>`; the mark is removed
//! once the outcome is in the state ref. A mark found at the start of a run
//! means a run died between sending and recording (kill -9, power loss): that
//! operation's effect may exist, so it is looked for by its marker before it
//! is tried again.
//!
//! Only one sync runs per repository at a time: it holds the `outbox` lock
//! (see `crate::lock`), as two executors would race each other.

use super::error::GithubError;
use crate::outbox::OpId;
use std::fs::File;
use std::path::PathBuf;

/// The in-flight marks of one repository.
#[derive(Debug, Clone)]
pub struct Journal {
    dir: PathBuf,
}

impl Journal {
    /// The journal under `github_dir` (`.git/auditops/github`).
    pub fn new(github_dir: PathBuf) -> Self {
        Journal {
            dir: github_dir.join("inflight"),
        }
    }

    fn path(&self, op_id: &OpId) -> PathBuf {
        self.dir.join(op_id.as_str())
    }

    /// Whether a write of `op_id` may have been sent without its outcome recorded.
    pub fn is_marked(&self, op_id: &OpId) -> bool {
        self.path(op_id).exists()
    }

    /// Marks `op_id` as possibly taking effect, durably.
    pub fn mark(&self, op_id: &OpId) -> Result<(), GithubError> {
        super::files::create_dir(&self.dir)?;
        let path = self.path(op_id);
        let file = File::create(&path).map_err(GithubError::io(&path))?;
        file.sync_all().map_err(GithubError::io(&path))
    }

    /// Removes `op_id`'s mark once its outcome is recorded.
    pub fn clear(&self, op_id: &OpId) -> Result<(), GithubError> {
        let path = self.path(op_id);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(GithubError::io(&path)(err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::new(dir.path().to_owned());
        let op: OpId = "0123456789abcdef".parse().unwrap();
        assert!(!journal.is_marked(&op));
        journal.mark(&op).unwrap();
        assert!(journal.is_marked(&op));
        journal.clear(&op).unwrap();
        journal.clear(&op).unwrap();
        assert!(!journal.is_marked(&op));
    }
}
