//! `hooks install` and `hooks uninstall`: writing our hook files, and keeping
//! a hook that was there (moved aside on install, put back on uninstall), so
//! that nothing another tool installed is lost.

use super::{HookError, Location, MANAGED, chained_name, io, is_executable, is_ours, location};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn write_script(path: &Path, script: &str) -> Result<(), HookError> {
    let tmp = path.with_extension("auditops-tmp");
    std::fs::write(&tmp, script).map_err(io(&tmp))?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// What install or uninstall did to one hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Written where there was none.
    Installed,
    /// Ours, rewritten (an older script, or without its executable bit).
    Updated,
    /// Ours, already current.
    Unchanged,
    /// Installed; the hook that was there is kept and run first.
    Chained,
    /// Ours, removed.
    Removed,
    /// Ours removed, and the kept hook put back.
    Restored,
    /// Neither ours nor a kept hook is there.
    Absent,
    /// Someone else's hook, not ours to remove.
    Left,
}

impl Action {
    /// The name `--json` gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Installed => "installed",
            Action::Updated => "updated",
            Action::Unchanged => "unchanged",
            Action::Chained => "chained",
            Action::Removed => "removed",
            Action::Restored => "restored",
            Action::Absent => "absent",
            Action::Left => "left",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What install or uninstall did to one hook.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Change {
    /// The hook's name (`pre-push`).
    pub hook: String,
    /// What was done.
    pub action: Action,
    /// The hook file.
    pub path: PathBuf,
}

/// What `hooks install` or `hooks uninstall` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Changes {
    /// Where the hooks are.
    pub location: Location,
    /// One per managed hook.
    pub changes: Vec<Change>,
}

/// Installs our hooks where git looks for them, keeping any hook that was
/// there. A hooks folder outside the repository needs `force`.
pub fn install(repo: &gix::Repository, force: bool) -> Result<Changes, HookError> {
    let location = location(repo)?;
    if location.outside && !force {
        return Err(HookError::OutsideRepository {
            dir: location.dir.clone(),
            hooks_path: location.hooks_path.clone().unwrap_or_default(),
        });
    }
    std::fs::create_dir_all(&location.dir).map_err(io(&location.dir))?;
    let mut changes = Vec::new();
    for (hook, script) in MANAGED {
        let path = location.dir.join(hook);
        let action = match std::fs::symlink_metadata(&path) {
            Err(_) => {
                write_script(&path, script)?;
                Action::Installed
            }
            Ok(_) => {
                let current = std::fs::read(&path).unwrap_or_default();
                if current == script.as_bytes() && is_executable(&path) {
                    Action::Unchanged
                } else if is_ours(&current) {
                    // Older script, or the same one without its executable bit
                    // (which git would skip).
                    write_script(&path, script)?;
                    Action::Updated
                } else {
                    let kept = location.dir.join(chained_name(hook));
                    if std::fs::symlink_metadata(&kept).is_ok() {
                        return Err(HookError::ChainedInTheWay { path: kept });
                    }
                    // A rename keeps the file exactly: bytes, mode, even a symlink.
                    std::fs::rename(&path, &kept).map_err(io(&path))?;
                    write_script(&path, script)?;
                    Action::Chained
                }
            }
        };
        changes.push(Change {
            hook: (*hook).to_owned(),
            action,
            path,
        });
    }
    Ok(Changes { location, changes })
}

/// Removes our hooks and puts back the ones they replaced.
pub fn uninstall(repo: &gix::Repository) -> Result<Changes, HookError> {
    let location = location(repo)?;
    let mut changes = Vec::new();
    for (hook, _) in MANAGED {
        let path = location.dir.join(hook);
        let kept = location.dir.join(chained_name(hook));
        let ours = std::fs::read(&path).is_ok_and(|c| is_ours(&c));
        let action = if ours {
            std::fs::remove_file(&path).map_err(io(&path))?;
            if std::fs::symlink_metadata(&kept).is_ok() {
                std::fs::rename(&kept, &path).map_err(io(&kept))?;
                Action::Restored
            } else {
                Action::Removed
            }
        } else if std::fs::symlink_metadata(&path).is_ok() {
            Action::Left
        } else if std::fs::symlink_metadata(&kept).is_ok() {
            // Ours was deleted by hand: the kept hook must not stay stranded.
            std::fs::rename(&kept, &path).map_err(io(&kept))?;
            Action::Restored
        } else {
            Action::Absent
        };
        changes.push(Change {
            hook: (*hook).to_owned(),
            action,
            path,
        });
    }
    Ok(Changes { location, changes })
}
