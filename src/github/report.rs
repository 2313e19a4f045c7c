//! What a sync run reports: per operation what happened, why the run
//! stopped (if it did), the refusals, the quota. Printed as text or, with
//! `--json`, as one JSON document. Never holds the token.

use super::permissions::Refusal;
use super::quota::Quota;
use crate::outbox::OpKind;
use serde::Serialize;
use std::path::PathBuf;

/// What happened to one operation in this run.
#[derive(Debug, Clone, Serialize)]
pub struct OpReport {
    pub op_id: String,
    pub kind: OpKind,
    pub repo: String,
    /// `created`, `adopted`, `deduplicated`, `digest`, `folded`, `proposed`,
    /// `already_proposed`, `closed`, `blocked`, `already_closed`, `failed`,
    /// `gave_up`, `refused`, `waiting`, `stopped`, `would_run`.
    pub result: String,
    pub number: Option<u64>,
    pub url: Option<String>,
    pub attempts: u32,
    pub error: Option<String>,
    pub note: Option<String>,
}

/// Why a run ended before its work was done (exit 6).
#[derive(Debug, Clone, Serialize)]
pub struct Stop {
    /// `unreachable`, `rate_limited`, `quota_floor` or `circuit_open`.
    pub reason: &'static str,
    pub message: String,
    /// When trying again makes sense (RFC 3339), if known.
    pub until: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub dry_run: bool,
    pub run_id: String,
    pub api_url: String,
    /// Where the token came from (`GITHUB_TOKEN`, …), never the token.
    pub token_source: Option<String>,
    pub operations: Vec<OpReport>,
    /// Operations still open after the run.
    pub pending: usize,
    pub quota: Quota,
    pub requests: u64,
    pub stopped: Option<Stop>,
    pub refused: Vec<Refusal>,
    pub permission_report: Option<PathBuf>,
    pub notes: Vec<String>,
}

impl SyncReport {
    pub fn new(dry_run: bool, run_id: &str, api_url: &str) -> Self {
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

    /// How many operations ended with `result`.
    pub fn count(&self, result: &str) -> usize {
        self.operations
            .iter()
            .filter(|o| o.result == result)
            .count()
    }
}
