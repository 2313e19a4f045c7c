//! The executor's local files under `.git/auditops/` (shared by all worktrees
//! of the repository): reports, metrics, the breaker's state, the in-flight
//! journal, the sync lock and the detached sync's log. Never part of the state
//! ref; never holding the token.

use super::error::GithubError;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Dirs {
    root: PathBuf,
}

impl Dirs {
    pub fn new(repo: &gix::Repository) -> Self {
        Dirs {
            root: repo.common_dir().join("auditops"),
        }
    }

    /// Breaker state, counters, in-flight journal, lock.
    pub fn github(&self) -> PathBuf {
        self.root.join("github")
    }

    /// Permission reports (`sync-<UTC time>.json`).
    pub fn reports(&self) -> PathBuf {
        self.root.join("reports")
    }

    /// The Prometheus textfile (`github.prom`).
    pub fn metrics(&self) -> PathBuf {
        self.root.join("metrics")
    }

    /// The detached sync's log.
    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }
}

pub fn create_dir(dir: &Path) -> Result<(), GithubError> {
    std::fs::create_dir_all(dir).map_err(GithubError::io(dir))
}

/// Writes `bytes` to `path` atomically (see [`crate::atomic_file`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), GithubError> {
    crate::atomic_file::write(path, bytes).map_err(GithubError::io(path))
}

/// Reads a JSON state file; `None` when absent or unreadable (a damaged state
/// file must not stop the executor: it starts over from the defaults).
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    let text = std::fs::read(path).ok()?;
    serde_json::from_slice(&text).ok()
}

pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), GithubError> {
    let mut text = serde_json::to_vec_pretty(value).unwrap_or_default();
    text.push(b'\n');
    write_atomic(path, &text)
}

/// A UTC time safe in a file name: `20260102T030405Z`.
pub fn file_stamp(now: jiff::Timestamp) -> String {
    now.strftime("%Y%m%dT%H%M%SZ").to_string()
}
