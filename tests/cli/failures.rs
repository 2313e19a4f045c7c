//! Failure rates and alerts through the real binary and the fake GitHub:
//! `failures` per category, one signed alert per category, window and
//! severity, one issue for it, and never a second one after a re-run or a
//! lost answer.

use crate::fake_github::{Fault, FaultKind};
use crate::github_support::Project;
use serde_json::Value;

const REPO: &str = "octo/demo";

/// A testing gate that fails while `$FAILING` names an existing file.
fn project(alerts: &str) -> (Project, tempfile::TempDir) {
    let scratch = tempfile::tempdir().unwrap();
    let flag = scratch.path().join("failing");
    let p = Project::new(&format!(
        r#"
[alerts]
min_runs = 5
{alerts}

[[phases]]
id = 0
name = "Test"
gates = ["unit"]

[gates.unit]
run = "if test -f \"$FAILING\"; then echo \"FAILED tests/test_x.py::test_x - assert $$ == 5\"; exit 1; fi"
category = "testing"
env = {{ FAILING = "{}" }}
"#,
        flag.display()
    ));
    (p, scratch)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{err}: {text}"))
}

/// Commits a change and runs the gate, failing or not.
fn run_gate(
    p: &Project,
    scratch: &tempfile::TempDir,
    n: usize,
    fail: bool,
) -> std::process::Output {
    let flag = scratch.path().join("failing");
    if fail {
        std::fs::write(&flag, "").unwrap();
    } else {
        let _ = std::fs::remove_file(&flag);
    }
    p.repo.write("notes.txt", format!("change {n}\n"));
    p.repo.commit_all(&format!("change {n}"));
    let out = p.run(&["gate", "run", "--phase", "0"]);
    assert_eq!(
        out.status.code(),
        Some(i32::from(fail)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn alerts(p: &Project) -> Vec<Value> {
    ops(p, "create_issue")
}

fn ops(p: &Project, kind: &str) -> Vec<Value> {
    p.outbox()
        .into_iter()
        .filter(|o| o["kind"] == kind)
        .collect()
}

#[test]
fn a_failure_rate_over_30_percent_raises_one_alert_one_issue_and_never_twice() {
    let (p, scratch) = project("issues = true");
    let hook = format!("issues = true\nwebhook = \"{}/hooks/alerts\"", p.fake.url);
    p.repo.edit_config("issues = true", &hook, "alerts webhook");
    for n in 0..3 {
        run_gate(&p, &scratch, n, false);
    }
    run_gate(&p, &scratch, 3, true);
    let rates = json(&p.repo.ok(&["failures", "--json"]));
    assert_eq!(rates["since"], "24h");
    let testing = &rates["categories"][0];
    assert_eq!(testing["category"], "testing");
    assert_eq!(
        (testing["runs"].as_u64(), testing["failures"].as_u64()),
        (Some(4), Some(1))
    );
    assert_eq!(testing["rate"], 0.25);
    assert_eq!(testing["severity"], "medium");
    assert!(
        alerts(&p).is_empty(),
        "fewer runs than min_runs raise nothing"
    );

    // 2 of 5: 40%, high.
    let out = run_gate(&p, &scratch, 4, true);
    assert!(String::from_utf8_lossy(&out.stderr).contains("alert: testing failure rate is 40%"));
    let rates = json(&p.repo.ok(&["failures", "--json"]));
    assert_eq!(rates["categories"][0]["severity"], "high");
    assert_eq!(
        rates["top"][0]["count"], 2,
        "one signature for both failures: {rates:#}"
    );
    let queued = alerts(&p);
    assert_eq!(queued.len(), 1, "{queued:#?}");
    assert_eq!(ops(&p, "post_webhook").len(), 1);
    let status = json(&p.repo.ok(&["status", "--json"]));
    let open = &status["learning"]["alerts"];
    assert_eq!(open.as_array().unwrap().len(), 1, "{status:#}");
    assert_eq!(open[0]["failure_rate"]["severity"], "high");
    assert_eq!(status["learning"]["pending_proposals"], 1);
    assert!(
        p.repo
            .ok(&["status"])
            .contains("alert:    testing failure rate is 40%")
    );

    // A re-run at the same severity (2 of 6: 33%) raises nothing new.
    run_gate(&p, &scratch, 5, false);
    assert_eq!(alerts(&p).len(), 1);
    assert_eq!(ops(&p, "post_webhook").len(), 1);

    // The answer to the issue's creation is lost, as if the process died
    // after GitHub acted: the next sync finds the issue, files no second one.
    p.fake.inject(Fault::new(
        "POST",
        "/repos/octo/demo/issues",
        FaultKind::DropAfterWrite,
    ));
    p.fake.inject(Fault::new(
        "POST",
        "/hooks/alerts",
        FaultKind::DropAfterWrite,
    ));
    let _ = p.run(&["sync", "--json"]);
    p.sync();
    assert_eq!(p.fake.faults_left(), 0);
    run_gate(&p, &scratch, 6, false);
    p.sync();
    let issues = p.fake.issues(REPO);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert!(
        issues[0].title.contains("[high] testing failure rate 40%"),
        "{}",
        issues[0].title
    );
    assert!(
        issues[0].labels.contains(&"severity:high".to_owned()),
        "{:?}",
        issues[0].labels
    );
    // One webhook post, Slack-compatible, and no token sent to its host.
    let posts = p.fake.webhooks();
    assert_eq!(posts.len(), 1, "{posts:#?}");
    let (body, authorization) = &posts[0];
    let text = body["text"].as_str().unwrap();
    assert!(text.contains("[high] testing failure rate 40%"), "{text}");
    assert!(!authorization, "the GitHub token went to the webhook");
    let webhook_op = ops(&p, "post_webhook").remove(0);
    assert!(
        !webhook_op.to_string().contains("/hooks/alerts"),
        "the URL is not recorded: {webhook_op}"
    );
    let verify = p.repo.run(&["verify"]);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

#[test]
fn without_issues_an_alert_is_only_a_record_and_bad_thresholds_name_the_key() {
    let (p, scratch) = project("");
    for n in 0..5 {
        run_gate(&p, &scratch, n, n % 2 == 0);
    }
    assert!(alerts(&p).is_empty());
    let status = json(&p.repo.ok(&["status", "--json"]));
    assert_eq!(
        status["learning"]["alerts"][0]["failure_rate"]["severity"],
        "critical"
    );

    let tip = p.repo.state_tip();
    p.repo
        .edit_config("min_runs = 5", "min_runs = 5\nhigh = 0.9", "bad threshold");
    let out = p.run(&["failures"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("critical must be above high"), "{err}");
    let out = p.run(&["failures", "--since", "lately"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(p.repo.state_tip(), tip);
}
