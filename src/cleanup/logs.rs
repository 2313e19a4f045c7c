//! Logs past retention: the files the tool writes under
//! `<git common dir>/auditops/logs/` (gate and validator logs, the detached
//! sync's log) whose last change is older than `[cleanup] log_retention`.
//! The SHA-256 is of the file's content.

use super::plan::{Action, ActionKind, Held};
use crate::error::{Error, Result};
use crate::ids::Sha256;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Where the tool's logs are (see `phase::gates::log_dir`).
fn log_dir(repo: &gix::Repository) -> PathBuf {
    crate::phase::gates::log_dir(repo)
}

/// One action per log file last written more than `retention` before `now`.
pub(super) fn actions(
    repo: &gix::Repository,
    retention: Duration,
    now: SystemTime,
) -> Result<Vec<Action>> {
    let dir = log_dir(repo);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let cutoff = now.checked_sub(retention).unwrap_or(SystemTime::UNIX_EPOCH);
    let mut out = Vec::new();
    for entry in entries.flatten() {
        // Regular files only: a symlink or a folder is not the tool's log.
        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
            continue;
        };
        let old = meta.modified().is_ok_and(|m| m <= cutoff);
        if !meta.is_file() || !old {
            continue;
        }
        let path = entry.path();
        let (sha256, bytes) = match content_sha256(&path) {
            Ok(read) => read,
            // Deleted since it was listed: nothing to plan.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(&path)(e)),
        };
        out.push(Action {
            kind: ActionKind::Log,
            target: path.display().to_string(),
            bytes,
            sha256,
            reason: format!(
                "unchanged for longer than [cleanup] log_retention ({})",
                crate::duration::format(retention)
            ),
            held: Held::File(path),
        });
    }
    Ok(out)
}

/// SHA-256 and length of a file's content, read in chunks.
pub(super) fn content_sha256(path: &Path) -> std::io::Result<(Sha256, u64)> {
    use sha2::Digest;
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((Sha256::from_bytes(hasher.finalize().into()), total))
}
