//! `hooks status`: how each managed hook stands (installed, outdated, missing,
//! foreign, or installed where git does not look), read without changing a
//! file, so that `status` and `doctor`-style reports can show it.

use super::{HookError, Location, MANAGED, chained_name, is_executable, is_ours, location};
use std::path::{Path, PathBuf};

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
        let state = match file_state(&path, script) {
            Some(State::Bypassed) => {
                reason = Some(format!(
                    "{} is not executable, so git skips it",
                    path.display()
                ));
                State::Bypassed
            }
            Some(state) => state,
            None => {
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

/// The state of the hook file at `path`, judged by the file alone (`script`
/// is ours, current): `None` when there is no file.
fn file_state(path: &Path, script: &str) -> Option<State> {
    let content = std::fs::read(path).ok()?;
    Some(if !is_ours(&content) {
        State::Foreign
    } else if !is_executable(path) {
        State::Bypassed
    } else if content == script.as_bytes() {
        State::Installed
    } else {
        State::Outdated
    })
}

/// Why a command warns that this clone runs no git-auditops hook: a clone made
/// after `init` has `.auditops.toml` but not the hooks, and its pushes go
/// unchecked until someone notices.
#[derive(Debug, Clone)]
pub struct NotInstalled {
    /// The hook file git would run.
    pub path: PathBuf,
    /// What is there instead of ours: missing, foreign, or not executable
    /// ([`State::Bypassed`]).
    pub state: State,
}

impl std::fmt::Display for NotInstalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.state {
            State::Foreign => "is another tool's hook",
            State::Bypassed => "is not executable",
            _ => "does not exist",
        };
        write!(
            f,
            "the git-auditops hooks are not installed in this clone ({} {what}), so pushes are not checked; \
             run `git auditops init` to install them (`git config auditops.hooks false` silences this)",
            self.path.display()
        )
    }
}

/// Whether a repository set up for git-auditops (it has `.auditops.toml`) lacks
/// our hooks where git looks for them. Cheap enough for every command: it reads
/// the config git already loaded and each hook file, and starts no process
/// (unless `git -c core.hooksPath=…` is in force) and reads no state.
/// `None` when all is well, when there is no `.auditops.toml`, or when
/// `git config auditops.hooks false` says hooks are not wanted here.
pub fn not_installed(ws: &crate::workspace::Workspace) -> Option<NotInstalled> {
    let repo = ws.repo();
    ws.config_file()?;
    if repo.config_snapshot().boolean("auditops.hooks") == Some(false) {
        return None;
    }
    let dir = super::run::hooks_dir_for_running(repo).ok()?;
    MANAGED.iter().find_map(|(hook, script)| {
        let path = dir.join(hook);
        match file_state(&path, script) {
            Some(State::Installed | State::Outdated) => None,
            state => Some(NotInstalled {
                path,
                state: state.unwrap_or(State::Missing),
            }),
        }
    })
}
