//! `evidence add`, `evidence list`, `evidence export`.

use super::context::Context;
use super::output;
use super::output::say;
use crate::error::{Error, ExitCode, Result};
use crate::evidence::{self, LineRange, record};
use clap::Subcommand;
use std::io::Write;

#[derive(Subcommand)]
pub enum EvidenceCommand {
    /// Record lines of a committed file as signed evidence; prints the record id.
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
        lines: String,
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
            let lines: LineRange = lines
                .parse()
                .map_err(|msg: String| Error::Usage(format!("--lines: {msg}")))?;
            let file = crate::git::repo_relative(ctx.repo(), &file)?;
            let request = evidence::Request {
                phase,
                file: &file,
                lines,
                description: &description,
                id: id.as_deref(),
                rev: &rev,
            };
            let recorded = record::add(ctx.repo(), ctx.config()?, &request)?;
            if ctx.json {
                output::json(&recorded);
            } else {
                say!("{}", recorded.id);
                match &recorded.keyid {
                    Some(keyid) => eprintln!("recorded {} signed by {keyid}", recorded.evidence_id),
                    None => eprintln!(
                        "recorded {} UNSIGNED (no key; require_signed = false)",
                        recorded.evidence_id
                    ),
                }
            }
            Ok(ExitCode::Success)
        }
        EvidenceCommand::List { phase } => {
            let (listed, unreadable) = record::list(ctx.repo(), ctx.config()?, phase)?;
            for id in &unreadable {
                eprintln!(
                    "warning: record {id} is not readable evidence; run `git auditops verify`"
                );
            }
            if ctx.json {
                let rows: Vec<serde_json::Value> = listed
                    .iter()
                    .map(|l| {
                        let mut row =
                            serde_json::to_value(&l.evidence).expect("evidence serializes");
                        row["id"] = l.id.to_hex().into();
                        row["keyid"] = l.keyid.clone().into();
                        row
                    })
                    .collect();
                output::json(&rows);
            } else if listed.is_empty() {
                say!("no evidence recorded");
            } else {
                for l in &listed {
                    let e = &l.evidence;
                    say!(
                        "{}  {}  phase {}  {}:{}  {}{}",
                        l.id.short(),
                        e.evidence_id,
                        e.phase,
                        e.file,
                        e.lines,
                        e.description,
                        if l.keyid.is_none() {
                            "  (unsigned)"
                        } else {
                            ""
                        }
                    );
                }
            }
            Ok(ExitCode::Success)
        }
        EvidenceCommand::Export { phase } => {
            let mut stdout = std::io::stdout().lock();
            let mut reader_gone = false;
            record::for_each(ctx.repo(), ctx.config()?, phase, |item| match item {
                Ok(listed) if !reader_gone => {
                    // A reader that went away (`| head`) ends the export quietly.
                    reader_gone = stdout
                        .write_all(&listed.line)
                        .and_then(|_| stdout.write_all(b"\n"))
                        .is_err();
                }
                Ok(_) => {}
                Err(id) => {
                    eprintln!("warning: record {id} is not readable evidence and was not exported")
                }
            })?;
            Ok(ExitCode::Success)
        }
    }
}
