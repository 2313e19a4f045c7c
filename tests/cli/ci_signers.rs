//! `[policy] gate_signers`: where gates are required, only results signed by a
//! matching trusted principal count.

use crate::ci_support::{self, CONFIG, CiProject, git_push};
use crate::support::stderr;

fn ci_only() -> String {
    CONFIG.replace(
        "protected = [\"refs/heads/main\"]",
        "protected = [\"refs/heads/main\"]\ngate_signers = [\"ci@*\"]",
    )
}

#[test]
fn a_laptops_results_serve_feature_branches_but_only_ci_counts_for_main() {
    let project = CiProject::new(&ci_only());
    let dev = &project.dev;
    dev.write("src/more.rs", "pub fn more() {}\n");
    dev.commit_all("more");
    dev.ok(&["gate", "run", "--phase", "0"]);

    // main: the laptop's passes do not count, and the refusal says whose would.
    let refused = git_push(dev, &["origin", "main"]);
    assert!(!refused.status.success());
    let err = stderr(&refused);
    assert!(err.contains("signed by tester@example.com"), "{err}");
    assert!(err.contains("only results signed by ci@* count"), "{err}");
    assert!(err.contains("let CI run them"), "{err}");
    let status: serde_json::Value =
        serde_json::from_str(&dev.ok(&["phase", "status", "--json"])).unwrap();
    let g1 = &status[0]["gates"][0];
    assert_eq!(g1["state"], "missing");
    assert_eq!(g1["unlisted_signers"][0], "tester@example.com");
    assert!(
        dev.ok(&["phase", "status"])
            .contains("passed only by tester@example.com")
    );
    let complete = dev.run(&["phase", "complete", "0"]);
    assert_eq!(complete.status.code(), Some(1));
    assert!(stderr(&complete).contains("ci@*"), "{}", stderr(&complete));

    // A feature branch is not protected: the laptop's results are enough.
    let feature = git_push(dev, &["origin", "HEAD:refs/heads/feature"]);
    assert!(feature.status.success(), "{}", stderr(&feature));

    // CI runs the gates on the same tree and pushes its signed results.
    let runner = project.runner();
    runner.git(&["fetch", "-q", "origin", "feature"]);
    let ran = project.ci(
        &runner,
        &["gate", "run", "--phase", "0", "--rev", "FETCH_HEAD"],
    );
    assert!(ran.status.success(), "{}", ci_support::stderr_of(&ran));
    let pushed = project.ci(&runner, &["state", "push"]);
    assert!(
        pushed.status.success(),
        "{}",
        ci_support::stderr_of(&pushed)
    );

    dev.ok(&["state", "pull"]);
    let allowed = git_push(dev, &["origin", "main"]);
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    let status: serde_json::Value =
        serde_json::from_str(&dev.ok(&["phase", "status", "--json"])).unwrap();
    assert_eq!(status[0]["gates"][0]["state"], "passed");
    assert_eq!(status[0]["gates"][0]["signer"], ci_support::CI_PRINCIPAL);
    dev.ok(&["phase", "complete", "0"]);
}

#[test]
fn an_empty_or_malformed_gate_signers_is_a_config_error() {
    let project = CiProject::new(CONFIG);
    let dev = &project.dev;
    for (bad, says) in [
        ("gate_signers = []", "gate_signers` is empty"),
        ("gate_signers = [\"ci @x\"]", "not a principal pattern"),
    ] {
        dev.write(
            ".auditops.toml",
            CONFIG.replace(
                "protected = [\"refs/heads/main\"]",
                &format!("protected = [\"refs/heads/main\"]\n{bad}"),
            ),
        );
        let out = dev.run(&["config", "check"]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
        assert!(
            stderr(&out).contains(".auditops.toml:30:"),
            "{}",
            stderr(&out)
        );
    }
}
