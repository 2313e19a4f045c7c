//! Benchmark harness of git-auditops: checks the performance targets of
//! docs/performance.md against baselines measured in the same run,
//! on real temporary repositories and the real release binary.
//!
//! This file holds the options, the list of scenarios and the summary table;
//! each scenario is a module of `benches/scenarios/` that says what it
//! measures, against which baseline and why, and the helpers they share are in
//! `benches/support/`. In the order they run:
//!
//! - `evidence_add` (1.): `git-auditops evidence add` against
//!   `git update-ref`; target ≤ 3×.
//! - `fill`: fills the big states (100,000 records) the next ones measure on.
//! - `append_growth` (2.): one append on a nearly empty log against one on
//!   the full log (in-process `Store::append` and the CLI); target ≤ 1.2×.
//! - `add_profile`: where one `evidence add` spends its time.
//! - `verify` (3.): `git-auditops verify` of the full state, cold and warm:
//!   CPU < 1 s, peak RSS < 100 MB, and ≥ 20× faster than securesystemslib;
//!   cold on every core against `--jobs 1` and against the ed25519 floor
//!   (the same signatures through the same batch routine, in-process).
//! - `prepush` (4.): the pre-push decision on 50,000 commits and 100,000
//!   records against `git rev-parse HEAD`; target ≤ 3×.
//! - `prepush_profile`: where the pre-push decision spends its time.
//! - `hook_tools`: the empty pre-push hooks of lefthook and pre-commit on the
//!   same history, for information.
//! - `patch_submit` (5.): `git-auditops patch submit` on 20,000 files until
//!   the first validator runs, against `git worktree add` + `git apply`;
//!   target ≤ 0.25× for a pooled worktree being reused.
//! - `patch_profile`: where `patch submit` spends its time.
//! - `gate_pool` (6.): a second `gate run` of a Rust project in the pooled
//!   worktree against a fresh worktree's full build, for information.
//! - `findings_import` (7., run after `verify`): `git-auditops findings import`
//!   of 10,000 SARIF results into the big state against an empty one; targets
//!   ≤ 1 s and ≤ 1.2×.
//! - `daemon` (10.): `git commit` with the post-commit hook against none, commit
//!   → first gate, and the idle daemon's memory and CPU ticks.
//! - `ci_run` (9.): `git-auditops ci run` with every gate already covered
//!   against `state pull` + `state push`; target ≤ 1.2×.
//!
//! Run it with
//!
//! ```text
//! cargo bench --bench auditops               # full run: 100,000 records
//! cargo bench --bench auditops -- --quick    # smoke run: 10,000 records
//! AUDITOPS_BENCH_QUICK=1 cargo bench --bench auditops
//! cargo bench --bench auditops -- --records 50000
//! cargo bench --bench auditops -- --commits 20000   # history of the pre-push repository
//! cargo bench --bench auditops -- --no-hook-tools   # do not install lefthook / pre-commit
//! cargo bench --bench auditops -- --files 50000     # files in the patch repository
//! cargo bench --bench auditops -- --only-patch      # only the patch measurement (5.)
//! cargo bench --bench auditops -- --only-daemon     # only the daemon measurement (10.)
//! cargo bench --bench auditops -- --quick --keep   # keep the repositories to profile
//! cargo bench --bench auditops -- --scaling 10000,100000,300000   # only the scaling table
//! TMPDIR=/dev/shm cargo bench --bench auditops      # repositories on tmpfs
//! ```
//!
//! The first table row depends heavily on how fast the file system creates files
//! (an append writes 3 new files, pack, index and ref lock; `update-ref` 1), so the run also reports that
//! cost as a `context` row.
//!
//! Without `--bench` on its command line (that is, under `cargo test --benches`
//! or `--all-targets`), it runs a tiny smoke pass (1,000 records, 500 commits,
//! 300 files, few runs, no installs) so that the harness itself is exercised without taking
//! minutes.
//!
//! Results print as a table (measurement, ours, baseline, ratio, target,
//! PASS/MISS). A MISS does not fail the run: these are benchmarks, not tests.
//! docs/performance.md explains the measurements and records results.

mod scenarios;
mod support;

use scenarios::{
    add_profile, append_growth, ci_run, daemon, evidence_add, fill, findings_import, gate_pool,
    hook_tools, patch_profile, patch_submit, prepush, prepush_profile, scaling, verify,
};
use std::path::Path;
use support::fixture::{Workspace, isolate_environment};
use support::fmt_count;
use support::measure::run_text;
use support::records::CliAdder;
use support::report::Table;

/// The record count the targets are stated for.
const TARGET_RECORDS: u64 = 100_000;
/// The history length the pre-push target is stated for.
const TARGET_COMMITS: u64 = 50_000;
/// The repository size the patch target is stated for.
const TARGET_FILES: u64 = 20_000;

struct Options {
    mode: &'static str,
    /// Records in the big state.
    records: u64,
    /// Runs of each CLI measurement (after warm-up).
    cli_runs: usize,
    /// Runs of each in-process measurement (after warm-up).
    inproc_runs: usize,
    warmup: usize,
    /// Child runs of `verify`.
    verify_runs: usize,
    /// Records per `Store::append` while filling.
    fill_batch: u64,
    /// Envelopes given to securesystemslib.
    python_subset: u64,
    /// Commits in the pre-push repository's history.
    commits: u64,
    /// Runs of each pre-push hook measurement (after warm-up).
    hook_runs: usize,
    /// Runs of each other hook manager's hook (after warm-up).
    tool_runs: usize,
    /// Install lefthook and pre-commit to compare with.
    hook_tools: bool,
    /// Files in the patch repository.
    files: u64,
    /// Runs of `patch submit` on a reused pooled worktree, and of the baseline
    /// (after warm-up).
    patch_runs: usize,
    /// Runs of `patch submit` that create the pooled worktree (the first use,
    /// then after removing it), each with a baseline run.
    first_use_runs: usize,
    /// Run only the patch measurement (5.).
    only_patch: bool,
    /// `--only-daemon`: only the daemon measurement.
    only_daemon: bool,
    /// Leave the scratch repositories in place for profiling.
    keep: bool,
    /// `--scaling 10000,100000,300000`: only the scaling table, at these sizes.
    scaling: Vec<u64>,
}

impl Options {
    fn from_args() -> Options {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let env_quick = std::env::var("AUDITOPS_BENCH_QUICK")
            .is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
        let quick = env_quick || args.iter().any(|a| a == "--quick");
        let benching = args.iter().any(|a| a == "--bench");
        let number_arg = |flag: &str, min: u64| {
            args.iter().position(|a| a == flag).map(|i| {
                args.get(i + 1)
                    .and_then(|n| n.replace(['_', ','], "").parse::<u64>().ok())
                    .filter(|n| *n >= min)
                    .unwrap_or_else(|| panic!("{flag} takes a number ≥ {min}"))
            })
        };
        let records_arg = number_arg("--records", 1);
        let commits_arg = number_arg("--commits", 2);
        let files_arg = number_arg("--files", 2);
        let sized = records_arg.is_some() || commits_arg.is_some() || files_arg.is_some();
        let mut options = if !benching && !quick && !sized {
            Options {
                mode: "smoke (no --bench: cargo test)",
                records: 1_000,
                cli_runs: 3,
                inproc_runs: 5,
                warmup: 1,
                verify_runs: 1,
                fill_batch: 500,
                python_subset: 200,
                commits: 500,
                hook_runs: 3,
                tool_runs: 2,
                // No network installs under `cargo test`.
                hook_tools: false,
                files: 300,
                patch_runs: 2,
                first_use_runs: 1,
                only_patch: false,
                only_daemon: false,
                keep: false,
                scaling: Vec::new(),
            }
        } else if quick {
            Options {
                mode: "quick",
                records: 10_000,
                cli_runs: 30,
                inproc_runs: 100,
                warmup: 3,
                verify_runs: 3,
                fill_batch: 1_000,
                python_subset: 2_000,
                commits: 5_000,
                hook_runs: 30,
                tool_runs: 5,
                hook_tools: true,
                files: 2_000,
                patch_runs: 5,
                first_use_runs: 2,
                only_patch: false,
                only_daemon: false,
                keep: false,
                scaling: Vec::new(),
            }
        } else {
            Options {
                mode: "full",
                records: TARGET_RECORDS,
                cli_runs: 30,
                inproc_runs: 100,
                warmup: 3,
                verify_runs: 3,
                fill_batch: 1_000,
                python_subset: 5_000,
                commits: TARGET_COMMITS,
                hook_runs: 30,
                tool_runs: 10,
                hook_tools: true,
                files: TARGET_FILES,
                patch_runs: 10,
                first_use_runs: 4,
                only_patch: false,
                only_daemon: false,
                keep: false,
                scaling: Vec::new(),
            }
        };
        if let Some(records) = records_arg {
            options.records = records;
            if !quick {
                options.mode = "custom size";
            }
        }
        if let Some(commits) = commits_arg {
            options.commits = commits;
            if !quick {
                options.mode = "custom size";
            }
        }
        if let Some(files) = files_arg {
            options.files = files;
            if !quick {
                options.mode = "custom size";
            }
        }
        options.python_subset = options.python_subset.min(options.records);
        options.keep = args.iter().any(|a| a == "--keep");
        options.scaling = args
            .iter()
            .position(|a| a == "--scaling")
            .map(|i| {
                args.get(i + 1)
                    .map(|list| {
                        list.split(',')
                            .map(|n| n.replace('_', "").parse::<u64>().ok().filter(|n| *n > 0))
                            .collect::<Option<Vec<u64>>>()
                    })
                    .and_then(|sizes| sizes)
                    .unwrap_or_else(|| panic!("--scaling takes sizes, e.g. 10000,100000,300000"))
            })
            .unwrap_or_default();
        options.only_patch = args.iter().any(|a| a == "--only-patch");
        options.only_daemon = args.iter().any(|a| a == "--only-daemon");
        if args.iter().any(|a| a == "--no-hook-tools") {
            options.hook_tools = false;
        }
        options
    }
}

fn main() {
    // When started as the child-measuring helper, this runs the child and exits.
    support::measure::helper_main();
    let options = Options::from_args();
    let root = tempfile::Builder::new()
        .prefix("auditops-bench-")
        .tempdir()
        .expect("create a temporary directory");
    // Before any thread starts: the whole process, the library included, sees
    // only the bench HOME and repository-local git configuration.
    isolate_environment(&root.path().join("home"));
    let bin = Path::new(env!("CARGO_BIN_EXE_git-auditops"));
    let ws = Workspace::new(root.path(), bin);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);

    println!("git-auditops benchmarks — {} mode", options.mode);
    println!("  binary:  {}", bin.display());
    println!(
        "  git:     {}",
        run_text(std::process::Command::new("git").arg("--version"))
    );
    if cfg!(debug_assertions) {
        println!("  profile: debug (unoptimised): timings are not meaningful; use `cargo bench`");
    }
    println!("  records: {}", fmt_count(options.records));
    println!(
        "  commits: {} (pre-push repository)",
        fmt_count(options.commits)
    );
    println!("  files:   {} (patch repository)", fmt_count(options.files));
    println!("  cores:   {threads}");
    println!("  scratch: {}", root.path().display());
    println!("  keyid:   {}", ws.keyid);

    if !options.scaling.is_empty() {
        scaling::run(&ws, &options.scaling, threads);
        if options.keep {
            println!("Kept the scratch repositories in {}", root.keep().display());
        }
        return;
    }
    let mut table = Table::default();
    // The daemon's rows come first: they are a few milliseconds on top of a
    // `git commit`, and the scenarios below leave this machine's file system
    // busy for minutes (hundreds of thousands of files written and deleted;
    // see docs/performance.md, "Running it"), which in the last place inflated
    // the commit overhead from +3–4 ms to +6–7 ms in two full runs while
    // `--only-daemon` right after them measured +2.9 ms.
    if !options.only_patch {
        daemon::run(&ws, &options, &mut table);
    }
    if options.only_daemon {
        println!("  (--only-daemon: every other measurement skipped)");
        println!();
        print!("{}", table.render());
        return;
    }
    if options.only_patch {
        println!("  (--only-patch: measurements 1–4 skipped)");
    } else {
        let small = ws.repo("small");
        let big = ws.repo("big");
        let edge = ws.repo("edge");
        let mut adder = CliAdder::default();

        evidence_add::run(&ws, &small, &options, &mut adder, &mut table);
        fill::big_state(&ws, &big, &options, threads);
        fill::edge_state(&ws, &edge, &options, threads);
        append_growth::run(&ws, [&small, &big, &edge], &options, &mut adder, &mut table);
        add_profile::run(&ws, &big, &options);
        verify::run(&ws, &big, &options, &mut table);
        findings_import::run(&ws, &small, &big, &options, &mut table);
        let measured = prepush::run(&ws, &options, threads, &mut table);
        prepush_profile::run(&ws, &measured, &options);
        hook_tools::run(&ws, &measured, &options, &mut table);
    }
    let measured = patch_submit::run(&ws, &options, &mut table);
    patch_profile::run(&ws, &measured, &options);
    gate_pool::run(&ws, &options, &mut table);
    ci_run::run(&ws, &options, &mut table);

    println!();
    println!(
        "Summary ({} mode, {} records, {} commits, {} files, medians):",
        options.mode,
        fmt_count(options.records),
        fmt_count(options.commits),
        fmt_count(options.files)
    );
    print!("{}", table.render());
    match table.misses() {
        0 => println!("All targets met."),
        n => println!("{n} target(s) missed (see docs/performance.md)."),
    }
    if options.keep {
        println!("Kept the scratch repositories in {}", root.keep().display());
    }
}
