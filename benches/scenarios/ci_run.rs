//! Measurement 8: `git-auditops ci run` when every gate of the phase already
//! has a trusted pass for the tree (what most CI jobs find once a developer's
//! hook or another runner ran them) against the `state pull` + `state push`
//! it is made of, interleaved run by run; target ≤ 1.2× (issue 16): deciding
//! that nothing needs to run must cost next to nothing beside the transport.
//!
//! The remote is a local bare repository, so the transport is git's local
//! protocol: the ratio is an upper bound of what `ci run` adds to a real
//! network round trip, which only makes the baseline slower.

use crate::Options;
use crate::support::fixture::Workspace;
use crate::support::measure::{Samples, ratio, run_timed};
use crate::support::report::{Table, Verdict, section};

/// Two gates that pass, in the active phase.
const CONFIG: &str = r#"version = 1

[[phases]]
id = 0
name = "Build"
gates = ["build", "test"]

[gates.build]
run = "true"
category = "build"

[gates.test]
run = "true"
category = "testing"

[policy]
protected = ["refs/heads/main"]
"#;

/// `ci run` with every gate covered against `state pull` + `state push`.
pub fn run(ws: &Workspace, options: &Options, table: &mut Table) {
    section("9. ci run (all gates covered) vs state pull + state push");
    let repo = ws.repo("ci");
    let dir = &repo.dir;
    std::fs::write(dir.join(".auditops.toml"), CONFIG).expect("write .auditops.toml");
    run_timed(ws.git(dir).args(["commit", "-q", "-am", "phases"]));
    // A CI checkout has no hooks (and the bench binary is not on PATH for
    // them): pushes here must not start one.
    run_timed(ws.auditops(dir).args(["hooks", "uninstall"]));
    run_timed(ws.git(dir).args(["config", "auditops.hooks", "false"]));
    let bare = dir.with_extension("origin.git");
    run_timed(
        std::process::Command::new("git")
            .args(["init", "-q", "--bare"])
            .arg(&bare),
    );
    run_timed(ws.git(dir).args(["remote", "add", "origin"]).arg(&bare));
    run_timed(
        ws.git(dir)
            .args(["push", "-q", "--no-verify", "origin", "main"]),
    );
    // The gates ran once (here, as a developer's hook would): covered.
    run_timed(ws.auditops(dir).args(["gate", "run"]));
    run_timed(ws.auditops(dir).args(["state", "push"]));

    let (mut ours, mut base) = (Samples::default(), Samples::default());
    for i in 0..options.warmup + options.cli_runs {
        let (out, ci) = run_timed(ws.auditops(dir).args(["ci", "run", "--json"]));
        if i == 0 {
            let report: serde_json::Value =
                serde_json::from_slice(&out.stdout).expect("ci run --json prints JSON");
            assert!(
                report["gates"]
                    .as_array()
                    .is_some_and(|g| g.iter().all(|g| g["state"] == "already_passed")),
                "every gate should be covered: {report}"
            );
        }
        let (_, pull) = run_timed(ws.auditops(dir).args(["state", "pull"]));
        let (_, push) = run_timed(ws.auditops(dir).args(["state", "push"]));
        if i >= options.warmup {
            ours.push(ci);
            base.push(pull + push);
        }
    }
    println!("  git-auditops ci run (nothing to run): {}", ours.summary());
    println!("  state pull + state push:              {}", base.summary());
    let r = ratio(ours.median(), base.median());
    println!("  ratio: {r:.2}×");
    table.push_comparison(
        "ci run, all gates covered vs state pull + push",
        ours.median(),
        base.median(),
        "≤ 1.2×",
        Verdict::from_bool(r <= 1.2),
    );
}
