//! What a sync run reports: per operation what happened, why the run
//! stopped (if it did), the refusals, the quota. Printed as text or, with
//! `--json`, as one JSON document. Never holds the token.

use super::permissions::Refusal;
use super::quota::Quota;
use crate::outbox::{Detail, OpId, OpKind, named_enum};
use crate::time::Timestamp;
use serde::Serialize;
use std::path::PathBuf;

named_enum! {
    /// What became of one operation in a run.
    pub enum OpResult {
        /// Made by this attempt.
        Created = "created",
        /// Found by its marker after an attempt whose result was unknown.
        Adopted = "adopted",
        /// The same request was already carried out.
        Deduplicated = "deduplicated",
        /// Done with the digest issue it was folded into.
        Digest = "digest",
        /// Folded into a digest issue in this run.
        Folded = "folded",
        /// An auto-close proposal was posted.
        Proposed = "proposed",
        /// The issue carried an auto-close proposal already.
        AlreadyProposed = "already_proposed",
        /// The issue was closed.
        Closed = "closed",
        /// The issue is `auto-close:blocked`.
        Blocked = "blocked",
        /// Someone closed the issue first.
        AlreadyClosed = "already_closed",
        /// The issue was reopened.
        Reopened = "reopened",
        /// The auto-close proposal was withdrawn (a finding came back).
        Cancelled = "cancelled",
        /// The pull request was merged (seen in this run).
        Merged = "merged",
        /// The pull request was closed without merging (seen in this run).
        ClosedUnmerged = "closed_unmerged",
        /// Failed in a way retrying cannot fix.
        Failed = "failed",
        /// Failed for this run; a later sync tries again.
        GaveUp = "gave_up",
        /// The token may not do it.
        Refused = "refused",
        /// Waits on time, a person or another operation.
        Waiting = "waiting",
        /// Not tried: the run stopped.
        Stopped = "stopped",
        /// Dry run: would be carried out.
        WouldRun = "would_run",
        /// Dry run: would be folded into a digest.
        WouldFold = "would_fold",
        /// Dry run: would be marked done as a duplicate.
        WouldDeduplicate = "would_deduplicate",
        /// Dry run: its auto-close proposal would be checked.
        WouldCheck = "would_check",
    }
}

impl From<Detail> for OpResult {
    fn from(detail: Detail) -> Self {
        match detail {
            Detail::Created => OpResult::Created,
            Detail::Adopted => OpResult::Adopted,
            Detail::Deduplicated => OpResult::Deduplicated,
            Detail::Digest => OpResult::Digest,
            Detail::Proposed => OpResult::Proposed,
            Detail::AlreadyProposed => OpResult::AlreadyProposed,
            Detail::Closed => OpResult::Closed,
            Detail::Blocked => OpResult::Blocked,
            Detail::AlreadyClosed => OpResult::AlreadyClosed,
            Detail::Cancelled => OpResult::Cancelled,
            Detail::Reopened => OpResult::Reopened,
            Detail::Merged => OpResult::Merged,
            Detail::ClosedUnmerged => OpResult::ClosedUnmerged,
        }
    }
}

/// What happened to one operation in this run.
#[derive(Debug, Clone, Serialize)]
pub struct OpReport {
    /// The operation.
    pub op_id: OpId,
    /// What it asks GitHub to do.
    pub kind: OpKind,
    /// The repository it ran against.
    pub repo: String,
    /// What became of it.
    pub result: OpResult,
    /// The issue or pull request.
    pub number: Option<u64>,
    /// Its page.
    pub url: Option<String>,
    /// Attempts made so far.
    pub attempts: u32,
    /// Why it failed or was refused.
    pub error: Option<String>,
    /// Something worth telling.
    pub note: Option<String>,
}

named_enum! {
    /// Why a run stopped early.
    pub enum StopReason {
        /// GitHub cannot be reached.
        Unreachable = "unreachable",
        /// GitHub keeps failing.
        Unavailable = "unavailable",
        /// GitHub rate-limits the token.
        RateLimited = "rate_limited",
        /// The API quota is below `[github] quota_floor`.
        QuotaFloor = "quota_floor",
        /// The circuit breaker is open.
        CircuitOpen = "circuit_open",
    }
}

/// Why a run ended before its work was done (exit 6).
#[derive(Debug, Clone, Serialize)]
pub struct Stop {
    /// Why.
    pub reason: StopReason,
    /// What happened, for people.
    pub message: String,
    /// When trying again makes sense, if known.
    pub until: Option<Timestamp>,
}

/// What one sync run did: `sync --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    /// Nothing was sent or recorded.
    pub dry_run: bool,
    /// `GITHUB_RUN_ID`, or `local`.
    pub run_id: String,
    /// The API the run talked to.
    pub api_url: String,
    /// Where the token came from (`GITHUB_TOKEN`, …), never the token.
    pub token_source: Option<String>,
    /// What became of each operation handled.
    pub operations: Vec<OpReport>,
    /// Operations still open after the run.
    pub pending: usize,
    /// The API quota as last reported.
    pub quota: Quota,
    /// Requests sent.
    pub requests: u64,
    /// Why the run stopped early, if it did.
    pub stopped: Option<Stop>,
    /// Operations the token may not carry out.
    pub refused: Vec<Refusal>,
    /// The permission report written for the refusals.
    pub permission_report: Option<PathBuf>,
    /// Remarks on the run.
    pub notes: Vec<String>,
}

impl SyncReport {
    /// An empty report of a run.
    pub(crate) fn new(dry_run: bool, run_id: &str, api_url: &str) -> Self {
        SyncReport {
            dry_run,
            run_id: run_id.to_owned(),
            api_url: api_url.to_owned(),
            token_source: None,
            operations: Vec::new(),
            pending: 0,
            quota: Quota::default(),
            requests: 0,
            stopped: None,
            refused: Vec::new(),
            permission_report: None,
            notes: Vec::new(),
        }
    }

    /// The error the run ends with, if any: unavailable (6) before permission (5).
    pub fn error(&self) -> Option<super::GithubError> {
        if let Some(stop) = &self.stopped {
            return Some(super::GithubError::Unavailable {
                reason: match &stop.until {
                    Some(until) => format!("{} (try again after {until})", stop.message),
                    None => stop.message.clone(),
                },
            });
        }
        if !self.refused.is_empty() {
            return Some(super::GithubError::Permission {
                count: self.refused.len(),
                report: self.permission_report.clone(),
            });
        }
        None
    }
}
