//! The tool's worktrees that nobody is using: what `cleanup plan` may propose
//! deleting, and the one way it deletes them.
//!
//! Only folders of the pool (`<git common dir>/auditops/worktrees/`) are
//! looked at, so the user's own worktrees are never candidates. A worktree is
//! idle when no live process holds it (the pool's slot: no busy marker and the
//! `worktrees` lock free or held by this process; a throwaway one: its
//! creating process is gone), its registration is the tool's and healthy, and
//! `git status` shows no change in it: a worktree with changes is someone's
//! work, and is never proposed.

use super::admin::{self, Health};
use super::{SLOT, busy_marker, owner_pid, pool_dir, process_alive};
use crate::lock::{self, Subsystem};
use gix::ObjectId;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One idle worktree of the tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idle {
    /// Its checkout folder.
    pub path: PathBuf,
    /// The commit it has checked out.
    pub head: ObjectId,
    /// The bytes its checkout folder holds (ignored files included).
    pub bytes: u64,
}

/// Every idle worktree of the pool, in name order. Reads only.
pub fn idle(repo: &gix::Repository) -> Vec<Idle> {
    let pool = pool_dir(repo);
    let Ok(entries) = std::fs::read_dir(&pool) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.is_symlink())
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let held = if name == SLOT {
            // A marker, even one a dead holder left, is the pool's own sweep's
            // business: the slot may be half moved.
            busy_marker(&pool).exists() || lock::held_elsewhere(repo, Subsystem::Worktrees)
        } else {
            owner_pid(&name).is_none_or(process_alive)
        };
        if held || admin::health(repo, &path) != Health::Healthy {
            continue;
        }
        let Some(head) = clean_head(&path) else {
            continue;
        };
        out.push(Idle {
            bytes: folder_bytes(&path),
            path,
            head,
        });
    }
    out
}

/// Deletes the idle worktree at `path` (registration first, then the
/// checkout). The caller holds the `worktrees` lock and has just found it idle.
pub fn remove_idle(repo: &gix::Repository, path: &Path) -> std::io::Result<()> {
    admin::remove(repo.common_dir(), path);
    match path.exists() {
        true => Err(std::io::Error::other(format!(
            "{} is still there",
            path.display()
        ))),
        false => Ok(()),
    }
}

/// The commit checked out at `path` when `git status` shows no change there
/// (untracked files count; ignored ones do not), else `None`.
fn clean_head(path: &Path) -> Option<ObjectId> {
    let mut cmd = Command::new("git");
    cmd.current_dir(path)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        // Read only: no index refresh written behind a user's back.
        .args([
            "--no-optional-locks",
            "status",
            "--porcelain=v2",
            "--branch",
        ]);
    let out = cmd.output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut head = None;
    for line in text.lines() {
        match line.strip_prefix("# branch.oid ") {
            Some(hex) => head = ObjectId::from_hex(hex.trim().as_bytes()).ok(),
            None if line.starts_with('#') => {}
            None => return None,
        }
    }
    head
}

/// The sizes of the files under `dir`, symlinks counted as themselves.
fn folder_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(t) if t.is_dir() => folder_bytes(&entry.path()),
            _ => entry.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}
