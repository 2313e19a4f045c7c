//! The worktree pool stays valid in git's eyes at every instant: a broken slot
//! is repaired by the next command that uses the pool, and a `kill -9` at any
//! point of `patch submit` leaves `git fsck` and `git worktree prune` with
//! nothing to say.

use crate::patches::{config, good_patch, make_patch, project, spawn_submit, submit, write_patch};
use crate::support::{self, Repo};
use std::process::Output;
use std::time::Duration;

const SLOT_ADMIN: &str = ".git/worktrees/slot-0";
const SLOT: &str = ".git/auditops/worktrees/slot-0";

fn git_output(repo: &Repo, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new("git");
    support::isolate(&mut cmd, repo.home.path());
    cmd.current_dir(repo.path()).args(args);
    cmd.output().expect("run git")
}

/// No `packed-refs.lock` is left, `git fsck --no-dangling` passes and `git worktree prune --dry-run -v` would
/// remove nothing (it says what it would remove on stderr).
#[track_caller]
pub(crate) fn assert_git_consistent(repo: &Repo, context: &str) {
    // A git command killed while it held the repository-wide packed-refs lock
    // would block every later ref update; an orphaned one removes its lock as it
    // dies, which may take a moment after our process was killed.
    let packed_refs_lock = repo.path().join(".git/packed-refs.lock");
    support::wait_for(&format!("{context}: .git/packed-refs.lock to go"), || {
        !packed_refs_lock.exists()
    });
    let fsck = git_output(repo, &["fsck", "--no-dangling"]);
    assert!(
        fsck.status.success(),
        "{context}: git fsck failed:\n{}{}",
        support::stdout(&fsck),
        support::stderr(&fsck)
    );
    let prune = git_output(repo, &["worktree", "prune", "--dry-run", "-v"]);
    let said = format!("{}{}", support::stdout(&prune), support::stderr(&prune));
    assert!(
        prune.status.success() && said.trim().is_empty(),
        "{context}: git worktree prune would remove something:\n{said}"
    );
}

fn other_patch(repo: &Repo, name: &str) -> String {
    let bytes = make_patch(
        repo,
        |r| r.write(&format!("notes/{name}.txt"), format!("{name}\n")),
        &[],
    );
    write_patch(repo, &format!("{name}.patch"), &bytes)
}

/// A first submit that leaves a slot to break.
fn project_with_a_slot() -> Repo {
    let repo = project(&config("analysis_only", ""));
    let (code, json, err) = submit(&repo, &good_patch(&repo), "release");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json["pool_created"], true);
    assert_git_consistent(&repo, "after the first submit");
    repo
}

/// The next submit rebuilds the slot, checks the patch out in it, and leaves
/// git with nothing to complain about.
fn assert_repaired_by_a_submit(repo: &Repo) {
    let (code, json, err) = submit(repo, &other_patch(repo, "second"), "release");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json["pool_created"], true, "the broken slot was rebuilt");
    assert_git_consistent(repo, "after the repairing submit");
    let slot = repo.path().join(SLOT);
    assert!(slot.join("notes/second.txt").exists(), "the patch is there");
    let listed = repo.git(&["worktree", "list", "--porcelain"]);
    assert!(listed.contains(SLOT), "registered again: {listed}");
}

#[test]
fn a_slot_whose_head_is_forty_zeros_is_repaired_by_the_next_submit() {
    let repo = project_with_a_slot();
    let head = repo.path().join(SLOT_ADMIN).join("HEAD");
    std::fs::write(&head, format!("{}\n", "0".repeat(40))).unwrap();
    let fsck = git_output(&repo, &["fsck", "--no-dangling"]);
    assert!(!fsck.status.success(), "the breakage is one git sees");
    assert_repaired_by_a_submit(&repo);
}

#[test]
fn a_slot_without_gitdir_is_repaired_by_the_next_submit() {
    let repo = project_with_a_slot();
    std::fs::remove_file(repo.path().join(SLOT_ADMIN).join("gitdir")).unwrap();
    let prune = git_output(&repo, &["worktree", "prune", "--dry-run", "-v"]);
    assert!(
        support::stderr(&prune).contains("slot-0"),
        "the breakage is one git sees"
    );
    assert_repaired_by_a_submit(&repo);
}

#[test]
fn a_slot_whose_checkout_is_gone_is_repaired_by_the_next_submit() {
    let repo = project_with_a_slot();
    std::fs::remove_dir_all(repo.path().join(SLOT)).unwrap();
    assert_repaired_by_a_submit(&repo);
}

#[test]
fn status_removes_a_broken_slot_cleanly() {
    let repo = project_with_a_slot();
    let head = repo.path().join(SLOT_ADMIN).join("HEAD");
    std::fs::write(&head, format!("{}\n", "0".repeat(40))).unwrap();
    let status: serde_json::Value = serde_json::from_str(&repo.ok(&["status", "--json"])).unwrap();
    assert_eq!(status["worktrees_swept"], 1);
    assert_git_consistent(&repo, "after status");
    assert!(!repo.path().join(SLOT).exists());
    assert!(!repo.path().join(SLOT_ADMIN).exists());
}

/// A small xorshift generator: the delays need no more, and the seed is
/// printed so that a failing run can be replayed (`AUDITOPS_KILL_SEED`).
struct Delays(u64);

impl Delays {
    fn next_below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// `AUDITOPS_KILL_TRIALS` (default 50) submits, each killed with SIGKILL
/// after a random 0–30 ms (`AUDITOPS_KILL_MAX_MS`); git is checked after
/// every kill, and a last submit must succeed.
#[test]
fn kill_dash_nine_at_any_point_of_a_submit_leaves_git_consistent() {
    let trials = env_number("AUDITOPS_KILL_TRIALS").unwrap_or(50);
    let max_us = env_number("AUDITOPS_KILL_MAX_MS").unwrap_or(30).max(1) * 1000;
    let seed = env_number("AUDITOPS_KILL_SEED").unwrap_or_else(|| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        now.map(|d| d.as_nanos() as u64).unwrap_or(1) | 1
    });
    let mut delays = Delays(seed);
    let repo = project(&config("analysis_only", ""));
    for trial in 0..trials {
        let patch = other_patch(&repo, &format!("trial-{trial}"));
        let mut child = spawn_submit(&repo, &patch);
        let delay = delays.next_below(max_us);
        std::thread::sleep(Duration::from_micros(delay));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert_git_consistent(
            &repo,
            &format!("after kill {trial} ({delay} µs in; AUDITOPS_KILL_SEED={seed})"),
        );
    }
    // A state-ref lock a killed writer left is recovered by the next write.
    let (code, json, err) = submit(&repo, &good_patch(&repo), "release");
    assert_eq!(code, Some(0), "the next submit works (seed {seed}): {err}");
    assert!(json["decision"].is_string(), "{json}");
    assert_git_consistent(&repo, &format!("after the last submit (seed {seed})"));
    repo.ok(&["verify"]);
}

/// A gate that reports whether its ignored cache (`target/cache`) was there,
/// then makes it; and the same command as a `clean = true` gate.
const GATE_CONFIG: &str = r#"version = 1

[[phases]]
id = 0
name = "Build"
gates = ["build", "pristine"]

[gates.build]
run = "if test -f target/cache; then echo cache-found; else echo cache-made; fi; mkdir -p target && echo warm > target/cache"

[gates.pristine]
run = "if test -f target/cache; then echo cache-found; else echo cache-made; fi; mkdir -p target && echo warm > target/cache"
clean = true
"#;

fn gate_tails(repo: &Repo) -> Vec<String> {
    let out = repo.run(&["gate", "run", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", support::stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["output_tail"].as_str().unwrap().trim().to_owned())
        .collect()
}

#[test]
fn gates_run_in_the_pool_so_ignored_build_output_survives_unless_clean() {
    let repo = Repo::new();
    repo.write(".auditops.toml", GATE_CONFIG);
    repo.write(".gitignore", "target/\n");
    repo.setup_trusted();
    assert_eq!(gate_tails(&repo), ["cache-made", "cache-made"]);
    // A new commit: the pooled checkout moves, its ignored files stay.
    repo.write("src/more.rs", "pub fn more() {}\n");
    repo.commit_all("more");
    assert_eq!(
        gate_tails(&repo),
        ["cache-found", "cache-made"],
        "the pooled gate finds its cache; the clean one never does"
    );
    assert!(repo.path().join(SLOT).join("target/cache").exists());
    assert!(
        !repo.path().join("target").exists(),
        "the user's tree is untouched"
    );
    assert_git_consistent(&repo, "after two gate runs");
}

#[test]
fn a_gate_run_never_waits_for_a_pool_a_patch_validation_holds() {
    let repo = Repo::new();
    let started = repo.home.path().join("validator-started");
    let config = format!(
        "{GATE_CONFIG}\n[patch]\nmode = \"analysis_only\"\n\n[patch.validators.tests]\nrun = \"touch '{}'; sleep 30\"\n",
        started.display()
    );
    repo.write(".auditops.toml", config);
    repo.write(".gitignore", "target/\n");
    repo.setup_trusted();
    repo.git(&["branch", "release"]);
    assert_eq!(gate_tails(&repo), ["cache-made", "cache-made"]);
    let mut child = spawn_submit(&repo, &other_patch(&repo, "slow"));
    support::wait_for("the validator to start", || started.exists());
    // The pool is held: the gates run in a fresh worktree (no cache there).
    assert_eq!(gate_tails(&repo), ["cache-made", "cache-made"]);
    assert!(
        child.try_wait().unwrap().is_none(),
        "the validation still runs"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    // The next run repairs the abandoned slot and uses the pool again.
    assert_eq!(gate_tails(&repo), ["cache-made", "cache-made"]);
    repo.write("src/more.rs", "pub fn more() {}\n");
    repo.commit_all("more");
    assert_eq!(gate_tails(&repo), ["cache-found", "cache-made"]);
    assert_git_consistent(&repo, "after the gate runs");
}
