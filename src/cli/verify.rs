//! `verify`.

use super::context::Context;
use super::output;
use super::output::say;
use crate::error::{Error, ExitCode, Result};
use crate::sign::trust;
use crate::store::Store;
use crate::verify::cache::VerifiedCache;
use crate::verify::{self, Policy, Report};
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
}

pub fn run(ctx: &Context, args: VerifyArgs) -> Result<ExitCode> {
    let config = ctx.config()?;
    let trust = trust::load(ctx.repo(), config.allowed_signers(), args.trust.as_deref())?;
    let store = Store::new(ctx.repo(), config.ref_name())?;
    let report = match store.view()? {
        Some(view) => verify::verify_state(
            ctx.repo(),
            config,
            &view,
            Policy {
                trust: &trust,
                require_signed: config.trust.require_signed,
                missing_commit_fails: true,
                cache: (!args.no_cache)
                    .then(|| VerifiedCache::load(VerifiedCache::path(ctx.repo()))),
            },
        )?,
        None => Report {
            ok: true,
            trust: trust.source.clone(),
            ..Report::default()
        },
    };
    if ctx.json {
        output::json(&report);
    } else {
        print_report(&report, store.ref_name());
    }
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

pub fn print_report(report: &Report, ref_name: &str) {
    for f in &report.failures {
        say!("FAIL  {}  {}: {}", f.id, f.kind, f.reason);
    }
    for w in &report.warnings {
        say!("warn  {}  {}: {}", w.id, w.kind, w.reason);
    }
    let kinds: Vec<String> = report
        .kinds
        .iter()
        .map(|(k, n)| format!("{k}: {n}"))
        .collect();
    let kinds = if kinds.is_empty() {
        String::new()
    } else {
        format!(" ({})", kinds.join(", "))
    };
    let plural = if report.records == 1 { "" } else { "s" };
    say!(
        "{}: {} record{plural}{kinds} checked against {}: {}",
        ref_name,
        report.records,
        report.trust,
        if report.ok {
            "ok".to_owned()
        } else {
            format!("{} failed", report.failures.len())
        }
    );
    if report.cached > 0 {
        say!(
            "{} of them verified in an earlier run with the same trust list (local cache; --no-cache checks them again)",
            report.cached
        );
    }
}
