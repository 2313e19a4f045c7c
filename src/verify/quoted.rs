//! Reading the lines an evidence record quotes: from its commit, or, when the
//! commit is gone from the repository, from the copy the state keeps
//! (`kept/`, docs/state-format.md), and checking their hash.

use super::Verifier;
use crate::error::chain;
use crate::evidence::{self, Evidence, FileAt, HashCheck};
use crate::git::{self, GitError};
use crate::store::{self, RecordId};
use gix::ObjectId;
use std::rc::Rc;

/// A file an evidence record quotes, as found.
#[derive(Clone)]
pub(super) struct Quoted {
    file: Rc<FileAt>,
    /// Read from the state's `kept/`, the commit being gone from the repository.
    from_kept: bool,
}

impl Verifier<'_> {
    /// The file at `commit:path`, split into lines, cached: many records quote
    /// the same file. When the commit is gone, the copy the state keeps.
    fn committed(&mut self, commit: ObjectId, path: &str) -> Result<Option<Quoted>, GitError> {
        let key = (commit, path.to_owned());
        if let Some(found) = self.files.get(&key) {
            return Ok(found.clone());
        }
        let found = match self.repo.has_object(commit) {
            true => Some(Quoted {
                file: Rc::new(FileAt::from(git::read_committed(self.repo, commit, path)?)),
                from_kept: false,
            }),
            false => self.kept_copy(commit, path).map(|file| Quoted {
                file: Rc::new(file),
                from_kept: true,
            }),
        };
        self.files.insert(key, found.clone());
        Ok(found)
    }

    /// The content the state keeps for `path` at `commit`, if it keeps it and
    /// its blob is here. A damaged `kept/` only means there is nothing kept:
    /// the record then fails as a record whose commit is missing.
    fn kept_copy(&self, commit: ObjectId, path: &str) -> Option<FileAt> {
        let blob = self.kept?.blob(self.repo, commit, path).ok()??;
        let data = self.repo.find_blob(blob).ok()?.detach().data;
        Some(FileAt::from(git::Committed::File(data)))
    }

    pub(super) fn check_evidence_hash(&mut self, id: RecordId, evidence: &Evidence) -> bool {
        let kind = store::EVIDENCE_LOG;
        let commit = evidence.git_commit.object_id();
        let quoted = match self.committed(commit, &evidence.file) {
            Ok(quoted) => quoted,
            Err(err) => {
                self.fail(id, kind, chain(&err));
                return false;
            }
        };
        let from_kept = quoted.as_ref().is_some_and(|q| q.from_kept);
        match evidence::check_hash(evidence, quoted.as_ref().map(|q| &*q.file)) {
            HashCheck::Matches if from_kept => {
                let reason = format!(
                    "commit {} is no longer in this repository (rewritten away and collected?); \
                     lines {} of {} were checked against the copy the state keeps",
                    evidence.git_commit, evidence.lines, evidence.file
                );
                self.note(id, kind, reason);
                true
            }
            HashCheck::Matches => true,
            HashCheck::CommitMissing if !self.policy.missing_commit_fails => {
                let reason = format!(
                    "commit {} is not in this repository; hash not checked (fetch it and run verify)",
                    evidence.git_commit
                );
                self.warn(id, kind, reason);
                true
            }
            HashCheck::CommitMissing => {
                let reason = format!(
                    "commit {} is not in this repository and the state keeps no copy of {} \
                     (none is kept of a file that holds a secret); fetch the commit, then \
                     verify again",
                    evidence.git_commit, evidence.file
                );
                self.fail(id, kind, reason);
                false
            }
            HashCheck::Mismatch(mismatch) if from_kept => {
                let reason = format!("{mismatch} (checked against the copy the state keeps)");
                self.fail(id, kind, reason);
                false
            }
            HashCheck::Mismatch(mismatch) => {
                self.fail(id, kind, mismatch.to_string());
                false
            }
        }
    }
}
