//! `log`.

use super::context::Context;
use super::output;
use super::output::say;
use crate::error::{ExitCode, Result};
use crate::store::Store;
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
    let config = ctx.config()?;
    let store = Store::new(ctx.repo(), config.ref_name())?;
    let history = store.history(args.max_count)?;
    if ctx.json {
        output::json(&history);
        return Ok(ExitCode::Success);
    }
    if history.is_empty() {
        say!(
            "{} does not exist yet; run `git auditops init`",
            store.ref_name()
        );
    }
    for t in &history {
        let merge = if t.parents.len() > 1 { " (merge)" } else { "" };
        say!(
            "{}  {}  {}{merge}  {}",
            &t.commit[..12],
            t.time,
            t.author,
            t.message
        );
    }
    Ok(ExitCode::Success)
}
