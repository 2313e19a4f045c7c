//! Every git configuration source counts, as it does for git: `git -c` (which
//! reaches us as `GIT_CONFIG_PARAMETERS`), `GIT_CONFIG_COUNT`/`_KEY_n`/`_VALUE_n`,
//! `GIT_CONFIG_GLOBAL` and includes, for the signing key and the identity of the
//! state commits. Run through the real `git`, which finds our binary on PATH as
//! `git-auditops`.

use crate::support::{self, KeyInfo, Repo, STATE_REF, evidence_add, stderr};
use std::process::{Command, Output};

/// A repository with two trusted keys, K1 configured as `auditops.signingKey`.
struct TwoKeys {
    repo: Repo,
    k1: KeyInfo,
    k2: KeyInfo,
}

impl TwoKeys {
    fn new() -> Self {
        let repo = Repo::new();
        repo.ok(&["init"]);
        let k1 = repo.generate_key(Some(&repo.home.path().join("keys/k1")));
        let k2 = repo.generate_key(Some(&repo.home.path().join("keys/k2 with space")));
        repo.trust(&[&k1, &k2]);
        TwoKeys { repo, k1, k2 }
    }

    fn use_k1_in_repo_config(&self) {
        self.repo
            .git(&["config", "auditops.signingKey", &path(&self.k1)]);
    }

    /// `git GIT_ARGS auditops ARGS` with `env` added.
    fn git_auditops(&self, git_args: &[&str], args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new("git");
        support::isolate(&mut cmd, self.repo.home.path());
        cmd.current_dir(self.repo.path())
            .args(git_args)
            .arg("auditops")
            .args(args)
            .envs(env.iter().copied());
        cmd.output().expect("run git auditops")
    }

    /// Records evidence through `git GIT_ARGS auditops` and returns the key id
    /// its record was signed with.
    fn add_and_keyid(&self, git_args: &[&str], env: &[(&str, &str)], description: &str) -> String {
        let out = self.git_auditops(
            git_args,
            &evidence_add("src/lib.rs", "1-3", description),
            env,
        );
        assert!(
            out.status.success(),
            "git {git_args:?} auditops evidence add: {}",
            stderr(&out)
        );
        let records = self.repo.evidence_json();
        let record = records
            .iter()
            .find(|e| e["description"] == description)
            .unwrap_or_else(|| panic!("no record {description:?} in {records:?}"));
        record["keyid"].as_str().expect("keyid").to_owned()
    }
}

fn path(key: &KeyInfo) -> String {
    key.private_key.display().to_string()
}

#[test]
fn git_dash_c_signing_key_wins_over_the_repository_config() {
    let t = TwoKeys::new();
    t.use_k1_in_repo_config();
    assert_eq!(t.add_and_keyid(&[], &[], "plain"), t.k1.keyid);
    let setting = format!("auditops.signingKey={}", path(&t.k2));
    assert_eq!(
        t.add_and_keyid(&["-c", &setting], &[], "with -c"),
        t.k2.keyid
    );
    // `key show` reads the same lookup.
    let out = t.git_auditops(&["-c", &setting], &["key", "show", "--json"], &[]);
    let show: serde_json::Value = serde_json::from_slice(&out.stdout).expect("key show json");
    assert_eq!(show["keyid"], t.k2.keyid.as_str());
}

#[test]
fn git_dash_c_user_signing_key_with_ssh_format() {
    let t = TwoKeys::new();
    // git's own (gpg) signing setup in the repository config, overridden by -c.
    t.repo.git(&["config", "gpg.format", "openpgp"]);
    t.repo
        .git(&["config", "user.signingKey", "ABCDEF0123456789"]);
    let key = format!("user.signingKey={}.pub", path(&t.k2));
    let keyid = t.add_and_keyid(&["-c", &key, "-c", "gpg.format=ssh"], &[], "git key");
    assert_eq!(keyid, t.k2.keyid);
}

#[test]
fn git_config_count_and_its_order_below_dash_c() {
    let t = TwoKeys::new();
    let k1 = path(&t.k1);
    let k2 = path(&t.k2);
    let count = [
        ("GIT_CONFIG_COUNT", "1"),
        ("GIT_CONFIG_KEY_0", "auditops.signingKey"),
        ("GIT_CONFIG_VALUE_0", k2.as_str()),
    ];
    assert_eq!(t.add_and_keyid(&[], &count, "count"), t.k2.keyid);
    // git reads `-c` after GIT_CONFIG_COUNT, so `-c` wins.
    let setting = format!("auditops.signingKey={k1}");
    assert_eq!(
        t.add_and_keyid(&["-c", &setting], &count, "count and -c"),
        t.k1.keyid
    );
}

#[test]
fn git_config_global_and_includes_are_read() {
    let t = TwoKeys::new();
    let global = t.repo.home.path().join("other-global");
    std::fs::write(
        &global,
        format!(
            "[gpg]\n\tformat = ssh\n[user]\n\tsigningKey = {}\n",
            path(&t.k2)
        ),
    )
    .unwrap();
    let global_str = global.display().to_string();
    let env = [("GIT_CONFIG_GLOBAL", global_str.as_str())];
    assert_eq!(t.add_and_keyid(&[], &env, "global"), t.k2.keyid);

    // An include in the repository config, with the key K1 after it in the
    // file: git's last-one-wins order holds across the include.
    let included = t.repo.home.path().join("included");
    std::fs::write(
        &included,
        format!("[auditops]\n\tsigningKey = {}\n", path(&t.k2)),
    )
    .unwrap();
    t.use_k1_in_repo_config();
    assert_eq!(t.add_and_keyid(&[], &[], "before include"), t.k1.keyid);
    t.repo.git(&["config", "--unset", "auditops.signingKey"]);
    t.repo
        .git(&["config", "include.path", &included.display().to_string()]);
    assert_eq!(t.add_and_keyid(&[], &[], "included"), t.k2.keyid);

    // `git -c include.path=…` includes too.
    t.repo.git(&["config", "--unset", "include.path"]);
    t.use_k1_in_repo_config();
    let include = format!("include.path={}", included.display());
    assert_eq!(
        t.add_and_keyid(&["-c", &include], &[], "include from -c"),
        t.k2.keyid
    );
}

#[test]
fn git_dash_c_identity_names_the_state_commit() {
    let t = TwoKeys::new();
    t.use_k1_in_repo_config();
    t.add_and_keyid(
        &[
            "-c",
            "user.name=Ann O'Neil",
            "-c",
            "user.email=ann@example.com",
        ],
        &[],
        "identity",
    );
    let who = t.repo.git(&["log", "-1", "--format=%an <%ae>", STATE_REF]);
    assert_eq!(who, "Ann O'Neil <ann@example.com>");
}

#[test]
fn malformed_git_config_parameters_is_refused_before_writing() {
    let t = TwoKeys::new();
    t.use_k1_in_repo_config();
    t.repo.add_evidence("first");
    let before = t.repo.state_tip();
    let out = t
        .repo
        .cmd()
        .args(evidence_add("src/lib.rs", "1-3", "second"))
        .env(
            "GIT_CONFIG_PARAMETERS",
            "'auditops.signingKey'='unterminated",
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    support::assert_stderr_contains(&out, "GIT_CONFIG_PARAMETERS");
    assert_eq!(t.repo.state_tip(), before);
}
