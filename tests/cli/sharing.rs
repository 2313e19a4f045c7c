//! `state push` / `state pull`: clones that append apart converge; incoming
//! records are verified before anything is merged.

use crate::support::{FIRST_SEGMENT, Repo, STATE_REF, stderr};
use predicates::prelude::*;

/// A bare remote, and two clones that trust the same two keys.
struct Team {
    remote: tempfile::TempDir,
    alice: Repo,
    bob: Repo,
}

fn team() -> Team {
    let alice = Repo::new();
    alice.ok(&["init"]);
    let alice_key = alice.generate_key(None);
    let bob_home_key = {
        // Bob's key is made in Bob's home, but trusted by the one committed list.
        let scratch = Repo::new();
        let k = scratch.generate_key(None);
        (k, scratch)
    };
    alice.trust(&[&alice_key, &bob_home_key.0]);
    let remote = alice.publish_to_new_remote();
    alice.ok(&["state", "push"]);
    let bob = Repo::clone_from(remote.path());
    // Bob signs with his own key, copied into his home.
    let bob_ssh = bob.home.path().join(".ssh");
    std::fs::create_dir_all(&bob_ssh).unwrap();
    std::fs::copy(&bob_home_key.0.private_key, bob_ssh.join("id_ed25519")).unwrap();
    Team { remote, alice, bob }
}

#[test]
fn pull_fast_forwards_a_clone_without_state() {
    let team = team();
    team.alice.add_evidence("alice 1");
    team.alice.ok(&["state", "push"]);
    assert_eq!(team.bob.state_tip(), None);
    let out: serde_json::Value =
        serde_json::from_str(&team.bob.ok(&["state", "pull", "--json"])).unwrap();
    assert_eq!(out["outcome"], "fast_forward");
    assert_eq!(out["remote"], "origin");
    assert_eq!(team.bob.state_tip(), team.alice.state_tip());
    assert_eq!(
        team.bob
            .git(&["rev-parse", "refs/auditops/remotes/origin/state"]),
        team.alice.state_tip().unwrap()
    );
    let again: serde_json::Value =
        serde_json::from_str(&team.bob.ok(&["state", "pull", "--json"])).unwrap();
    assert_eq!(again["outcome"], "up_to_date");
}

#[test]
fn clones_that_append_apart_converge_after_pulling_each_other() {
    let team = team();
    team.bob.ok(&["state", "pull"]);
    for i in 0..3 {
        team.alice.add_evidence(&format!("alice {i}"));
    }
    for i in 0..40 {
        team.bob.add_evidence(&format!("bob {i}"));
    }
    team.alice.ok(&["state", "push"]);

    // Bob cannot push over Alice's records: he is told to pull.
    team.bob
        .cmd()
        .args(["state", "push"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("git auditops state pull origin"));

    let pulled: serde_json::Value =
        serde_json::from_str(&team.bob.ok(&["state", "pull", "--json"])).unwrap();
    assert_eq!(pulled["outcome"], "merged");
    assert_eq!(pulled["arrived"], 3);
    team.bob.ok(&["state", "push"]);
    let alice_pull: serde_json::Value =
        serde_json::from_str(&team.alice.ok(&["state", "pull", "--json"])).unwrap();
    assert_eq!(alice_pull["outcome"], "fast_forward");
    assert_eq!(alice_pull["arrived"], 40);

    let ids = team.alice.record_ids();
    assert_eq!(ids.len(), 43);
    assert_eq!(ids, team.bob.record_ids());
    team.alice.ok(&["verify"]);
    team.bob.ok(&["verify"]);
    let merge = team.bob.git(&["log", "-1", "--format=%P", STATE_REF]);
    assert_eq!(
        merge.split(' ').count(),
        2,
        "a merge commit with both tips as parents"
    );
}

/// A merging B and B merging A (from the same two tips) give the same tree.
#[test]
fn merging_is_symmetric() {
    let team = team();
    team.bob.ok(&["state", "pull"]);
    for i in 0..5 {
        team.alice.add_evidence(&format!("alice {i}"));
        team.bob.add_evidence(&format!("bob {i}"));
    }
    // Alice publishes her tip, then pulls Bob's directly; Bob pulls Alice's old tip.
    team.alice.ok(&["state", "push"]);
    team.alice
        .git(&["remote", "add", "bob", team.bob.path().to_str().unwrap()]);
    team.alice.ok(&["state", "pull", "bob"]);
    team.bob.ok(&["state", "pull", "origin"]);
    let alice_tree = team
        .alice
        .git(&["rev-parse", &format!("{STATE_REF}^{{tree}}")]);
    let bob_tree = team
        .bob
        .git(&["rev-parse", &format!("{STATE_REF}^{{tree}}")]);
    assert_eq!(alice_tree, bob_tree);
    assert_ne!(
        team.alice.state_tip(),
        team.bob.state_tip(),
        "two different merge commits"
    );
    assert_eq!(team.alice.record_ids().len(), 10);
}

#[test]
fn tampered_incoming_records_are_refused_and_nothing_is_merged() {
    let team = team();
    team.bob.ok(&["state", "pull"]);
    team.alice.add_evidence("alice 1");
    team.alice.add_evidence("alice 2");
    team.alice.tamper_state(FIRST_SEGMENT, |segment| {
        let mut lines: Vec<serde_json::Value> = segment
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let last = lines.len() - 1;
        lines[last]["signatures"][0]["sig"] = lines[0]["signatures"][0]["sig"].clone();
        lines
            .iter()
            .map(|v| serde_json::to_string(v).unwrap() + "\n")
            .collect()
    });
    team.alice.git(&[
        "push",
        "-q",
        "-f",
        "origin",
        &format!("{STATE_REF}:{STATE_REF}"),
    ]);
    team.bob.add_evidence("bob");
    let before = team.bob.state_tip();
    let out = team.bob.run(&["state", "pull"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing was merged"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL"));
    assert_eq!(team.bob.state_tip(), before);
    let _ = &team.remote;
}

#[test]
fn pull_from_a_remote_without_state_and_unknown_remotes() {
    let team = team();
    let _empty = team.bob.add_bare_remote("empty");
    let out: serde_json::Value =
        serde_json::from_str(&team.bob.ok(&["state", "pull", "empty", "--json"])).unwrap();
    assert_eq!(out["outcome"], "remote_has_no_state");
    team.bob
        .cmd()
        .args(["state", "pull", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`nope` is not a configured git remote",
        ));
}
