//! What hooks and commands use to talk to the daemon: one connection per
//! request, short timeouts, and no daemon is never an error (hooks and commands
//! work the same without one).

use super::protocol::{Envelope, Request, Response, Status};
use super::{DaemonError, Paths, VERSION, socket};
use std::fs::TryLockError;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a request may take: the daemon answers from memory.
const TIMEOUT: Duration = Duration::from_secs(5);

/// A connection to the running daemon.
pub struct Client {
    stream: UnixStream,
    /// The socket it came through.
    pub socket: PathBuf,
}

impl Client {
    /// Connects to the daemon of `paths`' repository; `None` when none answers.
    pub fn connect(paths: &Paths) -> Option<Client> {
        socket::candidates(paths).into_iter().find_map(|path| {
            let stream = UnixStream::connect(&path).ok()?;
            Some(Client {
                stream,
                socket: path,
            })
        })
    }

    /// Sends `request` and reads no answer: for an event told to a daemon of
    /// this version (see [`notify`]), so that a hook never waits for the
    /// daemon to be scheduled.
    fn tell(self, request: Request) -> std::io::Result<()> {
        let mut stream = self.stream;
        stream.set_write_timeout(Some(TIMEOUT))?;
        stream.write_all(&request_line(request))?;
        stream.shutdown(std::net::Shutdown::Write)
    }

    /// Sends `request` and reads the answer.
    pub fn request(mut self, request: Request) -> Result<Response, DaemonError> {
        let io = |source| DaemonError::Io {
            path: self.socket.clone(),
            source,
        };
        self.stream.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
        self.stream.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
        self.stream.write_all(&request_line(request)).map_err(io)?;
        let mut answer = String::new();
        BufReader::new(&self.stream)
            .read_line(&mut answer)
            .map_err(io)?;
        let response: Response = serde_json::from_str(answer.trim_end())
            .map_err(|err| DaemonError::Protocol(format!("{err}: {:?}", answer.trim_end())))?;
        match (response.ok, &response.error) {
            (false, Some(why)) => Err(DaemonError::Refused(why.clone())),
            _ => Ok(response),
        }
    }
}

/// `request` as one line of the protocol.
fn request_line(request: Request) -> Vec<u8> {
    let mut line = serde_json::to_vec(&Envelope {
        version: VERSION.to_owned(),
        request,
    })
    .expect("requests serialize");
    line.push(b'\n');
    line
}

/// Tells `request` to the running daemon without waiting for its answer, when
/// it is of this version: its version file says so, and connecting proves it
/// runs (a dead daemon's socket refuses), so the request lands in the socket's
/// buffer. False when that is not known (the caller asks and waits instead).
fn tell_current(paths: &Paths, request: &Request) -> bool {
    let same_version =
        std::fs::read_to_string(paths.version()).is_ok_and(|v| v.trim_end() == VERSION);
    same_version
        && Client::connect(paths).is_some_and(|client| client.tell(request.clone()).is_ok())
}

/// Sends `request` to the running daemon; `None` when none is running.
pub(crate) fn ask(paths: &Paths, request: Request) -> Result<Option<Response>, DaemonError> {
    match Client::connect(paths) {
        Some(client) => client.request(request).map(Some),
        None => Ok(None),
    }
}

/// The pid in the daemon's lock file while it holds the lock, `None` when no
/// daemon holds it.
pub(crate) fn lock_holder(paths: &Paths) -> Option<u32> {
    let mut file = std::fs::File::open(paths.lock()).ok()?;
    match file.try_lock_shared() {
        Ok(()) => None,
        Err(TryLockError::WouldBlock) => {
            let holder = crate::lock::read_holder(&mut file);
            Some(holder.pid.parse().unwrap_or(0))
        }
        Err(TryLockError::Error(_)) => None,
    }
}

/// `daemon status`: what the running daemon says, or not running.
pub fn status(repo: &gix::Repository) -> Status {
    let paths = Paths::new(repo);
    match ask(&paths, Request::Status) {
        Ok(Some(Response {
            status: Some(status),
            ..
        })) => status,
        _ => Status {
            running: false,
            ..Status::default()
        },
    }
}

/// Waits until no daemon holds the lock; false when one still does at `deadline`.
fn wait_gone(paths: &Paths, deadline: Instant) -> bool {
    while lock_holder(paths).is_some() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// `daemon stop`: asks the running daemon to stop and waits until it has.
/// The pid of the daemon stopped, `None` when none was running.
pub fn stop(repo: &gix::Repository) -> Result<Option<u32>, DaemonError> {
    stop_paths(&Paths::new(repo))
}

fn stop_paths(paths: &Paths) -> Result<Option<u32>, DaemonError> {
    let Some(response) = ask(paths, Request::Stop)? else {
        return Ok(None);
    };
    let secs = 10;
    match wait_gone(paths, Instant::now() + Duration::from_secs(secs)) {
        true => Ok(Some(response.pid)),
        false => Err(DaemonError::NotStopped {
            pid: response.pid,
            secs,
        }),
    }
}

/// What `daemon start` found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// One of this version was already running.
    AlreadyRunning(u32),
    /// None was running; this one started.
    Started(u32),
    /// One of another version was stopped and this one started.
    Replaced {
        /// The old daemon's pid.
        old: u32,
        /// Its version.
        version: String,
        /// The new daemon's pid.
        new: u32,
    },
}

/// `daemon start`: starts a detached daemon unless one of this version runs,
/// replacing one of another version, and waits until it answers.
pub fn start(repo: &gix::Repository) -> Result<Started, DaemonError> {
    let paths = Paths::new(repo);
    let mut replaced = None;
    if let Some(response) = ask(&paths, Request::Status)? {
        if response.version == VERSION {
            return Ok(Started::AlreadyRunning(response.pid));
        }
        stop_paths(&paths)?;
        replaced = Some((response.pid, response.version));
    }
    spawn(repo.workdir().unwrap_or(repo.git_dir()), &paths)?;
    let secs = 10;
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Ok(Some(response)) = ask(&paths, Request::Status) {
            return Ok(match replaced {
                Some((old, version)) => Started::Replaced {
                    old,
                    version,
                    new: response.pid,
                },
                None => Started::Started(response.pid),
            });
        }
        if Instant::now() >= deadline {
            return Err(DaemonError::NotUp {
                secs,
                log: paths.log(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts `git-auditops daemon run` detached in `start_dir` (a worktree of the
/// repository, else its git dir): its own session, no terminal, output
/// appended to its log. It exits at once if another one wins the lock.
pub(crate) fn spawn(start_dir: &Path, paths: &Paths) -> Result<u32, DaemonError> {
    let log_path = paths.log();
    let log = super::log::open_for_child(&log_path).map_err(DaemonError::io(&log_path))?;
    let exe = std::env::current_exe().map_err(DaemonError::io(Path::new("current_exe")))?;
    let mut command = Command::new(exe);
    command
        .arg("-C")
        .arg(start_dir)
        .args(["daemon", "run"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(DaemonError::io(&log_path))?)
        .stderr(log);
    // What git exports to a hook describes that one git command, not the
    // repository the daemon serves from now on.
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_PREFIX",
        "GIT_COMMON_DIR",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_QUARANTINE_PATH",
        "GIT_REFLOG_ACTION",
        "GIT_EDITOR",
    ] {
        command.env_remove(var);
    }
    // SAFETY: setsid is async-signal-safe and touches no memory of ours.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let child = command.spawn().map_err(DaemonError::io(&log_path))?;
    Ok(child.id())
}

/// What a hook calls: tells the daemon about `event`, starting one (detached)
/// when none runs and `autostart` allows (asked only then: it reads the
/// config), or when the one running is of another version. Never fails and
/// never waits for work, nor for an answer when the daemon's version file
/// names this version: a hook must not slow or fail git. The outcome is for
/// the debug log.
pub fn notify(site: &crate::hooks::Site, autostart: impl FnOnce() -> bool, event: &str) -> String {
    let paths = Paths::for_common_dir(&site.common_dir);
    let request = Request::Event {
        event: event.to_owned(),
        worktree: site.worktree.clone(),
    };
    let start_dir = &site.start_dir;
    if tell_current(&paths, &request) {
        return "told the daemon".to_owned();
    }
    match ask(&paths, request) {
        Ok(Some(response)) if response.version == VERSION => "told the daemon".to_owned(),
        Ok(Some(response)) => {
            // An older (or newer) daemon: replace it, without waiting long.
            let _ = ask(&paths, Request::Stop);
            let deadline = Instant::now() + Duration::from_secs(2);
            if !wait_gone(&paths, deadline) {
                return format!("daemon {} did not stop", response.pid);
            }
            match spawn(start_dir, &paths) {
                Ok(pid) => format!("replaced daemon {} with {pid}", response.pid),
                Err(err) => format!("cannot start the daemon: {err}"),
            }
        }
        Ok(None) | Err(_) => {
            if disabled_by_env() || !autostart() {
                return "no daemon; autostart is off".to_owned();
            }
            if lock_holder(&paths).is_some() {
                // Starting up (or stuck): it scans every HEAD when it comes up.
                return "a daemon is starting".to_owned();
            }
            match spawn(start_dir, &paths) {
                Ok(pid) => format!("started the daemon ({pid})"),
                Err(err) => format!("cannot start the daemon: {err}"),
            }
        }
    }
}

/// After a push: hands the outbox to the running daemon when it syncs after
/// pushes (`[daemon] sync = "after-push"`). False when there is no daemon to
/// take it (the caller starts the detached `sync` as without a daemon).
pub fn after_push(ws: &crate::workspace::Workspace) -> bool {
    let on = ws
        .config()
        .is_ok_and(|c| c.daemon.sync == crate::config::DaemonSync::AfterPush);
    if !on {
        return false;
    }
    let request = Request::Event {
        event: "push".to_owned(),
        worktree: ws.repo().workdir().map(Path::to_owned),
    };
    let paths = Paths::new(ws.repo());
    tell_current(&paths, &request)
        || matches!(ask(&paths, request), Ok(Some(r)) if r.version == VERSION)
}

/// `AUDITOPS_DAEMON=off` in the environment: hooks start no daemon, whatever
/// `[daemon] autostart` says (CI jobs, scripted runs, the test suite).
pub(crate) fn disabled_by_env() -> bool {
    std::env::var_os("AUDITOPS_DAEMON").is_some_and(|v| v == "off")
}
