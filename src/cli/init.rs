//! `init` and `config check`.

use super::context::Context;
use super::output;
use super::output::say;
use crate::config::{self, Config, ConfigError};
use crate::error::{ExitCode, Result};
use crate::store::Store;
use clap::{Args, Subcommand};

#[derive(Args)]
pub struct InitArgs {
    /// Do not install the git hooks.
    #[arg(long)]
    no_hooks: bool,
}

#[derive(serde::Serialize)]
struct InitReport {
    config_file: String,
    config_written: bool,
    state_ref: String,
    state_created: bool,
    state_commit: String,
    /// What was done to each hook; empty with --no-hooks.
    hooks: Vec<crate::hooks::Change>,
    /// Why hooks were not installed, when they were not.
    hooks_skipped: Option<String>,
}

pub fn init(ctx: &Context, args: InitArgs) -> Result<ExitCode> {
    let workdir = crate::git::workdir(ctx.repo())?;
    let file = workdir.join(config::FILE_NAME);
    let config_written = !file.exists();
    let config = if config_written {
        std::fs::write(&file, config::TEMPLATE).map_err(|err| ConfigError::Read {
            file: file.clone(),
            message: err.to_string(),
        })?;
        Config::parse(config::TEMPLATE, &file)?
    } else {
        // An existing file is never rewritten, but it must be valid to go on.
        ctx.config()?.clone()
    };
    let store = Store::new(ctx.repo(), config.ref_name())?;
    let (tip, state_created) = store.init()?;
    let (hooks, hooks_skipped) = match args.no_hooks {
        true => (Vec::new(), Some("--no-hooks".to_owned())),
        false => match crate::hooks::install(ctx.repo(), false) {
            Ok((_, changes)) => (changes, None),
            // A shared hooks folder is the user's call, not init's.
            Err(err @ crate::hooks::HookError::OutsideRepository { .. }) => {
                (Vec::new(), Some(err.to_string()))
            }
            Err(err) => return Err(err.into()),
        },
    };
    let report = InitReport {
        config_file: file.display().to_string(),
        config_written,
        state_ref: config.ref_name().to_owned(),
        state_created,
        state_commit: tip.to_string(),
        hooks,
        hooks_skipped,
    };
    if ctx.json {
        output::json(&report);
        return Ok(ExitCode::Success);
    }
    match config_written {
        true => say!(
            "wrote {} (commit it: it is part of the audit trail)",
            config::FILE_NAME
        ),
        false => say!("kept the existing {}", config::FILE_NAME),
    }
    match state_created {
        true => say!("created {} at {}", report.state_ref, tip),
        false => say!("{} already exists at {}", report.state_ref, tip),
    }
    for change in &report.hooks {
        say!("hook {}: {}", change.hook, change.action);
    }
    if let Some(reason) = report.hooks_skipped.as_ref().filter(|_| !args.no_hooks) {
        eprintln!("warning: hooks not installed: {reason}");
    }
    say!(
        "next: `git auditops key generate` if you have no ed25519 key, then add its \
allowed_signers line to {} and commit it",
        config.allowed_signers()
    );
    Ok(ExitCode::Success)
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
