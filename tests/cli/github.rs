//! The outbox and `git auditops sync` through the real binary against the
//! fake GitHub: queueing, dedupe, permissions, quota, metrics, dry runs,
//! unreachable servers and the token's secrecy.

use crate::fake_github;
use crate::fake_github::{Perms, TOKEN};
use crate::github_support;
use crate::github_support::{Project, dead_url, marker};
use crate::support;
use git_auditops::outbox::OpKind;
use serde_json::json;
use std::time::Duration;
use support::wait_for;

#[test]
fn an_issue_is_queued_offline_created_once_and_not_queued_again() {
    let p = Project::new("");
    let first = p.issue_new("Leak in parser", &["--label", "bug", "--key", "leak-1"]);
    assert_eq!(first["outcome"], "queued");
    let op_id = first["op_id"].as_str().unwrap().to_owned();
    let again = p.issue_new("Leak in parser", &["--key", "leak-1"]);
    assert_eq!(again["outcome"], "already_pending");
    assert_eq!(again["op_id"], op_id.as_str());
    // Nothing has talked to GitHub yet.
    assert!(p.fake.log().is_empty());
    assert_eq!(p.op(&op_id)["state"], "pending");

    let report = p.sync();
    assert_eq!(report["operations"][0]["result"], "created");
    let issues = p.fake.issues("octo/demo");
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].title, "Leak in parser");
    assert_eq!(issues[0].labels, ["bug"]);
    assert!(issues[0].body.contains("found by a test"));
    assert!(
        issues[0].body.contains(&marker(&op_id)),
        "{}",
        issues[0].body
    );

    let listed = p.op(&op_id);
    assert_eq!(listed["state"], "done");
    assert_eq!(listed["number"], 1);
    assert_eq!(
        listed["url"],
        "https://github.example.com/octo/demo/issues/1"
    );

    // Done and open: the same key is a no-op that says so.
    let out = p.repo.ok(&[
        "issue",
        "new",
        "--title",
        "Leak in parser",
        "--body",
        "x",
        "--key",
        "leak-1",
    ]);
    assert!(out.contains("is open") && out.contains("issues/1"), "{out}");
    // A second sync has nothing to do and writes nothing.
    let writes = p.fake.writes().len();
    let report = p.sync();
    assert_eq!(report["operations"].as_array().unwrap().len(), 0);
    assert_eq!(p.fake.writes().len(), writes);
    // The records verify.
    p.repo.ok(&["verify"]);
}

#[test]
fn comments_labels_and_closing_follow_the_issue_they_name() {
    let p = Project::new("");
    let issue = p.issue_new("Flaky test", &["--label", "flaky", "--label", "triage"]);
    let issue_op = issue["op_id"].as_str().unwrap().to_owned();
    let comment = p.queue(
        OpKind::Comment,
        "c1",
        json!({"issue_op": issue_op, "body": "seen again on main"}),
    );
    let labels = p.queue(
        OpKind::AddLabels,
        "l1",
        json!({"issue_op": issue_op, "labels": ["ci"]}),
    );
    let unlabel = p.queue(
        OpKind::RemoveLabel,
        "r1",
        json!({"issue_op": issue_op, "label": "triage"}),
    );
    p.sync();
    let number = p.op(&issue_op)["number"].as_u64().unwrap();
    let comments = p.fake.comments("octo/demo", number);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].body.starts_with("seen again on main"));
    assert!(comments[0].body.contains(&marker(&comment)));
    assert_eq!(p.fake.issue("octo/demo", number).labels, ["flaky", "ci"]);
    for op in [&comment, &labels, &unlabel] {
        assert_eq!(p.op(op)["state"], "done", "{op}");
    }

    let close = p.queue(
        OpKind::CloseIssue,
        "close-1",
        json!({"issue": number, "comment": "fixed by the last commit"}),
    );
    p.sync();
    let closed = p.fake.issue("octo/demo", number);
    assert!(!closed.open);
    assert_eq!(closed.state_reason.as_deref(), Some("completed"));
    assert_eq!(p.fake.comments("octo/demo", number).len(), 2);
    assert_eq!(p.op(&close)["state"], "done");
    // Closed: the same title may be queued again.
    let reopened = p.issue_new("Flaky test", &[]);
    assert_eq!(reopened["outcome"], "queued");
}

#[test]
fn an_operation_on_a_missing_issue_fails_for_good() {
    let p = Project::new("");
    let op = p.queue(OpKind::Comment, "c", json!({"issue": 99, "body": "hello"}));
    let report = p.sync();
    assert_eq!(report["operations"][0]["result"], "failed");
    let listed = p.op(&op);
    assert_eq!(listed["state"], "failed");
    assert!(
        listed["error"].as_str().unwrap().contains("404"),
        "{listed}"
    );
    // It is not tried again.
    let writes = p.fake.writes().len();
    p.sync();
    assert_eq!(p.fake.writes().len(), writes);
}

#[test]
fn without_permission_a_report_is_written_and_the_operation_waits() {
    let p = Project::new("");
    p.fake.set_permissions("octo/demo", Perms::READ);
    let labelled = p.issue_new("Needs triage rights", &["--label", "bug"]);
    let plain = p.issue_new("Needs read rights", &[]);
    let report = p.sync_code(5);
    let refused = report["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["op_id"], labelled["op_id"]);
    assert_eq!(refused[0]["needs"], "triage");
    // What it may do, it did.
    assert_eq!(p.op(plain["op_id"].as_str().unwrap())["state"], "done");
    assert_eq!(
        p.op(labelled["op_id"].as_str().unwrap())["state"],
        "pending"
    );

    let path = report["permission_report"].as_str().unwrap();
    assert!(path.contains(".git/auditops/reports/sync-"), "{path}");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(written["operations"][0]["op_id"], labelled["op_id"]);
    assert!(
        written["operations"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("needs `triage`")
    );

    p.fake.set_permissions("octo/demo", Perms::TRIAGE);
    p.sync();
    assert_eq!(p.op(labelled["op_id"].as_str().unwrap())["state"], "done");
    assert_eq!(p.fake.issues("octo/demo").len(), 2);
}

#[test]
fn a_repository_the_token_cannot_see_is_a_permission_failure() {
    let p = Project::new("");
    p.fake.hide_repo("octo/demo");
    p.issue_new("Hidden", &[]);
    let report = p.sync_code(5);
    let reason = report["refused"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("404"), "{reason}");
    assert_eq!(p.states(), ["pending"]);
    assert!(p.fake.writes().is_empty());
}

#[test]
fn the_quota_floor_stops_the_run_and_the_metrics_show_it() {
    let p = Project::new("quota_floor = 500\n");
    for n in 0..4 {
        p.issue_new(&format!("finding {n}"), &[]);
    }
    // The permission check leaves 501, two creates 499: then it stops.
    p.fake.set_remaining(502);
    let report = p.sync_code(6);
    assert_eq!(report["stopped"]["reason"], "quota_floor");
    assert!(report["stopped"]["until"].as_str().is_some());
    assert_eq!(p.fake.issues("octo/demo").len(), 2);
    let states = p.states();
    assert_eq!(states.iter().filter(|s| *s == "pending").count(), 2);

    let prom =
        std::fs::read_to_string(p.repo.path().join(".git/auditops/metrics/github.prom")).unwrap();
    assert!(
        prom.contains("# TYPE github_api_quota_remaining gauge\ngithub_api_quota_remaining 499\n"),
        "{prom}"
    );
    assert!(
        prom.contains("auditops_outbox_pending_operations 2\n"),
        "{prom}"
    );
    assert!(
        prom.contains("auditops_sync_runs_total{result=\"unavailable\"} 1\n"),
        "{prom}"
    );
    assert!(
        prom.contains("auditops_sync_operations_total{outcome=\"created\"} 2\n"),
        "{prom}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(p.repo.path().join(".git/auditops/metrics"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(leftovers, ["github.prom"]);

    // A new window: the rest goes out.
    p.fake.set_remaining(5000);
    p.sync();
    assert_eq!(p.fake.issues("octo/demo").len(), 4);
}

#[test]
fn a_dry_run_sends_no_write_and_records_nothing() {
    let p = Project::new("");
    p.issue_new("one", &["--label", "x"]);
    p.queue(OpKind::Comment, "c", json!({"issue": 1, "body": "b"}));
    let tip = p.repo.state_tip();
    let out = p.expect(&["sync", "--dry-run", "--json"], 0);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["dry_run"], true);
    let results: Vec<&str> = report["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["would_run", "would_run"]);
    assert!(!p.fake.log().is_empty(), "the permission check reads");
    assert!(p.fake.writes().is_empty(), "{:?}", p.fake.writes());
    assert_eq!(p.repo.state_tip(), tip);
    assert_eq!(p.states(), ["pending", "pending"]);
}

#[test]
fn an_unreachable_server_ends_the_run_at_the_first_attempt_with_everything_pending() {
    let p = Project::new("");
    p.issue_new("one", &[]);
    p.issue_new("two", &[]);
    Project::configure(&p.repo, &dead_url(), "");
    let tip = p.repo.state_tip();
    let out = p.run(&["sync", "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains("cannot reach"), "{stderr}");
    assert!(stderr.contains("the operations stay queued"), "{stderr}");
    // What "quickly" means, counted instead of timed: one connection attempt
    // (the permission check), no retries, no operation tried.
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["stopped"]["reason"], "unreachable", "{report}");
    assert_eq!(report["requests"], 1, "{report}");
    assert_eq!(report["operations"], json!([]), "{report}");
    assert_eq!(report["pending"], 2, "{report}");
    assert_eq!(p.states(), ["pending", "pending"]);
    assert_eq!(p.repo.state_tip(), tip, "nothing recorded");
}

#[test]
fn the_repository_comes_from_the_remote_url_when_not_configured() {
    let fake = fake_github::FakeGitHub::start();
    let repo = support::Repo::new();
    repo.write(
        ".auditops.toml",
        format!(
            "version = 1\n[trust]\nrequire_signed = false\n[github]\napi_url = \"{}\"\n{}timeout = \"2s\"\n",
            fake.url,
            github_support::FAST
        ),
    );
    repo.commit_all("config");
    repo.ok(&["init", "--no-hooks"]);
    repo.git(&["remote", "add", "origin", "git@github.com:octo/demo.git"]);
    let p = Project { repo, fake };
    p.issue_new("from the remote", &[]);
    p.sync();
    assert_eq!(p.fake.issues("octo/demo").len(), 1);
}

#[test]
fn without_a_token_sync_says_how_to_get_one() {
    let p = Project::new("");
    p.issue_new("one", &[]);
    let out = p
        .repo
        .cmd()
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env("GH_CONFIG_DIR", p.repo.home.path())
        .args(["sync"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("GITHUB_TOKEN"));
    // The gh CLI's login works too.
    let gh = p.repo.home.path().join("gh");
    std::fs::create_dir_all(&gh).unwrap();
    let host = p
        .fake
        .url
        .trim_start_matches("http://")
        .split(':')
        .next()
        .unwrap()
        .to_owned();
    std::fs::write(
        gh.join("hosts.yml"),
        format!("{host}:\n    user: bot\n    oauth_token: {TOKEN}\n"),
    )
    .unwrap();
    let out = p
        .repo
        .cmd()
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env("GH_CONFIG_DIR", &gh)
        .args(["sync", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["token_source"]
            .as_str()
            .unwrap()
            .ends_with("hosts.yml")
    );
    assert_eq!(p.fake.issues("octo/demo").len(), 1);
}

#[test]
fn the_token_never_appears_in_output_logs_reports_or_the_state() {
    let p = Project::new("");
    p.fake.set_permissions("octo/demo", Perms::READ);
    p.issue_new("with a label", &["--label", "bug"]);
    p.issue_new("without", &[]);
    let mut seen = String::new();
    for args in [
        &["sync"][..],
        &["sync", "--json"],
        &["sync", "--dry-run"],
        &["outbox", "list", "--json"],
        &["outbox", "list"],
    ] {
        let out = p.run_env(args, &[("RUST_LOG", "trace")]);
        seen.push_str(&String::from_utf8_lossy(&out.stdout));
        seen.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    assert!(
        seen.contains("DEBUG") || seen.contains("TRACE"),
        "logs were on"
    );
    let dir = p.repo.path().join(".git/auditops");
    let mut files = vec![dir.clone()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            seen.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
    assert!(seen.contains("sync-"), "a permission report was written");
    seen.push_str(&p.state_text());
    seen.push_str(&p.repo.git(&["log", "--format=%B", support::STATE_REF]));
    assert!(!seen.contains(TOKEN), "the token leaked");
    assert!(!seen.contains(&TOKEN[4..20]), "part of the token leaked");
}

/// A project with hooks installed and a bare `origin` to push to.
fn pushing_project(extra: &str) -> (Project, tempfile::TempDir) {
    let p = Project::new(extra);
    let origin = p.repo.add_bare_remote("origin");
    p.repo.ok(&["hooks", "install"]);
    (p, origin)
}

fn push(p: &Project) -> std::process::Output {
    let mut cmd = std::process::Command::new("git");
    support::isolate(&mut cmd, p.repo.home.path());
    cmd.current_dir(p.repo.path())
        .env("GITHUB_TOKEN", TOKEN)
        .args(["push", "-q", "origin", "main"]);
    support::output_with_hang_guard(&mut cmd)
}

#[test]
fn a_push_starts_a_detached_sync_that_never_delays_it() {
    let (p, _origin) = pushing_project("timeout = \"10m\"\n");
    p.issue_new("sent after the push", &[]);
    // GitHub answers nothing until released: a push that waited for the sync
    // would never return (the hang guard fails it).
    p.fake.hold();
    let out = push(&p);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The push is back while its sync is still in flight: the sync's request
    // is held unanswered, and the sync holds the outbox lock.
    wait_for("the background sync to reach GitHub", || p.fake.held() > 0);
    let busy = p.run(&["sync"]);
    assert_eq!(
        busy.status.code(),
        Some(4),
        "a sync is running: {}",
        String::from_utf8_lossy(&busy.stderr)
    );
    assert!(p.fake.issues("octo/demo").is_empty());
    assert_eq!(p.states(), ["pending"]);

    p.fake.release();
    wait_for("the background sync", || {
        p.fake.issues("octo/demo").len() == 1 && p.states() == ["done"]
    });
    let log = p.repo.path().join(".git/auditops/logs/sync.log");
    wait_for("the sync log", || {
        std::fs::read_to_string(&log).is_ok_and(|t| t.contains("still pending"))
    });
    assert!(!std::fs::read_to_string(&log).unwrap().contains(TOKEN));
}

#[test]
fn a_push_with_nothing_pending_or_github_down_is_not_affected() {
    let (p, _origin) = pushing_project("");
    let out = push(&p);
    assert!(out.status.success());
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        p.fake.log().is_empty(),
        "no sync without pending operations"
    );
    assert!(!p.repo.path().join(".git/auditops/logs/sync.log").exists());

    // GitHub unreachable: the push still succeeds, the operation waits.
    p.issue_new("waits", &[]);
    Project::configure(&p.repo, &dead_url(), "");
    p.repo.write("more.txt", "x\n");
    p.repo.commit_all("more");
    let out = push(&p);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = p.repo.path().join(".git/auditops/logs/sync.log");
    wait_for("the failed background sync", || {
        std::fs::read_to_string(&log).is_ok_and(|t| t.contains("unavailable"))
    });
    assert_eq!(p.states(), ["pending"]);
}

#[test]
fn signed_operations_verify_and_untrusted_ones_never_run() {
    let fake = fake_github::FakeGitHub::start();
    let repo = support::Repo::new();
    repo.write(
        ".auditops.toml",
        format!(
            "version = 1\n[github]\nrepo = \"octo/demo\"\napi_url = \"{}\"\n{}timeout = \"2s\"\n",
            fake.url,
            github_support::FAST
        ),
    );
    repo.setup_trusted();
    let p = Project { repo, fake };
    let signed = p.issue_new("signed", &[])["op_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Someone with push access to the state ref slips in an unsigned operation.
    let forged = p.queue(
        OpKind::CreateIssue,
        "forged",
        json!({"title": "spam", "body": "not from us"}),
    );
    assert_eq!(p.op(&forged)["state"], "untrusted");
    p.sync();
    let issues = p.fake.issues("octo/demo");
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].title, "signed");
    assert_eq!(p.op(&signed)["state"], "done");
    assert_eq!(p.op(&forged)["state"], "untrusted");
    // verify checks the outbox records: the signed ones pass, the forged one fails.
    let out = p.repo.run(&["verify", "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let failures = report["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{report}");
    assert_eq!(failures[0]["kind"], "outbox-op");
    assert_eq!(report["kinds"]["outbox-outcome"], 1);
}
