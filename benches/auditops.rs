//! Benchmark harness of git-auditops: checks the performance targets of
//! DESIGN.md ("Performance targets") against baselines measured in the same run,
//! on real temporary repositories and the real release binary.
//!
//! It measures:
//! 1. `git-auditops evidence add` (one signed record, from the CLI) against
//!    `git update-ref` in the same repository: median wall time; target ≤ 3×.
//! 2. Whether the cost of one append grows with the history: single-record
//!    appends (in-process `Store::append`, and the CLI `evidence add`) on a
//!    nearly empty log and on one holding 100,000 records, interleaved;
//!    target ≤ 1.2× (the 100,000th append against the first). For context it
//!    also times in-process appends into a nearly full group directory (the
//!    largest tree an append rewrites).
//! 3. `git-auditops verify` of those 100,000 signed records: CPU time
//!    (user + system, from `wait4`), peak RSS and wall time of the child;
//!    targets < 1 s CPU and < 100 MB. Measured cold (`--no-cache`: every
//!    signature checked, as on a reviewer's fresh clone) and warm (a repeated
//!    run, records verified before come from the local cache). If `python3` can import
//!    securesystemslib, the exported envelopes are also verified with it on a
//!    subset, and the per-record costs are compared; target ≥ 20× faster.
//! 4. The pre-push decision (`git-auditops hook pre-push origin URL`, run as
//!    git runs it, stdin and all) with recorded results, on a repository with
//!    50,000 commits (made with `git fast-import`) and 100,000 records, against
//!    `git rev-parse HEAD` in the same repository, interleaved; target ≤ 3×.
//!    For information, a refusal (a commit whose tree has no results), and the
//!    empty pre-push hooks of lefthook (npm) and pre-commit (PyPI) on the same
//!    history, installed into the scratch directory when the registries and
//!    tools (npm, python3 -m venv) allow.
//! 5. `git-auditops patch submit` on a repository of 20,000 files: the time
//!    from starting the command until the patched tree is checked out in the
//!    pooled worktree and the first validator runs, against
//!    `git worktree add --detach` + `git apply` of the same patch, interleaved;
//!    target ≤ 0.25× for a pooled worktree being reused. The first use (the
//!    pooled worktree is created) is reported too, and the steps of the
//!    command are timed to show where the time goes.
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
//! cargo bench --bench auditops -- --quick --keep   # keep the repositories to profile
//! TMPDIR=/dev/shm cargo bench --bench auditops      # repositories on tmpfs
//! ```
//!
//! The first table row depends heavily on how fast the file system creates files
//! (an append writes 6 new files, `update-ref` 1), so the run also reports that
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

mod support;

use git_auditops::sign::{self, KeySource};
use git_auditops::store::{EVIDENCE_LOG, Store, layout};
use std::fs::File;
use std::path::Path;
use std::time::{Duration, SystemTime};
use support::fixture::{BenchRepo, QUOTED_FILE, QUOTED_LINES, Workspace, isolate_environment};
use support::hooktools::{self, Tool};
use support::measure::{
    ChildUsage, Samples, fmt_duration, ratio, run_text, run_timed, run_with_input, run_with_rusage,
    time,
};
use support::records::{RecordFactory, count_records, fill};
use support::report::{Table, Verdict};
use support::{fmt_count, python};

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
    /// Leave the scratch repositories in place for profiling.
    keep: bool,
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
                keep: false,
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
                keep: false,
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
                keep: false,
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
        options.only_patch = args.iter().any(|a| a == "--only-patch");
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

    let mut table = Table::default();
    if options.only_patch {
        println!("  (--only-patch: measurements 1–4 skipped)");
    } else {
        let small = ws.repo("small");
        let big = ws.repo("big");
        let edge = ws.repo("edge");
        let mut adder = CliAdder::default();

        add_vs_update_ref(&ws, &small, &options, &mut adder, &mut table);
        fill_big_state(&ws, &big, &options, threads);
        fill_edge_state(&ws, &edge, &options, threads);
        append_growth(&ws, [&small, &big, &edge], &options, &mut adder, &mut table);
        profile_add(&ws, &big, &options);
        verify_big_state(&ws, &big, &options, &mut table);
        prepush_decision(&ws, &options, threads, &mut table);
    }
    patch_submit(&ws, &options, &mut table);

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

/// `evidence add` runs with a fresh description each time, so that no two
/// records are identical even when made within the same second.
#[derive(Default)]
struct CliAdder {
    next: u64,
}

impl CliAdder {
    fn add(&mut self, ws: &Workspace, repo: &BenchRepo) -> Duration {
        self.next += 1;
        let description = format!("cli bench record {}", self.next);
        let (_, elapsed) = run_timed(ws.auditops(&repo.dir).args([
            "evidence",
            "add",
            "--phase",
            "1",
            "--file",
            QUOTED_FILE,
            "--lines",
            QUOTED_LINES,
            "--description",
            &description,
        ]));
        elapsed
    }
}

/// The request `evidence add --phase 1 --file QUOTED_FILE --lines QUOTED_LINES` makes.
fn request(description: &str) -> git_auditops::evidence::Request<'_> {
    git_auditops::evidence::Request {
        phase: 1,
        file: QUOTED_FILE,
        lines: QUOTED_LINES.parse().expect("QUOTED_LINES is a line range"),
        description,
        id: None,
        rev: "HEAD",
    }
}

fn section(title: &str) {
    println!();
    println!("== {title}");
}

/// 1. `evidence add` against `git update-ref`, interleaved run by run so that
///    background load hits both alike.
fn add_vs_update_ref(
    ws: &Workspace,
    repo: &BenchRepo,
    options: &Options,
    adder: &mut CliAdder,
    table: &mut Table,
) {
    section("1. evidence add (CLI) vs git update-ref");
    let update_ref = |i: usize| {
        let target = &repo.commits[i % 2];
        run_timed(
            ws.git(&repo.dir)
                .args(["update-ref", "refs/bench/x", target.as_str()]),
        )
        .1
    };
    for i in 0..options.warmup {
        adder.add(ws, repo);
        update_ref(i);
    }
    let (mut ours, mut base) = (Samples::default(), Samples::default());
    let mut probe = FileProbe::new(&repo.dir.join(".git/objects"));
    for i in 0..options.cli_runs {
        ours.push(adder.add(ws, repo));
        base.push(update_ref(i));
        probe.sample();
    }
    println!("  git-auditops evidence add: {}", ours.summary());
    println!("  git update-ref:            {}", base.summary());
    let r = ratio(ours.median(), base.median());
    println!("  ratio: {r:.2}×");
    let files = probe.finish();
    println!(
        "  context: creating one file in .git/objects (create + write + rename): {}",
        files.summary()
    );
    println!(
        "  (evidence add creates 6 files: 5 loose objects and the ref lock; update-ref creates 1)"
    );
    table.push(
        "evidence add (CLI) vs git update-ref",
        fmt_duration(ours.median()),
        fmt_duration(base.median()),
        format!("{r:.2}×"),
        "≤ 3×",
        Verdict::from_bool(r <= 3.0),
    );
    table.push(
        "context: one file create+rename in .git/objects",
        fmt_duration(files.median()),
        "—",
        "—",
        "—",
        Verdict::Info,
    );
}

/// Times what the file system charges for one new file where loose objects
/// go (`.git/objects`, as gix writes them: temporary file, then rename).
struct FileProbe {
    dir: std::path::PathBuf,
    samples: Samples,
}

impl FileProbe {
    fn new(dir: &Path) -> FileProbe {
        FileProbe {
            dir: dir.to_owned(),
            samples: Samples::default(),
        }
    }

    fn path(&self, i: usize) -> std::path::PathBuf {
        self.dir.join(format!(".bench-probe-{i}"))
    }

    fn sample(&mut self) {
        let i = self.samples.len();
        let tmp = self.dir.join(format!(".bench-probe-tmp-{i}"));
        let target = self.path(i);
        let (_, elapsed) = time(|| {
            std::fs::write(&tmp, [b'x'; 200]).expect("write a probe file");
            std::fs::rename(&tmp, &target).expect("rename a probe file");
        });
        self.samples.push(elapsed);
    }

    /// Removes the probe files and returns the timings.
    fn finish(self) -> Samples {
        for i in 0..self.samples.len() {
            std::fs::remove_file(self.path(i)).expect("remove a probe file");
        }
        self.samples
    }
}

/// Times `f(1..=runs)` after one warm-up call `f(0)`, and prints the summary.
fn time_step(name: &str, runs: usize, f: &mut dyn FnMut(usize)) -> Samples {
    let mut samples = Samples::default();
    f(0);
    for i in 1..=runs {
        samples.push(time(|| f(i)).1);
    }
    println!("  {name:<50} {}", samples.summary());
    samples
}

fn load_key(ws: &Workspace) -> sign::SigningKey {
    sign::key::load(&ws.key_path, KeySource::DefaultPath).expect("load the bench signing key")
}

/// Fills the big repository's state to `options.records` records in-process.
fn fill_big_state(ws: &Workspace, repo: &BenchRepo, options: &Options, threads: usize) {
    section(&format!(
        "filling a state with {} signed records in-process ({} per Store::append, {threads} signing threads)",
        fmt_count(options.records),
        fmt_count(options.fill_batch)
    ));
    let gix_repo = repo.open();
    let factory = RecordFactory::new(&gix_repo, load_key(ws), "fill");
    let (stats, elapsed) = time(|| {
        fill(
            &gix_repo,
            &factory,
            options.records,
            options.fill_batch,
            threads,
        )
    });
    let per_record = |d: Duration| fmt_duration(d / u32::try_from(stats.records).unwrap_or(1));
    println!("  total:   {}", fmt_duration(elapsed));
    println!(
        "  signing: {} ({} per record, wall over {threads} threads)",
        fmt_duration(stats.sign),
        per_record(stats.sign)
    );
    println!(
        "  appends: {} ({} per record); one batch: {}",
        fmt_duration(stats.append),
        per_record(stats.append),
        stats.batch_appends.summary()
    );
    println!(
        "  first batch append {}, last {}",
        fmt_duration(stats.first_batch_append),
        fmt_duration(stats.last_batch_append)
    );
    let objects = run_text(ws.git(&repo.dir).args(["count-objects", "-v"]));
    let objects: Vec<&str> = objects
        .lines()
        .filter(|l| l.starts_with("count:") || l.starts_with("size:"))
        .collect();
    println!(
        "  object database: {} (loose objects; size in KiB)",
        objects.join(", ")
    );
}

/// Records that fill one group directory of a log (its segment tree is full).
const GROUP_RECORDS: u64 = layout::SEGMENT_RECORDS as u64 * layout::SEGMENTS_PER_GROUP;

/// Fills the edge repository so that the in-process appends of section 2 land
/// in the last segments of a group: the largest tree an append rewrites.
fn fill_edge_state(ws: &Workspace, repo: &BenchRepo, options: &Options, threads: usize) {
    let appends = (options.warmup + options.inproc_runs) as u64;
    let records = GROUP_RECORDS.saturating_sub(appends + 1);
    let gix_repo = repo.open();
    let factory = RecordFactory::new(&gix_repo, load_key(ws), "edge");
    let (_, elapsed) = time(|| fill(&gix_repo, &factory, records, options.fill_batch, threads));
    println!(
        "  (also filled a third state to {} records, just short of a full group of {} segments, in {})",
        fmt_count(records),
        layout::SEGMENTS_PER_GROUP,
        fmt_duration(elapsed)
    );
}

/// 2. One append on a nearly empty log against one on the full log, plus (in
///    process only) one at the end of a group directory.
fn append_growth(
    ws: &Workspace,
    [small, big, edge]: [&BenchRepo; 3],
    options: &Options,
    adder: &mut CliAdder,
    table: &mut Table,
) {
    let repos = [small.open(), big.open(), edge.open()];
    let counts = repos.each_ref().map(count_records);
    section(&format!(
        "2. one append with {} records in the log vs {}",
        fmt_count(counts[0]),
        fmt_count(counts[1])
    ));
    let stores = repos
        .each_ref()
        .map(|r| Store::new(r, git_auditops::store::DEFAULT_REF).expect("open the store"));
    // Lines are signed beforehand: only Store::append is timed.
    let n = (options.warmup + options.inproc_runs) as u64;
    let lines = repos
        .each_ref()
        .map(|r| RecordFactory::new(r, load_key(ws), "one").lines(0..n, 1));
    let mut samples: [Samples; 3] = Default::default();
    let rounds = lines[0].iter().zip(&lines[1]).zip(&lines[2]);
    for (i, ((a, b), c)) in rounds.enumerate() {
        // Interleaved, so that background load hits all three alike.
        for ((store, line), samples) in stores.iter().zip([a, b, c]).zip(&mut samples) {
            let (written, elapsed) = time(|| {
                store.append(
                    EVIDENCE_LOG,
                    std::slice::from_ref(line),
                    "evidence: add 1 record (bench)",
                )
            });
            written.expect("append one record");
            if i >= options.warmup {
                samples.push(elapsed);
            }
        }
    }
    let [first, last, edge_samples] = samples;
    push_growth(
        table,
        (
            "in-process Store::append, ",
            "append in-process (Store::append)",
        ),
        [counts[0], counts[1]],
        &first,
        &last,
    );
    let r_edge = ratio(edge_samples.median(), first.median());
    println!(
        "  in-process Store::append, {} records (group nearly full, ~{} entries per group tree): {}",
        fmt_count(counts[2]),
        layout::SEGMENTS_PER_GROUP,
        edge_samples.summary()
    );
    println!(
        "  ratio at a full group / first: {r_edge:.2}× (the worst point of the per-group sawtooth)"
    );
    table.push(
        format!(
            "append in-process at a full group ({} records) / first",
            fmt_count(counts[2])
        ),
        fmt_duration(edge_samples.median()),
        fmt_duration(first.median()),
        format!("{r_edge:.2}×"),
        "—",
        Verdict::Info,
    );

    for _ in 0..options.warmup {
        adder.add(ws, small);
        adder.add(ws, big);
    }
    let (mut first, mut last) = (Samples::default(), Samples::default());
    for _ in 0..options.cli_runs {
        first.push(adder.add(ws, small));
        last.push(adder.add(ws, big));
    }
    push_growth(
        table,
        ("CLI evidence add, ~", "evidence add (CLI)"),
        [counts[0], counts[1]],
        &first,
        &last,
    );
}

/// Prints the appends on the small and the big log and tabulates their ratio
/// against the ≤ 1.2× target, under a printed prefix and a table row name.
fn push_growth(
    table: &mut Table,
    (printed, row): (&str, &str),
    counts: [u64; 2],
    first: &Samples,
    last: &Samples,
) {
    let label = format!("{}th / first", fmt_count(counts[1]));
    let r = ratio(last.median(), first.median());
    for (count, s) in [(counts[0], first), (counts[1], last)] {
        println!("  {printed}{} records: {}", fmt_count(count), s.summary());
    }
    println!("  ratio {label}: {r:.2}×");
    table.push(
        format!("{row}, {label}"),
        fmt_duration(last.median()),
        fmt_duration(first.median()),
        format!("{r:.2}×"),
        "≤ 1.2×",
        Verdict::from_bool(r <= 1.2),
    );
}

/// Where the time of one `evidence add` goes: its steps timed in-process on
/// the big state, plus the floors of starting a process.
fn profile_add(ws: &Workspace, big: &BenchRepo, options: &Options) {
    section("where one evidence add spends its time (in-process steps, big state)");
    let runs = options.cli_runs;
    let measure = |name: &str, f: &mut dyn FnMut(usize)| {
        time_step(name, runs, f);
    };
    measure("process start: git-auditops --version", &mut |_| {
        run_timed(ws.auditops(&big.dir).arg("--version"));
    });
    measure("process start: git rev-parse HEAD", &mut |_| {
        run_timed(ws.git(&big.dir).args(["rev-parse", "HEAD"]));
    });
    measure("open repository + load .auditops.toml", &mut |_| {
        let repo = git_auditops::git::open(&big.dir).expect("open");
        git_auditops::config::Config::load(repo.workdir()).expect("config");
    });
    let repo = big.open();
    let config = git_auditops::config::Config::load(repo.workdir())
        .expect("config")
        .config;
    measure("find + read the signing key", &mut |_| {
        sign::key::find(&repo).expect("key");
    });
    measure("evidence::build (read the quoted lines)", &mut |_| {
        git_auditops::evidence::build(&repo, &request("profile"), "2025-01-01T00:00:00Z")
            .expect("build");
    });
    let factory = RecordFactory::new(&repo, load_key(ws), "profile");
    let statement = factory.evidence(0).statement();
    measure("sign::seal (canonical JSON + ed25519 sign)", &mut |_| {
        sign::seal(&statement, Some(factory.key()));
    });
    let store = Store::new(&repo, git_auditops::store::DEFAULT_REF).expect("store");
    measure("Store::tip + Store::view (read the tip)", &mut |_| {
        store.view().expect("view").expect("state exists");
    });
    // Signed beforehand: only the append is timed.
    let lines = factory.lines(0..runs as u64 + 1, 1);
    measure("Store::append of 1 record", &mut |i| {
        store
            .append(
                EVIDENCE_LOG,
                std::slice::from_ref(&lines[i]),
                "evidence: add 1 record (bench)",
            )
            .expect("append");
    });
    measure(
        "evidence::record::add (key, build, seal, append)",
        &mut |i| {
            let description = format!("profile whole {i}");
            git_auditops::evidence::record::add(&repo, &config, &request(&description))
                .expect("record::add");
        },
    );
}

/// Runs `verify --json` with `extra` arguments `count` times on the big state and
/// prints each run; `label` names them.
fn verify_runs(
    ws: &Workspace,
    big: &BenchRepo,
    count: usize,
    extra: &[&str],
    label: &str,
) -> Vec<ChildUsage> {
    let out_dir = ws.home.join("out");
    std::fs::create_dir_all(&out_dir).expect("create the output directory");
    let mut runs: Vec<ChildUsage> = Vec::new();
    for run in 0..count {
        let stdout_path = out_dir.join(format!("verify-{label}-{run}.json"));
        let stderr_path = out_dir.join(format!("verify-{label}-{run}.err"));
        let usage = run_with_rusage(
            ws.auditops(&big.dir).args(["verify", "--json"]).args(extra),
            File::create(&stdout_path)
                .expect("create the verify output file")
                .into(),
            File::create(&stderr_path)
                .expect("create the verify error file")
                .into(),
        );
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&stdout_path).expect("read the verify output"))
                .expect("`verify --json` prints JSON");
        if usage.exit_code != Some(0) || report["ok"] != serde_json::Value::Bool(true) {
            println!(
                "  WARNING: verify did not succeed (exit {:?}); stderr: {}",
                usage.exit_code,
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        println!(
            "  {label} run {}: wall {}, CPU {} (user {}, sys {}), peak RSS {:.1} MB, {} records \
             ({} from the cache) ok={}",
            run + 1,
            fmt_duration(usage.wall),
            fmt_duration(usage.cpu()),
            fmt_duration(usage.user),
            fmt_duration(usage.system),
            mb(usage.max_rss_kib),
            report["records"],
            report["cached"],
            report["ok"]
        );
        runs.push(usage);
    }
    runs
}

/// Median CPU, median wall and peak RSS (MB) of `runs`.
fn verify_summary(runs: &[ChildUsage]) -> (Duration, Duration, f64) {
    let median_of = |f: fn(&ChildUsage) -> Duration| {
        let mut s = Samples::default();
        runs.iter().for_each(|u| s.push(f(u)));
        s.median()
    };
    let peak_mb = runs.iter().map(|u| mb(u.max_rss_kib)).fold(0.0, f64::max);
    (median_of(ChildUsage::cpu), median_of(|u| u.wall), peak_mb)
}

/// Measurement 3: `verify` of the big state, cold (`--no-cache`: every
/// signature checked) and warm (records verified by an earlier run come from
/// the local cache), and the securesystemslib comparison (cold).
fn verify_big_state(ws: &Workspace, big: &BenchRepo, options: &Options, table: &mut Table) {
    let records = count_records(&big.open());
    section(&format!(
        "3. git-auditops verify of {} records",
        fmt_count(records)
    ));
    let out_dir = ws.home.join("out");
    let cold = verify_runs(ws, big, options.verify_runs, &["--no-cache"], "cold");
    // Fills the cache; not measured.
    verify_runs(ws, big, 1, &[], "priming");
    let warm = verify_runs(ws, big, options.verify_runs, &[], "warm");
    // The target is stated for 100k records; other sizes scale it linearly.
    let scale = options.records as f64 / TARGET_RECORDS as f64;
    let cpu_target = Duration::from_secs_f64(scale);
    let cpu_target_label = if options.records == TARGET_RECORDS {
        "< 1 s".to_owned()
    } else {
        format!("< {} (1 s per 100k)", fmt_duration(cpu_target))
    };
    let size = fmt_count(records);
    let mut per_record = Duration::ZERO;
    for (runs, label) in [(&cold, "cold, --no-cache"), (&warm, "warm, cache")] {
        let (cpu, wall, peak_mb) = verify_summary(runs);
        let per = cpu / u32::try_from(records.max(1)).expect("record count fits u32");
        if label.starts_with("cold") {
            per_record = per;
        }
        println!(
            "  {label}: median CPU {} ({} per record), median wall {}, peak RSS {peak_mb:.1} MB",
            fmt_duration(cpu),
            fmt_duration(per),
            fmt_duration(wall)
        );
        table.push(
            format!("verify {size} records ({label}): CPU user+sys"),
            fmt_duration(cpu),
            "—",
            "—",
            cpu_target_label.clone(),
            Verdict::from_bool(cpu < cpu_target),
        );
        table.push(
            format!("verify {size} records ({label}): peak RSS"),
            format!("{peak_mb:.1} MB"),
            "—",
            "—",
            "< 100 MB",
            Verdict::from_bool(peak_mb < 100.0),
        );
        table.push(
            format!("verify {size} records ({label}): wall"),
            fmt_duration(wall),
            "—",
            "—",
            "—",
            Verdict::Info,
        );
    }

    if !python::available() {
        println!(
            "  securesystemslib comparison skipped: python3 cannot import securesystemslib \
             (install with `pip install securesystemslib`)"
        );
        table.push(
            "verify vs securesystemslib (per record)",
            fmt_duration(per_record),
            "not installed",
            "—",
            "≥ 20×",
            Verdict::Skipped,
        );
        return;
    }
    let export = out_dir.join("envelopes.jsonl");
    let usage = run_with_rusage(
        ws.auditops(&big.dir).args(["evidence", "export"]),
        File::create(&export)
            .expect("create the export file")
            .into(),
        std::process::Stdio::inherit(),
    );
    assert_eq!(usage.exit_code, Some(0), "`evidence export` failed");
    let exported = std::fs::read(&export).expect("read the export");
    println!(
        "  evidence export: {} envelopes, {:.1} MB in {} (CPU {}, peak RSS {:.1} MB)",
        fmt_count(exported.iter().filter(|b| **b == b'\n').count() as u64),
        exported.len() as f64 / 1e6,
        fmt_duration(usage.wall),
        fmt_duration(usage.cpu()),
        mb(usage.max_rss_kib)
    );
    drop(exported);
    let py = python::verify(&export, options.python_subset, &ws.keyid, &ws.public_hex);
    let py_per = py.per_record_cpu();
    let r = ratio(py_per, per_record);
    println!(
        "  securesystemslib: {} envelopes in {} CPU ({} wall), {} failed; {} per record, \
         {} extrapolated to {size}",
        fmt_count(py.checked),
        fmt_duration(py.cpu),
        fmt_duration(py.wall),
        py.failed,
        fmt_duration(py_per),
        fmt_duration(py_per * u32::try_from(records).expect("record count fits u32"))
    );
    if py.failed > 0 {
        println!(
            "  WARNING: securesystemslib rejected {} of our envelopes",
            py.failed
        );
    }
    println!("  speed ratio (securesystemslib / ours, per record CPU): {r:.1}×");
    table.push(
        "verify vs securesystemslib (CPU per record)",
        fmt_duration(per_record),
        fmt_duration(py_per),
        format!("{r:.1}×"),
        "≥ 20×",
        Verdict::from_bool(r >= 20.0 && py.failed == 0),
    );
}

fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

/// The `.auditops.toml` of the pre-push repository: one phase whose two gates
/// are trivial, and `main` protected.
const PREPUSH_CONFIG: &str = r#"version = 1

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

/// What git puts on a pre-push hook's stdin for `git push origin <commit>:main`
/// when the remote has no `main` yet.
fn push_input(commit: &str) -> Vec<u8> {
    format!(
        "refs/heads/main {commit} refs/heads/main {}\n",
        "0".repeat(40)
    )
    .into_bytes()
}

/// The last non-empty line of a command's stderr.
fn stderr_tail(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_owned()
}

/// 4. The pre-push decision on a long history and a full state, against
///    `git rev-parse HEAD`; then where its time goes, and other hook managers.
fn prepush_decision(ws: &Workspace, options: &Options, threads: usize, table: &mut Table) {
    section(&format!(
        "4. pre-push decision: {} commits, {} records",
        fmt_count(options.commits),
        fmt_count(options.records)
    ));
    let (repo, elapsed) = time(|| ws.repo_with_history("prepush", options.commits, PREPUSH_CONFIG));
    let objects = run_text(ws.git(&repo.dir).args(["count-objects", "-v"]));
    let objects: Vec<&str> = objects
        .lines()
        .filter(|l| l.starts_with("in-pack:") || l.starts_with("size-pack:"))
        .collect();
    println!(
        "  history: {} commits by git fast-import, checked out, `init`: {} ({}, size in KiB)",
        fmt_count(options.commits),
        fmt_duration(elapsed),
        objects.join(", ")
    );
    let gix_repo = repo.open();
    let factory = RecordFactory::new(&gix_repo, load_key(ws), "prepush");
    let (stats, elapsed) = time(|| {
        fill(
            &gix_repo,
            &factory,
            options.records,
            options.fill_batch,
            threads,
        )
    });
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

    let url = repo.origin_url();
    let [head, parent] = &repo.commits;
    let allow_input = push_input(head);
    // HEAD~1: its tree differs from HEAD's and has no results.
    let refuse_input = push_input(parent);
    let hook = |input: &[u8]| {
        run_with_input(
            ws.auditops(&repo.dir)
                .args(["hook", "pre-push", "origin", &url]),
            input,
        )
    };
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
    for _ in 0..options.warmup {
        allowed();
        rev_parse();
        refused();
    }
    let (mut ours, mut base, mut refusals) =
        (Samples::default(), Samples::default(), Samples::default());
    for _ in 0..options.hook_runs {
        ours.push(allowed());
        base.push(rev_parse());
        refusals.push(refused());
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
    let r = ratio(ours.median(), base.median());
    let r_refused = ratio(refusals.median(), base.median());
    println!("  ratio: {r:.2}× (refusal {r_refused:.2}×)");
    let size = format!(
        "{} commits, {} records",
        fmt_count(options.commits),
        fmt_count(options.records)
    );
    table.push(
        format!("pre-push decision vs git rev-parse HEAD ({size})"),
        fmt_duration(ours.median()),
        fmt_duration(base.median()),
        format!("{r:.2}×"),
        "≤ 3×",
        Verdict::from_bool(r <= 3.0),
    );
    table.push(
        "pre-push refusal (tree without results) vs git rev-parse HEAD",
        fmt_duration(refusals.median()),
        fmt_duration(base.median()),
        format!("{r_refused:.2}×"),
        "—",
        Verdict::Info,
    );

    profile_prepush(ws, &repo, options, &allow_input);
    compare_hook_managers(ws, &repo, options, &allow_input, table);
}

/// Where the time of one pre-push decision goes: the steps of `hook pre-push`
/// timed in-process on the pre-push repository.
fn profile_prepush(ws: &Workspace, repo: &BenchRepo, options: &Options, input: &[u8]) {
    use git_auditops::config::Config;
    use git_auditops::phase::{prepush, status::Reader};
    section("where the pre-push decision spends its time (processes, then in-process steps)");
    let runs = options.hook_runs;
    let url = repo.origin_url();
    let hook = |input: &[u8]| {
        let (output, elapsed) = run_with_input(
            ws.auditops(&repo.dir)
                .args(["hook", "pre-push", "origin", &url]),
            input,
        );
        assert!(output.status.success(), "the pre-push hook failed");
        elapsed
    };
    // Interleaved, so that the differences between them (what each adds) are
    // not background load.
    let mut probes: [(&str, Samples); 3] = [
        ("process start: git-auditops --version", Samples::default()),
        (
            "process: hook pre-push, empty stdin (no decide)",
            Samples::default(),
        ),
        ("process: hook pre-push, the push", Samples::default()),
    ];
    for round in 0..=runs {
        let times = [
            run_timed(ws.auditops(&repo.dir).arg("--version")).1,
            hook(b""),
            hook(input),
        ];
        if round > 0 {
            for ((_, samples), elapsed) in probes.iter_mut().zip(times) {
                samples.push(elapsed);
            }
        }
    }
    for (name, samples) in &probes {
        println!("  {name:<50} {}", samples.summary());
    }
    time_step(
        "whole hook in-process (open … decide), fresh open",
        runs,
        &mut |_| {
            let repo = git_auditops::git::open(&repo.dir).expect("open");
            let config = Config::load(repo.workdir()).expect("config").config;
            let updates = prepush::parse_updates(input).expect("parse");
            git_auditops::hooks::run_chained(&repo, "pre-push", &[], input).expect("chained");
            let trust = sign::trust::load(&repo, config.allowed_signers(), None).expect("trust");
            let decisions =
                prepush::decide(&repo, &config, &trust, &updates, false).expect("decide");
            assert!(decisions.iter().all(|d| d.allowed), "{decisions:?}");
        },
    );
    time_step(
        "open repository (gix, discovery + config)",
        runs,
        &mut |_| {
            git_auditops::git::open(&repo.dir).expect("open");
        },
    );
    // The first object read of a process opens the pack index (gix validates
    // it by scanning its offset table: one entry per object in the pack).
    let mut first_read = Samples::default();
    for i in 0..=runs {
        let fresh = repo.open();
        let config = Config::load(fresh.workdir()).expect("config").config;
        let (trust, elapsed) = time(|| sign::trust::load(&fresh, config.allowed_signers(), None));
        trust.expect("trust");
        if i > 0 {
            first_read.push(elapsed);
        }
    }
    println!(
        "  {:<50} {}",
        "trust::load just after open (first object read)",
        first_read.summary()
    );
    let gix_repo = repo.open();
    time_step("load .auditops.toml", runs, &mut |_| {
        Config::load(gix_repo.workdir()).expect("config");
    });
    let config = Config::load(gix_repo.workdir()).expect("config").config;
    time_step(
        "look for a chained hook (hooks::run_chained)",
        runs,
        &mut |_| {
            git_auditops::hooks::run_chained(&gix_repo, "pre-push", &[], input).expect("chained");
        },
    );
    time_step(
        "trust::load again (HEAD:.auditops/allowed_signers)",
        runs,
        &mut |_| {
            sign::trust::load(&gix_repo, config.allowed_signers(), None).expect("trust");
        },
    );
    let trust = sign::trust::load(&gix_repo, config.allowed_signers(), None).expect("trust");
    let updates = prepush::parse_updates(input).expect("parse");
    let store = Store::new(&gix_repo, config.ref_name()).expect("store");
    time_step("Store::view (state tip, VERSION)", runs, &mut |_| {
        store.view().expect("view").expect("state exists");
    });
    let view = store.view().expect("view");
    let reader = Reader {
        config: &config,
        view: view.as_ref(),
        trust: &trust,
    };
    time_step(
        "Reader::chain_breaks (completions of each phase)",
        runs,
        &mut |_| {
            reader.chain_breaks(&gix_repo).expect("chain");
        },
    );
    time_step("Reader::active (completions again)", runs, &mut |_| {
        reader.active().expect("active").expect("a phase is active");
    });
    let commit = updates[0].local.expect("a pushed commit");
    let tree_of = || {
        gix_repo
            .find_commit(commit)
            .and_then(|c| c.tree_id())
            .expect("the pushed commit's tree")
            .detach()
    };
    time_step("pushed commit → tree", runs, &mut |_| {
        tree_of();
    });
    let phase = reader.active().expect("active").expect("a phase is active");
    let tree = tree_of();
    time_step(
        "Reader::gates (2 keyed reads + signature checks)",
        runs,
        &mut |_| {
            let gates = reader.gates(phase, tree).expect("gates");
            assert!(gates.iter().all(|g| g.passed()));
        },
    );
    time_step("prepush::decide (view … gates)", runs, &mut |_| {
        prepush::decide(&gix_repo, &config, &trust, &updates, false).expect("decide");
    });
}

/// The empty pre-push hooks of lefthook and pre-commit, each in a repository
/// sharing the pre-push repository's history, interleaved with ours.
fn compare_hook_managers(
    ws: &Workspace,
    repo: &BenchRepo,
    options: &Options,
    input: &[u8],
    table: &mut Table,
) {
    section("other hook managers: an empty pre-push hook on the same history");
    let labels = [
        "lefthook (npm), empty pre-push",
        "pre-commit (PyPI), empty pre-push",
    ];
    if !options.hook_tools {
        let why = match options.mode {
            m if m.starts_with("smoke") => "smoke run: no installs",
            _ => "--no-hook-tools",
        };
        println!("  skipped ({why})");
        for label in labels {
            table.push(label, "—", "not run", "—", "—", Verdict::Skipped);
        }
        return;
    }
    let tools_dir = ws.path("tools");
    let installers: [hooktools::Installer; 2] =
        [hooktools::install_lefthook, hooktools::install_pre_commit];
    let mut tools: Vec<(Tool, BenchRepo)> = Vec::new();
    for (install, label) in installers.into_iter().zip(labels) {
        let (installed, elapsed) = time(|| install(&tools_dir));
        let ready = installed.and_then(|tool| {
            let other = ws.repo_sharing(&format!("prepush-{}", tool.name), repo);
            hooktools::configure(&tool, &other.dir)?;
            Ok((tool, other))
        });
        match ready {
            Ok((tool, other)) => {
                println!(
                    "  {} {} installed in {} (not measured): {}",
                    tool.name,
                    tool.version,
                    fmt_duration(elapsed),
                    tool.bin.display()
                );
                tools.push((tool, other));
            }
            Err(reason) => {
                println!("  {label}: comparison skipped: {reason}");
                table.push(label, "—", "not installed", "—", "—", Verdict::Skipped);
            }
        }
    }
    if tools.is_empty() {
        return;
    }

    // Ours as git runs it: the installed script, which execs the binary by name.
    let bin_dir = ws.bin.parent().expect("the binary's folder");
    let path = std::env::join_paths(std::iter::once(bin_dir.to_owned()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH");
    let script = |r: &BenchRepo| {
        let mut cmd = std::process::Command::new(r.dir.join(".git/hooks/pre-push"));
        cmd.args(["origin", &r.origin_url()]).current_dir(&r.dir);
        cmd
    };
    let mut our_script = script(repo);
    our_script.env("PATH", &path);
    let mut our_binary = ws.auditops(&repo.dir);
    our_binary.args(["hook", "pre-push", "origin", &repo.origin_url()]);
    let mut runs = vec![
        HookRun::new("ours: .git/hooks/pre-push", our_script),
        HookRun::new("ours: git-auditops hook pre-push", our_binary),
    ];
    for (tool, other) in &tools {
        let direct = match tool.name {
            "lefthook" => "lefthook run pre-push",
            _ => "pre-commit run --hook-stage pre-push",
        };
        runs.push(HookRun::new(
            &format!("{}: .git/hooks/pre-push", tool.name),
            script(other),
        ));
        runs.push(HookRun::new(
            &format!("{}: {direct}", tool.name),
            hooktools::direct_run(tool, &other.dir),
        ));
    }
    // Interleaved: one run of each command per round.
    let warmup = options.warmup.min(2);
    for round in 0..warmup + options.tool_runs {
        for run in &mut runs {
            run.once(input, round >= warmup);
        }
    }
    for run in &runs {
        println!("  {:<50} {}", run.name, run.samples.summary());
        if let Some(failure) = &run.failure {
            println!("    WARNING: it failed: {failure}");
        }
    }
    let ours_script = runs[0].samples.median();
    let ours_binary = runs[1].samples.median();
    for (i, (tool, _)) in tools.iter().enumerate() {
        for (k, ours, how) in [
            (2 + 2 * i, ours_script, "hook script"),
            (3 + 2 * i, ours_binary, "run directly"),
        ] {
            let theirs = &runs[k];
            let r = ratio(ours, theirs.samples.median());
            let label = format!(
                "pre-push, ours vs {} {} empty ({how})",
                tool.name, tool.version
            );
            let verdict = match theirs.failure {
                None => Verdict::Info,
                Some(_) => Verdict::Skipped,
            };
            table.push(
                label,
                fmt_duration(ours),
                fmt_duration(theirs.samples.median()),
                format!("{r:.2}×"),
                "—",
                verdict,
            );
        }
    }
}

/// One hook command timed in the comparison with other hook managers.
struct HookRun {
    name: String,
    cmd: std::process::Command,
    samples: Samples,
    /// How the first failing run failed, if one did.
    failure: Option<String>,
}

impl HookRun {
    fn new(name: &str, cmd: std::process::Command) -> HookRun {
        HookRun {
            name: name.to_owned(),
            cmd,
            samples: Samples::default(),
            failure: None,
        }
    }

    /// Runs the hook once with `input` on stdin; keeps the time if `keep`.
    fn once(&mut self, input: &[u8], keep: bool) {
        let (output, elapsed) = run_with_input(&mut self.cmd, input);
        if !output.status.success() && self.failure.is_none() {
            self.failure = Some(format!("{}: {}", output.status, stderr_tail(&output)));
        }
        if keep {
            self.samples.push(elapsed);
        }
    }
}

/// The `.auditops.toml` of the patch repository: decisions are recorded and
/// never acted on (so `release` never moves and every patch applies to the
/// same base), and one trivial validator, which prints the time it started
/// (nanoseconds since the epoch) into its log.
const PATCH_CONFIG: &str = r#"version = 1

[patch]
mode = "analysis_only"

[patch.validators.tests]
run = "date +%s%N"
category = "testing"
"#;

/// Files in the folder [`folder_probe`] creates: 1/200 of what the baseline
/// of 5. creates at 20,000 files.
const PROBE_FILES: usize = 100;

/// A median [`folder_probe`] slower than this flags a file system whose state
/// inflates the baseline of 5. (`recently_deleted` inodes on ext4 without a
/// journal, see docs/performance.md).
const SLOW_FOLDER_CREATION: Duration = Duration::from_millis(5);

/// Times creating `dir` and [`PROBE_FILES`] small files in it: what the file
/// system charges for the file creation a new worktree consists of. The
/// folder stays until the run ends (see [`worktree_add_apply`]).
fn folder_probe(dir: &Path) -> Duration {
    let content = [b'x'; 400];
    time(|| {
        std::fs::create_dir_all(dir).expect("create a probe folder");
        for i in 0..PROBE_FILES {
            std::fs::write(dir.join(format!("f{i:03}.txt")), content).expect("write a probe file");
        }
    })
    .1
}

/// Where the validator of `patch` logs: `.git/auditops/logs/patch-<id>-tests-1.log`.
fn validator_log(repo: &BenchRepo, patch_id: &str) -> std::path::PathBuf {
    repo.dir
        .join(".git/auditops/logs")
        .join(format!("patch-{}-tests-1.log", &patch_id[..12]))
}

/// The pooled worktree of the patch repository.
fn pool_slot(repo: &BenchRepo) -> std::path::PathBuf {
    repo.dir.join(".git/auditops/worktrees/slot-0")
}

/// The clock reading (`date +%s%N`) in `text`.
fn clock_reading(text: &str, source: &dyn std::fmt::Display) -> SystemTime {
    let nanos: u64 = text
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{source} does not hold `date +%s%N`: {text:?}"));
    SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos)
}

/// One `patch submit --json` run.
struct Submitted {
    /// From the spawn to the reaping of the process.
    wall: Duration,
    /// From the spawn to the first validator's clock reading.
    to_validator: Duration,
    /// `ready_ms` as the command printed it.
    ready: Duration,
    pool_created: bool,
}

/// Runs `git-auditops patch submit PATCH --target release --json` and checks
/// that the patch was validated (not already decided) and nothing was done.
fn submit_patch(ws: &Workspace, repo: &BenchRepo, patch: &Path) -> Submitted {
    let mut cmd = ws.auditops(&repo.dir);
    cmd.args(["patch", "submit"])
        .arg(patch)
        .args(["--target", "release", "--json"]);
    let spawned = SystemTime::now();
    let (output, wall) = run_timed(&mut cmd);
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("`patch submit --json` prints JSON");
    let decision = &json["decision"];
    assert!(
        json["already_decided"] == false
            && decision["action"] == "none"
            && decision["validators"][0]["score"] == 1.0,
        "unexpected `patch submit` result: {json}"
    );
    let patch_id = decision["patch_id"].as_str().expect("a patch id");
    let log = validator_log(repo, patch_id);
    let text = std::fs::read_to_string(&log)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", log.display()));
    let started = clock_reading(&text, &log.display());
    Submitted {
        wall,
        to_validator: started
            .duration_since(spawned)
            .expect("the validator started after the command"),
        ready: Duration::from_millis(json["ready_ms"].as_u64().expect("`ready_ms` is printed")),
        pool_created: json["pool_created"]
            .as_bool()
            .expect("`pool_created` is printed"),
    }
}

/// Samples of [`Submitted`] runs.
#[derive(Default)]
struct SubmitSamples {
    wall: Samples,
    to_validator: Samples,
    ready: Samples,
}

impl SubmitSamples {
    fn push(&mut self, run: &Submitted) {
        self.wall.push(run.wall);
        self.to_validator.push(run.to_validator);
        self.ready.push(run.ready);
    }

    fn print(&self) {
        println!(
            "    patch submit → first validator running:   {}",
            self.to_validator.summary()
        );
        println!(
            "    patch submit, whole process:              {}",
            self.wall.summary()
        );
        println!(
            "    `ready_ms` as printed (ms, from submit()): {}",
            self.ready.summary()
        );
    }
}

/// The baseline: `git worktree add --detach DIR release`, then `git apply
/// PATCH` in it, timed together.
///
/// The worktree is left in place until the run ends: deleting thousands of
/// files makes creating the next ones far slower on some file systems (ext4
/// without a journal skips every inode freed in the last minute or more, see
/// docs/performance.md), which would inflate the baseline with our own churn.
fn worktree_add_apply(ws: &Workspace, repo: &BenchRepo, dir: &Path, patch: &Path) -> Duration {
    let ((), elapsed) = time(|| {
        run_timed(
            ws.git(&repo.dir)
                .args(["worktree", "add", "--detach"])
                .arg(dir)
                .arg("release"),
        );
        run_timed(ws.git(dir).arg("apply").arg(patch));
    });
    elapsed
}

/// Takes the pooled worktree out of the pool without deleting a file (for
/// the reason given at [`worktree_add_apply`]): its folder and git's
/// administrative folder for it are renamed into `aside`, so that the next
/// `patch submit` creates the slot again, under the same name.
fn set_pool_slot_aside(repo: &BenchRepo, aside: &Path) {
    std::fs::create_dir_all(aside).expect("create the set-aside folder");
    std::fs::rename(pool_slot(repo), aside.join("slot-0")).expect("move the pooled worktree");
    std::fs::rename(repo.dir.join(".git/worktrees/slot-0"), aside.join("admin"))
        .expect("move git's folder for the pooled worktree");
}

/// 5. `patch submit` until the first validator runs, on a repository of
///    `options.files` files, against `git worktree add` + `git apply`.
fn patch_submit(ws: &Workspace, options: &Options, table: &mut Table) {
    section(&format!(
        "5. patch submit until the first validator runs: {} files",
        fmt_count(options.files)
    ));
    let (repo, elapsed) = time(|| ws.repo_with_files("patches", options.files, PATCH_CONFIG));
    let objects = run_text(ws.git(&repo.dir).args(["count-objects", "-v"]));
    let objects: Vec<&str> = objects
        .lines()
        .filter(|l| l.starts_with("in-pack:") || l.starts_with("size-pack:"))
        .collect();
    println!(
        "  repository: {} files in folders of {} by git fast-import, checked out, `init`: {} ({}, size in KiB)",
        fmt_count(options.files),
        support::patches::FILES_PER_DIR,
        fmt_duration(elapsed),
        objects.join(", ")
    );
    // The runs, and fresh patches for the in-process steps of the profile.
    let count =
        options.first_use_runs + options.warmup + options.patch_runs + 2 * (options.patch_runs + 1);
    let (patches, elapsed) = time(|| {
        support::patches::write_patches(
            &|| ws.git(&repo.dir),
            &repo.dir,
            options.files,
            count,
            &ws.path("patches-out"),
        )
    });
    println!(
        "  {count} distinct patches (`git diff` of 1 or 2 changed files each): {}",
        fmt_duration(elapsed)
    );
    let mut patch_files = patches.iter();
    let mut baseline_dirs = (0..).map(|i| ws.path(&format!("baseline-{i:03}")));
    let probe_dir = ws.path("patch-folder-probe");
    let mut probe = Samples::default();
    // One of each, in turn; who goes first alternates, so that neither always
    // follows the other's writes.
    let mut pair = |round: usize, patch: &Path| {
        let dir = baseline_dirs.next().expect("a folder name");
        let (run, baseline) = if round.is_multiple_of(2) {
            let baseline = worktree_add_apply(ws, &repo, &dir, patch);
            (submit_patch(ws, &repo, patch), baseline)
        } else {
            let run = submit_patch(ws, &repo, patch);
            (run, worktree_add_apply(ws, &repo, &dir, patch))
        };
        probe.push(folder_probe(&probe_dir.join(format!("{:03}", probe.len()))));
        (run, baseline)
    };

    // First uses: the pooled worktree does not exist yet (the very first run),
    // or was set aside (untimed) just before.
    let (mut first, mut base_first) = (SubmitSamples::default(), Samples::default());
    let mut genuine_first = None;
    for i in 0..options.first_use_runs {
        let patch = patch_files.next().expect("enough patches");
        if i > 0 {
            set_pool_slot_aside(&repo, &ws.path(&format!("pool-set-aside-{i}")));
        }
        let (run, baseline) = pair(i, patch);
        assert!(
            run.pool_created,
            "patch submit did not create the pooled worktree"
        );
        base_first.push(baseline);
        first.push(&run);
        genuine_first.get_or_insert(run);
    }
    // Reuse, interleaved with the baseline; the first round (a warm-up) is the
    // first reuse after the pooled worktree was created.
    let (mut reuse, mut base) = (SubmitSamples::default(), Samples::default());
    let mut first_reuse = None;
    for round in 0..options.warmup + options.patch_runs {
        let patch = patch_files.next().expect("enough patches");
        let (run, baseline) = pair(round, patch);
        assert!(
            !run.pool_created,
            "patch submit created the pooled worktree again instead of reusing it"
        );
        if round >= options.warmup {
            reuse.push(&run);
            base.push(baseline);
        } else if round == 0 {
            first_reuse = Some(run);
        }
    }
    let folders = probe;

    let genuine_first = genuine_first.expect("at least one first use");
    println!(
        "  the very first patch submit (creates the pooled worktree): {} to the first validator, \
         {} whole, ready_ms {}",
        fmt_duration(genuine_first.to_validator),
        fmt_duration(genuine_first.wall),
        genuine_first.ready.as_millis()
    );
    println!(
        "  first use (pooled worktree created), interleaved with the baseline, n={}:",
        first.wall.len()
    );
    first.print();
    println!(
        "    git worktree add --detach + git apply:    {}",
        base_first.summary()
    );
    if let Some(run) = first_reuse {
        println!(
            "  the first reuse after creating it (a warm-up run, not counted): {} to the first \
             validator, {} whole",
            fmt_duration(run.to_validator),
            fmt_duration(run.wall)
        );
    }
    println!(
        "  pooled reuse, interleaved with the baseline, n={}:",
        reuse.wall.len()
    );
    reuse.print();
    println!(
        "    git worktree add --detach + git apply:    {}",
        base.summary()
    );
    let r = ratio(reuse.to_validator.median(), base.median());
    let r_whole = ratio(reuse.wall.median(), base.median());
    let r_first = ratio(first.to_validator.median(), base_first.median());
    let r_first_whole = ratio(first.wall.median(), base_first.median());
    println!(
        "  ratio, pooled reuse: {r:.2}× to the first validator, {r_whole:.2}× whole process \
         (target ≤ 0.25×)"
    );
    println!(
        "  ratio, first use:    {r_first:.2}× to the first validator, {r_first_whole:.2}× whole process"
    );
    println!(
        "  context: creating a folder of {PROBE_FILES} small files in the scratch folder, once a round: {}",
        folders.summary()
    );
    if folders.median() > SLOW_FOLDER_CREATION {
        println!(
            "  WARNING: creating files is slow here, so the baseline (which creates {} files a \
             run) and the first use are inflated. On ext4 without a journal this follows deleting many files in the \
             last minutes (a previous run's scratch folder): wait a few minutes, or use \
             TMPDIR=/dev/shm.",
            fmt_count(options.files)
        );
    }
    let size = fmt_count(options.files);
    let (target, verdict) = if options.files >= TARGET_FILES {
        ("≤ 0.25×".to_owned(), Verdict::from_bool(r <= 0.25))
    } else {
        (
            format!("≤ 0.25× at {}", fmt_count(TARGET_FILES)),
            Verdict::Info,
        )
    };
    table.push(
        format!(
            "patch submit → first validator, pooled reuse, vs worktree add + apply ({size} files)"
        ),
        fmt_duration(reuse.to_validator.median()),
        fmt_duration(base.median()),
        format!("{r:.2}×"),
        target,
        verdict,
    );
    table.push(
        "patch submit, whole process (upper bound), pooled reuse",
        fmt_duration(reuse.wall.median()),
        fmt_duration(base.median()),
        format!("{r_whole:.2}×"),
        "—",
        Verdict::Info,
    );
    table.push(
        "patch submit → first validator, first use (pool created)",
        fmt_duration(first.to_validator.median()),
        fmt_duration(base_first.median()),
        format!("{r_first:.2}×"),
        "—",
        Verdict::Info,
    );
    table.push(
        format!("context: a new folder of {PROBE_FILES} files (patch scratch folder)"),
        fmt_duration(folders.median()),
        "—",
        "—",
        "—",
        Verdict::Info,
    );

    // The patches not submitted: fresh objects for the in-process steps.
    let used = options.first_use_runs + options.warmup + options.patch_runs;
    profile_patch(ws, &repo, options, &patches[0], &patches[used..]);
}

/// Where the time of `patch submit` goes until its first validator runs: the
/// steps timed in-process through the library, then as processes.
///
/// `decided` is a patch submitted before; `fresh` are at least
/// `2 * (options.patch_runs + 1)` patches never submitted, so that applying
/// them writes new objects and checking their results out changes files.
fn profile_patch(
    ws: &Workspace,
    repo: &BenchRepo,
    options: &Options,
    decided: &Path,
    fresh: &[std::path::PathBuf],
) {
    use git_auditops::config::Config;
    use git_auditops::patch::{parse, records::DecisionRecord};
    use git_auditops::worktree::PooledWorktree;
    section(
        "where patch submit spends its time until the first validator (in-process, then processes)",
    );
    let runs = options.patch_runs;
    time_step(
        "open + load .auditops.toml + trust list (fresh open)",
        runs,
        &mut |_| {
            let repo = git_auditops::git::open(&repo.dir).expect("open");
            let config = Config::load(repo.workdir()).expect("config").config;
            sign::trust::load(&repo, config.allowed_signers(), None).expect("trust");
        },
    );
    let gix_repo = repo.open();
    let config = Config::load(gix_repo.workdir()).expect("config").config;
    let trust = sign::trust::load(&gix_repo, config.allowed_signers(), None).expect("trust");
    let read_target = || {
        git_auditops::store::read_ref(&gix_repo, "refs/heads/release")
            .expect("read release")
            .expect("release exists")
    };
    time_step("target: refs/heads/release → commit", runs, &mut |_| {
        read_target();
    });
    let base = read_target();
    time_step("git2: open the repository", runs, &mut |_| {
        git2::Repository::open(gix_repo.git_dir()).expect("git2 open");
    });
    let git2_repo = git2::Repository::open(gix_repo.git_dir()).expect("git2 open");
    let base_oid = git2::Oid::from_bytes(base.as_bytes()).expect("an object id");
    let tree_of = || {
        git2_repo
            .find_commit(base_oid)
            .and_then(|c| c.tree())
            .expect("the base tree")
    };
    time_step("git2: base commit → tree", runs, &mut |_| {
        tree_of();
    });
    let base_tree = tree_of();
    let bytes: Vec<Vec<u8>> = fresh[..2 * (runs + 1)]
        .iter()
        .map(|p| std::fs::read(p).expect("read a patch"))
        .collect();
    time_step("parse the patch (patch::parse::parse)", runs, &mut |i| {
        parse::parse(&bytes[i], &base_tree).expect("parse");
    });
    let parsed = bytes
        .iter()
        .map(|b| parse::parse(b, &base_tree).expect("parse"))
        .collect::<Vec<_>>();
    let store = Store::new(&gix_repo, config.ref_name()).expect("store");
    time_step(
        "state: Store::view + look the patch up (decided?)",
        runs,
        &mut |i| {
            let view = store.view().expect("view").expect("the state exists");
            git_auditops::records::read_keyed::<DecisionRecord>(
                &view,
                &[parsed[i].id.to_hex()],
                &trust,
            )
            .expect("read_keyed");
        },
    );
    time_step("find + read the signing key", runs, &mut |_| {
        sign::key::for_recording(&gix_repo, config.trust.require_signed).expect("key");
    });
    time_step(
        "git2: apply_to_tree (base tree → index, apply)",
        runs,
        &mut |i| {
            git2_repo
                .apply_to_tree(&base_tree, &parsed[i].diff, None)
                .expect("apply_to_tree");
        },
    );
    let parent = git2_repo.find_commit(base_oid).expect("the base commit");
    let signature = git2_repo.signature().expect("a signature");
    let mut results = Vec::new();
    time_step(
        "git2: apply_to_tree + write_tree_to + commit (all of apply)",
        runs,
        &mut |i| {
            let patch = &parsed[i];
            let mut index = git2_repo
                .apply_to_tree(&base_tree, &patch.diff, None)
                .expect("apply_to_tree");
            let tree = index.write_tree_to(&git2_repo).expect("write_tree_to");
            let tree = git2_repo.find_tree(tree).expect("the new tree");
            let commit = git2_repo
                .commit(
                    None,
                    &signature,
                    &signature,
                    &patch.message,
                    &tree,
                    &[&parent],
                )
                .expect("commit");
            results.push(gix::ObjectId::try_from(commit.as_bytes()).expect("an object id"));
        },
    );
    // As the command does it: a fresh libgit2 handle, so nothing is cached yet.
    time_step(
        "git2: open + base tree + all of apply (fresh open)",
        runs,
        &mut |i| {
            let repo = git2::Repository::open(gix_repo.git_dir()).expect("git2 open");
            let parent = repo.find_commit(base_oid).expect("the base commit");
            let base_tree = parent.tree().expect("the base tree");
            let patch = &parsed[runs + 1 + i];
            let mut index = repo
                .apply_to_tree(&base_tree, &patch.diff, None)
                .expect("apply_to_tree");
            let tree = index.write_tree_to(&repo).expect("write_tree_to");
            let tree = repo.find_tree(tree).expect("the new tree");
            repo.commit(
                None,
                &signature,
                &signature,
                &patch.message,
                &tree,
                &[&parent],
            )
            .expect("commit");
        },
    );
    // Each patch's result in turn, as successive submits check them out.
    time_step(
        "PooledWorktree::checkout (lock, git checkout, git clean)",
        runs,
        &mut |i| {
            drop(
                PooledWorktree::checkout(&gix_repo, results[i], Duration::from_secs(60))
                    .expect("checkout"),
            );
        },
    );

    // As processes, interleaved, so that their differences are not background load.
    let slot = pool_slot(repo);
    let mut probes: [(&str, Samples); 5] = [
        ("process start: git-auditops --version", Samples::default()),
        (
            "process: patch submit, already decided (start … decided?)",
            Samples::default(),
        ),
        (
            "process: git checkout --detach --force (pooled worktree)",
            Samples::default(),
        ),
        (
            "process: git clean -fdq (pooled worktree)",
            Samples::default(),
        ),
        (
            "process: /bin/sh -c 'date +%s%N', spawn → its reading",
            Samples::default(),
        ),
    ];
    for round in 0..=runs {
        let version = run_timed(ws.auditops(&repo.dir).arg("--version")).1;
        let (output, again) = run_timed(
            ws.auditops(&repo.dir)
                .args(["patch", "submit"])
                .arg(decided)
                .args(["--target", "release", "--json"]),
        );
        let json: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("`patch submit --json` prints JSON");
        assert!(
            json["already_decided"] == true,
            "the first patch was not reported as already decided: {json}"
        );
        let hex = results[runs - round % 2].to_string();
        let checkout = run_timed(
            ws.git(&slot)
                .args(["checkout", "--quiet", "--detach", "--force", &hex]),
        )
        .1;
        let clean = run_timed(ws.git(&slot).args(["clean", "-fdq"])).1;
        let spawned = SystemTime::now();
        let (output, _) = run_timed(
            std::process::Command::new("/bin/sh")
                .args(["-c", "date +%s%N"])
                .current_dir(&slot),
        );
        let reading = clock_reading(&String::from_utf8_lossy(&output.stdout), &"`date`");
        let shell = reading
            .duration_since(spawned)
            .expect("the clock reading is after the spawn");
        if round > 0 {
            for ((_, samples), elapsed) in probes
                .iter_mut()
                .zip([version, again, checkout, clean, shell])
            {
                samples.push(elapsed);
            }
        }
    }
    for (name, samples) in &probes {
        println!("  {name:<50} {}", samples.summary());
    }
}
