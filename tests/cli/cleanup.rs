//! `cleanup plan`, `approve report:ID` and `cleanup run ID [--dry-run]`:
//! deletions run only as an exact, approved plan and leave signed audit records.

use base64::Engine;

use crate::support::{Repo, STATE_REF, stderr, stdout};

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).expect("json")
}

/// The plan's patch-branch actions (a submit also leaves a pooled worktree,
/// planned as a kind of its own: see `cleanup_kinds`).
fn patch_branches(plan: &serde_json::Value) -> Vec<serde_json::Value> {
    let actions = plan["actions"].as_array().unwrap().iter();
    actions
        .filter(|a| a["kind"] == "patch-branch")
        .cloned()
        .collect()
}

fn ref_exists(repo: &Repo, name: &str) -> bool {
    repo.cmd_git_ok(&["rev-parse", "--verify", "-q", name])
}

impl Repo {
    fn cmd_git_ok(&self, args: &[&str]) -> bool {
        std::process::Command::new("git")
            .current_dir(self.path())
            .args(args)
            .output()
            .expect("git")
            .status
            .success()
    }
}

#[test]
fn only_an_exact_approved_plan_runs_and_each_action_is_audited() {
    let repo = Repo::new();
    let key = repo.setup_trusted();
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
    repo.git(&["update-ref", "refs/auditops/remotes/gone/state", &head]);
    repo.git(&["remote", "add", "kept", "/nonexistent/kept.git"]);
    repo.git(&["update-ref", "refs/auditops/remotes/kept/state", &head]);
    // A patch branch the user has checked out is never planned.
    repo.git(&["checkout", "-q", "-b", "auditops/patch/0123456789ab"]);

    let plan = json(&repo.ok(&["cleanup", "plan", "--json"]));
    let id = plan["report_id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 64);
    let actions = plan["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 1, "{plan}");
    let action = &actions[0];
    assert_eq!(action["kind"], "remote-state-ref");
    assert_eq!(action["target"], "refs/auditops/remotes/gone/state");
    assert_eq!(
        action["sha256"],
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&head))
    );
    assert!(action["reason"].as_str().unwrap().contains("gone"));
    assert_eq!(action["bytes"], 41);
    // The same situation gives the same id.
    let again = json(&repo.ok(&["cleanup", "plan", "--json"]));
    assert_eq!(again["report_id"], id.as_str());

    // No approval yet: refused, nothing deleted, nothing recorded.
    let tip = repo.state_tip();
    let out = repo.run(&["cleanup", "run", &id]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("0 of 1 approvals"),
        "{}",
        stderr(&out)
    );
    assert!(ref_exists(&repo, "refs/auditops/remotes/gone/state"));
    assert_eq!(repo.state_tip(), tip);

    repo.ok(&["approve", &format!("report:{id}"), "--note", "stale remote"]);

    // A dry run checks everything and changes nothing.
    let tip = repo.state_tip();
    let dry = json(&repo.ok(&["cleanup", "run", &id, "--dry-run", "--json"]));
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        dry["actions"][0]["target"],
        "refs/auditops/remotes/gone/state"
    );
    assert!(ref_exists(&repo, "refs/auditops/remotes/gone/state"));
    assert_eq!(repo.state_tip(), tip);

    // Something changed since the approval: refused, saying so.
    repo.git(&["update-ref", "refs/auditops/remotes/gone2/state", &head]);
    let out = repo.run(&["cleanup", "run", &id]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("plan changed"), "{}", stderr(&out));
    assert!(ref_exists(&repo, "refs/auditops/remotes/gone/state"));
    assert_eq!(repo.state_tip(), tip);
    repo.git(&["update-ref", "-d", "refs/auditops/remotes/gone2/state"]);

    let done = json(&repo.ok(&["cleanup", "run", &id, "--json"]));
    assert_eq!(done["dry_run"], false);
    assert_eq!(done["approvers"][0], key.keyid.as_str());
    assert!(!ref_exists(&repo, "refs/auditops/remotes/gone/state"));
    assert!(ref_exists(&repo, "refs/auditops/remotes/kept/state"));
    assert!(ref_exists(&repo, "refs/heads/auditops/patch/0123456789ab"));

    // One signed audit record per action, naming everything the issue asks.
    let files = repo.git(&["ls-tree", "-r", "--name-only", STATE_REF]);
    let audit: Vec<&str> = files.lines().filter(|p| p.contains("cleanup")).collect();
    assert_eq!(audit.len(), 1, "{files}");
    let line = repo.git(&["show", &format!("{STATE_REF}:{}", audit[0])]);
    let envelope = json(line.lines().next().unwrap());
    let payload = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    let statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    let p = &statement["predicate"];
    assert_eq!(p["action"], "remote-state-ref");
    assert_eq!(p["target"], "refs/auditops/remotes/gone/state");
    assert_eq!(p["bytes"], 41);
    assert_eq!(p["sha256_before"], action["sha256"]);
    assert_eq!(p["report_id"], id.as_str());
    assert_eq!(p["approvers"][0], key.keyid.as_str());
    assert_eq!(p["operator"], key.keyid.as_str());
    assert!(envelope["signatures"][0]["sig"].is_string());
    repo.ok(&["verify"]);

    // Nothing left: an empty plan with an id of its own.
    let empty = json(&repo.ok(&["cleanup", "plan", "--json"]));
    assert_eq!(empty["actions"].as_array().unwrap().len(), 0);
    assert_ne!(empty["report_id"], id.as_str());
    assert!(stdout(&repo.run(&["cleanup", "plan"])).contains("nothing to clean up"));
}

#[test]
fn approvals_from_distinct_trusted_signers_are_counted_against_the_config() {
    let repo = Repo::new();
    repo.setup_trusted();
    let config = std::fs::read_to_string(repo.path().join(".auditops.toml")).unwrap();
    repo.write(
        ".auditops.toml",
        format!("{config}\n[cleanup]\napprovals = 2\n"),
    );
    repo.commit_all("two approvals");
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
    repo.git(&["update-ref", "refs/auditops/remotes/gone/state", &head]);
    let id = json(&repo.ok(&["cleanup", "plan", "--json"]))["report_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The same signer twice is still one approver.
    repo.ok(&["approve", &format!("report:{id}")]);
    repo.ok(&["approve", &format!("report:{id}"), "--note", "again"]);
    let out = repo.run(&["cleanup", "run", &id]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("1 of 2 approvals"),
        "{}",
        stderr(&out)
    );
    assert!(ref_exists(&repo, "refs/auditops/remotes/gone/state"));
    let bad = repo.run(&["approve", "report:nothex"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// A patch branch is planned once the state says it is done with: here a pull
/// request opened at submit whose branch is then merged into its target.
#[test]
fn a_patch_branch_merged_into_its_target_is_planned_and_deleted() {
    use crate::patches::{config, good_patch, project, submit};
    let repo = project(&config("automatic", ""));
    let (code, decided, err) = submit(&repo, &good_patch(&repo), "main");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(decided["decision"], "pull_request", "{decided}");
    let branch = decided["branch"].as_str().unwrap().to_owned();
    let full = format!("refs/heads/{branch}");

    let plan = json(&repo.ok(&["cleanup", "plan", "--json"]));
    assert!(patch_branches(&plan).is_empty(), "not merged yet: {plan}");

    repo.git(&["merge", "-q", "--ff-only", &branch]);
    let plan = json(&repo.ok(&["cleanup", "plan", "--json"]));
    let actions = patch_branches(&plan);
    assert_eq!(actions.len(), 1, "{plan}");
    assert_eq!(actions[0]["kind"], "patch-branch");
    assert_eq!(actions[0]["target"], full.as_str());
    assert!(
        actions[0]["reason"]
            .as_str()
            .unwrap()
            .contains("merged into `main`"),
        "{plan}"
    );

    let id = plan["report_id"].as_str().unwrap().to_owned();
    repo.ok(&["approve", &format!("report:{id}")]);
    let ran = json(&repo.ok(&["cleanup", "run", &id, "--json"]));
    assert_eq!(ran["actions"][0]["target"], full.as_str(), "{ran}");
    assert!(!ref_exists(&repo, &full), "the merged branch is gone");
    repo.ok(&["verify"]);
}

/// A queue item approved while its target is checked out leaves a branch for
/// the pull request; once the item is resolved the branch is planned.
#[test]
fn the_branch_of_a_resolved_queue_item_is_planned() {
    use crate::patches::{config, project, submit, todo_patch, write_patch};
    let repo = project(&config("automatic", ""));
    let patch = write_patch(&repo, "todo.patch", &todo_patch(&repo));
    let (code, queued, err) = submit(&repo, &patch, "main");
    assert_eq!(code, Some(0), "{err}");
    let item = queued["queue_item"].as_str().expect("queued").to_owned();
    let approved = json(&repo.ok(&[
        "queue",
        "approve",
        &item,
        "--override",
        "reviewed by hand",
        "--json",
    ]));
    let branch = approved["branch"].as_str().expect("a branch").to_owned();

    let plan = json(&repo.ok(&["cleanup", "plan", "--json"]));
    let actions = patch_branches(&plan);
    assert_eq!(actions.len(), 1, "{plan}");
    assert_eq!(actions[0]["kind"], "patch-branch");
    assert_eq!(
        actions[0]["target"],
        format!("refs/heads/{branch}").as_str()
    );
    assert!(
        actions[0]["reason"]
            .as_str()
            .unwrap()
            .contains("queue item is resolved"),
        "{plan}"
    );
}
