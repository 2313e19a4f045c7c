//! `verify`: tampered records, untrusted keys, moved signatures, forged hashes.

use crate::support::{FIRST_SEGMENT, Repo, STATE_REF};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use predicates::prelude::*;

/// `segment` with `from` replaced by `to` in the payload of line `index`,
/// leaving the signature as it was.
fn edit_payload(segment: &str, index: usize, from: &str, to: &str) -> String {
    let mut lines: Vec<String> = segment.lines().map(str::to_owned).collect();
    let mut envelope: serde_json::Value = serde_json::from_str(&lines[index]).unwrap();
    let payload = STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    let edited = String::from_utf8(payload).unwrap().replace(from, to);
    envelope["payload"] = STANDARD.encode(edited).into();
    lines[index] = serde_json::to_string(&envelope).unwrap();
    lines.join("\n") + "\n"
}

/// Asserts that the first of `report[list]` gives a reason containing `needle`.
#[track_caller]
fn assert_first_reason(report: &serde_json::Value, list: &str, needle: &str) {
    let reason = report[list][0]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains(needle),
        "expected {needle:?} in {list}: {report}"
    );
}

fn failing_ids(report: &serde_json::Value) -> Vec<String> {
    report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_clean_state_verifies() {
    let repo = Repo::new();
    repo.setup_trusted();
    repo.add_evidence("one");
    repo.add_evidence("two");
    let (code, report) = repo.verify_json(&[]);
    assert_eq!(code, Some(0));
    assert_eq!(report["ok"], true);
    assert_eq!(report["records"], 2);
    assert_eq!(report["failures"], serde_json::json!([]));
    repo.cmd()
        .arg("verify")
        .assert()
        .success()
        .stdout(predicate::str::contains("2 records"));
}

#[test]
fn an_edited_payload_fails_its_signature() {
    let repo = Repo::new();
    repo.setup_trusted();
    let good = repo.add_evidence("good");
    repo.add_evidence("victim");
    repo.tamper_state(FIRST_SEGMENT, |segment| {
        edit_payload(&segment, 1, "victim", "edited")
    });
    let tampered = repo.evidence_json()[1]["id"].as_str().unwrap().to_owned();
    let (code, report) = repo.verify_json(&[]);
    assert_eq!(code, Some(3));
    assert_eq!(failing_ids(&report), vec![tampered.clone()]);
    assert_ne!(tampered, good);
    assert_eq!(report["failures"][0]["kind"], "evidence");
    assert_first_reason(&report, "failures", "does not match the payload");
    repo.cmd()
        .arg("verify")
        .assert()
        .code(3)
        .stdout(predicate::str::contains(format!("FAIL  {tampered}")));
}

#[test]
fn a_hand_edited_line_is_not_canonical() {
    let repo = Repo::new();
    repo.setup_trusted();
    repo.add_evidence("one");
    repo.tamper_state(FIRST_SEGMENT, |segment| {
        segment.replacen("{\"payload\"", "{ \"payload\"", 1)
    });
    let (code, report) = repo.verify_json(&[]);
    assert_eq!(code, Some(3));
    assert_first_reason(&report, "failures", "canonical");
}

#[test]
fn a_record_signed_by_an_untrusted_key_fails() {
    let repo = Repo::new();
    repo.setup_trusted();
    repo.add_evidence("trusted");
    let stranger = repo.home.path().join("stranger");
    let stranger_key = repo.generate_key(Some(&stranger));
    repo.git(&["config", "auditops.signingKey", stranger.to_str().unwrap()]);
    // Recording with a key not trusted yet is refused unless the team allows it.
    let config = repo.path().join(".auditops.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let allowed = text.replace(
        "require_trusted_signer = true",
        "require_trusted_signer = false",
    );
    assert_ne!(allowed, text);
    std::fs::write(&config, allowed).unwrap();
    let bad = repo.add_evidence("by a stranger");
    let (code, report) = repo.verify_json(&[]);
    assert_eq!(code, Some(3));
    assert_eq!(failing_ids(&report), vec![bad]);
    let reason = report["failures"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("not in HEAD:.auditops/allowed_signers")
            && reason.contains(&stranger_key.keyid),
        "{reason}"
    );
}

#[test]
fn a_signature_moved_onto_another_payload_fails() {
    let repo = Repo::new();
    repo.setup_trusted();
    repo.add_evidence("first");
    repo.add_evidence("second");
    repo.tamper_state(FIRST_SEGMENT, |segment| {
        let mut lines: Vec<serde_json::Value> = segment
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        lines[1]["signatures"] = lines[0]["signatures"].clone();
        lines
            .iter()
            .map(|v| serde_json::to_string(v).unwrap() + "\n")
            .collect()
    });
    let moved_onto = repo.evidence_json()[1]["id"].as_str().unwrap().to_owned();
    let (code, report) = repo.verify_json(&[]);
    assert_eq!(code, Some(3));
    assert_eq!(failing_ids(&report), vec![moved_onto]);
}

/// A validly signed record whose hash does not match git: the signer lied, or the
/// record was made for other content. Built with the library and appended by the store.
#[test]
fn a_signed_record_with_a_wrong_hash_fails() {
    let repo = Repo::new();
    let key = repo.setup_trusted();
    let git_repo = git_auditops::git::open(repo.path()).unwrap();
    let request = git_auditops::evidence::Request {
        phase: 1,
        file: "src/lib.rs",
        lines: "1-2".parse().unwrap(),
        description: "forged",
        id: None,
        rev: "HEAD",
    };
    let mut evidence =
        git_auditops::evidence::build(&git_repo, &request, "2026-01-01T00:00:00Z".parse().unwrap())
            .unwrap();
    evidence.sha256 = "0".repeat(64).parse().unwrap();
    let signing =
        git_auditops::sign::key::load(&key.private_key, git_auditops::sign::KeySource::DefaultPath)
            .unwrap();
    let line = git_auditops::sign::seal(&evidence.statement(), Some(&signing));
    let store = git_auditops::store::Store::new(&git_repo, STATE_REF).unwrap();
    store.append("evidence", &[line], "forged").unwrap();
    let (code, report) = repo.verify_json(&[]);
    assert_eq!(code, Some(3));
    assert_first_reason(
        &report,
        "failures",
        "sha256 does not match lines 1-2 of `src/lib.rs`",
    );
}

#[test]
fn trust_comes_from_head_not_the_working_tree_and_trust_file_overrides() {
    let repo = Repo::new();
    let key = repo.setup_trusted();
    repo.add_evidence("one");
    // Emptying the list in the working tree changes nothing until committed.
    repo.write(".auditops/allowed_signers", "");
    assert_eq!(repo.verify_json(&[]).0, Some(0));
    repo.commit_all("distrust everyone");
    assert_eq!(repo.verify_json(&[]).0, Some(3));
    // A reviewer's own list.
    let mine = repo.home.path().join("reviewer_signers");
    std::fs::write(&mine, format!("{}\n", key.allowed_signers_line)).unwrap();
    let (code, report) = repo.verify_json(&["--trust", mine.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["trust"], mine.display().to_string());
}

#[test]
fn keys_restricted_to_other_namespaces_are_not_trusted() {
    let repo = Repo::new();
    let key = repo.setup_trusted();
    repo.add_evidence("one");
    let git_only = key
        .allowed_signers_line
        .replace("namespaces=\"auditops,git\"", "namespaces=\"git\"");
    repo.write(".auditops/allowed_signers", git_only + "\n");
    repo.commit_all("git namespace only");
    assert_eq!(repo.verify_json(&[]).0, Some(3));
}

#[test]
fn a_malformed_trust_file_names_its_line() {
    let repo = Repo::new();
    repo.setup_trusted();
    repo.add_evidence("one");
    let bad = repo.home.path().join("bad_signers");
    std::fs::write(
        &bad,
        "# comment\nalice@example.com ssh-ed25519 not-base64!!\n",
    )
    .unwrap();
    repo.cmd()
        .args(["verify", "--trust", bad.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad_signers:2:"));
}

#[test]
fn log_lists_transactions_newest_first() {
    let repo = Repo::new();
    repo.setup_trusted();
    repo.add_evidence("one");
    let log: Vec<serde_json::Value> = serde_json::from_str(&repo.ok(&["log", "--json"])).unwrap();
    assert_eq!(log.len(), 2);
    assert!(
        log[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("evidence: add 1 record")
    );
    assert_eq!(log[1]["message"], "init: create the auditops state");
    assert_eq!(log[0]["author"], "Test User");
    let one: Vec<serde_json::Value> =
        serde_json::from_str(&repo.ok(&["log", "-n", "1", "--json"])).unwrap();
    assert_eq!(one.len(), 1);
}

#[test]
fn an_identical_record_stored_twice_is_a_warning() {
    let repo = Repo::new();
    repo.setup_trusted();
    repo.add_evidence("once");
    let line = repo.ok(&["evidence", "export"]).trim().to_owned();
    let git_repo = git_auditops::git::open(repo.path()).unwrap();
    let store = git_auditops::store::Store::new(&git_repo, STATE_REF).unwrap();
    store
        .append("evidence", &[line.into_bytes()], "again")
        .unwrap();
    let (code, report) = repo.verify_json(&[]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["records"], 2);
    assert_first_reason(&report, "warnings", "more than once");
}

#[test]
fn verified_records_are_remembered_per_trust_list_and_changed_ones_rechecked() {
    let repo = Repo::new();
    let key = repo.setup_trusted();
    repo.add_evidence("one");
    repo.add_evidence("two");
    let cache = repo.path().join(".git/auditops/verified");
    let (code, report) = repo.verify_json(&[]);
    assert_eq!((code, report["cached"].clone()), (Some(0), 0.into()));
    assert!(cache.exists(), "the first run remembers what it verified");
    let (code, report) = repo.verify_json(&[]);
    assert_eq!((code, report["cached"].clone()), (Some(0), 2.into()));
    repo.cmd()
        .arg("verify")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "2 of them verified in an earlier run",
        ));

    // --no-cache checks everything and leaves the cache as it was.
    let before = std::fs::read(&cache).unwrap();
    let (code, report) = repo.verify_json(&["--no-cache"]);
    assert_eq!((code, report["cached"].clone()), (Some(0), 0.into()));
    assert_eq!(std::fs::read(&cache).unwrap(), before);

    // A record changed after it was remembered is a new record: checked, and failing.
    repo.tamper_state(FIRST_SEGMENT, |segment| {
        edit_payload(&segment, 1, "two", "2wo")
    });
    let tampered = repo.evidence_json()[1]["id"].as_str().unwrap().to_owned();
    let (code, report) = repo.verify_json(&[]);
    assert_eq!(code, Some(3));
    assert_eq!(failing_ids(&report), vec![tampered]);
    assert_eq!(
        report["cached"], 1,
        "the untouched record still comes from the cache"
    );

    // Another trust list (even the same key, written differently) starts afresh.
    let mine = repo.home.path().join("reviewer_signers");
    std::fs::write(&mine, format!("# mine\n{}\n", key.allowed_signers_line)).unwrap();
    let (code, report) = repo.verify_json(&["--trust", mine.to_str().unwrap()]);
    assert_eq!((code, report["cached"].clone()), (Some(3), 0.into()));
    // The cache holds what the last run verified: the default list's entries
    // were replaced by the reviewer's.
    let (code, report) = repo.verify_json(&[]);
    assert_eq!((code, report["cached"].clone()), (Some(3), 0.into()));

    // A damaged cache file is ignored, never trusted.
    std::fs::write(&cache, b"garbage").unwrap();
    let (code, report) = repo.verify_json(&[]);
    assert_eq!((code, report["cached"].clone()), (Some(3), 0.into()));
}

/// Without the state ref there is nothing to verify: exit 3 (a CI job expecting
/// a trail must not pass on none), saying how to get one; `--allow-empty` is 0.
#[test]
fn a_repository_without_the_state_ref_has_nothing_to_verify() {
    let repo = Repo::new();
    repo.write(".auditops.toml", "version = 1\n");
    repo.commit_all("config");
    assert_eq!(repo.state_tip(), None);

    // No remote: the state is made here, by init.
    let out = repo.run(&["verify"]);
    assert_eq!(out.status.code(), Some(3));
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(message.contains("nothing to verify"), "{message}");
    assert!(message.contains(STATE_REF), "{message}");
    assert!(message.contains("git auditops init"), "{message}");
    assert!(!message.contains("state pull"), "{message}");

    // With a remote: fetch it.
    let remote = tempfile::tempdir().unwrap();
    repo.git(&["init", "-q", "--bare", remote.path().to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", remote.path().to_str().unwrap()]);
    let out = repo.run(&["verify", "--json"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(
        message.contains("`git auditops state pull` (from origin)"),
        "{message}"
    );
    assert!(message.contains("--allow-empty"), "{message}");

    let (code, report) = repo.verify_json(&["--allow-empty"]);
    assert_eq!(code, Some(0));
    assert_eq!(report["ok"], true);
    assert_eq!(report["records"], 0);
    assert_eq!(report["failures"], serde_json::json!([]));
    assert_eq!(report["empty"], true);
    repo.cmd()
        .args(["verify", "--allow-empty"])
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to verify"));
    assert_eq!(repo.state_tip(), None, "verify writes nothing");

    // Once the state exists (even with no record yet), it verifies as before.
    repo.ok(&["init", "--no-hooks"]);
    let (code, report) = repo.verify_json(&[]);
    assert_eq!(code, Some(0));
    assert_eq!(report["empty"], false);
}

/// `verify --jobs 1` and `--jobs 4` give byte-identical reports on a state of
/// several chunks with failures, warnings and duplicates spread through it.
#[test]
fn verify_reports_the_same_on_one_thread_and_on_many() {
    use git_auditops::evidence::{self, LineRange};
    use git_auditops::sign::{self, key::KeySource};
    let repo = Repo::new();
    let info = repo.setup_trusted();
    repo.add_evidence("first");
    let git_repo = git_auditops::git::open(repo.path()).unwrap();
    let key = sign::key::load(&info.private_key, KeySource::DefaultPath).unwrap();
    let request = evidence::Request {
        phase: 1,
        file: "src/lib.rs",
        lines: "1-3".parse::<LineRange>().unwrap(),
        description: "template",
        id: None,
        rev: "HEAD",
    };
    let template =
        evidence::build(&git_repo, &request, git_auditops::time::Timestamp::now()).unwrap();
    // 1,300 records (three chunks of 512), some unsigned, one stored twice.
    let mut lines: Vec<Vec<u8>> = (0..1300u32)
        .map(|i| {
            let mut e = template.clone();
            e.evidence_id = format!("EV-1-jobs-{i:05}");
            e.description = format!("record {i}");
            let signer = (i % 401 != 7).then_some(&key);
            sign::seal(&e.statement(), signer)
        })
        .collect();
    lines.push(lines[600].clone());
    let store = git_auditops::store::Store::new(&git_repo, STATE_REF).unwrap();
    store.append("evidence", &lines, "many").unwrap();
    // Tamper with records in the first, a middle and the last chunk.
    for (segment, index) in [(FIRST_SEGMENT, 3), ("evidence/00000/00000020.jsonl", 5)] {
        repo.tamper_state(segment, |s| edit_payload(&s, index, "record", "rekord"));
    }
    repo.tamper_state("evidence/00000/00000040.jsonl", |s| {
        edit_payload(&s, 20, "record", "rekord")
    });
    let one = repo.run(&["verify", "--json", "--no-cache", "--jobs", "1"]);
    let many = repo.run(&["verify", "--json", "--no-cache", "--jobs", "4"]);
    assert_eq!(one.status.code(), Some(3));
    assert_eq!(many.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&one.stdout),
        String::from_utf8_lossy(&many.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(report["records"], 1302, "{report}");
    assert!(failing_ids(&report).len() >= 3, "{report}");
    let text_one = repo.run(&["verify", "--no-cache", "--jobs", "1"]);
    let text_many = repo.run(&["verify", "--no-cache", "--jobs", "2"]);
    assert_eq!(text_one.stdout, text_many.stdout);
    // With the cache: the second run (many threads) reads what the first kept.
    repo.run(&["verify", "--jobs", "1"]);
    let cached = repo.run(&["verify", "--json", "--jobs", "3"]);
    let cached: serde_json::Value = serde_json::from_slice(&cached.stdout).unwrap();
    assert_eq!(cached["failures"], report["failures"]);
    assert!(cached["cached"].as_u64().unwrap() > 1000, "{cached}");
    repo.cmd().args(["verify", "--jobs", "0"]).assert().code(2);
}
