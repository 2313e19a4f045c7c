//! Shared setup of the CI tests: a project whose trust list holds a
//! developer's key (the default key of its home) and a CI key (principal
//! `ci@github-actions`, given to runners only as text in AUDITOPS_SIGNING_KEY),
//! and a bare repository standing in for the remote.

use crate::support::{self, HANG_GUARD, KeyInfo, Repo};
use std::process::Output;

/// A phase of four gates that pass, and a protected main.
pub const CONFIG: &str = r#"version = 1

[[phases]]
id = 0
name = "Build"
gates = ["g1", "g2", "g3", "g4"]

[[phases]]
id = 1
name = "Release"

[gates.g1]
run = "test -f src/lib.rs"
category = "build"

[gates.g2]
run = "grep -q 'a + b' src/lib.rs"
category = "testing"

[gates.g3]
run = "true"
category = "quality"

[gates.g4]
run = "echo four"
category = "quality"

[policy]
protected = ["refs/heads/main"]
"#;

/// The CI key's principal in the trust list.
pub const CI_PRINCIPAL: &str = "ci@github-actions";

/// A developer's clone, the CI key's text, and the bare remote.
pub struct CiProject {
    /// The developer's clone (its default key is trusted as tester@example.com).
    pub dev: Repo,
    /// The bare repository standing in for the remote.
    pub remote: tempfile::TempDir,
    /// The CI key's private text (its file is deleted once read).
    pub ci_key_text: String,
    /// The CI key.
    pub ci_key: KeyInfo,
}

impl CiProject {
    /// `config` committed with both keys trusted, main and the state pushed.
    pub fn new(config: &str) -> Self {
        let dev = Repo::new();
        dev.write(".auditops.toml", config);
        dev.ok(&["init"]);
        let dev_key = dev.generate_key(None);
        let file = dev.home.path().join("ci_key");
        let mut ci_key = dev.generate_key(Some(&file));
        ci_key.allowed_signers_line =
            ci_key
                .allowed_signers_line
                .replacen("tester@example.com", CI_PRINCIPAL, 1);
        let ci_key_text = std::fs::read_to_string(&file).unwrap();
        std::fs::remove_file(&file).unwrap();
        std::fs::remove_file(file.with_extension("pub")).ok();
        dev.trust(&[&dev_key, &ci_key]);
        let remote = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("git")
            .args(["init", "-q", "--bare", "-b", "main"])
            .arg(remote.path())
            .output()
            .unwrap();
        assert!(out.status.success());
        dev.git(&["remote", "add", "origin", remote.path().to_str().unwrap()]);
        // The first push of main predates any gate result: no hook for it.
        dev.git(&["push", "-q", "--no-verify", "origin", "main"]);
        dev.ok(&["state", "push"]);
        CiProject {
            dev,
            remote,
            ci_key_text,
            ci_key,
        }
    }

    /// A fresh clone of the remote acting as a CI runner (no key of its own).
    pub fn runner(&self) -> Repo {
        let runner = Repo::clone_from(self.remote.path());
        runner.git(&["fetch", "-q", "origin", "+refs/auditops/*:refs/auditops/*"]);
        runner
    }

    /// Our binary in `repo` with the CI key in the environment.
    pub fn ci_cmd(&self, repo: &Repo, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(support::BIN);
        support::isolate(&mut cmd, repo.home.path());
        cmd.current_dir(repo.path())
            .env("AUDITOPS_SIGNING_KEY", &self.ci_key_text)
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_STEP_SUMMARY")
            .args(args);
        cmd
    }

    /// Runs our binary in `repo` as CI (with the key), under the hang guard.
    pub fn ci(&self, repo: &Repo, args: &[&str]) -> Output {
        support::output_with_hang_guard(&mut self.ci_cmd(repo, args))
    }
}

/// Runs `cmd` under the hang guard with `env` added.
pub fn run_with(repo: &Repo, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = std::process::Command::new(support::BIN);
    support::isolate(&mut cmd, repo.home.path());
    cmd.current_dir(repo.path()).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let _ = HANG_GUARD;
    support::output_with_hang_guard(&mut cmd)
}

/// `git push` with our hooks, under the hang guard.
pub fn git_push(repo: &Repo, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new("git");
    support::isolate(&mut cmd, repo.home.path());
    cmd.current_dir(repo.path()).arg("push").args(args);
    support::output_with_hang_guard(&mut cmd)
}

/// Every stored line of the state ref at `repo`, with each envelope's payload
/// decoded next to it: what a search for leaked text must look through.
pub fn state_text(repo: &Repo) -> String {
    let files = repo.git(&["ls-tree", "-r", "--name-only", support::STATE_REF]);
    let mut text = String::new();
    for file in files.lines() {
        let blob = repo.git(&["cat-file", "-p", &format!("{}:{file}", support::STATE_REF)]);
        for line in blob.lines() {
            text += line;
            text += "\n";
            if let Ok(opened) = git_auditops::sign::open(line.as_bytes()) {
                text += &String::from_utf8_lossy(&opened.payload);
                text += "\n";
            }
        }
    }
    text
}

/// Every object of the repository's database, decompressed, and every plain
/// file under `.git` (config, logs, refs, auditops caches and logs).
pub fn git_dir_text(repo: &Repo) -> String {
    let mut cmd = std::process::Command::new("git");
    support::isolate(&mut cmd, repo.home.path());
    let objects = cmd
        .current_dir(repo.path())
        .args(["cat-file", "--batch-all-objects", "--batch"])
        .output()
        .unwrap();
    let mut text = String::from_utf8_lossy(&objects.stdout).into_owned();
    let mut stack = vec![repo.path().join(".git")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                text += &String::from_utf8_lossy(&bytes);
            }
        }
    }
    text
}

/// The pieces of a private key's text that must never be seen again: the
/// whole text and each long line of its base64 body.
pub fn secret_pieces(key_text: &str) -> Vec<String> {
    let mut pieces = vec![key_text.trim().to_owned()];
    pieces.extend(
        key_text
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() >= 20)
            .map(str::to_owned),
    );
    pieces
}

/// Asserts that none of `pieces` occurs in `haystack` (named `place`).
#[track_caller]
pub fn assert_absent(pieces: &[String], haystack: &str, place: &str) {
    for piece in pieces {
        assert!(
            !haystack.contains(piece.as_str()),
            "a piece of the private key appears in {place}"
        );
    }
}

/// A run's standard error, for failure messages.
pub fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every gate result in `repo`'s state: (tree, gate, passed), one per record.
pub fn gate_results(repo: &Repo) -> Vec<(String, String, bool)> {
    let files = repo.git(&["ls-tree", "-r", "--name-only", support::STATE_REF]);
    let mut out = Vec::new();
    for file in files
        .lines()
        .filter(|f| f.starts_with("index/gate-result/"))
    {
        let blob = repo.git(&["cat-file", "-p", &format!("{}:{file}", support::STATE_REF)]);
        for line in blob.lines().filter(|l| !l.trim().is_empty()) {
            let opened = git_auditops::sign::open(line.as_bytes()).expect("a record");
            let payload: serde_json::Value = serde_json::from_slice(&opened.payload).unwrap();
            let p = &payload["predicate"];
            out.push((
                p["tree"].as_str().unwrap().to_owned(),
                p["gate"].as_str().unwrap().to_owned(),
                p["passed"].as_bool().unwrap(),
            ));
        }
    }
    out.sort();
    out
}
