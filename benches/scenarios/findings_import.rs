//! Measurement 6: `git-auditops findings import` of a SARIF log with 10,000
//! results (a whole CLI process: parse, fingerprint each region read from the
//! commit, redact, sign 10,000 finding records and a scan, one transaction)
//! into the big state (100,000 records in a full run) against the same import
//! into a state with nothing but `init`'s; targets: ≤ 1 s wall into the big
//! state, and ≤ 1.2× the small one (the cost must not grow with the records
//! already stored: an import reads the findings and scans, never the rest).
//!
//! The SARIF is generated here (one rule, one result per line of a committed
//! 10,000-line file): a benchmark input, not a test fixture. Before each run
//! the state ref is put back where it was, so every run imports 10,000 new
//! findings.

use crate::Options;
use crate::support::fixture::{BenchRepo, Workspace};
use crate::support::fmt_count;
use crate::support::measure::{Samples, fmt_duration, ratio, run_text, run_timed};
use crate::support::report::{Table, Verdict, section};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Results in the SARIF the target is stated for.
const TARGET_RESULTS: usize = 10_000;
const SCANNED_FILE: &str = "src/scanned.py";
const STATE_REF: &str = "refs/auditops/state";

/// The results to import: the target's 10,000, fewer in the smoke pass.
fn results(options: &Options) -> usize {
    if options.records < 10_000 {
        300
    } else {
        TARGET_RESULTS
    }
}

/// Commits a file of `lines` distinct lines to `repo` and writes the SARIF
/// of one result per line next to the scratch space; returns its path.
fn prepare(ws: &Workspace, repo: &BenchRepo, lines: usize) -> PathBuf {
    let text: String = (0..lines)
        .map(|i| format!("value_{i} = eval(input_{i})\n"))
        .collect();
    std::fs::write(repo.dir.join(SCANNED_FILE), text).expect("write the scanned file");
    run_timed(ws.git(&repo.dir).args(["add", SCANNED_FILE]));
    run_timed(
        ws.git(&repo.dir)
            .args(["commit", "-q", "-m", "scanned file"]),
    );
    let results: Vec<serde_json::Value> = (0..lines)
        .map(|i| {
            serde_json::json!({
                "ruleId": "B307",
                "level": "warning",
                "message": {"text": format!("Use of possibly insecure function - consider using safer ast.literal_eval (value_{i}).")},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": SCANNED_FILE},
                    "region": {"startLine": i + 1, "endLine": i + 1, "startColumn": 1, "endColumn": 20}
                }}]
            })
        })
        .collect();
    let sarif = serde_json::json!({
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "bench-scanner", "version": "1.0", "rules": [{"id": "B307"}]}},
            "results": results
        }]
    });
    let path = ws.path(&format!("findings-{lines}.sarif"));
    std::fs::write(&path, sarif.to_string()).expect("write the SARIF");
    path
}

fn tip(ws: &Workspace, dir: &Path) -> String {
    run_text(ws.git(dir).args(["rev-parse", STATE_REF]))
}

/// One import into `repo`, its state first put back at `tip`.
fn import_once(ws: &Workspace, repo: &BenchRepo, tip: &str, sarif: &Path) -> Duration {
    run_timed(ws.git(&repo.dir).args(["update-ref", STATE_REF, tip]));
    let (out, elapsed) = run_timed(
        ws.auditops(&repo.dir)
            .args(["findings", "import", "--json"])
            .arg(sarif),
    );
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("`findings import --json` prints JSON");
    assert!(
        report["new"].as_u64().unwrap_or_default() > 0,
        "nothing was imported: {report}"
    );
    elapsed
}

/// Imports into the small and the big state in turn, run by run.
pub fn run(
    ws: &Workspace,
    small: &BenchRepo,
    big: &BenchRepo,
    options: &Options,
    table: &mut Table,
) {
    let lines = results(options);
    section(&format!(
        "7. findings import of {} results: into {} records vs an empty state",
        fmt_count(lines as u64),
        fmt_count(options.records)
    ));
    let sarif = prepare(ws, small, lines);
    prepare(ws, big, lines);
    let (small_tip, big_tip) = (tip(ws, &small.dir), tip(ws, &big.dir));
    let runs = options.cli_runs.min(10);
    for _ in 0..options.warmup.min(1) {
        import_once(ws, small, &small_tip, &sarif);
        import_once(ws, big, &big_tip, &sarif);
    }
    let (mut empty, mut full) = (Samples::default(), Samples::default());
    for _ in 0..runs {
        empty.push(import_once(ws, small, &small_tip, &sarif));
        full.push(import_once(ws, big, &big_tip, &sarif));
    }
    // Leave both states as the later measurements expect them.
    run_timed(
        ws.git(&small.dir)
            .args(["update-ref", STATE_REF, &small_tip]),
    );
    run_timed(ws.git(&big.dir).args(["update-ref", STATE_REF, &big_tip]));
    println!("  into the big state:   {}", full.summary());
    println!("  into an empty state:  {}", empty.summary());
    let r = ratio(full.median(), empty.median());
    println!("  ratio: {r:.2}×");
    let label = format!(
        "findings import {} results into {} records",
        fmt_count(lines as u64),
        fmt_count(options.records)
    );
    table.push(
        label.clone(),
        fmt_duration(full.median()),
        "—",
        "—",
        "≤ 1 s",
        Verdict::from_bool(full.median() <= Duration::from_secs(1)),
    );
    table.push_comparison(
        format!("{label} vs an empty state"),
        full.median(),
        empty.median(),
        "≤ 1.2×",
        Verdict::from_bool(r <= 1.2),
    );
}
