//! Errors of the GitHub executor. Which exit code each one is lives in
//! `src/error.rs` with the rest of the contract.

use std::path::PathBuf;

/// Why a sync could not run, or ended with an exit code of its own.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    /// No `[github] repo`, and the remote names none.
    #[error(
        "no GitHub repository for the outbox: set [github] repo = \"owner/name\" in .auditops.toml{}",
        match (remote, url) {
            (Some(remote), Some(url)) => format!(" (the remote `{remote}` has the URL {url}, which names no GitHub repository)"),
            (Some(remote), None) => format!(" (the remote `{remote}` has no URL)"),
            _ => " (there is no git remote to guess it from)".to_owned(),
        }
    )]
    NoRepository {
        /// The remote tried, if any.
        remote: Option<String>,
        /// Its URL, if it has one.
        url: Option<String>,
    },
    /// No token in the environment or from `gh`.
    #[error(
        "no GitHub token: set GITHUB_TOKEN (or GH_TOKEN), or log in with `gh auth login`; the operations stay queued"
    )]
    NoToken,
    /// GitHub refused operations for lack of permission (exit 5).
    #[error(
        "GitHub refused {count} operation(s) for lack of permission; they stay queued{}",
        report.as_ref().map(|r| format!(". Report: {}", r.display())).unwrap_or_default()
    )]
    Permission {
        /// How many operations were refused.
        count: usize,
        /// The permission report written.
        report: Option<PathBuf>,
    },
    /// GitHub could not be reached or used (exit 6).
    #[error("GitHub is unavailable: {reason}; the operations stay queued")]
    Unavailable {
        /// What happened, and when to try again if known.
        reason: String,
    },
    /// Another sync holds the `outbox` lock (two executors would race).
    #[error("another `git auditops sync` is running")]
    Busy(#[source] crate::lock::LockError),
    /// `[github] api_url` is not an http(s) URL.
    #[error("cannot set up the GitHub client: `{0}` is not an http(s) URL")]
    ApiUrl(String),
    /// octocrab refused its configuration.
    #[error("cannot set up the GitHub client")]
    Client(#[source] octocrab::Error),
    /// The async runtime could not start.
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    /// git could not be run (to push a pull request's branch).
    #[error("cannot run git")]
    Git(#[source] std::io::Error),
    /// The executor's own files (the circuit breaker's state) failed.
    #[error("local state of the executor")]
    Local(#[source] std::sync::Arc<GithubError>),
    /// A file of the executor could not be read or written.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },
}

impl GithubError {
    /// Wraps an I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> GithubError {
        let path = path.into();
        move |source| GithubError::Io { path, source }
    }
}
