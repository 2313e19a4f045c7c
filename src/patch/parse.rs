//! Reading a patch, and refusing hostile or malformed ones before anything is
//! written anywhere.

use super::error::PatchError;
use super::paths;
use git2::{Delta, FileMode};
use serde::{Deserialize, Serialize};

/// How a patch changes one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeStatus {
    /// A new file.
    Added,
    /// A file removed.
    Deleted,
    /// A file's content changed.
    Modified,
    /// A file moved (and maybe changed).
    Renamed,
    /// A file copied (and maybe changed).
    Copied,
    /// A file became a symlink, or the other way round.
    Typechange,
}

impl ChangeStatus {
    /// The change as a verb, to name a one-file patch ("modify src/lib.rs").
    pub fn verb(self) -> &'static str {
        match self {
            ChangeStatus::Added => "add",
            ChangeStatus::Deleted => "delete",
            ChangeStatus::Modified => "modify",
            ChangeStatus::Renamed => "rename to",
            ChangeStatus::Copied => "copy to",
            ChangeStatus::Typechange => "change the type of",
        }
    }
}

/// What a patch does to one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    /// The path after the change.
    pub path: String,
    /// The old path of a rename or copy.
    pub old_path: Option<String>,
    /// How the path changes.
    pub status: ChangeStatus,
}

/// One diff read and checked, ready to apply.
pub struct ParsedDiff {
    /// The diff as libgit2 applies it.
    pub diff: git2::Diff<'static>,
    /// What it changes.
    pub changes: Vec<FileChange>,
}

fn status_of(delta: Delta) -> Result<ChangeStatus, PatchError> {
    Ok(match delta {
        Delta::Added => ChangeStatus::Added,
        Delta::Deleted => ChangeStatus::Deleted,
        Delta::Modified => ChangeStatus::Modified,
        Delta::Renamed => ChangeStatus::Renamed,
        Delta::Copied => ChangeStatus::Copied,
        Delta::Typechange => ChangeStatus::Typechange,
        other => {
            return Err(PatchError::Malformed(format!(
                "unexpected change kind {other:?}"
            )));
        }
    })
}

/// The target of a symlink added or changed by delta `index`: its added line.
fn symlink_target(diff: &git2::Diff<'_>, index: usize) -> Result<Vec<u8>, PatchError> {
    let patch = git2::Patch::from_diff(diff, index)
        .map_err(PatchError::Unreadable)?
        .ok_or_else(|| PatchError::Refused("a symlink change without content".into()))?;
    let mut target = Vec::new();
    for hunk in 0..patch.num_hunks() {
        let lines = patch
            .num_lines_in_hunk(hunk)
            .map_err(PatchError::Unreadable)?;
        for n in 0..lines {
            let line = patch
                .line_in_hunk(hunk, n)
                .map_err(PatchError::Unreadable)?;
            if line.origin() == '+' {
                target.extend_from_slice(
                    line.content().strip_suffix(b"\n").unwrap_or(line.content()),
                );
            }
        }
    }
    Ok(target)
}

/// Parses one diff and refuses what must never be applied: binary changes,
/// submodules, paths outside the repository or into `.git/`, symlinks that
/// point out of it. Whether a new file already exists is checked where the
/// tree it applies to is known ([`super::apply`]).
pub fn parse(bytes: &[u8]) -> Result<ParsedDiff, PatchError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(PatchError::Malformed("the patch is empty".into()));
    }
    let diff = git2::Diff::from_buffer(bytes).map_err(PatchError::Unreadable)?;
    if diff.deltas().len() == 0 {
        return Err(PatchError::Malformed(
            "no file changes found (is this a unified diff?)".into(),
        ));
    }
    let mut changes = Vec::new();
    for (index, delta) in diff.deltas().enumerate() {
        let status = status_of(delta.status())?;
        let new_path = delta.new_file().path_bytes().unwrap_or_default().to_vec();
        let old_path = delta.old_file().path_bytes().unwrap_or_default().to_vec();
        for path in [&new_path, &old_path] {
            if let Some(reason) = paths::unsafe_reason(path) {
                return Err(PatchError::Refused(reason));
            }
        }
        let shown = String::from_utf8(new_path.clone())
            .map_err(|_| PatchError::Refused("a path that is not UTF-8".into()))?;
        if delta.flags().is_binary() {
            return Err(PatchError::Refused(format!(
                "`{shown}`: binary patches are not accepted"
            )));
        }
        match delta.new_file().mode() {
            FileMode::Commit => {
                return Err(PatchError::Refused(format!(
                    "`{shown}`: submodule changes are not accepted"
                )));
            }
            FileMode::Link => {
                let target = symlink_target(&diff, index)?;
                if let Some(reason) = paths::symlink_escapes(&new_path, &target) {
                    return Err(PatchError::Refused(reason));
                }
            }
            _ => {}
        }
        let old_path = (old_path != new_path)
            .then(|| String::from_utf8_lossy(&old_path).into_owned())
            .filter(|p| !p.is_empty() && status != ChangeStatus::Added);
        changes.push(FileChange {
            path: shown,
            old_path,
            status,
        });
    }
    Ok(ParsedDiff { diff, changes })
}

/// Whether the change would create `path` (so it must not exist yet).
pub(crate) fn creates(status: ChangeStatus) -> bool {
    matches!(
        status,
        ChangeStatus::Added | ChangeStatus::Copied | ChangeStatus::Renamed
    )
}
