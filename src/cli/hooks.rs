//! `hooks install|uninstall|status` and `hook NAME`, what the hook scripts call.

use super::context::Context;
use super::output::{self, Report, say};
use crate::error::{Error, ExitCode, Result};
use crate::hooks::{self, Action};
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
            output::report(ctx, &hooks::install(ctx.repo(), force)?);
        }
        HooksCommand::Uninstall {} => output::report(ctx, &hooks::uninstall(ctx.repo())?),
        HooksCommand::Status {} => output::report(ctx, &hooks::status(ctx.repo())?),
    }
    Ok(ExitCode::Success)
}

impl Report for hooks::Statuses {
    fn text(&self) {
        say!("hooks folder: {}", self.location.dir.display());
        if let Some(path) = &self.location.hooks_path {
            say!("core.hooksPath: {path}");
        }
        for s in &self.hooks {
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
    }
}

impl Report for hooks::Changes {
    fn text(&self) {
        for change in &self.changes {
            let note = match change.action {
                Action::Chained => " (the hook that was there is kept and runs first)",
                Action::Restored => " (the earlier hook is back)",
                Action::Left => " (not ours; left alone)",
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
}

/// `git-auditops hook NAME ARGS…`: run the kept hook, then our check.
pub fn hook(ctx: &Context, name: &str, args: &[String]) -> Result<ExitCode> {
    // Before reading standard input: `hook nonsense` at a terminal must not wait.
    hooks::check_name(name)?;
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(hooks::HookError::Input)?;
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
            let decisions = prepush::decide(ctx, &updates, config.policy.run_missing_gates)?;
            if decisions.iter().all(|d| d.allowed) {
                // Pending GitHub operations go out after the push, detached:
                // this never delays or fails the push.
                let started = crate::github::background::start_after_push(ctx);
                tracing::debug!(?started, "background sync");
                return Ok(ExitCode::Success);
            }
            eprint!("{}", prepush::explain(&decisions));
            Err(Error::Refused("push refused by git-auditops".into()))
        }
        other => Err(hooks::HookError::Unknown(other.to_owned()).into()),
    }
}
