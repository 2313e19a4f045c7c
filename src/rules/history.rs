//! The recorded runs rules learn from: every gate result and every validator
//! score of every patch decision, each with its failure's signature.
//!
//! Results recorded before signatures existed get theirs computed from their
//! output tail now: the normalizer is pure, so the signature is the same.

use super::{Signature, signature};
use crate::config::Category;
use crate::error::Result;
use crate::ids::{Sha256, TreeId};
use crate::patch::records::DecisionRecord;
use crate::phase::records::GateResult;
use crate::records::read_all;
use crate::time::Timestamp;
use crate::workspace::Workspace;

/// One recorded run of a gate or validator.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    /// The record it is part of.
    pub record: String,
    /// The gate's or validator's id.
    pub check: String,
    /// What kind of check.
    pub category: Category,
    /// For a gate: the tree and the gate's definition (flaky detection).
    pub tree_and_definition: Option<(TreeId, Sha256)>,
    /// It passed (a flaky pass included).
    pub passed: bool,
    /// It passed only on a retry.
    pub flaky: bool,
    /// When.
    pub at: Timestamp,
    /// The failure's signature (of the first attempt, for a flaky pass).
    pub signature: Option<Signature>,
}

impl Run {
    /// Whether it counts as a failure for rates and proposals.
    pub fn failed(&self) -> bool {
        !self.passed || self.flaky
    }
}

/// Every counted run, oldest first.
pub(crate) fn runs(ws: &Workspace) -> Result<Vec<Run>> {
    let Some(view) = ws.view()? else {
        return Ok(Vec::new());
    };
    let (trust, require_signed) = (ws.trust()?, ws.require_signed()?);
    let mut runs = Vec::new();
    for read in read_all::<GateResult>(&view, trust)? {
        if !read.counts(require_signed) {
            continue;
        }
        let r = read.record;
        let learned = r.learned.clone();
        let signature = match (&learned, r.passed) {
            (Some(learned), _) => Some(learned.signature.clone()),
            (None, false) => Some(signature(r.category, &r.gate, &r.output_tail)),
            (None, true) => None,
        };
        runs.push(Run {
            record: read.id.to_hex(),
            check: r.gate,
            category: r.category,
            tree_and_definition: Some((r.tree, r.definition_sha256)),
            passed: r.passed,
            flaky: learned.is_some_and(|l| l.flaky),
            at: r.timestamp,
            signature,
        });
    }
    for read in read_all::<DecisionRecord>(&view, trust)? {
        if !read.counts(require_signed) {
            continue;
        }
        for score in &read.record.validators {
            let signature = match (&score.learned, score.passed()) {
                (Some(learned), _) => Some(learned.signature.clone()),
                (None, false) => Some(signature(
                    score.category,
                    &score.name,
                    &crate::evidence::redact(score.output_tail.as_deref().unwrap_or("")),
                )),
                (None, true) => None,
            };
            runs.push(Run {
                record: read.id.to_hex(),
                check: score.name.clone(),
                category: score.category,
                tree_and_definition: None,
                passed: score.passed(),
                flaky: false,
                at: read.record.timestamp,
                signature,
            });
        }
    }
    runs.sort_by_key(|r| r.at);
    Ok(runs)
}

/// The runs since `since` ago.
pub(crate) fn since(runs: Vec<Run>, since: std::time::Duration) -> Vec<Run> {
    let cutoff =
        Timestamp::now().as_second() - i64::try_from(since.as_secs()).unwrap_or(i64::MAX / 2);
    runs.into_iter()
        .filter(|r| r.at.as_second() >= cutoff)
        .collect()
}
