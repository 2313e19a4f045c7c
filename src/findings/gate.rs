//! Gates that scan: after a gate with `sarif = "path"` runs, the file it wrote
//! is imported as findings of the gate's commit, and `fail_on` fails the gate
//! when this scan holds an open finding at or above that level.

use super::import::{Input, import_in};
use super::sarif::Level;
use crate::config::FailOn;
use crate::ids::CommitId;
use crate::workspace::Workspace;
use std::path::Path;

/// What a gate's scan gave.
pub(crate) struct GateScan {
    /// The scan record (new, or the earlier one with the same results).
    pub scan: Option<String>,
    /// Why the scan fails the gate, if it does.
    pub failure: Option<String>,
}

/// Whether a finding of `level` fails a gate with `fail_on`.
pub(crate) fn fails(fail_on: FailOn, level: Level) -> bool {
    let threshold = match fail_on {
        FailOn::None => return false,
        FailOn::Note => Level::Note,
        FailOn::Warning => Level::Warning,
        FailOn::Error => Level::Error,
    };
    level >= threshold
}

/// Imports `file` (written by the gate in `worktree`) for `commit`.
pub(crate) fn scan(
    ws: &Workspace,
    file: &Path,
    fail_on: FailOn,
    worktree: &Path,
    commit: CommitId,
) -> GateScan {
    let failed = |why: String| GateScan {
        scan: None,
        failure: Some(why),
    };
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(err) => {
            return failed(format!(
                "the gate did not write its SARIF file {}: {err}",
                file.display()
            ));
        }
    };
    let input = Input {
        name: file.display().to_string(),
        bytes,
    };
    let rev = commit.to_string();
    let imported = match import_in(ws, &[input], None, Some(&rev), Some(worktree)) {
        Ok(imported) => imported,
        Err(err) => return failed(format!("findings: {}", crate::error::chain(&err))),
    };
    let scan = imported
        .scans
        .first()
        .or(imported.already_imported.first())
        .cloned();
    let over: Vec<Level> = imported
        .open_levels
        .iter()
        .copied()
        .filter(|l| fails(fail_on, *l))
        .collect();
    let failure = (!over.is_empty()).then(|| {
        format!(
            "findings: {} finding(s) at or above `fail_on` in scan {}; `git auditops findings list` shows them",
            over.len(),
            scan.as_deref().unwrap_or("-")
        )
    });
    GateScan { scan, failure }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds() {
        assert!(!fails(FailOn::None, Level::Error));
        assert!(fails(FailOn::Warning, Level::Error));
        assert!(fails(FailOn::Warning, Level::Warning));
        assert!(!fails(FailOn::Warning, Level::Note));
        assert!(!fails(FailOn::Error, Level::Warning));
        assert!(fails(FailOn::Note, Level::Note));
        assert!(!fails(FailOn::Note, Level::None));
    }
}
