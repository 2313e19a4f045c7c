//! Real temporary repositories for the benchmarks: an isolated HOME holding a
//! generated signing key, and repositories that trust it.

use super::history;
use super::measure::{run_text, run_timed};
use super::patches;
use base64::Engine as _;
use git_auditops::sign::{self, KeySource};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The file every evidence record quotes, and the lines quoted.
pub const QUOTED_FILE: &str = "src/sample.rs";
pub const QUOTED_LINES: &str = "1-5";
pub const PRINCIPAL: &str = "bench@example.com";
/// Where each repository trusts the workspace key (the default path).
pub const ALLOWED_SIGNERS: &str = ".auditops/allowed_signers";

/// A file of the first commit of a generated history: path and content.
pub type BaseFile<'a> = (&'a str, &'a [u8]);

/// Environment variables that would point git (or the tool) somewhere else.
const SCRUBBED_ENV: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "RUST_LOG",
    "AUDITOPS_KEY_PASSPHRASE",
];

/// Points this process (and so every child and the in-process library) at an
/// isolated HOME and git configuration.
///
/// Must be called before the harness starts any thread.
pub fn isolate_environment(home: &Path) {
    // SAFETY: called from `main` before any other thread exists, so nothing can
    // read the environment concurrently.
    unsafe {
        for var in SCRUBBED_ENV {
            std::env::remove_var(var);
        }
        std::env::set_var("HOME", home);
        std::env::set_var("GIT_CONFIG_NOSYSTEM", "1");
        std::env::set_var("GIT_CONFIG_GLOBAL", "/dev/null");
        std::env::set_var("GIT_TERMINAL_PROMPT", "0");
        std::env::set_var("LC_ALL", "C");
        // The post-commit hooks `init` installs start no daemon behind the
        // measurements; the daemon scenario starts its own.
        std::env::set_var("AUDITOPS_DAEMON", "off");
    }
}

/// The isolated HOME with its key, and the tool binary.
pub struct Workspace {
    root: PathBuf,
    pub home: PathBuf,
    pub bin: PathBuf,
    /// `ssh-ed25519 AAAA…` as `key show --json` prints it.
    pub public_key: String,
    /// securesystemslib's keyid of the key.
    pub keyid: String,
    /// The raw 32-byte public key in hex (what securesystemslib calls `public`).
    pub public_hex: String,
    pub key_path: PathBuf,
}

impl Workspace {
    /// Creates HOME under `root` and generates the signing key there. The
    /// environment must already be isolated with [`isolate_environment`].
    pub fn new(root: &Path, bin: &Path) -> Workspace {
        let home = root.join("home");
        std::fs::create_dir_all(&home).expect("create the bench HOME");
        let mut ws = Workspace {
            root: root.to_owned(),
            home,
            bin: bin.to_owned(),
            public_key: String::new(),
            keyid: String::new(),
            public_hex: String::new(),
            key_path: PathBuf::new(),
        };
        // `key generate` runs inside a repository like every command.
        let scratch = root.join("keygen");
        ws.git_init(&scratch);
        run_text(ws.auditops(&scratch).args(["key", "generate", "--json"]));
        let shown: serde_json::Value = serde_json::from_str(&run_text(
            ws.auditops(&scratch).args(["key", "show", "--json"]),
        ))
        .expect("`key show --json` prints JSON");
        let field = |name: &str| {
            shown[name]
                .as_str()
                .unwrap_or_else(|| panic!("`key show --json` has no string `{name}`: {shown}"))
                .to_owned()
        };
        ws.public_key = field("public_key");
        ws.keyid = field("keyid");
        ws.key_path = PathBuf::from(field("path"));
        ws.public_hex = raw_public_hex(&ws.public_key);
        ws
    }

    /// A `git` command run in `dir` (isolated by [`isolate_environment`]).
    pub fn git(&self, dir: &Path) -> Command {
        let mut cmd = Command::new("git");
        cmd.current_dir(dir);
        cmd
    }

    /// `PATH` with the release binary's folder first: what an installed hook
    /// (which runs `git-auditops` by name) finds, as after `cargo install`.
    pub fn path_with_bin(&self) -> std::ffi::OsString {
        let bin_dir = self.bin.parent().expect("the binary's folder");
        std::env::join_paths(
            std::iter::once(bin_dir.to_owned()).chain(std::env::split_paths(
                &std::env::var_os("PATH").unwrap_or_default(),
            )),
        )
        .expect("PATH")
    }

    /// A `git` command run in `dir` whose hooks find the release binary.
    pub fn git_with_hooks(&self, dir: &Path) -> Command {
        let mut cmd = self.git(dir);
        cmd.env("PATH", self.path_with_bin());
        cmd
    }

    /// A `git-auditops` command (the release binary) run in `dir`.
    pub fn auditops(&self, dir: &Path) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.current_dir(dir);
        cmd
    }

    /// A directory for something named `name` in the scratch space.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// The workspace signing key, loaded in-process.
    pub fn signing_key(&self) -> sign::SigningKey {
        sign::key::load(&self.key_path, KeySource::DefaultPath).expect("load the bench signing key")
    }

    /// `git-auditops hook pre-push origin <url>` in `repo`, as git runs the hook
    /// for a push to `origin` (the input goes on its stdin).
    pub fn pre_push_hook(&self, repo: &BenchRepo) -> Command {
        let mut cmd = self.auditops(&repo.dir);
        cmd.args(["hook", "pre-push", "origin", &repo.origin_url()]);
        cmd
    }

    /// The lines of `git count-objects -v` in `dir` that start with one of
    /// `fields` (`"count:"`, `"size-pack:"`, …), joined by `, `.
    pub fn count_objects(&self, dir: &Path, fields: &[&str]) -> String {
        let objects = run_text(self.git(dir).args(["count-objects", "-v"]));
        let objects: Vec<&str> = objects
            .lines()
            .filter(|l| fields.iter().any(|f| l.starts_with(f)))
            .collect();
        objects.join(", ")
    }

    /// The allowed_signers line trusting the workspace key, with its newline.
    pub fn allowed_signers(&self) -> String {
        format!("{PRINCIPAL} namespaces=\"auditops\" {}\n", self.public_key)
    }

    fn git_init(&self, dir: &Path) {
        std::fs::create_dir_all(dir).expect("create a repository directory");
        run_timed(self.git(dir).args(["init", "-q", "-b", "main"]));
        for (key, value) in [
            ("user.name", "Bench User"),
            ("user.email", PRINCIPAL),
            ("commit.gpgsign", "false"),
            ("gc.auto", "0"),
        ] {
            run_timed(self.git(dir).args(["config", key, value]));
        }
    }

    /// A repository with a committed `.auditops.toml`, an allowed_signers file
    /// trusting the workspace key, a file to quote, and an initialised state ref.
    pub fn repo(&self, name: &str) -> BenchRepo {
        let dir = self.root.join(name);
        self.git_init(&dir);
        std::fs::write(dir.join("README.md"), "bench fixture\n").expect("write README.md");
        run_timed(self.git(&dir).args(["add", "README.md"]));
        run_timed(self.git(&dir).args(["commit", "-q", "-m", "readme"]));

        std::fs::create_dir_all(dir.join("src")).expect("create src/");
        std::fs::write(dir.join(QUOTED_FILE), sample_source()).expect("write the quoted file");
        std::fs::create_dir_all(dir.join(".auditops")).expect("create .auditops/");
        std::fs::write(dir.join(ALLOWED_SIGNERS), self.allowed_signers())
            .expect("write allowed_signers");
        run_text(self.auditops(&dir).arg("init"));
        run_timed(self.git(&dir).args(["add", "-A"]));
        run_timed(self.git(&dir).args(["commit", "-q", "-m", "bench fixture"]));
        BenchRepo::at_head(self, dir)
    }
}

impl Workspace {
    /// A repository whose `main` has `commits` commits, made with
    /// `git fast-import` (see [`history::import`]): the first commit adds
    /// `config` as `.auditops.toml`, the allowed_signers file trusting the
    /// workspace key, README.md and the quoted file. The working tree is checked
    /// out, `origin` is an empty bare repository, and the state ref exists
    /// (`git-auditops init`).
    pub fn repo_with_history(&self, name: &str, commits: u64, config: &str) -> BenchRepo {
        let dir = self.imported(name, config, &mut |fast_import, base| {
            history::import(fast_import, commits, base);
        });
        self.add_origin(&dir);
        run_text(self.auditops(&dir).arg("init"));
        BenchRepo::at_head(self, dir)
    }

    /// A repository whose `main` holds `files` small files under `tree/`
    /// (folders of [`patches::FILES_PER_DIR`], made with `git fast-import`, see
    /// [`patches::import_tree`]) beside `config` as `.auditops.toml`, the
    /// allowed_signers file trusting the workspace key, README.md and the quoted
    /// file. `main` is checked out, `release` (not checked out) points at the
    /// same commit, and the state ref exists (`git-auditops init`).
    pub fn repo_with_files(&self, name: &str, files: u64, config: &str) -> BenchRepo {
        let dir = self.imported(name, config, &mut |fast_import, base| {
            patches::import_tree(fast_import, files, base);
        });
        run_timed(self.git(&dir).args(["branch", "release"]));
        run_text(self.auditops(&dir).arg("init"));
        BenchRepo::at_head(self, dir)
    }

    /// A new repository `name` whose history `import` writes through
    /// `git fast-import` (the command it is given), with the files every such
    /// repository starts with (README.md, the quoted file, the allowed_signers
    /// file trusting the workspace key, and `config` as `.auditops.toml`) to
    /// put in its first commit; `main` is then checked out.
    fn imported(
        &self,
        name: &str,
        config: &str,
        import: &mut dyn FnMut(&mut Command, &[BaseFile<'_>]),
    ) -> PathBuf {
        let dir = self.root.join(name);
        self.git_init(&dir);
        let sample = sample_source();
        let signers = self.allowed_signers();
        let base: [BaseFile<'_>; 4] = [
            ("README.md", b"bench fixture\n"),
            (QUOTED_FILE, sample.as_bytes()),
            (ALLOWED_SIGNERS, signers.as_bytes()),
            (".auditops.toml", config.as_bytes()),
        ];
        import(self.git(&dir).args(["fast-import", "--quiet"]), &base);
        run_timed(self.git(&dir).args(["reset", "-q", "--hard"]));
        dir
    }

    /// A repository with the same `main` as `source`, sharing its objects
    /// (alternates), checked out, with an empty bare `origin`: the same
    /// history for another tool's hooks, without disturbing `source`'s.
    pub fn repo_sharing(&self, name: &str, source: &BenchRepo) -> BenchRepo {
        let dir = self.root.join(name);
        self.git_init(&dir);
        std::fs::write(
            dir.join(".git/objects/info/alternates"),
            format!("{}\n", source.dir.join(".git/objects").display()),
        )
        .expect("write the alternates file");
        run_timed(self.git(&dir).args([
            "update-ref",
            "refs/heads/main",
            source.commits[0].as_str(),
        ]));
        run_timed(self.git(&dir).args(["reset", "-q", "--hard"]));
        self.add_origin(&dir);
        BenchRepo::at_head(self, dir)
    }

    /// `origin` → an empty bare repository (nothing is ever pushed to it).
    fn add_origin(&self, dir: &Path) {
        let bare = dir.with_extension("origin.git");
        run_timed(
            Command::new("git")
                .args(["init", "-q", "--bare"])
                .arg(&bare),
        );
        run_timed(self.git(dir).args(["remote", "add", "origin"]).arg(&bare));
    }
}

/// The file every record quotes: 40 short lines of Rust.
fn sample_source() -> String {
    (1..=40)
        .map(|i| format!("pub fn step_{i}(x: u64) -> u64 {{ x.wrapping_mul({i}) + 1 }}\n"))
        .collect()
}

/// One benchmark repository.
pub struct BenchRepo {
    pub dir: PathBuf,
    /// Two commit ids to point the `update-ref` baseline at in turn.
    pub commits: [String; 2],
}

impl BenchRepo {
    /// The repository in `dir`, with HEAD and HEAD~1 as its two commits.
    fn at_head(ws: &Workspace, dir: PathBuf) -> BenchRepo {
        let head = run_text(ws.git(&dir).args(["rev-parse", "HEAD"]));
        let parent = run_text(ws.git(&dir).args(["rev-parse", "HEAD~1"]));
        BenchRepo {
            dir,
            commits: [head, parent],
        }
    }

    /// The URL of `origin`, as git passes it to a pre-push hook.
    pub fn origin_url(&self) -> String {
        self.dir.with_extension("origin.git").display().to_string()
    }

    /// Opens the repository in-process the way the CLI does.
    pub fn open(&self) -> gix::Repository {
        git_auditops::git::open(&self.dir).expect("open the bench repository in-process")
    }
}

/// The last 32 bytes of the OpenSSH public key blob, in hex.
fn raw_public_hex(openssh: &str) -> String {
    let b64 = openssh
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("`{openssh}` is not an OpenSSH public key line"));
    let blob = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("the OpenSSH public key is base64");
    assert!(blob.len() >= 32, "the public key blob is too short");
    hex::encode(&blob[blob.len() - 32..])
}
