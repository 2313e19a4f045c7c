//! `state push` and `state pull`.

use super::context::Context;
use super::output;
use super::output::say;
use crate::error::{Error, ExitCode, Result};
use crate::share;
use crate::sign::trust;
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
    let config = ctx.config()?;
    match command {
        StateCommand::Push { remote } => {
            let pushed = share::push(ctx.repo(), config, remote.as_deref())?;
            if ctx.json {
                output::json(&pushed);
            } else if pushed.outcome == "up_to_date" {
                say!("{} already has {}", pushed.remote, config.ref_name());
            } else {
                say!(
                    "pushed {} to {} ({})",
                    config.ref_name(),
                    pushed.remote,
                    &pushed.state_commit[..12]
                );
            }
            Ok(ExitCode::Success)
        }
        StateCommand::Pull {
            remote,
            trust: trust_file,
        } => {
            let json = ctx.json;
            let trust = trust::load(ctx.repo(), config.allowed_signers(), trust_file.as_deref())?;
            match share::pull(ctx.repo(), config, &trust, remote.as_deref())? {
                Ok(pulled) => {
                    if json {
                        output::json(&pulled);
                    } else {
                        for w in &pulled.warnings {
                            eprintln!("warning: {} {}: {}", w.id, w.kind, w.reason);
                        }
                        match pulled.outcome {
                            "remote_has_no_state" => {
                                say!("{} has no state yet; nothing to pull", pulled.remote)
                            }
                            "up_to_date" => say!("already up to date with {}", pulled.remote),
                            how => say!(
                                "{} records arrived from {} ({})",
                                pulled.arrived,
                                pulled.remote,
                                how.replace('_', "-")
                            ),
                        }
                    }
                    Ok(ExitCode::Success)
                }
                Err(report) => {
                    if json {
                        output::json(&report);
                    } else {
                        super::verify::print_report(&report, "incoming");
                    }
                    Err(Error::Verification(format!(
                        "{} incoming record(s) failed verification; nothing was merged",
                        report.failures.len()
                    )))
                }
            }
        }
    }
}
