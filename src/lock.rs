//! Ordered subsystem locks: slow, exclusive work (the review queue, the worktree
//! pool, …) takes named locks in one canonical order and releases them in
//! reverse, so two commands can never deadlock by taking them crosswise.
//!
//! Each lock is an `flock` on a file under `.git/auditops/locks/`, which the
//! kernel releases when its holder dies: a crashed holder never leaves a stale
//! lock. The file holds the holder's pid, command and start time for messages.
//! The state ref does not need these locks: its writes are compare-and-swap,
//! under the ref's own lock file (see `store::ref_lock`, also shown by `locks`).

use crate::store::RefLockState;
use crate::workspace::Workspace;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The subsystems, in the one order in which locks are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Subsystem {
    /// The review queue.
    Queue,
    /// The worktree pool.
    Worktrees,
    /// The state ref (for work that must not interleave; writes are CAS anyway).
    State,
    /// The outbox executor (`sync`).
    Outbox,
}

impl Subsystem {
    /// Every subsystem, in the order locks are taken.
    pub const ALL: [Subsystem; 4] = [
        Subsystem::Queue,
        Subsystem::Worktrees,
        Subsystem::State,
        Subsystem::Outbox,
    ];

    /// The lock's name (its file name and what `locks` shows).
    pub fn name(self) -> &'static str {
        match self {
            Subsystem::Queue => "queue",
            Subsystem::Worktrees => "worktrees",
            Subsystem::State => "state",
            Subsystem::Outbox => "outbox",
        }
    }
}

impl FromStr for Subsystem {
    type Err = LockError;

    fn from_str(name: &str) -> Result<Self, LockError> {
        Subsystem::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| LockError::Unknown(name.to_owned()))
    }
}

/// Why a lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// No subsystem has this name.
    #[error("unknown lock `{0}` (locks: queue, worktrees, state, outbox)")]
    Unknown(String),
    /// This process holds it already.
    #[error("this process already holds the `{}` lock; taking it again would deadlock", .0.name())]
    AlreadyHeld(Subsystem),
    /// Another process held it for longer than the timeout.
    #[error(
        "the `{}` lock {} is busy{}: held by pid {} ({}) since {}; waited {}",
        subsystem.name(), path.display(), age.map(|a| format!(" ({} old)", secs(a))).unwrap_or_default(),
        holder.pid, holder.command, holder.since, secs(*waited)
    )]
    Busy {
        /// The lock.
        subsystem: Subsystem,
        /// Its file.
        path: PathBuf,
        /// How long ago its file was written (when the holder took it).
        age: Option<Duration>,
        /// Its holder, as its file says (boxed: errors stay small).
        holder: Box<Holder>,
        /// How long this process waited.
        waited: Duration,
    },
    /// The lock file could not be opened, locked or written.
    #[error("{}", path.display())]
    Io {
        /// The lock file (or its folder).
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

/// A duration for messages, in seconds (`12.0s`).
pub(crate) fn secs(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}

/// The locks this process holds: taking one twice is an error, not a deadlock.
static HELD: Mutex<BTreeSet<Subsystem>> = Mutex::new(BTreeSet::new());

fn lock_dir(repo: &gix::Repository) -> PathBuf {
    repo.common_dir().join("auditops").join("locks")
}

fn lock_path(dir: &Path, subsystem: Subsystem) -> PathBuf {
    dir.join(format!("{}.lock", subsystem.name()))
}

/// Who holds a lock, as written in its file.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Holder {
    /// Its process id.
    pub pid: String,
    /// Its command line.
    pub command: String,
    /// When it took the lock (RFC 3339).
    pub since: String,
}

pub(crate) fn read_holder(file: &mut File) -> Holder {
    let mut text = String::new();
    let _ = file.seek(SeekFrom::Start(0));
    let _ = file.read_to_string(&mut text);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or("?")
            .to_owned()
    };
    Holder {
        pid: field("pid"),
        command: field("command"),
        since: field("since"),
    }
}

/// Locks held until dropped, released in the reverse of the order taken.
#[derive(Debug)]
pub struct Locks {
    held: Vec<(Subsystem, File)>,
}

impl Locks {
    /// The subsystems held, in the order they were taken.
    #[cfg(test)]
    fn order(&self) -> Vec<Subsystem> {
        self.held.iter().map(|(s, _)| *s).collect()
    }
}

impl Drop for Locks {
    fn drop(&mut self) {
        let mut registry = HELD.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((subsystem, file)) = self.held.pop() {
            // Empty the holder line first so nobody reads a stale one.
            let _ = file.set_len(0);
            let _ = file.unlock();
            registry.remove(&subsystem);
        }
    }
}

/// Takes `wanted` (in any order, without repeats) in canonical order, waiting up
/// to `timeout` for each. On failure nothing stays held.
pub fn acquire(
    repo: &gix::Repository,
    wanted: &[Subsystem],
    timeout: Duration,
) -> Result<Locks, LockError> {
    acquire_in(&lock_dir(repo), wanted, timeout)
}

pub(crate) fn acquire_in(
    dir: &Path,
    wanted: &[Subsystem],
    timeout: Duration,
) -> Result<Locks, LockError> {
    let mut order: Vec<Subsystem> = wanted.to_vec();
    order.sort();
    if let Some(twice) = order.windows(2).find(|w| w[0] == w[1]) {
        return Err(LockError::AlreadyHeld(twice[0]));
    }
    std::fs::create_dir_all(dir).map_err(|source| LockError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut locks = Locks { held: Vec::new() };
    for subsystem in order {
        {
            let mut registry = HELD.lock().unwrap_or_else(|e| e.into_inner());
            if !registry.insert(subsystem) {
                return Err(LockError::AlreadyHeld(subsystem));
            }
        }
        match take(dir, subsystem, timeout) {
            Ok(file) => locks.held.push((subsystem, file)),
            Err(err) => {
                HELD.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&subsystem);
                return Err(err);
            }
        }
    }
    Ok(locks)
}

fn take(dir: &Path, subsystem: Subsystem, timeout: Duration) -> Result<File, LockError> {
    let path = lock_path(dir, subsystem);
    let io = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    let mut file = open_lock_file(&path).map_err(io)?;
    let mut poll = Poll::new();
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) if poll.wait(timeout) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Busy {
                    subsystem,
                    age: age(&path),
                    path,
                    holder: Box::new(read_holder(&mut file)),
                    waited: poll.waited(),
                });
            }
            Err(TryLockError::Error(err)) => return Err(io(err)),
        }
    }
    write_holder(&mut file).map_err(io)?;
    Ok(file)
}

/// Opens (creating it if need be) a file to `flock`, keeping what it says.
pub(crate) fn open_lock_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// Writes this process's pid, command line and the time into a lock file whose
/// flock it just took, for the messages of those who wait.
pub(crate) fn write_holder(file: &mut File) -> std::io::Result<()> {
    let command: Vec<String> = std::env::args().collect();
    let since = jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_default();
    let holder = format!(
        "pid={}\ncommand={}\nsince={since}\n",
        std::process::id(),
        command.join(" ")
    );
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(holder.as_bytes())
}

/// How long ago a file was last modified; `None` if it does not exist.
pub(crate) fn age(path: &Path) -> Option<Duration> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(modified.elapsed().unwrap_or(Duration::ZERO))
}

/// Waiting for a flock: polls often at first, so a short hold costs a writer
/// little, then every 20 ms; every wait is bounded by its caller's timeout.
pub(crate) struct Poll {
    started: Instant,
    pause: Duration,
}

impl Poll {
    /// Starts the clock.
    pub(crate) fn new() -> Self {
        Poll {
            started: Instant::now(),
            pause: Duration::from_millis(1),
        }
    }

    /// Sleeps before the next try and returns true, or returns false when
    /// `timeout` has passed since [`Poll::new`].
    pub(crate) fn wait(&mut self, timeout: Duration) -> bool {
        if self.started.elapsed() >= timeout {
            return false;
        }
        std::thread::sleep(self.pause);
        self.pause = (self.pause * 2).min(Duration::from_millis(20));
        true
    }

    /// How long the wait has lasted.
    pub(crate) fn waited(&self) -> Duration {
        self.started.elapsed()
    }
}

/// A lock and its holder, if held (`git auditops locks`).
#[derive(Debug, Clone, Serialize)]
pub struct LockState {
    /// The lock.
    pub lock: Subsystem,
    /// Whether some process holds it.
    pub held: bool,
    /// Who, as its file says.
    pub holder: Option<Holder>,
}

/// Every lock and whether it is held (`git auditops locks`). `--json` prints one
/// array: the subsystem locks, then the state ref's lock file when it exists.
#[derive(Debug, Clone)]
pub struct LockStates {
    /// One per subsystem, in lock order.
    pub locks: Vec<LockState>,
    /// The state ref's lock file, if one exists: a write in progress, or one a
    /// dead writer left (which the next write removes).
    pub state_ref: Option<RefLockState>,
}

impl Serialize for LockStates {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(None)?;
        for lock in &self.locks {
            seq.serialize_element(lock)?;
        }
        if let Some(state_ref) = &self.state_ref {
            seq.serialize_element(state_ref)?;
        }
        seq.end()
    }
}

/// Whether another process holds `subsystem`'s lock right now. Never waits
/// and never takes it (a lock this process holds is nobody else's).
pub(crate) fn held_elsewhere(repo: &gix::Repository, subsystem: Subsystem) -> bool {
    let held_here = HELD
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(&subsystem);
    if held_here {
        return false;
    }
    let path = lock_path(&lock_dir(repo), subsystem);
    match OpenOptions::new().read(true).write(true).open(&path) {
        Err(_) => false,
        Ok(file) => match file.try_lock() {
            Ok(()) => {
                let _ = file.unlock();
                false
            }
            Err(_) => true,
        },
    }
}

/// Which locks are held right now, and by whom; the state ref's is looked up
/// under the configured ref (the default one if the config cannot be read, so
/// that `locks` still answers).
pub fn states(ws: &Workspace) -> LockStates {
    let repo = ws.repo();
    let ref_name = ws
        .config()
        .map(|c| c.ref_name().to_owned())
        .unwrap_or_else(|_| crate::store::DEFAULT_REF.to_owned());
    let dir = lock_dir(repo);
    let mut out = Vec::new();
    for subsystem in Subsystem::ALL {
        let path = lock_path(&dir, subsystem);
        let held_here = HELD
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&subsystem);
        let state = match OpenOptions::new().read(true).write(true).open(&path) {
            Err(_) => LockState {
                lock: subsystem,
                held: held_here,
                holder: None,
            },
            Ok(mut file) => match file.try_lock() {
                Ok(()) => {
                    let _ = file.unlock();
                    LockState {
                        lock: subsystem,
                        held: false,
                        holder: None,
                    }
                }
                Err(_) => LockState {
                    lock: subsystem,
                    held: true,
                    holder: Some(read_holder(&mut file)),
                },
            },
        };
        out.push(state);
    }
    LockStates {
        locks: out,
        state_ref: crate::store::ref_lock::state(repo, &ref_name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_unknown_ones_are_errors() {
        assert_eq!("queue".parse::<Subsystem>().unwrap(), Subsystem::Queue);
        assert!(matches!(
            "nope".parse::<Subsystem>(),
            Err(LockError::Unknown(_))
        ));
    }

    #[test]
    fn any_request_is_taken_in_canonical_order_and_released_in_reverse() {
        let dir = tempfile::tempdir().unwrap();
        let locks = acquire_in(
            dir.path(),
            &[Subsystem::Outbox, Subsystem::State, Subsystem::Queue],
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(
            locks.order(),
            [Subsystem::Queue, Subsystem::State, Subsystem::Outbox]
        );
        // Held: taking one again in this process is refused at once.
        assert!(matches!(
            acquire_in(dir.path(), &[Subsystem::State], Duration::from_secs(1)),
            Err(LockError::AlreadyHeld(Subsystem::State))
        ));
        drop(locks);
        let again = acquire_in(dir.path(), &[Subsystem::State], Duration::from_secs(1)).unwrap();
        drop(again);
    }

    #[test]
    fn repeating_a_name_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            acquire_in(
                dir.path(),
                &[Subsystem::Worktrees, Subsystem::Worktrees],
                Duration::ZERO
            ),
            Err(LockError::AlreadyHeld(Subsystem::Worktrees))
        ));
    }
}
