//! `sync`, `outbox list` and `issue new`: the GitHub commands. Parsing and
//! printing only; the outbox and the executor do the work.

use super::context::Context;
use super::output::{self, Report, say};
use crate::error::{Error, ExitCode, Result};
use crate::github::report::SyncReport;
use crate::outbox::OpState;
use crate::outbox::issue::{self, NewIssue, Queued};
use crate::outbox::list::{self, Listing, Row};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum OutboxCommand {
    /// List the queued GitHub operations and what became of them, oldest first.
    List {
        /// Only operations that still have work to do.
        #[arg(long)]
        pending: bool,
    },
}

#[derive(Subcommand)]
pub enum IssueCommand {
    /// Queue a GitHub issue (created by the next `git auditops sync`). A second
    /// issue with the same key while the first is pending or open is a no-op.
    New(IssueNewArgs),
}

#[derive(Args)]
pub struct IssueNewArgs {
    /// The issue's title.
    #[arg(long, value_name = "T")]
    title: String,
    /// The issue's body (Markdown).
    #[arg(
        long,
        value_name = "TEXT",
        conflicts_with = "body_file",
        required_unless_present = "body_file"
    )]
    body: Option<String>,
    /// Read the body from FILE (`-` for standard input).
    #[arg(long, value_name = "F")]
    body_file: Option<PathBuf>,
    /// A label to add (repeatable).
    #[arg(long = "label", value_name = "L")]
    labels: Vec<String>,
    /// The dedupe key (default: derived from the title).
    #[arg(long, value_name = "K")]
    key: Option<String>,
    /// How many hits the issue reports (digests sort by it; default 1).
    #[arg(long, value_name = "N")]
    hits: Option<u64>,
    /// Where the hits were found (listed in digests).
    #[arg(long, value_name = "TEXT")]
    source: Option<String>,
    /// The repository, owner/name (default: [github] repo, else the remote's).
    #[arg(long, value_name = "OWNER/NAME")]
    repo: Option<String>,
}

pub fn outbox(ctx: &Context, command: OutboxCommand) -> Result<ExitCode> {
    let OutboxCommand::List { pending } = command;
    output::report(ctx, &list::list(ctx, pending)?);
    Ok(ExitCode::Success)
}

impl Report for Listing {
    fn text(&self) {
        if self.rows.is_empty() {
            say!("the outbox is empty");
        }
        for row in &self.rows {
            say!(
                "{}  {:<19} {:<9} {}{}",
                row.op_id,
                row.kind.as_str(),
                row.state.name(),
                row.about(),
                state_detail(row)
            );
        }
    }
}

/// Where an effect is: its URL, else `#<number>`, else nothing.
fn at(url: &Option<String>, number: Option<u64>) -> String {
    url.clone()
        .or(number.map(|n| format!("#{n}")))
        .unwrap_or_default()
}

/// The details of an operation's state, for its line in the listing.
fn state_detail(row: &Row) -> String {
    match &row.state {
        OpState::Done {
            number,
            url,
            detail,
        } => {
            let at = at(url, *number);
            match detail {
                Some(d) => format!(" -> {at} ({d})"),
                None => format!(" -> {at}"),
            }
        }
        OpState::Pending {
            attempts,
            last_error,
            ..
        } if *attempts > 0 => format!(
            " ({attempts} attempt(s); last: {})",
            last_error.as_deref().unwrap_or("?")
        ),
        OpState::Folded { into } => format!(" (in digest op {into})"),
        OpState::Proposed { number, since, .. } => {
            format!(" (closing proposed on #{number} at {since})")
        }
        OpState::Failed { error, attempts } => format!(" ({attempts} attempt(s): {error})"),
        OpState::Untrusted => " (not signed by a trusted key: will not run)".into(),
        OpState::Pending { .. } => String::new(),
    }
}

pub fn issue(ctx: &Context, command: IssueCommand) -> Result<ExitCode> {
    let IssueCommand::New(args) = command;
    let body = match (&args.body, &args.body_file) {
        (Some(body), _) => body.clone(),
        (None, Some(file)) => read_body(file)?,
        (None, None) => return Err(Error::Usage("give --body or --body-file".into())),
    };
    let new = NewIssue {
        title: args.title,
        body,
        labels: args.labels,
        key: args.key,
        hits: args.hits,
        source: args.source,
        repo: args.repo,
    };
    output::report(ctx, &issue::queue(ctx, new)?);
    Ok(ExitCode::Success)
}

impl Report for Queued {
    fn text(&self) {
        match self {
            Queued::Queued { op_id, .. } => {
                say!("queued issue as op {op_id}; `git auditops sync` creates it")
            }
            Queued::AlreadyPending { op_id, dedupe_key } => {
                say!("not queued: an issue with key `{dedupe_key}` is already queued (op {op_id})")
            }
            Queued::AlreadyOpen {
                op_id,
                dedupe_key,
                number,
                url,
            } => {
                let at = at(url, *number);
                say!("not queued: the issue with key `{dedupe_key}` is open: {at} (op {op_id})")
            }
        }
    }
}

fn read_body(file: &std::path::Path) -> Result<String> {
    use std::io::Read;
    let mut text = String::new();
    let result = if file.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text).map(drop)
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_string(&mut text).map(drop))
    };
    result.map_err(|err| Error::Usage(format!("cannot read {}: {err}", file.display())))?;
    Ok(text)
}

#[derive(Args)]
pub struct SyncArgs {
    /// Show what would be done; send no write request and record nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn sync(ctx: &Context, args: SyncArgs) -> Result<ExitCode> {
    let options = crate::github::sync::Options {
        dry_run: args.dry_run,
    };
    let report = crate::github::sync::run(ctx, options)?;
    output::report(ctx, &report);
    match report.error() {
        Some(err) => Err(err.into()),
        None => Ok(ExitCode::Success),
    }
}

impl Report for SyncReport {
    fn text(&self) {
        if self.dry_run {
            say!("dry run: nothing is sent to GitHub and nothing is recorded");
        }
        for op in &self.operations {
            let at = at(&op.url, op.number);
            let extra = op
                .error
                .as_deref()
                .or(op.note.as_deref())
                .map(|t| format!(" ({t})"))
                .unwrap_or_default();
            say!(
                "{:<17} {} {:<19} {}{extra}",
                op.result.as_str(),
                op.op_id,
                op.kind,
                at
            );
        }
        for note in &self.notes {
            say!("{note}");
        }
        let quota = self
            .quota
            .remaining
            .map(|r| format!("; {r} API requests left"))
            .unwrap_or_default();
        say!(
            "{} operation(s) handled, {} still pending{quota}",
            self.operations.len(),
            self.pending
        );
        for refusal in &self.refused {
            eprintln!(
                "refused {} {}: {}",
                refusal.op_id, refusal.kind, refusal.reason
            );
        }
    }
}
