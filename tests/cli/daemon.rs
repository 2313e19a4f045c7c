//! The per-repository daemon through the real binary: gates run after a
//! commit without `gate run`, a push waits for them, one daemon per
//! repository, and it goes away when asked, when idle, and when killed.
//!
//! The support module sets `AUDITOPS_DAEMON=off` so that other tests never
//! start a daemon; these turn it back on where they want one, and every test
//! that may start one holds a [`Guard`] that stops it, even on failure.

use crate::support::{self, Repo, stderr, stdout, wait_for};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::process::Output;

fn config(slow: &str, extra: &str) -> String {
    format!(
        r#"version = 1

[[phases]]
id = 0
name = "Setup"
gates = ["has-lib", "slow"]

[gates.has-lib]
run = "test -f src/lib.rs"
category = "build"

[gates.slow]
run = "{slow}"
category = "testing"

[policy]
protected = ["refs/heads/main"]

[daemon]
idle_exit = "60s"
nice = 0
{extra}
"#
    )
}

/// A repository with `config`, a trusted key, the hooks and a bare `origin`.
struct Project {
    repo: Repo,
    _remote: tempfile::TempDir,
}

fn project(config: &str) -> Project {
    let repo = Repo::new();
    repo.write(".auditops.toml", config);
    repo.setup_trusted();
    let remote = repo.add_bare_remote("origin");
    Project {
        repo,
        _remote: remote,
    }
}

const ON: (&str, &str) = ("AUDITOPS_DAEMON", "on");

/// Our binary with the daemon allowed.
fn daemon_cmd(repo: &Repo, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(support::BIN);
    support::isolate(&mut cmd, repo.home.path());
    cmd.current_dir(repo.path()).env(ON.0, ON.1).args(args);
    support::output_with_hang_guard(&mut cmd)
}

fn daemon_ok(repo: &Repo, args: &[&str]) -> String {
    let out = daemon_cmd(repo, args);
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

fn status(repo: &Repo) -> Value {
    serde_json::from_str(&daemon_ok(repo, &["daemon", "status", "--json"])).unwrap()
}

/// git with the hooks allowed to start and tell the daemon.
fn git_on(repo: &Repo, args: &[&str]) -> String {
    repo.git_with(args, &[ON])
}

fn commit_on(repo: &Repo, file: &str, content: &str, message: &str) {
    repo.write(file, content);
    git_on(repo, &["add", "-A"]);
    git_on(repo, &["commit", "-q", "-m", message]);
}

fn push(repo: &Repo, env: &[(&str, &str)]) -> Output {
    let mut cmd = std::process::Command::new("git");
    support::isolate(&mut cmd, repo.home.path());
    cmd.current_dir(repo.path())
        .args(["push", "origin", "main"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    support::output_with_hang_guard(&mut cmd)
}

/// Whether every gate of phase 0 passed on HEAD's tree (of the worktree `dir`).
fn gates_passed_in(repo: &Repo, dir: &std::path::Path) -> bool {
    let mut cmd = std::process::Command::new(support::BIN);
    support::isolate(&mut cmd, repo.home.path());
    cmd.current_dir(dir).args(["phase", "status", "--json"]);
    let out = support::output_with_hang_guard(&mut cmd);
    let phases: Value = serde_json::from_slice(&out.stdout).unwrap();
    phases[0]["gates"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["state"] == "passed")
}

fn gates_passed(repo: &Repo) -> bool {
    gates_passed_in(repo, repo.path())
}

/// The pid in the daemon's lock file while a daemon holds the lock.
fn lock_pid(repo: &Repo) -> Option<i32> {
    let path = repo.path().join(".git/auditops/daemon.lock");
    let file = std::fs::File::open(path).ok()?;
    if file.try_lock_shared().is_ok() {
        return None;
    }
    let text = std::fs::read_to_string(repo.path().join(".git/auditops/daemon.lock")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("pid="))?
        .parse()
        .ok()
}

/// Stops the repository's daemon when the test ends, whatever happened.
struct Guard<'a>(&'a Repo);

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        let _ = daemon_cmd(self.0, &["daemon", "stop"]);
        if let Some(pid) = lock_pid(self.0) {
            // SAFETY: kill only sends a signal.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

#[test]
fn a_commit_runs_the_gates_and_the_push_then_passes() {
    let p = project(&config("true", ""));
    let _guard = Guard(&p.repo);
    // The post-commit hook starts the daemon, which runs the gates.
    commit_on(&p.repo, "src/more.rs", "// more\n", "more");
    wait_for("the daemon's gate results", || gates_passed(&p.repo));
    // And it prepared the push's answer (src/prepared.rs) for that commit.
    let head = git_on(&p.repo, &["rev-parse", "HEAD"]);
    let prepared = p.repo.path().join(".git/auditops/prepared-push.json");
    wait_for("the prepared push answer", || {
        std::fs::read_to_string(&prepared).is_ok_and(|text| text.contains(&head))
    });
    // No `gate run`, no daemon needed any more: the results are recorded.
    let pushed = push(&p.repo, &[]);
    assert!(pushed.status.success(), "{}", stderr(&pushed));

    let s = status(&p.repo);
    assert_eq!(s["running"], true, "{s}");
    assert!(s["pid"].as_u64().is_some(), "{s}");
    assert_eq!(s["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        s["since"].is_string() && s["rss_bytes"].as_u64().unwrap() > 0,
        "{s}"
    );
    let socket = s["socket"].as_str().unwrap();
    let mode = std::fs::metadata(socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{socket}");
    assert!(s["events"].to_string().contains("gates passed"), "{s}");

    // doctor sees it running, this binary's version.
    let doctor = daemon_cmd(&p.repo, &["doctor", "--json"]);
    let report: Value = serde_json::from_slice(&doctor.stdout).unwrap();
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "daemon")
        .unwrap();
    assert_eq!(check["ok"], true, "{check}");
    let running = format!(
        "running (pid {}, version {}",
        s["pid"],
        env!("CARGO_PKG_VERSION")
    );
    assert!(
        check["detail"].as_str().unwrap().contains(&running),
        "{check}"
    );
}

#[test]
fn a_push_while_the_gates_run_waits_and_then_passes_or_names_the_failed_gate() {
    let p = project(&config("sleep 1; test ! -e src/fail", ""));
    let _guard = Guard(&p.repo);
    daemon_ok(&p.repo, &["daemon", "start"]);
    commit_on(&p.repo, "src/more.rs", "// more\n", "more");
    let pushed = push(&p.repo, &[ON]);
    let err = stderr(&pushed);
    assert!(pushed.status.success(), "{err}");
    assert!(err.contains("waiting"), "{err}");

    commit_on(&p.repo, "src/fail", "x\n", "breaks the slow gate");
    let refused = push(&p.repo, &[ON]);
    let err = stderr(&refused);
    assert!(!refused.status.success(), "{err}");
    assert!(err.contains("waiting"), "{err}");
    assert!(err.contains("slow: failed (exit 1)"), "{err}");
}

#[test]
fn no_daemon_refuses_as_before() {
    let p = project(&config("true", ""));
    let _guard = Guard(&p.repo);
    p.repo.write("src/more.rs", "// more\n");
    p.repo.commit_all("more");
    // The support's environment starts no daemon: nothing ran.
    let refused = push(&p.repo, &[]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("slow: missing"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(status(&p.repo)["running"], false);
}

#[test]
fn a_second_quick_commit_replaces_the_first_run() {
    let p = project(&config("sleep 1", ""));
    let _guard = Guard(&p.repo);
    daemon_ok(&p.repo, &["daemon", "start"]);
    commit_on(&p.repo, "src/a.rs", "// a\n", "a");
    commit_on(&p.repo, "src/b.rs", "// b\n", "b");
    wait_for("the second commit's results", || gates_passed(&p.repo));
    let events = status(&p.repo)["events"].to_string();
    // A run replaced or cancelled is not a failure.
    assert!(!events.contains("failed"), "{events}");
}

#[test]
fn one_daemon_per_repository_and_it_stops_when_asked_or_idle() {
    let p = project(&config("true", ""));
    let _guard = Guard(&p.repo);
    // Two at once: both say a daemon runs, and it is the same one.
    let spawn = || {
        let mut cmd = std::process::Command::new(support::BIN);
        support::isolate(&mut cmd, p.repo.home.path());
        cmd.current_dir(p.repo.path())
            .env(ON.0, ON.1)
            .args(["daemon", "start", "--json"]);
        cmd
    };
    let (mut a, mut b) = (spawn(), spawn());
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| support::output_with_hang_guard(&mut a));
        let b = s.spawn(|| support::output_with_hang_guard(&mut b));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(
        a.status.success() && b.status.success(),
        "{}{}",
        stderr(&a),
        stderr(&b)
    );
    let pid = |o: &Output| serde_json::from_slice::<Value>(&o.stdout).unwrap()["pid"].clone();
    assert_eq!(pid(&a), pid(&b));
    assert!(daemon_ok(&p.repo, &["daemon", "start"]).contains("already running"));

    // `hooks uninstall` stops it.
    daemon_ok(&p.repo, &["hooks", "uninstall"]);
    assert_eq!(status(&p.repo)["running"], false);
    assert!(lock_pid(&p.repo).is_none());
    daemon_ok(&p.repo, &["hooks", "install"]);

    // With nothing to do it leaves after idle_exit (read from the working tree).
    p.repo.write(
        ".auditops.toml",
        config("true", "").replace("\"60s\"", "\"1s\""),
    );
    daemon_ok(&p.repo, &["daemon", "start"]);
    wait_for("the idle daemon to exit", || lock_pid(&p.repo).is_none());
    assert_eq!(status(&p.repo)["running"], false);
    assert!(daemon_ok(&p.repo, &["daemon", "stop"]).contains("no daemon"));
}

#[test]
fn kill_9_during_a_gate_leaves_nothing_broken_and_the_next_start_runs_it_again() {
    let p = project(&config("sleep 1", ""));
    let _guard = Guard(&p.repo);
    daemon_ok(&p.repo, &["daemon", "start"]);
    commit_on(&p.repo, "src/more.rs", "// more\n", "more");
    wait_for("the slow gate to start", || {
        status(&p.repo)["current"]["gate"] == "slow"
    });
    let pid = lock_pid(&p.repo).expect("a daemon holds the lock");
    // SAFETY: kill only sends a signal.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    wait_for("the daemon to die", || lock_pid(&p.repo).is_none());
    let socket = p.repo.path().join(".git/auditops/daemon.sock");
    assert!(socket.exists(), "a killed daemon leaves its socket behind");
    assert!(!gates_passed(&p.repo));
    p.repo.ok(&["verify"]);

    // The stale socket does not stop the next start, which runs the gates again.
    daemon_ok(&p.repo, &["daemon", "start"]);
    wait_for("the gates to run again", || gates_passed(&p.repo));
    p.repo.ok(&["verify"]);
    let worktrees = p.repo.git(&["worktree", "list", "--porcelain"]);
    for line in worktrees.lines().filter(|l| l.starts_with("worktree ")) {
        let path = line.trim_start_matches("worktree ");
        assert!(
            !path.contains("/auditops/") || path.contains("/slot-"),
            "an orphan worktree is left: {worktrees}"
        );
    }
}

#[test]
fn a_linked_worktree_is_served_by_the_same_daemon() {
    let p = project(&config("true", ""));
    let _guard = Guard(&p.repo);
    let started = daemon_ok(&p.repo, &["daemon", "start", "--json"]);
    let pid = serde_json::from_str::<Value>(&started).unwrap()["pid"].clone();
    let linked = tempfile::tempdir().unwrap();
    let wt = linked.path().join("wt");
    git_on(
        &p.repo,
        &["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()],
    );
    std::fs::write(wt.join("side.txt"), "side\n").unwrap();
    let mut git = std::process::Command::new("git");
    support::isolate(&mut git, p.repo.home.path());
    git.current_dir(&wt).env(ON.0, ON.1).args([
        "commit",
        "-q",
        "-a",
        "--allow-empty",
        "-m",
        "side",
    ]);
    assert!(support::output_with_hang_guard(&mut git).status.success());
    wait_for("the linked worktree's gates", || {
        gates_passed_in(&p.repo, &wt)
    });
    let mut cmd = std::process::Command::new(support::BIN);
    support::isolate(&mut cmd, p.repo.home.path());
    cmd.current_dir(&wt).args(["daemon", "status", "--json"]);
    let from_wt: Value =
        serde_json::from_slice(&support::output_with_hang_guard(&mut cmd).stdout).unwrap();
    assert_eq!(from_wt["pid"], pid);
}

#[test]
fn a_ref_moved_without_a_hook_is_seen() {
    let p = project(&config("true", ""));
    let _guard = Guard(&p.repo);
    daemon_ok(&p.repo, &["daemon", "start"]);
    // Plumbing runs no hook: only the watcher can see this.
    p.repo.write("src/plumbing.rs", "// plumbing\n");
    p.repo.git(&["add", "-A"]);
    let tree = p.repo.git(&["write-tree"]);
    let commit = p
        .repo
        .git(&["commit-tree", &tree, "-p", "HEAD", "-m", "plumbing"]);
    p.repo.git(&["update-ref", "refs/heads/main", &commit]);
    wait_for("the watcher to see the moved ref", || gates_passed(&p.repo));
}

/// The pre-push hook as git runs it, for a push of nothing: it hands the sync
/// after the push to the daemon.
fn after_push_hook(repo: &Repo) {
    let out = repo
        .cmd()
        .env(ON.0, ON.1)
        .args(["hook", "pre-push", "origin", "unused"])
        .write_stdin("")
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn offline_github_keeps_the_operations_and_each_lands_once_back_online() {
    use crate::fake_github::{FakeGitHub, TOKEN};
    use crate::github_support::{Project as GithubProject, dead_url};
    let repo = Repo::new();
    GithubProject::configure(&repo, &dead_url(), "");
    let _guard = Guard(&repo);
    let queued: Value = serde_json::from_str(&repo.ok(&[
        "issue",
        "new",
        "--title",
        "offline",
        "--body",
        "queued offline",
        "--json",
    ]))
    .unwrap();
    let op_id = queued["op_id"].as_str().unwrap().to_owned();
    // The daemon inherits the token of whoever starts it.
    let no_gh = repo.home.path().join("no-gh");
    let started = repo
        .cmd()
        .env(ON.0, ON.1)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GH_CONFIG_DIR", &no_gh)
        .args(["daemon", "start"])
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(started.status.success(), "{}", stderr(&started));

    after_push_hook(&repo);
    wait_for("a retry to be scheduled", || {
        status(&repo)["events"].to_string().contains("retry 1 in")
    });
    let outbox: Value = serde_json::from_str(&repo.ok(&["outbox", "list", "--json"])).unwrap();
    assert!(outbox.to_string().contains("pending"), "{outbox}");

    // Back online (the configuration now points at a live GitHub): the next
    // push carries the operation out, exactly once.
    let fake = FakeGitHub::start();
    GithubProject::configure(&repo, &fake.url, "");
    after_push_hook(&repo);
    wait_for("the issue to land", || fake.issues("octo/demo").len() == 1);
    after_push_hook(&repo);
    // The daemon handles messages in order: once stopped, that push is handled.
    daemon_ok(&repo, &["daemon", "stop"]);
    let issues = fake.issues("octo/demo");
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert!(
        issues[0]
            .body
            .contains(&crate::github_support::marker(&op_id))
    );
}

#[test]
fn a_result_gate_signers_will_not_count_is_not_run_again_in_a_loop() {
    // Only CI's results count: the daemon's own result on this tree never will,
    // so it must run each gate once and then leave the tree alone.
    let runs = tempfile::tempdir().unwrap();
    let log = runs.path().join("runs");
    // Each run writes the tree it ran on: no tree may appear twice.
    let gate = format!("git rev-parse HEAD^{{tree}} >> {}", log.display());
    let config = config(&gate, "").replace(
        "protected = [\"refs/heads/main\"]",
        "protected = [\"refs/heads/main\"]\ngate_signers = [\"ci@*\"]",
    );
    let p = project(&config);
    let _guard = Guard(&p.repo);
    daemon_ok(&p.repo, &["daemon", "start"]);
    commit_on(&p.repo, "src/more.rs", "// more\n", "more");
    let trees = || -> Vec<String> {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.lines().map(str::to_owned).collect()
    };
    let head_tree = p.repo.git(&["rev-parse", "HEAD^{tree}"]).trim().to_owned();
    wait_for("the daemon's run on HEAD", || trees().contains(&head_tree));
    let idle = |s: &Value| s["current"].is_null() && s["queued"] == serde_json::json!([]);
    wait_for("the daemon to be idle", || idle(&status(&p.repo)));
    // A finished run wakes the scheduler and the watcher ticks every 2 s: give a
    // loop the chance to show itself, then look again.
    std::thread::sleep(std::time::Duration::from_secs(5));
    assert!(idle(&status(&p.repo)), "{}", status(&p.repo));
    let ran = trees();
    let mut once = ran.clone();
    once.sort();
    once.dedup();
    assert_eq!(
        once.len(),
        ran.len(),
        "a gate ran again on the same tree: {ran:?}"
    );
    // And the push to main is refused, naming the signer it lacks.
    let refused = push(&p.repo, &[]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("ci@*"), "{}", stderr(&refused));
}

#[test]
fn the_daemon_proposes_a_cleanup_plan_and_never_deletes() {
    let p = project(&config("true", ""));
    let _guard = Guard(&p.repo);
    // A gate log long past the default retention (30 days).
    let logs = p.repo.path().join(".git/auditops/logs");
    std::fs::create_dir_all(&logs).unwrap();
    let old = logs.join("0000-has-lib-20200101T000000Z.log");
    std::fs::write(&old, "ran long ago\n").unwrap();
    let aged = std::process::Command::new("touch")
        .args(["-d", "2020-01-01T00:00:00Z"])
        .arg(&old)
        .status()
        .unwrap()
        .success();
    assert!(aged, "touch -d");
    let planned = p.repo.ok(&["cleanup", "plan", "--json"]);
    let report_id = serde_json::from_str::<Value>(&planned).unwrap()["report_id"]
        .as_str()
        .unwrap()
        .to_owned();

    daemon_ok(&p.repo, &["daemon", "start"]);
    wait_for("the daemon's cleanup plan event", || {
        status(&p.repo)["events"]
            .to_string()
            .contains("cleanup plan")
    });
    let events = status(&p.repo)["events"].to_string();
    assert!(
        events.contains(&format!("approve report:{report_id}")),
        "{events}"
    );
    assert!(
        old.exists(),
        "the daemon deleted a log: it may only propose"
    );
}

/// A daemon of another version, as an older binary would leave running: it
/// holds the lock, answers on the socket, and stops when asked.
fn old_daemon(repo: &Repo) -> std::thread::JoinHandle<Vec<String>> {
    use std::io::{BufRead, BufReader, Write};
    let dir = repo.path().join(".git/auditops");
    std::fs::create_dir_all(&dir).unwrap();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(dir.join("daemon.lock"))
        .unwrap();
    lock.try_lock().unwrap();
    std::fs::write(
        dir.join("daemon.lock"),
        format!("pid={}\n", std::process::id()),
    )
    .unwrap();
    let socket = dir.join("daemon.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    // Never waits forever: a client that never asks it to stop fails the test.
    listener.set_nonblocking(true).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    std::thread::spawn(move || {
        let mut asked = Vec::new();
        while std::time::Instant::now() < deadline {
            let mut stream = match listener.accept() {
                Ok((stream, _)) => stream,
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    continue;
                }
                Err(err) => panic!("accept: {err}"),
            };
            stream.set_nonblocking(false).unwrap();
            let mut line = String::new();
            BufReader::new(&stream).read_line(&mut line).unwrap();
            let request: Value = serde_json::from_str(&line).unwrap();
            let cmd = request["cmd"].as_str().unwrap().to_owned();
            let answer = serde_json::json!({
                "ok": true,
                "version": "0.0.1",
                "pid": std::process::id(),
                "status": {"running": true, "pid": std::process::id(), "version": "0.0.1"},
            });
            writeln!(stream, "{answer}").unwrap();
            asked.push(cmd.clone());
            if cmd == "stop" {
                break;
            }
        }
        let _ = std::fs::remove_file(&socket);
        drop(lock);
        asked
    })
}

#[test]
fn a_daemon_of_another_version_is_asked_to_stop_and_replaced() {
    let p = project(&config("true", ""));
    let _guard = Guard(&p.repo);
    let old = old_daemon(&p.repo);
    let started = daemon_ok(&p.repo, &["daemon", "start"]);
    assert!(
        started.contains("0.0.1"),
        "names the version replaced: {started}"
    );
    let asked = old.join().unwrap();
    assert_eq!(asked.last().map(String::as_str), Some("stop"), "{asked:?}");
    let s = status(&p.repo);
    assert_eq!(s["version"], env!("CARGO_PKG_VERSION"), "{s}");
    assert_ne!(s["pid"], std::process::id(), "{s}");
}

/// The daemon leaves when its repository goes, woken by the file watcher: its
/// periodic check is a backstop of 15 minutes, far beyond this test's wait, so
/// an idle daemon needs no timer to notice.
#[test]
fn the_daemon_exits_when_its_repository_is_removed() {
    let p = project(&config("true", ""));
    let _guard = Guard(&p.repo);
    daemon_ok(&p.repo, &["daemon", "start"]);
    let pid = lock_pid(&p.repo).expect("a daemon holds the lock");
    let alive = || {
        // SAFETY: signal 0 only checks that the process exists.
        unsafe { libc::kill(pid, 0) == 0 }
    };
    assert!(alive());
    // Once its first scan's gates are done, so that nothing of the daemon's
    // writes into the folder being removed; the daemon's own clean-up (its
    // socket) may still race the removal, so it is retried.
    wait_for("the gates of HEAD to pass", || gates_passed(&p.repo));
    wait_for("the daemon to be idle", || {
        let s = status(&p.repo);
        s["current"].is_null() && s["queued"].as_array().is_none_or(|q| q.is_empty())
    });
    let git_dir = p.repo.path().join(".git");
    wait_for(
        "the git dir to be removed",
        || match std::fs::remove_dir_all(&git_dir) {
            Ok(()) => true,
            Err(err) => err.kind() == std::io::ErrorKind::NotFound,
        },
    );
    wait_for("the daemon to notice its repository is gone", || !alive());
}
