//! Measurement 2: whether the cost of one append grows with the history: single-record
//! appends on a nearly empty log (the baseline) against appends on the log
//! holding `--records` records (100,000 in a full run), interleaved; target:
//! the 100,000th append costs ≤ 1.2× the first (docs/performance.md). The state is a
//! tree of segments in group directories, so an append should rewrite a few
//! small trees whatever the size of the log.
//!
//! Timed twice: the in-process `Store::append` of one pre-signed line (the
//! store alone), and the CLI `evidence add` (what a user waits for). For
//! context (an `info` row) the in-process loop also appends to a log just
//! short of a full group directory: the largest tree an append rewrites, the
//! worst point of the per-group sawtooth (docs/performance.md, "The append
//! sawtooth is (almost) gone").

use crate::Options;
use crate::support::fixture::{BenchRepo, Workspace};
use crate::support::fmt_count;
use crate::support::measure::{Samples, ratio, time};
use crate::support::records::{CliAdder, RecordFactory, count_records};
use crate::support::report::{Table, Verdict, section};
use git_auditops::store::{EVIDENCE_LOG, Store, layout};

/// One append on a nearly empty log against one on the full log, plus (in
/// process only) one at the end of a group directory.
pub fn run(
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
        .map(|r| RecordFactory::new(r, ws.signing_key(), "one").lines(0..n, 1));
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
    table.push_comparison(
        format!(
            "append in-process at a full group ({} records) / first",
            fmt_count(counts[2])
        ),
        edge_samples.median(),
        first.median(),
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
    table.push_comparison(
        format!("{row}, {label}"),
        last.median(),
        first.median(),
        "≤ 1.2×",
        Verdict::from_bool(r <= 1.2),
    );
}
