//! The event hooks (post-commit, post-checkout, post-merge, post-rewrite) on
//! git's hot path, without opening the repository.
//!
//! An event hook runs after every commit and checkout, and all it does is run
//! the kept hook and tell the daemon (docs/daemon.md). Opening the repository
//! (discovery, every config file, the refs) and parsing the command line with
//! clap cost more than the telling, so this path finds what it needs from
//! what git and our hook script hand over:
//!
//! - the hooks folder from `AUDITOPS_HOOK_DIR`, which our script sets to the
//!   folder git ran it from (`${0%/*}`), trusted only when our script is there;
//! - the git dir from `GIT_DIR` or the `.git` (folder or `gitdir:` file) in
//!   the current directory, where git runs hooks (the top of the worktree);
//! - the common git dir from that git dir's `commondir` file.
//!
//! Anything else (no `AUDITOPS_HOOK_DIR`, as from an older script or by hand;
//! `GIT_COMMON_DIR` or `GIT_WORK_TREE` set; no `.git` here) takes the ordinary
//! path through the workspace, which behaves the same, only slower. The
//! config is read only when no daemon answers and one may have to be started.

use super::run::{HookOutcome, run_kept, told};
use super::{EVENT_HOOKS, HookError, is_ours};
use crate::error::Result;
use crate::workspace::Workspace;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where an event happened, as the daemon's client needs it.
#[derive(Debug, Clone)]
pub struct Site {
    /// The repository's common git dir (the daemon's key).
    pub common_dir: PathBuf,
    /// The worktree the hook ran in, when there is one.
    pub worktree: Option<PathBuf>,
    /// Where a daemon started from here runs: the worktree, else the git dir.
    pub start_dir: PathBuf,
}

/// The environment variable our event hook scripts set to their folder.
const HOOK_DIR_VAR: &str = "AUDITOPS_HOOK_DIR";

/// Runs event hook `name` without opening the repository: the kept hook, then
/// telling the daemon. `None`, with `input` untouched, when this path cannot
/// tell where it runs (the caller takes the ordinary path).
pub fn run_event(name: &str, args: &[String], mut input: impl Read) -> Option<Result<HookOutcome>> {
    if !EVENT_HOOKS.contains(&name) {
        return None;
    }
    let hooks_dir = hooks_dir(name)?;
    let cwd = std::env::current_dir().ok()?;
    let site = site(&cwd)?;
    Some((|| {
        let mut stdin = Vec::new();
        input.read_to_end(&mut stdin).map_err(HookError::Input)?;
        let chained = run_kept(&hooks_dir, name, args, &stdin)?;
        let autostart =
            || Workspace::open(&cwd).is_ok_and(|ws| ws.config().is_ok_and(|c| c.daemon.autostart));
        Ok(told(&site, name, chained, autostart)?)
    })())
}

/// The folder our script says git ran it from, when our script `name` is there.
/// A `$0` without a folder would name something else, and trusting it could
/// skip the kept hook.
fn hooks_dir(name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os(HOOK_DIR_VAR).filter(|d| !d.is_empty())?);
    let script = std::fs::read(dir.join(name)).ok()?;
    is_ours(&script).then_some(dir)
}

/// The repository around `cwd`, as git set it up for the hook.
fn site(cwd: &Path) -> Option<Site> {
    if std::env::var_os("GIT_COMMON_DIR").is_some() || std::env::var_os("GIT_WORK_TREE").is_some() {
        return None;
    }
    let git_dir = match std::env::var_os("GIT_DIR") {
        Some(dir) => cwd.join(dir),
        None => dot_git(cwd)?,
    };
    let common_dir = match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(rel) => git_dir.join(rel.trim_end_matches(['\n', '\r'])),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => git_dir.clone(),
        Err(_) => return None,
    };
    // git runs a worktree's hooks at its top; a bare repository's in the git dir.
    let bare = same_dir(cwd, &git_dir);
    Some(Site {
        common_dir,
        worktree: (!bare).then(|| cwd.to_owned()),
        start_dir: cwd.to_owned(),
    })
}

/// The git dir that `dir/.git` names: the folder itself, or the target of a
/// `gitdir:` file (a linked worktree, a submodule).
fn dot_git(dir: &Path) -> Option<PathBuf> {
    let dot = dir.join(".git");
    let meta = std::fs::metadata(&dot).ok()?;
    if meta.is_dir() {
        return Some(dot);
    }
    let text = std::fs::read_to_string(&dot).ok()?;
    let target = text.strip_prefix("gitdir:")?.trim();
    Some(dir.join(target))
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gitdir_file_names_the_git_dir() {
        let dir = tempfile::tempdir().unwrap();
        assert!(dot_git(dir.path()).is_none());
        std::fs::write(dir.path().join(".git"), "gitdir: /r/.git/worktrees/wt\n").unwrap();
        assert_eq!(
            dot_git(dir.path()).unwrap(),
            Path::new("/r/.git/worktrees/wt")
        );
        std::fs::write(dir.path().join(".git"), "gitdir: ../r/.git/modules/m\n").unwrap();
        assert_eq!(
            dot_git(dir.path()).unwrap(),
            dir.path().join("../r/.git/modules/m")
        );
        std::fs::write(dir.path().join(".git"), "not a gitdir file\n").unwrap();
        assert!(dot_git(dir.path()).is_none());
    }

    #[test]
    fn a_linked_worktree_is_keyed_by_the_common_dir() {
        let root = tempfile::tempdir().unwrap();
        let common = root.path().join("r/.git");
        let admin = common.join("worktrees/wt");
        std::fs::create_dir_all(&admin).unwrap();
        std::fs::write(admin.join("commondir"), "../..\n").unwrap();
        let wt = root.path().join("wt");
        std::fs::create_dir_all(&wt).unwrap();
        std::fs::write(wt.join(".git"), format!("gitdir: {}\n", admin.display())).unwrap();
        let site = site(&wt).unwrap();
        assert_eq!(
            site.common_dir.canonicalize().unwrap(),
            common.canonicalize().unwrap()
        );
        assert_eq!(site.worktree.as_deref(), Some(wt.as_path()));
    }
}
