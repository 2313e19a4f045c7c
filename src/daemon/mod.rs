//! The per-repository daemon: gates run by themselves after each commit, the
//! outbox goes out after each push, and scheduled work happens on timers.
//!
//! One daemon serves a repository (its common git dir) and every linked
//! worktree; a flock on `.git/auditops/daemon.lock` makes a second one
//! impossible. Hooks and commands work the same when it is not running: it
//! only makes things happen sooner. It is plain threads and blocking sockets,
//! not an async runtime: the hooks that talk to it start a process each time,
//! and an idle daemon must cost nothing (docs/daemon.md).
//!
//! Split by concern: `paths` (where its files are), `socket` (binding,
//! fallback, peer check), `protocol` (the line-delimited JSON), `client` (what
//! hooks and commands call), `server` (the daemon itself), `work` (the gate
//! queue), `wait` (the pre-push hook's wait), `log` (its log file).

mod client;
mod log;
mod paths;
mod protocol;
mod server;
mod socket;
mod timers;
mod wait;
mod watch;
mod work;

pub use client::{Client, Started, after_push, notify, start, status, stop};
pub use paths::Paths;
pub use protocol::{Current, Event, Queued, Request, Response, Status};
pub use server::run;
pub use wait::wait_for_gates;

pub(crate) use client::lock_holder;
pub(crate) use work::cancelled_error;

use std::path::PathBuf;

/// This binary's version: a daemon of another version is asked to stop and
/// replaced, so that hooks never talk to an older protocol.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Why the daemon could not be started, reached or run.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// Another daemon holds the lock.
    #[error("a daemon is already running for this repository (pid {pid})")]
    AlreadyRunning {
        /// Its pid, as its lock file says.
        pid: u32,
    },
    /// A file or socket of the daemon could not be used.
    #[error("{}", path.display())]
    Io {
        /// The file or socket.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// No socket could be bound, in the git dir nor the runtime directory.
    #[error("cannot bind the daemon's socket at {} (nor at {}); see docs/daemon.md, \"When something goes wrong\"", primary.display(), fallback.display())]
    Bind {
        /// Under `.git/auditops/`.
        primary: PathBuf,
        /// Under the per-user runtime directory.
        fallback: PathBuf,
        /// What the system said of the last attempt.
        #[source]
        source: std::io::Error,
    },
    /// The daemon answered something that is not our protocol.
    #[error("the daemon answered something unreadable: {0}")]
    Protocol(String),
    /// The daemon said no.
    #[error("the daemon refused: {0}")]
    Refused(String),
    /// `daemon start` started one, but it did not answer in time.
    #[error("the daemon did not come up within {secs}s; see {}", log.display())]
    NotUp {
        /// How long we waited.
        secs: u64,
        /// Its log.
        log: PathBuf,
    },
    /// `daemon stop` asked, but it is still running.
    #[error("the daemon (pid {pid}) did not stop within {secs}s; `kill {pid}` stops it")]
    NotStopped {
        /// Its pid.
        pid: u32,
        /// How long we waited.
        secs: u64,
    },
    /// A gate run by the daemon was cancelled: its tree is no longer any
    /// worktree's HEAD. Nothing is recorded for it.
    #[error("gate `{gate}` was cancelled: its tree is no longer checked out")]
    Cancelled {
        /// The gate.
        gate: String,
    },
}

impl DaemonError {
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> DaemonError + '_ {
        move |source| DaemonError::Io {
            path: path.to_owned(),
            source,
        }
    }
}
