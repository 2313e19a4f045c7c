//! CI runners: gates fan out to CI jobs, whose signed results converge in the
//! state ref, and pushes that skipped the hook are caught on the server side.
//!
//! `ci run` is `state pull`, the gates that lack a trusted pass, and `state
//! push` retried until the results are on the remote (the union merge makes
//! runners that push at once converge). `ci check-push` judges a push after
//! the fact. `ci init` writes a GitHub Actions workflow that does both. The
//! GitHub-specific output (step summary, annotations) is in [`github`].

pub mod check_push;
mod error;
pub mod fork;
pub mod github;
pub mod init;
pub(crate) mod push;
pub mod records;
pub mod run;

pub use error::CiError;
