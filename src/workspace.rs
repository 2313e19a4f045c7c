//! The workspace handle: what every command and the daemon work from.
//!
//! One [`Workspace`] is opened per command (and held for its lifetime by the
//! daemon). It owns the repository and its configuration, loads the trust list
//! on first use, and reads the state ref once: every later [`Workspace::view`]
//! reuses that read. Writes go through [`Workspace::write`] so that the view
//! follows the writes this process makes; [`Workspace::refresh`] drops what was
//! read when the ref may have moved under us (the daemon calls it when the ref
//! moves). Nothing here is global: two workspaces are independent.

use crate::config::{Config, ConfigError, Loaded};
use crate::error::Result;
use crate::ids::Sha256;
use crate::sign::TrustSet;
use crate::store::{Op, StateView, Store, Written};
use gix::ObjectId;
use std::cell::{Cell, OnceCell};
use std::path::{Path, PathBuf};

/// The configuration as read, or why it could not be; the file it came from
/// and the digest of its bytes, when there is one.
type LoadedConfig = (
    std::result::Result<Config, ConfigError>,
    Option<PathBuf>,
    Option<Sha256>,
);

/// A repository opened for git-auditops.
pub struct Workspace {
    repo: gix::Repository,
    /// Read on first use (a commit hook that finds the daemon never needs
    /// it). A broken config is reported by the calls that need it, so that
    /// `init` and `config check` still run and say what is wrong.
    config: OnceCell<LoadedConfig>,
    trust: OnceCell<TrustSet>,
    /// The state tip as last read or written: `None` until read, then
    /// `Some(None)` when the ref does not exist.
    tip: Cell<Option<Option<ObjectId>>>,
}

impl Workspace {
    /// Opens the repository containing `dir` (honouring `GIT_DIR` and friends,
    /// as git does); its `.auditops.toml` is loaded when first asked for.
    pub fn open(dir: &Path) -> Result<Self> {
        let repo = crate::git::open(dir)?;
        Ok(Self::from_repo(repo))
    }

    /// Wraps an already opened repository.
    pub fn from_repo(repo: gix::Repository) -> Self {
        Workspace {
            repo,
            config: OnceCell::new(),
            trust: OnceCell::new(),
            tip: Cell::new(None),
        }
    }

    /// The repository.
    pub fn repo(&self) -> &gix::Repository {
        &self.repo
    }

    /// The configuration, or why it could not be loaded.
    pub fn config(&self) -> Result<&Config> {
        self.loaded().0.as_ref().map_err(|err| err.clone().into())
    }

    /// The `.auditops.toml` in force, if one exists (else the defaults are).
    pub fn config_file(&self) -> Option<&Path> {
        self.loaded().1.as_deref()
    }

    /// The SHA-256 of the `.auditops.toml` in force, as read (`None` with the
    /// defaults or a file that could not be read).
    pub fn config_digest(&self) -> Option<Sha256> {
        self.loaded().2
    }

    fn loaded(&self) -> &LoadedConfig {
        self.config
            .get_or_init(|| match Config::load(self.repo.workdir()) {
                Ok(Loaded {
                    config,
                    file,
                    digest,
                }) => (Ok(config), file, digest),
                Err(err) => (Err(err), None, None),
            })
    }

    /// The trust list named by the config, as committed at HEAD; loaded once.
    pub fn trust(&self) -> Result<&TrustSet> {
        if let Some(trust) = self.trust.get() {
            return Ok(trust);
        }
        let config = self.config()?;
        let trust = crate::sign::trust::load(&self.repo, config.allowed_signers(), None)?;
        Ok(self.trust.get_or_init(|| trust))
    }

    /// Whether records must be signed by a trusted key to count.
    pub fn require_signed(&self) -> Result<bool> {
        Ok(self.config()?.trust.require_signed)
    }

    /// The store of the configured state ref.
    pub fn store(&self) -> Result<Store<'_>> {
        let config = self.config()?;
        Ok(Store::new(&self.repo, config.ref_name())?
            .with_lock_timeout(config.state.lock_timeout.0))
    }

    /// The state as this process last saw it; `None` when the ref does not exist.
    /// Read from the ref once, then reused.
    pub fn view(&self) -> Result<Option<StateView<'_>>> {
        let store = self.store()?;
        let tip = match self.tip.get() {
            Some(tip) => tip,
            None => {
                let tip = store.tip()?;
                self.tip.set(Some(tip));
                tip
            }
        };
        Ok(tip.map(|commit| store.view_at(commit)).transpose()?)
    }

    /// Applies `ops` in one transaction of the state ref, and moves the view to it.
    pub fn write(&self, ops: &[Op], message: &str) -> Result<Written> {
        let written = self.store()?.write(ops, message)?;
        self.tip.set(Some(Some(written.commit)));
        Ok(written)
    }

    /// Forgets the state read so far: the next [`Workspace::view`] reads the ref again.
    pub fn refresh(&self) {
        self.tip.set(None);
    }
}
