//! Watching the refs, so that a HEAD moved by something that runs no hook
//! (`git update-ref`, `git reset`, another tool) is seen too: `HEAD` and
//! `packed-refs` in the common git dir, `refs/heads/`, and each linked
//! worktree's `HEAD`. git writes refs by renaming a lock file, so folders are
//! watched, not files. No `reference-transaction` hook: it would slow every
//! fetch.
//!
//! The watcher only reports; the scheduler debounces (see [`DEBOUNCE`]). A
//! debouncing library would tick on a timer even when nothing happens, and an
//! idle daemon must use no CPU: inotify's thread sleeps until the kernel has
//! an event.

use super::Paths;
use super::server::Msg;
use notify::{RecursiveMode, Watcher};
use std::path::Path;
use std::sync::mpsc::Sender;
use std::time::Duration;

/// How long the scheduler waits after a ref moved before it scans, so that a
/// burst (a rebase moves many refs, git writes a lock then renames it) is one
/// scan. Hooks report commits at once; the watcher is for the rest.
pub(crate) const DEBOUNCE: Duration = Duration::from_millis(200);

/// Whether a changed path is a ref the daemon follows.
pub(crate) fn is_ref_path(common: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(common) else {
        return false;
    };
    let parts: Vec<&str> = rel
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .collect();
    match parts.as_slice() {
        ["HEAD"] | ["packed-refs"] => true,
        ["refs", "heads", rest @ ..] => {
            !rest.is_empty() && !rest.last().is_some_and(|n| n.ends_with(".lock"))
        }
        ["worktrees", _, "HEAD"] => true,
        _ => false,
    }
}

/// Whether `event` is a followed ref changing, or the git dir itself going
/// (removed or moved away: the scheduler then finds `HEAD` gone and stops).
/// Reads are reported too (inotify's open and close): the daemon reading HEAD
/// must not wake it again.
pub(crate) fn is_move(common: &Path, event: &notify::Event) -> bool {
    use notify::EventKind::{Access, Modify, Remove};
    match event.kind {
        Access(_) => false,
        Remove(_) | Modify(notify::event::ModifyKind::Name(_))
            if event.paths.iter().any(|p| p == common) =>
        {
            true
        }
        _ => event
            .paths
            .iter()
            .any(|p| is_ref_path(common, p) && !is_our_worktree_head(common, p)),
    }
}

/// Whether `path` is the HEAD of a worktree git-auditops made for itself (the
/// pool's slot, a throwaway gate worktree): its `gitdir` file points under
/// `.git/auditops/`. Their HEADs move with every gate run; taking that for a
/// user's move would wake the daemon for a scan after each of its own runs.
fn is_our_worktree_head(common: &Path, path: &Path) -> bool {
    let Some(admin) = path.parent() else {
        return false;
    };
    let Ok(gitdir) = std::fs::read_to_string(admin.join("gitdir")) else {
        return false;
    };
    let ours = common.join("auditops");
    let ours = ours.canonicalize().unwrap_or(ours);
    let checkout = Path::new(gitdir.trim());
    let checkout = checkout
        .canonicalize()
        .unwrap_or_else(|_| checkout.to_owned());
    checkout.starts_with(&ours)
}

/// Starts the watcher; it sends [`Msg::RefMoved`] when a followed ref moves.
/// `None` when it cannot start (the hooks still report commits; logged).
pub(crate) fn start(paths: &Paths, tx: Sender<Msg>) -> Option<notify::RecommendedWatcher> {
    let common = paths.common_dir.clone();
    let handler = {
        let common = common.clone();
        move |result: notify::Result<notify::Event>| match result {
            Ok(event) => {
                if is_move(&common, &event) {
                    let _ = tx.send(Msg::RefMoved);
                }
            }
            Err(err) => tracing::warn!("watching the refs: {err}"),
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(err) => {
            tracing::warn!("cannot watch the refs: {err}; only hooks report changes");
            return None;
        }
    };
    let watches = [
        (common.clone(), RecursiveMode::NonRecursive),
        (common.join("refs").join("heads"), RecursiveMode::Recursive),
        (common.join("worktrees"), RecursiveMode::Recursive),
    ];
    for (dir, mode) in watches {
        if dir.is_dir()
            && let Err(err) = watcher.watch(&dir, mode)
        {
            tracing::warn!(dir = %dir.display(), "cannot watch: {err}");
        }
    }
    Some(watcher)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_followed_refs_count() {
        let c = Path::new("/r/.git");
        assert!(is_ref_path(c, Path::new("/r/.git/HEAD")));
        assert!(is_ref_path(c, Path::new("/r/.git/packed-refs")));
        assert!(is_ref_path(c, Path::new("/r/.git/refs/heads/main")));
        assert!(is_ref_path(c, Path::new("/r/.git/refs/heads/feature/x")));
        assert!(is_ref_path(c, Path::new("/r/.git/worktrees/wt/HEAD")));
        assert!(!is_ref_path(c, Path::new("/r/.git/refs/heads/main.lock")));
        assert!(!is_ref_path(c, Path::new("/r/.git/index")));
        assert!(!is_ref_path(c, Path::new("/r/.git/worktrees/wt/index")));
        assert!(!is_ref_path(c, Path::new("/r/.git/refs/auditops/state")));
        assert!(!is_ref_path(c, Path::new("/elsewhere/HEAD")));
    }

    #[test]
    fn reading_a_ref_is_not_a_move() {
        use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
        use notify::{Event, EventKind};
        let c = Path::new("/r/.git");
        let at = |kind| Event::new(kind).add_path("/r/.git/HEAD".into());
        assert!(is_move(
            c,
            &at(EventKind::Modify(ModifyKind::Name(RenameMode::To)))
        ));
        assert!(is_move(c, &at(EventKind::Create(CreateKind::File))));
        assert!(!is_move(
            c,
            &at(EventKind::Access(AccessKind::Open(AccessMode::Any)))
        ));
        assert!(!is_move(
            c,
            &at(EventKind::Access(AccessKind::Close(AccessMode::Read)))
        ));
    }

    #[test]
    fn the_git_dir_going_away_is_reported() {
        use notify::event::{AccessKind, ModifyKind, RemoveKind, RenameMode};
        use notify::{Event, EventKind};
        let c = Path::new("/r/.git");
        let at = |kind, path: &str| Event::new(kind).add_path(path.into());
        assert!(is_move(
            c,
            &at(EventKind::Remove(RemoveKind::Folder), "/r/.git")
        ));
        assert!(is_move(
            c,
            &at(
                EventKind::Modify(ModifyKind::Name(RenameMode::Any)),
                "/r/.git"
            )
        ));
        assert!(!is_move(
            c,
            &at(EventKind::Access(AccessKind::Any), "/r/.git")
        ));
        assert!(!is_move(
            c,
            &at(EventKind::Remove(RemoveKind::File), "/r/.git/index")
        ));
    }

    #[test]
    fn the_head_of_a_worktree_of_ours_is_not_a_move() {
        use notify::event::{ModifyKind, RenameMode};
        use notify::{Event, EventKind};
        let dir = tempfile::tempdir().unwrap();
        let common = dir.path().join(".git");
        for (name, checkout) in [
            ("slot-0", common.join("auditops/worktrees/slot-0")),
            ("mine", dir.path().join("mine")),
        ] {
            let admin = common.join("worktrees").join(name);
            std::fs::create_dir_all(&admin).unwrap();
            std::fs::create_dir_all(&checkout).unwrap();
            std::fs::write(
                admin.join("gitdir"),
                format!("{}\n", checkout.join(".git").display()),
            )
            .unwrap();
        }
        let moved = |name: &str| {
            let head = common.join("worktrees").join(name).join("HEAD");
            let event =
                Event::new(EventKind::Modify(ModifyKind::Name(RenameMode::To))).add_path(head);
            is_move(&common, &event)
        };
        assert!(
            !moved("slot-0"),
            "the pool's slot moves with every gate run"
        );
        assert!(moved("mine"), "a user's linked worktree is followed");
    }
}
