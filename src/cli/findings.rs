//! `findings import`, `findings list`, `findings show`.

use super::context::Context;
use super::output::{self, Report, say};
use crate::error::{ExitCode, Result};
use crate::findings::import::Input;
use crate::findings::read::Shown;
use crate::findings::{FindingsError, Imported, Listed, State};
use clap::{Subcommand, ValueEnum};
use std::io::Read;

#[derive(Subcommand)]
pub enum FindingsCommand {
    /// Import SARIF 2.1.0 files (`-` for standard input) as signed scan and finding records.
    ///
    /// Every run of every file is read first; a malformed file is refused with the JSON
    /// path of the problem and nothing is recorded. Runs of the same tool and automation
    /// id are one scan. Importing the same results again records nothing and says so.
    Import {
        /// SARIF files, or `-` for standard input.
        #[arg(value_name = "FILE", required = true)]
        files: Vec<String>,
        /// The tool's name to record (default: `tool.driver.name`).
        #[arg(long, value_name = "NAME")]
        tool: Option<String>,
        /// The commit that was scanned; regions are read from it.
        #[arg(long, value_name = "REV")]
        rev: Option<String>,
    },
    /// List findings, most serious first.
    List {
        /// Which findings.
        #[arg(long, value_enum, default_value = "open")]
        state: StateArg,
        /// Only this tool's.
        #[arg(long, value_name = "T")]
        tool: Option<String>,
        /// Only this rule's.
        #[arg(long, value_name = "R")]
        rule: Option<String>,
    },
    /// Show one finding with its history (by id or fingerprint prefix), or one scan.
    Show {
        /// A finding's id (at least 8 hex digits) or a scan id.
        id: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum StateArg {
    Open,
    Resolved,
    All,
}

fn read_input(name: &str) -> Result<Input> {
    let failed = |source| FindingsError::Read {
        file: name.to_owned(),
        source,
    };
    let bytes = if name == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(failed)?;
        bytes
    } else {
        std::fs::read(name).map_err(failed)?
    };
    Ok(Input {
        name: name.to_owned(),
        bytes,
    })
}

pub fn run(ctx: &Context, command: FindingsCommand) -> Result<ExitCode> {
    match command {
        FindingsCommand::Import { files, tool, rev } => {
            let inputs = files
                .iter()
                .map(|f| read_input(f))
                .collect::<Result<Vec<_>>>()?;
            let imported = crate::findings::import(ctx, &inputs, tool.as_deref(), rev.as_deref())?;
            output::report(ctx, &imported);
        }
        FindingsCommand::List { state, tool, rule } => {
            let state = match state {
                StateArg::Open => State::Open,
                StateArg::Resolved => State::Resolved,
                StateArg::All => State::All,
            };
            let listed = crate::findings::list(ctx, state, tool.as_deref(), rule.as_deref())?;
            output::report(ctx, &Listing(listed));
        }
        FindingsCommand::Show { id } => {
            output::report(ctx, &crate::findings::show(ctx, &id)?);
        }
    }
    Ok(ExitCode::Success)
}

impl Report for Imported {
    fn text(&self) {
        if self.scans.is_empty() && !self.already_imported.is_empty() {
            say!(
                "nothing new: the same results as scan {} at this commit; nothing recorded",
                self.already_imported.join(", ")
            );
            return;
        }
        say!(
            "imported {} result(s): {} new, {} unchanged, {} resolved, {} reopened",
            self.total,
            self.new,
            self.unchanged,
            self.resolved,
            self.reopened
        );
        for scan in &self.scans {
            say!("scan {scan}");
        }
        for scan in &self.already_imported {
            say!("unchanged since scan {scan}: not recorded again");
        }
        if !self.queued.is_empty() {
            say!(
                "queued {} GitHub operation(s); `git auditops sync` carries them out",
                self.queued.len()
            );
        }
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct Listing(Vec<Listed>);

impl Report for Listing {
    fn text(&self) {
        if self.0.is_empty() {
            say!("no findings");
        }
        for f in &self.0 {
            let place = f
                .locations
                .first()
                .map(|l| match l.start_line {
                    Some(line) => format!("{}:{line}", l.path),
                    None => l.path.clone(),
                })
                .unwrap_or_default();
            let message: String = f
                .message
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(80)
                .collect();
            say!(
                "{}  {:<8} {:<8} {}/{}  {place}  {message}",
                f.id,
                f.state.as_str(),
                f.level.as_str(),
                f.tool,
                f.rule
            );
        }
    }
}

impl Report for Shown {
    fn text(&self) {
        match self {
            Shown::Finding {
                finding: f,
                history,
            } => {
                say!("finding      {}", f.id());
                say!("fingerprint  {}", f.fingerprint.to_hex());
                say!("tool         {} (automation `{}`)", f.tool, f.automation_id);
                say!("rule         {}", f.rule);
                say!("level        {}", f.level);
                say!("state        {}", f.state.as_str());
                say!("first seen   {}", f.first_seen);
                say!("last seen    {}", f.last_seen);
                for l in &f.locations {
                    match l.start_line {
                        Some(line) => say!("location     {}:{line}", l.path),
                        None => say!("location     {}", l.path),
                    }
                    if let Some(snippet) = &l.snippet {
                        for line in snippet.lines() {
                            say!("    {line}");
                        }
                    }
                }
                say!("message      {}", f.message);
                for rev in history {
                    say!(
                        "history      {} {} scan {} at {}",
                        rev.last_seen,
                        rev.state.as_str(),
                        rev.scan,
                        rev.commit.short()
                    );
                }
            }
            Shown::Scan { scan } => {
                say!("scan         {}", scan.scan_id);
                say!(
                    "tool         {}{}",
                    scan.tool,
                    scan.tool_version
                        .as_deref()
                        .map(|v| format!(" {v}"))
                        .unwrap_or_default()
                );
                say!("automation   `{}`", scan.automation_id);
                say!("commit       {}", scan.commit);
                say!("run          {}", scan.run_id);
                say!("time         {}", scan.timestamp);
                let c = scan.counts;
                say!(
                    "results      {} ({} new, {} unchanged, {} resolved, {} reopened)",
                    c.total,
                    c.new,
                    c.unchanged,
                    c.resolved,
                    c.reopened
                );
            }
        }
    }
}
