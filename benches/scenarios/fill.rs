//! Filling the big states that 2. and 3. measure on, in-process: `Store::append`
//! of records signed with `sign::seal` (so every record verifies), a batch of
//! lines per call, on all cores. Nothing is compared with a baseline here; the
//! run prints where the fill's time went (signing against appending, the first
//! and the last batch append), which shows whether appending slows down as the
//! log grows before 2. measures it one record at a time (docs/performance.md,
//! "Results").
//!
//! A second, smaller state stops just short of a full group directory, so
//! that the in-process appends of 2. land where an append rewrites the
//! largest tree: the worst point of the per-group sawtooth.

use crate::Options;
use crate::support::fixture::{BenchRepo, Workspace};
use crate::support::fmt_count;
use crate::support::measure::fmt_duration;
use crate::support::records::fill_timed;
use crate::support::report::section;
use git_auditops::store::layout;
use std::time::Duration;

/// Records that fill one group directory of a log (its segment tree is full).
const GROUP_RECORDS: u64 = layout::SEGMENT_RECORDS as u64 * layout::SEGMENTS_PER_GROUP;

/// Fills the big repository's state to `options.records` records in-process.
pub fn big_state(ws: &Workspace, repo: &BenchRepo, options: &Options, threads: usize) {
    section(&format!(
        "filling a state with {} signed records in-process ({} per Store::append, {threads} signing threads)",
        fmt_count(options.records),
        fmt_count(options.fill_batch)
    ));
    let gix_repo = repo.open();
    let (stats, elapsed) = fill_timed(
        &gix_repo,
        ws.signing_key(),
        "fill",
        options.records,
        options.fill_batch,
        threads,
    );
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
    println!(
        "  object database: {} (loose objects; size in KiB)",
        ws.count_objects(&repo.dir, &["count:", "size:"])
    );
}

/// Fills the edge repository so that the in-process appends of 2. land in
/// the last segments of a group: the largest tree an append rewrites.
pub fn edge_state(ws: &Workspace, repo: &BenchRepo, options: &Options, threads: usize) {
    let appends = (options.warmup + options.inproc_runs) as u64;
    let records = GROUP_RECORDS.saturating_sub(appends + 1);
    let gix_repo = repo.open();
    let (_, elapsed) = fill_timed(
        &gix_repo,
        ws.signing_key(),
        "edge",
        records,
        options.fill_batch,
        threads,
    );
    println!(
        "  (also filled a third state to {} records, just short of a full group of {} segments, in {})",
        fmt_count(records),
        layout::SEGMENTS_PER_GROUP,
        fmt_duration(elapsed)
    );
}
