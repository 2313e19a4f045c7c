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
    /// How to report: text, json (the same as --json), or github (text, plus
    /// `::error` annotations and a table appended to $GITHUB_STEP_SUMMARY).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Check signatures on at most N threads (default: the available cores).
    /// The report is the same for any N.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
}

/// `verify --format`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Github,
}

pub fn run(ctx: &Context, args: VerifyArgs) -> Result<ExitCode> {
    let report = verify::verify_with(
        ctx,
        args.trust.as_deref(),
        !args.no_cache,
        args.allow_empty,
        args.jobs.map(usize::from),
    )?;
    let json = ctx.json || args.format == Format::Json;
    output::print(json, &report);
    if args.format == Format::Github {
        let github = crate::ci::github::verify_errors(&report);
        super::ci::workflow_commands(json, &github);
        crate::ci::github::append_summary(&crate::ci::github::verify_summary(&report))
            .map_err(Error::io("$GITHUB_STEP_SUMMARY"))?;
    }
    if report.ok {
        Ok(ExitCode::Success)
    } else if report.failures.is_empty() {
        Err(Error::Verification(format!(
            "the history of the state is not append-only or breaks the layout rules ({} problem(s))",
            report.history.len()
        )))
    } else {
        Err(Error::Verification(format!(
            "{} of {} records failed verification{}",
            report.failures.len(),
            report.records,
            if report.history.is_empty() {
                String::new()
            } else {
                format!(", and the history has {} problem(s)", report.history.len())
            }
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
        for h in &self.history {
            let parent = h
                .parent
                .map(|p| format!(" (parent {})", p.short()))
                .unwrap_or_default();
            say!(
                "FAIL  history  transaction {}{parent}: {}",
                h.commit.short(),
                h.reason
            );
        }
        for w in &self.warnings {
            say!("warn  {}  {}: {}", w.id, w.kind, w.reason);
        }
        for n in &self.notes {
            say!("note  {}  {}: {}", n.id, n.kind, n.reason);
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
            } else if self.history.is_empty() {
                format!("{} failed", self.failures.len())
            } else {
                format!(
                    "{} failed, {} history problem(s)",
                    self.failures.len(),
                    self.history.len()
                )
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
