//! Approvals: a signer's signed "yes" to a subject (a phase, a queue item, a plan)
//! at a commit.

use crate::records::{KeyedKind, unix_seconds};
use crate::sign::Subject;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub schema_version: u32,
    /// What is approved, e.g. `phase:1`.
    pub subject: String,
    /// The commit HEAD was at: an approval holds for that commit only.
    pub git_commit: String,
    pub note: Option<String>,
    pub timestamp: String,
}

impl KeyedKind for Approval {
    const KIND: &'static str = "approval";

    fn key(&self) -> Vec<String> {
        vec![self.subject.clone()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![Subject::new("commit", "gitCommit", &self.git_commit)]
    }

    fn unix_seconds(&self) -> Option<i64> {
        unix_seconds(&self.timestamp)
    }
}

/// The subject of a phase's approvals.
pub fn phase_subject(phase: u32) -> String {
    format!("phase:{phase}")
}

/// Reads `SUBJECT` as typed on the command line: `phase:N`, or a bare phase number.
pub fn parse_subject(text: &str) -> Result<String, String> {
    let text = text.trim();
    let phase = text.strip_prefix("phase:").unwrap_or(text);
    match phase.parse::<u32>() {
        Ok(n) => Ok(phase_subject(n)),
        Err(_) => Err(format!(
            "`{text}` is not something to approve: use phase:N (or N) for a phase, queue:ID for a queue item"
        )),
    }
}
