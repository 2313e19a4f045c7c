//! `outbox list`: every operation with its state, oldest first.

use super::OpKind;
use super::op_id::OpId;
use super::payload::Payload;
use super::read::Outbox;
use super::status::OpState;
use crate::error::Result;
use crate::time::Timestamp;
use crate::workspace::Workspace;
use serde::Serialize;

/// One operation as `outbox list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The operation.
    pub op_id: OpId,
    /// What it asks GitHub to do.
    pub kind: OpKind,
    /// Its dedupe key.
    pub dedupe_key: String,
    /// The repository it names, if any.
    pub repo: Option<String>,
    /// When it was queued.
    pub created_at: Timestamp,
    /// Who signed it, if anyone.
    pub signer: Option<String>,
    /// The kind's fields as stored.
    pub payload: serde_json::Value,
    /// Where it stands.
    #[serde(flatten)]
    pub state: OpState,
    /// How many outcomes it has.
    pub outcomes: usize,
}

impl Row {
    /// What the operation is about, in a few words: its title or its target.
    pub fn about(&self) -> String {
        Payload::read(self.kind, &self.payload)
            .map(|p| p.describe())
            .unwrap_or_default()
    }
}

/// The operations `outbox list` shows, oldest first (a JSON array).
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Listing {
    /// One row per operation.
    pub rows: Vec<Row>,
}

/// The operations of the outbox; with `pending_only`, those with work left.
pub fn list(ws: &Workspace, pending_only: bool) -> Result<Listing> {
    let outbox = Outbox::read(ws)?;
    let mut states = outbox.states();
    let rows = outbox
        .entries
        .into_iter()
        .filter_map(|entry| {
            let state = states.remove(&entry.op.op_id)?;
            (!pending_only || state.is_open()).then_some(Row {
                op_id: entry.op.op_id,
                kind: entry.op.kind,
                dedupe_key: entry.op.dedupe_key,
                repo: entry.op.repo,
                created_at: entry.op.created_at,
                signer: entry.signer,
                payload: entry.op.payload,
                state,
                outcomes: entry.outcomes.len(),
            })
        })
        .collect();
    Ok(Listing { rows })
}
