//! `patch submit`, the review queue, decisions and locks, through the real binary.

use crate::support;
use crate::support::{Repo, assert_stderr_contains, stderr, stdout};
use predicates::prelude::*;
use std::time::Duration;

pub(crate) fn config(mode: &str, extra: &str) -> String {
    format!(
        r#"version = 1

[patch]
mode = "{mode}"
lock_timeout = "60s"
retry_backoff = "10ms"

[patch.validators.tests]
run = "test -f src/lib.rs"
category = "testing"

[patch.validators.lint]
run = "! grep -q TODO src/lib.rs"
category = "quality"
{extra}"#
    )
}

/// A repository with `config`, a trusted key, and a `release` branch (not
/// checked out anywhere) to apply patches to.
pub(crate) fn project(config: &str) -> Repo {
    let repo = Repo::new();
    repo.write(".auditops.toml", config);
    repo.setup_trusted();
    repo.git(&["branch", "release"]);
    repo
}

/// The patch that `edit` makes to the working tree (then undone).
pub(crate) fn make_patch(repo: &Repo, edit: impl FnOnce(&Repo), diff_args: &[&str]) -> Vec<u8> {
    edit(repo);
    repo.git(&["add", "-A"]);
    let mut args = vec!["diff", "--cached"];
    args.extend_from_slice(diff_args);
    let diff = repo.git(&args) + "\n";
    repo.git(&["reset", "-q", "--hard"]);
    diff.into_bytes()
}

pub(crate) fn write_patch(repo: &Repo, name: &str, bytes: &[u8]) -> String {
    let path = repo.home.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

pub(crate) fn submit(
    repo: &Repo,
    patch: &str,
    target: &str,
) -> (Option<i32>, serde_json::Value, String) {
    let out = repo.run(&["patch", "submit", patch, "--target", target, "--json"]);
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code(), json, stderr(&out))
}

pub(crate) fn good_patch(repo: &Repo) -> String {
    let bytes = make_patch(
        repo,
        |r| {
            r.write(
                "src/lib.rs",
                format!(
                    "{}\npub fn mul(a: i32, b: i32) -> i32 {{\n    a * b\n}}\n",
                    support::SAMPLE_SOURCE
                ),
            )
        },
        &[],
    );
    write_patch(repo, "good.patch", &bytes)
}

#[test]
fn a_fully_validated_patch_is_merged_into_a_branch_nobody_has_checked_out() {
    let repo = project(&config("automatic", ""));
    let base = repo.git(&["rev-parse", "release"]);
    let patch = good_patch(&repo);
    let (code, json, err) = submit(&repo, &patch, "release");
    assert_eq!(code, Some(0), "{err}");
    let d = &json;
    assert_eq!(d["decision"], "auto_merge");
    assert_eq!(d["action"], "merged");
    assert_eq!(d["confidence"], 1.0);
    assert_eq!(d["base_commit"], base);
    let result = d["result_commit"].as_str().unwrap();
    assert_eq!(repo.git(&["rev-parse", "release"]), result);
    assert_eq!(repo.git(&["rev-parse", &format!("{result}^")]), base);
    assert_eq!(d["validators"].as_array().unwrap().len(), 2);
    assert_eq!(d["patch_id"].as_str().unwrap().len(), 40, "git's patch id");
    // The user's working tree and branch were not touched.
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    assert_eq!(repo.git(&["rev-parse", "--abbrev-ref", "HEAD"]), "main");
    // Decided once: submitting again reports the same decision.
    let (code, again, _) = submit(&repo, &patch, "release");
    assert_eq!(code, Some(0));
    assert_eq!(again["already_decided"], true);
    let decisions: Vec<serde_json::Value> =
        serde_json::from_str(&repo.ok(&["decisions", "--json"])).unwrap();
    assert_eq!(decisions.len(), 1);
    repo.ok(&["verify"]);
}

#[test]
fn decisions_mark_records_no_trusted_key_signed() {
    let repo = project(&config("automatic", ""));
    let patch = good_patch(&repo);
    let (code, _, err) = submit(&repo, &patch, "release");
    assert_eq!(code, Some(0), "{err}");
    let trusted = repo.ok(&["decisions"]);
    assert!(!trusted.contains("(untrusted)"), "{trusted}");
    // Trust another key only: the decision is no longer signed by a trusted key.
    let other = repo.generate_key(Some(&repo.home.path().join("other_key")));
    repo.trust(&[&other]);
    let text = repo.ok(&["decisions"]);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with("merged  (untrusted)"),
        "{text}"
    );
    let json: Vec<serde_json::Value> =
        serde_json::from_str(&repo.ok(&["decisions", "--json"])).unwrap();
    assert!(json[0]["signer"].is_null());
}

#[test]
fn a_checked_out_target_and_supervised_mode_become_pull_requests() {
    let repo = project(&config("automatic", ""));
    let patch = good_patch(&repo);
    let main_before = repo.git(&["rev-parse", "main"]);
    let (code, json, err) = submit(&repo, &patch, "main");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json["decision"], "pull_request");
    assert!(json["reasons"].to_string().contains("checked out"));
    assert_eq!(
        repo.git(&["rev-parse", "main"]),
        main_before,
        "main did not move"
    );
    let branch = json["branch"].as_str().unwrap();
    assert!(branch.starts_with("auditops/patch/"));
    assert_eq!(
        repo.git(&["rev-parse", branch]),
        json["result_commit"].as_str().unwrap()
    );
    assert!(
        json["outbox_op"].is_string(),
        "a pull request is queued in the outbox"
    );

    let supervised = project(&config("supervised", ""));
    let patch = good_patch(&supervised);
    let (_, json, _) = submit(&supervised, &patch, "release");
    assert_eq!(json["decision"], "pull_request");
    assert!(json["reasons"].to_string().contains("supervised"));
}

/// A patch that adds a TODO to src/lib.rs: the lint validator fails it, so
/// its confidence sends it to the review queue.
pub(crate) fn todo_patch(repo: &Repo) -> Vec<u8> {
    make_patch(
        repo,
        |r| {
            r.write(
                "src/lib.rs",
                format!("{}// TODO: more\n", support::SAMPLE_SOURCE),
            )
        },
        &[],
    )
}

#[test]
fn low_confidence_goes_to_the_review_queue_and_a_person_decides() {
    let repo = project(&config("automatic", ""));
    let todo = todo_patch(&repo);
    let patch = write_patch(&repo, "todo.patch", &todo);
    let (code, json, err) = submit(&repo, &patch, "release");
    assert_eq!(code, Some(0), "{err}");
    let d = &json;
    assert_eq!(d["decision"], "manual_review");
    assert_eq!(d["confidence"], 0.6667, "0.4 / 0.6, to 4 places");
    let item = json["queue_item"].as_str().unwrap().to_owned();
    let list: serde_json::Value =
        serde_json::from_str(&repo.ok(&["queue", "list", "--json"])).unwrap();
    assert_eq!(list["metrics"]["pending"], 1);
    assert_eq!(list["metrics"]["health"], "good");
    assert_eq!(list["items"][0]["state"], "pending");
    repo.cmd()
        .args(["queue", "show", &item])
        .assert()
        .success()
        .stdout(predicate::str::contains("pending"));

    let approved: serde_json::Value = serde_json::from_str(&repo.ok(&[
        "queue",
        "approve",
        &item,
        "--note",
        "fine",
        "--override",
        "lint is advisory here",
        "--json",
    ]))
    .unwrap();
    assert_eq!(approved["action"], "merged");
    assert_eq!(
        repo.git(&["rev-parse", "release"]),
        d["result_commit"].as_str().unwrap()
    );
    repo.cmd()
        .args(["queue", "approve", &item])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already approved"));
    let list: serde_json::Value =
        serde_json::from_str(&repo.ok(&["queue", "list", "--json"])).unwrap();
    assert_eq!(list["metrics"]["pending"], 0);
    repo.ok(&["verify"]);
}

#[test]
fn decisions_and_the_queue_say_what_each_patch_is() {
    let repo = project(&config("automatic", ""));
    // A `git diff` patch to the review queue: named by the file it changes.
    let todo = todo_patch(&repo);
    let (code, queued, err) = submit(&repo, &write_patch(&repo, "todo.patch", &todo), "release");
    assert_eq!(code, Some(0), "{err}");
    let reason = queued["reasons"][0].as_str().unwrap().to_owned();
    let list = repo.ok(&["queue", "list"]);
    for needle in [
        "release",
        "modify src/lib.rs",
        "files: src/lib.rs",
        &format!("why: {reason}"),
    ] {
        assert!(
            list.contains(needle),
            "queue list lacks {needle:?}:\n{list}"
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&repo.ok(&["queue", "list", "--json"])).unwrap();
    assert_eq!(json["items"][0]["subject"], "modify src/lib.rs");
    assert_eq!(json["items"][0]["files"][0]["path"], "src/lib.rs");
    let item = queued["queue_item"].as_str().unwrap();
    let shown = repo.ok(&["queue", "show", item]);
    assert!(
        shown.contains("modify src/lib.rs") && shown.contains("files: src/lib.rs"),
        "{shown}"
    );

    // A `git format-patch` mail touching five files: its subject, three files and the count.
    let mail = make_patch(
        &repo,
        |r| {
            for name in ["a", "b", "c", "d", "e"] {
                r.write(&format!("docs/{name}.md"), "text\n");
            }
        },
        &[],
    );
    let mut bytes =
        b"From 0000 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] Document the five things\n\n---\n"
            .to_vec();
    bytes.extend(mail);
    let (code, merged, err) = submit(&repo, &write_patch(&repo, "mail.patch", &bytes), "release");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(merged["subject"], "Document the five things");
    let text = repo.ok(&["decisions"]);
    for needle in [
        "modify src/lib.rs",
        &format!("why: {reason}"),
        "Document the five things",
        "files: docs/a.md, docs/b.md, docs/c.md +2 more",
        "release",
    ] {
        assert!(text.contains(needle), "decisions lack {needle:?}:\n{text}");
    }
    repo.ok(&["verify"]);
}

#[test]
fn reject_needs_a_reason_and_the_queue_alerts_once_when_unhealthy() {
    let repo = project(&config("automatic", "\n[queue]\nmax_pending = 1\n"));
    let mut items = Vec::new();
    let mut alerts = Vec::new();
    for n in 0..2 {
        let bytes = make_patch(
            &repo,
            |r| {
                r.write(
                    "src/lib.rs",
                    format!("{}// TODO {n}\n", support::SAMPLE_SOURCE),
                )
            },
            &[],
        );
        let patch = write_patch(&repo, &format!("todo{n}.patch"), &bytes);
        let (_, json, err) = submit(&repo, &patch, "release");
        items.push(json["queue_item"].as_str().unwrap().to_owned());
        alerts.push(err);
    }
    // The alert is recorded where the queue changes: one per crossing.
    assert!(alerts[0].contains("alert: review queue health is warning"));
    assert!(alerts[1].contains("alert: review queue health is critical"));
    let before = repo.state_tip();
    let list = repo.run(&["queue", "list", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(json["metrics"]["health"], "critical");
    let again = repo.run(&["queue", "list"]);
    for out in [&list, &again] {
        assert!(!stderr(out).contains("alert:"), "listing only reads");
    }
    assert_eq!(repo.state_tip(), before, "queue list writes nothing");
    let alerts = repo.git(&[
        "ls-tree",
        "-r",
        "--name-only",
        support::STATE_REF,
        "index/alert/queue-health",
    ]);
    assert_eq!(alerts.lines().count(), 2);

    repo.cmd()
        .args(["queue", "reject", &items[0]])
        .assert()
        .code(2);
    let rejected = repo.run(&["queue", "reject", &items[0], "--reason", "not wanted"]);
    assert_eq!(rejected.status.code(), Some(0), "{}", stderr(&rejected));
    assert_stderr_contains(&rejected, "alert: review queue health is warning");
    let json: serde_json::Value =
        serde_json::from_str(&repo.ok(&["queue", "list", "--json"])).unwrap();
    assert_eq!(json["metrics"]["pending"], 1);
    let rejected = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"]["item_id"] == items[0].as_str())
        .unwrap();
    assert_eq!(rejected["resolution"]["resolution"], "rejected");
    assert_eq!(rejected["resolution"]["note"], "not wanted");
}

#[test]
fn protected_paths_and_deletions_are_never_decided_automatically() {
    let repo = project(&config("automatic", ""));
    let workflow = make_patch(
        &repo,
        |r| r.write(".github/workflows/ci.yml", "on: push\n"),
        &[],
    );
    let patch = write_patch(&repo, "workflow.patch", &workflow);
    let (_, json, _) = submit(&repo, &patch, "release");
    assert_eq!(json["decision"], "manual_review");
    assert!(
        json["reasons"]
            .to_string()
            .contains("changes protected `.github/workflows/ci.yml`")
    );

    repo.write("src/old.rs", "// old\n");
    repo.commit_all("old file");
    repo.git(&["branch", "-f", "release"]);
    let deletion = make_patch(
        &repo,
        |r| std::fs::remove_file(r.path().join("src/old.rs")).unwrap(),
        &[],
    );
    let patch = write_patch(&repo, "delete.patch", &deletion);
    let (_, json, _) = submit(&repo, &patch, "release");
    assert_eq!(json["decision"], "manual_review");
    assert!(json["reasons"].to_string().contains("deletes `src/old.rs`"));
}

#[test]
fn analysis_only_records_and_acts_on_nothing() {
    let repo = project(&config("analysis_only", ""));
    let before = repo.git(&["rev-parse", "release"]);
    let patch = good_patch(&repo);
    let (code, json, _) = submit(&repo, &patch, "release");
    assert_eq!(code, Some(0));
    assert_eq!(json["decision"], "auto_merge");
    assert_eq!(json["action"], "none");
    assert_eq!(repo.git(&["rev-parse", "release"]), before);
    assert!(json["branch"].is_null() && json["queue_item"].is_null());
}

#[test]
fn crashes_timeouts_and_explicit_scores() {
    let extra = "\n[patch.validators.security]\nrun = \"kill -9 $$\"\ncategory = \"security\"\n";
    let repo = project(&config("automatic", extra));
    let patch = good_patch(&repo);
    let (code, json, _) = submit(&repo, &patch, "release");
    assert_eq!(code, Some(1), "a crashed validator rejects the patch");
    assert_eq!(json["decision"], "rejected");
    assert!(json["reasons"].to_string().contains("crashed"));
    let alerts = repo.git(&[
        "ls-tree",
        "-r",
        "--name-only",
        support::STATE_REF,
        "index/alert/patch-rejected",
    ]);
    assert_eq!(alerts.lines().count(), 1);

    let extra = "\n[patch.validators.coverage]\nrun = \"echo measuring; echo score=0.5\"\ncategory = \"testing\"\n\n[patch.validators.slow]\nrun = \"sleep 5\"\ntimeout = \"200ms\"\nweight = 0.1\ncategory = \"performance\"\n";
    let repo = project(&config("automatic", extra).replace(
        "retry_backoff = \"10ms\"",
        "retry_backoff = \"10ms\"\nretries = 1",
    ));
    let patch = good_patch(&repo);
    let (_, json, _) = submit(&repo, &patch, "release");
    let validators = json["validators"].as_array().unwrap();
    let by_name = |n: &str| validators.iter().find(|v| v["name"] == n).unwrap().clone();
    assert_eq!(by_name("coverage")["score"], 0.5);
    assert_eq!(by_name("slow")["score"], 0.0);
    assert_eq!(by_name("slow")["attempts"], 2);
    assert_eq!(by_name("slow")["outcome"]["status"], "timed_out");
    let weights: f64 = validators
        .iter()
        .map(|v| v["weight"].as_f64().unwrap())
        .sum();
    assert!((weights - 1.0).abs() < 1e-9, "weights are normalised");
}

#[test]
fn a_patch_that_does_not_apply_is_rejected_and_recorded() {
    let repo = project(&config("automatic", ""));
    let patch = good_patch(&repo);
    repo.write("src/lib.rs", "completely different\n");
    repo.commit_all("diverge");
    repo.git(&["branch", "-f", "release"]);
    let (code, _, err) = submit(&repo, &patch, "release");
    assert_eq!(code, Some(1));
    assert!(err.contains("does not apply"), "{err}");
    let decisions: Vec<serde_json::Value> =
        serde_json::from_str(&repo.ok(&["decisions", "--json"])).unwrap();
    assert_eq!(decisions[0]["decision"], "rejected");
    assert!(decisions[0]["result_commit"].is_null());
}

#[test]
fn hostile_and_malformed_patches_are_refused_recorded_and_never_applied() {
    let repo = project(&config("automatic", ""));
    let outside = repo.home.path().join("escaped");
    let cases: Vec<(&str, String, i32, &str)> = vec![
        ("traversal", "diff --git a/../escaped b/../escaped\nnew file mode 100644\n--- /dev/null\n+++ b/../escaped\n@@ -0,0 +1 @@\n+pwned\n".into(), 1, "leaves the repository"),
        ("git-hooks", "diff --git a/.git/hooks/pre-commit b/.git/hooks/pre-commit\nnew file mode 100755\n--- /dev/null\n+++ b/.git/hooks/pre-commit\n@@ -0,0 +1 @@\n+rm -rf /\n".into(), 1, ".git/"),
        // libgit2 itself refuses an absolute target path as malformed.
        ("absolute", "diff --git a/etc/x b/etc/x\nnew file mode 100644\n--- /dev/null\n+++ /etc/x\n@@ -0,0 +1 @@\n+x\n".into(), 2, "malformed"),
        ("symlink", "diff --git a/link b/link\nnew file mode 120000\n--- /dev/null\n+++ b/link\n@@ -0,0 +1 @@\n+../../../../etc/passwd\n\\ No newline at end of file\n".into(), 1, "points outside"),
        ("existing-new-file", "diff --git a/src/lib.rs b/src/lib.rs\nnew file mode 100644\n--- /dev/null\n+++ b/src/lib.rs\n@@ -0,0 +1 @@\n+fn x() {}\n".into(), 1, "already exists"),
        ("truncated", "diff --git a/src/lib.rs b/src/lib.rs\n--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,3 +1,3 @@\n".into(), 2, "malformed"),
        ("empty", String::new(), 2, "empty"),
        ("not-a-patch", "hello, this is not a patch\n".into(), 2, "malformed"),
    ];
    let release = repo.git(&["rev-parse", "release"]);
    let mut refusals = 0;
    for (name, text, code, reason) in cases {
        let path = write_patch(&repo, &format!("{name}.patch"), text.as_bytes());
        let out = repo.run(&["patch", "submit", &path, "--target", "release"]);
        assert_eq!(out.status.code(), Some(code), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(reason), "{name}: {}", stderr(&out));
        // The same refusal with --json: one decision document, same exit.
        let tip = repo.state_tip();
        let out = repo.run(&["patch", "submit", &path, "--target", "release", "--json"]);
        assert_eq!(out.status.code(), Some(code), "{name}: {}", stderr(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{name}: --json printed no document ({e})"));
        assert_eq!(doc["decision"], "rejected", "{name}: {doc}");
        assert_eq!(doc["target"], "release", "{name}: {doc}");
        assert!(doc["patch_id"].is_string(), "{name}: {doc}");
        assert!(doc["reasons"].to_string().contains(reason), "{name}: {doc}");
        assert_eq!(doc["already_decided"], true, "{name}: recorded once");
        assert_eq!(
            repo.state_tip(),
            tip,
            "{name}: the same refusal is not recorded twice"
        );
        refusals += 1;
    }
    repo.write("blob.bin", b"\x00\x01\x02\x03binary\x00");
    repo.git(&["add", "-A"]);
    let mut diff = std::process::Command::new("git");
    support::isolate(&mut diff, repo.home.path());
    let binary = diff
        .current_dir(repo.path())
        .args(["diff", "--cached", "--binary"])
        .output()
        .unwrap()
        .stdout;
    repo.git(&["reset", "-q", "--hard"]);
    assert!(String::from_utf8_lossy(&binary).contains("GIT binary patch"));
    let path = write_patch(&repo, "binary.patch", &binary);
    let out = repo.run(&["patch", "submit", &path, "--target", "release"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_stderr_contains(&out, "binary");
    refusals += 1;

    // Every refusal is in the decision log, and nothing was applied.
    let decisions: Vec<serde_json::Value> =
        serde_json::from_str(&repo.ok(&["decisions", "--json"])).unwrap();
    assert_eq!(decisions.len(), refusals, "one rejected decision each");
    assert!(decisions.iter().all(|d| d["decision"] == "rejected"
        && d["result_commit"].is_null()
        && !d["reasons"].as_array().unwrap().is_empty()));
    assert_eq!(repo.git(&["rev-parse", "release"]), release);
    repo.ok(&["verify"]);
    assert!(!outside.exists(), "nothing written outside the repository");
    assert!(!repo.path().join(".git/hooks/pre-commit").exists());
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

/// Runs `patch submit` in the background; returns the child.
pub(crate) fn spawn_submit(repo: &Repo, patch: &str) -> std::process::Child {
    let mut cmd = std::process::Command::new(support::BIN);
    support::isolate(&mut cmd, repo.home.path());
    cmd.current_dir(repo.path())
        .args(["patch", "submit", patch, "--target", "release", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_for(path: &std::path::Path) {
    let started = std::time::Instant::now();
    while !path.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn kill_dash_nine_during_a_validator_leaves_no_decision_and_the_orphan_is_swept() {
    let marker_dir = tempfile::tempdir().unwrap();
    let started = marker_dir.path().join("started");
    let extra = format!(
        "\n[patch.validators.security]\nrun = \"echo $$ > '{}'; sleep 30\"\ncategory = \"security\"\n",
        started.display()
    );
    let repo = project(&config("automatic", &extra));
    let patch = good_patch(&repo);
    let mut child = spawn_submit(&repo, &patch);
    wait_for(&started);
    let locks: Vec<serde_json::Value> =
        serde_json::from_str(&repo.ok(&["locks", "--json"])).unwrap();
    let worktrees = locks.iter().find(|l| l["lock"] == "worktrees").unwrap();
    assert_eq!(worktrees["held"], true);
    assert_eq!(worktrees["holder"]["pid"], child.id().to_string());
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Stop the orphaned validator too (its own process group).
    if let Ok(pid) = std::fs::read_to_string(&started)
        .unwrap_or_default()
        .trim()
        .parse::<i32>()
    {
        // SAFETY: signalling a process group we started.
        unsafe { libc::killpg(pid, libc::SIGKILL) };
    }
    let decisions: Vec<serde_json::Value> =
        serde_json::from_str(&repo.ok(&["decisions", "--json"])).unwrap();
    assert!(decisions.is_empty(), "no half decision");
    let slot = repo.path().join(".git/auditops/worktrees/slot-0");
    assert!(slot.exists(), "the orphan is still there before the sweep");
    let status: serde_json::Value = serde_json::from_str(&repo.ok(&["status", "--json"])).unwrap();
    assert_eq!(status["worktrees_swept"], 1);
    assert!(!slot.exists());
    crate::pool::assert_git_consistent(&repo, "after the sweep");
    repo.ok(&["verify"]);
}

#[test]
fn two_submissions_at_once_are_serialised_and_both_decided() {
    let repo = project(&config(
        "automatic",
        "\n[patch.validators.slow]\nrun = \"sleep 0.5\"\nweight = 0.1\ncategory = \"performance\"\n",
    ));
    let first = good_patch(&repo);
    let todo = make_patch(&repo, |r| r.write("src/extra.rs", "// extra\n"), &[]);
    let second = write_patch(&repo, "second.patch", &todo);
    let a = spawn_submit(&repo, &first);
    let b = spawn_submit(&repo, &second);
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let decisions: Vec<serde_json::Value> =
        serde_json::from_str(&repo.ok(&["decisions", "--json"])).unwrap();
    assert_eq!(decisions.len(), 2);
    // Both merged, one after the other: the second applied on top of the first.
    let merged = decisions.iter().filter(|d| d["action"] == "merged").count()
        + decisions
            .iter()
            .filter(|d| d["action"] == "pull_request_queued")
            .count();
    assert_eq!(merged, 2, "{decisions:?}");
}

#[test]
fn a_busy_pool_exits_4_naming_the_holder() {
    let marker_dir = tempfile::tempdir().unwrap();
    let started = marker_dir.path().join("started");
    let extra = format!(
        "\n[patch.validators.security]\nrun = \"touch '{}'; sleep 3\"\ncategory = \"security\"\n",
        started.display()
    );
    let repo = project(
        &config("automatic", &extra).replace("lock_timeout = \"60s\"", "lock_timeout = \"300ms\""),
    );
    let patch = good_patch(&repo);
    let holder = spawn_submit(&repo, &patch);
    wait_for(&started);
    let other = make_patch(&repo, |r| r.write("src/other.rs", "// other\n"), &[]);
    let other = write_patch(&repo, "other.patch", &other);
    let out = repo.run(&["patch", "submit", &other, "--target", "release"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_stderr_contains(&out, &format!("held by pid {}", holder.id()));
    assert_stderr_contains(&out, "patch submit");
    let out = holder.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stdout(&out));
}

/// Moving the pooled worktree to the next patch writes only what differs.
#[test]
fn the_pooled_worktree_is_reused_and_only_changed_files_are_written() {
    use std::os::unix::fs::MetadataExt;
    let repo = project(&config("analysis_only", ""));
    repo.write("docs/untouched.md", "stays\n");
    repo.commit_all("a file no patch touches");
    repo.git(&["branch", "-f", "release"]);
    let first = good_patch(&repo);
    let (_, json, _) = submit(&repo, &first, "release");
    assert_eq!(json["pool_created"], true);
    let slot = repo.path().join(".git/auditops/worktrees/slot-0");
    let untouched = std::fs::metadata(slot.join("docs/untouched.md")).unwrap();
    let second = make_patch(&repo, |r| r.write("src/other.rs", "// other\n"), &[]);
    let second = write_patch(&repo, "second.patch", &second);
    let (_, json, _) = submit(&repo, &second, "release");
    assert_eq!(json["pool_created"], false, "the slot was reused");
    let after = std::fs::metadata(slot.join("docs/untouched.md")).unwrap();
    assert_eq!(
        (after.ino(), after.mtime_nsec()),
        (untouched.ino(), untouched.mtime_nsec())
    );
    assert!(slot.join("src/other.rs").exists());
    let listed = repo.git(&["worktree", "list", "--porcelain"]);
    assert!(
        listed.contains(".git/auditops/worktrees/slot-0"),
        "registered with git: {listed}"
    );
}
