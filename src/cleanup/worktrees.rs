//! Pooled worktrees no live process holds (see `worktree::idle`): in use,
//! with changes, or not the tool's, a worktree is never planned. The SHA-256
//! is of the commit id it has checked out: it has no changes, so its tracked
//! files are that commit's; `bytes` counts everything in the folder.

use super::plan::{Action, ActionKind, Held};
use crate::ids::Sha256;

/// One action per idle worktree of the pool.
pub(super) fn actions(repo: &gix::Repository) -> Vec<Action> {
    crate::worktree::idle(repo)
        .into_iter()
        .map(|idle| {
            let hex = idle.head.to_string();
            Action {
                kind: ActionKind::PooledWorktree,
                target: idle.path.display().to_string(),
                bytes: idle.bytes,
                sha256: Sha256::of(hex.as_bytes()),
                reason: format!(
                    "a worktree of the tool's pool at {}, unused and without changes",
                    &hex[..12]
                ),
                held: Held::Worktree(idle.path),
            }
        })
        .collect()
}
