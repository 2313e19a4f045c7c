//! `init` and `config check`.

use super::context::Context;
use super::output::{self, Report, say};
use crate::config::{self, ConfigError};
use crate::error::{ExitCode, Result};
use crate::init::Initialized;
use clap::{Args, Subcommand};

#[derive(Args)]
pub struct InitArgs {
    /// Do not install the git hooks.
    #[arg(long)]
    no_hooks: bool,
}

pub fn init(ctx: &Context, args: InitArgs) -> Result<ExitCode> {
    let initialized = crate::init::init(ctx, !args.no_hooks)?;
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
    let config = ctx.config()?;
    let Some(file) = &ctx.config_file() else {
        let workdir = crate::git::workdir(ctx.repo())?;
        return Err(ConfigError::Missing {
            file: workdir.join(config::FILE_NAME),
        }
        .into());
    };
    if ctx.json {
        output::json(&serde_json::json!({
            "ok": true,
            "file": file.display().to_string(),
            "version": config.version.get_ref(),
            "state_ref": config.ref_name(),
            "allowed_signers": config.allowed_signers(),
            "require_signed": config.trust.require_signed,
        }));
    } else {
        say!(
            "{}: ok (schema version {})",
            file.display(),
            config.version.get_ref()
        );
    }
    Ok(ExitCode::Success)
}
