//! Reading the outbox from the state: every operation with its outcomes.
//!
//! Operations (`index/outbox-op/<op id>/`) are read with their signatures
//! checked. An operation runs only when it
//! counts (signed by a trusted key, or unsigned where that is allowed): anyone
//! who can push the state ref could otherwise make the executor act.
//! Outcomes are read whatever their signature: an outcome can only stop an
//! operation from running, never cause an effect.

use super::op_id::OpId;
use super::records::{OutboxOp, OutboxOutcome};
use super::status::{self, OpState};
use crate::records::read_all;
use crate::sign::TrustSet;
use crate::store::{RecordId, StateView, StoreError};
use crate::workspace::Workspace;
use std::collections::HashMap;

/// One operation and what became of it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The operation.
    pub op: OutboxOp,
    /// The id of its record.
    pub record_id: RecordId,
    /// Signed by a trusted key (or unsigned where allowed): it may run.
    pub counts: bool,
    /// Who signed it, if anyone.
    pub signer: Option<String>,
    /// Oldest first.
    pub outcomes: Vec<OutboxOutcome>,
}

/// The whole outbox, oldest operation first.
#[derive(Debug, Clone, Default)]
pub struct Outbox {
    /// Every operation, oldest first.
    pub entries: Vec<Entry>,
}

impl Outbox {
    /// Reads every operation of the state at `view`.
    pub fn load(
        view: &StateView<'_>,
        trust: &TrustSet,
        require_signed: bool,
    ) -> Result<Self, StoreError> {
        let mut outcomes: HashMap<OpId, Vec<OutboxOutcome>> = HashMap::new();
        for read in read_all::<OutboxOutcome>(view, trust)? {
            outcomes
                .entry(read.record.op_id.clone())
                .or_default()
                .push(read.record);
        }
        // The same operation stored twice (signed and unsigned, say): keep the
        // copy that counts.
        let mut ops: HashMap<OpId, Entry> = HashMap::new();
        for read in read_all::<OutboxOp>(view, trust)? {
            let counts = read.counts(require_signed);
            let candidate = Entry {
                signer: read.signer().map(str::to_owned),
                op: read.record,
                record_id: read.id,
                counts,
                outcomes: Vec::new(),
            };
            let keep = ops
                .get(&candidate.op.op_id)
                .is_none_or(|kept| !kept.counts && counts);
            if keep {
                ops.insert(candidate.op.op_id.clone(), candidate);
            }
        }
        let mut entries: Vec<Entry> = ops
            .into_values()
            .map(|mut entry| {
                let mut mine = outcomes.remove(&entry.op.op_id).unwrap_or_default();
                mine.sort_by_key(|o| (o.timestamp, o.attempts));
                entry.outcomes = mine;
                entry
            })
            .collect();
        entries.sort_by(|a, b| a.op.order_key().cmp(&b.op.order_key()));
        Ok(Outbox { entries })
    }

    /// Reads the outbox of the workspace's state (empty when there is none).
    pub fn read(ws: &Workspace) -> crate::error::Result<Self> {
        match ws.view()? {
            Some(view) => Ok(Outbox::load(&view, ws.trust()?, ws.require_signed()?)?),
            None => Ok(Outbox::default()),
        }
    }

    /// The operation `op_id` and what became of it.
    pub fn get(&self, op_id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.op.op_id.as_str() == op_id)
    }

    /// The state of every operation, by op id.
    pub fn states(&self) -> HashMap<OpId, OpState> {
        status::states(self)
    }
}
