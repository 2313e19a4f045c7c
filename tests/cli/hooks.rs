//! The git hooks: `hooks install|uninstall|status`, `init` installing them, and
//! `hook NAME`, through the real binary on real repositories, with real
//! `git push` to local bare repositories so that git itself runs the hooks.
//!
//! The reliability requirement: a foreign pre-push hook that refuses still
//! refuses after install (run first, with git's arguments and standard input),
//! and uninstall puts it back byte for byte.

use crate::support;
use crate::support::{Repo, assert_stderr_contains, stderr, stdout};
use predicates::prelude::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Output;

/// Our hook script, as install must write it.
const SCRIPT: &str = include_str!("../../hooks/pre-push");
const MARKER: &str = "# git-auditops hook";
const ZEROS: &str = "0000000000000000000000000000000000000000";

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{err}: {text}"))
}

fn hooks_dir(repo: &Repo) -> PathBuf {
    repo.path().join(".git/hooks")
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn canonical(path: impl AsRef<Path>) -> PathBuf {
    path.as_ref()
        .canonicalize()
        .unwrap_or_else(|err| panic!("{}: {err}", path.as_ref().display()))
}

/// Our binary with `args` in `dir` (e.g. a worktree), isolated like `repo`.
fn run_in(repo: &Repo, dir: &Path, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(support::BIN);
    support::isolate(&mut cmd, repo.home.path());
    cmd.current_dir(dir).args(args).output().unwrap()
}

/// Git with `args` in `dir`, isolated like `repo`; not asserted.
fn git_in(repo: &Repo, dir: &Path, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new("git");
    support::isolate(&mut cmd, repo.home.path());
    cmd.current_dir(dir).args(args).output().unwrap()
}

/// `git push ARGS` in `dir`: git runs the installed hooks.
fn push_in(repo: &Repo, dir: &Path, args: &[&str]) -> Output {
    let mut full = vec!["push"];
    full.extend(args);
    git_in(repo, dir, &full)
}

fn push(repo: &Repo, args: &[&str]) -> Output {
    push_in(repo, repo.path(), args)
}

/// A bare repository added to `repo` as `origin`; returns it and its URL.
fn bare_origin(repo: &Repo) -> (tempfile::TempDir, String) {
    let remote = tempfile::tempdir().unwrap();
    let url = remote.path().to_str().unwrap().to_owned();
    let out = git_in(repo, repo.path(), &["init", "-q", "--bare", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    repo.git(&["remote", "add", "origin", &url]);
    (remote, url)
}

/// The refs of a (bare) repository, `<sha> <ref>` per line.
fn refs_of(repo: &Repo, git_dir: &Path) -> String {
    let out = git_in(
        repo,
        git_dir,
        &["for-each-ref", "--format=%(objectname) %(refname)"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).trim().to_owned()
}

/// Someone else's pre-push hook: records its arguments and standard input under
/// `log` (as `args` and `stdin`), then exits with `code`. It ends with a
/// trailing space and no newline, a quirk uninstall must keep.
fn foreign_hook(log: &Path, code: i32) -> Vec<u8> {
    let log = log.display();
    format!(
        "#!/bin/sh\n# another tool's pre-push hook  \n\
printf '%s\\n' \"$@\" > '{log}/args'\n\
cat > '{log}/stdin'\n\
exit {code} "
    )
    .into_bytes()
}

/// A folder for a foreign hook's records, outside the repository.
fn log_dir(repo: &Repo) -> PathBuf {
    let dir = repo.home.path().join("hook-log");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `hooks install --json` (plus `extra`), expected to succeed: the changes.
fn install(repo: &Repo, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["hooks", "install", "--json"];
    args.extend(extra);
    json(&repo.ok(&args))
}

fn uninstall(repo: &Repo) -> serde_json::Value {
    json(&repo.ok(&["hooks", "uninstall", "--json"]))
}

/// Every hook we manage, pre-push first, as reports list them.
const MANAGED: [&str; 5] = [
    "pre-push",
    "post-commit",
    "post-checkout",
    "post-merge",
    "post-rewrite",
];

/// The entry of `hooks status --json` for pre-push (the first of the managed
/// hooks, each listed once).
fn status(repo: &Repo) -> serde_json::Value {
    let report = json(&repo.ok(&["hooks", "status", "--json"]));
    let hooks = report["hooks"].as_array().expect("hooks array");
    let names: Vec<&str> = hooks.iter().map(|h| h["hook"].as_str().unwrap()).collect();
    assert_eq!(names, MANAGED, "{report}");
    hooks[0].clone()
}

/// The change of an install/uninstall report to pre-push (the first of the
/// managed hooks, each listed once).
fn action(report: &serde_json::Value) -> &str {
    let changes = report["changes"].as_array().expect("changes array");
    let names: Vec<&str> = changes
        .iter()
        .map(|c| c["hook"].as_str().unwrap())
        .collect();
    assert_eq!(names, MANAGED, "{report}");
    changes[0]["action"].as_str().expect("action")
}

/// Every file in `dir` with its bytes and mode (a snapshot to compare).
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, u32)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap(), mode(&path))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn install_writes_our_marked_executable_script_and_is_idempotent() {
    let repo = Repo::new();
    assert_eq!(status(&repo)["state"], "missing");

    let report = install(&repo, &[]);
    assert_eq!(action(&report), "installed");
    let hook = hooks_dir(&repo).join("pre-push");
    assert_eq!(
        canonical(report["changes"][0]["path"].as_str().unwrap()),
        canonical(&hook)
    );
    assert_eq!(
        canonical(report["location"]["dir"].as_str().unwrap()),
        canonical(hooks_dir(&repo))
    );
    assert_eq!(report["location"]["outside"], false);
    assert_eq!(report["location"]["hooks_path"], serde_json::Value::Null);

    let bytes = std::fs::read(&hook).unwrap();
    assert_eq!(bytes, SCRIPT.as_bytes());
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with("#!/bin/sh\n"), "{text}");
    assert!(
        text.lines().nth(1).unwrap().starts_with(MARKER),
        "marker on line 2: {text}"
    );
    // The script does nothing but hand over to us.
    let commands: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    assert_eq!(commands, ["exec git-auditops hook pre-push \"$@\""]);
    assert_eq!(mode(&hook), 0o755);
    assert!(!hooks_dir(&repo).join("pre-push.auditops-chained").exists());
    let inode = std::fs::metadata(&hook).unwrap().ino();

    // Twice changes nothing: same bytes, same mode, the very same file.
    let before = snapshot(&hooks_dir(&repo));
    assert_eq!(action(&install(&repo, &[])), "unchanged");
    assert_eq!(snapshot(&hooks_dir(&repo)), before);
    assert_eq!(
        std::fs::metadata(&hook).unwrap().ino(),
        inode,
        "not rewritten"
    );

    let state = status(&repo);
    assert_eq!(state["state"], "installed", "{state}");
    assert_eq!(state["chained"], false);
    assert_eq!(state["reason"], serde_json::Value::Null);

    // The text forms say the same.
    repo.cmd()
        .args(["hooks", "install"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("pre-push").and(predicate::str::contains("unchanged")));
    repo.cmd()
        .args(["hooks", "status"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("installed"));
}

#[test]
fn a_refusing_foreign_hook_still_refuses_and_uninstall_restores_it_exactly() {
    let repo = Repo::new();
    let (remote, url) = bare_origin(&repo);
    let log = log_dir(&repo);
    let hook = hooks_dir(&repo).join("pre-push");
    let kept = hooks_dir(&repo).join("pre-push.auditops-chained");
    let original = foreign_hook(&log, 1);
    assert!(original.ends_with(b"exit 1 "), "trailing space, no newline");
    std::fs::write(&hook, &original).unwrap();
    set_mode(&hook, 0o750);

    let report = install(&repo, &[]);
    assert_eq!(action(&report), "chained");
    assert_eq!(std::fs::read(&hook).unwrap(), SCRIPT.as_bytes());
    assert_eq!(mode(&hook), 0o755);
    assert_eq!(
        std::fs::read(&kept).unwrap(),
        original,
        "kept byte for byte"
    );
    assert_eq!(mode(&kept), 0o750, "kept with its mode");
    let state = status(&repo);
    assert_eq!(state["state"], "installed", "{state}");
    assert_eq!(state["chained"], true);

    // Installing again changes nothing, the kept hook included.
    let before = snapshot(&hooks_dir(&repo));
    assert_eq!(action(&install(&repo, &[])), "unchanged");
    assert_eq!(snapshot(&hooks_dir(&repo)), before);

    // Two unprotected branches (no .auditops.toml): only the foreign hook can refuse.
    repo.git(&["branch", "feature"]);
    repo.git(&["branch", "topic"]);
    let head = repo.git(&["rev-parse", "HEAD"]);
    let out = push(&repo, &["origin", "feature", "topic:renamed"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_stderr_contains(&out, "the earlier pre-push hook refused");
    assert_eq!(
        refs_of(&repo, remote.path()),
        "",
        "nothing reached the remote"
    );

    // The foreign hook saw exactly what git gives a pre-push hook.
    assert_eq!(
        std::fs::read_to_string(log.join("args")).unwrap(),
        format!("origin\n{url}\n")
    );
    let stdin = std::fs::read_to_string(log.join("stdin")).unwrap();
    assert!(stdin.ends_with('\n'), "{stdin:?}");
    let mut lines: Vec<&str> = stdin.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            format!("refs/heads/feature {head} refs/heads/feature {ZEROS}"),
            format!("refs/heads/topic {head} refs/heads/renamed {ZEROS}"),
        ]
    );

    // Uninstall puts it back exactly, and nothing of ours stays.
    let report = uninstall(&repo);
    assert_eq!(action(&report), "restored");
    assert_eq!(
        std::fs::read(&hook).unwrap(),
        original,
        "restored byte for byte"
    );
    assert_eq!(mode(&hook), 0o750, "restored with its mode");
    assert!(!kept.exists(), "pre-push.auditops-chained is gone");
    assert!(
        std::fs::read_dir(hooks_dir(&repo)).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("auditops")),
        "no file of ours left"
    );
    assert_eq!(status(&repo)["state"], "foreign");

    // And it still refuses on its own.
    let out = push(&repo, &["origin", "feature"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(refs_of(&repo, remote.path()), "");
}

#[test]
fn an_accepting_foreign_hook_lets_the_push_through_and_ours_still_decides() {
    let repo = Repo::new();
    let (remote, _url) = bare_origin(&repo);
    let log = log_dir(&repo);
    let hook = hooks_dir(&repo).join("pre-push");
    std::fs::write(&hook, foreign_hook(&log, 0)).unwrap();
    set_mode(&hook, 0o755);
    assert_eq!(action(&install(&repo, &[])), "chained");

    repo.git(&["branch", "feature"]);
    let head = repo.git(&["rev-parse", "HEAD"]);
    let out = push(&repo, &["origin", "feature"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        refs_of(&repo, remote.path()),
        format!("{head} refs/heads/feature")
    );
    assert_eq!(
        std::fs::read_to_string(log.join("stdin")).unwrap(),
        format!("refs/heads/feature {head} refs/heads/feature {ZEROS}\n"),
        "the foreign hook ran"
    );

    // Our check runs after it: a protected branch whose gates have not passed
    // is refused although the foreign hook accepts.
    repo.write(
        ".auditops.toml",
        "version = 1\n\n[[phases]]\nid = 0\nname = \"Setup\"\ngates = [\"ok\"]\n\n\
[gates.ok]\nrun = \"true\"\ncategory = \"build\"\n\n\
[policy]\nprotected = [\"refs/heads/main\"]\n",
    );
    let head = repo.commit_all("policy");
    std::fs::remove_file(log.join("stdin")).unwrap();
    let out = push(&repo, &["origin", "main"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_stderr_contains(&out, "push to refs/heads/main refused");
    assert_eq!(
        std::fs::read_to_string(log.join("stdin")).unwrap(),
        format!("refs/heads/main {head} refs/heads/main {ZEROS}\n"),
        "the foreign hook ran first"
    );
    assert!(!refs_of(&repo, remote.path()).contains("refs/heads/main"));
}

#[test]
fn init_installs_the_hooks_unless_no_hooks() {
    let repo = Repo::new();
    let report = json(&repo.ok(&["init", "--json"]));
    let hooks = report["hooks"].as_array().unwrap();
    let names: Vec<&str> = hooks.iter().map(|h| h["hook"].as_str().unwrap()).collect();
    assert_eq!(names, MANAGED, "{report}");
    assert!(hooks.iter().all(|h| h["action"] == "installed"), "{report}");
    for hook in &MANAGED[1..] {
        let script = std::fs::read_to_string(hooks_dir(&repo).join(hook)).unwrap();
        assert!(
            script.contains(&format!("exec git-auditops hook {hook} \"$@\"")),
            "{script}"
        );
    }
    assert_eq!(report["hooks_skipped"], serde_json::Value::Null);
    assert_eq!(
        std::fs::read(hooks_dir(&repo).join("pre-push")).unwrap(),
        SCRIPT.as_bytes()
    );
    assert_eq!(status(&repo)["state"], "installed");
    // Again: nothing to do.
    let again = json(&repo.ok(&["init", "--json"]));
    assert_eq!(again["hooks"][0]["action"], "unchanged");

    let bare = Repo::new();
    let before = snapshot(&hooks_dir(&bare));
    let report = json(&bare.ok(&["init", "--no-hooks", "--json"]));
    assert_eq!(report["hooks"], serde_json::json!([]));
    assert_eq!(report["hooks_skipped"], "--no-hooks");
    assert_eq!(
        snapshot(&hooks_dir(&bare)),
        before,
        "hooks folder untouched"
    );
    assert!(!hooks_dir(&bare).join("pre-push").exists());
    assert_eq!(status(&bare)["state"], "missing");

    // A shared hooks folder is skipped with the reason; init still succeeds.
    let shared = Repo::new();
    let outside = tempfile::tempdir().unwrap();
    let global = outside.path().join("hooks");
    shared.git(&["config", "core.hooksPath", global.to_str().unwrap()]);
    let report = json(&shared.ok(&["init", "--json"]));
    assert_eq!(report["hooks"], serde_json::json!([]));
    let reason = report["hooks_skipped"].as_str().expect("a reason");
    assert!(
        reason.contains("outside") && reason.contains("--force"),
        "{reason}"
    );
    assert!(!global.exists());
}

#[test]
fn core_hooks_path_inside_the_repository_is_used() {
    let repo = Repo::new();
    let (remote, _url) = bare_origin(&repo);
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    let log = log_dir(&repo);
    let dir = repo.path().join(".githooks");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pre-push"), foreign_hook(&log, 1)).unwrap();
    set_mode(&dir.join("pre-push"), 0o755);

    let report = install(&repo, &[]);
    assert_eq!(action(&report), "chained");
    assert_eq!(
        canonical(report["location"]["dir"].as_str().unwrap()),
        canonical(&dir)
    );
    assert_eq!(report["location"]["hooks_path"], ".githooks");
    assert_eq!(report["location"]["outside"], false);
    assert_eq!(
        std::fs::read(dir.join("pre-push")).unwrap(),
        SCRIPT.as_bytes()
    );
    assert!(dir.join("pre-push.auditops-chained").exists());
    assert!(
        !hooks_dir(&repo).join("pre-push").exists(),
        "not in .git/hooks"
    );
    assert_eq!(status(&repo)["state"], "installed");

    // git runs ours from there, and ours finds the kept hook there.
    repo.git(&["branch", "feature"]);
    let out = push(&repo, &["origin", "feature"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(log.join("stdin").exists(), "the kept hook ran");
    assert_eq!(refs_of(&repo, remote.path()), "");
}

#[test]
fn core_hooks_path_outside_the_repository_needs_force() {
    let repo = Repo::new();
    let outside = tempfile::tempdir().unwrap();
    let global = outside.path().join("hooks");
    repo.git(&["config", "core.hooksPath", global.to_str().unwrap()]);
    let before = snapshot(&hooks_dir(&repo));

    repo.cmd()
        .args(["hooks", "install"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::contains("outside this repository")
                .and(predicate::str::contains("--force"))
                .and(predicate::str::contains(global.to_str().unwrap())),
        );
    assert!(!global.exists(), "nothing written outside");
    assert_eq!(
        snapshot(&hooks_dir(&repo)),
        before,
        "nothing written inside"
    );

    let report = install(&repo, &["--force"]);
    assert_eq!(action(&report), "installed");
    assert_eq!(report["location"]["outside"], true);
    assert_eq!(
        std::fs::read(global.join("pre-push")).unwrap(),
        SCRIPT.as_bytes()
    );
    assert_eq!(mode(&global.join("pre-push")), 0o755);
    assert_eq!(snapshot(&hooks_dir(&repo)), before);
    let state = status(&repo);
    assert_eq!(state["state"], "installed", "{state}");
    assert_eq!(
        canonical(state["path"].as_str().unwrap()),
        canonical(global.join("pre-push"))
    );

    // Written relatively and not there yet, it is just as much outside.
    let other = Repo::new();
    other.git(&["config", "core.hooksPath", "../shared-hooks"]);
    let shared = other.path().join("../shared-hooks");
    let out = other.run(&["hooks", "install"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert_stderr_contains(&out, "outside");
    assert!(!shared.exists(), "nothing written at {}", shared.display());
}

#[test]
fn a_hooks_folder_given_with_git_dash_c_still_runs_the_kept_hook() {
    // `git -c core.hooksPath=… push` runs our hook from that folder; the kept
    // hook must be found there too, or its refusal would be skipped.
    let repo = Repo::new();
    let (remote, _url) = bare_origin(&repo);
    let log = log_dir(&repo);
    let outside = tempfile::tempdir().unwrap();
    let dir = outside.path().to_str().unwrap();
    std::fs::write(outside.path().join("pre-push"), foreign_hook(&log, 1)).unwrap();
    set_mode(&outside.path().join("pre-push"), 0o755);
    let setting = format!("core.hooksPath={dir}");

    let out = git_in(
        &repo,
        repo.path(),
        &["-c", &setting, "auditops", "hooks", "install", "--force"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("chained"), "{}", stdout(&out));
    assert!(!hooks_dir(&repo).join("pre-push").exists());

    repo.git(&["branch", "feature"]);
    let out = git_in(
        &repo,
        repo.path(),
        &["-c", &setting, "push", "origin", "feature"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_stderr_contains(&out, "the earlier pre-push hook refused");
    assert!(log.join("stdin").exists(), "the kept hook ran");
    assert_eq!(refs_of(&repo, remote.path()), "");
}

#[test]
fn kept_hooks_run_as_git_would_run_them() {
    let repo = Repo::new();
    let (remote, _url) = bare_origin(&repo);
    let log = log_dir(&repo);
    let hook = hooks_dir(&repo).join("pre-push");
    repo.git(&["branch", "feature"]);

    // No `#!` line: git runs it with the shell, so its refusal counts.
    let text = String::from_utf8(foreign_hook(&log, 1)).unwrap();
    let without_shebang = text.strip_prefix("#!/bin/sh\n").unwrap();
    std::fs::write(&hook, without_shebang).unwrap();
    set_mode(&hook, 0o755);
    assert_eq!(action(&install(&repo, &[])), "chained");
    let out = push(&repo, &["origin", "feature"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_stderr_contains(&out, "the earlier pre-push hook refused");
    assert!(log.join("stdin").exists(), "the kept hook ran");
    assert_eq!(action(&uninstall(&repo)), "restored");
    assert_eq!(std::fs::read(&hook).unwrap(), without_shebang.as_bytes());

    // Not executable: git skips it, and so do we once it is kept.
    std::fs::remove_file(log.join("stdin")).unwrap();
    set_mode(&hook, 0o644);
    assert_eq!(action(&install(&repo, &[])), "chained");
    let out = push(&repo, &["origin", "feature"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!log.join("stdin").exists(), "skipped");
    assert!(refs_of(&repo, remote.path()).contains("refs/heads/feature"));
    assert_eq!(action(&uninstall(&repo)), "restored");
    assert_eq!(mode(&hook), 0o644);
}

#[test]
fn status_reports_missing_outdated_foreign_and_bypassed() {
    let repo = Repo::new();
    let hook = hooks_dir(&repo).join("pre-push");
    let state = status(&repo);
    assert_eq!(state["state"], "missing", "{state}");
    assert_eq!(state["reason"], serde_json::Value::Null);

    // Ours (the marker is there) but not the current script: outdated, and
    // install brings it up to date.
    install(&repo, &[]);
    std::fs::write(&hook, format!("{SCRIPT}echo an older version\n")).unwrap();
    assert!(
        std::fs::read_to_string(&hook)
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .starts_with(MARKER)
    );
    assert_eq!(status(&repo)["state"], "outdated");
    assert_eq!(action(&install(&repo, &[])), "updated");
    assert_eq!(std::fs::read(&hook).unwrap(), SCRIPT.as_bytes());
    assert_eq!(status(&repo)["state"], "installed");

    // Not executable: git skips it. Install puts the mode back.
    set_mode(&hook, 0o644);
    let state = status(&repo);
    assert_eq!(state["state"], "bypassed", "{state}");
    assert!(
        state["reason"].as_str().unwrap().contains("not executable"),
        "{state}"
    );
    repo.cmd()
        .args(["hooks", "status"])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("bypassed").and(predicate::str::contains("not executable")),
        );
    assert_eq!(action(&install(&repo, &[])), "updated");
    assert_eq!(mode(&hook), 0o755);
    assert_eq!(status(&repo)["state"], "installed");

    // core.hooksPath sends git elsewhere: ours in .git/hooks no longer runs.
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    let state = status(&repo);
    assert_eq!(state["state"], "bypassed", "{state}");
    let reason = state["reason"].as_str().unwrap();
    assert!(
        reason.contains("core.hooksPath") && reason.contains(".githooks"),
        "{reason}"
    );
    assert!(
        Path::new(state["path"].as_str().unwrap()).ends_with(".githooks/pre-push"),
        "{state}"
    );
    repo.git(&["config", "--unset", "core.hooksPath"]);
    assert_eq!(status(&repo)["state"], "installed");

    // Another tool replaced ours.
    std::fs::write(&hook, "#!/bin/sh\n# husky\nexit 0\n").unwrap();
    let state = status(&repo);
    assert_eq!(state["state"], "foreign", "{state}");
}

#[test]
fn uninstall_removes_only_what_is_ours() {
    // Nothing installed: nothing changes.
    let repo = Repo::new();
    let before = snapshot(&hooks_dir(&repo));
    assert_eq!(action(&uninstall(&repo)), "absent");
    assert_eq!(snapshot(&hooks_dir(&repo)), before);

    // Ours alone: removed.
    install(&repo, &[]);
    assert_eq!(action(&uninstall(&repo)), "removed");
    assert_eq!(snapshot(&hooks_dir(&repo)), before);

    // Another tool replaced ours: its hook is left alone.
    install(&repo, &[]);
    let hook = hooks_dir(&repo).join("pre-push");
    let theirs = b"#!/bin/sh\n# lefthook\nexit 0\n";
    std::fs::write(&hook, theirs).unwrap();
    let state = uninstall(&repo);
    assert_eq!(action(&state), "left");
    assert_eq!(std::fs::read(&hook).unwrap(), theirs);
    repo.cmd()
        .args(["hooks", "uninstall"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("left").and(predicate::str::contains("not ours")));
    assert_eq!(std::fs::read(&hook).unwrap(), theirs);

    // Ours deleted by hand while a hook is kept: uninstall puts the kept one back.
    let other = Repo::new();
    let hook = hooks_dir(&other).join("pre-push");
    let original = foreign_hook(&log_dir(&other), 0);
    std::fs::write(&hook, &original).unwrap();
    set_mode(&hook, 0o700);
    assert_eq!(action(&install(&other, &[])), "chained");
    std::fs::remove_file(&hook).unwrap();
    assert_eq!(action(&uninstall(&other)), "restored");
    assert_eq!(std::fs::read(&hook).unwrap(), original);
    assert_eq!(mode(&hook), 0o700);
    assert!(!hooks_dir(&other).join("pre-push.auditops-chained").exists());
}

#[test]
fn a_linked_worktree_installs_into_the_common_hooks_folder() {
    let repo = Repo::new();
    let (remote, _url) = bare_origin(&repo);
    let log = log_dir(&repo);
    std::fs::write(hooks_dir(&repo).join("pre-push"), foreign_hook(&log, 1)).unwrap();
    set_mode(&hooks_dir(&repo).join("pre-push"), 0o755);
    let worktree = repo.home.path().join("wt");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feature",
        worktree.to_str().unwrap(),
    ]);

    let git_path = git_in(&repo, &worktree, &["rev-parse", "--git-path", "hooks"]);
    let git_path = stdout(&git_path).trim().to_owned();
    let expected = canonical(worktree.join(&git_path));
    assert_eq!(
        expected,
        canonical(hooks_dir(&repo)),
        "git says the common folder"
    );

    let out = run_in(&repo, &worktree, &["hooks", "install", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&stdout(&out));
    assert_eq!(action(&report), "chained");
    assert_eq!(
        canonical(report["location"]["dir"].as_str().unwrap()),
        expected
    );
    assert_eq!(report["location"]["outside"], false);
    assert_eq!(
        std::fs::read(expected.join("pre-push")).unwrap(),
        SCRIPT.as_bytes()
    );
    assert!(expected.join("pre-push.auditops-chained").exists());
    let per_worktree = repo.path().join(".git/worktrees/wt/hooks");
    assert!(!per_worktree.exists(), "no per-worktree hooks folder");
    assert_eq!(
        status(&repo)["state"],
        "installed",
        "seen from the main worktree too"
    );

    // A push from the worktree runs ours, which runs the kept hook.
    let out = push_in(&repo, &worktree, &["origin", "feature"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_stderr_contains(&out, "the earlier pre-push hook refused");
    assert!(log.join("stdin").exists(), "the kept hook ran");
    assert_eq!(refs_of(&repo, remote.path()), "");

    let out = run_in(&repo, &worktree, &["hooks", "uninstall", "--json"]);
    assert_eq!(action(&json(&stdout(&out))), "restored");
    assert_eq!(
        std::fs::read(hooks_dir(&repo).join("pre-push")).unwrap(),
        foreign_hook(&log, 1)
    );
}

#[test]
fn an_unknown_hook_name_is_a_usage_error() {
    let repo = Repo::new();
    repo.cmd()
        .args(["hook", "nonsense", "origin", "/somewhere"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::contains("`nonsense` is not a hook git-auditops handles")
                .and(predicate::str::contains("pre-push")),
        );
    // Missing the name altogether is a usage error too.
    repo.cmd().arg("hook").assert().code(2);
}

/// A clone made after `init` has `.auditops.toml` but not the hooks: every
/// command but `init`/`hooks`/`hook` warns once, on stderr, until `init` runs.
#[test]
fn a_clone_without_the_hooks_warns_until_init() {
    const WARNING: &str = "warning: the git-auditops hooks are not installed in this clone";
    let origin = Repo::new();
    origin.ok(&["init"]);
    origin.commit_all("set up git-auditops");
    let quiet = origin.run(&["status"]);
    assert!(!stderr(&quiet).contains(WARNING), "{}", stderr(&quiet));

    let clone = Repo::clone_from(origin.path());
    let out = clone.run(&["status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let message = stderr(&out);
    assert_eq!(message.matches(WARNING).count(), 1, "{message}");
    assert!(message.contains("git auditops init"), "{message}");
    // --json stays one document on stdout.
    let out = clone.run(&["status", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    json(&stdout(&out));
    assert_stderr_contains(&out, WARNING);
    // Not from the commands that install or inspect hooks.
    for args in [&["hooks", "status"][..], &["init"][..]] {
        let out = clone.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains(WARNING),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // init installed them: no warning any more.
    let out = clone.run(&["status"]);
    assert!(!stderr(&out).contains(WARNING), "{}", stderr(&out));

    // A foreign hook in their place is not ours either; git config silences it.
    std::fs::remove_file(hooks_dir(&clone).join("pre-push")).unwrap();
    std::fs::write(hooks_dir(&clone).join("pre-push"), "#!/bin/sh\nexit 0\n").unwrap();
    assert_stderr_contains(&clone.run(&["status"]), "is another tool's hook");
    clone.git(&["config", "auditops.hooks", "false"]);
    let out = clone.run(&["status"]);
    assert!(!stderr(&out).contains(WARNING), "{}", stderr(&out));

    // No .auditops.toml, no warning.
    let plain = Repo::new();
    let out = plain.run(&["status"]);
    assert!(!stderr(&out).contains(WARNING), "{}", stderr(&out));
}

/// An event hook (post-rewrite) keeps a foreign one: it runs first with the
/// same arguments and standard input, and ours never fails git, with or
/// without a daemon.
#[test]
fn event_hooks_chain_foreign_hooks_and_never_fail_git() {
    let repo = Repo::new();
    let dir = hooks_dir(&repo);
    std::fs::create_dir_all(&dir).unwrap();
    let log = log_dir(&repo);
    let foreign = format!(
        "#!/bin/sh\necho \"$@\" > {args}\ncat > {stdin}\n",
        args = log.join("args").display(),
        stdin = log.join("stdin").display()
    );
    std::fs::write(dir.join("post-rewrite"), &foreign).unwrap();
    set_mode(&dir.join("post-rewrite"), 0o755);
    let report = install(&repo, &[]);
    let rewrite = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["hook"] == "post-rewrite")
        .unwrap()
        .clone();
    assert_eq!(rewrite["action"], "chained", "{report}");

    let before = repo.git(&["rev-parse", "HEAD"]);
    // No daemon runs and none may start (the test environment): git goes on.
    repo.git(&["commit", "-q", "--amend", "-m", "amended"]);
    let after = repo.git(&["rev-parse", "HEAD"]);
    assert_eq!(
        std::fs::read_to_string(log.join("args")).unwrap(),
        "amend\n"
    );
    assert!(
        std::fs::read_to_string(log.join("stdin"))
            .unwrap()
            .starts_with(&format!("{before} {after}")),
        "the kept hook got git's input"
    );
    assert!(!repo.path().join(".git/auditops/daemon.sock").exists());

    // Called by git, the script names its folder (AUDITOPS_HOOK_DIR) and the
    // hook takes the path without the workspace. Without that variable (an
    // older script, by hand) or with one that does not hold our script, the
    // ordinary path runs the kept hook all the same.
    // The debug log names the path taken: "event hook done" without the
    // workspace, "hook done" through it.
    let hooks_folder = dir.display().to_string();
    for (hook_dir, light) in [
        (Some(hooks_folder.as_str()), true),
        (None, false),
        (Some("/nonexistent"), false),
        (Some(""), false),
    ] {
        std::fs::remove_file(log.join("args")).unwrap();
        let mut cmd = repo.cmd();
        cmd.args(["hook", "post-rewrite", "rebase"])
            .env_remove("AUDITOPS_HOOK_DIR")
            .env("RUST_LOG", "git_auditops=debug")
            .write_stdin("a b\n");
        if let Some(dir) = hook_dir {
            cmd.env("AUDITOPS_HOOK_DIR", dir);
        }
        let out = cmd.assert().success().get_output().clone();
        assert_eq!(
            std::fs::read_to_string(log.join("args")).unwrap(),
            "rebase\n",
            "AUDITOPS_HOOK_DIR={hook_dir:?}"
        );
        assert_eq!(std::fs::read_to_string(log.join("stdin")).unwrap(), "a b\n");
        assert_eq!(
            stderr(&out).contains("event hook done"),
            light,
            "AUDITOPS_HOOK_DIR={hook_dir:?}: {}",
            stderr(&out)
        );
    }

    let removed = uninstall(&repo);
    assert!(removed.to_string().contains("restored"), "{removed}");
    assert_eq!(
        std::fs::read_to_string(dir.join("post-rewrite")).unwrap(),
        foreign
    );
}
