//! `init`, `config check`, `key generate`/`key show`, and running outside a repository.

use crate::support;
use crate::support::{Repo, assert_stderr_contains, evidence_add, stderr, stdout};
use predicates::prelude::*;
use std::os::unix::fs::PermissionsExt;

#[test]
fn init_writes_config_and_state_ref_and_is_idempotent() {
    let repo = Repo::new();
    let first: serde_json::Value = serde_json::from_str(&repo.ok(&["init", "--json"])).unwrap();
    assert_eq!(first["config_written"], true);
    assert_eq!(first["state_created"], true);
    let config = std::fs::read_to_string(repo.path().join(".auditops.toml")).unwrap();
    assert!(
        config.contains("[trust]") && config.contains("# "),
        "commented template"
    );
    let tip = repo.state_tip().expect("state ref exists");
    assert_eq!(
        repo.git(&["cat-file", "-p", &format!("{tip}:VERSION")]),
        "2"
    );

    std::fs::write(repo.path().join(".auditops.toml"), "# mine\nversion = 1\n").unwrap();
    let second: serde_json::Value = serde_json::from_str(&repo.ok(&["init", "--json"])).unwrap();
    assert_eq!(second["config_written"], false);
    assert_eq!(second["state_created"], false);
    assert_eq!(repo.state_tip().unwrap(), tip, "init must not write again");
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".auditops.toml")).unwrap(),
        "# mine\nversion = 1\n",
        "an existing config is never rewritten"
    );
}

#[test]
fn config_check_names_file_line_and_key() {
    let repo = Repo::new();
    repo.ok(&["init"]);
    repo.write(
        ".auditops.toml",
        "version = 1\n\n[trust]\nallowed_signers = \"x\"\nrequire_signd = true\n",
    );
    repo.cmd()
        .args(["config", "check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            ".auditops.toml:5: key `trust.require_signd`",
        ))
        .stderr(predicate::str::contains("unknown field"));

    repo.write(
        ".auditops.toml",
        "version = 1\n[state]\nref = \"refs/heads/main\"\n",
    );
    repo.cmd()
        .args(["config", "check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            ".auditops.toml:3: key `state.ref`",
        ));

    repo.write(".auditops.toml", "version = 1\n");
    let out = repo.ok(&["config", "check", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["ok"], true);
}

#[test]
fn config_check_without_a_file_says_how_to_create_one() {
    let repo = Repo::new();
    repo.cmd()
        .args(["config", "check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("git auditops init"));
}

#[test]
fn malformed_config_stops_init_and_evidence_without_touching_state() {
    let repo = Repo::new();
    let key = repo.setup_trusted();
    let _ = key;
    let before = repo.state_tip();
    repo.write(".auditops.toml", "version = 1\n[trust\n");
    for args in [
        vec!["init"],
        evidence_add("src/lib.rs", "1-2", "d").to_vec(),
        vec!["verify"],
    ] {
        let out = repo.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert_stderr_contains(&out, ".auditops.toml:2");
    }
    assert_eq!(repo.state_tip(), before);
}

#[test]
fn key_generate_writes_a_private_key_0600_and_never_overwrites() {
    let repo = Repo::new();
    let out = repo.ok(&["key", "generate"]);
    let private = repo.home.path().join(".ssh/id_ed25519");
    let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let public = std::fs::read_to_string(repo.home.path().join(".ssh/id_ed25519.pub")).unwrap();
    assert!(
        public.starts_with("ssh-ed25519 AAAA") && public.trim_end().ends_with("tester@example.com")
    );
    assert!(
        out.contains("tester@example.com namespaces=\"auditops,git\" ssh-ed25519 AAAA"),
        "{out}"
    );
    // ssh-keygen reads what we wrote.
    let fp = std::process::Command::new("ssh-keygen")
        .arg("-lf")
        .arg(&private)
        .output()
        .unwrap();
    assert!(fp.status.success());
    let show: serde_json::Value =
        serde_json::from_str(&repo.ok(&["key", "show", "--json"])).unwrap();
    assert!(String::from_utf8_lossy(&fp.stdout).contains(show["fingerprint"].as_str().unwrap()));
    assert_eq!(show["source"], "default_path");
    assert_eq!(show["trusted"], false);

    let before = std::fs::read(&private).unwrap();
    repo.cmd()
        .args(["key", "generate"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(std::fs::read(&private).unwrap(), before);
}

#[test]
fn key_show_follows_the_lookup_order() {
    let repo = Repo::new();
    repo.cmd()
        .args(["key", "show"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no signing key found"))
        .stderr(predicate::str::contains("git auditops key generate"));

    // git's own ssh signing key is used when it is an ed25519 key...
    let git_key = repo.home.path().join("keys/git_signing");
    repo.generate_key(Some(&git_key));
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&[
        "config",
        "user.signingKey",
        &format!("{}.pub", git_key.display()),
    ]);
    let show: serde_json::Value =
        serde_json::from_str(&repo.ok(&["key", "show", "--json"])).unwrap();
    assert_eq!(show["source"], "git_user_signing_key");
    assert_eq!(show["path"], git_key.display().to_string());

    // ...and auditops.signingKey wins over it.
    let ours = repo.home.path().join("keys/auditops");
    let generated = repo.generate_key(Some(&ours));
    repo.git(&["config", "auditops.signingKey", ours.to_str().unwrap()]);
    let show: serde_json::Value =
        serde_json::from_str(&repo.ok(&["key", "show", "--json"])).unwrap();
    assert_eq!(show["source"], "auditops_signing_key");
    assert_eq!(show["keyid"], generated.keyid);
}

#[test]
fn passphrase_protected_keys_read_the_environment() {
    let repo = Repo::new();
    repo.ok(&["init"]);
    let path = repo.home.path().join("keys/locked");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let made = std::process::Command::new("ssh-keygen")
        .args([
            "-q", "-t", "ed25519", "-a", "2", "-N", "s3cret", "-C", "locked", "-f",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    repo.git(&["config", "auditops.signingKey", path.to_str().unwrap()]);
    let public = std::fs::read_to_string(format!("{}.pub", path.display())).unwrap();
    repo.write(
        ".auditops/allowed_signers",
        format!("tester@example.com {public}"),
    );
    repo.commit_all("trust locked key");
    let before = repo.state_tip();

    let add = evidence_add("src/lib.rs", "1", "d");
    let out = repo.cmd().args(add).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_stderr_contains(&out, "AUDITOPS_KEY_PASSPHRASE");
    let out = repo
        .cmd()
        .args(add)
        .env("AUDITOPS_KEY_PASSPHRASE", "wrong")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_stderr_contains(&out, "wrong passphrase");
    assert_eq!(repo.state_tip(), before, "nothing recorded");

    records_with_passphrase(&repo, "s3cret");
}

/// `evidence add` signs with the passphrase from the environment, and it verifies.
fn records_with_passphrase(repo: &Repo, passphrase: &str) {
    repo.cmd()
        .args(evidence_add("src/lib.rs", "1", "d"))
        .env("AUDITOPS_KEY_PASSPHRASE", passphrase)
        .assert()
        .success();
    repo.ok(&["verify"]);
}

#[test]
fn every_command_outside_a_repository_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["verify"],
        vec!["init"],
        vec!["evidence", "list"],
        vec!["key", "show"],
    ] {
        let mut cmd = std::process::Command::new(support::BIN);
        support::isolate(&mut cmd, dir.path());
        let out = cmd
            .current_dir(dir.path())
            .env("GIT_CEILING_DIRECTORIES", dir.path())
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_stderr_contains(&out, "not a git repository");
    }
}

#[test]
fn dash_c_runs_in_another_directory() {
    let repo = Repo::new();
    let elsewhere = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(support::BIN);
    support::isolate(&mut cmd, repo.home.path());
    let out = cmd
        .current_dir(elsewhere.path())
        .arg("-C")
        .arg(repo.path())
        .args(["init", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(repo.state_tip().is_some());
    assert!(stdout(&out).contains("state_created"));
}

#[test]
fn help_and_bad_flags() {
    let repo = Repo::new();
    repo.cmd()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("evidence"));
    repo.cmd()
        .args(["evidence", "add", "--bogus"])
        .assert()
        .code(2);
}

#[test]
fn init_leads_to_the_next_step_for_the_signing_key() {
    let repo = Repo::new();
    let none = repo.ok(&["init"]);
    assert!(none.contains("git auditops key generate"), "{none}");
    // A key that is configured but cannot be read does not stop init; it is named.
    repo.git(&["config", "auditops.signingKey", "/nonexistent/key"]);
    let broken = repo.run(&["init"]);
    assert!(broken.status.success(), "{}", stderr(&broken));
    assert_stderr_contains(
        &broken,
        "warning: signing key: cannot read the signing key /nonexistent/key",
    );
    repo.git(&["config", "--unset", "auditops.signingKey"]);

    let key = repo.generate_key(None);
    let untrusted = repo.ok(&["init"]);
    assert!(!untrusted.contains("key generate"), "{untrusted}");
    assert!(untrusted.contains("not trusted at HEAD"), "{untrusted}");
    assert!(untrusted.contains(&key.allowed_signers_line), "{untrusted}");
    assert!(untrusted.contains("commit it"), "{untrusted}");

    // In the working tree only is not enough: trust is read from HEAD.
    repo.write(
        ".auditops/allowed_signers",
        format!("{}\n", key.allowed_signers_line),
    );
    assert!(repo.ok(&["init"]).contains("not trusted at HEAD"));
    repo.commit_all("trust my key");
    let trusted = repo.ok(&["init"]);
    assert!(
        trusted.contains("trusted at HEAD as tester@example.com"),
        "{trusted}"
    );
    assert!(
        !trusted.contains("not trusted") && !trusted.contains("key generate"),
        "{trusted}"
    );
    let json: serde_json::Value = serde_json::from_str(&repo.ok(&["init", "--json"])).unwrap();
    assert_eq!(json["signing_key"]["state"], "found");
    assert_eq!(json["signing_key"]["trusted"], true);
    assert_eq!(json["signing_key"]["keyid"], key.keyid);
}

/// Whether `ssh-keygen` reads the private key `path` with `passphrase`.
fn opens_with(path: &std::path::Path, passphrase: &str) -> bool {
    std::process::Command::new("ssh-keygen")
        .args(["-y", "-P", passphrase, "-f"])
        .arg(path)
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn key_generate_says_whether_the_key_has_a_passphrase() {
    let repo = Repo::new();
    repo.ok(&["init"]);
    // Scripts: --no-passphrase, even with the variable set.
    let flagged = repo.home.path().join("keys/flagged");
    let out = repo
        .cmd()
        .args(["key", "generate", "--no-passphrase", "--json", "--out"])
        .arg(&flagged)
        .env("AUDITOPS_KEY_PASSPHRASE", "ignored")
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["passphrase_protected"], false);
    assert_eq!(json["passphrase_from"], "no_passphrase_flag");
    assert!(opens_with(&flagged, ""));

    // Standard input is not a terminal here: nothing is asked, and it says so.
    let piped = repo.home.path().join("keys/piped");
    let text = repo.ok(&["key", "generate", "--out", piped.to_str().unwrap()]);
    assert!(
        text.contains("no passphrase (standard input is not a terminal"),
        "{text}"
    );
    assert!(opens_with(&piped, ""));

    // AUDITOPS_KEY_PASSPHRASE protects a new key, and signing reads it back.
    let locked = repo.home.path().join("keys/locked");
    let out = repo
        .cmd()
        .args(["key", "generate", "--out"])
        .arg(&locked)
        .env("AUDITOPS_KEY_PASSPHRASE", "s3cret")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("protected by a passphrase"),
        "{}",
        stdout(&out)
    );
    assert!(opens_with(&locked, "s3cret") && !opens_with(&locked, ""));
    repo.git(&["config", "auditops.signingKey", locked.to_str().unwrap()]);
    let line = repo.ok(&["key", "show", "--signers-line"]);
    repo.write(".auditops/allowed_signers", line);
    repo.commit_all("trust the locked key");
    // Which key, and whether it is trusted, needs no passphrase.
    assert!(repo.ok(&["init"]).contains("trusted at HEAD"));
    let add = evidence_add("src/lib.rs", "1", "d");
    let refused = repo.cmd().args(add).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert_stderr_contains(&refused, "AUDITOPS_KEY_PASSPHRASE");
    records_with_passphrase(&repo, "s3cret");
}
