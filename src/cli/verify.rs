//! `verify`.

use super::context::Context;
use super::output::{self, say};
use crate::error::{Error, ExitCode, Result};
use crate::verify::{self, Report};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct VerifyArgs {
    /// Use this allowed_signers file instead of the one committed at HEAD.
    #[arg(long, value_name = "FILE")]
    trust: Option<PathBuf>,
    /// Check every record again, ignoring (and not updating) the local cache of
    /// records verified before (.git/auditops/verified).
    #[arg(long)]
    no_cache: bool,
    /// Succeed when the state ref does not exist (nothing to verify); without
    /// it that is exit 3, so that a CI job expecting a trail fails on none.
    #[arg(long)]
    allow_empty: bool,
}

pub fn run(ctx: &Context, args: VerifyArgs) -> Result<ExitCode> {
    let report = verify::verify(ctx, args.trust.as_deref(), !args.no_cache, args.allow_empty)?;
    output::report(ctx, &report);
    if report.ok {
        Ok(ExitCode::Success)
    } else {
        Err(Error::Verification(format!(
            "{} of {} records failed verification",
            report.failures.len(),
            report.records
        )))
    }
}

impl output::Report for Report {
    fn text(&self) {
        if self.empty {
            say!(
                "{}: does not exist; nothing to verify (allowed by --allow-empty)",
                self.scope
            );
            return;
        }
        for f in &self.failures {
            say!("FAIL  {}  {}: {}", f.id, f.kind, f.reason);
        }
        for w in &self.warnings {
            say!("warn  {}  {}: {}", w.id, w.kind, w.reason);
        }
        if !self.quarantined.is_empty() {
            say!(
                "quarantined ({}): set aside by trusted signers, not failures",
                self.quarantined.len()
            );
            for q in &self.quarantined {
                say!("  {}  {}: {}", q.id, q.kind, q.reason);
            }
        }
        let kinds: Vec<String> = self
            .kinds
            .iter()
            .map(|(k, n)| format!("{k}: {n}"))
            .collect();
        let kinds = if kinds.is_empty() {
            String::new()
        } else {
            format!(" ({})", kinds.join(", "))
        };
        let plural = if self.records == 1 { "" } else { "s" };
        say!(
            "{}: {} record{plural}{kinds} checked against {}: {}",
            self.scope,
            self.records,
            self.trust,
            if self.ok {
                "ok".to_owned()
            } else {
                format!("{} failed", self.failures.len())
            }
        );
        if self.cached > 0 {
            say!(
                "{} of them verified in an earlier run with the same trust list (local cache; --no-cache checks them again)",
                self.cached
            );
        }
    }
}
