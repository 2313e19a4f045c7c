//! The state ref's lock: a dead writer's is removed, a live writer's is waited
//! for up to `[state] lock_timeout` and then reported (exit 4), and a writer
//! killed at any instant never blocks the next one.

use crate::support::{
    BIN, Repo, assert_stderr_contains, evidence_add, isolate, output_with_hang_guard, stderr,
};
use std::fs::{File, OpenOptions};
use std::path::PathBuf;

/// A trusted repository whose writes wait at most 1 s for a live writer's lock.
fn repo_with_short_timeout() -> Repo {
    let repo = Repo::new();
    repo.setup_trusted();
    repo.edit_config(
        "ref = \"refs/auditops/state\"\n",
        "ref = \"refs/auditops/state\"\nlock_timeout = \"1s\"\n",
        "short lock timeout",
    );
    repo
}

/// `git-auditops ARGS` in `repo`, as a plain command (to spawn, kill or guard).
fn bin(repo: &Repo, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(BIN);
    isolate(&mut cmd, repo.home.path());
    cmd.current_dir(repo.path()).args(args);
    cmd
}

fn ref_lock(repo: &Repo) -> PathBuf {
    repo.path().join(".git/refs/auditops/state.lock")
}

/// Holds the sidecar flock as a running writer would (this test process is the
/// live owner), with the ref's lock file present.
fn hold_like_a_live_writer(repo: &Repo) -> File {
    let dir = repo.path().join(".git/auditops/locks");
    std::fs::create_dir_all(&dir).unwrap();
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(dir.join("state-ref.flock"))
        .unwrap();
    file.lock().unwrap();
    std::fs::write(ref_lock(repo), b"").unwrap();
    file
}

#[test]
fn a_lock_left_by_a_dead_writer_is_removed_and_the_write_goes_on() {
    let repo = repo_with_short_timeout();
    std::fs::write(ref_lock(&repo), b"").unwrap();

    let locks: Vec<serde_json::Value> =
        serde_json::from_str(&repo.ok(&["locks", "--json"])).unwrap();
    let state_ref = locks.iter().find(|l| l["lock"] == "state-ref").unwrap();
    assert_eq!(state_ref["held"], false, "{state_ref}");
    assert!(repo.ok(&["status"]).contains("left by a process that died"));

    let out = output_with_hang_guard(&mut bin(
        &repo,
        &evidence_add("src/lib.rs", "1-3", "after a crash"),
    ));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_stderr_contains(&out, "removed");
    assert_stderr_contains(&out, "state.lock");
    assert_stderr_contains(&out, "left by a writer that died");
    assert!(!ref_lock(&repo).exists());
    assert_eq!(repo.evidence_json().len(), 1);
    let locks: Vec<serde_json::Value> =
        serde_json::from_str(&repo.ok(&["locks", "--json"])).unwrap();
    assert!(locks.iter().all(|l| l["lock"] != "state-ref"));
}

#[test]
fn a_live_writers_lock_is_waited_for_then_reported_with_exit_4() {
    let repo = repo_with_short_timeout();
    let tip = repo.state_tip();
    let held = hold_like_a_live_writer(&repo);

    let locks: Vec<serde_json::Value> =
        serde_json::from_str(&repo.ok(&["locks", "--json"])).unwrap();
    let state_ref = locks.iter().find(|l| l["lock"] == "state-ref").unwrap();
    assert_eq!(state_ref["held"], true, "{state_ref}");
    assert!(
        state_ref["path"]
            .as_str()
            .unwrap()
            .ends_with("refs/auditops/state.lock")
    );

    let out = output_with_hang_guard(&mut bin(
        &repo,
        &evidence_add("src/lib.rs", "1-3", "blocked"),
    ));
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_stderr_contains(&out, "refs/auditops/state.lock");
    assert_stderr_contains(&out, "old)");
    assert_stderr_contains(&out, "lock_timeout");
    assert_eq!(repo.state_tip(), tip, "nothing written");
    assert!(
        ref_lock(&repo).exists(),
        "a live writer's lock is left alone"
    );

    // Once the owner is gone, its lock is a dead writer's: the next write recovers.
    drop(held);
    repo.add_evidence("after the owner died");
    assert!(!ref_lock(&repo).exists());
}

/// `git checkout` and every ref deletion take `packed-refs.lock`; a git
/// command that died left one here. A write waits `[state] lock_timeout`, then
/// names the file and the way out (exit 4), and writes once it is gone.
#[test]
fn a_packed_refs_lock_git_left_is_named_after_the_timeout() {
    let repo = repo_with_short_timeout();
    repo.git(&["pack-refs", "--all"]);
    let tip = repo.state_tip();
    let stale = repo.path().join(".git/packed-refs.lock");
    std::fs::write(&stale, b"").unwrap();

    let out = output_with_hang_guard(&mut bin(
        &repo,
        &evidence_add("src/lib.rs", "1-3", "blocked by git"),
    ));
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_stderr_contains(&out, "packed-refs.lock");
    assert_stderr_contains(&out, "lock_timeout");
    assert_stderr_contains(&out, "rm ");
    assert_eq!(repo.state_tip(), tip, "nothing written");
    assert!(stale.exists(), "a lock file git owns is not ours to remove");

    std::fs::remove_file(&stale).unwrap();
    repo.add_evidence("after the lock was removed");
    assert_eq!(repo.evidence_json().len(), 1);
}

/// A tiny deterministic generator for the kill delays (no dependency needed).
fn next(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

/// `AUDITOPS_KILL_TRIALS=1000 cargo test --locked --test cli kill_dash_nine` runs the
/// long version (see docs/state-format.md, "Locks").
#[test]
fn writers_killed_at_random_instants_never_block_the_next_write() {
    let trials: u64 = std::env::var("AUDITOPS_KILL_TRIALS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50);
    let repo = repo_with_short_timeout();
    let mut seed = u64::from(std::process::id());
    for trial in 0..trials {
        let description = format!("trial {trial}");
        let mut child = bin(&repo, &evidence_add("src/lib.rs", "1-3", &description))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(next(&mut seed) % 31));
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
    }
    let fsck = std::process::Command::new("git")
        .args(["fsck", "--no-dangling"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert!(
        fsck.status.success() && fsck.stderr.is_empty(),
        "git fsck: {}{}",
        String::from_utf8_lossy(&fsck.stdout),
        String::from_utf8_lossy(&fsck.stderr)
    );
    let before = repo.evidence_json().len();
    let out = output_with_hang_guard(&mut bin(
        &repo,
        &evidence_add("src/lib.rs", "1-3", "after the kills"),
    ));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(repo.evidence_json().len(), before + 1);
    assert!(!ref_lock(&repo).exists(), "no stuck lock");
    repo.ok(&["verify"]);
}
