//! The daemon itself: takes the lock, binds the socket, then three threads —
//! one accepting connections, one running gates (`work`), and this one, the
//! scheduler, which sleeps until a message or the next timer. Nothing polls:
//! an idle daemon is blocked in `accept` and `recv_timeout`.

use super::protocol::{Envelope, Request, Response, Status};
use super::work::{self, State};
use super::{DaemonError, Paths, VERSION, socket};
use crate::error::Result;
use crate::time::Timestamp;
use crate::workspace::Workspace;
use std::fs::TryLockError;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// How often the daemon checks that its repository still exists when no
/// watcher runs. With one, the removal of `HEAD` or of the git dir wakes it
/// (see [`super::watch`]), and the check is a backstop that an idle minute
/// never reaches: an idle daemon must not wake at all.
const REPO_CHECK: Duration = Duration::from_secs(60);
const REPO_CHECK_WATCHED: Duration = Duration::from_secs(15 * 60);
/// How long after a hook's event the daemon scans. The hook returns at once,
/// but git is still finishing its command (post-commit runs before `git
/// commit` exits, then come its summary and `gc --auto`): scanning at once
/// would read the same files and take the other core while git works.
const SETTLE: Duration = Duration::from_millis(30);
/// How long a client may take to send its request.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);

/// What the other threads tell the scheduler.
#[derive(Debug)]
pub(crate) enum Msg {
    /// A ref may have moved: look at every HEAD.
    Scan,
    /// The watcher saw a followed ref change: scan once the burst settles
    /// ([`super::watch::DEBOUNCE`]).
    RefMoved,
    /// A hook told of an event: scan once git is done ([`SETTLE`]).
    Event,
    /// A push happened: carry out the outbox.
    Push,
    /// Stop (asked, or the repository is gone).
    Stop(&'static str),
    /// The worker finished a run: the idle timer starts again from now.
    Done,
}

/// What the accept thread needs to answer.
struct Info {
    since: Timestamp,
    socket: PathBuf,
    start_dir: PathBuf,
}

/// `daemon run`: serves `ws`'s repository until stopped, idle for
/// `[daemon] idle_exit`, or the repository disappears.
pub fn run(ws: &Workspace) -> Result<()> {
    let repo = ws.repo();
    let paths = Paths::new(repo);
    std::fs::create_dir_all(&paths.dir).map_err(DaemonError::io(&paths.dir))?;
    super::log::init(&paths.log());
    let _lock = take_lock(&paths)?;
    let config = ws.config()?;
    let daemon = &config.daemon;
    if daemon.nice > 0 {
        // SAFETY: nice only changes this process's scheduling priority.
        unsafe {
            libc::nice(i32::from(daemon.nice.min(19)));
        }
    }
    let swept = crate::worktree::sweep(repo);
    let (listener, socket_path) = socket::bind(&paths)?;
    // Hooks read it to tell events without waiting for an answer (client::notify).
    let version_file = paths.version();
    crate::atomic_file::write(&version_file, format!("{VERSION}\n").as_bytes())
        .map_err(DaemonError::io(&version_file))?;
    let start_dir = repo.workdir().unwrap_or(repo.git_dir()).to_owned();
    tracing::info!(pid = std::process::id(), version = VERSION, socket = %socket_path.display(), swept, "daemon started");
    let state = State::new();
    let (tx, rx) = mpsc::channel();
    let worker = {
        let state = state.clone();
        let tx = tx.clone();
        std::thread::Builder::new()
            .name("gates".into())
            .spawn(move || work::worker(state, tx))
            .map_err(DaemonError::io(Path::new("thread")))?
    };
    {
        let state = state.clone();
        let tx = tx.clone();
        let info = Info {
            since: Timestamp::now(),
            socket: socket_path.clone(),
            start_dir: start_dir.clone(),
        };
        std::thread::Builder::new()
            .name("accept".into())
            .spawn(move || accept(listener, &state, &tx, &info))
            .map_err(DaemonError::io(Path::new("thread")))?;
    }
    let watcher = super::watch::start(&paths, tx.clone());
    let repo_check = match watcher {
        Some(_) => REPO_CHECK_WATCHED,
        None => REPO_CHECK,
    };
    // Whatever happened while no daemon ran.
    let _ = tx.send(Msg::Scan);
    let why = schedule(ws, &paths, &state, &rx, daemon.idle_exit.0, repo_check);
    drop(watcher);
    shutdown(&state, worker);
    // Only ours: a newer daemon cannot have bound it while we hold the lock.
    let _ = std::fs::remove_file(&socket_path);
    let _ = std::fs::remove_file(&version_file);
    tracing::info!(why, "daemon stopped");
    Ok(())
}

/// Takes the daemon lock, or says who holds it. No waiting: whoever replaces a
/// daemon waits for its lock to be free before starting the new one, and a
/// start that lost a race must not take over later from a daemon being stopped.
fn take_lock(paths: &Paths) -> Result<std::fs::File, DaemonError> {
    let path = paths.lock();
    let mut file = crate::lock::open_lock_file(&path).map_err(DaemonError::io(&path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let holder = crate::lock::read_holder(&mut file);
            return Err(DaemonError::AlreadyRunning {
                pid: holder.pid.parse().unwrap_or(0),
            });
        }
        Err(TryLockError::Error(err)) => return Err(DaemonError::io(&path)(err)),
    }
    crate::lock::write_holder(&mut file).map_err(DaemonError::io(&path))?;
    Ok(file)
}

/// The scheduler: handles messages, sleeps until the next one or the next
/// timer. Returns why it stops.
fn schedule(
    ws: &Workspace,
    paths: &Paths,
    state: &Arc<State>,
    rx: &Receiver<Msg>,
    idle_exit: Duration,
    repo_check: Duration,
) -> &'static str {
    let repo = ws.repo();
    let mut timers = super::timers::Timers::new(Instant::now());
    let mut sync = super::timers::SyncRetry::default();
    // When the watcher's last burst of events is to be scanned.
    let mut scan_at: Option<Instant> = None;
    loop {
        let now = Instant::now();
        let idle_at = {
            let shared = state.lock();
            (!shared.busy()).then(|| shared.last_activity + idle_exit)
        };
        let wake = [
            Some(now + repo_check),
            idle_at,
            Some(timers.next()),
            sync.due(),
            scan_at,
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(now + repo_check);
        match rx.recv_timeout(wake.saturating_duration_since(now)) {
            Ok(Msg::Stop(why)) => return why,
            Ok(Msg::Scan) => {
                // Events come in bursts (a rebase moves many refs): one scan.
                let mut push = false;
                while let Ok(more) = rx.try_recv() {
                    match more {
                        Msg::Stop(why) => return why,
                        Msg::Push => push = true,
                        Msg::Scan | Msg::RefMoved | Msg::Event | Msg::Done => {}
                    }
                }
                scan_at = None;
                work::scan(state, repo);
                if push {
                    sync.now(state, ws);
                }
            }
            Ok(Msg::RefMoved) => {
                scan_at.get_or_insert(now + super::watch::DEBOUNCE);
            }
            Ok(Msg::Event) => {
                // Sooner than a watcher's burst: a hook's event is one.
                let at = now + SETTLE;
                scan_at = Some(scan_at.map_or(at, |pending| pending.min(at)));
            }
            Ok(Msg::Push) => sync.now(state, ws),
            Ok(Msg::Done) => {}
            Err(RecvTimeoutError::Disconnected) => return "every sender is gone",
            Err(RecvTimeoutError::Timeout) => {}
        }
        if !paths.common_dir.join("HEAD").exists() {
            return "the repository is gone";
        }
        let now = Instant::now();
        if scan_at.is_some_and(|at| now >= at) {
            scan_at = None;
            work::scan(state, repo);
        }
        sync.retry_if_due(state, ws, now);
        timers.run_due(state, ws, now);
        let shared = state.lock();
        if !shared.busy() && now >= shared.last_activity + idle_exit {
            return "idle";
        }
    }
}

/// Stops the worker: the running gate (if any) is cancelled, not recorded.
fn shutdown(state: &State, worker: std::thread::JoinHandle<()>) {
    {
        let mut shared = state.lock();
        shared.stopping = true;
        if let Some(running) = &shared.running {
            running
                .cancel
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        state.cond.notify_all();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !worker.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The accept thread: one request per connection, answered at once.
fn accept(listener: UnixListener, state: &Arc<State>, tx: &Sender<Msg>, info: &Info) {
    let own = socket::current_uid();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        match socket::peer_uid(&stream) {
            Ok(uid) if socket::peer_allowed(uid, own) => {}
            Ok(uid) => {
                tracing::warn!(uid, "refused a connection from another user");
                continue;
            }
            Err(err) => {
                tracing::warn!("cannot read a connection's peer credentials: {err}");
                continue;
            }
        }
        if let Err(err) = serve(stream, state, tx, info) {
            tracing::debug!("a client went away: {err}");
        }
    }
}

fn serve(
    stream: UnixStream,
    state: &Arc<State>,
    tx: &Sender<Msg>,
    info: &Info,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    let mut line = String::new();
    BufReader::new(&stream).take_line(&mut line)?;
    let mut response = Response {
        ok: true,
        version: VERSION.to_owned(),
        pid: std::process::id(),
        error: None,
        status: None,
        pending: None,
    };
    let mut stop = false;
    match serde_json::from_str::<Envelope>(line.trim_end()) {
        Err(err) => {
            response.ok = false;
            response.error = Some(format!("not a request: {err}"));
        }
        Ok(envelope) => {
            tracing::debug!(request = ?envelope.request, client = envelope.version, "request");
            match envelope.request {
                Request::Status => response.status = Some(status(state, info)),
                Request::Stop => stop = true,
                Request::Event { event, worktree } => {
                    let mut shared = state.lock();
                    let at = worktree.as_deref().map(|w| format!(" in {}", w.display()));
                    shared.event(format!("{event}{}", at.unwrap_or_default()));
                    shared.last_activity = Instant::now();
                    drop(shared);
                    let _ = tx.send(match event.as_str() {
                        "push" => Msg::Push,
                        _ => Msg::Event,
                    });
                }
                Request::Enqueue { commit, worktree } => {
                    let dir = worktree.unwrap_or_else(|| info.start_dir.clone());
                    match work::enqueue(state, &dir, commit) {
                        Ok(pending) => response.pending = Some(pending),
                        Err(err) => {
                            response.ok = false;
                            response.error = Some(crate::error::chain(&err));
                        }
                    }
                }
            }
        }
    }
    let mut out = serde_json::to_vec(&response).expect("responses serialize");
    out.push(b'\n');
    (&stream).write_all(&out)?;
    if stop {
        let _ = tx.send(Msg::Stop("asked to stop"));
    }
    Ok(())
}

/// Reads one line, at most 64 KiB: a request is small.
trait TakeLine {
    fn take_line(self, line: &mut String) -> std::io::Result<usize>;
}

impl<R: std::io::Read> TakeLine for BufReader<R> {
    fn take_line(self, line: &mut String) -> std::io::Result<usize> {
        std::io::Read::take(self, 64 * 1024).read_line(line)
    }
}

/// `daemon status` as the daemon sees itself.
fn status(state: &State, info: &Info) -> Status {
    let shared = state.lock();
    Status {
        running: true,
        pid: Some(std::process::id()),
        version: Some(VERSION.to_owned()),
        since: Some(info.since),
        socket: Some(info.socket.clone()),
        current: shared.running.as_ref().map(|r| r.current.clone()),
        queued: shared.queue.iter().map(|j| j.queued()).collect(),
        rss_bytes: rss_bytes(),
        events: shared.events.iter().cloned().collect(),
    }
}

/// This process's resident memory, from `/proc/self/statm`.
fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf only reads a system constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()?)
}
