//! Measurement 5: `git-auditops patch submit` on a repository of 20,000 files (full run):
//! the time from starting the command until the patched tree is checked out
//! in the pooled worktree and the first validator runs, against
//! `git worktree add --detach` + `git apply` of the same patch (what a
//! validator would otherwise need before it can start), interleaved; target
//! ≤ 0.25× for a pooled worktree being reused (docs/performance.md). The first use (the
//! pooled worktree is created) is reported as `info`.
//!
//! "To the first validator" runs from the spawn to the validator's own
//! clock reading (`date +%s%N` into its log), an upper bound; the whole
//! process and the command's `ready_ms` are shown beside it. The baseline
//! worktrees are never removed during the run, and the pooled worktree is
//! set aside by renaming: deleting thousands of files makes creating the
//! next ones far slower on ext4 without a journal, which would inflate the
//! baseline with the harness's own churn (docs/performance.md, 5.). A folder
//! probe once a round warns when file creation is slow.
//!
//! The repository and the patches not submitted are handed on to the
//! breakdown of the command's time (`patch_profile`).

use crate::support::fixture::{BenchRepo, Workspace};
use crate::support::fmt_count;
use crate::support::measure::{Samples, fmt_duration, ratio, run_timed, time};
use crate::support::patches::{self, clock_reading, pool_slot};
use crate::support::report::{Table, Verdict, section};
use crate::{Options, TARGET_FILES};
use std::path::{Path, PathBuf};
use std::time::Duration;

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
fn validator_log(repo: &BenchRepo, patch_id: &str) -> PathBuf {
    repo.dir
        .join(".git/auditops/logs")
        .join(format!("patch-{}-tests-1.log", &patch_id[..12]))
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
    let (json, wall, spawned) = patches::submit(ws, repo, patch);
    let decision = &json; // the decision record's fields are at the top level
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

/// The patch repository once measured, and the patches for the breakdown of
/// the command's time.
pub struct PatchRepo {
    pub repo: BenchRepo,
    /// A patch submitted before (so already decided).
    pub decided: PathBuf,
    /// At least `2 * (options.patch_runs + 1)` patches never submitted, so
    /// that applying them writes new objects and checking their results out
    /// changes files.
    pub fresh: Vec<PathBuf>,
}

/// 5. `patch submit` until the first validator runs, on a repository of
///    `options.files` files, against `git worktree add` + `git apply`.
pub fn run(ws: &Workspace, options: &Options, table: &mut Table) -> PatchRepo {
    section(&format!(
        "5. patch submit until the first validator runs: {} files",
        fmt_count(options.files)
    ));
    let (repo, elapsed) = time(|| ws.repo_with_files("patches", options.files, PATCH_CONFIG));
    println!(
        "  repository: {} files in folders of {} by git fast-import, checked out, `init`: {} ({}, size in KiB)",
        fmt_count(options.files),
        patches::FILES_PER_DIR,
        fmt_duration(elapsed),
        ws.count_objects(&repo.dir, &["in-pack:", "size-pack:"])
    );
    // The runs, and fresh patches for the in-process steps of the profile.
    let count =
        options.first_use_runs + options.warmup + options.patch_runs + 2 * (options.patch_runs + 1);
    let (all_patches, elapsed) = time(|| {
        patches::write_patches(
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
    let mut patch_files = all_patches.iter();
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
    table.push_comparison(
        format!(
            "patch submit → first validator, pooled reuse, vs worktree add + apply ({size} files)"
        ),
        reuse.to_validator.median(),
        base.median(),
        target,
        verdict,
    );
    table.push_comparison(
        "patch submit, whole process (upper bound), pooled reuse",
        reuse.wall.median(),
        base.median(),
        "—",
        Verdict::Info,
    );
    table.push_comparison(
        "patch submit → first validator, first use (pool created)",
        first.to_validator.median(),
        base_first.median(),
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
    PatchRepo {
        decided: all_patches[0].clone(),
        fresh: all_patches[used..].to_vec(),
        repo,
    }
}
