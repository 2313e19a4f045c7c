//! Where the phases stand: which are complete, which is active, and whether each
//! gate has a passing, trusted result for a tree.
//!
//! Everything here is a keyed lookup (a few tree reads), never a scan of the
//! state: the pre-push hook depends on it.

use super::records::{GateResult, PhaseCompletion, PhaseStart, definition_sha256};
use crate::config::{Category, Config, GateConfig, PhaseConfig};
use crate::error::Result;
use crate::ids::{CommitId, TreeId};
use crate::records::{KeyedKind, Read, read_keyed};
use crate::sign::TrustSet;
use crate::store::{StateView, StoreError};
use crate::time::Timestamp;
use crate::workspace::Workspace;
use serde::Serialize;
use std::fmt;

/// What the state says, read with one trust list and one signing policy.
/// Public (with its fields) because `verify` reads a view that is not the
/// workspace's, and the benchmarks time its steps one by one.
pub struct Reader<'a, 'v, 'r> {
    /// The phases and gates.
    pub config: &'a Config,
    /// The state; `None` when the state ref does not exist yet.
    pub view: Option<&'v StateView<'r>>,
    /// Whose signatures count.
    pub trust: &'a TrustSet,
}

/// Where a phase stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PhaseState {
    /// An earlier phase is not complete yet.
    Locked,
    /// Every earlier phase is complete; this one is not.
    Active,
    /// It has a counted completion, and so do all earlier phases.
    Complete,
}

impl fmt::Display for PhaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PhaseState::Locked => "locked",
            PhaseState::Active => "active",
            PhaseState::Complete => "complete",
        })
    }
}

/// A phase's state, with the completion that makes it complete.
pub(crate) type PhaseEntry = (PhaseState, Option<Read<PhaseCompletion>>);

/// Whether a gate has passed on a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GateState {
    /// A counted result passed.
    Passed,
    /// The latest counted result failed, and none passed.
    Failed,
    /// No counted result for this tree and definition.
    Missing,
}

impl fmt::Display for GateState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GateState::Passed => "passed",
            GateState::Failed => "failed",
            GateState::Missing => "missing",
        })
    }
}

/// Where one gate stands for one tree.
#[derive(Debug, Clone, Serialize)]
pub struct GateStatus {
    /// The gate's id.
    pub gate: String,
    /// What kind of check it is (as configured or inferred).
    pub category: Category,
    /// Whether the config leaves `category` out, so it is inferred from `run`.
    pub category_inferred: bool,
    /// Whether it passed.
    pub state: GateState,
    /// The result that decides the state, if any.
    pub result: Option<GateResult>,
    /// Who signed that result, if a trusted key did.
    pub signer: Option<String>,
    /// Results exist for this tree, but for another definition of the gate.
    pub stale: bool,
    /// Trusted signers of passing results on this tree that `[policy]
    /// gate_signers` does not count (a laptop's result where only CI's count).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unlisted_signers: Vec<String>,
    /// Whether this tree already has a trusted result (passed or failed) for the
    /// gate's current definition that `gate_signers` does not count. Running the
    /// gate again here would record one more such result, so the daemon does not.
    #[serde(skip)]
    pub uncounted_result: bool,
}

impl GateStatus {
    /// Whether a counted result passed.
    pub fn passed(&self) -> bool {
        self.state == GateState::Passed
    }
}

impl<'a, 'v, 'r> Reader<'a, 'v, 'r> {
    /// Reads `view` with the workspace's config and trust list.
    pub fn new(ws: &'a Workspace, view: Option<&'v StateView<'r>>) -> Result<Self> {
        Ok(Reader {
            config: ws.config()?,
            view,
            trust: ws.trust()?,
        })
    }
}

impl<'a> Reader<'a, '_, '_> {
    fn require_signed(&self) -> bool {
        self.config.trust.require_signed
    }

    /// The counted completion of `phase`, the earliest if several.
    pub(crate) fn completion(
        &self,
        phase: u32,
    ) -> Result<Option<Read<PhaseCompletion>>, StoreError> {
        self.earliest(phase, |r: &PhaseCompletion| r.completion_date)
    }

    /// The counted start of `phase`, the earliest if several.
    pub(crate) fn start(&self, phase: u32) -> Result<Option<Read<PhaseStart>>, StoreError> {
        self.earliest(phase, |r: &PhaseStart| r.timestamp)
    }

    /// The earliest counted record of kind `K` keyed by `phase`.
    fn earliest<K: KeyedKind>(
        &self,
        phase: u32,
        when: impl Fn(&K) -> Timestamp,
    ) -> Result<Option<Read<K>>, StoreError> {
        let Some(view) = self.view else {
            return Ok(None);
        };
        Ok(read_keyed(view, &[phase.to_string()], self.trust)?
            .into_iter()
            .filter(|r: &Read<K>| r.counts(self.require_signed()))
            .min_by_key(|r| when(&r.record)))
    }

    /// The state of every configured phase, in order.
    pub(crate) fn states(&self) -> Result<Vec<PhaseEntry>, StoreError> {
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
    pub(crate) fn active_of(&self, states: &[PhaseEntry]) -> Option<&'a PhaseConfig> {
        self.config
            .phases
            .iter()
            .zip(states)
            .find(|(_, (state, _))| *state == PhaseState::Active)
            .map(|(phase, _)| phase)
    }

    /// Whether `gate` has a counted result on `tree` for its current definition.
    pub(crate) fn gate(
        &self,
        tree: TreeId,
        gate_id: &str,
        gate: &GateConfig,
    ) -> Result<GateStatus, StoreError> {
        let status = |state, signer, result, stale| GateStatus {
            gate: gate_id.to_owned(),
            category: gate.category(),
            category_inferred: gate.category_inferred(),
            state,
            result,
            signer,
            stale,
            unlisted_signers: Vec::new(),
            uncounted_result: false,
        };
        let missing = |stale| status(GateState::Missing, None, None, stale);
        let Some(view) = self.view else {
            return Ok(missing(false));
        };
        let definition = definition_sha256(gate);
        let key = [tree.to_string(), gate_id.to_owned()];
        let all: Vec<Read<GateResult>> = read_keyed(view, &key, self.trust)?;
        let stale = !all.is_empty();
        let (mut counted, unlisted): (Vec<Read<GateResult>>, Vec<Read<GateResult>>) = all
            .into_iter()
            .filter(|r| r.counts(self.require_signed()) && r.record.definition_sha256 == definition)
            .partition(|r| super::signers::allows(&self.config.policy.gate_signers, r));
        // Results by unlisted signers are for this definition: not stale.
        let stale = stale && unlisted.is_empty();
        let uncounted_result = !unlisted.is_empty();
        let mut unlisted_signers: Vec<String> = unlisted
            .iter()
            .filter(|r| r.record.passed)
            .filter_map(|r| r.signer().map(str::to_owned))
            .collect();
        unlisted_signers.sort();
        unlisted_signers.dedup();
        // A pass anywhere wins (the same tree passed); else the latest failure.
        counted.sort_by(|a, b| {
            (a.record.passed, &a.record.timestamp).cmp(&(b.record.passed, &b.record.timestamp))
        });
        let decided = match counted.pop() {
            Some(read) => status(
                match read.record.passed {
                    true => GateState::Passed,
                    false => GateState::Failed,
                },
                read.signer().map(str::to_owned),
                Some(read.record),
                false,
            ),
            None => missing(stale),
        };
        // Said only of a gate that has not passed: it is why it has not.
        Ok(GateStatus {
            unlisted_signers: match decided.passed() {
                true => Vec::new(),
                false => unlisted_signers,
            },
            uncounted_result,
            ..decided
        })
    }

    /// The status of each of `phase`'s gates on `tree`, in order.
    pub fn gates(&self, phase: &PhaseConfig, tree: TreeId) -> Result<Vec<GateStatus>, StoreError> {
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
    /// The record id of the completion at fault.
    pub id: crate::store::RecordId,
    /// Its phase.
    pub phase: u32,
    /// What is wrong.
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
    pub(crate) fn chain_breaks_of(
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
            let commit = done.record.git_commit.object_id();
            for earlier in 0..*id {
                let reason = match completed.iter().find(|(p, _)| *p == earlier) {
                    None => Some(format!("phase {id} is complete but phase {earlier} is not")),
                    Some((_, before)) => {
                        let descends = descends(repo, before.record.git_commit, commit);
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

/// Whether `commit` is `ancestor` or descends from it.
fn descends(repo: &gix::Repository, ancestor: CommitId, commit: gix::ObjectId) -> bool {
    let ancestor = ancestor.object_id();
    ancestor == commit
        || repo
            .merge_base(ancestor, commit)
            .is_ok_and(|base| base.is_some_and(|base| base.detach() == ancestor))
}
