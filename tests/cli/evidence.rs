//! `evidence add`, `evidence list`, `evidence export` through the real binary.

use crate::support;
use crate::support::{Repo, STATE_REF, evidence_add, stderr};
use predicates::prelude::*;
use sha2::{Digest, Sha256};

#[test]
fn add_records_every_field_from_the_commit() {
    let repo = Repo::new();
    let key = repo.setup_trusted();
    let head = repo.git(&["rev-parse", "HEAD"]);
    // The working tree differs from HEAD: evidence must come from the commit.
    repo.write("src/lib.rs", "changed in the working tree only\n");
    let id = repo.ok(&[
        "evidence",
        "add",
        "--phase",
        "2",
        "--file",
        "src/lib.rs",
        "--lines",
        "5-6",
        "--description",
        "sub is implemented",
        "--id",
        "EV-sub",
    ]);
    let list = repo.evidence_json();
    assert_eq!(list.len(), 1);
    let e = &list[0];
    assert_eq!(e["id"], id.trim());
    assert_eq!(e["evidence_id"], "EV-sub");
    assert_eq!(e["phase"], 2);
    assert_eq!(e["file"], "src/lib.rs");
    assert_eq!(e["lines"], "5-6");
    assert_eq!(e["description"], "sub is implemented");
    let expected = "pub fn sub(a: i32, b: i32) -> i32 {\n    a - b";
    assert_eq!(e["code_snippet"], expected);
    assert_eq!(e["sha256"], hex::encode(Sha256::digest(expected)));
    assert_eq!(e["git_commit"], head);
    assert_eq!(e["keyid"], key.keyid);
    let ts = e["timestamp"].as_str().unwrap();
    assert!(
        ts.ends_with('Z') && ts.len() == 20,
        "RFC 3339 UTC seconds: {ts}"
    );
    let message = repo.git(&["log", "-1", "--format=%s", STATE_REF]);
    assert_eq!(
        message,
        "evidence: add 1 record (phase 2, src/lib.rs lines 5-6)"
    );
}

#[test]
fn add_reads_the_file_at_rev_and_paths_relative_to_the_current_directory() {
    let repo = Repo::new();
    repo.setup_trusted();
    let old = repo.git(&["rev-parse", "HEAD~1"]);
    repo.write("src/lib.rs", "fn newer() {}\n");
    repo.commit_all("change");
    let out = repo
        .cmd()
        .current_dir(repo.path().join("src"))
        .args([
            "evidence",
            "add",
            "--phase",
            "1",
            "--file",
            "lib.rs",
            "--lines",
            "2",
            "--description",
            "old",
            "--rev",
            &old,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let e = &repo.evidence_json()[0];
    assert_eq!(e["file"], "src/lib.rs");
    assert_eq!(e["git_commit"], old);
    assert_eq!(e["code_snippet"], "    a + b");
}

#[test]
fn bad_input_exits_2_and_leaves_the_state_ref_alone() {
    let repo = Repo::new();
    repo.setup_trusted();
    repo.write("bin/blob.dat", b"\x00\x01\x02binary\n");
    repo.write("dir/inner.txt", "x\n");
    repo.commit_all("binary and dir");
    let before = repo.state_tip();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--file", "src/lib.rs", "--lines", "5-99"],
            "out of range: `src/lib.rs` has 7 line(s)",
        ),
        (
            &["--file", "src/absent.rs", "--lines", "1-2"],
            "does not exist at HEAD",
        ),
        (&["--file", "bin/blob.dat", "--lines", "1"], "binary"),
        (&["--file", "dir", "--lines", "1"], "not a regular file"),
        (&["--file", "src/lib.rs", "--lines", "3-1"], "--lines"),
        (
            &[
                "--file",
                "src/lib.rs",
                "--lines",
                "1",
                "--rev",
                "no-such-rev",
            ],
            "no-such-rev",
        ),
        (
            &["--file", "src/lib.rs", "--lines", "1", "--id", "bad id!"],
            "--id",
        ),
        (
            &["--file", "../outside", "--lines", "1"],
            "outside the repository",
        ),
    ];
    for (extra, message) in cases {
        let mut args = vec!["evidence", "add", "--phase", "1", "--description", "d"];
        args.extend_from_slice(extra);
        let out = repo.run(&args);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(message),
            "{extra:?}: {}",
            stderr(&out)
        );
    }
    // A file that exists only in the working tree is not evidence.
    repo.write("src/uncommitted.rs", "fn x() {}\n");
    repo.cmd()
        .args(evidence_add("src/uncommitted.rs", "1", "d"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("commit the file first"));
    assert_eq!(repo.state_tip(), before);
}

#[test]
fn no_key_exits_2_and_records_nothing() {
    let repo = Repo::new();
    repo.ok(&["init"]);
    let before = repo.state_tip();
    repo.cmd()
        .args(evidence_add("src/lib.rs", "1", "d"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no signing key found"));
    assert_eq!(repo.state_tip(), before);
}

#[test]
fn unsigned_records_are_allowed_when_not_required_and_verify_warns() {
    let repo = Repo::new();
    repo.ok(&["init"]);
    repo.write(
        ".auditops.toml",
        "version = 1\n[trust]\nrequire_signed = false\n",
    );
    repo.commit_all("allow unsigned");
    let id = repo.add_evidence("unsigned evidence");
    let e = &repo.evidence_json()[0];
    assert_eq!(e["keyid"], serde_json::Value::Null);
    let report: serde_json::Value = serde_json::from_str(&repo.ok(&["verify", "--json"])).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["records"], 1);
    assert_eq!(report["warnings"][0]["id"], id);
    assert_eq!(report["warnings"][0]["reason"], "unsigned record");

    // The same record fails once signatures are required again.
    repo.write(".auditops.toml", "version = 1\n");
    let out = repo.run(&["verify", "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["failures"][0]["id"], id);
}

#[test]
fn list_filters_by_phase_and_export_prints_the_stored_envelopes() {
    let repo = Repo::new();
    repo.setup_trusted();
    for (i, phase) in ["1", "2", "2"].into_iter().enumerate() {
        repo.ok(&[
            "evidence",
            "add",
            "--phase",
            phase,
            "--file",
            "src/lib.rs",
            "--lines",
            "1",
            "--description",
            &format!("p{phase} #{i}"),
        ]);
    }
    let phase2: Vec<serde_json::Value> =
        serde_json::from_str(&repo.ok(&["evidence", "list", "--phase", "2", "--json"])).unwrap();
    assert_eq!(phase2.len(), 2);
    // Printed as it is read, yet the very document `--json` prints for a
    // whole value: the array pretty-printed, then a newline.
    let printed = |phase: &str| {
        let out = repo
            .cmd()
            .args(["evidence", "list", "--phase", phase, "--json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", support::stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let ws = git_auditops::workspace::Workspace::open(repo.path()).unwrap();
    let mut listed = Vec::new();
    git_auditops::evidence::record::for_each(&ws, Some(2), |item| listed.push(item.unwrap()))
        .unwrap();
    assert_eq!(
        printed("2"),
        serde_json::to_string_pretty(&listed).unwrap() + "\n"
    );
    assert_eq!(printed("7"), "[]\n");
    let export = repo.ok(&["evidence", "export", "--phase", "2"]);
    let lines: Vec<&str> = export.lines().collect();
    assert_eq!(lines.len(), 2);
    let stored = repo.git(&[
        "cat-file",
        "-p",
        &format!("{STATE_REF}:{}", support::FIRST_SEGMENT),
    ]);
    for line in &lines {
        assert!(
            stored.lines().any(|s| s == *line),
            "export is the stored line"
        );
        let envelope: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
        assert!(envelope["signatures"][0]["keyid"].is_string());
        assert_eq!(
            hex::encode(Sha256::digest(line.as_bytes())),
            phase2
                .iter()
                .find(|e| e["id"] == hex::encode(Sha256::digest(line.as_bytes())))
                .unwrap()["id"]
        );
    }
    let human = repo.ok(&["evidence", "list"]);
    assert_eq!(human.lines().count(), 3);
}

/// Real-format fake secrets, committed to a file, must not survive into the
/// stored (signed, shared) record, while the hash still verifies.
#[test]
fn secrets_are_redacted_from_stored_records() {
    let repo = Repo::new();
    repo.setup_trusted();
    let ghp = format!("ghp_{}", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8");
    let aws_id = format!("AKIA{}", "IOSFODNN7EXAMPLQ");
    let aws_secret = format!("{}/{}", "wJalrXUtnFEMI/K7MDENG", "bPxRfiCYEXAMPLEKEY1");
    let slack = format!(
        "xoxb-{}-{}-{}",
        "1234567890", "0987654321", "AbCdEfGhIjKlMnOpQrStUvWx"
    );
    let jwt = format!(
        "eyJhbGciOiJIUzI1NiJ9.{}.{}",
        "eyJzdWIiOiIxMjM0NTY3ODkwIn0", "dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    );
    let pem_body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
    let content = format!(
        "token = \"{ghp}\"\naws_access_key_id = {aws_id}\naws_secret_access_key = {aws_secret}\nSLACK={slack}\nAuthorization: Bearer {jwt}\n-----BEGIN PRIVATE KEY-----\n{pem_body}\n-----END PRIVATE KEY-----\npassword = \"hunter2hunter2\"\n"
    );
    repo.write("config/settings.env", &content);
    repo.commit_all("settings");
    repo.ok(&evidence_add("config/settings.env", "1-9", "settings"));
    let stored = repo.git(&[
        "cat-file",
        "-p",
        &format!("{STATE_REF}:{}", support::FIRST_SEGMENT),
    ]);
    let envelope: serde_json::Value = serde_json::from_str(stored.lines().next().unwrap()).unwrap();
    use base64::Engine;
    let payload = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    let payload = String::from_utf8(payload).unwrap();
    for secret in [
        &ghp,
        &aws_id,
        &aws_secret,
        &slack,
        &jwt,
        &pem_body.to_owned(),
        &"hunter2hunter2".to_owned(),
    ] {
        assert!(
            !payload.contains(secret.as_str()),
            "{secret} survived: {payload}"
        );
        assert!(!stored.contains(secret.as_str()));
    }
    assert!(payload.contains("[REDACTED"));
    repo.ok(&["verify"]);
}

/// `git auditops evidence list | head -1`: the reader leaves early; no panic.
#[test]
fn a_reader_that_leaves_early_ends_the_listing_quietly() {
    use std::io::{BufRead, BufReader};
    let repo = Repo::new();
    repo.setup_trusted();
    let git_repo = git_auditops::git::open(repo.path()).unwrap();
    let line = {
        repo.add_evidence("first");
        repo.ok(&["evidence", "export"]).trim().to_owned()
    };
    // Many records (copies of one), so the output is larger than a pipe's buffer.
    let store = git_auditops::store::Store::new(&git_repo, STATE_REF).unwrap();
    let lines = vec![line.into_bytes(); 3000];
    store.append("evidence", &lines, "padding").unwrap();
    for args in [["evidence", "list"], ["evidence", "export"]] {
        let mut cmd = std::process::Command::new(support::BIN);
        support::isolate(&mut cmd, repo.home.path());
        let mut child = cmd
            .current_dir(repo.path())
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
}

/// `evidence export` run with its stdout set by the caller.
fn export_command(repo: &Repo) -> std::process::Command {
    let mut cmd = std::process::Command::new(support::BIN);
    support::isolate(&mut cmd, repo.home.path());
    cmd.current_dir(repo.path()).args(["evidence", "export"]);
    cmd
}

#[test]
fn export_to_a_full_disk_fails_with_exit_7() {
    let repo = Repo::new();
    repo.setup_trusted();
    repo.add_evidence("one");
    let full = std::fs::File::create("/dev/full").expect("/dev/full");
    let out = export_command(&repo)
        .stdout(full)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot write"), "{}", stderr(&out));
    assert!(stderr(&out).contains("No space left"), "{}", stderr(&out));
}

#[test]
fn export_to_a_reader_that_went_away_ends_quietly() {
    let repo = Repo::new();
    repo.setup_trusted();
    repo.add_evidence("one");
    let mut child = export_command(&repo)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before (or while) the export is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

#[test]
fn the_same_evidence_added_twice_is_recorded_once() {
    let repo = Repo::new();
    repo.setup_trusted();
    let first = repo.ok(&evidence_add("src/lib.rs", "1-3", "add is implemented"));
    let tip = repo.state_tip();
    let out = repo.run(&evidence_add("src/lib.rs", "1-3", "add is implemented"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(support::stdout(&out), first, "the existing record's id");
    assert!(
        stderr(&out).contains("already recorded"),
        "{}",
        stderr(&out)
    );
    let mut json_args = evidence_add("src/lib.rs", "1-3", "add is implemented").to_vec();
    json_args.push("--json");
    let again: serde_json::Value = serde_json::from_str(&repo.ok(&json_args)).unwrap();
    assert_eq!(again["id"], first.trim());
    assert_eq!(again["already_recorded"], true);
    assert_eq!(repo.state_tip(), tip, "nothing written");
    assert_eq!(repo.evidence_json().len(), 1);
    // Anything else that differs is other evidence.
    repo.ok(&evidence_add("src/lib.rs", "1-2", "add is implemented"));
    repo.ok(&evidence_add("src/lib.rs", "1-3", "add, again"));
    assert_eq!(repo.evidence_json().len(), 3);
}

/// The first segment fills up (32 records) and is then found through the local
/// index of identities, which may be stale or damaged without harm.
#[test]
fn evidence_in_a_full_segment_is_found_again() {
    let repo = Repo::new();
    repo.setup_trusted();
    let first = repo.ok(&evidence_add("src/lib.rs", "1-3", "d 0"));
    for i in 1..34 {
        repo.ok(&evidence_add("src/lib.rs", "1-3", &format!("d {i}")));
    }
    let tip = repo.state_tip();
    let cache = repo.path().join(".git/auditops/evidence-tail");
    for damage in [None, Some(&b"garbage"[..]), Some(&b"AOEVTL1\n\x14"[..])] {
        if let Some(bytes) = damage {
            std::fs::write(&cache, bytes).unwrap();
        }
        let out = repo.run(&evidence_add("src/lib.rs", "1-3", "d 0"));
        assert_eq!(support::stdout(&out), first, "{}", stderr(&out));
        assert!(stderr(&out).contains("already recorded"));
        assert!(cache.exists());
    }
    assert_eq!(repo.state_tip(), tip);
    assert_eq!(repo.evidence_json().len(), 34);
}

#[test]
fn an_unconfigured_phase_exits_2_naming_the_configured_ones() {
    let repo = Repo::new();
    repo.setup_trusted();
    let config = std::fs::read_to_string(repo.path().join(".auditops.toml")).unwrap();
    repo.write(
        ".auditops.toml",
        config + "\n[[phases]]\nid = 0\nname = \"Setup\"\n\n[[phases]]\nid = 1\nname = \"Build\"\n",
    );
    repo.commit_all("two phases");
    let before = repo.state_tip();
    let mut args = evidence_add("src/lib.rs", "1-3", "d").to_vec();
    args[3] = "7";
    repo.cmd()
        .args(&args)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "there is no phase 7: .auditops.toml defines phases 0 to 1",
        ));
    assert_eq!(repo.state_tip(), before);
    repo.ok(&evidence_add("src/lib.rs", "1-3", "d"));
}
