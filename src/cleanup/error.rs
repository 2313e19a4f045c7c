//! Why a cleanup did not run.

use crate::ids::Sha256;

/// Why `cleanup run` or `approve report:ID` refused.
#[derive(Debug, thiserror::Error)]
pub enum CleanupError {
    /// The id typed is not 64 hex digits.
    #[error("`{0}` is not a report id: use the 64 hex digits `cleanup plan` prints")]
    BadReportId(String),
    /// The situation changed since the plan was approved.
    #[error(
        "the cleanup plan changed: approved report {approved}, the plan now is {current}; run `git auditops cleanup plan` and approve the new report"
    )]
    PlanChanged {
        /// The id given.
        approved: Sha256,
        /// The id of the plan as it is now.
        current: Sha256,
    },
    /// Too few distinct trusted signers approved the report.
    #[error(
        "report {report} has {have} of {need} approvals from distinct trusted signers ([cleanup] approvals); approve it with `git auditops approve report:{report}`"
    )]
    ApprovalsShort {
        /// The report.
        report: Sha256,
        /// Distinct trusted approvers so far.
        have: usize,
        /// How many are needed.
        need: u32,
    },
    /// An approval or audit record must be signed, and no key was found.
    #[error(
        "a cleanup approval must be signed by a trusted key, and no signing key was found; create one with `git auditops key generate`"
    )]
    Unsigned,
    /// A deletion failed.
    #[error("could not delete {target}")]
    Delete {
        /// What was to be deleted.
        target: String,
        /// What git said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
