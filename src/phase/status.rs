//! Where the phases stand: which are complete, which is active, and whether each
//! gate has a passing, trusted result for a tree.
//!
//! Everything here is a keyed lookup (a few tree reads), never a scan of the
//! state: the pre-push hook depends on it.

use super::records::{GateResult, PhaseCompletion, PhaseStart, definition_sha256};
use crate::config::{Config, GateConfig, PhaseConfig};
use crate::records::{Read, read_keyed};
use crate::sign::TrustSet;
use crate::store::{StateView, StoreError};
use gix::ObjectId;
use serde::Serialize;

/// What the state says, read with one trust list and one signing policy.
pub struct Reader<'a, 'v, 'r> {
    pub config: &'a Config,
    pub view: Option<&'v StateView<'r>>,
    pub trust: &'a TrustSet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PhaseState {
    /// An earlier phase is not complete yet.
    Locked,
    /// Every earlier phase is complete; this one is not.
    Active,
    Complete,
}

/// A phase's state, with the completion that makes it complete.
pub type PhaseEntry = (PhaseState, Option<Read<PhaseCompletion>>);

/// Where one gate stands for one tree.
#[derive(Debug, Clone, Serialize)]
pub struct GateStatus {
    pub gate: String,
    /// `passed`, `failed`, or `missing` (no counted result for this tree and
    /// definition).
    pub state: &'static str,
    pub result: Option<GateResult>,
    pub signer: Option<String>,
    /// Results exist for this tree, but for another definition of the gate.
    pub stale: bool,
}

impl GateStatus {
    pub fn passed(&self) -> bool {
        self.state == "passed"
    }
}

impl<'a> Reader<'a, '_, '_> {
    fn require_signed(&self) -> bool {
        self.config.trust.require_signed
    }

    /// The counted completion of `phase`, the earliest if several.
    pub fn completion(&self, phase: u32) -> Result<Option<Read<PhaseCompletion>>, StoreError> {
        let Some(view) = self.view else {
            return Ok(None);
        };
        let mut found: Vec<Read<PhaseCompletion>> =
            read_keyed(view, &[phase.to_string()], self.trust)?
                .into_iter()
                .filter(|r| r.counts(self.require_signed()))
                .collect();
        found.sort_by(|a, b| a.record.completion_date.cmp(&b.record.completion_date));
        Ok(found.into_iter().next())
    }

    pub fn start(&self, phase: u32) -> Result<Option<Read<PhaseStart>>, StoreError> {
        let Some(view) = self.view else {
            return Ok(None);
        };
        Ok(read_keyed(view, &[phase.to_string()], self.trust)?
            .into_iter()
            .filter(|r: &Read<PhaseStart>| r.counts(self.require_signed()))
            .min_by(|a, b| a.record.timestamp.cmp(&b.record.timestamp)))
    }

    /// The state of every configured phase, in order.
    pub fn states(&self) -> Result<Vec<PhaseEntry>, StoreError> {
        let mut out = Vec::new();
        let mut earlier_complete = true;
        for phase in &self.config.phases {
            let completion = self.completion(*phase.id.get_ref())?;
            let state = match (&completion, earlier_complete) {
                (Some(_), true) => PhaseState::Complete,
                (_, true) => PhaseState::Active,
                (_, false) => PhaseState::Locked,
            };
            earlier_complete = state == PhaseState::Complete;
            out.push((state, completion));
        }
        Ok(out)
    }

    /// The first phase that is not complete; `None` when all are.
    pub fn active(&self) -> Result<Option<&'a PhaseConfig>, StoreError> {
        Ok(self.active_of(&self.states()?))
    }

    /// The first phase of `states` (as [`Reader::states`] returned them) that is
    /// not complete, for a caller that needs the states too.
    pub fn active_of(&self, states: &[PhaseEntry]) -> Option<&'a PhaseConfig> {
        self.config
            .phases
            .iter()
            .zip(states)
            .find(|(_, (state, _))| *state == PhaseState::Active)
            .map(|(phase, _)| phase)
    }

    /// Whether `gate` has a counted result on `tree` for its current definition.
    pub fn gate(
        &self,
        tree: ObjectId,
        gate_id: &str,
        gate: &GateConfig,
    ) -> Result<GateStatus, StoreError> {
        let missing = |stale| GateStatus {
            gate: gate_id.to_owned(),
            state: "missing",
            result: None,
            signer: None,
            stale,
        };
        let Some(view) = self.view else {
            return Ok(missing(false));
        };
        let definition = definition_sha256(gate);
        let key = [tree.to_string(), gate_id.to_owned()];
        let all: Vec<Read<GateResult>> = read_keyed(view, &key, self.trust)?;
        let stale = !all.is_empty();
        let mut counted: Vec<Read<GateResult>> = all
            .into_iter()
            .filter(|r| r.counts(self.require_signed()) && r.record.definition_sha256 == definition)
            .collect();
        // A pass anywhere wins (the same tree passed); else the latest failure.
        counted.sort_by(|a, b| {
            (a.record.passed, &a.record.timestamp).cmp(&(b.record.passed, &b.record.timestamp))
        });
        Ok(match counted.pop() {
            Some(read) => GateStatus {
                gate: gate_id.to_owned(),
                state: if read.record.passed {
                    "passed"
                } else {
                    "failed"
                },
                signer: read.signer().map(str::to_owned),
                result: Some(read.record),
                stale: false,
            },
            None => missing(stale),
        })
    }

    /// The status of each of `phase`'s gates on `tree`, in order.
    pub fn gates(
        &self,
        phase: &PhaseConfig,
        tree: ObjectId,
    ) -> Result<Vec<GateStatus>, StoreError> {
        phase
            .gate_ids()
            .map(|id| {
                let gate = self
                    .config
                    .gate(id)
                    .expect("config validation checks gate ids");
                self.gate(tree, id, gate)
            })
            .collect()
    }
}

/// A break in the phase chain, naming the completion record at fault.
#[derive(Debug, Clone, Serialize)]
pub struct ChainBreak {
    pub id: crate::store::RecordId,
    pub phase: u32,
    pub reason: String,
}

impl Reader<'_, '_, '_> {
    /// Checks that each completed phase's predecessors are complete and that its
    /// commit descends from theirs.
    pub fn chain_breaks(&self, repo: &gix::Repository) -> Result<Vec<ChainBreak>, StoreError> {
        Ok(self.chain_breaks_of(repo, &self.states()?))
    }

    /// [`Reader::chain_breaks`] over `states` already read, so that a caller
    /// that needs both (the pre-push hook) reads the completions once.
    pub fn chain_breaks_of(
        &self,
        repo: &gix::Repository,
        states: &[PhaseEntry],
    ) -> Vec<ChainBreak> {
        let completed: Vec<(u32, &Read<PhaseCompletion>)> = self
            .config
            .phases
            .iter()
            .zip(states)
            .filter_map(|(phase, (_, done))| Some((*phase.id.get_ref(), done.as_ref()?)))
            .collect();
        let mut breaks = Vec::new();
        for (id, done) in &completed {
            let Ok(commit) = ObjectId::from_hex(done.record.git_commit.as_bytes()) else {
                continue;
            };
            for earlier in 0..*id {
                let reason = match completed.iter().find(|(p, _)| *p == earlier) {
                    None => Some(format!("phase {id} is complete but phase {earlier} is not")),
                    Some((_, before)) => {
                        let before_commit =
                            ObjectId::from_hex(before.record.git_commit.as_bytes()).ok();
                        let descends = before_commit.is_some_and(|b| {
                            b == commit
                                || repo
                                    .merge_base(b, commit)
                                    .is_ok_and(|base| base.is_some_and(|base| base.detach() == b))
                        });
                        (!descends).then(|| {
                            format!(
                                "phase {id} was completed at {} which does not descend from phase {earlier}'s completion at {}",
                                done.record.git_commit, before.record.git_commit
                            )
                        })
                    }
                };
                if let Some(reason) = reason {
                    breaks.push(ChainBreak {
                        id: done.id,
                        phase: *id,
                        reason,
                    });
                }
            }
        }
        breaks
    }
}
