//! `cleanup plan` and `run` for the tool's pooled worktrees and its logs past
//! retention: what someone uses or changed is never planned, a change between
//! approval and run is refused, and each deletion is audited.

use crate::patches::{config, good_patch, project, submit};
use crate::support::{Repo, STATE_REF, stderr};
use base64::Engine;

const SLOT: &str = ".git/auditops/worktrees/slot-0";

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).expect("json")
}

fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

/// The plan's actions of `kind`.
fn planned(repo: &Repo, kind: &str) -> (String, Vec<serde_json::Value>) {
    let plan = json(&repo.ok(&["cleanup", "plan", "--json"]));
    let id = plan["report_id"].as_str().unwrap().to_owned();
    let actions = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == kind)
        .cloned()
        .collect();
    (id, actions)
}

/// The predicates of the cleanup audit records in the state.
fn audit_records(repo: &Repo) -> Vec<serde_json::Value> {
    let files = repo.git(&["ls-tree", "-r", "--name-only", STATE_REF]);
    let mut out = Vec::new();
    for path in files.lines().filter(|p| p.contains("cleanup")) {
        let text = repo.git(&["show", &format!("{STATE_REF}:{path}")]);
        for line in text.lines() {
            let envelope = json(line);
            assert!(envelope["signatures"][0]["sig"].is_string(), "signed");
            let payload = base64::engine::general_purpose::STANDARD
                .decode(envelope["payload"].as_str().unwrap())
                .unwrap();
            let statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
            out.push(statement["predicate"].clone());
        }
    }
    out
}

/// Sets the file's modification time to 2020 (long past any retention).
fn age(path: &std::path::Path) {
    let ok = std::process::Command::new("touch")
        .args(["-d", "2020-01-01T00:00:00Z"])
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "touch -d");
}

#[test]
fn an_idle_clean_pooled_worktree_is_planned_and_one_in_use_or_changed_never_is() {
    let repo = project(&config("analysis_only", ""));
    let (code, _, err) = submit(&repo, &good_patch(&repo), "release");
    assert_eq!(code, Some(0), "{err}");
    let slot = repo.path().join(SLOT);
    assert!(slot.join(".git").is_file(), "the submit left a slot");
    // The user's own worktree is never a candidate.
    let user_wt = repo.home.path().join("user-wt");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        user_wt.to_str().unwrap(),
        "release",
    ]);

    let (id, actions) = planned(&repo, "pooled-worktree");
    assert_eq!(actions.len(), 1, "{actions:?}");
    let action = &actions[0];
    let canonical = std::fs::canonicalize(&slot).unwrap();
    assert!(
        action["target"].as_str().unwrap().ends_with(SLOT)
            || action["target"] == canonical.to_str().unwrap(),
        "{action}"
    );
    let head = repo.git(&["-C", slot.to_str().unwrap(), "rev-parse", "HEAD"]);
    assert_eq!(action["sha256"], sha256_hex(head.trim()));
    assert!(action["bytes"].as_u64().unwrap() > 0);
    assert_eq!(planned(&repo, "pooled-worktree").0, id, "a stable id");
    let text = repo.ok(&["cleanup", "plan"]);
    assert!(
        text.contains("  pooled-worktree "),
        "kinds print as in JSON: {text}"
    );

    // In use (the pool's busy marker is there): not planned.
    let marker = repo.path().join(".git/auditops/worktrees/slot-0.busy");
    std::fs::write(&marker, format!("pid={}\n", std::process::id())).unwrap();
    assert_eq!(
        planned(&repo, "pooled-worktree").1,
        Vec::<serde_json::Value>::new()
    );
    std::fs::remove_file(&marker).unwrap();

    // In use (another process holds the `worktrees` lock): not planned.
    let lock = repo.path().join(".git/auditops/locks/worktrees.lock");
    // `cat` holds the lock until its stdin closes: no process outlives the test.
    let mut holder = std::process::Command::new("flock")
        .arg(&lock)
        .arg("cat")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("flock");
    crate::support::wait_for("flock to hold the worktrees lock", || {
        json(&repo.ok(&["locks", "--json"]))
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["lock"] == "worktrees" && l["held"] == true)
    });
    let while_held = planned(&repo, "pooled-worktree").1;
    drop(holder.stdin.take());
    holder.wait().unwrap();
    assert_eq!(while_held, Vec::<serde_json::Value>::new());

    // With a change in it (an untracked file): not planned.
    std::fs::write(slot.join("notes.txt"), "mine\n").unwrap();
    assert_eq!(
        planned(&repo, "pooled-worktree").1,
        Vec::<serde_json::Value>::new()
    );
    std::fs::remove_file(slot.join("notes.txt")).unwrap();
    assert_eq!(planned(&repo, "pooled-worktree").0, id, "the same again");

    // A change between approval and run: refused, the slot kept.
    repo.ok(&["approve", &format!("report:{id}")]);
    std::fs::write(slot.join("src/lib.rs"), "// edited\n").unwrap();
    let tip = repo.state_tip();
    let out = repo.run(&["cleanup", "run", &id]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("plan changed"), "{}", stderr(&out));
    assert!(slot.join("src/lib.rs").exists());
    assert_eq!(repo.state_tip(), tip);
    repo.git(&["-C", slot.to_str().unwrap(), "checkout", "--", "src/lib.rs"]);

    let ran = json(&repo.ok(&["cleanup", "run", &id, "--json"]));
    let kinds: Vec<&str> = ran["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"pooled-worktree"), "{ran}");
    assert!(!slot.exists(), "the slot is deleted");
    let listed = repo.git(&["worktree", "list", "--porcelain"]);
    assert!(!listed.contains("slot-0"), "unregistered: {listed}");
    assert!(user_wt.join(".git").exists(), "the user's worktree stays");
    crate::pool::assert_git_consistent(&repo, "after cleanup run");
    let audit = audit_records(&repo);
    let record = audit
        .iter()
        .find(|p| p["action"] == "pooled-worktree")
        .expect("an audit record of the worktree");
    assert_eq!(record["sha256_before"], action["sha256"]);
    assert_eq!(record["bytes"], action["bytes"]);
    assert_eq!(record["report_id"], id.as_str());
    repo.ok(&["verify"]);
}

#[test]
fn logs_past_retention_are_planned_by_content_and_deleted_only_unchanged() {
    let repo = Repo::new();
    let key = repo.setup_trusted();
    let logs = repo.path().join(".git/auditops/logs");
    std::fs::create_dir_all(&logs).unwrap();
    let old = logs.join("aaaa-test-20200101T000000Z.log");
    let content = "test output\nok\n";
    std::fs::write(&old, content).unwrap();
    age(&old);
    let fresh = logs.join("bbbb-test-20261201T000000Z.log");
    std::fs::write(&fresh, "new\n").unwrap();

    let (id, actions) = planned(&repo, "log");
    assert_eq!(actions.len(), 1, "only the old one: {actions:?}");
    let action = &actions[0];
    assert!(
        action["target"]
            .as_str()
            .unwrap()
            .ends_with("aaaa-test-20200101T000000Z.log"),
        "{action}"
    );
    assert_eq!(action["sha256"], sha256_hex(content));
    assert_eq!(action["bytes"], content.len());
    assert!(
        action["reason"]
            .as_str()
            .unwrap()
            .contains("log_retention (720h)")
    );
    assert_eq!(planned(&repo, "log").0, id, "a stable id");

    // A longer retention keeps it.
    let config = std::fs::read_to_string(repo.path().join(".auditops.toml")).unwrap();
    repo.write(
        ".auditops.toml",
        format!("{config}\n[cleanup]\nlog_retention = \"36500d\"\n"),
    );
    repo.commit_all("keep logs for a century");
    assert!(planned(&repo, "log").1.is_empty());
    repo.write(
        ".auditops.toml",
        format!("{config}\n[cleanup]\nlog_retention = \"0d\"\n"),
    );
    repo.commit_all("a retention of nothing");
    let bad = repo.run(&["cleanup", "plan"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("log_retention"), "{}", stderr(&bad));
    repo.write(".auditops.toml", &config);
    repo.commit_all("the default retention");
    assert_eq!(planned(&repo, "log").0, id, "the same plan again");

    // Changed since the approval (same age, other content): refused.
    repo.ok(&["approve", &format!("report:{id}")]);
    std::fs::write(&old, "test output\nFAILED\n").unwrap();
    age(&old);
    let tip = repo.state_tip();
    let out = repo.run(&["cleanup", "run", &id]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("plan changed"), "{}", stderr(&out));
    assert!(old.exists());
    assert_eq!(repo.state_tip(), tip);
    std::fs::write(&old, content).unwrap();
    age(&old);

    let ran = json(&repo.ok(&["cleanup", "run", &id, "--json"]));
    assert_eq!(ran["actions"].as_array().unwrap().len(), 1, "{ran}");
    assert!(!old.exists(), "deleted");
    assert!(fresh.exists(), "within retention: kept");
    let audit = audit_records(&repo);
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["action"], "log");
    assert_eq!(audit[0]["sha256_before"], sha256_hex(content));
    assert_eq!(audit[0]["operator"], key.keyid.as_str());
    repo.ok(&["verify"]);
}

/// A pull request the tool opened and someone closed on GitHub: the next sync
/// records how it ended, and `cleanup plan` then proposes its branch (merged or
/// not); a branch whose pull request is open is never proposed.
#[test]
fn the_branch_of_a_pull_request_closed_on_github_is_planned_after_a_sync() {
    use crate::github_support::Project;
    use git_auditops::outbox::OpKind;
    let p = Project::new("");
    let key = p.repo.generate_key(None);
    p.repo.trust(&[&key]);
    let origin = tempfile::tempdir().unwrap();
    let ok = std::process::Command::new("git")
        .args(["init", "-q", "--bare"])
        .arg(origin.path())
        .status()
        .unwrap()
        .success();
    assert!(ok);
    p.repo
        .git(&["remote", "add", "origin", origin.path().to_str().unwrap()]);
    p.fake.check_branches_in(origin.path());
    let heads = [
        "auditops/patch/aa11-main",
        "auditops/patch/bb22-main",
        "auditops/patch/cc33-main",
    ];
    for head in heads {
        p.repo.git(&["checkout", "-q", "-b", head]);
        p.repo.write("src/fix.rs", format!("// {head}\n"));
        p.repo.commit_all("the patch");
        p.repo.git(&["checkout", "-q", "main"]);
        p.queue(
            OpKind::CreatePullRequest,
            &format!("pr:{head}"),
            serde_json::json!({
                "head": head, "base": "main", "title": format!("Fix {head}"),
                "patch_id": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "decision_id": "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
                "decision": "pull_request", "confidence": 0.9, "validators": [],
                "reason": "validators passed", "auto_merge": false
            }),
        );
    }
    p.sync();
    let pulls = p.fake.pulls("octo/demo");
    assert_eq!(pulls.len(), 3);
    let number = |head: &str| pulls.iter().find(|x| x.head == head).unwrap().number;
    assert!(planned(&p.repo, "patch-branch").1.is_empty(), "all open");

    p.fake.close_pull("octo/demo", number(heads[0]), false);
    p.fake.close_pull("octo/demo", number(heads[1]), true);
    let report = p.sync();
    let mut results: Vec<&str> = report["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["result"].as_str().unwrap())
        .collect();
    // The outbox's order (queued in the same second or not) is not the point.
    results.sort();
    assert_eq!(results, ["closed_unmerged", "merged"], "{report}");
    let again = p.sync();
    assert!(
        again["operations"].as_array().unwrap().is_empty(),
        "recorded once: {again}"
    );

    let (id, actions) = planned(&p.repo, "patch-branch");
    let targets: Vec<&str> = actions
        .iter()
        .map(|a| a["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        [
            format!("refs/heads/{}", heads[0]),
            format!("refs/heads/{}", heads[1])
        ],
        "{actions:?}"
    );
    let closed = format!("#{} was closed without merging", number(heads[0]));
    assert!(
        actions[0]["reason"].as_str().unwrap().contains(&closed),
        "{actions:?}"
    );
    assert!(
        actions[1]["reason"]
            .as_str()
            .unwrap()
            .contains("was merged")
    );
    let tip = p.repo.git(&["rev-parse", heads[0]]);
    assert_eq!(actions[0]["sha256"], sha256_hex(tip.trim()));

    // The branch moved after the approval: refused.
    p.repo.ok(&["approve", &format!("report:{id}")]);
    p.repo.git(&["branch", "-f", heads[0], "main"]);
    let out = p.repo.run(&["cleanup", "run", &id]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("plan changed"), "{}", stderr(&out));
    p.repo.git(&["branch", "-f", heads[0], tip.trim()]);

    let ran = json(&p.repo.ok(&["cleanup", "run", &id, "--json"]));
    assert_eq!(ran["actions"].as_array().unwrap().len(), 2, "{ran}");
    let gone = |h: &str| {
        let out = std::process::Command::new("git")
            .current_dir(p.repo.path())
            .args(["rev-parse", "--verify", "-q", &format!("refs/heads/{h}")])
            .output()
            .unwrap();
        !out.status.success()
    };
    assert!(gone(heads[0]) && gone(heads[1]));
    assert!(!gone(heads[2]), "the open one stays");
    let audit = audit_records(&p.repo);
    assert_eq!(audit.len(), 2);
    assert!(
        audit
            .iter()
            .all(|a| a["action"] == "patch-branch" && a["operator"] == key.keyid.as_str())
    );
    p.repo.ok(&["verify"]);
}

/// A deletion that fails stops the run; what was deleted before it is still
/// audited, and what was not is still planned.
#[test]
fn a_failed_deletion_leaves_the_earlier_ones_audited() {
    let repo = Repo::new();
    repo.setup_trusted();
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
    repo.git(&["update-ref", "refs/auditops/remotes/gone1/state", &head]);
    repo.git(&["update-ref", "refs/auditops/remotes/gone2/state", &head]);
    let (id, actions) = planned(&repo, "remote-state-ref");
    assert_eq!(actions.len(), 2);
    repo.ok(&["approve", &format!("report:{id}")]);
    // git's own lock on the second ref: its deletion fails.
    let lock = repo
        .path()
        .join(".git/refs/auditops/remotes/gone2/state.lock");
    std::fs::write(&lock, "").unwrap();
    let out = repo.run(&["cleanup", "run", &id]);
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("refs/auditops/remotes/gone2/state"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_file(&lock).unwrap();
    let audit = audit_records(&repo);
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["target"], "refs/auditops/remotes/gone1/state");
    let (_, left) = planned(&repo, "remote-state-ref");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["target"], "refs/auditops/remotes/gone2/state");
}
