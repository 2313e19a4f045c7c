//! `failures [--since D]`: failure rates per category and the top signatures.

use super::context::Context;
use super::output::{self, Report, say};
use crate::alerts::Failures;
use crate::error::{ExitCode, Result};

#[derive(clap::Args)]
pub struct FailuresArgs {
    /// The rolling window (e.g. 24h, 7d).
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    since: String,
}

pub fn run(ctx: &Context, args: FailuresArgs) -> Result<ExitCode> {
    output::report(ctx, &crate::alerts::failures(ctx, Some(&args.since))?);
    Ok(ExitCode::Success)
}

impl Report for Failures {
    fn text(&self) {
        if self.categories.is_empty() {
            say!("no runs recorded in the last {}", self.since);
            return;
        }
        say!("failure rates over the last {}:", self.since);
        for c in &self.categories {
            say!(
                "  {:<15} {:>4} runs {:>4} failed {:>5.1}%  {}",
                c.category,
                c.runs,
                c.failures,
                c.rate * 100.0,
                c.severity.map(|s| s.to_string()).unwrap_or_default()
            );
        }
        if !self.top.is_empty() {
            say!("top signatures:");
            for t in &self.top {
                let first = t.signature.lines().nth(1).unwrap_or("");
                say!(
                    "  {} ×{:<3} {}  {first}",
                    t.sha256.short(),
                    t.count,
                    t.signature.lines().next().unwrap_or("")
                );
            }
        }
    }
}
