//! Running one check (a gate, or a patch validator) as a shell command.
//!
//! Each job runs in its own process group with a timeout; on timeout the whole
//! group is killed, so nothing it started survives. Output goes to a log file
//! (not a pipe, so a lingering grandchild cannot hang us) and its tail is kept
//! for the record.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Seek, SeekFrom, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How much of the output's end is kept in the record.
pub(crate) const TAIL_BYTES: u64 = 4000;

/// One command to run.
pub(crate) struct Job<'a> {
    /// What progress lines call it.
    pub name: &'a str,
    /// The shell command.
    pub command: &'a str,
    /// When to kill it.
    pub timeout: Duration,
    /// Added to the environment.
    pub env: &'a BTreeMap<String, String>,
    /// Where it runs.
    pub cwd: &'a Path,
    /// Where its output goes.
    pub log_file: PathBuf,
}

/// How a job ended; stored in gate results as `{"status": "exited", "code": 0}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Exit {
    /// It exited by itself.
    Exited {
        /// Its exit status; 0 passes.
        code: i32,
    },
    /// A signal killed it.
    Signalled {
        /// The signal.
        signal: i32,
    },
    /// It ran past its timeout and was killed.
    TimedOut,
    /// The shell could not be started at all.
    NotStarted {
        /// Why.
        error: String,
    },
}

/// What running a job gave.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// How it ended.
    pub exit: Exit,
    /// How long it ran.
    pub duration: Duration,
    /// The end of its output (at most [`TAIL_BYTES`]).
    pub tail: String,
}

impl Outcome {
    /// Whether it exited with 0.
    pub fn passed(&self) -> bool {
        self.exit == Exit::Exited { code: 0 }
    }

    /// The last non-empty line of output (validators may end with `score=<x>`).
    pub fn last_line(&self) -> Option<&str> {
        self.tail.lines().rev().find(|l| !l.trim().is_empty())
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Exited { code: 0 } => write!(f, "passed"),
            Exit::Exited { code } => write!(f, "failed (exit {code})"),
            Exit::Signalled { signal } => write!(f, "failed (killed by signal {signal})"),
            Exit::TimedOut => write!(f, "failed (timed out)"),
            Exit::NotStarted { error } => write!(f, "failed (could not start: {error})"),
        }
    }
}

/// What the daemon hands the runner for the jobs run on its worker thread: a
/// flag that cancels the running job (its process group is killed), and who to
/// tell when a job starts (`daemon status`, the pre-push hook's progress).
/// Commands never set one; see `daemon/work.rs`.
pub(crate) struct Supervisor {
    /// Set from another thread to cancel.
    pub cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Told each job's name as it starts.
    pub started: Box<dyn Fn(&str)>,
}

thread_local! {
    static SUPERVISOR: std::cell::RefCell<Option<Supervisor>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with `supervisor` watching the jobs this thread runs.
pub(crate) fn supervise<R>(supervisor: Supervisor, f: impl FnOnce() -> R) -> R {
    SUPERVISOR.with(|s| *s.borrow_mut() = Some(supervisor));
    let out = f();
    SUPERVISOR.with(|s| *s.borrow_mut() = None);
    out
}

/// Whether the supervisor of this thread (if any) cancelled its work.
pub(crate) fn cancelled() -> bool {
    SUPERVISOR.with(|s| {
        s.borrow()
            .as_ref()
            .is_some_and(|s| s.cancel.load(std::sync::atomic::Ordering::SeqCst))
    })
}

fn kill_group(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: killpg only sends a signal; an absent group yields ESRCH.
        unsafe {
            libc::killpg(pid, libc::SIGKILL);
        }
    }
}

fn tail_of(path: &Path) -> String {
    let Ok(mut file) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Shows which job is running and for how long: a live line on a terminal,
/// plain lines otherwise.
pub struct Progress {
    live: bool,
    quiet: bool,
}

impl Progress {
    /// Progress on stderr (live on a terminal).
    pub fn for_stderr() -> Self {
        Progress {
            live: std::io::stderr().is_terminal(),
            quiet: false,
        }
    }

    /// No progress at all (`--json`).
    pub fn quiet() -> Self {
        Progress {
            live: false,
            quiet: true,
        }
    }

    /// Says what is about to run, unless quiet.
    pub fn announce(&self, text: std::fmt::Arguments<'_>) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    fn tick(&self, name: &str, elapsed: Duration) {
        if self.live {
            eprint!("\r  {name}: running {}s ", elapsed.as_secs());
            let _ = std::io::stderr().flush();
        }
    }

    fn start(&self, name: &str, command: &str) {
        if !self.quiet && !self.live {
            eprintln!("  {name}: running `{command}`");
        }
    }

    fn finish(&self, name: &str, outcome: &Outcome) {
        if self.quiet {
            return;
        }
        let clear = if self.live { "\r\x1b[K" } else { "" };
        eprintln!(
            "{clear}  {name}: {} in {}",
            outcome.exit,
            crate::duration::format(outcome.duration)
        );
    }
}

/// Runs `job` to completion or timeout.
pub(crate) fn run(job: &Job<'_>, progress: &Progress) -> Outcome {
    let started = Instant::now();
    let finish = |exit: Exit| {
        let outcome = Outcome {
            exit,
            duration: started.elapsed(),
            tail: tail_of(&job.log_file),
        };
        progress.finish(job.name, &outcome);
        outcome
    };
    progress.start(job.name, job.command);
    let log = job
        .log_file
        .parent()
        .map(std::fs::create_dir_all)
        .transpose()
        .and_then(|_| std::fs::File::create(&job.log_file));
    let (log, log_err) = match log.and_then(|f| Ok((f.try_clone()?, f))) {
        Ok(pair) => pair,
        Err(err) => {
            return finish(Exit::NotStarted {
                error: format!("cannot write {}: {err}", job.log_file.display()),
            });
        }
    };
    let child = Command::new("/bin/sh")
        .arg("-c")
        .arg(job.command)
        .current_dir(job.cwd)
        .envs(job.env)
        // A CI secret must not reach a gate: its output is recorded.
        .env_remove(crate::sign::SIGNING_KEY_ENV)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .process_group(0)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(err) => {
            return finish(Exit::NotStarted {
                error: err.to_string(),
            });
        }
    };
    let pid = child.id();
    SUPERVISOR.with(|s| {
        if let Some(s) = &*s.borrow() {
            (s.started)(job.name);
        }
    });
    let mut last_tick = Duration::ZERO;
    let exit = loop {
        if cancelled() {
            kill_group(pid);
            let _ = child.wait();
            break Exit::Signalled {
                signal: libc::SIGKILL,
            };
        }
        match child.try_wait() {
            Ok(Some(status)) => {
                break match (status.code(), status.signal()) {
                    (Some(code), _) => Exit::Exited { code },
                    (None, Some(signal)) => Exit::Signalled { signal },
                    (None, None) => Exit::Exited { code: -1 },
                };
            }
            Ok(None) => {}
            Err(err) => {
                kill_group(pid);
                let _ = child.wait();
                break Exit::NotStarted {
                    error: err.to_string(),
                };
            }
        }
        let elapsed = started.elapsed();
        if elapsed >= job.timeout {
            kill_group(pid);
            let _ = child.wait();
            break Exit::TimedOut;
        }
        if elapsed >= last_tick + Duration::from_secs(1) {
            last_tick = elapsed;
            progress.tick(job.name, elapsed);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // Whatever the job left running in the background goes with it.
    kill_group(pid);
    finish(exit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job<'a>(
        dir: &'a Path,
        command: &'a str,
        timeout: Duration,
        env: &'a BTreeMap<String, String>,
    ) -> Job<'a> {
        Job {
            name: "t",
            command,
            timeout,
            env,
            cwd: dir,
            log_file: dir.join("logs/t.log"),
        }
    }

    #[test]
    fn passes_fails_and_keeps_the_tail() {
        let dir = tempfile::tempdir().unwrap();
        let env = BTreeMap::from([("GREETING".to_owned(), "hello".to_owned())]);
        let ok = run(
            &job(
                dir.path(),
                "echo $GREETING; pwd",
                Duration::from_secs(10),
                &env,
            ),
            &Progress::quiet(),
        );
        assert!(ok.passed());
        assert!(ok.tail.starts_with("hello\n"));
        let bad = run(
            &job(
                dir.path(),
                "echo oops >&2; exit 3",
                Duration::from_secs(10),
                &env,
            ),
            &Progress::quiet(),
        );
        assert_eq!(bad.exit, Exit::Exited { code: 3 });
        assert_eq!(bad.last_line(), Some("oops"));
    }

    #[test]
    fn a_missing_command_fails_with_the_shells_message() {
        let dir = tempfile::tempdir().unwrap();
        let env = BTreeMap::new();
        let out = run(
            &job(
                dir.path(),
                "no-such-command-xyz",
                Duration::from_secs(10),
                &env,
            ),
            &Progress::quiet(),
        );
        assert_eq!(out.exit, Exit::Exited { code: 127 });
        assert!(out.tail.contains("not found"), "{}", out.tail);
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let env = BTreeMap::new();
        let marker = dir.path().join("child.pid");
        let command = format!("sleep 30 & echo $! > {}; wait", marker.display());
        let out = run(
            &job(dir.path(), &command, Duration::from_millis(300), &env),
            &Progress::quiet(),
        );
        assert_eq!(out.exit, Exit::TimedOut);
        let child: i32 = std::fs::read_to_string(&marker)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        std::thread::sleep(Duration::from_millis(50));
        // Gone, or a zombie waiting for its new parent to reap it.
        let state = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
        let running = state
            .rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z'));
        assert!(!running, "the background sleep was killed too: {state}");
    }
}
