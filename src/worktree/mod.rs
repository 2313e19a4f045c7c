//! Worktrees the tool owns: throwaway ones (gate runs) and a pool of reusable
//! slots (patch validation), both where the tool, not the user, works.
//!
//! They live under `<git common dir>/auditops/worktrees/`, registered with git so
//! `git worktree list` stays truthful (by hand, so that `git fsck` and `git
//! worktree prune` find nothing wrong at any instant, even after a `kill -9`:
//! see `admin`), and are removed when dropped. The name
//! carries the creating process id, so a worktree left by a crashed process is
//! recognised and swept by the next one. The user's working tree, index and
//! branch are never touched.

mod admin;
mod idle;
mod pool;

pub use idle::{Idle, idle, remove_idle};
pub use pool::{PooledWorktree, sweep_pool};
pub(crate) use pool::{SLOT, busy_marker};

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
    /// Checking a commit out in a worktree failed.
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
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WorktreeError {
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

pub(crate) fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // Signal 0 checks existence; EPERM means it exists but is not ours.
    // SAFETY: kill with signal 0 sends nothing and has no memory effects.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// The pid in a worktree name `<purpose>-<pid>-<n>`.
pub(crate) fn owner_pid(name: &str) -> Option<u32> {
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
        let made = admin::register(repo, &path, commit).and_then(|()| check_out(&path, commit));
        if let Err(err) = made {
            admin::remove(repo.common_dir(), &path);
            return Err(err);
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
        admin::remove(&self.git_dir, &self.path);
    }
}

/// Moves the registered worktree at `path` to `commit`, detached, with the
/// files git tracks there as in the commit and untracked ones removed
/// (ignored ones stay). Fills a worktree [`admin::register`] just made.
pub(crate) fn check_out(path: &Path, commit: ObjectId) -> Result<(), WorktreeError> {
    let run = |args: &[&str]| {
        let mut cmd = Command::new("git");
        cmd.current_dir(path)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .args(args);
        die_with_parent(&mut cmd);
        let out = cmd.output().map_err(WorktreeError::Spawn)?;
        match out.status.success() {
            true => Ok(()),
            false => Err(WorktreeError::Checkout {
                commit,
                path: path.to_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            }),
        }
    };
    // Not `git checkout --force --detach`: it deletes `AUTO_MERGE`, and every
    // ref deletion holds the repository-wide `packed-refs.lock` for a moment. A
    // checkout killed with this process (see `die_with_parent`) could leave
    // that lock behind and block every ref update in the repository, git's and
    // ours. These three take only the worktree's own `index.lock` and
    // `HEAD.lock`, and run no hooks.
    let hex = commit.to_string();
    run(&["read-tree", "-u", "--reset", &hex])
        .and_then(|_| run(&["update-ref", "--no-deref", "HEAD", &hex]))
        .and_then(|_| run(&["clean", "-fdq"]))
}

/// Makes `cmd` die with this process: a git command orphaned by a `kill -9`
/// would otherwise go on writing in a worktree the next command is about to
/// repair or remove. The commands [`check_out`] runs take only the worktree's
/// own lock files, which the pool's sweep removes with the worktree.
pub(crate) fn die_with_parent(cmd: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let parent = libc::pid_t::try_from(std::process::id()).unwrap_or_default();
        // SAFETY: between fork and exec the closure only makes two
        // async-signal-safe system calls and allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent died before the request took effect.
                if libc::getppid() != parent {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}

/// Removes worktrees whose creating process is gone (it crashed or was killed).
/// Returns how many were swept.
pub(crate) fn sweep(repo: &gix::Repository) -> usize {
    let Ok(entries) = std::fs::read_dir(pool_dir(repo)) else {
        return admin::sweep(repo);
    };
    let mut swept = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if owner_pid(&name).is_some_and(|pid| !process_alive(pid)) {
            admin::remove(repo.common_dir(), &entry.path());
            swept += 1;
        }
    }
    swept + admin::sweep(repo)
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
