//! `hooks install|uninstall|status` and `hook NAME`, what the hook scripts call.

use super::context::Context;
use super::output;
use super::output::say;
use crate::error::{Error, ExitCode, Result};
use crate::hooks;
use crate::phase::prepush;
use clap::Subcommand;
use std::io::Read;

#[derive(Subcommand)]
pub enum HooksCommand {
    /// Install the git hooks (pre-push). An existing hook is kept and run first.
    Install {
        /// Install even when the hooks folder is outside this repository
        /// (a global core.hooksPath shared by other repositories).
        #[arg(long)]
        force: bool,
    },
    /// Remove our hooks and put back the ones they replaced, byte for byte.
    Uninstall {},
    /// Report missing, outdated, foreign and bypassed hooks.
    Status {},
}

pub fn run(ctx: &Context, command: HooksCommand) -> Result<ExitCode> {
    match command {
        HooksCommand::Install { force } => {
            let (location, changes) = hooks::install(ctx.repo(), force)?;
            print_changes(&location, &changes, ctx.json);
            Ok(ExitCode::Success)
        }
        HooksCommand::Uninstall {} => {
            let (location, changes) = hooks::uninstall(ctx.repo())?;
            print_changes(&location, &changes, ctx.json);
            Ok(ExitCode::Success)
        }
        HooksCommand::Status {} => {
            let (location, statuses) = hooks::status(ctx.repo())?;
            if ctx.json {
                output::json(&serde_json::json!({ "location": location, "hooks": statuses }));
                return Ok(ExitCode::Success);
            }
            say!("hooks folder: {}", location.dir.display());
            if let Some(path) = &location.hooks_path {
                say!("core.hooksPath: {path}");
            }
            for s in &statuses {
                let chained = if s.chained {
                    " (runs the earlier hook first)"
                } else {
                    ""
                };
                say!("{:<10} {}{chained}", s.hook, s.state);
                if let Some(reason) = &s.reason {
                    say!("           {reason}");
                }
            }
            Ok(ExitCode::Success)
        }
    }
}

pub fn print_changes(location: &hooks::Location, changes: &[hooks::Change], json: bool) {
    if json {
        output::json(&serde_json::json!({ "location": location, "changes": changes }));
        return;
    }
    for change in changes {
        let note = match change.action {
            "chained" => " (the hook that was there is kept and runs first)",
            "restored" => " (the earlier hook is back)",
            "left" => " (not ours; left alone)",
            _ => "",
        };
        say!(
            "{:<10} {}{note}: {}",
            change.hook,
            change.action,
            change.path.display()
        );
    }
}

/// `git-auditops hook NAME ARGS…`: run the kept hook, then our check.
pub fn hook(ctx: &Context, name: &str, args: &[String]) -> Result<ExitCode> {
    // Before reading standard input: `hook nonsense` at a terminal must not wait.
    hooks::check_name(name)?;
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| Error::Usage(format!("cannot read the hook's input: {e}")))?;
    if let Some(status) = hooks::run_chained(ctx.repo(), name, args, &input)?
        && !status.success()
    {
        return Err(Error::Refused(format!(
            "the earlier {name} hook refused ({status})"
        )));
    }
    match name {
        "pre-push" => {
            let config = ctx.config()?;
            let updates = prepush::parse_updates(&input)?;
            let trust = ctx.trust()?;
            let decisions = prepush::decide(ctx, &updates, config.policy.run_missing_gates)?;
            if decisions.iter().all(|d| d.allowed) {
                // Pending GitHub operations go out after the push, detached:
                // this never delays or fails the push.
                let started =
                    crate::github::background::start_after_push(ctx.repo(), config, trust);
                tracing::debug!(?started, "background sync");
                return Ok(ExitCode::Success);
            }
            eprint!("{}", prepush::explain(&decisions));
            Err(Error::Refused("push refused by git-auditops".into()))
        }
        other => Err(hooks::HookError::Unknown(other.to_owned()).into()),
    }
}
