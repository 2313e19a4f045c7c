//! Findings to issues through the outbox, against the fake GitHub: grouping,
//! the cap and its digest, a comment for a filed group, the conservative
//! auto-close, a finding that comes back, and no duplicate under faults.

use crate::fake_github::{Fault, FaultKind};
use crate::findings::{fixture_str, import_json, put_sample};
use crate::github_support::Project;
use serde_json::Value;
use std::time::Duration;

const REPO: &str = "octo/demo";

/// A project for the fake GitHub with `github_extra` in `[github]` and
/// `findings` in `[findings]` (issues on), and the sample committed.
fn project(github_extra: &str, findings: &str) -> Project {
    let p = Project::new(&format!(
        "{github_extra}\n[findings]\nissues = true\n{findings}"
    ));
    put_sample(&p.repo, "sample");
    p
}

fn import(p: &Project, files: &[&str]) -> Value {
    let paths: Vec<String> = files.iter().map(|f| fixture_str(f)).collect();
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    import_json(&p.repo, &refs)
}

/// The issue whose body lists rule `rule`.
fn issue_for(p: &Project, rule: &str) -> crate::fake_github::IssueRec {
    p.fake
        .issues(REPO)
        .into_iter()
        .find(|i| i.title.contains(rule))
        .unwrap_or_else(|| panic!("no issue for {rule}: {:?}", p.fake.issues(REPO)))
}

#[test]
fn new_findings_become_one_issue_per_rule_and_never_twice() {
    let p = project("", "labels = [\"security\"]\n");
    let commit = p.repo.git(&["rev-parse", "HEAD"]);
    let imported = import(&p, &["bandit.sarif"]);
    assert_eq!(
        imported["queued"].as_array().unwrap().len(),
        5,
        "{imported}"
    );
    p.sync();
    let issues = p.fake.issues(REPO);
    assert_eq!(issues.len(), 5, "{issues:?}");
    let eval = issue_for(&p, "B307");
    assert_eq!(eval.labels, ["security"]);
    for needle in [
        "Bandit",
        "1.9.4",
        "`B307`",
        "auditops:finding=",
        &format!("/octo/demo/blob/{commit}/app.py#L13"),
    ] {
        assert!(eval.body.contains(needle), "{needle}: {}", eval.body);
    }

    // The same file again, then the edited file: nothing new is queued or filed.
    let again = import(&p, &["bandit.sarif"]);
    assert!(again["queued"].as_array().unwrap().is_empty(), "{again}");
    put_sample(&p.repo, "sample-edited");
    let edited = import(&p, &["bandit-edited.sarif"]);
    assert!(edited["queued"].as_array().unwrap().is_empty(), "{edited}");
    p.sync();
    assert_eq!(p.fake.issues(REPO).len(), 5);
}

#[test]
fn groups_over_the_cap_fold_into_one_digest_with_scan_provenance() {
    let p = project("", "group = \"file\"\n");
    import(&p, &["bandit.sarif", "semgrep.sarif", "clippy.sarif"]);
    let out = p.run_env(
        &["sync", "--json"],
        &[("MAX_ISSUES_PER_RUN", "2"), ("GITHUB_RUN_ID", "777")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let issues = p.fake.issues(REPO);
    assert_eq!(issues.len(), 1, "{issues:?}");
    let body = &issues[0].body;
    for needle in [
        "Bandit 1.9.4 · scan",
        "clippy",
        "Semgrep OSS",
        "Run ID: 777",
        "Sources scanned: 3",
        "Total hits: 11",
    ] {
        assert!(body.contains(needle), "{needle}: {body}");
    }
    // Groups sorted by number of findings, most first.
    let hits: Vec<u64> = body
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("file"))
        .filter_map(|l| l.split('|').nth(3)?.trim().parse().ok())
        .collect();
    assert_eq!(hits, [5, 4, 2], "{body}");
}

#[test]
fn a_new_finding_in_a_filed_group_is_one_comment_not_an_issue() {
    let p = project("", "group = \"file\"\n");
    put_sample(&p.repo, "sample-fixed");
    import(&p, &["bandit-fixed.sarif"]);
    p.sync();
    assert_eq!(p.fake.issues(REPO).len(), 1);
    put_sample(&p.repo, "sample");
    let imported = import(&p, &["bandit.sarif"]);
    assert_eq!(imported["new"], 1, "{imported}");
    p.sync();
    let issues = p.fake.issues(REPO);
    assert_eq!(issues.len(), 1, "{issues:?}");
    let comments = p.fake.comments(REPO, issues[0].number);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].body.contains("B307"), "{}", comments[0].body);
}

#[test]
fn a_fix_closes_after_the_review_period_and_a_return_reopens() {
    let p = project("auto_close_after = \"1s\"\n", "");
    import(&p, &["bandit.sarif"]);
    p.sync();
    let number = issue_for(&p, "B307").number;
    put_sample(&p.repo, "sample-fixed");
    let fixed = import(&p, &["bandit-fixed.sarif"]);
    assert_eq!(fixed["resolved"], 1, "{fixed}");
    assert_eq!(fixed["queued"].as_array().unwrap().len(), 1);
    p.sync();
    let issue = p.fake.issue(REPO, number);
    assert!(issue.open);
    assert!(issue.labels.contains(&"auto-close:proposed".to_owned()));
    // Record times are whole seconds: wait out the rounding too.
    std::thread::sleep(Duration::from_millis(1600));
    p.sync();
    assert!(!p.fake.issue(REPO, number).open, "closed after the period");
    // The other four issues are untouched.
    assert_eq!(p.fake.issues(REPO).iter().filter(|i| i.open).count(), 4);

    put_sample(&p.repo, "sample");
    let back = import(&p, &["bandit.sarif"]);
    assert_eq!(back["reopened"], 1, "{back}");
    p.sync();
    let issue = p.fake.issue(REPO, number);
    assert!(issue.open, "reopened");
    let comments = p.fake.comments(REPO, number);
    assert!(
        comments.last().unwrap().body.contains("came back"),
        "{comments:?}"
    );
    assert_eq!(p.fake.issues(REPO).len(), 5, "no new issue");
}

#[test]
fn a_return_within_the_review_period_withdraws_the_proposal() {
    let p = project("auto_close_after = \"1h\"\n", "");
    import(&p, &["bandit.sarif"]);
    p.sync();
    let number = issue_for(&p, "B307").number;
    put_sample(&p.repo, "sample-fixed");
    import(&p, &["bandit-fixed.sarif"]);
    p.sync();
    assert!(
        p.fake
            .issue(REPO, number)
            .labels
            .contains(&"auto-close:proposed".to_owned())
    );
    put_sample(&p.repo, "sample");
    import(&p, &["bandit.sarif"]);
    p.sync();
    let issue = p.fake.issue(REPO, number);
    assert!(issue.open);
    assert!(
        !issue.labels.contains(&"auto-close:proposed".to_owned()),
        "{:?}",
        issue.labels
    );
    let comments = p.fake.comments(REPO, number);
    assert!(
        comments.last().unwrap().body.contains("withdrawn"),
        "{comments:?}"
    );
    let proposals: Vec<Value> = p
        .outbox()
        .into_iter()
        .filter(|o| o["kind"] == "propose_auto_close")
        .collect();
    assert_eq!(proposals.len(), 1);
    assert_eq!(proposals[0]["state"], "done", "{:?}", proposals[0]);
    assert_eq!(proposals[0]["detail"], "cancelled");
}

#[test]
fn a_blocked_issue_is_never_closed() {
    let p = project("auto_close_after = \"1s\"\n", "");
    import(&p, &["bandit.sarif"]);
    p.sync();
    let number = issue_for(&p, "B307").number;
    p.fake.set_labels(REPO, number, &["auto-close:blocked"]);
    put_sample(&p.repo, "sample-fixed");
    import(&p, &["bandit-fixed.sarif"]);
    p.sync();
    std::thread::sleep(Duration::from_millis(1600));
    p.sync();
    assert!(p.fake.issue(REPO, number).open);
    let proposal = p
        .outbox()
        .into_iter()
        .find(|o| o["kind"] == "propose_auto_close")
        .expect("a proposal was queued");
    assert_eq!(proposal["detail"], "blocked", "{proposal}");
}

#[test]
fn a_lost_answer_while_filing_never_makes_a_duplicate() {
    let p = project("", "");
    import(&p, &["semgrep.sarif"]);
    p.fake
        .inject(Fault::new("POST", "/repos/octo/demo/issues", FaultKind::DropAfterWrite).times(2));
    let _ = p.run(&["sync", "--json"]);
    p.sync();
    assert_eq!(p.fake.faults_left(), 0, "the faults were hit");
    // A re-import after the crash queues nothing either.
    let again = import(&p, &["semgrep.sarif"]);
    assert!(again["queued"].as_array().unwrap().is_empty());
    p.sync();
    assert_eq!(p.fake.issues(REPO).len(), 2, "{:?}", p.fake.issues(REPO));
}
