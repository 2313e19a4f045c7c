//! A fix rule at work: the failure's fix command runs in the pooled worktree
//! and its diff goes through the patch pipeline; `[patch] mode` decides.

use crate::support::{Repo, stderr};

const CONFIG: &str = r#"version = 1

[[phases]]
id = 0
name = "Style"
gates = ["fmt"]

[gates.fmt]
run = "grep -q '^tidy$' src/style.txt || { echo \"Diff in $(pwd)/src/style.txt:1:\"; exit 1; }"
category = "quality"

[patch]
mode = "supervised"

[patch.validators.lint]
run = "echo score=0.4"
category = "quality"
"#;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{err}: {text}"))
}

fn untidy(repo: &Repo, n: usize) {
    repo.write("src/style.txt", format!("messy {n}\n"));
    repo.commit_all(&format!("untidy {n}"));
}

#[test]
fn a_fix_rule_submits_its_diff_as_a_patch_supervised_queues_it_analysis_only_does_not() {
    let repo = Repo::new();
    repo.write(".auditops.toml", CONFIG);
    repo.setup_trusted();
    untidy(&repo, 0);
    let out = repo.run(&["gate", "run"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let proposal = &json(&repo.ok(&["rules", "propose", "--json"]))[0];
    assert_eq!(proposal["suggestion"]["pattern"], "rustfmt", "{proposal:#}");
    let sha = proposal["sha256"].as_str().unwrap().to_owned();
    let accepted = json(&repo.ok(&[
        "rules",
        "accept",
        &sha,
        "--action",
        "fix",
        "--fix",
        "echo tidy > src/style.txt",
        "--json",
    ]));
    let rule = accepted["id"].as_str().unwrap().to_owned();

    untidy(&repo, 1);
    let out = repo.run(&["gate", "run"]);
    assert_eq!(out.status.code(), Some(1), "the gate itself still failed");
    let err = stderr(&out);
    assert!(err.contains(&format!("fix of {rule}: patch")), "{err}");
    let decisions = json(&repo.ok(&["decisions", "--json"]));
    let decision = &decisions[0];
    assert_eq!(decision["decision"], "manual_review", "{decision:#}");
    assert!(
        decision["subject"]
            .as_str()
            .unwrap()
            .contains("Fix fmt failure"),
        "{decision:#}"
    );
    assert!(
        decision.to_string().contains(&rule),
        "the patch names the rule: {decision:#}"
    );
    assert_eq!(decision["validators"][0]["name"], "lint");
    let queue = json(&repo.ok(&["queue", "list", "--json"]));
    assert_eq!(queue["metrics"]["pending"], 1, "{queue:#}");
    assert_eq!(queue["items"][0]["state"], "pending");
    // The working tree is untouched: the fix ran in the pool.
    assert_eq!(
        std::fs::read_to_string(repo.path().join("src/style.txt")).unwrap(),
        "messy 1\n"
    );

    repo.edit_config(
        "mode = \"supervised\"",
        "mode = \"analysis_only\"",
        "analysis only",
    );
    untidy(&repo, 2);
    let out = repo.run(&["gate", "run"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("analysis_only: nothing submitted"),
        "{}",
        stderr(&out)
    );
    let after = json(&repo.ok(&["decisions", "--json"]));
    assert_eq!(
        after.as_array().unwrap().len(),
        decisions.as_array().unwrap().len()
    );
}

#[test]
fn a_fix_that_deletes_a_file_waits_for_a_person_even_in_automatic_mode() {
    let repo = Repo::new();
    let config = CONFIG
        .replace("mode = \"supervised\"", "mode = \"automatic\"")
        .replace("echo score=0.4", "true");
    repo.write(".auditops.toml", config);
    repo.setup_trusted();
    untidy(&repo, 0);
    assert_eq!(repo.run(&["gate", "run"]).status.code(), Some(1));
    let sha = json(&repo.ok(&["rules", "propose", "--json"]))[0]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    repo.ok(&[
        "rules",
        "accept",
        &sha,
        "--action",
        "fix",
        "--fix",
        "echo tidy > src/style.txt && git rm -q src/lib.rs",
    ]);
    untidy(&repo, 1);
    let head = repo.git(&["rev-parse", "HEAD"]);
    let out = repo.run(&["gate", "run"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let decision = &json(&repo.ok(&["decisions", "--json"]))[0];
    assert_eq!(decision["decision"], "manual_review", "{decision:#}");
    assert!(
        decision["reasons"]
            .to_string()
            .contains("deletes `src/lib.rs`"),
        "{decision:#}"
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head, "nothing was merged");
}

#[test]
fn a_validator_failure_with_an_accepted_rule_prints_its_guidance_and_names_it() {
    use crate::patches::{config, make_patch, project, submit, write_patch};
    let repo = project(&config("supervised", ""));
    // The `lint` validator fails on a TODO; two patches, two different TODOs.
    let todo_patch = |n: usize| {
        let bytes = make_patch(
            &repo,
            |r| {
                r.write(
                    "src/lib.rs",
                    format!("// TODO {n}\n{}", crate::support::SAMPLE_SOURCE),
                )
            },
            &[],
        );
        write_patch(&repo, &format!("todo-{n}.patch"), &bytes)
    };
    let (_, first, err) = submit(&repo, &todo_patch(0), "release");
    let lint = |decision: &serde_json::Value| {
        decision["validators"]
            .as_array()
            .unwrap_or_else(|| panic!("validators in {decision:#}"))
            .iter()
            .find(|v| v["name"] == "lint")
            .cloned()
            .unwrap()
    };
    assert!(
        lint(&first)["learned"]["signature"].is_object(),
        "{first:#} {err}"
    );
    let proposals = json(&repo.ok(&["rules", "propose", "--json"]));
    let proposal = proposals
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p.to_string().contains("lint"))
        .unwrap_or_else(|| panic!("the validator's failure is proposed: {proposals:#}"));
    let sha = proposal["sha256"].as_str().unwrap().to_owned();
    let accepted = json(&repo.ok(&[
        "rules",
        "accept",
        &sha,
        "--guidance",
        "resolve the TODO before submitting",
        "--json",
    ]));
    let rule = accepted["id"].as_str().unwrap().to_owned();

    let (_, second, _) = submit(&repo, &todo_patch(1), "release");
    let learned = &lint(&second)["learned"];
    assert_eq!(learned["rule"], rule.as_str(), "{second:#}");
    assert_eq!(learned["guidance"], "resolve the TODO before submitting");
    // Without --json the guidance is printed where the validator failed.
    let out = repo.run(&["patch", "submit", &todo_patch(2), "--target", "release"]);
    let text = crate::support::stdout(&out);
    assert!(
        text.contains(&format!(
            "known failure, rule {rule}: resolve the TODO before submitting"
        )),
        "{text}"
    );
}
