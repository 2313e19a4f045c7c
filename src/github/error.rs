//! Errors of the GitHub executor. Which exit code each one is lives in
//! `src/error.rs` with the rest of the contract.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    #[error(
        "no GitHub repository for the outbox: set [github] repo = \"owner/name\" in .auditops.toml{}",
        match (remote, url) {
            (Some(remote), Some(url)) => format!(" (the remote `{remote}` has the URL {url}, which names no GitHub repository)"),
            (Some(remote), None) => format!(" (the remote `{remote}` has no URL)"),
            _ => " (there is no git remote to guess it from)".to_owned(),
        }
    )]
    NoRepository {
        remote: Option<String>,
        url: Option<String>,
    },
    #[error(
        "no GitHub token: set GITHUB_TOKEN (or GH_TOKEN), or log in with `gh auth login`; the operations stay queued"
    )]
    NoToken,
    #[error(
        "GitHub refused {count} operation(s) for lack of permission; they stay queued{}",
        report.as_ref().map(|r| format!(". Report: {}", r.display())).unwrap_or_default()
    )]
    Permission {
        count: usize,
        report: Option<PathBuf>,
    },
    #[error("GitHub is unavailable: {reason}; the operations stay queued")]
    Unavailable { reason: String },
    /// Another sync holds the `outbox` lock (two executors would race).
    #[error("another `git auditops sync` is running")]
    Busy(#[source] crate::lock::LockError),
    #[error("cannot set up the GitHub client: {0}")]
    Client(String),
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl GithubError {
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> GithubError {
        let path = path.into();
        move |source| GithubError::Io { path, source }
    }
}
