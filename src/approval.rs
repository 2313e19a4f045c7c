//! Approvals: a signer's signed "yes" to a subject (a phase, a queue item, a plan)
//! at a commit.

use crate::ids::CommitId;
use crate::records::KeyedKind;
use crate::sign::Subject;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The signed record of an approval; public because review-queue approvals
/// (`patch`) and `verify` read and write the same kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    /// The version of this record's shape.
    pub schema_version: u32,
    /// What is approved, e.g. `phase:1`.
    pub subject: String,
    /// The commit HEAD was at: an approval holds for that commit only.
    pub git_commit: CommitId,
    /// What the approver said with it.
    pub note: Option<String>,
    /// Why a review-queue item a validator failed, or that changes a
    /// protected path, is approved anyway (`queue approve --override`).
    /// Absent from every other approval, so their bytes are as before.
    #[serde(default, rename = "override", skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
    /// When it was signed.
    pub timestamp: Timestamp,
}

impl Approval {
    /// An approval of `subject` at `commit`, signed now. Free text is stored
    /// redacted (docs/security.md), and a blank note or override is none.
    pub(crate) fn new(
        subject: String,
        commit: CommitId,
        note: Option<&str>,
        override_reason: Option<&str>,
    ) -> Self {
        let text = |t: Option<&str>| {
            t.filter(|t| !t.trim().is_empty())
                .map(|t| crate::evidence::redact(t).into_owned())
        };
        Approval {
            schema_version: 1,
            subject,
            git_commit: commit,
            note: text(note),
            override_reason: text(override_reason),
            timestamp: Timestamp::now(),
        }
    }
}

impl KeyedKind for Approval {
    const KIND: &'static str = "approval";

    fn key(&self) -> Vec<String> {
        vec![self.subject.clone()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![crate::phase::records::commit_subject(self.git_commit)]
    }

    fn unix_seconds(&self) -> Option<i64> {
        Some(self.timestamp.as_second())
    }
}

/// The subject of a phase's approvals.
pub(crate) fn phase_subject(phase: u32) -> String {
    format!("phase:{phase}")
}

/// A subject typed on the command line that names nothing approvable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not something to approve: use phase:N (or N) for a phase, queue:ID for a queue item"
)]
pub struct SubjectError(String);

/// Reads `SUBJECT` as typed on the command line: `phase:N`, or a bare phase
/// number. Returns the phase number.
pub(crate) fn parse_subject(text: &str) -> Result<u32, SubjectError> {
    let text = text.trim();
    let phase = text.strip_prefix("phase:").unwrap_or(text);
    phase
        .parse::<u32>()
        .map_err(|_| SubjectError(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_phases_by_number() {
        assert_eq!(parse_subject("phase:2"), Ok(2));
        assert_eq!(parse_subject(" 3 "), Ok(3));
        let err = parse_subject("plan:x").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("`plan:x` is not something to approve")
        );
    }
}
