//! `state push` and `state pull`.

use super::context::Context;
use super::output::{self, Report, say};
use crate::error::{Error, ExitCode, Result};
use crate::share::{self, PullOutcome, Pulled, PushOutcome, Pushed};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum StateCommand {
    /// Push the state ref to REMOTE (default: the current branch's remote, else
    /// origin). Never forces: if the remote moved on, pull first.
    Push { remote: Option<String> },
    /// Fetch REMOTE's state, verify every incoming record, then merge (fast-forward
    /// or union). Nothing is merged if any incoming record fails (exit 3).
    Pull {
        remote: Option<String>,
        /// Use this allowed_signers file instead of the one committed at HEAD.
        #[arg(long, value_name = "FILE")]
        trust: Option<PathBuf>,
    },
}

pub fn run(ctx: &Context, command: StateCommand) -> Result<ExitCode> {
    match command {
        StateCommand::Push { remote } => {
            let pushed = share::push(ctx, remote.as_deref())?;
            output::report(ctx, &pushed);
            Ok(ExitCode::Success)
        }
        StateCommand::Pull { remote, trust } => {
            match share::pull(ctx, remote.as_deref(), trust.as_deref())? {
                Ok(pulled) => {
                    output::report(ctx, &pulled);
                    Ok(ExitCode::Success)
                }
                Err(report) if !report.history.is_empty() => {
                    output::report(ctx, &report);
                    Err(Error::Verification(format!(
                        "the remote's state dropped records this clone has ({} problem(s) above): \
                         its history was rewritten; nothing was merged. Ask whoever rewrote it to \
                         push the full state back (`git auditops state push` from a clone that has it)",
                        report.history.len()
                    )))
                }
                Err(report) => {
                    output::report(ctx, &report);
                    Err(Error::Verification(format!(
                        "{} incoming record(s) failed verification; nothing was merged",
                        report.failures.len()
                    )))
                }
            }
        }
    }
}

impl Report for Pushed {
    fn text(&self) {
        match self.outcome {
            PushOutcome::UpToDate => say!("{} already has {}", self.remote, self.state_ref),
            PushOutcome::Pushed => say!(
                "pushed {} to {} ({})",
                self.state_ref,
                self.remote,
                self.state_commit.short()
            ),
        }
    }
}

impl Report for Pulled {
    fn text(&self) {
        for w in &self.warnings {
            eprintln!("warning: {} {}: {}", w.id, w.kind, w.reason);
        }
        for q in &self.quarantined {
            eprintln!("quarantined: {} {}: {}", q.id, q.kind, q.reason);
        }
        let how = match self.outcome {
            PullOutcome::RemoteHasNoState => {
                return say!("{} has no state yet; nothing to pull", self.remote);
            }
            PullOutcome::UpToDate => return say!("already up to date with {}", self.remote),
            PullOutcome::FastForward => "fast-forward",
            PullOutcome::Merged => "merged",
        };
        say!(
            "{} records arrived from {} ({how})",
            self.arrived,
            self.remote
        );
    }
}
