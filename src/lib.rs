//! git-auditops: an audit trail that lives inside the repository.
//!
//! Signed records (DSSE envelopes carrying in-toto statements) are kept in a git
//! ref that any reviewer can fetch and verify offline. The binary is a thin shell
//! over this library; see `cli` for the commands.

pub mod approval;
pub mod atomic_file;
pub mod canonical;
pub mod cli;
pub mod config;
pub mod duration;
pub mod error;
pub mod evidence;
pub mod git;
pub mod github;
pub mod hooks;
pub mod ids;
pub mod lock;
pub mod outbox;
pub mod patch;
pub mod phase;
pub mod records;
pub mod render;
pub mod setup;
pub mod share;
pub mod sign;
pub mod store;
pub mod time;
pub mod verify;
pub mod workspace;
pub mod worktree;

pub use error::{Error, ExitCode, Result};
