//! Pull requests the tool opened that have ended: `sync` records a `merged`
//! or `closed_unmerged` outcome of the `create_pull_request` operation when
//! it sees one closed on GitHub (see `github::executor::pulls`). Only an
//! operation and an outcome that count (signed by a trusted key, or unsigned
//! where allowed) can make a branch deletable.

use crate::error::Result;
use crate::outbox::records::OutboxOutcome;
use crate::outbox::{Detail, OpId, OpKind, Outbox, Payload};
use crate::records::read_all;
use crate::workspace::Workspace;
use std::collections::BTreeMap;

/// How a pull request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ended {
    /// Its number on GitHub.
    pub number: u64,
    /// Merged, or closed without merging.
    pub merged: bool,
}

/// The pull requests that ended, by head branch (`auditops/patch/…`).
pub(super) fn ended(ws: &Workspace) -> Result<BTreeMap<String, Ended>> {
    let mut out = BTreeMap::new();
    let Some(view) = ws.view()? else {
        return Ok(out);
    };
    let (trust, require_signed) = (ws.trust()?, ws.require_signed()?);
    let mut seen: BTreeMap<OpId, Ended> = BTreeMap::new();
    for read in read_all::<OutboxOutcome>(&view, trust)? {
        if !read.counts(require_signed) {
            continue;
        }
        let outcome = read.record;
        let merged = match outcome.detail {
            Some(Detail::Merged) => true,
            Some(Detail::ClosedUnmerged) => false,
            _ => continue,
        };
        if let Some(number) = outcome.number {
            seen.insert(outcome.op_id, Ended { number, merged });
        }
    }
    if seen.is_empty() {
        return Ok(out);
    }
    let outbox = Outbox::load(&view, trust, require_signed)?;
    for entry in outbox.entries {
        if !entry.counts || entry.op.kind != OpKind::CreatePullRequest {
            continue;
        }
        let Some(ended) = seen.get(&entry.op.op_id) else {
            continue;
        };
        if let Ok(Payload::PullRequest(p)) = entry.op.payload() {
            out.insert(p.head, *ended);
        }
    }
    Ok(out)
}
