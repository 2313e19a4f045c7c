//! The records patches produce: decisions, review-queue items and their
//! resolutions, and alerts. All keyed, so a patch's decision and a queue item's
//! fate are found without a scan.

use super::decide::Decision;
use super::id::PatchId;
use super::input::InputForm;
use super::parse::FileChange;
use super::queue::Health;
use super::validate::Score;
use crate::config::PatchMode;
use crate::ids::{CommitId, SHORT_LEN, Sha256};
use crate::records::KeyedKind;
use crate::sign::Subject;
use crate::time::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Displays a unit enum as its serde name (its `rename_all` form), so that text
/// and JSON output and stored records spell a value the same way.
macro_rules! display_as_serialized {
    ($($name:ty),*) => {$(
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let value = serde_json::to_value(self).map_err(|_| std::fmt::Error)?;
                f.pad(value.as_str().unwrap_or_default())
            }
        }
    )*};
}
pub(crate) use display_as_serialized;

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

/// The decision about one patch for one target at one base: keyed by the patch
/// id, and found again by (patch id, target, base commit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// Version of this record's shape.
    pub schema_version: u32,
    /// git's stable patch id (`git patch-id --stable`); the SHA-256 of the
    /// patch bytes in records made before.
    pub patch_id: PatchId,
    /// The target branch (short name).
    pub target: String,
    /// The target's tip the patch was applied to.
    pub base_commit: CommitId,
    /// The commit with the patch applied (absent when it did not apply); for
    /// a series, its last commit.
    pub result_commit: Option<CommitId>,
    /// The `[patch] mode` in force.
    pub mode: PatchMode,
    /// Every validator's score.
    pub validators: Vec<Score>,
    /// The weighted mean of the scores.
    pub confidence: f64,
    /// What the rules decided.
    pub decision: Decision,
    /// What was done about it.
    pub action: Action,
    /// Why, in the order the rules applied.
    pub reasons: Vec<String>,
    /// What the patch changes.
    pub files: Vec<FileChange>,
    /// The patch's `Subject:` line, when it had one. Absent from records made
    /// before it was recorded, and then left out when written, so that their
    /// bytes stay as they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The author (`NAME <EMAIL>`) of the patch's (first) commit, when the
    /// patch named one. Absent from older records, as `subject`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The message below the subject, when there is one (a pull request's body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The form the patch came in. Absent from older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<InputForm>,
    /// For a patch refused before validation: what kind of refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<super::error::RefusalKind>,
    /// Every commit made, in order, when there were several (a series).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commits: Vec<CommitId>,
    /// When it was decided.
    pub timestamp: Timestamp,
}

impl DecisionRecord {
    /// What the patch is about, for people: its subject when it had one, else
    /// what it does to its files.
    pub fn title(&self) -> String {
        match (&self.subject, self.files.as_slice()) {
            (Some(subject), _) => subject.clone(),
            (None, [one]) => format!("{} {}", one.status.verb(), one.path),
            (None, files) => format!("change {} files", files.len()),
        }
    }
}

/// How many paths [`files_summary`] names before it counts the rest.
const FILES_SHOWN: usize = 3;

/// The paths a patch changes, for one line: the first three, then `+N more`.
pub fn files_summary(files: &[FileChange]) -> String {
    let shown: Vec<&str> = files
        .iter()
        .take(FILES_SHOWN)
        .map(|f| f.path.as_str())
        .collect();
    match files.len().saturating_sub(FILES_SHOWN) {
        0 => shown.join(", "),
        more => format!("{} +{more} more", shown.join(", ")),
    }
}

impl KeyedKind for DecisionRecord {
    const KIND: &'static str = "decision";

    fn key(&self) -> Vec<String> {
        vec![self.patch_id.to_hex()]
    }

    fn subjects(&self) -> Vec<Subject> {
        let mut subjects = vec![Subject::new(
            "patch",
            self.patch_id.algorithm(),
            self.patch_id.to_hex(),
        )];
        if let Some(result) = &self.result_commit {
            subjects.push(Subject::new("result", "gitCommit", result.to_string()));
        }
        subjects
    }

    fn unix_seconds(&self) -> Option<i64> {
        Some(self.timestamp.as_second())
    }
}

/// Why a text is not a queue item id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a queue item id (12 lowercase hex digits)")]
pub struct ItemIdError(String);

/// A review-queue item's id: 12 hex digits of a digest of its patch id,
/// target, base and the time it was decided (one patch may wait for several
/// targets).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemId(String);

impl ItemId {
    /// The item id of a decision about a patch.
    pub fn of(digest: &Sha256) -> Self {
        ItemId(digest.short())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ItemId {
    type Err = ItemIdError;

    fn from_str(text: &str) -> Result<Self, ItemIdError> {
        let hex =
            text.len() == SHORT_LEN && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        match hex {
            true => Ok(ItemId(text.to_owned())),
            false => Err(ItemIdError(text.to_owned())),
        }
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ItemId({})", self.0)
    }
}

impl Serialize for ItemId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ItemId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A patch waiting for a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueItem {
    /// Version of this record's shape.
    pub schema_version: u32,
    /// The item's id (also the key).
    pub item_id: ItemId,
    /// The patch id (see [`DecisionRecord::patch_id`]).
    pub patch_id: PatchId,
    /// The target branch (short name).
    pub target: String,
    /// The target's tip the patch was applied to.
    pub base_commit: CommitId,
    /// The commit with the patch applied: what an approval merges.
    pub result_commit: CommitId,
    /// The weighted mean of the validators' scores.
    pub confidence: f64,
    /// Why a person must decide.
    pub reasons: Vec<String>,
    /// When it was queued.
    pub created_at: Timestamp,
}

impl KeyedKind for QueueItem {
    const KIND: &'static str = "queue-item";

    fn key(&self) -> Vec<String> {
        vec![self.item_id.to_string()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![
            Subject::new("patch", self.patch_id.algorithm(), self.patch_id.to_hex()),
            Subject::new("result", "gitCommit", self.result_commit.to_string()),
        ]
    }

    fn unix_seconds(&self) -> Option<i64> {
        Some(self.created_at.as_second())
    }
}

/// How a person resolved a queue item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Approved (and then merged, or made a pull request).
    Approved,
    /// Rejected, with a reason.
    Rejected,
}

display_as_serialized!(Action, Resolution, AlertKind);

/// How a queue item was resolved (a new record; the item is never rewritten).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueResolution {
    /// Version of this record's shape.
    pub schema_version: u32,
    /// The item resolved (also the key).
    pub item_id: ItemId,
    /// Approved or rejected.
    pub resolution: Resolution,
    /// What was done about it.
    pub action: Action,
    /// The reviewer's note (approve) or reason (reject).
    pub note: Option<String>,
    /// When.
    pub timestamp: Timestamp,
}

impl KeyedKind for QueueResolution {
    const KIND: &'static str = "queue-resolution";

    fn key(&self) -> Vec<String> {
        vec![self.item_id.to_string()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![Subject::new(
            "queue-item",
            "sha256",
            Sha256::of(self.item_id.as_str()).to_hex(),
        )]
    }

    fn unix_seconds(&self) -> Option<i64> {
        Some(self.timestamp.as_second())
    }
}

/// What an alert is about (also its key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertKind {
    /// A patch was rejected.
    PatchRejected,
    /// The review queue's health changed.
    QueueHealth,
    /// A category's failure rate crossed a threshold (`[alerts]`).
    FailureRate,
    /// A patch was merged without a person.
    PatchAutoMerged,
}

/// Something a person should look at: a rejected patch, an unhealthy queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Version of this record's shape.
    pub schema_version: u32,
    /// What kind of alert (also the key).
    pub alert: AlertKind,
    /// What it is about (a patch id, the queue).
    pub subject: String,
    /// What a person should know.
    pub message: String,
    /// For queue-health alerts: the health it moved to.
    pub health: Option<Health>,
    /// For failure-rate alerts: the category, rate and window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_rate: Option<crate::alerts::FailureRate>,
    /// When.
    pub timestamp: Timestamp,
}

impl KeyedKind for Alert {
    const KIND: &'static str = "alert";

    fn key(&self) -> Vec<String> {
        vec![self.alert.to_string()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![Subject::new(
            self.subject.clone(),
            "sha256",
            Sha256::of(&self.message).to_hex(),
        )]
    }

    fn unix_seconds(&self) -> Option<i64> {
        Some(self.timestamp.as_second())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_ids_are_12_lowercase_hex() {
        let patch = Sha256::of(b"patch");
        let id = ItemId::of(&patch);
        assert_eq!(id.as_str(), patch.short());
        assert_eq!(id.as_str().parse::<ItemId>().unwrap(), id);
        for bad in ["", "abc", "ABCDEF012345", "0123456789abc", "g23456789abc"] {
            assert!(bad.parse::<ItemId>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn enums_are_spelled_as_before() {
        assert_eq!(AlertKind::QueueHealth.to_string(), "queue-health");
        assert_eq!(AlertKind::PatchRejected.to_string(), "patch-rejected");
        assert_eq!(Action::PullRequestQueued.to_string(), "pull_request_queued");
        assert_eq!(Resolution::Approved.to_string(), "approved");
    }

    fn change(path: &str) -> FileChange {
        FileChange {
            path: path.into(),
            old_path: None,
            status: super::super::parse::ChangeStatus::Modified,
        }
    }

    #[test]
    fn long_file_lists_are_abbreviated() {
        let files: Vec<FileChange> = ["a", "b", "c", "d", "e"].map(change).to_vec();
        assert_eq!(files_summary(&files[..1]), "a");
        assert_eq!(files_summary(&files[..3]), "a, b, c");
        assert_eq!(files_summary(&files), "a, b, c +2 more");
    }

    #[test]
    fn a_decision_without_subject_is_named_by_its_files_and_reads_as_before() {
        let old = serde_json::json!({
            "schema_version": 1, "patch_id": "0".repeat(64), "target": "main",
            "base_commit": "0".repeat(40), "result_commit": null, "mode": "automatic",
            "validators": [], "confidence": 0.0, "decision": "rejected", "action": "alerted",
            "reasons": ["r"], "files": [{"path": "src/lib.rs", "old_path": null, "status": "modified"}],
            "timestamp": "2026-01-01T00:00:00Z",
        });
        let mut record: DecisionRecord = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(record.title(), "modify src/lib.rs");
        assert_eq!(
            serde_json::to_value(&record).unwrap(),
            old,
            "no new field written"
        );
        record.files.push(change("b"));
        assert_eq!(record.title(), "change 2 files");
        record.subject = Some("Fix the thing".into());
        assert_eq!(record.title(), "Fix the thing");
    }

    #[test]
    fn a_record_with_a_short_id_is_refused_when_read() {
        let item = serde_json::json!({
            "schema_version": 1, "item_id": "0123456789ab", "patch_id": "0123",
            "target": "main", "base_commit": "0".repeat(40), "result_commit": "1".repeat(40),
            "confidence": 0.5, "reasons": [], "created_at": "2026-01-01T00:00:00Z",
        });
        assert!(serde_json::from_value::<QueueItem>(item).is_err());
    }
}
