//! Registering and unregistering the tool's linked worktrees by hand, in an
//! order where git's view of the repository is valid at every instant.
//!
//! `git worktree add` and gix's `add_worktree` both write a placeholder HEAD of
//! forty zeros before the real one, and `git worktree remove` deletes the
//! checkout before its registration: a process killed in between leaves
//! `git fsck` failing ("detached HEAD points at nothing") or `git worktree
//! prune` with something to prune. Here instead:
//!
//! - **Register.** The checkout folder and its `.git` file come first (git
//!   does not look at them until registered). The administrative folder
//!   (`HEAD` at the real commit, `commondir`, `gitdir`) is assembled outside
//!   `.git/worktrees/`, each file written atomically, then renamed into place
//!   in one step: git sees no registration, or a complete one.
//! - **Unregister.** The administrative folder is renamed out of
//!   `.git/worktrees/` in one step, then the checkout and the renamed folder
//!   are deleted.
//!
//! Folders being assembled or deleted sit in `<common dir>/auditops/worktree-admin/`,
//! named with their process id, so what a killed process left is swept later.

use super::{WorktreeError, process_alive};
use crate::atomic_file;
use gix::ObjectId;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// What a pooled or throwaway worktree's registration looks like.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Health {
    /// Neither registered nor checked out.
    Missing,
    /// Registered, checked out, and HEAD names a commit that exists.
    Healthy,
    /// Something is missing or wrong: remove it and start again.
    Broken(&'static str),
    /// The name is registered to a worktree the tool did not create.
    Foreign(PathBuf),
}

/// The common dir, absolute and with symlinks resolved, as git writes it.
fn common_dir(repo: &gix::Repository) -> Result<PathBuf, WorktreeError> {
    let dir = repo.common_dir();
    std::fs::canonicalize(dir).map_err(WorktreeError::io(dir))
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Where git keeps the administrative files of the worktree at `path`.
fn admin_dir(common: &Path, path: &Path) -> PathBuf {
    common.join("worktrees").join(name_of(path))
}

fn scratch_dir(common: &Path) -> PathBuf {
    common.join("auditops").join("worktree-admin")
}

/// A fresh folder name in the scratch folder: `<name>.<pid>.<n>.<kind>`.
fn scratch(common: &Path, path: &Path, kind: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    scratch_dir(common).join(format!(
        "{}.{}.{n}.{kind}",
        name_of(path),
        std::process::id()
    ))
}

/// The pid in a scratch folder's name.
fn scratch_pid(name: &str) -> Option<u32> {
    let mut parts = name.rsplitn(4, '.');
    let (_kind, _n) = (parts.next()?, parts.next()?);
    parts.next()?.parse().ok()
}

fn line(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    let mut bytes = path.as_os_str().as_bytes().to_vec();
    bytes.push(b'\n');
    bytes
}

fn read_path(file: &Path) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = std::fs::read(file).ok()?;
    let text = bytes.trim_ascii();
    (!text.is_empty()).then(|| PathBuf::from(std::ffi::OsStr::from_bytes(text)))
}

/// Registers a detached worktree at `path` with HEAD at `commit`. Its files
/// are not checked out yet (no index): the caller checks them out.
pub(super) fn register(
    repo: &gix::Repository,
    path: &Path,
    commit: ObjectId,
) -> Result<(), WorktreeError> {
    let common = common_dir(repo)?;
    std::fs::create_dir_all(path).map_err(WorktreeError::io(path))?;
    let path = std::fs::canonicalize(path).map_err(WorktreeError::io(path))?;
    let admin = admin_dir(&common, &path);
    let dot_git = path.join(".git");
    let mut link = b"gitdir: ".to_vec();
    link.extend(line(&admin));
    atomic_file::write(&dot_git, &link).map_err(WorktreeError::io(&dot_git))?;

    let staging = scratch(&common, &path, "new");
    let files: [(&str, Vec<u8>); 3] = [
        ("HEAD", format!("{commit}\n").into_bytes()),
        ("commondir", b"../..\n".to_vec()),
        ("gitdir", line(&dot_git)),
    ];
    let assembled = files.iter().try_for_each(|(name, bytes)| {
        let file = staging.join(name);
        atomic_file::write(&file, bytes).map_err(WorktreeError::io(&file))
    });
    let worktrees = common.join("worktrees");
    let placed = assembled.and_then(|()| {
        std::fs::create_dir_all(&worktrees).map_err(WorktreeError::io(&worktrees))?;
        std::fs::rename(&staging, &admin).map_err(WorktreeError::io(&admin))
    });
    if placed.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    placed
}

/// Unregisters the worktree at `path` (if the registration under its name is
/// the tool's) and deletes its checkout. Best effort: what a failure leaves is
/// still a valid state, swept by the next use.
pub(super) fn remove(git_dir: &Path, path: &Path) {
    let Ok(common) = std::fs::canonicalize(git_dir) else {
        return;
    };
    let admin = admin_dir(&common, path);
    let trash = scratch(&common, path, "old");
    let mut unregistered = true;
    if admin.exists() && owner(&common, &admin, path).is_ok() {
        unregistered = std::fs::create_dir_all(scratch_dir(&common)).is_ok()
            && std::fs::rename(&admin, &trash).is_ok();
        if !unregistered {
            // Another filesystem, say: no single step exists. gitdir last, so
            // an interruption leaves a folder `git worktree prune` cleans up.
            unregistered = std::fs::remove_dir_all(&admin).is_ok();
        }
    }
    if unregistered {
        let _ = std::fs::remove_dir_all(path);
    }
    let _ = std::fs::remove_dir_all(&trash);
}

/// Checks the registration of the worktree at `path` against what
/// [`register`] writes and a checkout moved by git leaves.
pub(super) fn health(repo: &gix::Repository, path: &Path) -> Health {
    let Ok(common) = common_dir(repo) else {
        return Health::Broken("the git folder cannot be resolved");
    };
    registration(repo, &common, path)
}

/// Whether `a` and `b` name the same file (compared as written when either
/// does not exist).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Whether the registration in `admin` is the tool's: its `gitdir` names the
/// checkout at `path`, a folder of the pool, or nothing (a broken one).
/// `Err` carries the foreign worktree's `.git`.
fn owner(common: &Path, admin: &Path, path: &Path) -> Result<(), PathBuf> {
    let Some(gitdir) = read_path(&admin.join("gitdir")) else {
        return Ok(());
    };
    match same_file(&gitdir, &path.join(".git"))
        || gitdir.starts_with(common.join("auditops").join("worktrees"))
    {
        true => Ok(()),
        false => Err(gitdir),
    }
}

fn registration(repo: &gix::Repository, common: &Path, path: &Path) -> Health {
    let admin = admin_dir(common, path);
    if !admin.exists() {
        return match path.exists() {
            true => Health::Broken("not registered with git"),
            false => Health::Missing,
        };
    }
    if let Err(gitdir) = owner(common, &admin, path) {
        return Health::Foreign(gitdir);
    }
    let expected = path.join(".git");
    match read_path(&admin.join("gitdir")) {
        None => return Health::Broken("no gitdir file"),
        Some(gitdir) if !same_file(&gitdir, &expected) => {
            return Health::Broken("gitdir names another folder");
        }
        Some(_) => {}
    }
    if !expected.is_file() {
        return Health::Broken("the checkout is gone");
    }
    if !admin.join("commondir").is_file() {
        return Health::Broken("no commondir file");
    }
    if ["HEAD.lock", "index.lock"]
        .iter()
        .any(|lock| admin.join(lock).exists())
    {
        return Health::Broken("a git command was interrupted");
    }
    let head = std::fs::read_to_string(admin.join("HEAD")).unwrap_or_default();
    let commit = ObjectId::from_hex(head.trim().as_bytes())
        .ok()
        .filter(|id| !id.is_null() && repo.find_commit(*id).is_ok());
    match commit {
        Some(_) => Health::Healthy,
        None => Health::Broken("HEAD does not name a commit"),
    }
}

/// Removes registrations left by dead processes: the tool's throwaway
/// worktrees (`<purpose>-<pid>-<n>`) whose checkout is gone, and scratch
/// folders. Returns how many registrations were removed.
pub(super) fn sweep(repo: &gix::Repository) -> usize {
    let Ok(common) = common_dir(repo) else {
        return 0;
    };
    if let Ok(entries) = std::fs::read_dir(scratch_dir(&common)) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if scratch_pid(&name).is_some_and(|pid| !process_alive(pid)) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let Ok(entries) = std::fs::read_dir(common.join("worktrees")) else {
        return 0;
    };
    let pool = super::pool_dir(repo);
    let mut swept = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let dead = super::owner_pid(&name).is_some_and(|pid| !process_alive(pid));
        let path = pool.join(&name);
        if dead && !path.exists() && matches!(health(repo, &path), Health::Broken(_)) {
            remove(&common, &path);
            swept += 1;
        }
    }
    swept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pid_is_read_from_a_scratch_name() {
        assert_eq!(scratch_pid("slot-0.1234.7.new"), Some(1234));
        assert_eq!(scratch_pid("gate-99-5.1234.0.old"), Some(1234));
        assert_eq!(scratch_pid("slot-0"), None);
    }
}
