//! The decision rules: from confidence, mode and what the patch touches to
//! auto-merge, pull request, manual review or rejection. Pure: no I/O.

use crate::config::PatchMode;
use serde::{Deserialize, Serialize};

/// What the rules decide about a patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Move the target branch to the patched commit.
    AutoMerge,
    /// Open a pull request from a patch branch.
    PullRequest,
    /// Queue it for a person.
    ManualReview,
    /// Refuse it.
    Rejected,
}

super::records::display_as_serialized!(Decision);

/// Everything the rules look at.
pub(crate) struct Inputs<'a> {
    pub mode: PatchMode,
    pub confidence: f64,
    pub auto_merge: f64,
    pub pull_request: f64,
    /// A validator that crashed, and how.
    pub crashed: Option<String>,
    /// Paths the patch deletes.
    pub deletes: &'a [String],
    /// Paths the patch changes that are protected.
    pub protected: &'a [String],
    /// A worktree that has the target branch checked out.
    pub target_checked_out: Option<String>,
}

/// The decision and the reasons for it, in the order they were applied.
pub(crate) fn decide(inputs: &Inputs<'_>) -> (Decision, Vec<String>) {
    let mut reasons = Vec::new();
    if let Some(crash) = &inputs.crashed {
        reasons.push(format!("a validator crashed: {crash}"));
        return (Decision::Rejected, reasons);
    }
    let mut decision = if inputs.confidence >= inputs.auto_merge {
        reasons.push(format!(
            "confidence {:.2} ≥ auto_merge {:.2}",
            inputs.confidence, inputs.auto_merge
        ));
        Decision::AutoMerge
    } else if inputs.confidence >= inputs.pull_request {
        reasons.push(format!(
            "confidence {:.2} ≥ pull_request {:.2}",
            inputs.confidence, inputs.pull_request
        ));
        Decision::PullRequest
    } else {
        reasons.push(format!(
            "confidence {:.2} < pull_request {:.2}",
            inputs.confidence, inputs.pull_request
        ));
        Decision::ManualReview
    };
    let boundary: Vec<String> = inputs
        .deletes
        .iter()
        .map(|p| format!("deletes `{p}`"))
        .chain(
            inputs
                .protected
                .iter()
                .map(|p| format!("changes protected `{p}`")),
        )
        .collect();
    if !boundary.is_empty() && decision != Decision::ManualReview {
        reasons.push(format!(
            "security boundary: the patch {}; a person must decide",
            boundary.join(", ")
        ));
        decision = Decision::ManualReview;
    }
    if decision == Decision::AutoMerge && inputs.mode == PatchMode::Supervised {
        reasons.push("supervised mode never merges automatically".into());
        decision = Decision::PullRequest;
    }
    if decision == Decision::AutoMerge
        && let Some(worktree) = &inputs.target_checked_out
    {
        reasons.push(format!(
            "the target branch is checked out in {worktree}; not moving it under someone's feet"
        ));
        decision = Decision::PullRequest;
    }
    if inputs.mode == PatchMode::AnalysisOnly {
        reasons.push("analysis_only mode: recorded, nothing done".into());
    }
    (decision, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(mode: PatchMode, confidence: f64) -> Inputs<'static> {
        Inputs {
            mode,
            confidence,
            auto_merge: 0.95,
            pull_request: 0.80,
            crashed: None,
            deletes: &[],
            protected: &[],
            target_checked_out: None,
        }
    }

    #[test]
    fn thresholds() {
        assert_eq!(
            decide(&inputs(PatchMode::Automatic, 0.96)).0,
            Decision::AutoMerge
        );
        assert_eq!(
            decide(&inputs(PatchMode::Automatic, 0.95)).0,
            Decision::AutoMerge
        );
        assert_eq!(
            decide(&inputs(PatchMode::Automatic, 0.9)).0,
            Decision::PullRequest
        );
        assert_eq!(
            decide(&inputs(PatchMode::Automatic, 0.79)).0,
            Decision::ManualReview
        );
    }

    #[test]
    fn supervised_never_merges() {
        assert_eq!(
            decide(&inputs(PatchMode::Supervised, 1.0)).0,
            Decision::PullRequest
        );
    }

    #[test]
    fn the_security_boundary_caps_at_manual_review() {
        let deletes = ["a.rs".to_owned()];
        let mut i = inputs(PatchMode::Automatic, 1.0);
        i.deletes = &deletes;
        let (decision, reasons) = decide(&i);
        assert_eq!(decision, Decision::ManualReview);
        assert!(reasons.iter().any(|r| r.contains("deletes `a.rs`")));
        let protected = [".github/workflows/ci.yml".to_owned()];
        let mut i = inputs(PatchMode::Automatic, 0.85);
        i.protected = &protected;
        assert_eq!(decide(&i).0, Decision::ManualReview);
    }

    #[test]
    fn crashes_reject_and_a_checked_out_target_becomes_a_pull_request() {
        let mut i = inputs(PatchMode::Automatic, 1.0);
        i.crashed = Some("tests: killed by signal 9".into());
        assert_eq!(decide(&i).0, Decision::Rejected);
        let mut i = inputs(PatchMode::Automatic, 1.0);
        i.target_checked_out = Some("/repo".into());
        assert_eq!(decide(&i).0, Decision::PullRequest);
    }

    #[test]
    fn analysis_only_records_the_decision_it_would_make() {
        let (decision, reasons) = decide(&inputs(PatchMode::AnalysisOnly, 1.0));
        assert_eq!(decision, Decision::AutoMerge);
        assert!(reasons.last().unwrap().contains("nothing done"));
    }
}
