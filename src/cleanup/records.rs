//! The signed audit record of one cleanup action.

use super::plan::ActionKind;
use crate::ids::Sha256;
use crate::records::KeyedKind;
use crate::sign::Subject;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One action a `cleanup run` carried out, with who allowed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CleanupRecord {
    /// The version of this record's shape.
    pub schema_version: u32,
    /// What kind of thing was deleted.
    pub action: ActionKind,
    /// What was deleted (a ref name).
    pub target: String,
    /// Its size in bytes, as planned.
    pub bytes: u64,
    /// SHA-256 of what was deleted (a ref's target id), before deletion.
    pub sha256_before: Sha256,
    /// The approved report the action belongs to.
    pub report_id: Sha256,
    /// The keyids of the trusted signers who approved the report.
    pub approvers: Vec<String>,
    /// The keyid of who ran it (the record's signer).
    pub operator: String,
    /// When it was done.
    pub timestamp: Timestamp,
}

impl KeyedKind for CleanupRecord {
    const KIND: &'static str = "cleanup";

    fn key(&self) -> Vec<String> {
        vec![self.report_id.to_hex()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![Subject::new(
            "cleanup-report",
            "sha256",
            self.report_id.to_hex(),
        )]
    }

    fn unix_seconds(&self) -> Option<i64> {
        Some(self.timestamp.as_second())
    }
}
