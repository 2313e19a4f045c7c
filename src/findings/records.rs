//! The two signed record kinds of findings: a `scan` (one import of one
//! tool's run) and a `finding` (one result, keyed by its fingerprint, with a
//! new record each time its state changes).

use super::sarif::Level;
use crate::ids::{CommitId, Sha256};
use crate::records::KeyedKind;
use crate::sign::Subject;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Where a finding stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingState {
    /// Seen, never resolved.
    Open,
    /// Absent from a later scan of the same tool and automation id that covered its file.
    Resolved,
    /// Seen again after it was resolved.
    Reopened,
}

impl FindingState {
    /// Open or reopened: still there.
    pub fn is_open(self) -> bool {
        !matches!(self, FindingState::Resolved)
    }

    /// The state's name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingState::Open => "open",
            FindingState::Resolved => "resolved",
            FindingState::Reopened => "reopened",
        }
    }
}

/// What a scan looked at: a partial scan resolves nothing outside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum Coverage {
    /// The whole repository (the run listed no artifacts).
    All,
    /// Only these files (the run's `artifacts`).
    Paths {
        /// Repository-relative paths.
        paths: Vec<String>,
    },
    /// Nothing (an invocation failed): resolves nothing.
    Nothing,
}

impl Coverage {
    /// Whether the scan looked at `path`.
    pub fn covers(&self, path: &str) -> bool {
        match self {
            Coverage::All => true,
            Coverage::Paths { paths } => paths.binary_search_by(|p| p.as_str().cmp(path)).is_ok(),
            Coverage::Nothing => false,
        }
    }
}

/// How an import changed the findings of a tool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Results in the scan.
    pub total: u64,
    /// Seen for the first time.
    pub new: u64,
    /// Open before and still there.
    pub unchanged: u64,
    /// Open before, gone now, in a file the scan covered.
    pub resolved: u64,
    /// Resolved before, back now.
    pub reopened: u64,
}

/// One import of one tool's run (runs of the same tool and automation id
/// given together are one scan).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scan {
    /// The record format's version (1).
    pub schema_version: u32,
    /// The first 16 hex digits of the SHA-256 of the rest: the key.
    pub scan_id: String,
    /// `tool.driver.name`, or `--tool`.
    pub tool: String,
    /// `tool.driver.version` (or `semanticVersion`).
    pub tool_version: Option<String>,
    /// `automationDetails.id` (empty when none).
    pub automation_id: String,
    /// The commit the scan is about.
    pub commit: CommitId,
    /// `GITHUB_RUN_ID`, or `local`.
    pub run_id: String,
    /// SHA-256 of the SARIF files read, in the order given.
    pub sarif_sha256: Sha256,
    /// What it covered.
    pub coverage: Coverage,
    /// What it changed.
    pub counts: Counts,
    /// When it was imported.
    pub timestamp: Timestamp,
}

impl Scan {
    /// The scan id its content implies.
    pub fn implied_id(&self) -> String {
        let mut copy = self.clone();
        copy.scan_id = String::new();
        let value = serde_json::to_value(&copy).expect("records serialize");
        Sha256::of(crate::canonical::canonical_json(&value)).to_hex()[..16].to_owned()
    }
}

impl KeyedKind for Scan {
    const KIND: &'static str = "scan";

    fn key(&self) -> Vec<String> {
        vec![self.scan_id.clone()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![
            Subject::new(
                format!("scan:{}", self.scan_id),
                "sha256",
                self.sarif_sha256.to_hex(),
            ),
            Subject::new("commit", "gitCommit", self.commit.to_string()),
        ]
    }

    fn unix_seconds(&self) -> Option<i64> {
        Some(self.timestamp.as_second())
    }

    fn check(&self) -> Result<(), crate::records::RecordError> {
        if self.scan_id != self.implied_id() {
            return Err(crate::records::RecordError::Invalid(format!(
                "scan id {} is not the one its content implies",
                self.scan_id
            )));
        }
        Ok(())
    }
}

/// One place of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingLocation {
    /// Repository-relative path.
    pub path: String,
    /// First line, when the tool gives one.
    pub start_line: Option<u64>,
    /// Last line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u64>,
    /// The region's text at the scanned commit, redacted, at most 1,000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

/// One finding as of one change of its state. The latest revision counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The record format's version (1).
    pub schema_version: u32,
    /// What identifies it across edits (docs/findings.md): the key.
    pub fingerprint: Sha256,
    /// 0 for the first record, one more for each change of state.
    pub revision: u32,
    /// The tool that reported it.
    pub tool: String,
    /// The automation id of the scan that reported it.
    pub automation_id: String,
    /// The rule that fired.
    pub rule: String,
    /// How serious.
    pub level: Level,
    /// What the tool says, redacted, at most 1,000 characters.
    pub message: String,
    /// Where.
    pub locations: Vec<FindingLocation>,
    /// Where it stands.
    pub state: FindingState,
    /// The scan that made this revision.
    pub scan: String,
    /// That scan's commit.
    pub commit: CommitId,
    /// When it was first seen.
    pub first_seen: Timestamp,
    /// When this revision was recorded (the last scan that changed it).
    pub last_seen: Timestamp,
}

impl Finding {
    /// The short id people type: the fingerprint's first 12 hex digits.
    pub fn id(&self) -> String {
        self.fingerprint.to_hex()[..12].to_owned()
    }

    /// The path of its first location (empty when it has none).
    pub fn path(&self) -> &str {
        self.locations
            .first()
            .map(|l| l.path.as_str())
            .unwrap_or_default()
    }
}

impl KeyedKind for Finding {
    const KIND: &'static str = "finding";

    fn key(&self) -> Vec<String> {
        vec![self.fingerprint.to_hex()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![
            Subject::new(
                format!("finding:{}", self.id()),
                "sha256",
                self.fingerprint.to_hex(),
            ),
            Subject::new("commit", "gitCommit", self.commit.to_string()),
        ]
    }

    fn unix_seconds(&self) -> Option<i64> {
        Some(self.last_seen.as_second())
    }
}
