//! The state store: the one writer of the state ref (`refs/auditops/state` by default).
//!
//! Every change is one commit written in-process and published with a
//! compare-and-swap ref update; a writer that loses the race re-applies its change
//! on the new tip, so concurrent writers never lose or overwrite each other's
//! records. The only lock is the ref's own, for the instant of each update; one
//! left by a killed writer is recognised and removed (see [`ref_lock`]). See
//! docs/state-format.md for the format.

mod append;
mod error;
mod growth;
mod history;
mod identity;
pub(crate) mod index;
pub mod kept;
pub mod layout;
mod merge;
mod pack;
mod record;
pub mod ref_lock;
pub(crate) mod remote;
mod tree_diff;
mod tree_edit;
mod view;

pub use crate::canonical::canonical_json;
pub use error::{Result, StoreError};
pub use growth::{Growth, HistoryFault};
pub use history::{History, Transaction};
pub use index::KeyedPath;
pub use kept::Kept;
pub use merge::{Incoming, IntegrateOutcome};
pub use record::{RawRecord, RecordId};
pub use ref_lock::RefLockState;
pub use view::{Group, Segment, StateView};

use gix::ObjectId;
use gix::refs::Target;
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};
use std::time::Duration;

/// The version of the tree layout this tool writes; it reads every version
/// from 1 up to it, and upgrades a version 1 state when it writes to it.
pub const FORMAT_VERSION: u32 = 2;
/// The default state ref.
pub const DEFAULT_REF: &str = "refs/auditops/state";
/// The log that holds evidence records.
pub const EVIDENCE_LOG: &str = "evidence";
/// How long a write waits for another live writer's lock of the state ref when
/// `[state] lock_timeout` does not say.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// Where `state pull` keeps what it fetched from `remote`.
pub fn remote_tracking_ref(remote: &str) -> String {
    format!("refs/auditops/remotes/{remote}/state")
}

/// Where a record is stored: a log, or a key of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A log, by name.
    Log(String),
    /// A key of the index.
    Keyed(KeyedPath),
}

impl Location {
    /// The kind of record the place holds.
    pub fn kind(&self) -> &str {
        match self {
            Location::Log(log) => log,
            Location::Keyed(path) => &path.kind,
        }
    }
}

/// One change of a transaction.
#[derive(Debug, Clone)]
pub enum Op {
    /// Add a record at the end of a log.
    Append {
        /// The log.
        log: String,
        /// The record, canonical.
        line: Vec<u8>,
    },
    /// Add a record under `index/<kind>/<key…>/`.
    Put {
        /// The kind (its folder under `index/`).
        kind: String,
        /// The key (folders under the kind's).
        key: Vec<String>,
        /// The record, canonical.
        line: Vec<u8>,
    },
    /// Keep the blob of `file` at `commit` reachable from the state
    /// (`kept/`, see [`kept`]), for the evidence that quotes it.
    Keep {
        /// The commit the file was read from.
        commit: ObjectId,
        /// The file, repository-relative.
        file: String,
        /// Its blob in that commit (already in the repository).
        blob: ObjectId,
    },
}

impl Op {
    /// The id of the record this operation stores; for [`Op::Keep`], which
    /// stores no record, the SHA-256 of the kept path.
    pub fn record_id(&self) -> RecordId {
        match self {
            Op::Append { line, .. } | Op::Put { line, .. } => RecordId::of(line),
            Op::Keep { commit, file, .. } => RecordId::of(kept::path(*commit, file).as_bytes()),
        }
    }
}

/// Handle on the state ref of one repository.
pub struct Store<'r> {
    repo: &'r gix::Repository,
    ref_name: gix::refs::FullName,
    /// Author and committer of the transactions of this process.
    identity: gix::actor::Signature,
    /// How long a write waits for a live writer's lock of the ref.
    lock_timeout: Duration,
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// The new tip of the state ref.
    pub commit: ObjectId,
    /// How many times the write lost the race and was re-applied.
    pub retries: u32,
}

impl<'r> Store<'r> {
    /// The store of `ref_name` in `repo`; the name must be a valid ref under `refs/`.
    pub fn new(repo: &'r gix::Repository, ref_name: &str) -> Result<Self> {
        let full: gix::refs::FullName =
            ref_name
                .try_into()
                .map_err(|source| StoreError::InvalidRefName {
                    name: ref_name.to_owned(),
                    source,
                })?;
        if !ref_name.starts_with("refs/") {
            return Err(StoreError::NotUnderRefs {
                name: ref_name.to_owned(),
            });
        }
        Ok(Store {
            repo,
            ref_name: full,
            identity: identity::signature(repo),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        })
    }

    /// The same store, waiting at most `timeout` for another live writer's lock
    /// of the ref (`[state] lock_timeout`) before failing with exit 4.
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The state ref.
    pub fn ref_name(&self) -> &str {
        std::str::from_utf8(self.ref_name.as_bstr()).unwrap_or(DEFAULT_REF)
    }

    /// The repository.
    pub fn repo(&self) -> &'r gix::Repository {
        self.repo
    }

    /// The commit the state ref points at, if it exists.
    pub fn tip(&self) -> Result<Option<ObjectId>> {
        read_ref(self.repo, self.ref_name())
    }

    /// The state at the tip, if the ref exists.
    pub fn view(&self) -> Result<Option<StateView<'r>>> {
        self.tip()?
            .map(|commit| StateView::at(self.repo, self.ref_name(), commit))
            .transpose()
    }

    /// The state at any commit (e.g. a fetched remote tip).
    pub fn view_at(&self, commit: ObjectId) -> Result<StateView<'r>> {
        StateView::at(self.repo, self.ref_name(), commit)
    }

    /// Creates the state ref with an empty state if it does not exist.
    /// Returns the tip and whether it was created now.
    pub fn init(&self) -> Result<(ObjectId, bool)> {
        let mut race = Race::new();
        loop {
            if let Some(tip) = self.tip()? {
                self.view_at(tip)?;
                return Ok((tip, false));
            }
            let commit = self.staged(|scratch| {
                let tree = scratch.empty_state_tree()?;
                scratch.write_commit(tree, &[], "init: create the auditops state")
            })?;
            match self.compare_and_swap(None, commit, "init")? {
                Ok(()) => return Ok((commit, true)),
                Err(err) => self.after_lost_race(None, &mut race, err)?,
            }
        }
    }

    /// Appends `lines` (canonical records) to `log` in one commit with `message`.
    pub fn append(&self, log: &str, lines: &[Vec<u8>], message: &str) -> Result<Written> {
        let ops: Vec<Op> = lines
            .iter()
            .map(|line| Op::Append {
                log: log.to_owned(),
                line: line.clone(),
            })
            .collect();
        self.write(&ops, message)
    }

    /// Applies `ops` in one commit with `message`, re-applying them on the new tip
    /// whenever another writer got there first.
    pub fn write(&self, ops: &[Op], message: &str) -> Result<Written> {
        for op in ops {
            let (kind, key) = match op {
                Op::Append { log, .. } => (log, &[][..]),
                Op::Put { kind, key, .. } => (kind, key.as_slice()),
                Op::Keep { .. } => continue,
            };
            if !layout::is_valid_log_name(kind) || !key.iter().all(|k| index::valid_component(k)) {
                return Err(StoreError::InvalidPlace {
                    kind: kind.clone(),
                    key: key.join("/"),
                });
            }
        }
        let mut race = Race::new();
        loop {
            let tip = self.tip()?;
            let (base_tree, base_version) = match tip {
                Some(commit) => {
                    let view = self.view_at(commit)?;
                    (view.tree, view.version)
                }
                None => (self.empty_state_tree()?, FORMAT_VERSION),
            };
            let parents: Vec<ObjectId> = tip.into_iter().collect();
            let commit = self.staged(|scratch| {
                let tree = append::apply(scratch, tip, base_tree, base_version, ops)?;
                scratch.write_commit(tree, &parents, message)
            })?;
            match self.compare_and_swap(tip, commit, message)? {
                Ok(()) => {
                    return Ok(Written {
                        commit,
                        retries: race.retries,
                    });
                }
                Err(err) => self.after_lost_race(tip, &mut race, err)?,
            }
        }
    }

    /// Decides whether a failed ref update was a lost race worth retrying.
    ///
    /// A moved tip is a race lost to another writer: retried at once. A ref
    /// update that fails with the tip in place is waiting on a git lock file
    /// that is not ours (`packed-refs.lock`, which `git checkout` and every ref
    /// deletion take, or the ref's lock held by a plain git command): retried
    /// for `[state] lock_timeout`, then reported with the file's name, since a
    /// git command that died can leave one that nothing will ever remove.
    fn after_lost_race(
        &self,
        expected: Option<ObjectId>,
        race: &mut Race,
        err: gix::Error,
    ) -> Result<()> {
        const MAX_RETRIES: u32 = 10_000;
        race.retries += 1;
        let moved = self.tip()? != expected;
        let transient = moved || err.is_conflict() || err.can_retry_lenient();
        if !transient || race.retries >= MAX_RETRIES {
            return Err(StoreError::Contention {
                ref_name: self.ref_name().to_owned(),
                attempts: race.retries,
                source: Box::new(err),
            });
        }
        if !moved && race.started.elapsed() >= self.lock_timeout {
            let common = self.repo.common_dir();
            let in_the_way = [
                common.join("packed-refs.lock"),
                ref_lock::lock_file(self.repo, self.ref_name()),
            ]
            .into_iter()
            .find_map(|path| crate::lock::age(&path).map(|age| (path, age)));
            if let Some((path, age)) = in_the_way {
                return Err(StoreError::GitLock {
                    path,
                    age,
                    waited: race.started.elapsed(),
                    source: Box::new(err),
                });
            }
        }
        // Spread retrying writers apart a little; the pid makes the pattern differ
        // between processes without needing a random number generator.
        let spread = u64::from(std::process::id() % 7 + race.retries.min(20));
        std::thread::sleep(Duration::from_micros(200 * spread));
        Ok(())
    }

    /// Runs `write` on a copy of this store whose object writes stay in memory,
    /// then writes them all at once (one pack for the transaction, see [`pack`])
    /// before anything points at them.
    fn staged<T>(&self, write: impl FnOnce(&Store<'_>) -> Result<T>) -> Result<T> {
        let staging = pack::Staging::new(self.repo);
        let scratch = Store {
            repo: staging.repo(),
            ref_name: self.ref_name.clone(),
            identity: self.identity.clone(),
            lock_timeout: self.lock_timeout,
        };
        let out = write(&scratch)?;
        staging.persist()?;
        Ok(out)
    }

    /// The blob of the `VERSION` file this tool writes.
    pub(crate) fn version_blob(&self) -> Result<ObjectId> {
        Ok(self
            .repo
            .write_blob(format!("{FORMAT_VERSION}\n"))
            .map_err(StoreError::git)?
            .detach())
    }

    fn empty_state_tree(&self) -> Result<ObjectId> {
        let version = self.version_blob()?;
        let mut editor = self
            .repo
            .edit_tree(ObjectId::empty_tree(self.repo.object_hash()))
            .map_err(StoreError::git)?;
        editor
            .upsert(
                layout::VERSION_FILE,
                gix::object::tree::EntryKind::Blob,
                version,
            )
            .map_err(StoreError::git)?;
        Ok(editor.write().map_err(StoreError::git)?.detach())
    }

    pub(crate) fn write_commit(
        &self,
        tree: ObjectId,
        parents: &[ObjectId],
        message: &str,
    ) -> Result<ObjectId> {
        let signature = self.identity.clone();
        let commit = gix::objs::Commit {
            tree,
            parents: parents.iter().copied().collect(),
            author: signature.clone(),
            committer: signature,
            encoding: None,
            message: format!("{message}\n").into(),
            extra_headers: Vec::new(),
        };
        Ok(self
            .repo
            .write_object(&commit)
            .map_err(StoreError::git)?
            .detach())
    }

    /// Moves the ref from `expected` to `new` only if it still points at `expected`.
    /// The outer error is a lock that stayed busy (or could not be checked); the
    /// inner one a failed update, maybe a lost race (see `after_lost_race`).
    fn compare_and_swap(
        &self,
        expected: Option<ObjectId>,
        new: ObjectId,
        message: &str,
    ) -> Result<std::result::Result<(), gix::Error>> {
        // Held across the ref transaction, so that a lock file it leaves behind
        // when this process is killed is known for a dead writer's.
        let _guard = ref_lock::hold(self.repo, self.ref_name(), self.lock_timeout)?;
        let expected = match expected {
            Some(old) => PreviousValue::MustExistAndMatch(Target::Object(old)),
            None => PreviousValue::MustNotExist,
        };
        let edit = RefEdit {
            change: Change::Update {
                log: LogChange {
                    mode: RefLog::AndReference,
                    force_create_reflog: false,
                    message: format!("auditops: {message}").into(),
                },
                expected,
                new: Target::Object(new),
            },
            name: self.ref_name.clone(),
            deref: false,
        };
        let mut time = gix::date::parse::TimeBuf::default();
        Ok(self
            .repo
            .edit_references_as(Some(edit), Some(self.identity.to_ref(&mut time)))
            .map(|_| ()))
    }
}

/// How a write's retries are going: how many, and since when.
struct Race {
    retries: u32,
    started: std::time::Instant,
}

impl Race {
    fn new() -> Self {
        Race {
            retries: 0,
            started: std::time::Instant::now(),
        }
    }
}

/// Reads any ref as a commit id, if it exists.
pub fn read_ref(repo: &gix::Repository, name: &str) -> Result<Option<ObjectId>> {
    match repo.try_find_reference(name).map_err(StoreError::git)? {
        Some(mut reference) => Ok(Some(
            reference.peel_to_id().map_err(StoreError::git)?.detach(),
        )),
        None => Ok(None),
    }
}
