//! Measurement 4: the pre-push decision (`git-auditops hook pre-push origin URL`, run as
//! git runs it, stdin and all) with recorded results, on a repository with
//! 50,000 commits (made with `git fast-import`) and 100,000 records in a full
//! run, against `git rev-parse HEAD` in the same repository, interleaved;
//! target ≤ 3× (docs/performance.md). The hook runs on every push, so it must cost
//! about what the cheapest git command does, however long the history and
//! however large the state. The hook finds the answer `gate run` prepared
//! (as the daemon does after the gates it runs: `src/prepared.rs`); the same
//! push with nothing prepared, which reads the state and keeps the answer,
//! and a refusal (a commit whose tree has no results) are timed in the same
//! loop, as `info` rows.
//!
//! The repository and the push input are handed on to the breakdown of the
//! hook's time (`prepush_profile`) and the comparison with other hook
//! managers (`hook_tools`).

use crate::Options;
use crate::support::fixture::{BenchRepo, Workspace};
use crate::support::fmt_count;
use crate::support::measure::{
    Samples, fmt_duration, ratio, run_text, run_timed, run_with_input, time,
};
use crate::support::records::fill_timed;
use crate::support::report::{Table, Verdict, section};

/// The `.auditops.toml` of the pre-push repository: one phase whose two gates
/// are trivial, and `main` protected.
pub const PREPUSH_CONFIG: &str = r#"version = 1

[[phases]]
id = 0
name = "Bench"
gates = ["builds", "has-readme"]

[gates.builds]
run = "true"
category = "build"

[gates.has-readme]
run = "test -f README.md"
category = "quality"

[policy]
protected = ["refs/heads/main"]
"#;

/// The pre-push repository once measured: its history, its full state with
/// results recorded for HEAD's tree, and our hook installed.
pub struct Prepush {
    pub repo: BenchRepo,
    /// The hook's stdin for a push of HEAD, which the hook allows.
    pub allow_input: Vec<u8>,
}

/// What git puts on a pre-push hook's stdin for `git push origin <commit>:main`
/// when the remote has no `main` yet.
pub fn push_input(commit: &str) -> Vec<u8> {
    format!(
        "refs/heads/main {commit} refs/heads/main {}\n",
        "0".repeat(40)
    )
    .into_bytes()
}

/// The pre-push decision on a long history and a full state, against
/// `git rev-parse HEAD`.
pub fn run(ws: &Workspace, options: &Options, threads: usize, table: &mut Table) -> Prepush {
    section(&format!(
        "4. pre-push decision: {} commits, {} records",
        fmt_count(options.commits),
        fmt_count(options.records)
    ));
    let (repo, elapsed) = time(|| ws.repo_with_history("prepush", options.commits, PREPUSH_CONFIG));
    println!(
        "  history: {} commits by git fast-import, checked out, `init`: {} ({}, size in KiB)",
        fmt_count(options.commits),
        fmt_duration(elapsed),
        ws.count_objects(&repo.dir, &["in-pack:", "size-pack:"])
    );
    let gix_repo = repo.open();
    let (stats, elapsed) = fill_timed(
        &gix_repo,
        ws.signing_key(),
        "prepush",
        options.records,
        options.fill_batch,
        threads,
    );
    drop(gix_repo);
    println!(
        "  state: {} signed evidence records in-process in {}",
        fmt_count(stats.records),
        fmt_duration(elapsed)
    );
    let (_, elapsed) = run_timed(ws.auditops(&repo.dir).args(["gate", "run"]));
    println!(
        "  git-auditops gate run (records signed results of both gates for HEAD's tree): {}",
        fmt_duration(elapsed)
    );
    // The script git runs (`exec git-auditops hook pre-push "$@"`), for the
    // comparison with other hook managers' scripts.
    run_text(ws.auditops(&repo.dir).args(["hooks", "install"]));

    let [head, parent] = &repo.commits;
    let allow_input = push_input(head);
    // HEAD~1: its tree differs from HEAD's and has no results.
    let refuse_input = push_input(parent);
    let hook = |input: &[u8]| run_with_input(&mut ws.pre_push_hook(&repo), input);
    let allowed = || {
        let (output, elapsed) = hook(&allow_input);
        assert!(
            output.status.success(),
            "the pre-push hook refused a push with recorded results ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        elapsed
    };
    let refused = || {
        let (output, elapsed) = hook(&refuse_input);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.code() == Some(1) && stderr.contains("gates have not passed"),
            "the pre-push hook did not refuse a tree without results ({}):\n{stderr}",
            output.status
        );
        elapsed
    };
    let rev_parse = || run_timed(ws.git(&repo.dir).args(["rev-parse", "HEAD"])).1;
    // What the daemon (or `gate run`, as above) prepared for HEAD: removed,
    // the hook works the decision out from the state and keeps it again.
    let prepared = repo.dir.join(".git/auditops/prepared-push.json");
    assert!(
        prepared.is_file(),
        "`gate run` did not prepare the push's answer"
    );
    let unprepared = || {
        std::fs::remove_file(&prepared).expect("remove the prepared answer");
        allowed()
    };
    for _ in 0..options.warmup {
        allowed();
        rev_parse();
        refused();
        unprepared();
    }
    let (mut ours, mut base, mut refusals, mut cold) = (
        Samples::default(),
        Samples::default(),
        Samples::default(),
        Samples::default(),
    );
    for _ in 0..options.hook_runs {
        ours.push(allowed());
        base.push(rev_parse());
        refusals.push(refused());
        cold.push(unprepared());
    }
    println!(
        "  hook pre-push, results recorded (exit 0 every run): {}",
        ours.summary()
    );
    println!(
        "  git rev-parse HEAD:                                 {}",
        base.summary()
    );
    println!(
        "  hook pre-push, tree without results (exit 1):      {}",
        refusals.summary()
    );
    println!(
        "  hook pre-push, nothing prepared (read the state):  {}",
        cold.summary()
    );
    let r = ratio(ours.median(), base.median());
    let r_refused = ratio(refusals.median(), base.median());
    let r_cold = ratio(cold.median(), base.median());
    println!("  ratio: {r:.2}× (refusal {r_refused:.2}×, nothing prepared {r_cold:.2}×)");
    let size = format!(
        "{} commits, {} records",
        fmt_count(options.commits),
        fmt_count(options.records)
    );
    table.push_comparison(
        format!("pre-push decision vs git rev-parse HEAD ({size})"),
        ours.median(),
        base.median(),
        "≤ 2× (issue 17; CLI.md ≤ 3×)",
        Verdict::from_bool(r <= 2.0),
    );
    table.push_comparison(
        "pre-push, nothing prepared (reads the state) vs git rev-parse HEAD",
        cold.median(),
        base.median(),
        "—",
        Verdict::Info,
    );
    table.push_comparison(
        "pre-push refusal (tree without results) vs git rev-parse HEAD",
        refusals.median(),
        base.median(),
        "—",
        Verdict::Info,
    );
    process_start(ws, &repo, options, table);
    Prepush { repo, allow_input }
}

/// Starting the binary at all, against git's own start (issue 17: ≤ 1.5×):
/// `git-auditops --version` vs `git --version`, interleaved.
fn process_start(ws: &Workspace, repo: &BenchRepo, options: &Options, table: &mut Table) {
    let (mut ours, mut git) = (Samples::default(), Samples::default());
    for i in 0..=3 * options.hook_runs {
        let (_, a) = run_timed(ws.auditops(&repo.dir).arg("--version"));
        let (_, b) = run_timed(ws.git(&repo.dir).arg("--version"));
        if i > 0 {
            ours.push(a);
            git.push(b);
        }
    }
    println!("  git-auditops --version: {}", ours.summary());
    println!("  git --version:          {}", git.summary());
    let r = ratio(ours.median(), git.median());
    table.push_comparison(
        "process start: git-auditops --version vs git --version",
        ours.median(),
        git.median(),
        "≤ 1.5×",
        Verdict::from_bool(r <= 1.5),
    );
}
