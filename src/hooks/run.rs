//! What an installed hook calls (`git auditops hook NAME`): the kept hook runs
//! first, then our check. This is the push's hot path, so nothing here starts a
//! git process, and the state is read once, through the workspace's cached view.

use super::{HookError, MANAGED, chained_name, io, is_executable};
use crate::error::Result;
use crate::github::background::{self, Started};
use crate::phase::prepush::{self, RefDecision};
use crate::workspace::Workspace;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

/// The hooks folder for running a kept hook, on the push's hot path: resolved
/// in-process from the config gix reads, which includes `git -c core.hooksPath=…`
/// (see [`crate::git::open`]), so no git process is started.
pub(super) fn hooks_dir_for_running(repo: &gix::Repository) -> PathBuf {
    match repo.config_snapshot().string("core.hooksPath") {
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
    }
}

/// Fails with [`HookError::Unknown`] unless git-auditops handles `hook`.
fn check_name(hook: &str) -> Result<(), HookError> {
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
/// so a refusing hook cannot be missed, and no git process is started.
pub fn run_chained(
    repo: &gix::Repository,
    hook: &str,
    args: &[String],
    stdin: &[u8],
) -> Result<Option<ExitStatus>, HookError> {
    run_kept(&hooks_dir_for_running(repo), hook, args, stdin)
}

/// [`run_chained`] with the hooks folder known: the kept hook of `hook` in `dir`.
pub(super) fn run_kept(
    dir: &Path,
    hook: &str,
    args: &[String],
    stdin: &[u8],
) -> Result<Option<ExitStatus>, HookError> {
    check_name(hook)?;
    let kept = dir.join(chained_name(hook));
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

/// What a hook run that lets git go ahead found.
#[derive(Debug)]
pub struct HookOutcome {
    /// How the kept hook exited, when there is one and it ran.
    pub chained: Option<ExitStatus>,
    /// The verdict on every pushed ref (all allowed, or this is an error).
    pub decisions: Vec<RefDecision>,
    /// Whether a GitHub sync was started after the push, for the debug log.
    pub(crate) background: Started,
    /// What an event hook told the daemon, for the debug log.
    pub(crate) daemon: Option<String>,
}

/// An event hook (post-commit, …): tells the daemon, starting one when
/// `[daemon] autostart` allows. Our part never fails and never waits; the
/// kept hook's exit status is passed on (git uses post-checkout's as its own).
fn event(
    ws: &Workspace,
    name: &str,
    chained: Option<ExitStatus>,
) -> Result<HookOutcome, HookError> {
    let repo = ws.repo();
    let site = super::event::Site {
        common_dir: repo.common_dir().to_owned(),
        worktree: repo.workdir().map(Path::to_owned),
        start_dir: repo.workdir().unwrap_or(repo.git_dir()).to_owned(),
    };
    // The config is read only when no daemon answers: most commits find one.
    let autostart = || ws.config().is_ok_and(|c| c.daemon.autostart);
    told(&site, name, chained, autostart)
}

/// Tells the daemon about event `name` at `site` (see [`event`]), then passes
/// on how the kept hook exited.
pub(super) fn told(
    site: &super::event::Site,
    name: &str,
    chained: Option<ExitStatus>,
    autostart: impl FnOnce() -> bool,
) -> Result<HookOutcome, HookError> {
    let told = crate::daemon::notify(site, autostart, name);
    if let Some(status) = chained
        && !status.success()
    {
        tracing::debug!(daemon = told, "event hook");
        return Err(HookError::ChainedRefused {
            hook: name.to_owned(),
            status,
        });
    }
    Ok(HookOutcome {
        chained,
        decisions: Vec::new(),
        background: Started::NothingPending,
        daemon: Some(told),
    })
}

/// What `git auditops hook NAME ARGS…` does: runs the kept hook with the same
/// arguments and input, then our check, so that the CLI only reads its input
/// and prints.
///
/// `input` is read only once `name` is known to be ours, so that
/// `hook nonsense` typed at a terminal fails at once instead of waiting.
/// A refusal is an error: [`HookError::ChainedRefused`] when the kept hook says
/// no, [`HookError::PushRefused`] when the pre-push check does.
pub fn run(
    ws: &Workspace,
    name: &str,
    args: &[String],
    mut input: impl Read,
) -> Result<HookOutcome> {
    check_name(name)?;
    let mut stdin = Vec::new();
    input.read_to_end(&mut stdin).map_err(HookError::Input)?;
    let chained = run_chained(ws.repo(), name, args, &stdin)?;
    if super::EVENT_HOOKS.contains(&name) {
        return Ok(event(ws, name, chained)?);
    }
    if let Some(status) = chained
        && !status.success()
    {
        return Err(HookError::ChainedRefused {
            hook: name.to_owned(),
            status,
        }
        .into());
    }
    match name {
        "pre-push" => {
            let config = ws.config()?;
            let updates = prepush::parse_updates(&stdin)?;
            let mut decisions = prepush::decide(ws, &updates, config.policy.run_missing_gates)?;
            if decisions.iter().any(|d| !d.allowed) {
                // The daemon may be running the missing gates right now.
                decisions = crate::daemon::wait_for_gates(ws, &updates, decisions)?;
            }
            let decisions = verdict(decisions)?;
            // Pending GitHub operations go out after the push: by the daemon
            // when one runs, else detached. This never delays or fails the push.
            let background = match crate::daemon::after_push(ws) {
                true => Started::Daemon,
                false => background::start_after_push(ws),
            };
            Ok(HookOutcome {
                chained,
                decisions,
                background,
                daemon: None,
            })
        }
        other => Err(HookError::Unknown(other.to_owned()).into()),
    }
}

/// The decisions back when every ref may be pushed; otherwise the refusal,
/// carrying all of them so that the explanation can name each refused ref.
fn verdict(decisions: Vec<RefDecision>) -> Result<Vec<RefDecision>, HookError> {
    match decisions.iter().all(|d| d.allowed) {
        true => Ok(decisions),
        false => Err(HookError::PushRefused { decisions }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(remote_ref: &str, allowed: bool) -> RefDecision {
        RefDecision {
            remote_ref: remote_ref.to_owned(),
            commit: None,
            allowed,
            reason: (!allowed).then(|| "protected".to_owned()),
            gates: Vec::new(),
            phase: None,
        }
    }

    #[test]
    fn a_push_goes_ahead_only_when_every_ref_is_allowed() {
        let allowed = vec![
            decision("refs/heads/a", true),
            decision("refs/heads/b", true),
        ];
        assert_eq!(verdict(allowed).unwrap().len(), 2);
        assert_eq!(verdict(Vec::new()).unwrap().len(), 0);

        let mixed = vec![
            decision("refs/heads/a", true),
            decision("refs/heads/main", false),
        ];
        let Err(err) = verdict(mixed) else {
            panic!("a refused ref must refuse the push");
        };
        assert_eq!(err.to_string(), "push refused by git-auditops");
        let HookError::PushRefused { decisions } = err else {
            panic!("expected PushRefused, got {err:?}");
        };
        // All of them, so the explanation is the one the user saw before.
        assert_eq!(decisions.len(), 2);
        assert!(
            prepush::explain(&decisions).contains("push to refs/heads/main refused: protected")
        );
    }

    #[test]
    fn refusals_are_exit_1() {
        use crate::error::{Error, ExitCode};
        use std::os::unix::process::ExitStatusExt;
        let chained = Error::from(HookError::ChainedRefused {
            hook: "pre-push".to_owned(),
            status: ExitStatus::from_raw(1 << 8),
        });
        assert_eq!(chained.exit_code(), ExitCode::Refused);
        assert_eq!(
            chained.to_string(),
            "the earlier pre-push hook refused (exit status: 1)"
        );
        let push = Error::from(HookError::PushRefused {
            decisions: Vec::new(),
        });
        assert_eq!(push.exit_code(), ExitCode::Refused);
    }
}
