//! What an installed hook calls (`git auditops hook NAME`): the kept hook runs
//! first, then our check. This is the push's hot path, so nothing here starts a
//! git process unless `git -c core.hooksPath=…` demands it, and the state is
//! read once, through the workspace's cached view.

use super::{HookError, MANAGED, chained_name, hooks_dir, io, is_executable};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

/// The hooks folder for running a kept hook, on the push's hot path: resolved
/// in-process from the config gix reads, unless `core.hooksPath` comes from
/// `git -c` (which git hands to hooks in `GIT_CONFIG_PARAMETERS` or
/// `GIT_CONFIG_COUNT`/`_KEY_n`, and gix does not read): only then is git asked.
fn hooks_dir_for_running(repo: &gix::Repository) -> Result<PathBuf, HookError> {
    let mentions = |name: &str| {
        std::env::var(name).is_ok_and(|v| v.to_ascii_lowercase().contains("core.hookspath"))
    };
    let count: usize = std::env::var("GIT_CONFIG_COUNT")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    if mentions("GIT_CONFIG_PARAMETERS")
        || (0..count).any(|n| mentions(&format!("GIT_CONFIG_KEY_{n}")))
    {
        return hooks_dir(repo);
    }
    Ok(match repo.config_snapshot().string("core.hooksPath") {
        Some(value) => {
            let value = value.to_string();
            let path = match (value.strip_prefix("~/"), std::env::var_os("HOME")) {
                (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
                _ => PathBuf::from(&value),
            };
            // Relative to where git runs hooks: the top of the working tree.
            match path.is_absolute() {
                true => path,
                false => repo.workdir().unwrap_or(repo.git_dir()).join(path),
            }
        }
        None => repo.common_dir().join("hooks"),
    })
}

/// Fails with [`HookError::Unknown`] unless git-auditops handles `hook`.
pub fn check_name(hook: &str) -> Result<(), HookError> {
    match MANAGED.iter().any(|(name, _)| *name == hook) {
        true => Ok(()),
        false => Err(HookError::Unknown(hook.to_owned())),
    }
}

/// Runs the hook that was there before ours, if any, with the same arguments and
/// standard input, as git would have run it. `None` when there is none, or when
/// it is not executable (git skips those too).
///
/// The folder is the one git found our hook in (see [`hooks_dir_for_running`]),
/// so a refusing hook cannot be missed, and no git process is started unless
/// `git -c core.hooksPath=…` demands it.
pub fn run_chained(
    repo: &gix::Repository,
    hook: &str,
    args: &[String],
    stdin: &[u8],
) -> Result<Option<ExitStatus>, HookError> {
    check_name(hook)?;
    let kept = hooks_dir_for_running(repo)?.join(chained_name(hook));
    if std::fs::metadata(&kept).is_err() {
        return Ok(None);
    }
    if !is_executable(&kept) {
        eprintln!(
            "hint: {} was skipped because it is not executable (git skips such hooks too)",
            kept.display()
        );
        return Ok(None);
    }
    let spawn = |program: &Path, leading: Option<&Path>| {
        Command::new(program)
            .args(leading)
            .args(args)
            .stdin(Stdio::piped())
            .spawn()
    };
    let mut child = match spawn(&kept, None) {
        // A script without `#!`: git runs those with the shell, so do we.
        Err(err) if err.raw_os_error() == Some(libc::ENOEXEC) => {
            spawn(Path::new("/bin/sh"), Some(&kept))
        }
        other => other,
    }
    .map_err(io(&kept))?;
    if let Some(mut input) = child.stdin.take() {
        // A hook that does not read its input closes the pipe early; that is fine.
        let _ = input.write_all(stdin);
    }
    child.wait().map(Some).map_err(io(&kept))
}
