//! The `bypass` record: a push to a protected ref that the gates did not
//! cover (it skipped the hook), or that dropped commits (a force-push), seen
//! by `ci check-push` on the server side.

use crate::ids::{CommitId, TreeId};
use crate::records::KeyedKind;
use crate::sign::Subject;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A commit of the push whose tree lacks passing results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Uncovered {
    /// The commit.
    pub commit: CommitId,
    /// Its tree.
    pub tree: TreeId,
    /// The gates without a pass by an allowed gate signer on that tree.
    pub missing: Vec<String>,
}

/// A push to a protected ref that bypassed the gates or dropped commits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bypass {
    /// The version of this record's shape.
    pub schema_version: u32,
    /// The ref pushed (`refs/heads/main`).
    #[serde(rename = "ref")]
    pub ref_name: String,
    /// Where it was before the push (`None`: it was created).
    pub before: Option<CommitId>,
    /// Where the push put it (`None`: it was deleted).
    pub after: Option<CommitId>,
    /// The phase whose gates were required.
    pub phase: Option<u32>,
    /// The commits whose trees lack passing results.
    pub uncovered: Vec<Uncovered>,
    /// `before` is not an ancestor of `after`: a force-push (or a deletion).
    pub forced: bool,
    /// Commits reachable from `before` but no longer from `after`.
    pub dropped: Vec<CommitId>,
    /// When the push was checked.
    pub timestamp: Timestamp,
}

impl Bypass {
    /// The commit the record is about: the new tip, or the old one for a deletion.
    fn about(&self) -> Option<CommitId> {
        self.after.or(self.before)
    }
}

impl KeyedKind for Bypass {
    const KIND: &'static str = "bypass";

    fn key(&self) -> Vec<String> {
        vec![
            self.about()
                .map_or_else(|| "none".to_owned(), |c| c.to_string()),
        ]
    }

    fn subjects(&self) -> Vec<Subject> {
        self.about()
            .map(crate::phase::records::commit_subject)
            .into_iter()
            .collect()
    }

    fn unix_seconds(&self) -> Option<i64> {
        Some(self.timestamp.as_second())
    }
}
