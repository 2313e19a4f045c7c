//! What `status` shows of learning from failures.

use crate::error::Result;
use crate::patch::records::Alert;
use crate::workspace::Workspace;
use serde::Serialize;

/// Open alerts and pending rule proposals (`status --json`: `learning`).
#[derive(Debug, Serialize)]
pub struct Learning {
    /// Failure-rate alerts of the current window, the worst per category.
    pub alerts: Vec<Alert>,
    /// Failure signatures no rule decides yet (`rules propose`).
    pub pending_proposals: usize,
}

/// Reads both.
pub fn learning(ws: &Workspace) -> Result<Learning> {
    Ok(Learning {
        alerts: super::open(ws)?,
        pending_proposals: crate::rules::propose::pending_count(ws)?,
    })
}
