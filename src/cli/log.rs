//! `log`: the transactions of the state ref, newest first.

use super::context::Context;
use super::output::{self, Report, say};
use crate::error::{ExitCode, Result};
use crate::store::History;
use clap::Args;

#[derive(Args)]
pub struct LogArgs {
    /// Show at most N transactions.
    #[arg(
        short = 'n',
        long = "max-count",
        value_name = "N",
        default_value_t = 50
    )]
    max_count: usize,
}

pub fn run(ctx: &Context, args: LogArgs) -> Result<ExitCode> {
    let history = ctx.store()?.history(args.max_count)?;
    output::report(ctx, &history);
    Ok(ExitCode::Success)
}

impl Report for History {
    fn text(&self) {
        if self.transactions.is_empty() {
            say!(
                "{} does not exist yet; run `git auditops init`",
                self.ref_name
            );
        }
        for t in &self.transactions {
            let merge = if t.parents.len() > 1 { " (merge)" } else { "" };
            let time = t.time.map(|t| t.to_string()).unwrap_or_default();
            say!(
                "{}  {time}  {}{merge}  {}",
                t.commit.short(),
                t.author,
                t.message
            );
        }
    }
}
