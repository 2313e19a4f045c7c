//! Findings from real scanners: SARIF import, fingerprints that survive edits,
//! states, malformed input, redaction, listing and verification, through the
//! real binary. The issue flow against the fake GitHub is in `findings_issues`.

use crate::support::{Repo, assert_stderr_contains, stderr};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// `tests/fixtures/sarif/NAME`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sarif")
        .join(name)
}

pub fn fixture_str(name: &str) -> String {
    fixture(name).display().to_string()
}

/// Puts the sample project's `app.py` (from `variant`: `sample`,
/// `sample-edited`, `sample-fixed`) and `src/lib.rs` in `repo`, committed.
pub fn put_sample(repo: &Repo, variant: &str) -> String {
    let app = std::fs::read(fixture(variant).join("app.py")).expect("sample app.py");
    repo.write("app.py", app);
    let lib = std::fs::read(fixture("sample/src/lib.rs")).expect("sample lib.rs");
    repo.write("src/lib.rs", lib);
    repo.commit_all(&format!("sample: {variant}"))
}

pub fn import_json(repo: &Repo, files: &[&str]) -> Value {
    let mut args = vec!["findings", "import", "--json"];
    args.extend_from_slice(files);
    serde_json::from_str(&repo.ok(&args)).expect("import json")
}

fn list_json(repo: &Repo, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["findings", "list", "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&repo.ok(&args)).expect("list json")
}

fn trusted_sample() -> Repo {
    let repo = Repo::new();
    repo.setup_trusted();
    put_sample(&repo, "sample");
    repo
}

#[test]
fn bandit_import_records_signed_findings_that_verify() {
    let repo = trusted_sample();
    let imported = import_json(&repo, &[&fixture_str("bandit.sarif")]);
    assert_eq!(imported["new"], 5, "{imported}");
    assert_eq!(imported["unchanged"], 0);
    assert_eq!(imported["resolved"], 0);
    assert_eq!(imported["reopened"], 0);
    assert_eq!(imported["scans"].as_array().unwrap().len(), 1);

    let listed = list_json(&repo, &[]);
    assert_eq!(listed.len(), 5, "{listed:?}");
    for field in [
        "id",
        "fingerprint",
        "tool",
        "rule",
        "level",
        "state",
        "message",
        "locations",
        "first_seen",
        "last_seen",
    ] {
        assert!(listed[0].get(field).is_some(), "{field}: {}", listed[0]);
    }
    // Most serious first; bandit's B307 has no level and gets SARIF's default.
    assert_eq!(listed[0]["rule"], "B602");
    assert_eq!(listed[0]["level"], "error");
    let eval = listed.iter().find(|f| f["rule"] == "B307").unwrap();
    assert_eq!(eval["level"], "warning");
    assert_eq!(eval["locations"][0]["path"], "app.py");
    assert_eq!(eval["locations"][0]["start_line"], 13);
    assert_eq!(list_json(&repo, &["--rule", "B101"]).len(), 1);
    assert_eq!(list_json(&repo, &["--tool", "bandit"]).len(), 5);
    assert!(list_json(&repo, &["--tool", "semgrep"]).is_empty());

    let shown = repo.ok(&["findings", "show", eval["id"].as_str().unwrap()]);
    assert!(shown.contains("return eval(expr)"), "{shown}");
    assert!(shown.contains("state        open"), "{shown}");
    let scan = imported["scans"][0].as_str().unwrap();
    let shown = repo.ok(&["findings", "show", scan]);
    assert!(shown.contains("Bandit 1.9.4"), "{shown}");

    let verify: Value = serde_json::from_str(&repo.ok(&["verify", "--json"])).unwrap();
    assert_eq!(verify["ok"], true, "{verify}");
    let status = repo.ok(&["status"]);
    assert!(status.contains("findings: 5 open (Bandit 5)"), "{status}");
}

#[test]
fn the_same_sarif_twice_changes_nothing_and_says_so() {
    let repo = trusted_sample();
    import_json(&repo, &[&fixture_str("bandit.sarif")]);
    let tip = repo.state_tip();
    let again = import_json(&repo, &[&fixture_str("bandit.sarif")]);
    assert_eq!(again["new"], 0, "{again}");
    assert_eq!(again["unchanged"], 5);
    assert!(again["scans"].as_array().unwrap().is_empty());
    assert_eq!(again["already_imported"].as_array().unwrap().len(), 1);
    assert_eq!(repo.state_tip(), tip);
    let text = repo.ok(&["findings", "import", &fixture_str("bandit.sarif")]);
    assert!(text.contains("nothing new"), "{text}");
    assert_eq!(repo.state_tip(), tip);
}

#[test]
fn an_edit_above_a_finding_keeps_it_the_same_finding() {
    let repo = trusted_sample();
    import_json(&repo, &[&fixture_str("bandit.sarif")]);
    let before = list_json(&repo, &[]);
    put_sample(&repo, "sample-edited");
    let edited = import_json(&repo, &[&fixture_str("bandit-edited.sarif")]);
    assert_eq!(edited["new"], 0, "{edited}");
    assert_eq!(edited["resolved"], 0);
    assert_eq!(edited["unchanged"], 5);
    let after = list_json(&repo, &[]);
    let ids = |l: &[Value]| {
        let mut ids: Vec<String> = l.iter().map(|f| f["id"].to_string()).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&before), ids(&after));
}

#[test]
fn a_fix_resolves_and_a_return_reopens() {
    let repo = trusted_sample();
    import_json(&repo, &[&fixture_str("bandit.sarif")]);
    put_sample(&repo, "sample-fixed");
    let fixed = import_json(&repo, &[&fixture_str("bandit-fixed.sarif")]);
    assert_eq!(fixed["resolved"], 1, "{fixed}");
    assert_eq!(fixed["unchanged"], 4);
    let resolved = list_json(&repo, &["--state", "resolved"]);
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0]["rule"], "B307");
    assert_eq!(list_json(&repo, &[]).len(), 4);

    // Another tool's scan resolves nothing of bandit's.
    let semgrep = import_json(&repo, &[&fixture_str("semgrep.sarif")]);
    assert_eq!(semgrep["resolved"], 0, "{semgrep}");

    put_sample(&repo, "sample");
    let back = import_json(&repo, &[&fixture_str("bandit.sarif")]);
    assert_eq!(back["reopened"], 1, "{back}");
    let id = resolved[0]["id"].as_str().unwrap();
    let shown: Value = serde_json::from_str(&repo.ok(&["findings", "show", id, "--json"])).unwrap();
    assert_eq!(shown["finding"]["state"], "reopened");
    let states: Vec<&str> = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["open", "resolved", "reopened"]);
    assert_eq!(list_json(&repo, &["--state", "all"]).len(), 5 + 2);
}

#[test]
fn several_tools_in_one_call_are_one_transaction() {
    let repo = trusted_sample();
    let before = repo.git(&["rev-list", "--count", "refs/auditops/state"]);
    let imported = import_json(
        &repo,
        &[
            &fixture_str("bandit.sarif"),
            &fixture_str("semgrep.sarif"),
            &fixture_str("clippy.sarif"),
        ],
    );
    assert_eq!(imported["scans"].as_array().unwrap().len(), 3, "{imported}");
    assert_eq!(imported["new"], 5 + 2 + 4);
    let after = repo.git(&["rev-list", "--count", "refs/auditops/state"]);
    assert_eq!(
        after.parse::<u32>().unwrap(),
        before.parse::<u32>().unwrap() + 1
    );
    let clippy = list_json(&repo, &["--tool", "clippy"]);
    assert_eq!(clippy.len(), 4);
    // The two `ptr_arg` results are two findings, not one.
    let ptr: Vec<&Value> = clippy
        .iter()
        .filter(|f| f["rule"] == "clippy::ptr_arg")
        .collect();
    assert_eq!(ptr.len(), 2);
    assert_ne!(ptr[0]["id"], ptr[1]["id"]);
}

#[test]
fn standard_input_and_tool_override() {
    let repo = trusted_sample();
    let sarif = std::fs::read(fixture("semgrep.sarif")).unwrap();
    let out = repo
        .cmd()
        .args(["findings", "import", "-", "--tool", "semgrep", "--json"])
        .write_stdin(sarif)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(list_json(&repo, &["--tool", "semgrep"]).len(), 2);
}

/// The bandit fixture with `runs[0].results[3].locations` broken.
fn malformed() -> String {
    let mut sarif: Value =
        serde_json::from_slice(&std::fs::read(fixture("bandit.sarif")).unwrap()).unwrap();
    sarif["runs"][0]["results"][3]["locations"] = Value::from(7);
    sarif.to_string()
}

#[test]
fn malformed_sarif_is_exit_2_naming_file_and_path_and_records_nothing() {
    let repo = trusted_sample();
    let bad = repo.path().join("broken.sarif");
    std::fs::write(&bad, malformed()).unwrap();
    let tip = repo.state_tip();
    // A good file before the bad one is not recorded either.
    let out = repo.run(&[
        "findings",
        "import",
        &fixture_str("bandit.sarif"),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_stderr_contains(&out, "broken.sarif");
    assert_stderr_contains(&out, "runs[0].results[3].locations");
    assert_eq!(repo.state_tip(), tip);

    let out = repo.run(&["findings", "import", "missing.sarif"]);
    assert_eq!(out.status.code(), Some(2));
    assert_stderr_contains(&out, "missing.sarif");

    let mut version: Value =
        serde_json::from_slice(&std::fs::read(fixture("semgrep.sarif")).unwrap()).unwrap();
    version["version"] = Value::from("2.0.0");
    std::fs::write(&bad, version.to_string()).unwrap();
    let out = repo.run(&["findings", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_stderr_contains(&out, "SARIF 2.0.0 is not supported");
    assert_eq!(repo.state_tip(), tip);

    let out = repo.run(&["findings", "show", "0123456789ab"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Real-format fake secrets, built here so that none is committed.
fn fake_secrets() -> Vec<String> {
    vec![
        format!("ghp_{}", "x7Qz9".repeat(7) + "a"),
        format!("AKIA{}", "Q3ZT7WJ5MNB2XK4P"),
        format!(
            "xoxb-{}-{}-{}",
            "123456789012", "1234567890123", "AbCdEfGhIjKlMnOpQrStUvWx"
        ),
    ]
}

#[test]
fn secrets_in_gitleaks_sarif_never_reach_the_state() {
    let repo = trusted_sample();
    let secrets = fake_secrets();
    let mut sarif: Value =
        serde_json::from_slice(&std::fs::read(fixture("gitleaks.sarif")).unwrap()).unwrap();
    let template = sarif["runs"][0]["results"][0].clone();
    let mut results = Vec::new();
    for (i, secret) in secrets.iter().enumerate() {
        let mut result = template.clone();
        result["message"]["text"] = Value::from(format!(
            "test-rule has detected secret for file auth.py at commit 0000000000000000: {secret}"
        ));
        result["locations"][0]["physicalLocation"]["region"]["snippet"]["text"] =
            Value::from(format!("token = \"{secret}\""));
        result["partialFingerprints"]["commitSha"] = Value::from(format!("{i:016}"));
        results.push(result);
    }
    sarif["runs"][0]["results"] = Value::from(results);
    let file = repo.path().join("gitleaks-report.sarif");
    std::fs::write(&file, sarif.to_string()).unwrap();
    let imported = import_json(&repo, &[file.to_str().unwrap()]);
    assert_eq!(imported["new"], 3, "{imported}");

    let text = crate::github_support::state_text(&repo);
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "{secret} is in the state");
        let out = std::process::Command::new("git")
            .current_dir(repo.path())
            .args(["grep", "-q", "-F", secret, "refs/auditops/state"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "git grep found {secret}");
    }
    assert!(text.contains("REDACTED"), "nothing was redacted");
    let listed = list_json(&repo, &["--tool", "gitleaks"]);
    assert_eq!(listed.len(), 3);
}

#[test]
fn a_partial_fingerprint_identifies_the_finding() {
    let repo = trusted_sample();
    let first = import_json(&repo, &[&fixture_str("gitleaks.sarif")]);
    assert_eq!(first["new"], 1);
    // The same result at another line (a later commit) is still the same finding.
    let mut sarif: Value =
        serde_json::from_slice(&std::fs::read(fixture("gitleaks.sarif")).unwrap()).unwrap();
    sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        Value::from(40);
    let moved = repo.path().join("moved.sarif");
    std::fs::write(&moved, sarif.to_string()).unwrap();
    repo.commit_all("later");
    let again = import_json(&repo, &[moved.to_str().unwrap()]);
    assert_eq!(again["new"], 0, "{again}");
    assert_eq!(again["unchanged"], 1);
}

/// A repository whose one gate "scans" by copying bandit's real report (run
/// in the sample project) to where `sarif` says.
fn scanning_gate(fail_on: &str) -> Repo {
    let repo = Repo::new();
    let sarif = std::fs::read(fixture("bandit.sarif")).unwrap();
    repo.write("scans/bandit.sarif", sarif);
    repo.write(
        ".auditops.toml",
        format!(
            "version = 1\n\n[trust]\nrequire_signed = false\n\n[[phases]]\nid = 0\nname = \"Scan\"\ngates = [\"bandit\"]\n\n[gates.bandit]\nrun = \"mkdir -p out && cp scans/bandit.sarif out/bandit.sarif\"\nsarif = \"out/bandit.sarif\"\n{fail_on}"
        ),
    );
    put_sample(&repo, "sample");
    repo.ok(&["init", "--no-hooks"]);
    repo
}

#[test]
fn a_gate_imports_its_sarif_and_names_the_scan() {
    let repo = scanning_gate("");
    let report: Value = serde_json::from_str(&repo.ok(&["gate", "run", "--json"])).unwrap();
    let result = &report["results"][0];
    assert_eq!(result["passed"], true, "{report}");
    let scan = result["scan"].as_str().expect("the result names its scan");
    let shown: Value =
        serde_json::from_str(&repo.ok(&["findings", "show", scan, "--json"])).unwrap();
    assert_eq!(
        shown["scan"]["commit"],
        repo.git(&["rev-parse", "HEAD"]).as_str()
    );
    assert_eq!(list_json(&repo, &[]).len(), 5);
}

/// The pooled worktree keeps ignored files between gate runs; a SARIF file an
/// earlier run left there is not this run's scan.
#[test]
fn a_sarif_file_an_earlier_run_left_is_not_imported_again() {
    let repo = scanning_gate("");
    repo.write(".gitignore", "out/\n");
    repo.commit_all("ignore the scan output");
    let first: Value = serde_json::from_str(&repo.ok(&["gate", "run", "--json"])).unwrap();
    assert_eq!(first["results"][0]["passed"], true, "{first}");

    repo.edit_config(
        "run = \"mkdir -p out && cp scans/bandit.sarif out/bandit.sarif\"",
        "run = \"true\"",
        "the gate writes no scan",
    );
    let out = repo.run(&["gate", "run", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let second: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(second["results"][0]["passed"], false, "{second}");
    assert!(second["results"][0]["scan"].is_null(), "{second}");
}

#[test]
fn fail_on_fails_the_gate_at_or_above_its_level() {
    let repo = scanning_gate("fail_on = \"error\"\n");
    let out = repo.run(&["gate", "run", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &report["results"][0];
    assert_eq!(result["passed"], false, "{report}");
    assert!(result["scan"].is_string(), "{report}");
    let tail = result["output_tail"].as_str().unwrap();
    assert!(
        tail.contains("1 finding(s) at or above `fail_on`"),
        "{tail}"
    );
}

#[test]
fn gate_scan_settings_are_checked() {
    let repo = Repo::new();
    for (gate, needle) in [
        ("fail_on = \"error\"\n", "sets `fail_on` but no `sarif`"),
        ("sarif = \"../x.sarif\"\n", "inside the gate's worktree"),
        ("sarif = \"x.sarif\"\nfail_on = \"high\"\n", "fail_on"),
    ] {
        repo.write(
            ".auditops.toml",
            format!("version = 1\n\n[gates.scan]\nrun = \"true\"\n{gate}"),
        );
        let out = repo.run(&["config", "check"]);
        assert_eq!(out.status.code(), Some(2), "{gate}");
        assert_stderr_contains(&out, needle);
    }
    repo.write(
        ".auditops.toml",
        "version = 1\n\n[findings]\nrepo = \"not a repo\"\n",
    );
    let out = repo.run(&["config", "check"]);
    assert_eq!(out.status.code(), Some(2));
}
