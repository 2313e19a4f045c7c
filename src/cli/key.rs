//! `key generate` and `key show`.

use super::context::Context;
use super::output;
use super::output::say;
use crate::error::{Error, ExitCode, Result};
use crate::sign::{self, key, trust};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Create a new ed25519 key pair in OpenSSH format (private key mode 0600) and
    /// print the allowed_signers line to add. Never overwrites a file.
    Generate {
        /// Where to write the private key (the public key goes to PATH.pub).
        /// Default: ~/.ssh/id_ed25519, which is found without further config.
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
    },
    /// Show the signing key in use: where it was found, its keyid and fingerprint.
    Show {
        /// Print only the allowed_signers line for this key (principal: git's
        /// user.email), ready to append to the trust file.
        #[arg(long, conflicts_with = "json")]
        signers_line: bool,
    },
}

pub fn run(ctx: &Context, command: KeyCommand) -> Result<ExitCode> {
    match command {
        KeyCommand::Generate { out } => generate(ctx, out, ctx.json),
        KeyCommand::Show { signers_line } => show(ctx, ctx.json, signers_line),
    }
}

fn principal(ctx: &Context) -> String {
    ctx.repo()
        .config_snapshot()
        .string("user.email")
        .map(|e| e.to_string())
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| {
            let user = std::env::var("USER").unwrap_or_else(|_| "auditor".into());
            format!("{user}@localhost")
        })
}

fn allowed_signers_line(principal: &str, public: &sign::PublicKey) -> String {
    format!(
        "{principal} namespaces=\"{}\" {}",
        trust::NAMESPACE,
        public.openssh()
    )
}

fn generate(ctx: &Context, out: Option<PathBuf>, json: bool) -> Result<ExitCode> {
    let explicit = out.is_some();
    let path = out
        .or_else(key::default_key_path)
        .ok_or_else(|| Error::Usage("HOME is not set; pass --out PATH".into()))?;
    let principal = principal(ctx);
    let generated = key::generate(&path, &principal)?;
    let line = allowed_signers_line(&principal, &generated.public);
    let signers_path = ctx
        .config()
        .map(|c| c.allowed_signers().to_owned())
        .unwrap_or_else(|_| crate::config::DEFAULT_ALLOWED_SIGNERS.to_owned());
    if json {
        output::json(&serde_json::json!({
            "private_key": generated.private_path.display().to_string(),
            "public_key_file": generated.public_path.display().to_string(),
            "public_key": format!("{} {}", generated.public.openssh(), generated.comment),
            "keyid": generated.public.keyid(),
            "fingerprint": generated.public.fingerprint(),
            "allowed_signers_line": line,
        }));
        return Ok(ExitCode::Success);
    }
    say!(
        "wrote {} (private, mode 0600)",
        generated.private_path.display()
    );
    say!("wrote {}", generated.public_path.display());
    say!();
    say!(
        "public key:  {} {}",
        generated.public.openssh(),
        generated.comment
    );
    say!("fingerprint: {}", generated.public.fingerprint());
    say!("keyid:       {}", generated.public.keyid());
    say!();
    say!("To trust it, add this line to {signers_path} and commit:");
    say!("{line}");
    if explicit {
        say!();
        say!(
            "To sign with it: git config auditops.signingKey {}",
            generated.private_path.display()
        );
    }
    Ok(ExitCode::Success)
}

fn show(ctx: &Context, json: bool, signers_line: bool) -> Result<ExitCode> {
    let key = key::find(ctx.repo())?;
    if signers_line {
        say!("{}", allowed_signers_line(&principal(ctx), &key.public));
        return Ok(ExitCode::Success);
    }
    let trusted = ctx
        .config()
        .ok()
        .and_then(|c| trust::load(ctx.repo(), c.allowed_signers(), None).ok())
        .and_then(|set| match set.key(&key.public.keyid(), None) {
            trust::KeyLookup::Trusted(k) => Some(k.signer.principals.clone()),
            _ => None,
        });
    if json {
        output::json(&serde_json::json!({
            "path": key.path.display().to_string(),
            "source": key.source,
            "keyid": key.public.keyid(),
            "fingerprint": key.public.fingerprint(),
            "public_key": key.public.openssh(),
            "trusted": trusted.is_some(),
            "principals": trusted.clone().unwrap_or_default(),
        }));
        return Ok(ExitCode::Success);
    }
    say!("key:         {}", key.path.display());
    say!("found via:   {}", key.source.describe());
    say!("public key:  {}", key.public.openssh());
    say!("fingerprint: {}", key.public.fingerprint());
    say!("keyid:       {}", key.public.keyid());
    match trusted {
        Some(principals) => say!("trusted:     yes, as {}", principals.join(", ")),
        None => say!("trusted:     no (not in the allowed_signers file committed at HEAD)"),
    }
    Ok(ExitCode::Success)
}
