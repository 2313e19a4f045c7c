//! `quarantine`: set aside records that cannot be verified, by trusted signers.

use super::context::Context;
use super::output::{self, Report, say};
use crate::error::{ExitCode, Result};
use crate::quarantine::Quarantined;
use crate::store::RecordId;
use clap::Args;

#[derive(Args)]
pub struct QuarantineArgs {
    /// The ids of the records to set aside (64 hex digits, as `verify` and
    /// `state pull` print them).
    #[arg(value_name = "RECORD_ID", required = true)]
    records: Vec<RecordId>,
    /// Why: kept in the signed quarantine record.
    #[arg(long, value_name = "TEXT")]
    reason: String,
}

pub fn run(ctx: &Context, args: QuarantineArgs) -> Result<ExitCode> {
    let done = crate::quarantine::quarantine(ctx, &args.records, &args.reason)?;
    output::report(ctx, &done);
    Ok(ExitCode::Success)
}

impl Report for Quarantined {
    fn text(&self) {
        for entry in &self.records {
            let state = if entry.quarantined {
                "quarantined"
            } else {
                "not yet quarantined"
            };
            say!(
                "{}: {state} ({} of {} trusted signers; record {})",
                entry.record,
                entry.approvals,
                entry.needed,
                entry.quarantine.short()
            );
        }
    }
}
