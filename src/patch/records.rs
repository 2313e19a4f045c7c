//! The records patches produce: decisions, review-queue items and their
//! resolutions, and alerts. All keyed, so a patch's decision and a queue item's
//! fate are found without a scan.

use super::decide::Decision;
use super::parse::FileChange;
use super::validate::Score;
use crate::config::PatchMode;
use crate::records::{KeyedKind, unix_seconds};
use crate::sign::Subject;
use serde::{Deserialize, Serialize};

/// What was done about a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The target branch was moved to the patched commit.
    Merged,
    /// A branch was created and a pull request queued in the outbox.
    PullRequestQueued,
    /// A review-queue item was created.
    QueuedForReview,
    /// An alert was recorded; nothing else.
    Alerted,
    /// Nothing (analysis_only mode).
    None,
}

/// The decision about one patch: keyed by the patch id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub schema_version: u32,
    /// SHA-256 (hex) of the patch bytes.
    pub patch_id: String,
    /// The target branch (short name).
    pub target: String,
    /// The target's tip the patch was applied to.
    pub base_commit: String,
    /// The commit with the patch applied (absent when it did not apply).
    pub result_commit: Option<String>,
    pub mode: PatchMode,
    pub validators: Vec<Score>,
    pub confidence: f64,
    pub decision: Decision,
    pub action: Action,
    /// Why, in the order the rules applied.
    pub reasons: Vec<String>,
    pub files: Vec<FileChange>,
    pub timestamp: String,
}

impl KeyedKind for DecisionRecord {
    const KIND: &'static str = "decision";

    fn key(&self) -> Vec<String> {
        vec![self.patch_id.clone()]
    }

    fn subjects(&self) -> Vec<Subject> {
        let mut subjects = vec![Subject::new("patch", "sha256", &self.patch_id)];
        if let Some(result) = &self.result_commit {
            subjects.push(Subject::new("result", "gitCommit", result));
        }
        subjects
    }

    fn unix_seconds(&self) -> Option<i64> {
        unix_seconds(&self.timestamp)
    }
}

/// A patch waiting for a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueItem {
    pub schema_version: u32,
    /// The first 12 hex digits of the patch id.
    pub item_id: String,
    pub patch_id: String,
    pub target: String,
    pub base_commit: String,
    pub result_commit: String,
    pub confidence: f64,
    pub reasons: Vec<String>,
    pub created_at: String,
}

impl KeyedKind for QueueItem {
    const KIND: &'static str = "queue-item";

    fn key(&self) -> Vec<String> {
        vec![self.item_id.clone()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![
            Subject::new("patch", "sha256", &self.patch_id),
            Subject::new("result", "gitCommit", &self.result_commit),
        ]
    }

    fn unix_seconds(&self) -> Option<i64> {
        unix_seconds(&self.created_at)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    Approved,
    Rejected,
}

/// How a queue item was resolved (a new record; the item is never rewritten).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueResolution {
    pub schema_version: u32,
    pub item_id: String,
    pub resolution: Resolution,
    pub action: Action,
    /// The reviewer's note (approve) or reason (reject).
    pub note: Option<String>,
    pub timestamp: String,
}

impl KeyedKind for QueueResolution {
    const KIND: &'static str = "queue-resolution";

    fn key(&self) -> Vec<String> {
        vec![self.item_id.clone()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![Subject::new(
            "queue-item",
            "sha256",
            crate::evidence::snippet::sha256_hex(&self.item_id),
        )]
    }

    fn unix_seconds(&self) -> Option<i64> {
        unix_seconds(&self.timestamp)
    }
}

/// Something a person should look at: a rejected patch, an unhealthy queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub schema_version: u32,
    /// `patch-rejected` or `queue-health` (also the key).
    pub alert: String,
    /// What it is about (a patch id, the queue).
    pub subject: String,
    pub message: String,
    /// For queue-health alerts: the health it moved to.
    pub health: Option<String>,
    pub timestamp: String,
}

impl KeyedKind for Alert {
    const KIND: &'static str = "alert";

    fn key(&self) -> Vec<String> {
        vec![self.alert.clone()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![Subject::new(
            self.subject.clone(),
            "sha256",
            crate::evidence::snippet::sha256_hex(&self.message),
        )]
    }

    fn unix_seconds(&self) -> Option<i64> {
        unix_seconds(&self.timestamp)
    }
}
