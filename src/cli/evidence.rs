//! `evidence add`, `evidence list`, `evidence export`.

use super::context::Context;
use super::output::{self, Report, say};
use crate::error::{ExitCode, Result};
use crate::evidence::record::{self, Recorded};
use crate::evidence::{self, LineRange};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum EvidenceCommand {
    /// Record lines of a committed file as signed evidence; prints the record id.
    ///
    /// With phases configured, --phase must be one of them. The same evidence (commit,
    /// file, lines, phase, description) is recorded once: adding it again prints the
    /// existing record's id and writes nothing.
    ///
    /// The lines are read from PATH as committed at REV, never from the working tree.
    /// Probable secrets are redacted from the stored snippet; its sha256 is of the
    /// original lines, so `verify` can recompute it from git.
    Add {
        /// The phase this evidence belongs to.
        #[arg(long)]
        phase: u32,
        /// The file, relative to the current directory or the repository root.
        #[arg(long, value_name = "PATH")]
        file: String,
        /// The lines to quote, 1-based and inclusive: A-B (or A).
        #[arg(long, value_name = "A-B")]
        lines: LineRange,
        /// What the lines show.
        #[arg(long, value_name = "TEXT")]
        description: String,
        /// The evidence id (default: generated, EV-<phase>-<hash>).
        #[arg(long, value_name = "ID")]
        id: Option<String>,
        /// The commit to read the file from.
        #[arg(long, value_name = "REV", default_value = "HEAD")]
        rev: String,
    },
    /// List recorded evidence, oldest first.
    List {
        /// Only this phase.
        #[arg(long)]
        phase: Option<u32>,
    },
    /// Print the signed envelopes as JSONL, one per line, for external verifiers.
    Export {
        /// Only this phase.
        #[arg(long)]
        phase: Option<u32>,
    },
}

pub fn run(ctx: &Context, command: EvidenceCommand) -> Result<ExitCode> {
    match command {
        EvidenceCommand::Add {
            phase,
            file,
            lines,
            description,
            id,
            rev,
        } => {
            let file = crate::git::repo_relative(ctx.repo(), &file)?;
            let request = evidence::Request {
                phase,
                file: &file,
                lines,
                description: &description,
                id: id.as_deref(),
                rev: &rev,
            };
            let recorded = record::add(ctx, &request)?;
            output::report(ctx, &recorded);
        }
        EvidenceCommand::List { phase } => {
            // Printed as read: a listing of 300,000 records holds one at a time.
            let mut listing = output::Stream::new(ctx.json);
            let mut unreadable = Vec::new();
            record::for_each(ctx, phase, |item| match item {
                Ok(listed) => listing.item(&listed, listed_line),
                Err(id) => unreadable.push(id),
            })?;
            listing.finish("no evidence recorded");
            for id in &unreadable {
                eprintln!(
                    "warning: record {id} is not readable evidence; run `git auditops verify`"
                );
            }
        }
        EvidenceCommand::Export { phase } => {
            let exported = record::export(ctx, phase, &mut std::io::stdout().lock())?;
            for id in &exported.unreadable {
                eprintln!("warning: record {id} is not readable evidence and was not exported")
            }
        }
    }
    Ok(ExitCode::Success)
}

impl Report for Recorded {
    fn text(&self) {
        say!("{}", self.id);
        if self.already_recorded {
            eprintln!(
                "already recorded as {} (record {}); nothing written",
                self.evidence_id,
                self.id.short()
            );
            return;
        }
        match &self.keyid {
            Some(keyid) => eprintln!("recorded {} signed by {keyid}", self.evidence_id),
            None => eprintln!(
                "recorded {} UNSIGNED (no key; require_signed = false)",
                self.evidence_id
            ),
        }
    }
}

/// One line of `evidence list`.
fn listed_line(listed: &record::Listed) -> String {
    let e = &listed.evidence;
    let unsigned = match listed.keyid {
        None => "  (unsigned)",
        Some(_) => "",
    };
    format!(
        "{}  {}  phase {}  {}:{}  {}{unsigned}",
        listed.id.short(),
        e.evidence_id,
        e.phase,
        e.file,
        e.lines,
        e.description,
    )
}
