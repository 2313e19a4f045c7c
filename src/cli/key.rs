//! `key generate` and `key show`.

use super::context::Context;
use super::output::{self, Report, say};
use crate::error::{ExitCode, Result};
use crate::setup::{self, KeyGenerated, KeyShown};
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
        KeyCommand::Generate { out } => {
            output::report(ctx, &setup::generate_key(ctx, out.as_deref())?);
        }
        KeyCommand::Show { signers_line } => {
            let shown = setup::show_key(ctx)?;
            match signers_line {
                true => say!("{}", shown.allowed_signers_line),
                false => output::report(ctx, &shown),
            }
        }
    }
    Ok(ExitCode::Success)
}

impl Report for KeyGenerated {
    fn text(&self) {
        say!("wrote {} (private, mode 0600)", self.private_key.display());
        say!("wrote {}", self.public_key_file.display());
        say!();
        say!("public key:  {}", self.public_key);
        say!("fingerprint: {}", self.fingerprint);
        say!("keyid:       {}", self.keyid);
        say!();
        say!(
            "To trust it, add this line to {} and commit:",
            self.allowed_signers
        );
        say!("{}", self.allowed_signers_line);
        if self.explicit {
            say!();
            say!(
                "To sign with it: git config auditops.signingKey {}",
                self.private_key.display()
            );
        }
    }
}

impl Report for KeyShown {
    fn text(&self) {
        say!("key:         {}", self.path.display());
        say!("found via:   {}", self.source.describe());
        say!("public key:  {}", self.public_key);
        say!("fingerprint: {}", self.fingerprint);
        say!("keyid:       {}", self.keyid);
        match self.trusted {
            true => say!("trusted:     yes, as {}", self.principals.join(", ")),
            false => say!("trusted:     no (not in the allowed_signers file committed at HEAD)"),
        }
    }
}
