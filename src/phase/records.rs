//! The records phases produce: gate results, phase starts and completions.

use super::runner::Exit;
use crate::config::{Category, GateConfig};
use crate::ids::{CommitId, Sha256, TreeId};
use crate::records::KeyedKind;
use crate::sign::Subject;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The outcome of one gate on one tree. Keyed by tree and gate: a passing result
/// holds for every commit with that tree, as long as the gate's definition (its
/// command and environment) is unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    /// The version of this record's shape.
    pub schema_version: u32,
    /// The gate's id in `.auditops.toml`.
    pub gate: String,
    /// SHA-256 of the gate's command and environment (see [`definition_sha256`]).
    pub definition_sha256: Sha256,
    /// What kind of check the gate is.
    pub category: Category,
    /// The tree the gate ran on: what the result is about.
    pub tree: TreeId,
    /// The commit whose tree it was.
    pub commit: CommitId,
    /// The phase the gate was run for.
    pub phase: u32,
    /// How the gate's command ended.
    pub outcome: Exit,
    /// Whether it passed (exit 0).
    pub passed: bool,
    /// How long it ran.
    pub duration_ms: u64,
    /// The end of the output; the full log stays on the machine that ran it.
    pub output_tail: String,
    /// When it ended.
    pub timestamp: Timestamp,
    /// The `scan` record of the findings the gate's `sarif` file held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan: Option<String>,
    /// A failure's signature and what learned rules did (absent on a plain pass).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned: Option<crate::rules::Learned>,
}

impl KeyedKind for GateResult {
    const KIND: &'static str = "gate-result";

    fn key(&self) -> Vec<String> {
        vec![self.tree.to_string(), self.gate.clone()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![
            Subject::new("tree", "gitTree", self.tree.to_string()),
            commit_subject(self.commit),
        ]
    }

    fn unix_seconds(&self) -> Option<i64> {
        Some(self.timestamp.as_second())
    }
}

/// The in-toto subject of a record about a commit.
pub(crate) fn commit_subject(commit: CommitId) -> Subject {
    Subject::new("commit", "gitCommit", commit.to_string())
}

/// SHA-256 of the canonical JSON `{"env": {…}, "run": "…"}` of a gate.
/// The timeout is not part of it: a result does not depend on how long we waited.
/// A gate that scans adds `sarif` and `fail_on`, which change its verdict.
pub fn definition_sha256(gate: &GateConfig) -> Sha256 {
    let mut definition = serde_json::json!({ "run": gate.run.get_ref(), "env": gate.env });
    if let Some(sarif) = &gate.sarif {
        definition["sarif"] = sarif.get_ref().as_str().into();
        definition["fail_on"] = serde_json::to_value(gate.fail_on).unwrap_or_default();
    }
    Sha256::of(crate::canonical::canonical_json(&definition))
}

/// The signed artifact that a phase is complete at a commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseCompletion {
    /// The version of this record's shape.
    pub schema_version: u32,
    /// The oldest schema a reader must understand to read this record.
    pub min_schema_version: u32,
    /// The phase.
    pub phase: u32,
    /// Its name when it completed.
    pub phase_name: String,
    /// How many gates passed.
    pub baseline_pass_count: usize,
    /// The gates that passed, in their configured order.
    pub ci_gates_passed: Vec<String>,
    /// The full commit id.
    pub git_commit: CommitId,
    /// When it completed.
    pub completion_date: Timestamp,
    /// The evidence ids of the phase.
    pub evidence_blocks: Vec<String>,
}

impl KeyedKind for PhaseCompletion {
    const KIND: &'static str = "phase-completion";

    fn key(&self) -> Vec<String> {
        vec![self.phase.to_string()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![commit_subject(self.git_commit)]
    }

    fn unix_seconds(&self) -> Option<i64> {
        Some(self.completion_date.as_second())
    }
}

/// Who started a phase, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseStart {
    /// The version of this record's shape.
    pub schema_version: u32,
    /// The phase.
    pub phase: u32,
    /// Its name when it started.
    pub phase_name: String,
    /// HEAD when it started.
    pub git_commit: CommitId,
    /// When it started.
    pub timestamp: Timestamp,
}

impl KeyedKind for PhaseStart {
    const KIND: &'static str = "phase-start";

    fn key(&self) -> Vec<String> {
        vec![self.phase.to_string()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![commit_subject(self.git_commit)]
    }

    fn unix_seconds(&self) -> Option<i64> {
        Some(self.timestamp.as_second())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record written before the fields were typed reads back and
    /// serializes to the same bytes.
    #[test]
    fn typed_fields_keep_the_stored_form() {
        let stored = r#"{"schema_version":1,"phase":0,"phase_name":"Setup","git_commit":"0123456789abcdef0123456789abcdef01234567","timestamp":"2026-01-01T00:00:00Z"}"#;
        let start: PhaseStart = serde_json::from_str(stored).unwrap();
        assert_eq!(serde_json::to_string(&start).unwrap(), stored);
        let short = stored.replace("0123456789abcdef0123456789abcdef01234567", "0123");
        assert!(serde_json::from_str::<PhaseStart>(&short).is_err());
    }

    /// A signed gate result from another clone whose tree is not an object id
    /// is refused as a record (and so never counts), instead of panicking later.
    #[test]
    fn a_gate_result_with_a_malformed_tree_is_refused_when_read() {
        let tree = "0123456789abcdef0123456789abcdef01234567";
        let predicate = serde_json::json!({
            "schema_version": 1, "gate": "lint", "definition_sha256": "ab".repeat(32),
            "category": "quality", "tree": "0123", "commit": tree, "phase": 0,
            "outcome": {"status": "exited", "code": 0}, "passed": true, "duration_ms": 1,
            "output_tail": "", "timestamp": "2026-01-01T00:00:00Z",
        });
        let statement = crate::sign::Statement::new(
            vec![
                Subject::new("tree", "gitTree", "0123"),
                Subject::new("commit", "gitCommit", tree),
            ],
            GateResult::predicate_type(),
            predicate,
        );
        assert!(matches!(
            GateResult::from_statement(&statement),
            Err(crate::records::RecordError::Malformed { .. })
        ));
    }
}
