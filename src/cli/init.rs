//! `init` and `config check`.

use super::context::Context;
use super::output::{self, Report, say};
use crate::config;
use crate::error::{ExitCode, Result};
use crate::setup::{ConfigChecked, Initialized, SigningKeyState};
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
        let file = &self.allowed_signers;
        match &self.signing_key {
            SigningKeyState::Missing => {
                say!("signing key: none found");
                say!(
                    "next: `git auditops key generate`, then add the allowed_signers line it \
prints to {file} and commit it"
                );
            }
            SigningKeyState::Unreadable { error } => {
                eprintln!("warning: signing key: {error}");
                say!(
                    "next: fix that key, or make another with `git auditops key generate --out \
PATH` and point `git config auditops.signingKey` at it"
                );
            }
            SigningKeyState::Found(key) => {
                say!(
                    "signing key: {} ({})",
                    key.path.display(),
                    key.source.describe()
                );
                match key.trusted {
                    true => {
                        say!("allowed_signers line: {}", key.allowed_signers_line);
                        say!(
                            "trusted at HEAD as {}: ready to sign",
                            key.principals.join(", ")
                        );
                    }
                    false => {
                        say!("not trusted at HEAD: {file} as committed does not list this key");
                        say!(
                            "next: add this line to {file} and commit it (trust is read from HEAD):"
                        );
                        say!("{}", key.allowed_signers_line);
                    }
                }
            }
        }
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
