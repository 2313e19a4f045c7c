//! Worktrees the tool owns: throwaway ones (gate runs) and a pool of reusable
//! slots (patch validation), both where the tool, not the user, works.
//!
//! They live under `<git common dir>/auditops/worktrees/`, registered with git so
//! `git worktree list` stays truthful, and are removed when dropped. The name
//! carries the creating process id, so a worktree left by a crashed process is
//! recognised and swept by the next one. The user's working tree, index and
//! branch are never touched.

mod pool;

pub use pool::{PooledWorktree, sweep_pool};

use gix::ObjectId;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why a worktree could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum WorktreeError {
    /// `git worktree add` failed.
    #[error("cannot create a worktree for {commit} at {}: {stderr}", path.display())]
    Create {
        /// The commit to check out.
        commit: ObjectId,
        /// Where.
        path: PathBuf,
        /// What git said.
        stderr: String,
    },
    /// A folder or marker file of the pool could not be written.
    #[error("cannot write {}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// git could not be started.
    #[error("could not run git")]
    Spawn(#[source] std::io::Error),
    /// `git checkout` of the pooled slot failed.
    #[error("cannot move the pooled worktree {} to {commit}: {stderr}", path.display())]
    Checkout {
        /// The commit to check out.
        commit: ObjectId,
        /// The slot.
        path: PathBuf,
        /// What git said.
        stderr: String,
    },
    /// The `worktrees` lock could not be taken.
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
}

impl WorktreeError {
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WorktreeError {
        let path = path.to_owned();
        move |source| WorktreeError::Io { path, source }
    }
}

/// A checked-out commit that disappears when dropped.
pub struct Throwaway {
    git_dir: PathBuf,
    path: PathBuf,
}

pub(crate) fn pool_dir(repo: &gix::Repository) -> PathBuf {
    repo.common_dir().join("auditops").join("worktrees")
}

pub(crate) fn git(git_dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("--git-dir")
        .arg(git_dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    cmd
}

fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // Signal 0 checks existence; EPERM means it exists but is not ours.
    // SAFETY: kill with signal 0 sends nothing and has no memory effects.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// The pid in a worktree name `<purpose>-<pid>-<n>`.
fn owner_pid(name: &str) -> Option<u32> {
    let mut parts = name.rsplitn(3, '-');
    let _n = parts.next()?;
    parts.next()?.parse().ok()
}

impl Throwaway {
    /// Checks out `commit` (detached) in a new worktree named for `purpose`.
    pub fn create(
        repo: &gix::Repository,
        commit: ObjectId,
        purpose: &str,
    ) -> Result<Self, WorktreeError> {
        sweep(repo);
        let pool = pool_dir(repo);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let path = pool.join(format!("{purpose}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&pool).map_err(WorktreeError::io(&pool))?;
        let out = git(repo.common_dir())
            .args(["worktree", "add", "--detach", "--quiet"])
            .arg(&path)
            .arg(commit.to_string())
            .output()
            .map_err(WorktreeError::Spawn)?;
        if !out.status.success() {
            return Err(WorktreeError::Create {
                commit,
                path,
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(Throwaway {
            git_dir: repo.common_dir().to_owned(),
            path,
        })
    }

    /// Where the commit is checked out.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        remove(&self.git_dir, &self.path);
    }
}

pub(crate) fn remove(git_dir: &Path, path: &Path) {
    let removed = git(git_dir)
        .args(["worktree", "remove", "--force", "--force"])
        .arg(path)
        .output()
        .is_ok_and(|o| o.status.success());
    if !removed {
        let _ = std::fs::remove_dir_all(path);
        let _ = git(git_dir).args(["worktree", "prune"]).output();
    }
}

/// Removes worktrees whose creating process is gone (it crashed or was killed).
/// Returns how many were swept.
pub(crate) fn sweep(repo: &gix::Repository) -> usize {
    let Ok(entries) = std::fs::read_dir(pool_dir(repo)) else {
        return 0;
    };
    let mut swept = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if owner_pid(&name).is_some_and(|pid| !process_alive(pid)) {
            remove(repo.common_dir(), &entry.path());
            swept += 1;
        }
    }
    swept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_pid_is_read_from_the_name() {
        assert_eq!(owner_pid("gate-1234-99"), Some(1234));
        assert_eq!(owner_pid("patch-x-1234-99"), Some(1234));
        assert_eq!(owner_pid("nonsense"), None);
    }

    #[test]
    fn this_process_is_alive() {
        assert!(process_alive(std::process::id()));
    }
}
