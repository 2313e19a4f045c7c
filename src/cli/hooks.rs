//! `hooks install|uninstall|status` and `hook NAME`, what the hook scripts call.

use super::context::Context;
use super::output::{self, Report, say};
use crate::error::{Error, ExitCode, Result};
use crate::hooks::{self, Action, HookError};
use crate::phase::prepush;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum HooksCommand {
    /// Install the git hooks (pre-push, post-commit, post-checkout, post-merge,
    /// post-rewrite). An existing hook is kept and run first.
    Install {
        /// Install even when the hooks folder is outside this repository
        /// (a global core.hooksPath shared by other repositories).
        #[arg(long)]
        force: bool,
    },
    /// Remove our hooks and put back the ones they replaced, byte for byte; stops
    /// the daemon.
    Uninstall {},
    /// Report missing, outdated, foreign and bypassed hooks.
    Status {},
}

pub fn run(ctx: &Context, command: HooksCommand) -> Result<ExitCode> {
    match command {
        HooksCommand::Install { force } => {
            output::report(ctx, &hooks::install(ctx.repo(), force)?);
        }
        HooksCommand::Uninstall {} => {
            let changes = hooks::uninstall(ctx.repo())?;
            // Without its hooks the daemon would only go stale.
            if let Err(err) = crate::daemon::stop(ctx.repo()) {
                eprintln!("warning: {err}");
            }
            output::report(ctx, &changes);
        }
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

/// `git-auditops hook NAME ARGS…` as the hook scripts call it, read from the
/// process's arguments without clap: every push and commit runs it, and
/// building clap's whole command tree is a good part of its start-up. An event
/// hook (post-commit, …) also runs without the workspace when it can
/// (`hooks::run_event`). `None` for any other command line (global flags, a
/// name that is not a managed hook, `--help`): clap and [`hook`] take it.
pub fn hook_without_clap() -> Option<i32> {
    let mut args = std::env::args_os().skip(1);
    if args.next()? != "hook" {
        return None;
    }
    let name = args.next()?.into_string().ok()?;
    if !hooks::MANAGED.iter().any(|(managed, _)| *managed == name) {
        return None;
    }
    let rest = args
        .map(std::ffi::OsString::into_string)
        .collect::<std::result::Result<Vec<_>, _>>()
        .ok()?;
    let result = match hooks::run_event(&name, &rest, std::io::stdin().lock()) {
        Some(outcome) => outcome.map(|outcome| {
            tracing::debug!(daemon = ?outcome.daemon, "event hook done");
            ExitCode::Success
        }),
        None => std::env::current_dir()
            .map_err(Error::io("the current directory"))
            .and_then(|cwd| crate::workspace::Workspace::open(&cwd))
            .and_then(|ws| hook(&Context { ws, json: false }, &name, &rest)),
    };
    Some(match result {
        Ok(code) => code as i32,
        Err(err) => {
            super::report_error(&err);
            err.exit_code() as i32
        }
    })
}

/// `git-auditops hook NAME ARGS…`: run the kept hook, then our check. A refused
/// push is explained on stderr first, then fails as `push refused by git-auditops`.
pub fn hook(ctx: &Context, name: &str, args: &[String]) -> Result<ExitCode> {
    let outcome = hooks::run(ctx, name, args, std::io::stdin().lock()).inspect_err(|err| {
        if let Error::Hook(HookError::PushRefused { decisions }) = err {
            eprint!("{}", prepush::explain(decisions));
        }
    })?;
    tracing::debug!(started = ?outcome.background, daemon = ?outcome.daemon, "hook done");
    Ok(ExitCode::Success)
}
