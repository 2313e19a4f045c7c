//! The pre-push answer prepared ahead of the push (`src/prepared.rs`): after
//! `gate run`, the push of the gated commit is decided without reading a
//! single object, and a change to anything the answer depends on sends the
//! push the long way, which decides as it always did.
//!
//! "Without reading an object" is shown, not timed: the hook runs with the
//! repository's object folder moved away, where any read of the state fails.

use crate::support::{Repo, evidence_add, stderr};
use std::path::PathBuf;
use std::process::Output;

const CONFIG: &str = r#"version = 1

[[phases]]
id = 0
name = "Setup"
gates = ["has-lib"]

[gates.has-lib]
run = "test -f src/lib.rs"
category = "build"

[policy]
protected = ["refs/heads/main"]
"#;

/// A repository with CONFIG and a trusted key.
fn project() -> Repo {
    let repo = Repo::new();
    repo.write(".auditops.toml", CONFIG);
    repo.setup_trusted();
    repo
}

/// What git puts on the hook's stdin for a push of `commit` to a new `main`.
fn push_of(commit: &str) -> String {
    format!(
        "refs/heads/main {commit} refs/heads/main {}\n",
        "0".repeat(40)
    )
}

/// The pre-push hook, as git runs it, on a push of `commit` to main.
fn hook(repo: &Repo, commit: &str) -> Output {
    hook_with(repo, commit, &[])
}

fn hook_with(repo: &Repo, commit: &str, env: &[(&str, &str)]) -> Output {
    repo.cmd()
        .args(["hook", "pre-push", "origin", "/nowhere"])
        .envs(env.iter().copied())
        .write_stdin(push_of(commit))
        .output()
        .unwrap()
}

/// [`hook`] with the object folder out of reach: only a prepared answer can
/// let the push through; the long way fails to read the state.
fn hook_without_objects(repo: &Repo, commit: &str) -> Output {
    without_objects(repo, || hook(repo, commit))
}

/// Runs `run` with the repository's object folder moved away.
fn without_objects(repo: &Repo, run: impl FnOnce() -> Output) -> Output {
    let objects = repo.path().join(".git/objects");
    let away = repo.path().join(".git/objects.away");
    std::fs::rename(&objects, &away).unwrap();
    std::fs::create_dir_all(objects.join("pack")).unwrap();
    std::fs::create_dir_all(objects.join("info")).unwrap();
    let output = run();
    std::fs::remove_dir_all(&objects).unwrap();
    std::fs::rename(&away, &objects).unwrap();
    output
}

fn prepared_file(repo: &Repo) -> PathBuf {
    repo.path().join(".git/auditops/prepared-push.json")
}

/// Asserts that the hook answers the push of `commit` from what was prepared.
#[track_caller]
fn answered_without_objects(repo: &Repo, commit: &str) {
    let out = hook_without_objects(repo, commit);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Asserts that the hook had to read the state: no prepared answer held.
#[track_caller]
fn not_answered_without_objects(repo: &Repo, commit: &str) {
    let out = hook_without_objects(repo, commit);
    assert!(
        !out.status.success(),
        "a prepared answer was used where it no longer holds"
    );
}

#[test]
fn gate_run_prepares_the_push_so_the_hook_reads_no_object() {
    let repo = project();
    let head = repo.git(&["rev-parse", "HEAD"]);
    // Nothing prepared: the hook reads the state (and would refuse).
    not_answered_without_objects(&repo, &head);
    assert_eq!(hook(&repo, &head).status.code(), Some(1));

    repo.ok(&["gate", "run"]);
    answered_without_objects(&repo, &head);
    // Whether a sync must follow the push is prepared too (the outbox is in
    // the state): said in the hook's debug log, as the push never fails on it.
    let logged = without_objects(&repo, || {
        hook_with(&repo, &head, &[("RUST_LOG", "git_auditops=debug")])
    });
    let log = stderr(&logged);
    assert!(log.contains("started=NothingPending"), "{log}");
    // Without that fact the hook reads the outbox, which it cannot do here.
    let file = prepared_file(&repo);
    let kept = std::fs::read_to_string(&file).unwrap();
    let unknown = kept.replacen("\"outbox_open\":false", "\"outbox_open\":null", 1);
    assert_ne!(unknown, kept);
    std::fs::write(&file, unknown).unwrap();
    let logged = without_objects(&repo, || {
        hook_with(&repo, &head, &[("RUST_LOG", "git_auditops=debug")])
    });
    let log = stderr(&logged);
    assert!(logged.status.success(), "{log}");
    assert!(log.contains("cannot read the outbox"), "{log}");
    std::fs::write(&file, kept).unwrap();

    // The prepared answer and the long way say the same, byte for byte.
    let prepared = hook(&repo, &head);
    std::fs::remove_file(prepared_file(&repo)).unwrap();
    let long_way = hook(&repo, &head);
    assert!(long_way.status.success(), "{}", stderr(&long_way));
    assert_eq!(prepared.status.code(), long_way.status.code());
    assert_eq!(prepared.stdout, long_way.stdout);
    assert_eq!(prepared.stderr, long_way.stderr);
    // And the long way kept its answer for the next push.
    answered_without_objects(&repo, &head);
}

#[test]
fn a_change_to_anything_the_answer_depends_on_sends_the_push_the_long_way() {
    let repo = project();
    let head = repo.git(&["rev-parse", "HEAD"]);
    repo.ok(&["gate", "run"]);
    answered_without_objects(&repo, &head);

    // .auditops.toml, even a comment; the same bytes again hold again.
    repo.write(".auditops.toml", format!("{CONFIG}# a comment\n"));
    not_answered_without_objects(&repo, &head);
    repo.write(".auditops.toml", CONFIG);
    answered_without_objects(&repo, &head);

    // The state ref's tip.
    let mut add = evidence_add("src/lib.rs", "1-3", "reviewed");
    add[3] = "0";
    repo.ok(&add);
    not_answered_without_objects(&repo, &head);
    // The long way allows, and keeps that for the new tip.
    let out = hook(&repo, &head);
    assert!(out.status.success(), "{}", stderr(&out));
    answered_without_objects(&repo, &head);

    // The file damaged, or written by another version: not read.
    let file = prepared_file(&repo);
    let kept = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, &kept[..kept.len() / 2]).unwrap();
    not_answered_without_objects(&repo, &head);
    let other_version = kept.replacen(
        &format!("\"version\":\"{}\"", env!("CARGO_PKG_VERSION")),
        "\"version\":\"0.0.0-other\"",
        1,
    );
    assert_ne!(other_version, kept);
    std::fs::write(&file, other_version).unwrap();
    not_answered_without_objects(&repo, &head);
    assert!(hook(&repo, &head).status.success());
    answered_without_objects(&repo, &head);

    // HEAD: the trust list is read from it.
    repo.git(&["commit", "-q", "--allow-empty", "-m", "moves HEAD"]);
    not_answered_without_objects(&repo, &head);
}

/// The reason HEAD is part of what an answer depends on: the trust list is
/// the one committed at HEAD, and a key removed from it no longer vouches
/// for the results it signed, even for a commit prepared before.
#[test]
fn a_key_removed_from_the_trust_list_is_not_trusted_by_an_earlier_answer() {
    let repo = project();
    let gated = repo.git(&["rev-parse", "HEAD"]);
    repo.ok(&["gate", "run"]);
    answered_without_objects(&repo, &gated);

    repo.write(".auditops/allowed_signers", "");
    repo.commit_all("trust nobody");
    let refused = hook(&repo, &gated);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("gates have not passed"),
        "{}",
        stderr(&refused)
    );
}
