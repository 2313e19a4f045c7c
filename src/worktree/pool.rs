//! The worktree pool: reusable checkouts for patch validation.
//!
//! A slot is created once (gix `add_worktree`, detached; `git worktree add` as a
//! fallback) and later moved to the next commit with `git checkout`, which
//! rewrites only the files that differ: on a large repository that is most of
//! the cost of getting a patched tree ready. Ignored files (build caches) stay;
//! untracked ones are removed.
//!
//! Users of the pool hold the `worktrees` lock. While a slot is in use a busy
//! marker sits next to it; a marker found while the lock is free means the
//! holder died mid-run, and the slot is swept (removed, then recreated on next
//! use) rather than trusted.

use super::{WorktreeError, git, pool_dir, remove};
use crate::lock::{self, Subsystem};
use gix::ObjectId;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

const SLOT: &str = "slot-0";

fn busy_marker(pool: &Path) -> PathBuf {
    pool.join(format!("{SLOT}.busy"))
}

/// A pooled worktree checked out at a commit, with the `worktrees` lock held.
pub struct PooledWorktree {
    path: PathBuf,
    marker: PathBuf,
    /// Whether this use created the slot (its first use).
    pub created: bool,
    _locks: lock::Locks,
}

impl PooledWorktree {
    /// Takes the pool (waiting up to `timeout` for the `worktrees` lock) and
    /// checks `commit` out in its slot.
    pub fn checkout(
        repo: &gix::Repository,
        commit: ObjectId,
        timeout: Duration,
    ) -> Result<Self, WorktreeError> {
        let locks = lock::acquire(repo, &[Subsystem::Worktrees], timeout)?;
        let pool = pool_dir(repo);
        std::fs::create_dir_all(&pool).map_err(WorktreeError::io(&pool))?;
        sweep_locked(repo, &pool);
        let path = pool.join(SLOT);
        let marker = busy_marker(&pool);
        std::fs::write(&marker, format!("pid={}\n", std::process::id()))
            .map_err(WorktreeError::io(&marker))?;
        let created = !path.join(".git").exists();
        if created {
            add(repo, &path, commit)?;
        } else {
            move_to(repo, &path, commit)?;
        }
        Ok(PooledWorktree {
            path,
            marker,
            created,
            _locks: locks,
        })
    }

    /// Where the commit is checked out.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PooledWorktree {
    fn drop(&mut self) {
        // A clean release leaves the slot for reuse.
        let _ = std::fs::remove_file(&self.marker);
    }
}

fn add(repo: &gix::Repository, path: &Path, commit: ObjectId) -> Result<(), WorktreeError> {
    let interrupt = AtomicBool::new(false);
    let added = repo.add_worktree(
        path,
        gix::worktree::add::Head::Detached(commit),
        gix::progress::Discard,
        &interrupt,
    );
    if added.is_ok() {
        return Ok(());
    }
    // The fallback: git itself.
    remove(repo.common_dir(), path);
    let out = git(repo.common_dir())
        .args(["worktree", "add", "--detach", "--quiet"])
        .arg(path)
        .arg(commit.to_string())
        .output()
        .map_err(WorktreeError::Spawn)?;
    if out.status.success() {
        Ok(())
    } else {
        Err(WorktreeError::Create {
            commit,
            path: path.to_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

fn move_to(repo: &gix::Repository, path: &Path, commit: ObjectId) -> Result<(), WorktreeError> {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(path)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .args(args)
            .output()
            .map_err(WorktreeError::Spawn)?;
        match out.status.success() {
            true => Ok(()),
            false => Err(WorktreeError::Checkout {
                commit,
                path: path.to_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            }),
        }
    };
    let hex = commit.to_string();
    let moved = run(&["checkout", "--quiet", "--detach", "--force", &hex])
        .and_then(|_| run(&["clean", "-fdq"]));
    if moved.is_err() {
        // A slot git cannot move is rebuilt from scratch.
        remove(repo.common_dir(), path);
        return add(repo, path, commit);
    }
    moved
}

/// Sweeps a slot whose holder died; the caller holds the `worktrees` lock.
fn sweep_locked(repo: &gix::Repository, pool: &Path) -> usize {
    let marker = busy_marker(pool);
    if !marker.exists() {
        return 0;
    }
    remove(repo.common_dir(), &pool.join(SLOT));
    let _ = std::fs::remove_file(&marker);
    1
}

/// Removes what dead processes left: pooled slots abandoned mid-run and
/// throwaway worktrees. Never waits: a pool in use is left alone.
pub fn sweep_pool(repo: &gix::Repository) -> usize {
    let mut swept = super::sweep(repo);
    let pool = pool_dir(repo);
    if busy_marker(&pool).exists()
        && let Ok(_locks) = lock::acquire(repo, &[Subsystem::Worktrees], Duration::ZERO)
    {
        swept += sweep_locked(repo, &pool);
    }
    let _ = git(repo.common_dir()).args(["worktree", "prune"]).output();
    swept
}
