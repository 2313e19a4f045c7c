//! Evidence outlives its commit: the state keeps the quoted file's blob
//! (`kept/`), `state push`/`pull` carry it, and `verify` checks the quoted
//! lines against it once the commit is rewritten away and collected.

use crate::support::{Repo, STATE_REF, evidence_add};

fn has_object(repo: &Repo, id: &str) -> bool {
    let mut cmd = std::process::Command::new("git");
    crate::support::isolate(&mut cmd, repo.home.path());
    cmd.current_dir(repo.path())
        .args(["cat-file", "-e", id])
        .output()
        .is_ok_and(|out| out.status.success())
}

#[test]
fn evidence_on_a_commit_rewritten_away_and_collected_verifies_here_and_in_a_fresh_clone() {
    let repo = Repo::new();
    repo.setup_trusted();
    let remote = repo.publish_to_new_remote();
    repo.write("src/gone.rs", "fn gone() {}\nfn also_gone() {}\n");
    let doomed = repo.commit_all("a commit that will be rewritten away");
    let id = repo
        .ok(&evidence_add(
            "src/gone.rs",
            "1-2",
            "quoted from a doomed commit",
        ))
        .trim()
        .to_owned();
    repo.ok(&["state", "push"]);

    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.git(&["reflog", "expire", "--expire=now", "--all"]);
    repo.git(&["gc", "-q", "--prune=now"]);
    assert!(!has_object(&repo, &doomed), "the commit must be gone");

    for (who, clone) in [
        ("here", &repo),
        ("fresh clone", &Repo::clone_from(remote.path())),
    ] {
        if who == "fresh clone" {
            clone.ok(&["state", "pull"]);
            assert!(!has_object(clone, &doomed), "the clone never had it");
        }
        let (code, report) = clone.verify_json(&["--no-cache"]);
        assert_eq!(code, Some(0), "{who}: {report:#}");
        assert_eq!(report["ok"], true, "{who}");
        let notes = report["notes"].as_array().unwrap();
        assert_eq!(notes.len(), 1, "{who}: {report:#}");
        assert_eq!(notes[0]["id"], id.as_str());
        let reason = notes[0]["reason"].as_str().unwrap();
        assert!(
            reason.contains(&doomed) && reason.contains("copy the state keeps"),
            "{who}: {reason}"
        );
        let text = clone.ok(&["verify", "--no-cache"]);
        assert!(text.contains(&format!("note  {id}")), "{who}: {text}");
    }
}

#[test]
fn kept_content_still_has_to_match_the_signed_hash() {
    let repo = Repo::new();
    repo.setup_trusted();
    repo.write("src/gone.rs", "fn gone() {}\n");
    let doomed = repo.commit_all("doomed");
    repo.ok(&evidence_add("src/gone.rs", "1-1", "quoted"));
    // Point the kept entry at other content, as a forger with push access could.
    let kept = repo.git(&["ls-tree", "-r", "--name-only", STATE_REF, "kept"]);
    let path = kept.lines().next().expect("one kept file").to_owned();
    repo.tamper_state(&path, |_| "fn forged() {}".to_owned());
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.git(&["reflog", "expire", "--expire=now", "--all"]);
    repo.git(&["gc", "-q", "--prune=now"]);
    assert!(!has_object(&repo, &doomed));
    let (code, report) = repo.verify_json(&["--no-cache"]);
    assert_eq!(code, Some(3), "{report:#}");
    let reason = report["failures"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("copy the state keeps"), "{reason}");
}

#[test]
fn a_version_1_state_still_verifies_and_the_next_write_upgrades_it() {
    let repo = Repo::new();
    repo.setup_trusted();
    repo.add_evidence("recorded by version 1");
    // The same state as version 1 wrote it: no kept/, VERSION 1, one root commit.
    let index = repo.home.path().join("v1-index");
    let index = index.to_str().unwrap();
    let env = [("GIT_INDEX_FILE", index)];
    repo.git_with(&["read-tree", STATE_REF], &env);
    repo.git_with(&["rm", "-q", "-r", "--cached", "kept"], &env);
    let version = repo.home.path().join("version");
    std::fs::write(&version, "1\n").unwrap();
    let blob = repo.git(&["hash-object", "-w", version.to_str().unwrap()]);
    repo.git_with(
        &[
            "update-index",
            "--cacheinfo",
            &format!("100644,{blob},VERSION"),
        ],
        &env,
    );
    let tree = repo.git_with(&["write-tree"], &env);
    let v1 = repo.git(&["commit-tree", &tree, "-m", "v1 state"]);
    repo.git(&["update-ref", STATE_REF, &v1]);

    let (code, report) = repo.verify_json(&["--no-cache"]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["records"], 1);

    repo.write("src/lib.rs", "pub fn more() {}\n");
    repo.commit_all("more");
    repo.ok(&evidence_add("src/lib.rs", "1-1", "after the upgrade"));
    let tip = repo.state_tip().unwrap();
    assert_eq!(
        repo.git(&["cat-file", "-p", &format!("{tip}:VERSION")]),
        "2"
    );
    assert!(
        !repo
            .git(&["ls-tree", "-r", "--name-only", &tip, "kept"])
            .is_empty()
    );
    let (code, report) = repo.verify_json(&["--no-cache"]);
    assert_eq!(code, Some(0), "{report:#}");
}
