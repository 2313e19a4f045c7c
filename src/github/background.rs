//! The sync the pre-push hook starts: detached, so it never delays or fails
//! the push. The hook process itself only reads the outbox in process (no
//! network, no git subprocess) to decide whether there is anything to do, then
//! starts `git-auditops sync` in its own process group with its output
//! appended to `.git/auditops/logs/sync.log`, and returns at once.

use super::files::Dirs;
use crate::outbox::Outbox;
use crate::workspace::Workspace;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

/// Why no sync was started, or that one was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// Started with this process id.
    Yes(u32),
    /// No operation waits.
    NothingPending,
    /// No GitHub repository is configured or named by the remote.
    NoRepository,
    /// Could not start (the push goes on regardless).
    Failed(String),
    /// Handed to the running daemon, which syncs after pushes.
    Daemon,
}

/// Starts a detached `git-auditops sync` when operations are pending and a
/// GitHub repository is configured (or named by the remote).
pub fn start_after_push(ws: &Workspace) -> Started {
    // The hook may have written the state by other paths since it was read.
    ws.refresh();
    let pending = match outbox_open(ws) {
        Ok(open) => open,
        Err(err) => {
            let err = crate::error::chain(&err);
            return Started::Failed(format!("cannot read the outbox: {err}"));
        }
    };
    if !pending {
        return Started::NothingPending;
    }
    let repo = ws.repo();
    let known = ws
        .config()
        .is_ok_and(|config| super::repo::is_known(repo, config));
    if !known {
        return Started::NoRepository;
    }
    match spawn(repo) {
        Ok(pid) => Started::Yes(pid),
        Err(err) => Started::Failed(err.to_string()),
    }
}

/// Whether the outbox holds operations to send: the answer prepared for the
/// state as it stands (`crate::prepared`) when there is one, else read from
/// the state and kept for the next push.
pub(crate) fn outbox_open(ws: &Workspace) -> crate::error::Result<bool> {
    if let Some(open) = crate::prepared::Prepared::current(ws).and_then(|p| p.outbox_open()) {
        return Ok(open);
    }
    let open = Outbox::read(ws)?.states().values().any(|s| s.is_open());
    let view = ws.view()?;
    crate::prepared::keep_outbox(ws, crate::prepared::Inputs::used(ws, view.as_ref())?, open);
    Ok(open)
}

fn spawn(repo: &gix::Repository) -> std::io::Result<u32> {
    let exe = std::env::current_exe()?;
    let logs = Dirs::new(repo).logs();
    std::fs::create_dir_all(&logs)?;
    let path = logs.join("sync.log");
    // Keep the log small: past 1 MiB it moves to sync.log.1.
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > 1 << 20) {
        std::fs::rename(&path, logs.join("sync.log.1"))?;
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?;
    let mut command = Command::new(exe);
    if let Some(workdir) = repo.workdir() {
        command.current_dir(workdir);
    } else {
        command.arg("-C").arg(repo.git_dir());
    }
    let child = command
        .arg("sync")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // Its own process group: a Ctrl-C aimed at `git push` does not reach
        // it, and git does not wait for it.
        .process_group(0)
        .spawn()?;
    Ok(child.id())
}
