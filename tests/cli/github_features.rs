//! The issue cap and digest, conservative auto-close, and pull requests,
//! through the real binary against the fake GitHub.

use crate::fake_github::{Fault, FaultKind};
use crate::github_support::{Project, marker};
use git_auditops::outbox::OpKind;
use serde_json::json;
use std::time::Duration;

fn queue_findings(p: &Project, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            p.queue(
                OpKind::CreateIssue,
                &format!("finding-{i}"),
                json!({
                    "title": format!("finding {i}"),
                    "body": format!("details of finding {i}"),
                    "hits": (i * 7) % 5 + 1,
                    "source": format!("src/file{}.rs", i % 4),
                }),
            )
        })
        .collect()
}

#[test]
fn exactly_the_cap_makes_that_many_issues() {
    let p = Project::new("");
    queue_findings(&p, 10);
    p.sync();
    assert_eq!(p.fake.issues("octo/demo").len(), 10);
    assert!(p.states().iter().all(|s| s == "done"));
}

#[test]
fn one_more_than_the_cap_makes_one_digest_sorted_by_hits_with_provenance() {
    let p = Project::new("");
    let ops = queue_findings(&p, 11);
    let planned: serde_json::Value =
        serde_json::from_str(&p.expect(&["sync", "--dry-run", "--json"], 0)).unwrap();
    let results: Vec<&str> = planned["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["would_fold"; 11]);
    assert!(p.fake.writes().is_empty());
    let out = p.run_env(&["sync", "--json"], &[("GITHUB_RUN_ID", "4242")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let issues = p.fake.issues("octo/demo");
    assert_eq!(issues.len(), 1, "{issues:?}");
    let digest = &issues[0];
    assert!(digest.title.contains("11 findings"), "{}", digest.title);
    let body = &digest.body;
    for needle in [
        "Run ID: 4242",
        "Tool version: git-auditops",
        "Sources scanned: 4",
        "Audit run: ",
    ] {
        assert!(body.contains(needle), "{needle}: {body}");
    }
    let total: usize = (0..11).map(|i| (i * 7) % 5 + 1).sum();
    assert!(body.contains(&format!("Total hits: {total}")), "{body}");
    // Sorted by hits, most first.
    let hits: Vec<u64> = body
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("| finding "))
        .filter_map(|l| l.split('|').nth(3)?.trim().parse().ok())
        .collect();
    assert_eq!(hits.len(), 11, "{body}");
    assert!(hits.windows(2).all(|w| w[0] >= w[1]), "{hits:?}");
    // Every folded operation is done with the digest's number.
    for op in &ops {
        let listed = p.op(op);
        assert_eq!(listed["state"], "done", "{listed}");
        assert_eq!(listed["number"], digest.number);
        assert_eq!(listed["detail"], "digest");
    }
    // The digest is an operation of its own, with its marker.
    let digest_op = p
        .outbox()
        .into_iter()
        .find(|o| o["payload"]["digest"].is_object())
        .unwrap();
    assert!(body.contains(&marker(digest_op["op_id"].as_str().unwrap())));
    assert_eq!(
        digest_op["payload"]["digest"]["folds"]
            .as_array()
            .unwrap()
            .len(),
        11
    );
    p.repo.ok(&["verify"]);
}

#[test]
fn the_environment_overrides_the_cap_and_a_lost_digest_is_not_made_twice() {
    let p = Project::new("");
    queue_findings(&p, 3);
    p.fake.inject(Fault::new(
        "POST",
        "/repos/octo/demo/issues",
        FaultKind::BadGatewayAfterWrite,
    ));
    let out = p.run_env(&["sync"], &[("MAX_ISSUES_PER_RUN", "2")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(p.fake.issues("octo/demo").len(), 1);
    assert!(p.states().iter().all(|s| s == "done"), "{:?}", p.states());
}

fn proposal(p: &Project, number: u64) -> String {
    p.queue(
        OpKind::ProposeAutoClose,
        &format!("auto-close:{number}"),
        json!({"issue": number, "reason": "the finding is gone from main"}),
    )
}

#[test]
fn auto_close_proposes_then_closes_after_the_review_period() {
    let p = Project::new("auto_close_after = \"1s\"\n");
    let number = p.fake.add_issue("octo/demo", "old finding", &["bug"]);
    let op = proposal(&p, number);
    p.sync();
    let issue = p.fake.issue("octo/demo", number);
    assert!(issue.open);
    assert_eq!(issue.labels, ["bug", "auto-close:proposed"]);
    let comments = p.fake.comments("octo/demo", number);
    assert_eq!(comments.len(), 1);
    let text = &comments[0].body;
    for needle in [
        "the finding is gone from main",
        "auto-close:confirmed",
        "auto-close:blocked",
        &marker(&op),
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    assert_eq!(p.op(&op)["state"], "proposed");

    // Within the review period nothing happens.
    let report = p.sync();
    assert_eq!(report["operations"][0]["result"], "waiting");
    assert!(p.fake.issue("octo/demo", number).open);

    // Record times are whole seconds (rounded): wait out the rounding too.
    std::thread::sleep(Duration::from_millis(1600));
    p.sync();
    let closed = p.fake.issue("octo/demo", number);
    assert!(!closed.open);
    assert_eq!(closed.state_reason.as_deref(), Some("completed"));
    assert_eq!(p.op(&op)["state"], "done");
    assert_eq!(p.op(&op)["detail"], "closed");
    // Proposed once, commented once.
    assert_eq!(p.fake.comments("octo/demo", number).len(), 1);
}

#[test]
fn blocked_issues_are_never_closed_and_confirmed_ones_close_at_once() {
    let p = Project::new("auto_close_after = \"1s\"\n");
    let blocked = p
        .fake
        .add_issue("octo/demo", "keep me", &["auto-close:blocked"]);
    let later_blocked = p.fake.add_issue("octo/demo", "keep me too", &[]);
    let blocked_op = proposal(&p, blocked);
    let later_op = proposal(&p, later_blocked);
    p.sync();
    assert_eq!(p.op(&blocked_op)["detail"], "blocked");
    assert!(p.fake.comments("octo/demo", blocked).is_empty());
    p.fake.set_labels(
        "octo/demo",
        later_blocked,
        &["auto-close:proposed", "auto-close:blocked"],
    );
    // Record times are whole seconds (rounded): wait out the rounding too.
    std::thread::sleep(Duration::from_millis(1600));
    p.sync();
    assert!(p.fake.issue("octo/demo", blocked).open);
    assert!(p.fake.issue("octo/demo", later_blocked).open);
    assert_eq!(p.op(&later_op)["detail"], "blocked");

    let q = Project::new("");
    let confirmed = q.fake.add_issue("octo/demo", "close me", &[]);
    let op = proposal(&q, confirmed);
    q.sync();
    assert!(q.fake.issue("octo/demo", confirmed).open);
    q.fake.set_labels(
        "octo/demo",
        confirmed,
        &["auto-close:proposed", "auto-close:confirmed"],
    );
    q.sync();
    assert!(!q.fake.issue("octo/demo", confirmed).open);
    assert_eq!(q.op(&op)["detail"], "closed");
}

#[test]
fn an_issue_already_proposed_is_not_proposed_again() {
    let p = Project::new("");
    let number = p
        .fake
        .add_issue("octo/demo", "proposed elsewhere", &["auto-close:proposed"]);
    let op = proposal(&p, number);
    p.sync();
    assert!(p.fake.comments("octo/demo", number).is_empty());
    assert_eq!(p.op(&op)["state"], "proposed");
    assert!(p.fake.issue("octo/demo", number).open);
}

/// A project with a bare `origin` the fake checks branches against, and a
/// local patch branch.
fn pr_project() -> (Project, tempfile::TempDir) {
    let p = Project::new("");
    let origin = p.repo.add_bare_remote("origin");
    p.repo.write("src/fix.rs", "pub fn fixed() {}\n");
    p.repo
        .git(&["checkout", "-q", "-b", "auditops/patch/ab12cd"]);
    p.repo.commit_all("the patch");
    p.repo.git(&["checkout", "-q", "main"]);
    p.fake.check_branches_in(origin.path());
    (p, origin)
}

fn pr_payload(head: &str, auto_merge: bool) -> serde_json::Value {
    json!({
        "head": head,
        "base": "main",
        "title": "Fix the parser leak",
        "patch_id": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "decision_id": "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
        "decision": if auto_merge { "auto_merge" } else { "pull_request" },
        "confidence": 0.87,
        "validators": [
            {"name": "tests", "score": 1.0, "weight": 0.4, "category": "testing"},
            {"name": "lint", "score": 0.5, "weight": 0.2, "category": "quality"}
        ],
        "reason": "all validators passed",
        "auto_merge": auto_merge
    })
}

#[test]
fn a_pull_request_pushes_its_branch_and_opens_once_with_auto_merge() {
    let (p, origin) = pr_project();
    let op = p.queue(
        OpKind::CreatePullRequest,
        "pr:ab12cd",
        pr_payload("auditops/patch/ab12cd", true),
    );
    p.fake.inject(Fault::new(
        "POST",
        "/repos/octo/demo/pulls",
        FaultKind::BadGatewayAfterWrite,
    ));
    let report = p.sync();
    assert_eq!(report["operations"][0]["result"], "adopted", "{report}");
    let pushed = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(origin.path())
        .args([
            "rev-parse",
            "--verify",
            "-q",
            "refs/heads/auditops/patch/ab12cd",
        ])
        .output()
        .unwrap();
    assert!(pushed.status.success(), "the branch was pushed");
    let pulls = p.fake.pulls("octo/demo");
    assert_eq!(pulls.len(), 1, "no duplicate");
    assert!(pulls[0].auto_merge);
    let pr = p.fake.issue("octo/demo", pulls[0].number);
    assert_eq!(pr.labels, ["automated-fix"]);
    for needle in [
        "all validators passed",
        "`auto_merge` with confidence 87%",
        "| tests | testing | 1.00 | 0.40 | 0.40 |",
        "| lint | quality | 0.50 | 0.20 | 0.10 |",
        "Decision log: record `5e884898da28",
        "Auto-merge is requested",
        &marker(&op),
    ] {
        assert!(pr.body.contains(needle), "{needle}: {}", pr.body);
    }
    assert_eq!(p.op(&op)["state"], "done");
    assert_eq!(p.op(&op)["number"], pulls[0].number);
}

#[test]
fn an_existing_pull_request_for_the_branch_is_success() {
    let (p, _origin) = pr_project();
    p.fake.allow_auto_merge("octo/demo", false);
    p.queue(
        OpKind::CreatePullRequest,
        "first",
        pr_payload("auditops/patch/ab12cd", true),
    );
    let report = p.sync();
    let note = report["operations"][0]["note"].as_str().unwrap();
    assert!(note.contains("auto-merge not enabled"), "{note}");
    // Another operation for the same branch: GitHub's 422 "already exists".
    let second = p.queue(
        OpKind::CreatePullRequest,
        "second",
        pr_payload("auditops/patch/ab12cd", false),
    );
    let report = p.sync();
    assert_eq!(report["operations"][0]["result"], "adopted");
    assert_eq!(p.fake.pulls("octo/demo").len(), 1);
    assert_eq!(p.op(&second)["state"], "done");
}

#[test]
fn a_pull_request_from_a_missing_branch_fails_for_good() {
    let (p, _origin) = pr_project();
    let op = p.queue(
        OpKind::CreatePullRequest,
        "gone",
        pr_payload("auditops/patch/gone", false),
    );
    p.sync();
    let listed = p.op(&op);
    assert_eq!(listed["state"], "failed");
    assert!(listed["error"].as_str().unwrap().contains("does not exist"));
    assert!(p.fake.pulls("octo/demo").is_empty());
}

#[test]
fn a_template_override_changes_the_issue_body_but_keeps_the_marker() {
    let p = Project::new("");
    p.repo.write(
        ".auditops/templates/issue.md.j2",
        "OVERRIDDEN: {{ title }}\n",
    );
    let op = p.issue_new("custom", &[])["op_id"]
        .as_str()
        .unwrap()
        .to_owned();
    p.sync();
    let issue = &p.fake.issues("octo/demo")[0];
    assert!(
        issue.body.starts_with("OVERRIDDEN: custom"),
        "{}",
        issue.body
    );
    assert!(issue.body.contains(&marker(&op)));
}
