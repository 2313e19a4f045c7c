//! `init` and `config check`.

use super::context::Context;
use super::output::{self, Report, say};
use crate::config;
use crate::error::{ExitCode, Result};
use crate::setup::{ConfigChecked, Initialized};
use clap::{Args, Subcommand};

#[derive(Args)]
pub struct InitArgs {
    /// Do not install the git hooks.
    #[arg(long)]
    no_hooks: bool,
}

pub fn init(ctx: &Context, args: InitArgs) -> Result<ExitCode> {
    let initialized = crate::setup::init(ctx, !args.no_hooks, &super::man::pages())?;
    output::report(ctx, &initialized);
    Ok(ExitCode::Success)
}

impl Report for Initialized {
    fn text(&self) {
        match self.config_written {
            true => say!(
                "wrote {} (commit it: it is part of the audit trail)",
                config::FILE_NAME
            ),
            false => say!("kept the existing {}", config::FILE_NAME),
        }
        match self.state_created {
            true => say!("created {} at {}", self.state_ref, self.state_commit),
            false => say!("{} already exists at {}", self.state_ref, self.state_commit),
        }
        for change in &self.hooks {
            say!("hook {}: {}", change.hook, change.action);
        }
        super::man::report_setup(&self.manual);
        if let Some(reason) = self.hooks_skipped.as_ref().filter(|_| self.hooks_requested) {
            eprintln!("warning: hooks not installed: {reason}");
        }
        say!(
            "next: `git auditops key generate` if you have no ed25519 key, then add its \
allowed_signers line to {} and commit it",
            self.allowed_signers
        );
    }
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Validate .auditops.toml; errors name the file, line and key (exit 2).
    Check {},
}

pub fn config(ctx: &Context, command: ConfigCommand) -> Result<ExitCode> {
    let ConfigCommand::Check {} = command;
    output::report(ctx, &crate::setup::check_config(ctx)?);
    Ok(ExitCode::Success)
}

impl Report for ConfigChecked {
    fn text(&self) {
        say!("{}: ok (schema version {})", self.file, self.version);
        let kinds = [("gate", &self.gates), ("validator", &self.validators)];
        for (kind, checks) in kinds {
            for check in checks {
                let how = if check.category_inferred {
                    " (inferred)"
                } else {
                    ""
                };
                say!("{kind} {}: category {}{how}", check.id, check.category);
            }
        }
        let mut all = self.gates.iter().chain(&self.validators);
        if all.any(|c| c.category_inferred) {
            say!(
                "inferred categories come from `run` (see docs/configuration.md); \
set `category` to choose another"
            );
        }
    }
}
