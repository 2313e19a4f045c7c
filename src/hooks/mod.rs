//! Installing, removing and inspecting the git hooks that call git-auditops.
//!
//! Our hook files carry a marker and do nothing but `exec git-auditops hook …`.
//! A hook that was there before is kept: moved aside, run first by
//! `git auditops hook` with the same arguments and standard input, and put back
//! byte for byte on uninstall.

//! Split by concern: this file holds what every part shares (the error type,
//! the managed hooks and their marker, where git looks for hooks);
//! `install` writes and removes hook files, `status` inspects them, and `run`
//! is what an installed hook calls, on the push's hot path.

mod event;
mod install;
mod run;
mod status;

pub use event::{Site, run_event};
pub use install::{Action, Change, Changes, install, uninstall};
pub use run::{HookOutcome, run, run_chained};
pub use status::{NotInstalled, State, Status, Statuses, not_installed, status};

use crate::phase::prepush::RefDecision;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, ExitStatus};

/// The hooks git-auditops installs, with their scripts.
pub const MANAGED: &[(&str, &str)] = &[
    ("pre-push", include_str!("../../hooks/pre-push")),
    ("post-commit", include_str!("../../hooks/post-commit")),
    ("post-checkout", include_str!("../../hooks/post-checkout")),
    ("post-merge", include_str!("../../hooks/post-merge")),
    ("post-rewrite", include_str!("../../hooks/post-rewrite")),
];

/// The hooks that only tell the daemon what happened (docs/daemon.md).
pub const EVENT_HOOKS: &[&str] = &["post-commit", "post-checkout", "post-merge", "post-rewrite"];

/// Every hook file of ours has this on its second line.
pub const MARKER: &str = "# git-auditops hook";

/// Where a foreign hook is kept while ours is installed.
pub fn chained_name(hook: &str) -> String {
    format!("{hook}.auditops-chained")
}

/// Why hooks could not be installed, inspected or run.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// Installing would change the hooks of other repositories.
    #[error("the hooks folder {} is outside this repository (core.hooksPath = {hooks_path}); installing there changes the hooks of every repository that uses it. Re-run with --force if that is what you want", dir.display())]
    OutsideRepository {
        /// The hooks folder.
        dir: PathBuf,
        /// `core.hooksPath`.
        hooks_path: String,
    },
    /// A kept hook already exists where ours would keep the current one.
    #[error("{} already exists; a chained hook is in the way: move it, then install again", path.display())]
    ChainedInTheWay {
        /// The kept hook.
        path: PathBuf,
    },
    /// git could not be run.
    #[error("cannot run `git {args}`")]
    GitSpawn {
        /// Its arguments.
        args: String,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// git ran and failed.
    #[error("`git {args}` failed: {stderr}")]
    Git {
        /// Its arguments.
        args: String,
        /// What git said.
        stderr: String,
    },
    /// A hook file could not be read or written.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The hook's standard input could not be read.
    #[error("cannot read the hook's input")]
    Input(#[source] std::io::Error),
    /// Not a hook we handle.
    #[error(
        "`{0}` is not a hook git-auditops handles (known: pre-push, post-commit, post-checkout, post-merge, post-rewrite)"
    )]
    Unknown(String),
    /// The hook that was there before ours ran first and said no, so git must
    /// not go ahead, whatever our own check would say.
    #[error("the earlier {hook} hook refused ({status})")]
    ChainedRefused {
        /// The hook's name (`pre-push`).
        hook: String,
        /// How it exited.
        status: ExitStatus,
    },
    /// The pre-push check refused at least one ref. The decisions are kept so
    /// that the caller can show git's user why (`phase::prepush::explain`).
    #[error("push refused by git-auditops")]
    PushRefused {
        /// The verdict on every pushed ref, allowed ones included.
        decisions: Vec<RefDecision>,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HookError + '_ {
    move |source| HookError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Where git looks for hooks, as git itself reports it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Location {
    /// The hooks folder.
    pub dir: PathBuf,
    /// `core.hooksPath`, when set.
    pub hooks_path: Option<String>,
    /// The folder is not inside this repository (its git dir or working tree).
    pub outside: bool,
}

fn git_output(repo: &gix::Repository, args: &[&str]) -> Result<String, HookError> {
    let cwd = repo.workdir().unwrap_or(repo.git_dir());
    let out = Command::new("git")
        .current_dir(cwd)
        .args(args)
        .output()
        .map_err(|source| HookError::GitSpawn {
            args: args.join(" "),
            source,
        })?;
    if !out.status.success() {
        return Err(HookError::Git {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    // Only the line end: a path may start or end with spaces.
    Ok(String::from_utf8_lossy(&out.stdout)
        .trim_end_matches('\n')
        .to_owned())
}

/// The hooks folder git uses, as `git rev-parse --git-path hooks` reports it
/// (honouring worktrees, `core.hooksPath` from any config file, and `git -c`).
fn hooks_dir(repo: &gix::Repository) -> Result<PathBuf, HookError> {
    let cwd = repo.workdir().unwrap_or(repo.git_dir()).to_owned();
    let dir = PathBuf::from(git_output(repo, &["rev-parse", "--git-path", "hooks"])?);
    Ok(if dir.is_absolute() {
        dir
    } else {
        cwd.join(dir)
    })
}

/// Where git looks for hooks in `repo`.
pub fn location(repo: &gix::Repository) -> Result<Location, HookError> {
    let dir = hooks_dir(repo)?;
    // Asked of git too, so that every place git reads config from counts.
    let hooks_path = git_output(repo, &["config", "--get", "core.hooksPath"])
        .ok()
        .filter(|v| !v.is_empty());
    let resolved = resolve(&dir);
    let inside = [
        Some(repo.common_dir()),
        Some(repo.git_dir()),
        repo.workdir(),
    ]
    .into_iter()
    .flatten()
    .any(|root| resolved.starts_with(resolve(root)));
    Ok(Location {
        dir,
        hooks_path,
        outside: !inside,
    })
}

/// `path` with symlinks followed as far as it exists, and `.` and `..`
/// resolved in the part that does not exist yet: `repo/../elsewhere` is not
/// inside `repo`, whether or not `elsewhere` exists.
fn resolve(path: &Path) -> PathBuf {
    let components: Vec<Component> = path.components().collect();
    for split in (1..=components.len()).rev() {
        let head: PathBuf = components[..split].iter().collect();
        let Ok(mut out) = head.canonicalize() else {
            continue;
        };
        for component in &components[split..] {
            match component {
                Component::ParentDir => {
                    out.pop();
                }
                Component::Normal(name) => out.push(name),
                Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            }
        }
        return out;
    }
    path.to_owned()
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn is_ours(content: &[u8]) -> bool {
    content
        .split(|b| *b == b'\n')
        .take(3)
        .any(|line| line.starts_with(MARKER.as_bytes()))
}
