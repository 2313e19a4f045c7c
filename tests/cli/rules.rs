//! Learned rules through the real binary: failures grouped by signature,
//! proposals, accepted rules at work (guidance, retry), and refusals of bad
//! input that leave the state as it was.

use crate::support::{Repo, stderr, stdout};

/// A testing gate whose failure output varies like a real one's between runs
/// (a temporary path, a line number, a time), and an infrastructure gate that
/// fails while `$MARK` is absent (and counts its runs in `$COUNT`).
fn config(dir: &std::path::Path) -> String {
    format!(
        r#"version = 1

[[phases]]
id = 0
name = "Setup"
gates = ["unit"]

[[phases]]
id = 1
name = "Deploy"
gates = ["deploy"]

[gates.unit]
run = "echo \"running in $(mktemp -d) at $(date +%s%N)\"; echo \"error: widget missing at src/lib.rs:$(wc -l < src/lib.rs):7\" >&2; exit 1"
category = "testing"

[gates.deploy]
run = "echo run >> \"$COUNT\"; test -f \"$MARK\" || {{ test -z \"$FLIP\" || touch \"$MARK\"; echo \"curl: (7) Failed to connect to 127.0.0.1 port $$ after 0 ms: Couldn't connect to server\"; exit 1; }}"
category = "infrastructure"
env = {{ MARK = "{mark}", COUNT = "{count}" }}
"#,
        mark = dir.join("mark").display(),
        count = dir.join("count").display(),
    )
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{err}: {text}"))
}

fn setup() -> (Repo, tempfile::TempDir) {
    let repo = Repo::new();
    let scratch = tempfile::tempdir().unwrap();
    repo.write(".auditops.toml", config(scratch.path()));
    repo.setup_trusted();
    repo.commit_all("config");
    (repo, scratch)
}

/// Adds a line to src/lib.rs (so line numbers move) and commits.
fn next_commit(repo: &Repo, n: usize) {
    let mut source = std::fs::read_to_string(repo.path().join("src/lib.rs")).unwrap();
    source.push_str(&format!("// change {n}\n"));
    repo.write("src/lib.rs", source);
    repo.commit_all(&format!("change {n}"));
}

fn gate_run(repo: &Repo, phase: &str) -> std::process::Output {
    repo.cmd()
        .env("AUDITOPS_RETRY_BACKOFF", "0s")
        .args(["gate", "run", "--phase", phase])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap()
}

#[test]
fn one_failure_on_three_commits_is_one_signature_and_an_accepted_rule_speaks_up() {
    let (repo, _scratch) = setup();
    for n in 0..3 {
        next_commit(&repo, n);
        let out = gate_run(&repo, "0");
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("--- failure signature "),
            "{}",
            stderr(&out)
        );
    }
    let proposals = json(&repo.ok(&["rules", "propose", "--json"]));
    let rows = proposals.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{proposals:#}");
    let row = &rows[0];
    assert_eq!(row["count"], 3);
    assert_eq!(row["category"], "testing");
    assert_eq!(row["confidence"], "low");
    assert_eq!(row["gates"], serde_json::json!(["unit"]));
    assert_eq!(row["records"].as_array().unwrap().len(), 3);
    let text = row["signature"].as_str().unwrap();
    assert!(
        text.contains("error: widget missing at src/lib.rs:<n>:<n>"),
        "{text}"
    );
    assert!(!text.contains("/tmp"), "{text}");
    let sha = row["sha256"].as_str().unwrap().to_owned();
    assert!(
        json(&repo.ok(&["rules", "propose", "--min", "4", "--json"]))
            .as_array()
            .unwrap()
            .is_empty()
    );

    let accepted = json(&repo.ok(&[
        "rules",
        "accept",
        &sha[..12],
        "--guidance",
        "Run scripts/make-widget.sh first; token=ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "--json",
    ]));
    let id = format!("rule_{sha}");
    assert_eq!(accepted["id"], id.as_str());
    assert_eq!(accepted["action"], "none");
    assert_eq!(accepted["frequency"], 3);
    assert_eq!(accepted["learned_from"].as_array().unwrap().len(), 3);
    assert!(accepted["keyid"].is_string());
    let guidance = accepted["guidance"].as_str().unwrap();
    assert!(
        !guidance.contains("ghp_abcdef"),
        "guidance is redacted: {guidance}"
    );

    // Decided: no longer proposed; listed and shown; verified.
    assert!(
        json(&repo.ok(&["rules", "propose", "--json"]))
            .as_array()
            .unwrap()
            .is_empty()
    );
    let list = json(&repo.ok(&["rules", "list", "--json"]));
    assert_eq!(list[0]["id"], id.as_str());
    assert!(repo.ok(&["rules", "show", &id]).contains("make-widget.sh"));
    repo.ok(&["verify"]);

    next_commit(&repo, 3);
    let out = gate_run(&repo, "0");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(&format!("known failure, rule {id}")), "{err}");
    assert!(err.contains("Run scripts/make-widget.sh first"), "{err}");
    let status = json(&repo.ok(&["phase", "status", "--json"]));
    let text = status.to_string();
    assert!(text.contains(&id), "the result names the rule: {text}");
}

/// The deploy gate's first failure, accepted as a retry rule.
fn accept_retry(repo: &Repo) -> String {
    let out = gate_run(repo, "1");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let proposals = json(&repo.ok(&["rules", "propose", "--json"]));
    let row = &proposals[0];
    assert_eq!(row["category"], "infrastructure");
    assert_eq!(row["suggestion"]["pattern"], "network", "{row:#}");
    assert_eq!(row["suggestion"]["action"], "retry");
    let sha = row["sha256"].as_str().unwrap().to_owned();
    let accepted = json(&repo.ok(&["rules", "accept", &sha, "--json"]));
    assert_eq!(accepted["action"], "retry", "the suggestion is taken");
    sha
}

fn runs(scratch: &tempfile::TempDir) -> usize {
    std::fs::read_to_string(scratch.path().join("count"))
        .unwrap_or_default()
        .lines()
        .count()
}

#[test]
fn a_retry_rule_retries_an_infrastructure_failure_once_and_records_a_pass_as_flaky() {
    let (repo, scratch) = setup();
    accept_retry(&repo);
    assert_eq!(runs(&scratch), 1);

    // Fails every time: retried once, never twice.
    next_commit(&repo, 1);
    let out = gate_run(&repo, "1");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(runs(&scratch), 3, "one run and one retry");
    assert!(stderr(&out).contains("retrying once"), "{}", stderr(&out));

    // Fails, then passes on the retry: recorded as flaky, not as a plain pass.
    next_commit(&repo, 2);
    // FLIP (inherited by the gate) makes the first attempt leave the mark
    // the retry finds.
    std::fs::write(scratch.path().join("count"), "").unwrap();
    let out = repo
        .cmd()
        .env("AUDITOPS_RETRY_BACKOFF", "0s")
        .env("FLIP", "1")
        .args(["--json", "gate", "run", "--phase", "1"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let gate = stdout(&out);
    let report = json(&gate);
    let result = &report["results"][0];
    assert_eq!(result["passed"], true, "{report:#}");
    assert_eq!(result["learned"]["flaky"], true, "{report:#}");
    assert!(
        result["learned"]["retried"]
            .as_str()
            .unwrap()
            .contains("rule_")
    );
    assert_eq!(runs(&scratch), 2);
}

#[test]
fn bad_input_exits_2_naming_the_field_and_records_nothing() {
    let (repo, _scratch) = setup();
    next_commit(&repo, 0);
    assert_eq!(gate_run(&repo, "0").status.code(), Some(1));
    let sha = json(&repo.ok(&["rules", "propose", "--json"]))[0]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let tip = repo.state_tip();
    let cases: &[(&[&str], &str)] = &[
        (&["--action", "sometimes"], "--action"),
        (&["--action", "fix"], "--fix"),
        (&["--fix", "cargo fmt"], "--fix"),
        (&["--action", "retry"], "--action: retry is allowed only"),
        (&["--guidance", " "], "--guidance"),
        (
            &[
                "--action",
                "fix",
                "--fix",
                "curl -H 'Authorization: token ghp_abcdefghijklmnopqrstuvwxyz0123456789' x",
            ],
            "--fix: the command holds what looks like a secret",
        ),
    ];
    for (extra, needle) in cases {
        let mut args = vec!["rules", "accept", sha.as_str()];
        args.extend_from_slice(extra);
        let out = repo.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(needle),
            "{args:?}: {needle:?} in {}",
            stderr(&out)
        );
        assert_eq!(repo.state_tip(), tip, "{args:?} moved the state");
    }
    for (args, needle) in [
        (vec!["rules", "accept", "abc"], "at least 8"),
        (
            vec!["rules", "accept", "0123456789abcdef"],
            "no recorded failure",
        ),
        (
            vec!["rules", "reject", sha.as_str(), "--reason", ""],
            "--reason",
        ),
        (vec!["rules", "propose", "--since", "soon"], "--since"),
        (vec!["rules", "show", "rule_00000000"], "no such rule"),
    ] {
        let out = repo.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
        assert_eq!(repo.state_tip(), tip);
    }
    // With --flaky a testing failure may be retried.
    repo.ok(&["rules", "accept", &sha, "--action", "retry", "--flaky"]);
    assert_ne!(repo.state_tip(), tip);

    // A malformed override of the bootstrap patterns.
    let tip = repo.state_tip();
    repo.write(
        ".auditops/templates/rules.toml",
        "[[patterns]]\nname = \"x\"\nmatch = \"(\"\nguidance = \"g\"\n",
    );
    let out = repo.run(&["rules", "propose"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("patterns[0].match"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains(".auditops/templates/rules.toml"),
        "{}",
        stderr(&out)
    );
    assert_eq!(repo.state_tip(), tip);
}

#[test]
fn a_rejected_signature_is_not_proposed_again_and_rules_merge_between_clones() {
    let (repo, _scratch) = setup();
    next_commit(&repo, 0);
    assert_eq!(gate_run(&repo, "0").status.code(), Some(1));
    let sha = json(&repo.ok(&["rules", "propose", "--json"]))[0]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let rejected = json(&repo.ok(&[
        "rules",
        "reject",
        &sha,
        "--reason",
        "known, tracked elsewhere",
        "--json",
    ]));
    assert_eq!(rejected["verdict"], "rejected");
    assert!(
        json(&repo.ok(&["rules", "propose", "--json"]))
            .as_array()
            .unwrap()
            .is_empty()
    );

    let remote = repo.publish_to_new_remote();
    repo.ok(&["state", "push"]);
    let other = Repo::clone_from(remote.path());
    other.ok(&["state", "pull"]);
    let list = json(&other.ok(&["rules", "list", "--json"]));
    assert_eq!(list[0]["verdict"], "rejected");
    assert_eq!(list[0]["signature"], sha.as_str());
}

#[test]
fn a_gate_that_passed_and_failed_on_one_tree_is_proposed_as_a_flaky_rule() {
    let (repo, scratch) = setup();
    next_commit(&repo, 0);
    assert_eq!(gate_run(&repo, "1").status.code(), Some(1));
    std::fs::write(scratch.path().join("mark"), "").unwrap();
    assert_eq!(
        gate_run(&repo, "1").status.code(),
        Some(0),
        "same tree, same definition"
    );
    let proposals = json(&repo.ok(&["rules", "propose", "--json"]));
    let row = &proposals[0];
    assert_eq!(row["flaky"], true, "{row:#}");
    assert_eq!(row["suggestion"]["pattern"], "flaky");
    assert_eq!(row["suggestion"]["action"], "retry");
    let accepted = json(&repo.ok(&["rules", "accept", row["sha256"].as_str().unwrap(), "--json"]));
    assert_eq!(accepted["flaky"], true);
    assert_eq!(accepted["action"], "retry");
}
