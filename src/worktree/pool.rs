//! The worktree pool: reusable checkouts for patch validation and gate runs.
//!
//! A slot is created once (registered by hand, see [`super::admin`], then
//! filled by [`check_out`]) and later moved to the next commit the same way;
//! `git read-tree -u --reset` rewrites only the files that differ: on a large
//! repository that is most of the cost of getting a patched tree ready.
//! Ignored files (build caches) stay; untracked ones are removed.
//!
//! Users of the pool hold the `worktrees` lock. Before each use the slot's
//! registration is checked (see [`admin::health`]): a broken one — a HEAD
//! that names no commit, a missing `gitdir`, a checkout without its
//! registration, a git command cut off mid-way — is removed cleanly and the
//! slot created again. While a slot is in use a busy marker sits next to it; a
//! marker found while the lock is free means the holder died mid-run, and the
//! slot is swept (removed, then recreated on next use) rather than trusted.

use super::admin::{self, Health};
use super::{WorktreeError, check_out, pool_dir};
use crate::lock::{self, Subsystem};
use gix::ObjectId;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The pool's one slot.
pub(crate) const SLOT: &str = "slot-0";

/// The file that says the slot is in use.
pub(crate) fn busy_marker(pool: &Path) -> PathBuf {
    pool.join(format!("{SLOT}.busy"))
}

/// A pooled worktree checked out at a commit, with the `worktrees` lock held.
pub struct PooledWorktree {
    path: PathBuf,
    marker: PathBuf,
    /// Whether this use created the slot (its first use, or a repair).
    pub created: bool,
    _locks: lock::Locks,
}

impl PooledWorktree {
    /// Takes the pool (waiting up to `timeout` for the `worktrees` lock) and
    /// checks `commit` out in its slot, repairing the slot first if needed.
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
        let created = match admin::health(repo, &path) {
            Health::Healthy => check_out(&path, commit).is_err(),
            Health::Foreign(gitdir) => {
                return Err(WorktreeError::Create {
                    commit,
                    path,
                    stderr: format!(
                        "the name {SLOT} is registered to another worktree ({}); \
                         move or remove that one (`git worktree move`)",
                        gitdir.display()
                    ),
                });
            }
            Health::Missing | Health::Broken(_) => true,
        };
        if created {
            // A slot git cannot move is rebuilt from scratch.
            admin::remove(repo.common_dir(), &path);
            let made = admin::register(repo, &path, commit).and_then(|()| check_out(&path, commit));
            if let Err(err) = made {
                admin::remove(repo.common_dir(), &path);
                return Err(err);
            }
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

/// Sweeps a slot whose holder died, or whose registration is broken; the
/// caller holds the `worktrees` lock.
fn sweep_locked(repo: &gix::Repository, pool: &Path) -> usize {
    let marker = busy_marker(pool);
    let slot = pool.join(SLOT);
    let abandoned = marker.exists();
    if !abandoned && !matches!(admin::health(repo, &slot), Health::Broken(_)) {
        return 0;
    }
    admin::remove(repo.common_dir(), &slot);
    let _ = std::fs::remove_file(&marker);
    1
}

/// Removes what dead processes left: pooled slots abandoned mid-run or left
/// broken, and throwaway worktrees. Never waits: a pool in use is left alone.
pub fn sweep_pool(repo: &gix::Repository) -> usize {
    let mut swept = super::sweep(repo);
    let pool = pool_dir(repo);
    let in_use = pool.exists() || repo.common_dir().join("worktrees").join(SLOT).exists();
    if in_use && let Ok(_locks) = lock::acquire(repo, &[Subsystem::Worktrees], Duration::ZERO) {
        swept += sweep_locked(repo, &pool);
    }
    swept
}
