//! The state ref's lock file, and how a writer tells a live owner from a dead one.
//!
//! git (and gix) update a ref by creating `<ref>.lock` next to it and renaming it
//! into place; a writer killed in between leaves the lock file, and every later
//! update of the ref would fail. So while this tool holds the ref's lock it also
//! holds an `flock` on a sidecar file, `.git/auditops/locks/state-ref.flock`, which
//! the kernel releases when the process dies. A lock file present while that flock
//! is free was left by a dead writer and is removed; one whose flock is held is
//! waited for, up to `[state] lock_timeout`. See docs/state-format.md, "Locks".

use super::error::{Result, StoreError};
use crate::lock::{self, Holder, Poll};
use serde::Serialize;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How old a lock file with a free flock must be before it counts as left by a
/// dead writer: a younger one may belong to a plain `git` command (`git gc`,
/// `git update-ref`), which holds a ref's lock for a moment without our flock.
const STALE_AFTER: Duration = Duration::from_secs(1);

/// The lock file git and gix create while they update `ref_name`.
pub(crate) fn lock_file(repo: &gix::Repository, ref_name: &str) -> PathBuf {
    repo.common_dir().join(format!("{ref_name}.lock"))
}

fn sidecar(repo: &gix::Repository) -> PathBuf {
    repo.common_dir()
        .join("auditops")
        .join("locks")
        .join("state-ref.flock")
}

/// Held while this process may own the state ref's lock file; dropping it
/// releases the flock.
pub(crate) struct Guard {
    _file: File,
}

/// Takes the sidecar flock, waiting at most `timeout` for a live writer, and
/// removes the ref's lock file if a dead writer left it.
pub(crate) fn hold(repo: &gix::Repository, ref_name: &str, timeout: Duration) -> Result<Guard> {
    let lock_path = lock_file(repo, ref_name);
    let path = sidecar(repo);
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| StoreError::Io { path, source }
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let mut file = lock::open_lock_file(&path).map_err(io(&path))?;
    let mut poll = Poll::new();
    loop {
        match file.try_lock() {
            Ok(()) => match lock::age(&lock_path) {
                None => break,
                Some(age) if age >= STALE_AFTER => {
                    remove_stale(&lock_path, age)?;
                    break;
                }
                // Young, with nobody of ours holding it: a git command's, or a
                // dead writer's that will be old enough soon. Wait either way.
                Some(_) => {
                    let _ = file.unlock();
                    poll.wait(Duration::MAX);
                }
            },
            Err(TryLockError::WouldBlock) if poll.wait(timeout) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = lock::read_holder(&mut file);
                return Err(StoreError::Locked {
                    age: lock::age(&lock_path),
                    path: lock_path,
                    pid: holder.pid,
                    waited: poll.waited(),
                });
            }
            Err(TryLockError::Error(err)) => return Err(io(&path)(err)),
        }
    }
    lock::write_holder(&mut file).map_err(io(&path))?;
    Ok(Guard { _file: file })
}

fn remove_stale(lock_path: &Path, age: Duration) -> Result<()> {
    match std::fs::remove_file(lock_path) {
        Ok(()) => {
            eprintln!(
                "git-auditops: removed {} ({} old), left by a writer that died",
                lock_path.display(),
                lock::secs(age)
            );
            Ok(())
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(StoreError::Io {
            path: lock_path.to_owned(),
            source,
        }),
    }
}

/// The state ref's lock file, when one exists (`locks`, `status`).
#[derive(Debug, Clone, Serialize)]
pub struct RefLockState {
    /// Always `state-ref`, to tell it from the subsystem locks in `locks --json`.
    pub lock: &'static str,
    /// The lock file.
    pub path: PathBuf,
    /// Seconds since it was written.
    pub age_secs: u64,
    /// Whether a live process of this tool owns it; `false` means it was left by
    /// a writer that died (or belongs to a plain `git` command) and the next write
    /// removes it.
    pub held: bool,
    /// The owner, when it is alive.
    pub holder: Option<Holder>,
}

/// The state ref's lock file and whether its owner is alive; `None` when there
/// is no lock file.
pub fn state(repo: &gix::Repository, ref_name: &str) -> Option<RefLockState> {
    let path = lock_file(repo, ref_name);
    let age = lock::age(&path)?;
    let holder = OpenOptions::new()
        .read(true)
        .write(true)
        .open(sidecar(repo))
        .ok()
        .and_then(|mut file| match file.try_lock() {
            Ok(()) => {
                let _ = file.unlock();
                None
            }
            Err(_) => Some(lock::read_holder(&mut file)),
        });
    Some(RefLockState {
        lock: "state-ref",
        path,
        age_secs: age.as_secs(),
        held: holder.is_some(),
        holder,
    })
}
