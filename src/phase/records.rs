//! The records phases produce: gate results, phase starts and completions.

use super::runner::Exit;
use crate::config::{Category, GateConfig};
use crate::records::{KeyedKind, unix_seconds};
use crate::sign::Subject;
use serde::{Deserialize, Serialize};

/// The outcome of one gate on one tree. Keyed by tree and gate: a passing result
/// holds for every commit with that tree, as long as the gate's definition (its
/// command and environment) is unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    pub schema_version: u32,
    pub gate: String,
    /// SHA-256 of the gate's command and environment (see [`definition_sha256`]).
    pub definition_sha256: String,
    pub category: Category,
    pub tree: String,
    pub commit: String,
    /// The phase the gate was run for.
    pub phase: u32,
    pub outcome: Exit,
    pub passed: bool,
    pub duration_ms: u64,
    /// The end of the output; the full log stays on the machine that ran it.
    pub output_tail: String,
    pub timestamp: String,
}

impl KeyedKind for GateResult {
    const KIND: &'static str = "gate-result";

    fn key(&self) -> Vec<String> {
        vec![self.tree.clone(), self.gate.clone()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![
            Subject::new("tree", "gitTree", &self.tree),
            Subject::new("commit", "gitCommit", &self.commit),
        ]
    }

    fn unix_seconds(&self) -> Option<i64> {
        unix_seconds(&self.timestamp)
    }
}

/// SHA-256 (hex) of the canonical JSON `{"env": {…}, "run": "…"}` of a gate.
/// The timeout is not part of it: a result does not depend on how long we waited.
pub fn definition_sha256(gate: &GateConfig) -> String {
    let definition = serde_json::json!({ "run": gate.run.get_ref(), "env": gate.env });
    crate::evidence::snippet::sha256_hex(
        std::str::from_utf8(&crate::canonical::canonical_json(&definition)).unwrap_or_default(),
    )
}

/// The signed artifact that a phase is complete at a commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseCompletion {
    pub schema_version: u32,
    /// The oldest schema a reader must understand to read this record.
    pub min_schema_version: u32,
    pub phase: u32,
    pub phase_name: String,
    /// How many gates passed.
    pub baseline_pass_count: usize,
    /// The gates that passed, in their configured order.
    pub ci_gates_passed: Vec<String>,
    /// The full commit id.
    pub git_commit: String,
    pub completion_date: String,
    /// The evidence ids of the phase.
    pub evidence_blocks: Vec<String>,
}

impl KeyedKind for PhaseCompletion {
    const KIND: &'static str = "phase-completion";

    fn key(&self) -> Vec<String> {
        vec![self.phase.to_string()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![Subject::new("commit", "gitCommit", &self.git_commit)]
    }

    fn unix_seconds(&self) -> Option<i64> {
        unix_seconds(&self.completion_date)
    }
}

/// Who started a phase, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseStart {
    pub schema_version: u32,
    pub phase: u32,
    pub phase_name: String,
    pub git_commit: String,
    pub timestamp: String,
}

impl KeyedKind for PhaseStart {
    const KIND: &'static str = "phase-start";

    fn key(&self) -> Vec<String> {
        vec![self.phase.to_string()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![Subject::new("commit", "gitCommit", &self.git_commit)]
    }

    fn unix_seconds(&self) -> Option<i64> {
        unix_seconds(&self.timestamp)
    }
}
