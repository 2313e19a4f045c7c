//! What a finding is about: the kind of the record at fault.

use crate::approval::Approval;
use crate::cleanup::records::CleanupRecord;
use crate::outbox::{OutboxOp, OutboxOutcome};
use crate::patch::records::{Alert, DecisionRecord, QueueItem, QueueResolution};
use crate::phase::records::{GateResult, PhaseCompletion, PhaseStart};
use crate::quarantine::Quarantine;
use crate::records::KeyedKind;
use crate::store;
use serde::{Serialize, Serializer};
use std::fmt;

/// The kind of record a [`Finding`](super::Finding) is about: one this tool
/// writes, or the name of a log or predicate it does not know, as found (a
/// state written by a newer version, or tampered with, may hold any).
///
/// On the wire and on screen it is the kind's name (`gate-result`,
/// `evidence`, …), taken from the kinds' own `KIND` constants so that the
/// names cannot drift from where the records are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingKind {
    /// Evidence, in the evidence log.
    Evidence,
    /// A gate's result.
    GateResult,
    /// A phase's completion.
    PhaseCompletion,
    /// A phase's start.
    PhaseStart,
    /// A person's approval.
    Approval,
    /// A patch decision.
    Decision,
    /// A review-queue item.
    QueueItem,
    /// A review-queue item's resolution.
    QueueResolution,
    /// A queue-health alert.
    Alert,
    /// A learned rule.
    Rule,
    /// An outbox operation.
    OutboxOp,
    /// An outbox operation's outcome.
    OutboxOutcome,
    /// A quarantine of a record.
    Quarantine,
    /// The audit record of a cleanup action.
    Cleanup,
    /// A log or predicate kind this version does not write.
    Other(String),
}

impl FindingKind {
    /// The kind's name, as stored and as shown.
    pub fn as_str(&self) -> &str {
        match self {
            FindingKind::Evidence => store::EVIDENCE_LOG,
            FindingKind::GateResult => GateResult::KIND,
            FindingKind::PhaseCompletion => PhaseCompletion::KIND,
            FindingKind::PhaseStart => PhaseStart::KIND,
            FindingKind::Approval => Approval::KIND,
            FindingKind::Decision => DecisionRecord::KIND,
            FindingKind::QueueItem => QueueItem::KIND,
            FindingKind::QueueResolution => QueueResolution::KIND,
            FindingKind::Alert => Alert::KIND,
            FindingKind::Rule => crate::rules::Rule::KIND,
            FindingKind::OutboxOp => OutboxOp::KIND,
            FindingKind::OutboxOutcome => OutboxOutcome::KIND,
            FindingKind::Quarantine => Quarantine::KIND,
            FindingKind::Cleanup => CleanupRecord::KIND,
            FindingKind::Other(name) => name,
        }
    }
}

impl From<&str> for FindingKind {
    fn from(name: &str) -> Self {
        match name {
            store::EVIDENCE_LOG => FindingKind::Evidence,
            GateResult::KIND => FindingKind::GateResult,
            PhaseCompletion::KIND => FindingKind::PhaseCompletion,
            PhaseStart::KIND => FindingKind::PhaseStart,
            Approval::KIND => FindingKind::Approval,
            DecisionRecord::KIND => FindingKind::Decision,
            QueueItem::KIND => FindingKind::QueueItem,
            QueueResolution::KIND => FindingKind::QueueResolution,
            Alert::KIND => FindingKind::Alert,
            crate::rules::Rule::KIND => FindingKind::Rule,
            OutboxOp::KIND => FindingKind::OutboxOp,
            OutboxOutcome::KIND => FindingKind::OutboxOutcome,
            Quarantine::KIND => FindingKind::Quarantine,
            CleanupRecord::KIND => FindingKind::Cleanup,
            other => FindingKind::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A plain string, exactly the name `verify --json` has always printed.
impl Serialize for FindingKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::FindingKind;

    #[test]
    fn names_round_trip_and_serialize_as_plain_strings() {
        for name in [
            "evidence",
            "gate-result",
            "phase-completion",
            "phase-start",
            "approval",
            "decision",
            "queue-item",
            "queue-resolution",
            "alert",
            "rule",
            "outbox-op",
            "outbox-outcome",
            "quarantine",
            "cleanup",
            "some-future-log",
        ] {
            let kind = FindingKind::from(name);
            assert_eq!(kind.as_str(), name);
            assert_eq!(kind.to_string(), name);
            assert_eq!(serde_json::to_value(&kind).unwrap(), name);
        }
        assert_eq!(FindingKind::from("gate-result"), FindingKind::GateResult);
        assert_eq!(FindingKind::from("x"), FindingKind::Other("x".to_owned()));
    }
}
