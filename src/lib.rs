//! git-auditops: an audit trail that lives inside the repository.
//!
//! Signed records (DSSE envelopes carrying in-toto statements) are kept in a git
//! ref that any reviewer can fetch and verify offline. The binary is a thin shell
//! over this library; see `cli` for the commands.
#![warn(missing_docs)]

pub mod alerts;
pub(crate) mod approval;
pub(crate) mod atomic_file;
pub(crate) mod canonical;
pub mod ci;
pub mod cleanup;
pub mod cli;
pub mod config;
pub mod daemon;
pub(crate) mod doctor;
pub(crate) mod duration;
pub mod error;
pub mod evidence;
pub mod findings;
pub mod git;
pub(crate) mod github;
pub mod hooks;
pub mod ids;
pub(crate) mod lock;
pub(crate) mod manpages;
pub mod outbox;
pub mod patch;
pub mod phase;
pub(crate) mod prepared;
pub mod quarantine;
pub mod records;
pub(crate) mod render;
pub mod rules;
pub(crate) mod setup;
pub(crate) mod share;
pub mod sign;
pub(crate) mod status;
pub mod store;
pub mod time;
pub(crate) mod verify;
pub mod workspace;
pub mod worktree;

pub use error::{Error, ExitCode, Result};
