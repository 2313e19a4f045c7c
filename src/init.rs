//! Setting a repository up for git-auditops (`git auditops init`): the config
//! file, the state ref and the hooks. Idempotent: what exists is kept.

use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::hooks::{self, Change, HookError};
use crate::ids::CommitId;
use crate::store::Store;
use crate::workspace::Workspace;

/// What `init` found and did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Initialized {
    /// The `.auditops.toml` in force.
    pub config_file: String,
    /// Whether it was written now (else an existing one was kept).
    pub config_written: bool,
    /// The state ref.
    pub state_ref: String,
    /// Whether the state ref was created now.
    pub state_created: bool,
    /// Its tip.
    pub state_commit: CommitId,
    /// What was done to each hook; empty with --no-hooks.
    pub hooks: Vec<Change>,
    /// Why hooks were not installed, when they were not.
    pub hooks_skipped: Option<String>,
    /// Whether hooks were asked for (not `--no-hooks`).
    #[serde(skip)]
    pub hooks_requested: bool,
    /// The trust file the next step adds a key to.
    #[serde(skip)]
    pub allowed_signers: String,
}

/// Writes a commented `.auditops.toml` if none exists, creates the state ref if
/// missing and, with `install_hooks`, installs the hooks (a hooks folder
/// shared with other repositories is skipped, with the reason).
pub fn init(ws: &Workspace, install_hooks: bool) -> Result<Initialized> {
    let workdir = crate::git::workdir(ws.repo())?;
    let file = workdir.join(config::FILE_NAME);
    let config_written = !file.exists();
    let config = if config_written {
        std::fs::write(&file, config::TEMPLATE).map_err(Error::io(&file))?;
        Config::parse(config::TEMPLATE, &file)?
    } else {
        // An existing file is never rewritten, but it must be valid to go on.
        ws.config()?.clone()
    };
    // The workspace loaded the config before it was written: use the new one.
    let (tip, state_created) = Store::new(ws.repo(), config.ref_name())?.init()?;
    ws.refresh();
    let (hooks, hooks_skipped) = match install_hooks {
        false => (Vec::new(), Some("--no-hooks".to_owned())),
        true => match hooks::install(ws.repo(), false) {
            Ok(installed) => (installed.changes, None),
            // A shared hooks folder is the user's call, not init's.
            Err(err @ HookError::OutsideRepository { .. }) => (Vec::new(), Some(err.to_string())),
            Err(err) => return Err(err.into()),
        },
    };
    Ok(Initialized {
        config_file: file.display().to_string(),
        config_written,
        state_ref: config.ref_name().to_owned(),
        state_created,
        state_commit: tip.into(),
        hooks,
        hooks_skipped,
        hooks_requested: install_hooks,
        allowed_signers: config.allowed_signers().to_owned(),
    })
}
