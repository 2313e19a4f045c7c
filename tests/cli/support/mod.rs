//! Test support: real temporary git repositories with an isolated HOME, and
//! the real `git-auditops` binary run against them.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Output;

pub const BIN: &str = env!("CARGO_BIN_EXE_git-auditops");
pub const STATE_REF: &str = "refs/auditops/state";

/// A home directory and git config isolated from the machine's.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Self {
        Home {
            dir: tempfile::tempdir().expect("temp home"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Default for Home {
    fn default() -> Self {
        Self::new()
    }
}

/// PATH with our binary's folder first, as after `cargo install`: the hooks
/// we install exec `git-auditops` by name.
fn path_with_binary() -> std::ffi::OsString {
    let bin_dir = Path::new(BIN).parent().expect("binary folder");
    let mut paths = vec![bin_dir.to_owned()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).expect("PATH")
}

/// Applies the isolated environment to any command (ours or git's).
pub fn isolate(cmd: &mut std::process::Command, home: &Path) {
    cmd.env("HOME", home)
        .env("PATH", path_with_binary())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("AUDITOPS_KEY_PASSPHRASE")
        .env_remove("RUST_LOG")
        // The hooks start no daemon unless a test asks for one (tests/cli/daemon.rs).
        .env("AUDITOPS_DAEMON", "off")
        .env("GIT_AUTHOR_DATE", "2026-01-02T03:04:05Z")
        .env("GIT_COMMITTER_DATE", "2026-01-02T03:04:05Z");
}

/// A working repository on branch `main` with one committed file, `src/lib.rs`.
pub struct Repo {
    pub dir: tempfile::TempDir,
    pub home: Home,
}

impl Repo {
    pub fn new() -> Self {
        let repo = Repo {
            dir: tempfile::tempdir().expect("temp repo"),
            home: Home::new(),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.configure_identity();
        repo.write("src/lib.rs", SAMPLE_SOURCE);
        repo.commit_all("initial");
        repo
    }

    /// A clone of `url` with its own home.
    pub fn clone_from(url: &Path) -> Self {
        let repo = Repo {
            dir: tempfile::tempdir().expect("temp repo"),
            home: Home::new(),
        };
        let mut cmd = std::process::Command::new("git");
        isolate(&mut cmd, repo.home.path());
        let out = cmd
            .args(["clone", "-q"])
            .arg(url)
            .arg(repo.path())
            .output()
            .expect("git clone");
        assert!(
            out.status.success(),
            "clone: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        repo.configure_identity();
        repo
    }

    fn configure_identity(&self) {
        self.git(&["config", "user.name", "Test User"]);
        self.git(&["config", "user.email", "tester@example.com"]);
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Our binary, run in this repository.
    pub fn cmd(&self) -> Command {
        let mut std_cmd = std::process::Command::new(BIN);
        isolate(&mut std_cmd, self.home.path());
        std_cmd.current_dir(self.path());
        Command::from_std(std_cmd)
    }

    /// Runs our binary; a run that outlives [`HANG_GUARD`] is killed and fails
    /// the test as hung, so that no hang can stall the whole suite.
    pub fn run(&self, args: &[&str]) -> Output {
        let started = std::time::Instant::now();
        let out = self
            .cmd()
            .timeout(HANG_GUARD)
            .args(args)
            .output()
            .expect("run git-auditops");
        assert!(
            out.status.code().is_some() || started.elapsed() < HANG_GUARD,
            "hung: git-auditops {args:?} still running after {HANG_GUARD:?}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `verify --json` with `extra` arguments: its exit code and report.
    pub fn verify_json(&self, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
        let mut args = vec!["verify", "--json"];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|err| {
            panic!(
                "verify --json: {err}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code(), report)
    }

    /// Replaces `from` with `to` in `.auditops.toml` (which must contain it)
    /// and commits the result: policy is read from HEAD.
    pub fn edit_config(&self, from: &str, to: &str, message: &str) {
        let config = std::fs::read_to_string(self.path().join(".auditops.toml")).unwrap();
        assert!(config.contains(from), "`{from}` is not in:\n{config}");
        self.write(".auditops.toml", config.replace(from, to));
        self.commit_all(message);
    }

    /// Runs our binary and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "git-auditops {args:?} failed ({:?}):\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Runs git and expects success; returns trimmed stdout.
    pub fn git(&self, args: &[&str]) -> String {
        self.git_with(args, &[])
    }

    pub fn git_with(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let mut cmd = std::process::Command::new("git");
        isolate(&mut cmd, self.home.path());
        cmd.current_dir(self.path()).args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run git");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }

    pub fn commit_all(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// A new empty bare repository added as the remote `name`; it lives as
    /// long as the returned folder.
    pub fn add_bare_remote(&self, name: &str) -> tempfile::TempDir {
        let remote = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("git")
            .args(["init", "-q", "--bare"])
            .arg(remote.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "git init --bare: {}", stderr(&out));
        self.git(&["remote", "add", name, remote.path().to_str().unwrap()]);
        remote
    }

    /// The state ref's commit, if it exists.
    pub fn state_tip(&self) -> Option<String> {
        let mut cmd = std::process::Command::new("git");
        isolate(&mut cmd, self.home.path());
        let out = cmd
            .current_dir(self.path())
            .args(["rev-parse", "--verify", "-q", STATE_REF])
            .output()
            .expect("git rev-parse");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// Generates the default key (~/.ssh/id_ed25519), trusts it at HEAD, runs init.
    pub fn setup_trusted(&self) -> KeyInfo {
        self.ok(&["init"]);
        let key = self.generate_key(None);
        self.trust(&[&key]);
        key
    }

    /// `key generate [--out PATH]`.
    pub fn generate_key(&self, out: Option<&Path>) -> KeyInfo {
        let mut args = vec!["key", "generate", "--json"];
        let out_str;
        if let Some(out) = out {
            out_str = out.display().to_string();
            args.extend(["--out", out_str.as_str()]);
        }
        let json: serde_json::Value =
            serde_json::from_str(&self.ok(&args)).expect("key generate json");
        KeyInfo {
            private_key: PathBuf::from(json["private_key"].as_str().expect("path")),
            keyid: json["keyid"].as_str().expect("keyid").to_owned(),
            allowed_signers_line: json["allowed_signers_line"]
                .as_str()
                .expect("line")
                .to_owned(),
            public_key: json["public_key"].as_str().expect("public").to_owned(),
        }
    }

    /// A new bare repository as this clone's `origin`, with `main` pushed to it.
    pub fn publish_to_new_remote(&self) -> tempfile::TempDir {
        let remote = tempfile::tempdir().expect("temp remote");
        let out = std::process::Command::new("git")
            .args(["init", "-q", "--bare", "-b", "main"])
            .arg(remote.path())
            .output()
            .expect("git init --bare");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.git(&[
            "remote",
            "add",
            "origin",
            remote.path().to_str().expect("utf-8"),
        ]);
        self.git(&["push", "-q", "origin", "main"]);
        remote
    }

    /// Commits an allowed_signers file listing exactly `keys`.
    pub fn trust(&self, keys: &[&KeyInfo]) {
        let lines: Vec<&str> = keys
            .iter()
            .map(|k| k.allowed_signers_line.as_str())
            .collect();
        self.write(".auditops/allowed_signers", lines.join("\n") + "\n");
        self.commit_all("trust keys");
    }

    /// `evidence add` of lines 1-3 of src/lib.rs; returns the record id.
    pub fn add_evidence(&self, description: &str) -> String {
        self.ok(&[
            "evidence",
            "add",
            "--phase",
            "1",
            "--file",
            "src/lib.rs",
            "--lines",
            "1-3",
            "--description",
            description,
        ])
        .trim()
        .to_owned()
    }

    pub fn evidence_json(&self) -> Vec<serde_json::Value> {
        serde_json::from_str(&self.ok(&["evidence", "list", "--json"])).expect("list json")
    }

    pub fn record_ids(&self) -> std::collections::BTreeSet<String> {
        self.evidence_json()
            .iter()
            .map(|e| e["id"].as_str().expect("id").to_owned())
            .collect()
    }

    /// Rewrites one file of the state tree through git plumbing and moves the
    /// state ref to a new commit, as an attacker with push access could.
    pub fn tamper_state(&self, path_in_state: &str, edit: impl FnOnce(String) -> String) {
        let original = self.git(&["cat-file", "-p", &format!("{STATE_REF}:{path_in_state}")]);
        let edited = edit(original + "\n");
        let tmp = self.home.path().join("edited-blob");
        std::fs::write(&tmp, edited).expect("write blob");
        let blob = self.git(&["hash-object", "-w", tmp.to_str().expect("utf-8")]);
        let index = self.home.path().join("tamper-index");
        let index = index.to_str().expect("utf-8");
        let env = [("GIT_INDEX_FILE", index)];
        self.git_with(&["read-tree", STATE_REF], &env);
        self.git_with(
            &[
                "update-index",
                "--cacheinfo",
                &format!("100644,{blob},{path_in_state}"),
            ],
            &env,
        );
        let tree = self.git_with(&["write-tree"], &env);
        let commit = self.git(&["commit-tree", &tree, "-p", STATE_REF, "-m", "tamper"]);
        self.git(&["update-ref", STATE_REF, &commit]);
    }
}

impl Default for Repo {
    fn default() -> Self {
        Self::new()
    }
}

pub struct KeyInfo {
    pub private_key: PathBuf,
    pub keyid: String,
    pub allowed_signers_line: String,
    pub public_key: String,
}

pub const SAMPLE_SOURCE: &str = "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n\npub fn sub(a: i32, b: i32) -> i32 {\n    a - b\n}\n";

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The arguments of `evidence add` for phase 1.
pub fn evidence_add<'a>(file: &'a str, lines: &'a str, description: &'a str) -> [&'a str; 10] {
    [
        "evidence",
        "add",
        "--phase",
        "1",
        "--file",
        file,
        "--lines",
        lines,
        "--description",
        description,
    ]
}

/// Asserts that `out` said `needle` on its standard error, showing all of it if not.
#[track_caller]
pub fn assert_stderr_contains(out: &Output, needle: &str) {
    let err = stderr(out);
    assert!(
        err.contains(needle),
        "expected {needle:?} in stderr:\n{err}"
    );
}

/// The first evidence segment, where the first 32 records live.
pub const FIRST_SEGMENT: &str = "evidence/00000/00000000.jsonl";

/// How long a test waits for another process before calling it hung. A hang
/// guard, not a speed limit: speed is measured by `cargo bench`, and a loaded
/// 2-core machine must never fail a test for being slow.
pub const HANG_GUARD: std::time::Duration = std::time::Duration::from_secs(60);

/// Polls `done` until it holds; fails the test as hung after [`HANG_GUARD`].
#[track_caller]
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + HANG_GUARD;
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "hung: still waiting for {what} after {HANG_GUARD:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Runs `cmd` to its end and returns its output; kills it and fails the test
/// as hung if it has not ended after [`HANG_GUARD`].
#[track_caller]
pub fn output_with_hang_guard(cmd: &mut std::process::Command) -> Output {
    use std::io::Read;
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Drained as it comes, so that a full pipe cannot stall the child.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = std::time::Instant::now() + HANG_GUARD;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hung: {cmd:?} still running after {HANG_GUARD:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
    }
}
