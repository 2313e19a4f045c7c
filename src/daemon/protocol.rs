//! The control protocol: one JSON request per line, one JSON response per
//! line, then the connection closes. Every request carries the client's
//! version and every response the daemon's, so that a newer binary notices an
//! older daemon and replaces it. docs/daemon.md documents it.

use crate::ids::{CommitId, TreeId};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A request, as sent: `{"version": "0.1.0", "cmd": "status"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    /// The client's version.
    pub version: String,
    /// What it asks.
    #[serde(flatten)]
    pub request: Request,
}

/// What a client asks.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Request {
    /// The daemon's state (`daemon status`).
    Status,
    /// Stop (`daemon stop`, `hooks uninstall`, a newer binary).
    Stop,
    /// A hook saw something happen: `post-commit`, `post-checkout`,
    /// `post-merge`, `post-rewrite`, or `push` (from pre-push).
    Event {
        /// The hook's name, or `push`.
        event: String,
        /// The worktree the hook ran in.
        worktree: Option<PathBuf>,
    },
    /// The pre-push hook asks for the gates of `commit` to run (when they are
    /// missing and not already queued); the answer says whether any are
    /// pending for its tree.
    Enqueue {
        /// The pushed commit.
        commit: CommitId,
        /// The worktree the push was made from.
        worktree: Option<PathBuf>,
    },
}

/// The daemon's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Response {
    /// Whether the request was carried out.
    pub ok: bool,
    /// The daemon's version.
    pub version: String,
    /// The daemon's pid.
    pub pid: u32,
    /// Why not, when not ok.
    #[serde(default)]
    pub error: Option<String>,
    /// For `status`.
    #[serde(default)]
    pub status: Option<Status>,
    /// For `enqueue`: gates are pending (running or queued) for the tree.
    #[serde(default)]
    pub pending: Option<bool>,
}

/// `daemon status --json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Status {
    /// Whether a daemon answered.
    pub running: bool,
    /// Its pid.
    pub pid: Option<u32>,
    /// Its version.
    pub version: Option<String>,
    /// When it started.
    pub since: Option<Timestamp>,
    /// Its socket.
    pub socket: Option<PathBuf>,
    /// The gate run in progress.
    pub current: Option<Current>,
    /// Runs waiting, oldest first.
    #[serde(default)]
    pub queued: Vec<Queued>,
    /// Its resident memory.
    pub rss_bytes: Option<u64>,
    /// The latest things it saw and did, oldest first.
    #[serde(default)]
    pub events: Vec<Event>,
}

/// The gate run in progress.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Current {
    /// The tree the gates run on.
    pub tree: TreeId,
    /// The commit checked out for them.
    pub commit: CommitId,
    /// The gate running now (`None` between two gates).
    pub gate: Option<String>,
    /// When that gate (or the run) started.
    pub started: Timestamp,
    /// The gates of this run, in order.
    pub gates: Vec<String>,
    /// How many of them have ended.
    pub done: usize,
}

/// A run waiting its turn.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Queued {
    /// The tree.
    pub tree: TreeId,
    /// The commit.
    pub commit: CommitId,
    /// Its gates.
    pub gates: Vec<String>,
    /// The worktree whose HEAD it is (`None`: asked for by a push).
    pub worktree: Option<PathBuf>,
}

/// Something the daemon saw or did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    /// When.
    pub at: Timestamp,
    /// What, in a few words (`post-commit`, `gates passed on 1a2b3c`, …).
    pub what: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_one_flat_json_object() {
        let line = serde_json::to_string(&Envelope {
            version: "1.2.3".into(),
            request: Request::Event {
                event: "post-commit".into(),
                worktree: Some("/w".into()),
            },
        })
        .unwrap();
        assert_eq!(
            line,
            r#"{"version":"1.2.3","cmd":"event","event":"post-commit","worktree":"/w"}"#
        );
        let back: Envelope = serde_json::from_str(r#"{"version":"0","cmd":"stop"}"#).unwrap();
        assert_eq!(back.request, Request::Stop);
        assert!(serde_json::from_str::<Envelope>(r#"{"version":"0","cmd":"nope"}"#).is_err());
    }
}
