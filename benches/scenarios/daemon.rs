//! The daemon (10., issue 13): what it costs when nothing happens and how soon
//! it reacts. Rows:
//!
//! - `git commit` with the post-commit hook, the daemon running, against the
//!   same commit with no hooks (`core.hooksPath` at an empty folder),
//!   interleaved; target ≤ +5 ms median. Empty commits: the tree keeps its
//!   results, so what is timed is the hook telling the daemon, not a gate.
//! - From `git commit` returning to the first gate process starting (the gate
//!   writes the time it starts); target ≤ 300 ms median. A gate that starts
//!   before `git commit` returns counts as 0.
//! - The idle daemon after that work: resident memory, peak memory, and the
//!   CPU ticks it used over an idle window (60 s in a full run); targets
//!   peak RSS ≤ 15 MB and 0 ticks.

use crate::Options;
use crate::support::fixture::Workspace;
use crate::support::measure::{Samples, fmt_duration, print_step, run_text, time};
use crate::support::report::{Table, Verdict, section};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

const CONFIG: &str = r#"version = 1

[[phases]]
id = 0
name = "Setup"
gates = ["started"]

[gates.started]
run = "date +%s%N >> MARKER"
category = "build"

[daemon]
idle_exit = "10m"
"#;

fn now_nanos() -> i128 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// Lines of the marker file (one per gate start).
fn marks(path: &Path) -> Vec<i128> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// `/proc/<pid>/status` field in kB.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    // After the command: state is field 3, utime 14, stime 15.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn daemon_status(ws: &Workspace, dir: &Path) -> serde_json::Value {
    serde_json::from_str(&run_text(
        ws.auditops(dir).args(["daemon", "status", "--json"]),
    ))
    .expect("daemon status --json")
}

/// Waits until the daemon has nothing running or queued.
fn wait_idle(ws: &Workspace, dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let s = daemon_status(ws, dir);
        if s["current"].is_null() && s["queued"].as_array().is_none_or(|q| q.is_empty()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the daemon did not become idle within 60 s");
}

pub fn run(ws: &Workspace, options: &Options, table: &mut Table) {
    section("daemon: commit hook overhead, commit → first gate, idle cost");
    let repo = ws.repo("daemon");
    let dir = &repo.dir;
    let marker = ws.path("daemon-gate-started");
    let config = CONFIG.replace("MARKER", &marker.display().to_string());
    std::fs::write(dir.join(".auditops.toml"), config).expect("write the daemon config");
    run_text(ws.git(dir).args(["add", "-A"]));
    run_text(
        ws.git(dir)
            .args(["commit", "-q", "-m", "daemon bench config"]),
    );
    let no_hooks = ws.path("daemon-no-hooks");
    std::fs::create_dir_all(&no_hooks).expect("create an empty hooks folder");
    run_text(ws.auditops(dir).args(["daemon", "start"]));
    wait_idle(ws, dir);
    let pid = daemon_status(ws, dir)["pid"]
        .as_u64()
        .expect("a daemon pid") as u32;

    // 1. Commit overhead.
    let runs = options.hook_runs;
    let (mut with, mut without) = (Samples::default(), Samples::default());
    let hooks_off = format!("core.hooksPath={}", no_hooks.display());
    for i in 0..=runs {
        // The hook runs `git-auditops` by name: on PATH, as after an install
        // (else it exits at once and this measures nothing).
        let (_, a) = time(|| {
            run_text(
                ws.git_with_hooks(dir)
                    .args(["commit", "-q", "--allow-empty", "-m", "hooked"]),
            )
        });
        let (_, b) = time(|| {
            run_text(ws.git(dir).args([
                "-c",
                &hooks_off,
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                "plain",
            ]))
        });
        if i > 0 {
            with.push(a);
            without.push(b);
        }
    }
    print_step("git commit, post-commit hook, daemon running", &with);
    print_step("git commit, no hooks", &without);
    let extra = with.median().saturating_sub(without.median());
    table.push(
        "git commit + post-commit hook (daemon up)",
        fmt_duration(with.median()),
        fmt_duration(without.median()),
        format!("+{}", fmt_duration(extra)),
        "≤ +5 ms",
        Verdict::from_bool(extra <= Duration::from_millis(5)),
    );
    wait_idle(ws, dir);

    // 2. Commit → first gate.
    let mut latency = Samples::default();
    for i in 0..runs.min(20) {
        let seen = marks(&marker).len();
        std::fs::write(dir.join("change.txt"), format!("change {i}\n")).expect("write");
        run_text(ws.git(dir).args(["add", "change.txt"]));
        run_text(
            ws.git_with_hooks(dir)
                .args(["commit", "-q", "-m", "new tree"]),
        );
        let returned = now_nanos();
        let deadline = Instant::now() + Duration::from_secs(30);
        let started = loop {
            if let Some(mark) = marks(&marker).get(seen) {
                break *mark;
            }
            assert!(Instant::now() < deadline, "no gate started within 30 s");
            std::thread::sleep(Duration::from_millis(1));
        };
        latency.push(Duration::from_nanos(
            u64::try_from((started - returned).max(0)).unwrap_or(0),
        ));
        wait_idle(ws, dir);
    }
    print_step("git commit returned → gate started", &latency);
    table.push(
        "commit → first gate starts (daemon up)",
        fmt_duration(latency.median()),
        "—",
        "—",
        "≤ 300 ms",
        Verdict::from_bool(latency.median() <= Duration::from_millis(300)),
    );

    // 3. Idle cost.
    let window = match options.mode {
        "full" => Duration::from_secs(60),
        m if m.starts_with("smoke") => Duration::from_secs(1),
        _ => Duration::from_secs(10),
    };
    // The last run's own aftermath (the scan its end triggers, the watcher's
    // debounce of the events it caused) is part of that run, not of idling.
    std::thread::sleep(Duration::from_secs(5).min(window));
    let before = cpu_ticks(pid);
    std::thread::sleep(window);
    let after = cpu_ticks(pid);
    let rss = status_kib(pid, "VmRSS:").unwrap_or(0);
    let peak = status_kib(pid, "VmHWM:").unwrap_or(0);
    let ticks = after.zip(before).map(|(a, b)| a.saturating_sub(b));
    println!(
        "  idle {}: {} CPU ticks; resident {rss} KiB, peak {peak} KiB",
        fmt_duration(window),
        ticks.map_or("?".to_owned(), |t| t.to_string())
    );
    table.push(
        "idle daemon: peak RSS",
        format!("{:.1} MB", peak as f64 / 1024.0),
        format!("now {:.1} MB", rss as f64 / 1024.0),
        "—",
        "≤ 15 MB",
        Verdict::from_bool(peak <= 15 * 1024),
    );
    table.push(
        format!("idle daemon: CPU ticks over {}", fmt_duration(window)),
        ticks.map_or("?".to_owned(), |t| t.to_string()),
        "—",
        "—",
        "0",
        Verdict::from_bool(ticks == Some(0)),
    );
    run_text(ws.auditops(dir).args(["daemon", "stop"]));
}
