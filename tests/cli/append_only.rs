//! The history only grows: `verify` fails a state whose transactions dropped,
//! moved or reordered records, or whose segments break the layout rules, and
//! `state pull` refuses a remote state that dropped records this clone has.

use crate::support::{Repo, STATE_REF, evidence_add};

/// Records in the state of [`filled`]: two full segments and two in the third.
const RECORDS: usize = 66;
const SEGMENT_0: &str = "evidence/00000/00000000.jsonl";
const SEGMENT_1: &str = "evidence/00000/00000001.jsonl";
const SEGMENT_2: &str = "evidence/00000/00000002.jsonl";

/// A trusted repository whose state holds [`RECORDS`] evidence records, one
/// transaction each: the first through the binary, the rest signed and
/// appended in-process through the library (the same store code, without
/// starting a process per record).
fn filled() -> Repo {
    let repo = Repo::new();
    let key = repo.setup_trusted();
    repo.ok(&evidence_add("src/lib.rs", "1-3", "record 0"));
    let git_repo = git_auditops::git::open(repo.path()).unwrap();
    let signing =
        git_auditops::sign::key::load(&key.private_key, git_auditops::sign::KeySource::DefaultPath)
            .unwrap();
    let store = git_auditops::store::Store::new(&git_repo, STATE_REF).unwrap();
    for i in 1..RECORDS {
        let description = format!("record {i}");
        let request = git_auditops::evidence::Request {
            phase: 1,
            file: "src/lib.rs",
            lines: "1-3".parse().unwrap(),
            description: &description,
            id: None,
            rev: "HEAD",
        };
        let evidence = git_auditops::evidence::build(
            &git_repo,
            &request,
            "2026-01-01T00:00:00Z".parse().unwrap(),
        )
        .unwrap();
        let line = git_auditops::sign::seal(&evidence.statement(), Some(&signing));
        store.append("evidence", &[line], &description).unwrap();
    }
    repo
}

fn segment(repo: &Repo, rev: &str, path: &str) -> Vec<String> {
    repo.git(&["cat-file", "-p", &format!("{rev}:{path}")])
        .lines()
        .map(str::to_owned)
        .collect()
}

fn id_of(line: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(line.as_bytes()))
}

/// Writes a state commit whose tree is `base`'s with `files` replaced, with
/// `parent` as its parent, and moves the state ref to it.
fn write_state(repo: &Repo, base: &str, parent: &str, files: &[(&str, Vec<String>)]) -> String {
    let index = repo.home.path().join("tamper-index");
    let index = index.to_str().unwrap();
    let env = [("GIT_INDEX_FILE", index)];
    repo.git_with(&["read-tree", base], &env);
    for (path, lines) in files {
        let file = repo.home.path().join("tamper-blob");
        std::fs::write(
            &file,
            lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .unwrap();
        let blob = repo.git(&["hash-object", "-w", file.to_str().unwrap()]);
        repo.git_with(
            &[
                "update-index",
                "--cacheinfo",
                &format!("100644,{blob},{path}"),
            ],
            &env,
        );
    }
    let tree = repo.git_with(&["write-tree"], &env);
    let commit = repo.git(&["commit-tree", &tree, "-p", parent, "-m", "tamper"]);
    repo.git(&["update-ref", STATE_REF, &commit]);
    commit
}

/// The reasons of the history faults, joined, and the records they name.
fn history(report: &serde_json::Value) -> (String, Vec<String>) {
    let faults = report["history"].as_array().expect("history");
    let reasons: Vec<&str> = faults
        .iter()
        .map(|f| f["reason"].as_str().unwrap())
        .collect();
    let dropped = faults
        .iter()
        .flat_map(|f| f["dropped"].as_array().unwrap())
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    (reasons.join("\n"), dropped)
}

/// A tamper: its name, the parent of the tampered commit, the files it
/// replaces, what the reasons must say, and the records they must name.
type Variant<'a> = (
    &'a str,
    &'a str,
    Vec<(&'a str, Vec<String>)>,
    Vec<String>,
    Vec<String>,
);

#[test]
fn every_way_of_removing_or_moving_records_fails_verify() {
    let repo = filled();
    let good = repo.state_tip().unwrap();
    let (code, report) = repo.verify_json(&[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(
        report["transactions"].as_u64().unwrap() as usize,
        RECORDS + 1
    );
    // A clean run is remembered: the next one checks no transaction again.
    let (_, again) = repo.verify_json(&[]);
    assert_eq!(again["transactions"], 0, "{again:#}");

    let s0 = segment(&repo, &good, SEGMENT_0);
    let s1 = segment(&repo, &good, SEGMENT_1);
    let s2 = segment(&repo, &good, SEGMENT_2);
    assert_eq!((s0.len(), s1.len(), s2.len()), (32, 32, 2));
    let parent = format!("{good}~1");
    let without = |lines: &[String], i: usize| {
        let mut lines = lines.to_vec();
        lines.remove(i);
        lines
    };
    let mut reordered = s1.clone();
    reordered.swap(3, 4);

    let variants: Vec<Variant> = vec![
        (
            "drop from a full segment",
            &parent,
            vec![(SEGMENT_0, without(&s0, 5))],
            vec![
                format!("{SEGMENT_0} holds 31 records"),
                "dropped 1 record(s)".to_owned(),
            ],
            vec![id_of(&s0[5])],
        ),
        (
            "swap two segments' contents",
            &parent,
            vec![(SEGMENT_0, s1.clone()), (SEGMENT_1, s0.clone())],
            vec![format!("rewrote {SEGMENT_0}, {SEGMENT_1}")],
            vec![],
        ),
        (
            "drop from the last segment",
            &parent,
            vec![(SEGMENT_2, without(&s2, 0))],
            vec![format!(
                "dropped 1 record(s) of `evidence` its parent holds (in {SEGMENT_2})"
            )],
            vec![id_of(&s2[0])],
        ),
        (
            "reorder lines",
            &parent,
            vec![(SEGMENT_1, reordered)],
            vec![format!("rewrote {SEGMENT_1}"), "reordered".to_owned()],
            vec![],
        ),
        (
            "drop via a new commit on top",
            &good,
            vec![(SEGMENT_0, without(&s0, 0))],
            vec!["dropped 1 record(s)".to_owned()],
            vec![id_of(&s0[0])],
        ),
    ];
    for (name, parent, files, says, dropped) in variants {
        let tampered = write_state(&repo, &good, parent, &files);
        for args in [
            &["verify", "--json"][..],
            &["verify", "--json", "--no-cache"],
        ] {
            let out = repo.run(args);
            assert_eq!(out.status.code(), Some(3), "{name}: {out:?}");
            let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(report["ok"], false, "{name}");
            let (reasons, named) = history(&report);
            for needle in &says {
                assert!(
                    reasons.contains(needle.as_str()),
                    "{name}: wanted `{needle}` in\n{reasons}"
                );
            }
            for id in &dropped {
                assert!(named.contains(id), "{name}: {id} not named in {named:?}");
            }
            assert!(
                report["history"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f["commit"] == tampered.as_str()),
                "{name}: the tampered transaction is named: {report:#}"
            );
        }
        let text = repo.run(&["verify"]);
        assert!(
            String::from_utf8_lossy(&text.stdout).contains("FAIL  history  transaction"),
            "{name}"
        );
        repo.git(&["update-ref", STATE_REF, &good]);
    }
    let (code, report) = repo.verify_json(&[]);
    assert_eq!(code, Some(0), "back to the good state: {report:#}");
}

/// A bare remote with `alice`'s state, and `bob`, a clone that pulled it.
fn shared() -> (tempfile::TempDir, Repo, Repo) {
    let alice = Repo::new();
    alice.setup_trusted();
    let remote = alice.publish_to_new_remote();
    for i in 0..3 {
        alice.add_evidence(&format!("shared {i}"));
    }
    alice.ok(&["state", "push"]);
    let bob = Repo::clone_from(remote.path());
    bob.ok(&["state", "pull"]);
    assert_eq!(bob.record_ids().len(), 3);
    (remote, alice, bob)
}

fn assert_pull_refused(bob: &Repo, dropped: &str) {
    let before = bob.state_tip();
    let out = bob.run(&["state", "pull"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains(dropped), "the dropped record is named: {all}");
    assert!(all.contains("dropped records this clone has"), "{all}");
    assert_eq!(bob.state_tip(), before, "the local ref did not move");
    assert_eq!(bob.record_ids().len(), 3);
}

#[test]
fn a_pull_of_a_remote_that_dropped_records_by_a_new_commit_is_refused() {
    let (_remote, alice, bob) = shared();
    let tip = alice.state_tip().unwrap();
    let lines = segment(&alice, &tip, SEGMENT_0);
    let dropped = id_of(&lines[1]);
    let mut kept = lines.clone();
    kept.remove(1);
    write_state(&alice, &tip, &tip, &[(SEGMENT_0, kept)]);
    alice.ok(&["state", "push"]);
    assert_pull_refused(&bob, &dropped);
}

#[test]
fn a_pull_of_a_remote_whose_history_was_rewritten_without_records_is_refused() {
    let (_remote, alice, bob) = shared();
    let tip = alice.state_tip().unwrap();
    let lines = segment(&alice, &tip, SEGMENT_0);
    let dropped = id_of(&lines[2]);
    // The whole history rewritten: a new root commit with one record less,
    // force-pushed. Alone it is self-consistent; bob has seen the old one.
    write_state(
        &alice,
        &tip,
        &format!("{tip}~3"),
        &[(SEGMENT_0, lines[..2].to_vec())],
    );
    alice.git(&[
        "push",
        "-q",
        "-f",
        "origin",
        &format!("{STATE_REF}:{STATE_REF}"),
    ]);
    let tracking = bob.git(&["rev-parse", "refs/auditops/remotes/origin/state"]);
    assert_pull_refused(&bob, &dropped);
    assert_eq!(
        bob.git(&["rev-parse", "refs/auditops/remotes/origin/state"]),
        tracking,
        "the tracking ref stays at the state last accepted, so the next pull refuses too"
    );
    assert_pull_refused(&bob, &dropped);
}

/// Transactions are written as packs (not loose objects) until the pack folder
/// holds 24 packs, then loose: after 66 transactions in one process the
/// repository holds at most 24 packs (gix gives a process 32 pack slots), the
/// first transactions' objects are packed, `git fsck` is clean and every
/// record verifies.
#[test]
fn transactions_are_packed_up_to_a_limit_of_packs() {
    let repo = filled();
    let packs = std::fs::read_dir(repo.path().join(".git/objects/pack"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".idx")
        })
        .count();
    assert!((1..=24).contains(&packs), "{packs} packs");
    let first = repo.git(&["rev-list", "--reverse", STATE_REF]);
    let first = first.lines().next().unwrap();
    let loose = repo
        .path()
        .join(format!(".git/objects/{}/{}", &first[..2], &first[2..]));
    assert!(!loose.exists(), "the first state commit is in a pack");
    repo.git(&["fsck", "--strict", "--no-dangling"]);
    let (code, report) = repo.verify_json(&["--no-cache"]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["records"], RECORDS);
}
