//! Installing, removing and inspecting the git hooks that call git-auditops.
//!
//! Our hook files carry a marker and do nothing but `exec git-auditops hook …`.
//! A hook that was there before is kept: moved aside, run first by
//! `git auditops hook` with the same arguments and standard input, and put back
//! byte for byte on uninstall.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

/// The hooks git-auditops installs, with their scripts.
pub const MANAGED: &[(&str, &str)] = &[("pre-push", include_str!("../hooks/pre-push"))];

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
    #[error("`{0}` is not a hook git-auditops handles (known: pre-push)")]
    Unknown(String),
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

/// The state of one managed hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Ours, current.
    Installed,
    /// Ours, an older script.
    Outdated,
    /// No hook there.
    Missing,
    /// Another tool's hook is there instead of ours.
    Foreign,
    /// Ours is installed, but git will not run it.
    Bypassed,
}

impl State {
    /// The name `--json` gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Installed => "installed",
            State::Outdated => "outdated",
            State::Missing => "missing",
            State::Foreign => "foreign",
            State::Bypassed => "bypassed",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How one managed hook stands.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    /// The hook's name (`pre-push`).
    pub hook: String,
    /// The hook file git runs.
    pub path: PathBuf,
    /// Its state.
    pub state: State,
    /// Why the hook is bypassed, when it is.
    pub reason: Option<String>,
    /// An earlier hook is kept and run first.
    pub chained: bool,
}

/// What `hooks status` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Statuses {
    /// Where the hooks are.
    pub location: Location,
    /// One per managed hook.
    pub hooks: Vec<Status>,
}

/// How each managed hook stands.
pub fn status(repo: &gix::Repository) -> Result<Statuses, HookError> {
    let location = location(repo)?;
    let default_dir = repo.common_dir().join("hooks");
    let mut out = Vec::new();
    for (hook, script) in MANAGED {
        let path = location.dir.join(hook);
        let chained = std::fs::symlink_metadata(location.dir.join(chained_name(hook))).is_ok();
        let mut reason = None;
        let state = match std::fs::read(&path) {
            Ok(content) if is_ours(&content) => {
                if !is_executable(&path) {
                    reason = Some(format!(
                        "{} is not executable, so git skips it",
                        path.display()
                    ));
                    State::Bypassed
                } else if content == script.as_bytes() {
                    State::Installed
                } else {
                    State::Outdated
                }
            }
            Ok(_) => State::Foreign,
            Err(_) => {
                let stranded = default_dir.join(hook);
                let ours_elsewhere = location.dir != default_dir
                    && std::fs::read(&stranded).is_ok_and(|c| is_ours(&c));
                if ours_elsewhere {
                    reason = Some(format!(
                        "installed in {}, but core.hooksPath = {} sends git to {}",
                        default_dir.display(),
                        location.hooks_path.clone().unwrap_or_default(),
                        location.dir.display()
                    ));
                    State::Bypassed
                } else {
                    State::Missing
                }
            }
        };
        out.push(Status {
            hook: (*hook).to_owned(),
            path,
            state,
            reason,
            chained,
        });
    }
    Ok(Statuses {
        location,
        hooks: out,
    })
}

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
