//! What every command starts from: the repository and its configuration.

use crate::config::{Config, ConfigError};
use crate::error::Result;
use std::path::PathBuf;

pub struct Context {
    pub repo: gix::Repository,
    config: std::result::Result<Config, ConfigError>,
    pub config_file: Option<PathBuf>,
}

impl Context {
    pub fn open() -> Result<Self> {
        let cwd = std::env::current_dir().map_err(|err| {
            crate::Error::Usage(format!("cannot read the current directory: {err}"))
        })?;
        let repo = crate::git::open(&cwd)?;
        // A broken config is reported by the commands that need it, so that
        // `init` and `config check` can still run and say what is wrong.
        let (config, config_file) = match Config::load(repo.workdir()) {
            Ok(loaded) => (Ok(loaded.config), loaded.file),
            Err(err) => (Err(err), None),
        };
        Ok(Context {
            repo,
            config,
            config_file,
        })
    }

    pub fn config(&self) -> Result<&Config> {
        self.config.as_ref().map_err(|err| err.clone().into())
    }
}
