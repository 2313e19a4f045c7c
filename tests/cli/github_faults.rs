//! Reliability of `sync` against injected faults: for each, 0 duplicate
//! issues, comments or pull requests and 0 lost operations.

use crate::fake_github::{Fault, FaultKind, TOKEN};
use crate::github_support::{Project, marker};
use crate::support;
use git_auditops::outbox::OpKind;
use serde_json::json;
use std::time::{Duration, Instant};

const ISSUES: &str = "/repos/octo/demo/issues";

/// Queues one issue, injects `fault` into its creation, syncs (expecting
/// `code`), then syncs until done; asserts exactly one issue with the marker.
fn exactly_one_issue_despite(fault: Fault, code: i32) -> (Project, serde_json::Value) {
    let p = Project::new("");
    let queued = p.issue_new("exactly once", &[]);
    let op_id = queued["op_id"].as_str().unwrap().to_owned();
    p.fake.inject(fault);
    let first = p.sync_code(code);
    if code != 0 {
        assert_eq!(p.states(), ["pending"], "{first}");
        p.sync();
    }
    assert_eq!(p.fake.faults_left(), 0, "the fault was hit");
    let issues = p.fake.issues("octo/demo");
    assert_eq!(issues.len(), 1, "no duplicate: {issues:?}");
    assert!(issues[0].body.contains(&marker(&op_id)));
    let op = p.op(&op_id);
    assert_eq!(op["state"], "done", "not lost: {op}");
    assert_eq!(op["number"], 1);
    (p, first)
}

fn result_of(report: &serde_json::Value) -> &str {
    report["operations"]
        .as_array()
        .and_then(|ops| ops.last())
        .and_then(|op| op["result"].as_str())
        .unwrap_or_default()
}

#[test]
fn a_502_after_github_created_the_issue_is_reconciled() {
    let (_, report) = exactly_one_issue_despite(
        Fault::new("POST", ISSUES, FaultKind::BadGatewayAfterWrite),
        0,
    );
    assert_eq!(result_of(&report), "adopted");
}

#[test]
fn a_dropped_connection_after_the_write_is_reconciled() {
    let (_, report) =
        exactly_one_issue_despite(Fault::new("POST", ISSUES, FaultKind::DropAfterWrite), 0);
    assert_eq!(result_of(&report), "adopted");
}

#[test]
fn a_timeout_after_the_write_is_reconciled() {
    let p = Project::new("timeout = \"500ms\"\n");
    let op_id = p.issue_new("slow", &[])["op_id"]
        .as_str()
        .unwrap()
        .to_owned();
    p.fake.inject(Fault::new(
        "POST",
        ISSUES,
        FaultKind::SlowAfterWrite(Duration::from_secs(2)),
    ));
    let report = p.sync();
    assert_eq!(result_of(&report), "adopted");
    assert_eq!(p.fake.issues("octo/demo").len(), 1);
    assert_eq!(p.op(&op_id)["state"], "done");
}

#[test]
fn slow_responses_within_the_timeout_just_work() {
    let p = Project::new("");
    p.issue_new("one", &[]);
    p.issue_new("two", &[]);
    p.fake.set_delay(Duration::from_millis(150));
    let report = p.sync();
    assert_eq!(report["operations"].as_array().unwrap().len(), 2);
    assert_eq!(p.fake.issues("octo/demo").len(), 2);
}

#[test]
fn a_429_with_retry_after_is_waited_out() {
    let started = Instant::now();
    let (_, report) = exactly_one_issue_despite(
        Fault::new(
            "POST",
            ISSUES,
            FaultKind::TooManyRequests { retry_after: 1 },
        ),
        0,
    );
    assert_eq!(result_of(&report), "created");
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[test]
fn a_secondary_rate_limit_with_retry_after_is_waited_out() {
    let (_, report) = exactly_one_issue_despite(
        Fault::new(
            "POST",
            ISSUES,
            FaultKind::SecondaryLimit {
                retry_after: Some(1),
            },
        ),
        0,
    );
    assert_eq!(result_of(&report), "created");
}

#[test]
fn a_secondary_rate_limit_without_a_wait_ends_the_run_with_exit_6() {
    let (_, report) = exactly_one_issue_despite(
        Fault::new(
            "POST",
            ISSUES,
            FaultKind::SecondaryLimit { retry_after: None },
        ),
        6,
    );
    assert_eq!(report["stopped"]["reason"], "rate_limited");
}

#[test]
fn a_long_retry_after_ends_the_run_and_says_until_when() {
    let (_, report) = exactly_one_issue_despite(
        Fault::new(
            "POST",
            ISSUES,
            FaultKind::TooManyRequests { retry_after: 3600 },
        ),
        6,
    );
    assert_eq!(report["stopped"]["reason"], "rate_limited");
    let until: jiff::Timestamp = report["stopped"]["until"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(until > jiff::Timestamp::now() + jiff::SignedDuration::from_mins(50));
}

#[test]
fn a_lost_comment_is_found_by_its_marker() {
    let p = Project::new("");
    let number = p.fake.add_issue("octo/demo", "existing", &[]);
    let op_id = p.queue(
        OpKind::Comment,
        "c",
        json!({"issue": number, "body": "hello"}),
    );
    p.fake.inject(Fault::new(
        "POST",
        "/comments",
        FaultKind::BadGatewayAfterWrite,
    ));
    let report = p.sync();
    assert_eq!(result_of(&report), "adopted");
    let comments = p.fake.comments("octo/demo", number);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].body.contains(&marker(&op_id)));
    p.fake
        .inject(Fault::new("POST", "/comments", FaultKind::DropAfterWrite));
    let second = p.queue(
        OpKind::Comment,
        "c2",
        json!({"issue": number, "body": "again"}),
    );
    p.sync();
    assert_eq!(p.fake.comments("octo/demo", number).len(), 2);
    assert_eq!(p.op(&second)["state"], "done");
}

#[test]
fn server_errors_before_the_write_are_retried_with_backoff() {
    let (p, report) = exactly_one_issue_despite(
        Fault::new("POST", ISSUES, FaultKind::BadGateway).times(2),
        0,
    );
    assert_eq!(result_of(&report), "created");
    let posts = p.fake.log().iter().filter(|l| l.method == "POST").count();
    assert_eq!(posts, 3);
}

#[test]
fn the_breaker_opens_persists_across_runs_and_probes_after_the_cool_down() {
    let p = Project::new("max_attempts = 3\nbreaker_threshold = 5\n");
    p.issue_new("one", &[]);
    p.issue_new("two", &[]);
    p.fake.inject(Fault::any(FaultKind::BadGateway).times(5));
    let first = p.sync_code(6);
    assert_eq!(first["stopped"]["reason"], "unavailable");
    let second = p.sync_code(6);
    assert_eq!(second["stopped"]["reason"], "circuit_open");
    assert_eq!(p.fake.faults_left(), 0);
    // Open: no request at all.
    let requests = p.fake.log().len();
    let third = p.sync_code(6);
    assert_eq!(third["stopped"]["reason"], "circuit_open");
    assert!(third["stopped"]["until"].as_str().is_some());
    assert_eq!(p.fake.log().len(), requests);
    let prom =
        std::fs::read_to_string(p.repo.path().join(".git/auditops/metrics/github.prom")).unwrap();
    assert!(prom.contains("auditops_github_circuit_open 1\n"), "{prom}");
    // After the cool-down one probe goes out, succeeds, and the work is done.
    std::thread::sleep(Duration::from_millis(1100));
    p.sync();
    assert_eq!(p.states(), ["done", "done"]);
    assert_eq!(p.fake.issues("octo/demo").len(), 2);
}

#[test]
fn a_sync_killed_after_sending_finds_its_issue_next_time() {
    let p = Project::new("timeout = \"30s\"\n");
    let op_id = p.issue_new("survives kill -9", &[])["op_id"]
        .as_str()
        .unwrap()
        .to_owned();
    p.fake.inject(Fault::new(
        "POST",
        ISSUES,
        FaultKind::SlowAfterWrite(Duration::from_secs(30)),
    ));
    let mut cmd = std::process::Command::new(support::BIN);
    support::isolate(&mut cmd, p.repo.home.path());
    let mut child = cmd
        .current_dir(p.repo.path())
        .env("GITHUB_TOKEN", TOKEN)
        .args(["sync"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    support::wait_for("the issue to be created", || {
        !p.fake.issues("octo/demo").is_empty()
    });
    // Meanwhile a second sync is refused: one executor at a time.
    let busy = p.run(&["sync"]);
    assert_eq!(busy.status.code(), Some(4));
    let message = String::from_utf8_lossy(&busy.stderr);
    assert!(
        message.contains(&format!("held by pid {}", child.id())),
        "{message}"
    );
    child.kill().unwrap(); // SIGKILL: no chance to record anything
    child.wait().unwrap();
    assert_eq!(p.op(&op_id)["state"], "pending");

    let report = p.sync();
    assert_eq!(result_of(&report), "adopted");
    assert_eq!(p.fake.issues("octo/demo").len(), 1);
    assert_eq!(p.op(&op_id)["state"], "done");
}

#[test]
fn the_same_request_from_two_clones_makes_one_issue() {
    let p = Project::new("");
    let first = p.queue(
        OpKind::CreateIssue,
        "shared-key",
        json!({"title": "same finding", "body": "seen on laptop A"}),
    );
    let second = p.queue(
        OpKind::CreateIssue,
        "shared-key",
        json!({"title": "same finding", "body": "seen on laptop B"}),
    );
    p.sync();
    assert_eq!(p.fake.issues("octo/demo").len(), 1);
    let states: Vec<String> = [&first, &second]
        .iter()
        .map(|id| p.op(id)["detail"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(states.contains(&"created".to_owned()), "{states:?}");
    assert!(states.contains(&"deduplicated".to_owned()), "{states:?}");
}
