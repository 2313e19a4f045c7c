//! Measurement 1: `git-auditops evidence add` (one signed record, a whole CLI process)
//! against `git update-ref` (a whole git process moving one ref) in the same
//! repository, interleaved run by run; target ≤ 3× (docs/performance.md, "What is
//! measured"): recording evidence should cost about what moving a ref does.
//!
//! For context the same loop times what the file system charges for one new
//! file in `.git/objects` (write a temporary file, rename it: what a loose
//! object write does), because that is what separates the two: an append
//! creates 6 files (segment blob, group tree, log tree, root tree, commit, ref
//! lock), `update-ref` 1 (the ref lock). On slow file systems the ratio rises
//! with that cost (docs/performance.md, "Run-to-run variation").

use crate::Options;
use crate::support::fixture::{BenchRepo, Workspace};
use crate::support::measure::{Samples, fmt_duration, ratio, run_timed, time};
use crate::support::records::CliAdder;
use crate::support::report::{Table, Verdict, section};
use std::path::{Path, PathBuf};

/// `evidence add` against `git update-ref`, interleaved run by run so that
/// background load hits both alike.
pub fn run(
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
    table.push_comparison(
        "evidence add (CLI) vs git update-ref",
        ours.median(),
        base.median(),
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
    dir: PathBuf,
    samples: Samples,
}

impl FileProbe {
    fn new(dir: &Path) -> FileProbe {
        FileProbe {
            dir: dir.to_owned(),
            samples: Samples::default(),
        }
    }

    fn path(&self, i: usize) -> PathBuf {
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
