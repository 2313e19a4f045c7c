//! One sync run: read the outbox, check permissions, fold digests, carry out
//! each pending operation with retries, record every outcome, and stop early
//! (operations stay queued) when GitHub is unreachable, rate-limited, below
//! the quota floor or the circuit is open.
//!
//! The executor is split by concern: `run` is the run loop (what to do, in
//! which order, and each operation's path up to the API call); `attempt`
//! carries out one operation with retries; `stop` classifies API errors
//! into retry, give up or end the run; `access` reads and enforces the
//! token's permissions; `record` writes outcomes to the store and the
//! report; `folds` folds surplus issues into a digest and completes them;
//! `pulls` notes the pull requests the tool opened that were since closed.

mod access;
mod attempt;
mod folds;
mod pulls;
mod record;
mod run;
mod stop;

use super::backoff::Backoff;
use super::client::Client;
use super::error::GithubError;
use super::files::Dirs;
use super::journal::Journal;
use super::permissions::Access;
use super::report::{OpResult, SyncReport};
use crate::config::Config;
use crate::error::Result;
use crate::outbox::{Entry, OpId, OpState, Outbox};
use crate::sign::{SigningKey, key};
use crate::workspace::Workspace;
use std::collections::{BTreeMap, HashMap};

/// One sync run's executor: what it read, what it may do, what it did.
pub(crate) struct Executor<'r> {
    ws: &'r Workspace,
    config: &'r Config,
    key: Option<Option<SigningKey>>,
    pub(crate) dirs: Dirs,
    journal: Journal,
    run_id: String,
    dry_run: bool,
    /// The repository for operations that name none, or why there is none.
    default_repo: std::result::Result<String, GithubError>,
    backoff: Backoff,
    pub(crate) client: Option<Client>,
    outbox: Outbox,
    states: HashMap<OpId, OpState>,
    access: BTreeMap<String, Access>,
    pub(crate) report: SyncReport,
    /// Operations by outcome, for the metrics.
    pub(crate) counts: BTreeMap<OpResult, u64>,
    /// Operations that waited on another operation during this pass.
    deferred: Vec<OpId>,
}

/// `GITHUB_RUN_ID` when running in GitHub Actions, else `local`.
fn run_id() -> String {
    std::env::var("GITHUB_RUN_ID")
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .unwrap_or_else(|| "local".into())
}

impl<'r> Executor<'r> {
    pub(crate) fn new(ws: &'r Workspace, dry_run: bool) -> Result<Self> {
        let repo = ws.repo();
        let config = ws.config()?;
        let dirs = Dirs::new(repo);
        let run_id = run_id();
        Ok(Executor {
            ws,
            config,
            key: None,
            journal: Journal::new(dirs.github()),
            dirs,
            report: SyncReport::new(dry_run, &run_id, config.github.api_url()),
            run_id,
            dry_run,
            default_repo: super::repo::resolve(repo, config),
            backoff: Backoff::from_config(&config.github),
            client: None,
            outbox: Outbox::default(),
            states: HashMap::new(),
            access: BTreeMap::new(),
            counts: BTreeMap::new(),
            deferred: Vec::new(),
        })
    }

    /// Operations still open, for the report and the metrics.
    pub(crate) fn open_count(&self) -> usize {
        self.states.values().filter(|s| s.is_open()).count()
    }

    /// Reads the outbox again from the state ref (another process may have
    /// queued operations since).
    fn reload(&mut self) -> Result<()> {
        self.ws.refresh();
        self.outbox = Outbox::read(self.ws)?;
        self.states = self.outbox.states();
        Ok(())
    }

    fn default_repo(&self) -> Option<&str> {
        self.default_repo.as_deref().ok()
    }

    fn target(&self, entry: &Entry) -> Option<String> {
        entry
            .op
            .repo
            .clone()
            .or_else(|| self.default_repo().map(str::to_owned))
    }

    /// The signing key, loaded on first use (before any write is sent).
    fn signing_key(&mut self) -> Result<Option<&SigningKey>> {
        if self.key.is_none() {
            let loaded = key::for_recording(self.ws)?;
            self.key = Some(loaded);
        }
        Ok(self.key.as_ref().and_then(Option::as_ref))
    }
}
