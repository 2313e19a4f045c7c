//! `ci run`: runners pull, run what lacks a trusted pass, record signed and
//! push with pull-merge-retry; a bare repository is the remote.

use crate::ci_support::{self, CONFIG, CiProject, gate_results, git_push, run_with};
use crate::support::{Repo, stderr, stdout};

/// Commits a change on the developer's clone and publishes it as the
/// unprotected branch `feature`; returns the commit and its tree.
fn publish_feature(project: &CiProject) -> (String, String) {
    let dev = &project.dev;
    dev.write("src/more.rs", "pub fn more() {}\n");
    let commit = dev.commit_all("more");
    let pushed = git_push(dev, &["origin", "HEAD:refs/heads/feature"]);
    assert!(pushed.status.success(), "{}", stderr(&pushed));
    let tree = dev.git(&["rev-parse", "HEAD^{tree}"]);
    (commit, tree)
}

/// A runner at `feature`.
fn runner_at_feature(project: &CiProject) -> Repo {
    let runner = project.runner();
    runner.git(&["fetch", "-q", "origin", "feature"]);
    runner.git(&["checkout", "-q", "FETCH_HEAD"]);
    runner
}

/// Runs `ci run` on each of `runners` at the same time, each with its own
/// arguments; every one must succeed.
fn all_at_once(project: &CiProject, runners: &[Repo], args: &[Vec<String>], env: &[(&str, &str)]) {
    std::thread::scope(|scope| {
        let handles: Vec<_> = runners
            .iter()
            .zip(args)
            .map(|(runner, args)| {
                scope.spawn(move || {
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let mut cmd = project.ci_cmd(runner, &args);
                    for (k, v) in env {
                        cmd.env(k, v);
                    }
                    crate::support::output_with_hang_guard(&mut cmd)
                })
            })
            .collect();
        for handle in handles {
            let out = handle.join().unwrap();
            assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
        }
    });
}

#[test]
fn four_runners_fan_out_and_a_developer_pushes_without_running_a_gate() {
    let project = CiProject::new(CONFIG);
    let (commit, tree) = publish_feature(&project);
    let runners: Vec<Repo> = (0..4).map(|_| runner_at_feature(&project)).collect();
    let args: Vec<Vec<String>> = (1..=4)
        .map(|k| vec!["ci".into(), "run".into(), "--gate".into(), format!("g{k}")])
        .collect();
    all_at_once(&project, &runners, &args, &[]);

    let dev = &project.dev;
    dev.ok(&["state", "pull"]);
    let on_tree: Vec<(String, String, bool)> = gate_results(dev)
        .into_iter()
        .filter(|(t, _, _)| *t == tree)
        .collect();
    let expected: Vec<(String, String, bool)> = (1..=4)
        .map(|k| (tree.clone(), format!("g{k}"), true))
        .collect();
    assert_eq!(on_tree, expected, "each result exactly once");

    let before = dev.state_tip();
    let pushed = git_push(dev, &["origin", &format!("{commit}:refs/heads/main")]);
    assert!(pushed.status.success(), "{}", stderr(&pushed));
    assert!(!stderr(&pushed).contains("running"), "{}", stderr(&pushed));
    assert_eq!(dev.state_tip(), before, "the push ran and recorded nothing");

    // Everything is covered now: another run runs nothing and adds nothing.
    let again = project.ci(&runners[0], &["ci", "run", "--json"]);
    assert!(again.status.success(), "{}", stderr(&again));
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert!(
        report["gates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["state"] == "already_passed" && g["signer"] == ci_support::CI_PRINCIPAL),
        "{report}"
    );
    assert_eq!(report["recording"], "recorded");
    dev.ok(&["state", "pull"]);
    assert_eq!(gate_results(dev).len(), 4);
}

#[test]
fn eight_runners_appending_at_the_same_moment_lose_and_duplicate_nothing() {
    let gates: Vec<String> = (1..=8).map(|k| format!("e{k}")).collect();
    let barrier = tempfile::tempdir().unwrap();
    // Each gate waits (bounded) until all eight have started, so that the
    // appends and pushes happen together.
    let mut config = format!(
        "version = 1\n\n[[phases]]\nid = 0\nname = \"Wide\"\ngates = [{}]\n\n",
        gates
            .iter()
            .map(|g| format!("\"{g}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for gate in &gates {
        config += &format!(
            "[gates.{gate}]\nrun = \"touch \\\"$BARRIER/$AUDITOPS_GATE\\\"; i=0; while [ $(ls \\\"$BARRIER\\\" | wc -l) -lt 8 ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done\"\ncategory = \"quality\"\n\n"
        );
    }
    config += "[policy]\nprotected = [\"refs/heads/main\"]\n";
    let project = CiProject::new(&config);
    let (_, tree) = publish_feature(&project);
    let runners: Vec<Repo> = (0..8).map(|_| runner_at_feature(&project)).collect();
    let args: Vec<Vec<String>> = gates
        .iter()
        .map(|g| vec!["ci".into(), "run".into(), "--gate".into(), g.clone()])
        .collect();
    let barrier_path = barrier.path().to_str().unwrap();
    all_at_once(&project, &runners, &args, &[("BARRIER", barrier_path)]);

    let dev = &project.dev;
    dev.ok(&["state", "pull"]);
    let on_tree: Vec<(String, String, bool)> = gate_results(dev)
        .into_iter()
        .filter(|(t, _, _)| *t == tree)
        .collect();
    let expected: Vec<(String, String, bool)> = gates
        .iter()
        .map(|g| (tree.clone(), g.clone(), true))
        .collect();
    assert_eq!(on_tree, expected, "nothing lost, nothing duplicated");
    assert!(dev.ok(&["verify"]).contains("ok"));
}

#[test]
fn no_record_without_a_key_runs_the_gates_and_exits_by_their_result() {
    let failing = CONFIG.replace("run = \"echo four\"", "run = \"echo broken; exit 3\"");
    let project = CiProject::new(&failing);
    let runner = project.runner();
    let tip = runner.state_tip();
    let passing = run_with(
        &runner,
        &[
            "ci",
            "run",
            "--no-record",
            "--gate",
            "g1",
            "--gate",
            "g3",
            "--json",
        ],
        &[],
    );
    assert!(passing.status.success(), "{}", stderr(&passing));
    let report: serde_json::Value = serde_json::from_slice(&passing.stdout).unwrap();
    assert_eq!(report["recording"], "no_record");
    assert_eq!(report["gates"][0]["state"], "passed");
    assert_eq!(report["gates"][1]["gate"], "g3");
    let failed = run_with(&runner, &["ci", "run", "--no-record"], &[]);
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    assert!(stderr(&failed).contains("broken"), "{}", stderr(&failed));
    assert!(stdout(&failed).contains("g4") && stdout(&failed).contains("FAILED"));
    assert_eq!(runner.state_tip(), tip, "nothing recorded");
    assert!(gate_results(&runner).is_empty());

    // Without --no-record and without a key it is the missing key's error.
    let keyless = run_with(&runner, &["ci", "run"], &[]);
    assert_eq!(keyless.status.code(), Some(2), "{}", stderr(&keyless));
    assert!(stderr(&keyless).contains("AUDITOPS_SIGNING_KEY"));
}

#[test]
fn a_fork_pull_request_is_detected_and_github_gets_a_summary_and_annotations() {
    let failing = CONFIG.replace("run = \"echo four\"", "run = \"echo 'bad: 100%'; exit 3\"");
    let project = CiProject::new(&failing);
    let runner = project.runner();
    let dir = tempfile::tempdir().unwrap();
    let event = dir.path().join("event.json");
    std::fs::write(
        &event,
        r#"{"pull_request": {"head": {"repo": {"full_name": "someone/fork", "fork": true}},
            "base": {"repo": {"full_name": "team/project"}}}}"#,
    )
    .unwrap();
    let summary = dir.path().join("summary.md");
    let env = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
    ];
    let tip = runner.state_tip();
    let out = run_with(&runner, &["ci", "run"], &env);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("fork someone/fork"),
        "{}",
        stderr(&out)
    );
    let line = ".auditops.toml"; // [gates.g4] is on line 24 of CONFIG
    assert!(
        stdout(&out).contains(&format!(
            "::error file={line},line=24,title=gate g4 failed (exit 3)::gate g4 failed (exit 3)"
        )),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("bad%3A 100%25") || stdout(&out).contains("bad: 100%25"));
    let table = std::fs::read_to_string(&summary).unwrap();
    assert!(
        table.contains("| gate | result | duration | signer |"),
        "{table}"
    );
    assert!(table.contains("| g1 | ✅ passed |"), "{table}");
    assert!(table.contains("| g4 | ❌ failed |"), "{table}");
    assert!(table.contains("fork"), "{table}");
    assert_eq!(runner.state_tip(), tip, "nothing recorded");
}

#[test]
fn verify_reports_for_github_json_and_text() {
    let project = CiProject::new(CONFIG);
    let dev = &project.dev;
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let env = [("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())];
    let ok = run_with(dev, &["verify", "--format", "github"], &env);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(
        std::fs::read_to_string(&summary)
            .unwrap()
            .contains("verify: ✅ ok")
    );
    let json = run_with(dev, &["verify", "--format", "json"], &[]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["ok"], true);

    dev.add_evidence("one");
    dev.tamper_state(crate::support::FIRST_SEGMENT, |segment| {
        segment.replacen("{\"payload\"", "{ \"payload\"", 1)
    });
    let bad = run_with(dev, &["verify", "--format", "github", "--no-cache"], &env);
    assert_eq!(bad.status.code(), Some(3), "{}", stderr(&bad));
    assert!(
        stdout(&bad).contains("::error title=auditops verify"),
        "{}",
        stdout(&bad)
    );
    assert!(
        std::fs::read_to_string(&summary)
            .unwrap()
            .contains("verify: ❌ failed")
    );
}
