//! `AUDITOPS_SIGNING_KEY`: a CI key given as text signs, comes first, and
//! is never written anywhere.

use crate::ci_support::{self, CONFIG, CiProject, run_with};
use crate::support::{Repo, assert_stderr_contains, evidence_add, stdout};

#[test]
fn the_key_text_signs_and_appears_nowhere() {
    let project = CiProject::new(&CONFIG.replace("run = \"true\"", "run = \"env; true\""));
    let dev = &project.dev;
    // The developer's own key exists: the variable still comes first.
    let shown = project.ci(dev, &["key", "show", "--json"]);
    assert!(shown.status.success(), "{}", ci_support::stderr_of(&shown));
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["source"], "environment");
    assert_eq!(shown["keyid"], project.ci_key.keyid.as_str());
    assert_eq!(shown["trusted"], true);
    assert_eq!(shown["principals"][0], ci_support::CI_PRINCIPAL);
    let text = project.ci(dev, &["key", "show"]);
    assert!(stdout(&text).contains("environment variable AUDITOPS_SIGNING_KEY"));

    let added = project.ci(dev, &evidence_add("src/lib.rs", "1-3", "signed in CI"));
    assert!(added.status.success(), "{}", ci_support::stderr_of(&added));
    // g3 prints its environment: the variable must not reach a gate.
    let gates = project.ci(dev, &["gate", "run", "--phase", "0"]);
    assert!(gates.status.success(), "{}", ci_support::stderr_of(&gates));
    let listed: serde_json::Value =
        serde_json::from_str(&dev.ok(&["evidence", "list", "--json"])).unwrap();
    assert_eq!(listed[0]["keyid"], project.ci_key.keyid.as_str());
    let status: serde_json::Value =
        serde_json::from_str(&dev.ok(&["phase", "status", "--json"])).unwrap();
    let g3 = &status[0]["gates"][2];
    assert_eq!(g3["gate"], "g3");
    assert_eq!(g3["signer"], ci_support::CI_PRINCIPAL);
    assert!(
        g3["result"]["output_tail"]
            .as_str()
            .unwrap()
            .contains("AUDITOPS_GATE=g3"),
        "the gate printed its environment: {g3}"
    );

    let pieces = ci_support::secret_pieces(&project.ci_key_text);
    for (out, what) in [(&added, "evidence add"), (&gates, "gate run")] {
        ci_support::assert_absent(&pieces, &String::from_utf8_lossy(&out.stdout), what);
        ci_support::assert_absent(&pieces, &String::from_utf8_lossy(&out.stderr), what);
    }
    ci_support::assert_absent(&pieces, &ci_support::state_text(dev), "the state");
    ci_support::assert_absent(&pieces, &ci_support::git_dir_text(dev), ".git");
    assert!(dev.ok(&["verify"]).contains("ok"));
}

#[test]
fn a_malformed_value_is_exit_2_naming_the_variable() {
    let repo = Repo::new();
    repo.setup_trusted();
    let before = repo.state_tip();
    for bad in [
        "not a key at all",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGNvbGQ user",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
    ] {
        let env = [("AUDITOPS_SIGNING_KEY", bad)];
        let out = run_with(&repo, &evidence_add("src/lib.rs", "1-3", "x"), &env);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert_stderr_contains(&out, "AUDITOPS_SIGNING_KEY");
        assert!(
            !ci_support::stderr_of(&out).contains(bad),
            "echoed the value"
        );
        let shown = run_with(&repo, &["key", "show"], &env);
        assert_eq!(shown.status.code(), Some(2));
        assert_stderr_contains(&shown, "AUDITOPS_SIGNING_KEY");
    }
    assert_eq!(repo.state_tip(), before);
    // Empty, as a missing secret arrives: the other sources are used.
    let out = run_with(
        &repo,
        &["key", "show", "--json"],
        &[("AUDITOPS_SIGNING_KEY", " ")],
    );
    assert!(out.status.success());
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["source"], "default_path");
}
