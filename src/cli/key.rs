//! `key generate` and `key show`.

use super::context::Context;
use super::output::{self, Report, say};
use crate::error::{ExitCode, Result};
use crate::setup::{self, KeyGenerated, KeyShown, PassphraseChoice, PassphraseInput};
use crate::sign::key::PASSPHRASE_ENV;
use clap::Subcommand;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Create a new ed25519 key pair in OpenSSH format (private key mode 0600) and
    /// print the allowed_signers line to add. Never overwrites a file. On a
    /// terminal, asks for an optional passphrase (empty for none);
    /// AUDITOPS_KEY_PASSPHRASE, when set, is used instead of asking.
    Generate {
        /// Where to write the private key (the public key goes to PATH.pub).
        /// Default: ~/.ssh/id_ed25519, which is found without further config.
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// Do not ask for a passphrase: write the key unencrypted (for scripts).
        #[arg(long)]
        no_passphrase: bool,
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
        KeyCommand::Generate { out, no_passphrase } => {
            // The prompt is the CLI's: only on a terminal, read without echo.
            let mut prompt = |question: &str| rpassword::prompt_password(question);
            let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
            let passphrase = match (no_passphrase, terminal) {
                (true, _) => PassphraseInput::Refused,
                (false, true) => PassphraseInput::Ask(Some(&mut prompt)),
                (false, false) => PassphraseInput::Ask(None),
            };
            output::report(ctx, &setup::generate_key(ctx, out.as_deref(), passphrase)?);
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
        say!("passphrase:  {}", passphrase_text(self));
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

/// Which passphrase choice was made, and why, for people.
fn passphrase_text(generated: &KeyGenerated) -> String {
    let chosen = match generated.passphrase_protected {
        true => "protected by a passphrase",
        false => "no passphrase",
    };
    let why = match (generated.passphrase_from, generated.passphrase_protected) {
        (PassphraseChoice::NoPassphraseFlag, _) => "--no-passphrase".to_owned(),
        (PassphraseChoice::Environment, _) => format!("from {PASSPHRASE_ENV}"),
        (PassphraseChoice::Prompt, true) => "typed at the prompt".to_owned(),
        (PassphraseChoice::Prompt, false) => "none was typed".to_owned(),
        (PassphraseChoice::NotATerminal, _) => format!(
            "standard input is not a terminal, so none was asked for; set {PASSPHRASE_ENV} \
to protect a new key"
        ),
    };
    let signing = match generated.passphrase_protected {
        true => format!("; signing reads {PASSPHRASE_ENV} or asks on a terminal"),
        false => String::new(),
    };
    format!("{chosen} ({why}){signing}")
}

impl Report for KeyShown {
    fn text(&self) {
        say!("key:         {}", self.path.display());
        say!("found via:   {}", self.source.describe());
        say!("public key:  {}", self.public_key);
        say!("fingerprint: {}", self.fingerprint);
        say!("keyid:       {}", self.keyid);
        if self.passphrase_protected {
            say!("passphrase:  protected (signing reads {PASSPHRASE_ENV} or asks on a terminal)");
        }
        match self.trusted {
            true => say!("trusted:     yes, as {}", self.principals.join(", ")),
            false => say!("trusted:     no (not in the allowed_signers file committed at HEAD)"),
        }
    }
}
