//! Reading a patch, and refusing hostile or malformed ones before anything is
//! written anywhere.

use super::error::PatchError;
use super::paths;
use crate::ids::Sha256;
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

/// A patch read and checked, ready to apply.
pub struct ParsedPatch {
    /// SHA-256 of the patch bytes.
    pub id: Sha256,
    /// The patch as libgit2 applies it.
    pub diff: git2::Diff<'static>,
    /// What it changes.
    pub changes: Vec<FileChange>,
    /// The commit message: the patch's subject (from `git format-patch`
    /// output), or a generated one.
    pub message: String,
    /// The patch's own subject, when it has one (`git format-patch` output).
    pub subject: Option<String>,
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

/// The `Subject:` of a `git format-patch` mail, without its `[PATCH …]` tag.
fn subject(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(16 * 1024)]);
    let line = text
        .lines()
        .take_while(|l| !l.starts_with("diff --git"))
        .find_map(|l| l.strip_prefix("Subject: "))?;
    let line = match line.strip_prefix('[') {
        Some(rest) => rest.split_once(']').map(|(_, s)| s).unwrap_or(rest),
        None => line,
    };
    Some(line.trim().to_owned()).filter(|s| !s.is_empty())
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

/// Parses `bytes` and checks every change against `base` (the tree the patch
/// will be applied to).
pub fn parse(bytes: &[u8], base: &git2::Tree<'_>) -> Result<ParsedPatch, PatchError> {
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
        if matches!(
            delta.status(),
            Delta::Added | Delta::Copied | Delta::Renamed
        ) && base.get_path(std::path::Path::new(&shown)).is_ok()
        {
            return Err(PatchError::Refused(format!(
                "`{shown}` is a new file in the patch but already exists in the target"
            )));
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
    let id = Sha256::of(bytes);
    let subject = subject(bytes);
    let message = subject
        .clone()
        .unwrap_or_else(|| format!("auditops: apply patch {}", id.short()));
    Ok(ParsedPatch {
        id,
        diff,
        changes,
        message,
        subject,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_come_from_format_patch_mail() {
        let mail = b"From 1234 Mon Sep 17 00:00:00 2001\nSubject: [PATCH 1/2] Fix the thing\n\n---\ndiff --git a/x b/x\n";
        assert_eq!(subject(mail).as_deref(), Some("Fix the thing"));
        assert_eq!(subject(b"diff --git a/x b/x\n"), None);
    }
}
