//! No lock-out by one bad record: signing with an untrusted key is refused, and
//! a record that reached the remote anyway can be quarantined by trusted signers.

use crate::support::{KeyInfo, Repo, stderr};

/// Sets `key = value` under `[trust]` in this clone's working-tree config.
fn set_trust(repo: &Repo, setting: &str) {
    let path = repo.path().join(".auditops.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let key = setting.split(" =").next().unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|line| !line.starts_with(&format!("{key} =")))
        .collect();
    let text = (kept.join("\n") + "\n").replacen("[trust]\n", &format!("[trust]\n{setting}\n"), 1);
    assert!(text.contains(setting), "{text}");
    std::fs::write(path, text).unwrap();
}

/// Copies `key` to `repo`'s default key path.
fn give_key(repo: &Repo, key: &KeyInfo) {
    let ssh = repo.home.path().join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::copy(&key.private_key, ssh.join("id_ed25519")).unwrap();
}

fn code(out: &std::process::Output) -> Option<i32> {
    out.status.code()
}

#[test]
fn signing_with_an_untrusted_key_is_refused_before_writing() {
    let repo = Repo::new();
    repo.setup_trusted();
    let before = repo.state_tip();
    // Another key, not in the committed list.
    let other = repo.generate_key(Some(&repo.home.path().join("other_key")));
    repo.git(&[
        "config",
        "auditops.signingKey",
        other.private_key.to_str().unwrap(),
    ]);
    let out = repo.run(&crate::support::evidence_add("src/lib.rs", "1-3", "x"));
    assert_eq!(code(&out), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&other.allowed_signers_line),
        "the line to add is printed: {}",
        stderr(&out)
    );
    assert!(stderr(&out).contains(".auditops/allowed_signers"));
    assert_eq!(repo.state_tip(), before, "nothing was written");

    set_trust(&repo, "require_trusted_signer = false");
    repo.add_evidence("recorded with an untrusted key");
    assert_ne!(repo.state_tip(), before);
}

/// A bare remote; Alice and Bob trusted, Carol not (and recording anyway).
struct Team {
    _remote: tempfile::TempDir,
    alice: Repo,
    bob: Repo,
    carol: Repo,
}

fn team(approvals: u32) -> Team {
    let alice = Repo::new();
    alice.ok(&["init"]);
    let alice_key = alice.generate_key(None);
    let scratch = Repo::new();
    let bob_key = scratch.generate_key(Some(&scratch.home.path().join("bob")));
    let carol_key = scratch.generate_key(Some(&scratch.home.path().join("carol")));
    set_trust(&alice, &format!("quarantine_approvals = {approvals}"));
    alice.trust(&[&alice_key, &bob_key]);
    let remote = alice.publish_to_new_remote();
    alice.add_evidence("alice before");
    alice.ok(&["state", "push"]);
    let bob = Repo::clone_from(remote.path());
    give_key(&bob, &bob_key);
    bob.ok(&["state", "pull"]);
    let carol = Repo::clone_from(remote.path());
    give_key(&carol, &carol_key);
    set_trust(&carol, "require_trusted_signer = false");
    carol.ok(&["state", "pull"]);
    Team {
        _remote: remote,
        alice,
        bob,
        carol,
    }
}

/// Carol's untrusted record reaches the remote; Alice's pull is refused.
fn poison(team: &Team) -> String {
    let bad = team.carol.add_evidence("carol, untrusted");
    team.carol.ok(&["state", "push"]);
    let out = team.alice.run(&["state", "pull"]);
    assert_eq!(code(&out), Some(3), "{}", stderr(&out));
    bad
}

fn all_pull_and_push(team: &Team, bad: &str) {
    // Carol only pulls: her key is still untrusted.
    team.carol.ok(&["state", "pull"]);
    for repo in [&team.alice, &team.bob] {
        repo.ok(&["state", "pull"]);
        repo.add_evidence("after the quarantine");
        repo.ok(&["state", "push"]);
    }
    for repo in [&team.alice, &team.bob] {
        repo.ok(&["state", "pull"]);
        let (exit, json) = repo.verify_json(&["--no-cache"]);
        assert_eq!(exit, Some(0), "{json}");
        assert_eq!(json["ok"], true);
        let quarantined = json["quarantined"].as_array().unwrap();
        assert_eq!(quarantined.len(), 1, "{json}");
        assert_eq!(quarantined[0]["id"], bad);
        let text = repo.ok(&["verify", "--no-cache"]);
        assert!(text.contains("quarantined (1)"), "{text}");
    }
    // A fresh clone gets the state.
    let fresh = Repo::clone_from(team._remote.path());
    fresh.ok(&["state", "pull"]);
    assert!(fresh.state_tip().is_some());
}

#[test]
fn a_quarantined_record_no_longer_locks_the_team_out() {
    let team = team(1);
    let bad = poison(&team);
    // Carol's key is not trusted: her quarantine is refused.
    let out = team.carol.run(&["quarantine", &bad, "--reason", "mine"]);
    assert_eq!(code(&out), Some(3), "{}", stderr(&out));
    // Bob pulls nothing bad yet (his clone does not have it) but quarantines it.
    let out = team.bob.ok(&[
        "quarantine",
        &bad,
        "--reason",
        "signed by an unknown key",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["records"][0]["quarantined"], true, "{json}");
    // Bob's pull carries the bad record; his own quarantine covers it.
    team.bob.ok(&["state", "pull"]);
    team.bob.ok(&["state", "push"]);
    all_pull_and_push(&team, &bad);
}

#[test]
fn a_quarantine_needs_the_configured_number_of_signers() {
    let team = team(2);
    let bad = poison(&team);
    team.alice
        .ok(&["quarantine", &bad, "--reason", "unknown key"]);
    let out = team.alice.run(&["state", "pull"]);
    assert_eq!(
        code(&out),
        Some(3),
        "one of two signers is not enough: {}",
        stderr(&out)
    );
    // Alice cannot push past the bad record: Bob gathers her quarantine from her clone.
    let alice_path = team.alice.path().to_str().unwrap().to_owned();
    team.bob.git(&["remote", "add", "alice", &alice_path]);
    team.bob.ok(&["state", "pull", "alice"]);
    let out = team.bob.run(&["state", "pull"]);
    assert_eq!(code(&out), Some(3), "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_str(
            &team
                .bob
                .ok(&["quarantine", &bad, "--reason", "agreed", "--json"]),
        )
        .unwrap();
    assert_eq!(json["records"][0]["approvals"], 2, "{json}");
    assert_eq!(json["records"][0]["quarantined"], true);
    team.bob.ok(&["state", "pull"]);
    team.bob.ok(&["state", "push"]);
    all_pull_and_push(&team, &bad);
}
