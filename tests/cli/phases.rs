//! Phases, gates and the pre-push check, through the real binary and real
//! `git push` to a local bare repository.

use crate::support;
use crate::support::{Repo, STATE_REF, assert_stderr_contains, evidence_add, stderr, stdout};
use git_auditops::records::KeyedKind;
use predicates::prelude::*;
use std::path::Path;

const CONFIG: &str = r#"version = 1

[[phases]]
id = 0
name = "Setup"
gates = ["has-lib", "adds"]

[[phases]]
id = 1
name = "Build"
gates = ["has-lib"]
evidence_min = 1
approvals = 1

[[phases]]
id = 2
name = "Release"

[gates.has-lib]
run = "test -f src/lib.rs"
category = "build"

[gates.adds]
run = "grep -q 'a + b' src/lib.rs && echo adds-ok"
category = "testing"

[policy]
protected = ["refs/heads/main", "refs/heads/release/*"]
"#;

/// A repository with CONFIG, a trusted key, hooks installed, and a bare `origin`.
struct Project {
    repo: Repo,
    _remote: tempfile::TempDir,
    key: support::KeyInfo,
}

fn project_with(config: &str) -> Project {
    let repo = Repo::new();
    repo.write(".auditops.toml", config);
    let key = repo.setup_trusted();
    let remote = repo.add_bare_remote("origin");
    Project {
        repo,
        _remote: remote,
        key,
    }
}

fn project() -> Project {
    project_with(CONFIG)
}

/// `git push` with our hooks; returns the output.
fn push(repo: &Repo, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new("git");
    support::isolate(&mut cmd, repo.home.path());
    cmd.current_dir(repo.path())
        .arg("push")
        .args(args)
        .output()
        .unwrap()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn a_push_to_a_protected_branch_needs_the_active_phases_gates() {
    let p = project();
    let head = p.repo.git(&["rev-parse", "HEAD"]);

    let refused = push(&p.repo, &["origin", "main"]);
    assert!(!refused.status.success(), "push must be refused");
    let message = stderr(&refused);
    assert!(
        message.contains("push to refs/heads/main refused"),
        "{message}"
    );
    assert!(
        message.contains("phase 0 (Setup) gates have not passed"),
        "{message}"
    );
    assert!(
        message.contains("has-lib: missing") && message.contains("adds: missing"),
        "{message}"
    );
    assert!(
        message.contains(&format!("git auditops gate run --phase 0 --rev {head}")),
        "{message}"
    );
    assert!(message.contains("--no-verify"), "{message}");

    // An unprotected branch goes through at once.
    assert!(push(&p.repo, &["origin", "main:feature"]).status.success());

    let run = p.repo.run(&["gate", "run"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let pushed = push(&p.repo, &["origin", "main"]);
    assert!(pushed.status.success(), "{}", stderr(&pushed));

    // Another commit with the same tree reuses the recorded results.
    p.repo
        .git(&["commit", "-q", "--allow-empty", "-m", "same tree"]);
    assert!(push(&p.repo, &["origin", "main"]).status.success());
    assert!(
        push(&p.repo, &["origin", "main:release/1.0"])
            .status
            .success()
    );

    // A new tree needs new results.
    p.repo.write("src/extra.rs", "// more\n");
    p.repo.commit_all("new tree");
    assert!(!push(&p.repo, &["origin", "main"]).status.success());

    // Deleting a protected branch is refused.
    let deleted = push(&p.repo, &["origin", ":release/1.0"]);
    assert!(!deleted.status.success());
    assert_stderr_contains(&deleted, "deleting it is refused");
}

#[test]
fn gate_run_records_signed_results_keyed_by_tree_and_stops_at_the_first_failure() {
    let p = project_with(&CONFIG.replace("grep -q 'a + b'", "grep -q 'a * b'"));
    let out = p.repo.run(&["gate", "run", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&stdout(&out));
    assert_eq!(report["passed"], false);
    assert_eq!(report["results"][0]["gate"], "has-lib");
    assert_eq!(report["results"][0]["passed"], true);
    assert_eq!(report["results"][1]["gate"], "adds");
    assert_eq!(report["results"][1]["outcome"]["status"], "exited");
    assert_eq!(report["results"][1]["outcome"]["code"], 1);
    let tree = p.repo.git(&["rev-parse", "HEAD^{tree}"]);
    assert_eq!(report["tree"], tree);
    // Keyed by tree and gate in the state.
    let listing = p.repo.git(&[
        "ls-tree",
        "-r",
        "--name-only",
        STATE_REF,
        &format!("index/gate-result/{tree}"),
    ]);
    assert_eq!(listing.lines().count(), 2, "{listing}");
    assert!(listing.contains(&format!("index/gate-result/{tree}/has-lib/")));
    // The full log stays on this machine.
    let logs = std::fs::read_dir(p.repo.path().join(".git/auditops/logs"))
        .unwrap()
        .count();
    assert_eq!(logs, 2);
    p.repo.ok(&["verify"]);
    // The user's working tree was not touched; the only other worktree is the
    // pooled one the gates ran in (kept for the next run's build caches).
    assert_eq!(p.repo.git(&["status", "--porcelain"]), "");
    let worktrees = p.repo.git(&["worktree", "list"]);
    assert_eq!(worktrees.lines().count(), 2, "{worktrees}");
    assert!(
        worktrees.contains("auditops/worktrees/slot-0"),
        "{worktrees}"
    );
}

#[test]
fn a_gate_past_its_timeout_is_killed_with_its_children() {
    let marker = tempfile::tempdir().unwrap();
    let pid_file = marker.path().join("child.pid");
    // Written only by a child that was left to finish its 30 s.
    let done_file = marker.path().join("child.done");
    let config = format!(
        "version = 1\n[[phases]]\nid = 0\nname = \"Slow\"\ngates = [\"slow\"]\n\n[gates.slow]\nrun = \"(sleep 30; touch \\\"$DONE_FILE\\\") & echo $! > \\\"$PID_FILE\\\"; wait\"\ntimeout = \"1s\"\ncategory = \"performance\"\nenv = {{ PID_FILE = \"{}\", DONE_FILE = \"{}\" }}\n",
        pid_file.display(),
        done_file.display()
    );
    let p = project_with(&config);
    let out = p.repo.run(&["gate", "run", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&stdout(&out));
    assert_eq!(report["results"][0]["outcome"]["status"], "timed_out");
    let child: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        !running(child),
        "the gate's background child was killed too"
    );
    // Gone, and without finishing: killed, not waited for.
    assert!(!done_file.exists(), "the gate's child ran to its end");
    let status = json(&p.repo.ok(&["phase", "status", "--json"]));
    assert_eq!(status[0]["gates"][0]["state"], "failed");
}

/// Whether `pid` is a live process (a zombie waiting to be reaped is not).
fn running(pid: u32) -> bool {
    std::thread::sleep(std::time::Duration::from_millis(100));
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit(')')
        .next()
        .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
        && !stat.is_empty()
}

/// Writes a passing gate result for HEAD's tree straight into the state, signed
/// with `key` (or unsigned), as someone bypassing `gate run` would.
fn forge_gate_results(repo: &Repo, signing_key: Option<&Path>) {
    let git_repo = git_auditops::git::open(repo.path()).unwrap();
    let config = git_auditops::config::Config::parse(CONFIG, Path::new(".auditops.toml")).unwrap();
    let key = signing_key.map(|path| {
        git_auditops::sign::key::load(path, git_auditops::sign::KeySource::DefaultPath).unwrap()
    });
    let commit = repo.git(&["rev-parse", "HEAD"]);
    let tree = repo.git(&["rev-parse", "HEAD^{tree}"]);
    let ops: Vec<_> = ["has-lib", "adds"]
        .iter()
        .map(|gate| {
            git_auditops::phase::records::GateResult {
                schema_version: 1,
                gate: (*gate).to_owned(),
                definition_sha256: git_auditops::phase::records::definition_sha256(
                    config.gate(gate).unwrap(),
                ),
                category: config.gate(gate).unwrap().category(),
                tree: tree.parse().unwrap(),
                commit: commit.parse().unwrap(),
                phase: 0,
                outcome: git_auditops::phase::runner::Exit::Exited { code: 0 },
                passed: true,
                duration_ms: 1,
                output_tail: String::new(),
                timestamp: "2026-01-01T00:00:00Z".parse().unwrap(),
                scan: None,
                learned: None,
            }
            .put(key.as_ref())
        })
        .collect();
    let store = git_auditops::store::Store::new(&git_repo, STATE_REF).unwrap();
    store.write(&ops, "forged").unwrap();
}

#[test]
fn forged_gate_results_do_not_open_the_gate_and_verify_reports_them() {
    let p = project();
    forge_gate_results(&p.repo, None);
    let refused = push(&p.repo, &["origin", "main"]);
    assert!(!refused.status.success(), "unsigned results must not count");
    let out = p.repo.run(&["verify", "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let report = json(&stdout(&out));
    let failures = report["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2);
    assert!(
        failures
            .iter()
            .all(|f| f["kind"] == "gate-result"
                && f["reason"].as_str().unwrap().contains("unsigned"))
    );

    let q = project();
    let stranger = q.repo.home.path().join("stranger");
    q.repo.generate_key(Some(&stranger));
    forge_gate_results(&q.repo, Some(&stranger));
    assert!(
        !push(&q.repo, &["origin", "main"]).status.success(),
        "untrusted results must not count"
    );
    let out = q.repo.run(&["verify", "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let report = json(&stdout(&out));
    assert!(
        report["failures"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("not in HEAD:.auditops/allowed_signers")
    );

    // The same records signed by the trusted key do count.
    let r = project();
    forge_gate_results(&r.repo, Some(&r.key.private_key));
    assert!(push(&r.repo, &["origin", "main"]).status.success());
}

#[test]
fn phases_start_in_order_and_a_refusal_records_nothing() {
    let p = project();
    let before = p.repo.state_tip();
    p.repo
        .cmd()
        .args(["phase", "start", "2"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("phase 0 (Setup) is not complete"));
    p.repo.cmd().args(["phase", "start", "1"]).assert().code(1);
    assert_eq!(p.repo.state_tip(), before);
    p.repo
        .cmd()
        .args(["phase", "start", "7"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("there is no phase 7"));
    let started = json(&p.repo.ok(&["phase", "start", "0", "--json"]));
    assert_eq!(started["outcome"], "started");
    let again = json(&p.repo.ok(&["phase", "start", "0", "--json"]));
    assert_eq!(again["outcome"], "already_started");
}

#[test]
fn a_phase_completes_with_gates_evidence_and_approvals() {
    let p = project();
    p.repo
        .cmd()
        .args(["phase", "complete", "0"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("gate run --phase 0"));
    p.repo.ok(&["gate", "run", "--phase", "0"]);
    let done = json(&p.repo.ok(&["phase", "complete", "0", "--tag", "--json"]));
    let head = p.repo.git(&["rev-parse", "HEAD"]);
    assert_eq!(done["outcome"], "completed");
    assert_eq!(done["tag"], "phase-0-complete");
    assert_eq!(
        p.repo.git(&["rev-parse", "phase-0-complete^{commit}"]),
        head
    );
    assert_eq!(
        p.repo.git(&["cat-file", "-t", "phase-0-complete"]),
        "tag",
        "annotated"
    );
    let record = &done["record"];
    assert_eq!(record["schema_version"], 1);
    assert_eq!(record["min_schema_version"], 1);
    assert_eq!(record["phase"], 0);
    assert_eq!(record["phase_name"], "Setup");
    assert_eq!(record["baseline_pass_count"], 2);
    assert_eq!(
        record["ci_gates_passed"],
        serde_json::json!(["has-lib", "adds"])
    );
    assert_eq!(record["git_commit"], head);
    assert!(record["completion_date"].as_str().unwrap().ends_with('Z'));

    let status = json(&p.repo.ok(&["phase", "status", "--json"]));
    assert_eq!(status[0]["state"], "complete");
    assert_eq!(status[1]["state"], "active");
    assert_eq!(status[2]["state"], "locked");

    // Phase 1 needs its gate, one evidence record and one approval at the commit.
    p.repo.ok(&["gate", "run"]);
    p.repo
        .cmd()
        .args(["phase", "complete", "1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("at least 1 evidence record"));
    p.repo.ok(&[
        "evidence",
        "add",
        "--phase",
        "1",
        "--file",
        "src/lib.rs",
        "--lines",
        "1-3",
        "--description",
        "add exists",
        "--id",
        "EV-add",
    ]);
    p.repo
        .cmd()
        .args(["phase", "complete", "1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("approve phase:1"));
    p.repo.ok(&["approve", "phase:1", "--note", "looks right"]);
    let done = json(&p.repo.ok(&["phase", "complete", "1", "--json"]));
    assert_eq!(
        done["record"]["evidence_blocks"],
        serde_json::json!(["EV-add"])
    );

    let report = p.repo.ok(&["phase", "report", "1"]);
    assert!(report.starts_with("# Phase 1: Build"), "{report}");
    assert!(
        report.contains("**complete**")
            && report.contains("EV-add")
            && report.contains("looks right"),
        "{report}"
    );
    assert!(!report.contains("{{") && !report.contains("{%"), "{report}");

    p.repo.ok(&["verify"]);
    // Phase 2 has no gates: with 0 and 1 complete, pushes to main are open.
    assert!(push(&p.repo, &["origin", "main"]).status.success());
}

#[test]
fn phase_report_json_is_the_reports_data_and_the_text_is_its_markdown() {
    let p = project();
    p.repo.ok(&["gate", "run", "--phase", "0"]);
    p.repo.ok(&["phase", "complete", "0"]);
    p.repo.ok(&["gate", "run"]);
    p.repo.ok(&[
        "evidence",
        "add",
        "--phase",
        "1",
        "--file",
        "src/lib.rs",
        "--lines",
        "1-3",
        "--description",
        "add exists",
        "--id",
        "EV-add",
    ]);
    p.repo.ok(&["approve", "phase:1", "--note", "looks right"]);
    p.repo.ok(&["phase", "complete", "1"]);
    let head = p.repo.git(&["rev-parse", "HEAD"]);
    let tree = p.repo.git(&["rev-parse", "HEAD^{tree}"]);

    let report = json(&p.repo.ok(&["phase", "report", "1", "--json"]));
    assert_eq!(report["phase"]["id"], 1, "{report}");
    assert_eq!(report["phase"]["name"], "Build");
    assert_eq!(report["phase"]["state"], "complete");
    assert_eq!(report["commit"], head.as_str());
    assert_eq!(report["tree"], tree.as_str());
    assert_eq!(report["completion"]["git_commit"], head.as_str());
    let gates = report["gates"].as_array().unwrap();
    assert_eq!(gates.len(), 1, "{report}");
    assert_eq!(gates[0]["gate"], "has-lib");
    assert_eq!(gates[0]["state"], "passed");
    assert_eq!(gates[0]["category"], "build");
    let evidence = report["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 1, "{report}");
    assert_eq!(evidence[0]["evidence_id"], "EV-add");
    assert_eq!(evidence[0]["file"], "src/lib.rs");
    assert_eq!(report["approvals"][0]["note"], "looks right");
    assert!(report.get("markdown").is_none(), "data, not the rendering");

    // The text form is the Markdown report, as before --json existed.
    let text = p.repo.ok(&["phase", "report", "1"]);
    assert!(text.starts_with("# Phase 1: Build\n"), "{text}");
    for line in [
        "- State: **complete**".to_owned(),
        format!("- Commit: `{head}` (tree `{tree}`)"),
        "| has-lib | build | passed |".to_owned(),
        "## Evidence (1 of 1 required)".to_owned(),
        "- **EV-add**: add exists (`src/lib.rs` lines 1-3".to_owned(),
        "## Approvals (1 of 1 required)".to_owned(),
    ] {
        assert!(text.contains(&line), "{line}\n{text}");
    }
    assert!(!text.trim_start().starts_with('{'), "{text}");
}

#[test]
fn an_approval_counts_only_at_its_commit_and_once_per_signer() {
    let p = project();
    p.repo.ok(&["gate", "run"]);
    p.repo.ok(&["phase", "complete", "0"]);
    p.repo.ok(&evidence_add("src/lib.rs", "1", "d"));
    p.repo.ok(&["approve", "1"]);
    p.repo.ok(&["approve", "phase:1"]);
    // A new commit: the approvals were for the previous one.
    p.repo
        .git(&["commit", "-q", "--allow-empty", "-m", "later"]);
    p.repo.ok(&["gate", "run"]);
    p.repo
        .cmd()
        .args(["phase", "complete", "1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("has 0"));
    let status = json(&p.repo.ok(&["phase", "status", "--json"]));
    assert_eq!(status[1]["approvals"]["count"], 0);
}

#[test]
fn a_broken_phase_chain_fails_verify_and_blocks_the_push() {
    let p = project();
    // A completion of phase 1 while phase 0 is not complete, signed by a trusted key.
    let git_repo = git_auditops::git::open(p.repo.path()).unwrap();
    let key = git_auditops::sign::key::load(
        &p.key.private_key,
        git_auditops::sign::KeySource::DefaultPath,
    )
    .unwrap();
    let forged = git_auditops::phase::records::PhaseCompletion {
        schema_version: 1,
        min_schema_version: 1,
        phase: 1,
        phase_name: "Build".into(),
        baseline_pass_count: 1,
        ci_gates_passed: vec!["has-lib".into()],
        git_commit: p.repo.git(&["rev-parse", "HEAD"]).parse().unwrap(),
        completion_date: "2026-01-01T00:00:00Z".parse().unwrap(),
        evidence_blocks: vec![],
    };
    let store = git_auditops::store::Store::new(&git_repo, STATE_REF).unwrap();
    store
        .write(&[forged.put(Some(&key))], "forged completion")
        .unwrap();
    let out = p.repo.run(&["verify", "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let report = json(&stdout(&out));
    assert_eq!(report["failures"][0]["kind"], "phase-completion");
    assert!(
        report["failures"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("phase 0 is not")
    );
    p.repo.ok(&["gate", "run", "--phase", "0"]);
    let refused = push(&p.repo, &["origin", "main"]);
    assert!(!refused.status.success());
    assert_stderr_contains(&refused, "phase chain is broken");
}

#[test]
fn run_missing_gates_runs_them_during_the_push() {
    let p = project_with(&CONFIG.replace(
        "protected = [\"refs/heads/main\", \"refs/heads/release/*\"]",
        "protected = [\"refs/heads/main\"]\nrun_missing_gates = true",
    ));
    let pushed = push(&p.repo, &["origin", "main"]);
    assert!(pushed.status.success(), "{}", stderr(&pushed));
    assert_stderr_contains(&pushed, "running the missing gates");
    let status = json(&p.repo.ok(&["phase", "status", "--json"]));
    assert_eq!(status[0]["gates"][0]["state"], "passed");
    assert_eq!(status[0]["gates"][1]["state"], "passed");
}

#[test]
fn a_changed_gate_definition_needs_a_new_result() {
    let p = project();
    p.repo.ok(&["gate", "run"]);
    assert!(push(&p.repo, &["origin", "main"]).status.success());
    // Same tree for the code, but the policy changes the gate's command.
    p.repo.write(
        ".auditops.toml",
        CONFIG.replace("test -f src/lib.rs", "test -s src/lib.rs"),
    );
    let status = json(&p.repo.ok(&["phase", "status", "--json"]));
    assert_eq!(status[0]["gates"][0]["state"], "missing");
    assert_eq!(status[0]["gates"][0]["stale"], true);
}

#[test]
fn bad_phase_config_and_bad_hook_input_exit_2() {
    let p = project();
    p.repo
        .write(".auditops.toml", CONFIG.replace("id = 2", "id = 3"));
    p.repo
        .cmd()
        .args(["config", "check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            ".auditops.toml:16: key `phases.id`",
        ));
    p.repo.write(".auditops.toml", CONFIG);
    p.repo
        .cmd()
        .args(["hook", "pre-push", "origin", "url"])
        .write_stdin("not four fields\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("pre-push input line 1"));
    p.repo
        .cmd()
        .args(["gate", "run", "--phase", "9"])
        .assert()
        .code(2);
}

/// The decision runs inside `git push`: it must not start git (or anything else).
#[test]
fn the_pre_push_decision_starts_no_git_process() {
    let p = project();
    p.repo.ok(&["gate", "run"]);
    let head = p.repo.git(&["rev-parse", "HEAD"]);
    let fake_bin = tempfile::tempdir().unwrap();
    let marker = fake_bin.path().join("git-was-called");
    let fake_git = fake_bin.path().join("git");
    std::fs::write(
        &fake_git,
        format!("#!/bin/sh\ntouch '{}'\nexit 1\n", marker.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake_git, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        fake_bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let input = format!(
        "refs/heads/main {head} refs/heads/main {}\n",
        "0".repeat(40)
    );
    p.repo
        .cmd()
        .args(["hook", "pre-push", "origin", "/nowhere"])
        .env("PATH", &path)
        .write_stdin(input.clone())
        .assert()
        .success();
    // A refusal takes the same path.
    p.repo.write("src/new.rs", "// new tree\n");
    let new_head = p.repo.commit_all("new tree");
    p.repo
        .cmd()
        .args(["hook", "pre-push", "origin", "/nowhere"])
        .env("PATH", &path)
        .write_stdin(input.replace(&head, &new_head))
        .assert()
        .code(1);
    assert!(!marker.exists(), "the pre-push decision ran git");
}

/// After a gate failed on the pushed tree, the refusal says which gate, shows
/// the end of its output and where its full log is, and that it must be fixed,
/// rather than suggesting the command that would fail again.
#[test]
fn a_refusal_after_a_failed_gate_shows_its_output_and_says_to_fix_it() {
    let p = project_with(
        &CONFIG
            .replace(
                "grep -q 'a + b' src/lib.rs && echo adds-ok",
                "echo checking adds; echo 'assertion failed: a * b' >&2; exit 4",
            )
            .replace(
                "protected = [\"refs/heads/main\", \"refs/heads/release/*\"]",
                "protected = [\"refs/heads/main\"]\nrun_missing_gates = true",
            ),
    );
    let head = p.repo.git(&["rev-parse", "HEAD"]);
    let tree = p.repo.git(&["rev-parse", "HEAD^{tree}"]);
    let logs = p.repo.path().join(".git/auditops/logs");
    // The first push runs the missing gates (run_missing_gates) and one fails;
    // the second finds the failure recorded and runs nothing.
    for attempt in ["first", "second"] {
        let refused = push(&p.repo, &["origin", "main"]);
        assert_eq!(refused.status.code(), Some(1), "{attempt} push");
        let message = stderr(&refused);
        let expected = [
            format!(
                "adds: failed (exit 4) on tree {} (commit {})",
                &tree[..12],
                &head[..12]
            ),
            "    | checking adds".to_owned(),
            "    | assertion failed: a * b".to_owned(),
            format!("full log: {}/{}-adds-", logs.display(), &tree[..12]),
            "fix what failed (adds), commit, and push again".to_owned(),
        ];
        for needle in &expected {
            assert!(
                message.contains(needle),
                "{attempt} push, no `{needle}` in:\n{message}"
            );
        }
        let refusal = &message[message.find("refused:").expect("a refusal")..];
        assert!(!refusal.contains("has-lib"), "has-lib passed:\n{message}");
        assert!(!message.contains("Run them"), "{message}");
        assert_eq!(
            message.contains("running the missing gates"),
            attempt == "first",
            "{message}"
        );
    }
    // The log named is the one the failing run wrote.
    let named = stderr(&push(&p.repo, &["origin", "main"]));
    let log = named
        .lines()
        .find_map(|l| l.trim().strip_prefix("full log: "))
        .expect("a log path");
    let content = std::fs::read_to_string(log).unwrap();
    assert!(content.contains("assertion failed"), "{content}");
}

/// Two clones that record the same evidence apart (two signers, two records)
/// count it once toward `evidence_min`, before and after pulling each other.
#[test]
fn the_same_evidence_recorded_in_two_clones_counts_once_after_merging() {
    let p = project();
    let (bob_key, _scratch) = {
        let scratch = Repo::new();
        (scratch.generate_key(None), scratch)
    };
    p.repo.trust(&[&p.key, &bob_key]);
    let remote = p._remote.path().to_str().unwrap();
    let branch = p.repo.git(&["rev-parse", "--abbrev-ref", "HEAD"]);
    p.repo
        .git(&["push", "-q", "--no-verify", "origin", &branch]);
    let out = std::process::Command::new("git")
        .args(["--git-dir", remote, "symbolic-ref", "HEAD"])
        .arg(format!("refs/heads/{branch}"))
        .output()
        .unwrap();
    assert!(out.status.success());
    p.repo.ok(&["state", "push"]);
    let bob = Repo::clone_from(Path::new(remote));
    let bob_ssh = bob.home.path().join(".ssh");
    std::fs::create_dir_all(&bob_ssh).unwrap();
    std::fs::copy(&bob_key.private_key, bob_ssh.join("id_ed25519")).unwrap();
    bob.ok(&["state", "pull"]);

    let add = evidence_add("src/lib.rs", "1-3", "add is implemented");
    p.repo.ok(&add);
    bob.ok(&add);
    p.repo.ok(&["state", "push"]);
    bob.ok(&["state", "pull"]);
    bob.ok(&["state", "push"]);
    p.repo.ok(&["state", "pull"]);
    for clone in [&p.repo, &bob] {
        assert_eq!(clone.evidence_json().len(), 2, "both records are kept");
        let status = json(&clone.ok(&["phase", "status", "--json"]));
        assert_eq!(status[1]["evidence"]["count"], 1, "{status}");
        let again = clone.run(&add);
        assert_stderr_contains(&again, "already recorded");
    }
    assert_eq!(p.repo.state_tip(), bob.state_tip());
}
