//! `doctor`: each setup problem is named with the command that fixes it, and
//! exit 0 means all is well. No network without `--online`.

use crate::fake_github::{FakeGitHub, TOKEN};
use crate::support::{self, Repo};
use std::process::Output;

/// `doctor [extra…] --json` with no GitHub token from the machine.
fn doctor(repo: &Repo, extra: &[&str], token: Option<&str>) -> (Output, serde_json::Value) {
    let mut cmd = repo.cmd();
    cmd.env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env("GH_CONFIG_DIR", repo.home.path().join("no-gh"));
    if let Some(token) = token {
        cmd.env("GITHUB_TOKEN", token);
    }
    let out = cmd
        .arg("doctor")
        .args(extra)
        .arg("--json")
        .output()
        .expect("run doctor");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|err| {
        panic!(
            "doctor --json: {err}\nstdout: {}\nstderr: {}",
            support::stdout(&out),
            support::stderr(&out)
        )
    });
    (out, report)
}

fn check<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no `{name}` check in {report}"))
}

/// Asserts that the check `name`'s detail holds `text`; returns the check.
fn says<'a>(report: &'a serde_json::Value, name: &str, text: &str) -> &'a serde_json::Value {
    let found = check(report, name);
    let detail = found["detail"].as_str().expect("detail");
    assert!(detail.contains(text), "`{text}` not in {found}");
    found
}

/// Key generated, trust file and config committed, hooks installed.
fn set_up() -> Repo {
    let repo = Repo::new();
    repo.setup_trusted();
    repo.commit_all("auditops policy");
    repo
}

#[test]
fn a_fresh_repository_without_a_key_is_told_to_generate_one() {
    let repo = Repo::new();
    repo.ok(&["init"]);
    let (out, report) = doctor(&repo, &[], None);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(report["ok"], false);
    let key = check(&report, "key");
    assert_eq!(key["ok"], false, "{key}");
    assert_eq!(key["fix"], "git auditops key generate", "{key}");
    let trust = check(&report, "trust");
    assert_eq!(trust["ok"], false, "{trust}");
    assert!(
        trust["fix"]
            .as_str()
            .unwrap()
            .contains("git auditops key show --signers-line >> .auditops/allowed_signers"),
        "{trust}"
    );
    // Every check has the contract's fields.
    for check in report["checks"].as_array().unwrap() {
        assert!(check["name"].is_string(), "{check}");
        assert!(check["ok"].is_boolean(), "{check}");
        assert!(check["detail"].is_string(), "{check}");
        assert!(check.get("fix").is_some(), "{check}");
    }

    // The text form names the check and its fix too.
    let text = repo.run(&["doctor"]);
    assert_eq!(text.status.code(), Some(1));
    let text = support::stdout(&text);
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL") && l.contains("key")),
        "{text}"
    );
    assert!(text.contains("fix: git auditops key generate"), "{text}");
}

#[test]
fn a_repository_set_up_as_the_readme_says_passes_every_check() {
    let repo = set_up();
    let (out, report) = doctor(&repo, &[], None);
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert_eq!(report["ok"], true, "{report}");
    for name in ["config", "key", "trust", "hooks", "daemon", "state"] {
        assert_eq!(check(&report, name)["ok"], true, "{report}");
    }
    says(&report, "daemon", "the next commit starts it");
    says(&report, "key", "trusted at HEAD as tester@example.com");
    let text = repo.ok(&["doctor"]);
    assert!(text.contains("all "), "{text}");
}

#[test]
fn uninstalled_hooks_are_a_problem_with_the_command_that_installs_them() {
    let repo = set_up();
    repo.ok(&["hooks", "uninstall"]);
    let (out, report) = doctor(&repo, &[], None);
    assert_eq!(out.status.code(), Some(1), "{report}");
    let hooks = says(&report, "hooks", "pre-push missing");
    assert_eq!(hooks["ok"], false, "{hooks}");
    assert_eq!(hooks["fix"], "git auditops hooks install", "{hooks}");

    repo.ok(&["hooks", "install"]);
    let (out, _) = doctor(&repo, &[], None);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn hooks_bypassed_by_core_hooks_path_are_named() {
    let repo = set_up();
    let elsewhere = tempfile::tempdir().unwrap();
    repo.git(&[
        "config",
        "core.hooksPath",
        elsewhere.path().to_str().unwrap(),
    ]);
    let (out, report) = doctor(&repo, &[], None);
    assert_eq!(out.status.code(), Some(1), "{report}");
    says(&report, "hooks", "bypassed");
    let hooks = says(&report, "hooks", "core.hooksPath");
    assert!(
        hooks["fix"]
            .as_str()
            .unwrap()
            .contains("git config --unset core.hooksPath"),
        "{hooks}"
    );
}

#[test]
fn an_untrusted_key_and_an_uncommitted_trust_file_are_told_apart() {
    let repo = Repo::new();
    repo.ok(&["init"]);
    repo.generate_key(None);
    // The line is added but not committed: the usual slip.
    let line = repo.ok(&["key", "show", "--signers-line"]);
    repo.write(".auditops/allowed_signers", line);
    let (out, report) = doctor(&repo, &[], None);
    assert_eq!(out.status.code(), Some(1));
    let trust = says(&report, "trust", "not committed");
    assert_eq!(
        trust["fix"],
        "git add .auditops/allowed_signers && git commit -m \"auditops: trusted keys\""
    );
    assert_eq!(check(&report, "key")["ok"], false);

    repo.commit_all("trust");
    let (out, report) = doctor(&repo, &[], None);
    assert_eq!(out.status.code(), Some(0), "{report}");
}

#[test]
fn a_missing_or_tampered_state_is_a_problem() {
    let repo = set_up();
    repo.add_evidence("one");
    repo.tamper_state(support::FIRST_SEGMENT, |text| {
        text.replacen("\"sig\":\"", "\"sig\":\"AAAA", 1)
    });
    let (out, report) = doctor(&repo, &[], None);
    assert_eq!(out.status.code(), Some(1), "{report}");
    let state = says(&report, "state", "fail verification");
    assert!(
        state["fix"]
            .as_str()
            .unwrap()
            .starts_with("git auditops verify")
    );

    repo.git(&["update-ref", "-d", support::STATE_REF]);
    let (_, report) = doctor(&repo, &[], None);
    let state = says(&report, "state", "does not exist");
    assert_eq!(state["fix"], "git auditops init");
}

#[test]
fn a_state_fetched_but_not_merged_is_behind_its_remote() {
    let repo = set_up();
    let origin = tempfile::tempdir().unwrap();
    repo.git(&["init", "-q", "--bare", origin.path().to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", origin.path().to_str().unwrap()]);
    repo.ok(&["state", "push"]);
    repo.ok(&["state", "pull"]);
    let (_, report) = doctor(&repo, &[], None);
    says(&report, "state", "level with origin");
    // Recorded here, not pulled back: ahead, which is no problem.
    repo.add_evidence("local");
    let (out, report) = doctor(&repo, &[], None);
    assert_eq!(out.status.code(), Some(0), "{report}");
    says(&report, "state", "1 transaction(s) here");
    // The tracking ref holds a transaction the local state lacks: behind.
    let tip = repo.state_tip().unwrap();
    repo.git(&["update-ref", "refs/auditops/remotes/origin/state", &tip]);
    repo.git(&["update-ref", support::STATE_REF, &format!("{tip}~1")]);
    let (out, report) = doctor(&repo, &[], None);
    assert_eq!(out.status.code(), Some(1), "{report}");
    let state = says(&report, "state", "not merged");
    assert_eq!(state["fix"], "git auditops state pull origin");
}

fn with_github(repo: &Repo, api_url: &str) {
    repo.write(
        ".auditops.toml",
        format!(
            "version = 1\n[github]\nrepo = \"octo/demo\"\napi_url = \"{api_url}\"\ntimeout = \"2s\"\nmax_attempts = 1\n"
        ),
    );
    repo.commit_all("github config");
}

#[test]
fn github_needs_a_token_once_a_repository_is_configured() {
    let repo = set_up();
    with_github(&repo, "http://127.0.0.1:9");
    let (out, report) = doctor(&repo, &[], None);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(says(&report, "github_repo", "octo/demo")["ok"], true);
    let token = check(&report, "github_token");
    assert_eq!(token["ok"], false, "{token}");
    assert!(
        token["fix"].as_str().unwrap().contains("gh auth login"),
        "{token}"
    );
}

#[test]
fn without_online_doctor_makes_no_request() {
    let fake = FakeGitHub::start();
    let repo = set_up();
    with_github(&repo, &fake.url);
    let (out, report) = doctor(&repo, &[], Some(TOKEN));
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "github_access"),
        "{report}"
    );
    assert!(
        fake.log().is_empty(),
        "doctor went online: {:?}",
        fake.log().len()
    );
    // The token itself is never shown.
    assert!(!support::stdout(&out).contains(TOKEN));

    // An address nobody listens on changes nothing either.
    with_github(&repo, "http://127.0.0.1:9");
    let (out, report) = doctor(&repo, &[], Some(TOKEN));
    assert_eq!(out.status.code(), Some(0), "{report}");
}

#[test]
fn online_doctor_asks_github_once() {
    let fake = FakeGitHub::start();
    let repo = set_up();
    with_github(&repo, &fake.url);
    let (out, report) = doctor(&repo, &["--online"], Some(TOKEN));
    assert_eq!(out.status.code(), Some(0), "{report}");
    says(&report, "github_access", "`push` on octo/demo");
    assert_eq!(fake.log().len(), 1);

    fake.hide_repo("octo/demo");
    let (out, report) = doctor(&repo, &["--online"], Some(TOKEN));
    assert_eq!(out.status.code(), Some(1), "{report}");
    says(&report, "github_access", "404");

    with_github(&repo, "http://127.0.0.1:9");
    let (out, report) = doctor(&repo, &["--online"], Some(TOKEN));
    assert_eq!(out.status.code(), Some(1), "{report}");
    let access = check(&report, "github_access");
    assert_eq!(access["ok"], false, "{access}");
    assert!(
        access["fix"].as_str().unwrap().contains("api_url"),
        "{access}"
    );
}

#[test]
fn a_daemon_that_will_not_start_by_itself_is_a_problem_with_the_command_that_starts_it() {
    let repo = set_up();
    let config = std::fs::read_to_string(repo.path().join(".auditops.toml")).unwrap();
    repo.write(
        ".auditops.toml",
        format!("{config}\n[daemon]\nautostart = false\n"),
    );
    let (out, report) = doctor(&repo, &[], None);
    assert_eq!(out.status.code(), Some(1), "{report}");
    let daemon = says(&report, "daemon", "autostart = false");
    assert_eq!(daemon["ok"], false, "{daemon}");
    assert_eq!(daemon["fix"], "git auditops daemon start", "{daemon}");
}
