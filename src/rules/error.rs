//! Why a rules command refused its input. Every one is the user's to fix
//! (exit 2), and nothing is recorded when one is returned.

use std::path::PathBuf;

/// A rules command's input was wrong.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// No recorded failure or proposal has this signature.
    #[error("SIG {0}: no recorded failure has this signature (see `git auditops rules propose`)")]
    UnknownSignature(String),
    /// A prefix shorter than 8 hex digits, or not hex.
    #[error("SIG {0:?}: give the signature's sha256 or a prefix of at least 8 hex digits")]
    BadSignature(String),
    /// A prefix more than one signature has.
    #[error("SIG {prefix}: {count} signatures start with it; give more digits")]
    Ambiguous {
        /// The prefix given.
        prefix: String,
        /// How many signatures have it.
        count: usize,
    },
    /// `--action retry` for a category that is not infrastructure or dependencies.
    #[error(
        "--action: retry is allowed only for infrastructure and dependencies failures or with --flaky; this signature is {category}"
    )]
    RetryNotAllowed {
        /// The signature's category.
        category: crate::config::Category,
    },
    /// `--action fix` without `--fix CMD`.
    #[error("--fix: a fix rule needs the command to run (--fix CMD)")]
    FixWithoutCommand,
    /// `--fix CMD` without `--action fix`.
    #[error("--fix: a command is only run by a fix rule; add --action fix")]
    CommandWithoutFix,
    /// A fix command that holds what looks like a secret.
    #[error(
        "--fix: the command holds what looks like a secret; read it from the environment instead (the rule is stored in the shared state)"
    )]
    SecretInFix,
    /// A text flag given empty.
    #[error("{0}: must not be empty")]
    Empty(&'static str),
    /// `rules show` of an id no rule has.
    #[error("{0}: no such rule (see `git auditops rules list`)")]
    UnknownRule(String),
    /// The bootstrap patterns file is malformed.
    #[error("{}: {field}: {message}", file.display())]
    Patterns {
        /// The file.
        file: PathBuf,
        /// The field at fault (`patterns[2].match`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A duration flag that does not parse.
    #[error("--since {0:?}: not a duration (e.g. 30d, 24h, 90m)")]
    BadSince(String),
}
