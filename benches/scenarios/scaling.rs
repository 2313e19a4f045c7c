//! How cost grows (`--scaling 10000,100000,300000`): for each size, a
//! repository with a short history (1,000 commits) and a state of that many
//! signed records, then one process each of `verify --no-cache` (cold),
//! `verify` (warm, after a priming run), `evidence add` (an append; median of
//! three), the pre-push decision (`hook pre-push` with a push of HEAD on its
//! stdin, through `sh -c 'exec …'`, so the shell's start is included) and
//! `evidence list --json`: wall, CPU (user + system) and peak RSS of each,
//! from `wait4`. Append and pre-push should stay flat, verify grow linearly.
//! Only this runs when `--scaling` is given.

use super::prepush::{PREPUSH_CONFIG, push_input};
use crate::support::fixture::{BenchRepo, Workspace};
use crate::support::fmt_count;
use crate::support::measure::{ChildUsage, fmt_duration, run_text, run_with_rusage};
use crate::support::records::fill_timed;
use crate::support::report::section;
use std::process::{Command, Stdio};

/// One measured command: wall, CPU and peak RSS.
fn row(label: &str, size: u64, usage: &ChildUsage) -> String {
    assert_eq!(usage.exit_code, Some(0), "{label} failed");
    println!(
        "  {label} ({}): wall {}, CPU {}, peak RSS {:.1} MB, exit {:?}",
        fmt_count(size),
        fmt_duration(usage.wall),
        fmt_duration(usage.cpu()),
        usage.max_rss_kib as f64 * 1024.0 / 1e6,
        usage.exit_code
    );
    format!(
        "| {label} | {} | {} | {} | {:.1} MB |",
        fmt_count(size),
        fmt_duration(usage.wall),
        fmt_duration(usage.cpu()),
        usage.max_rss_kib as f64 * 1024.0 / 1e6
    )
}

fn measure(cmd: &Command) -> ChildUsage {
    run_with_rusage(cmd, Stdio::null(), Stdio::null())
}

/// The median-wall run of `runs` runs of `cmd`.
fn median_of(runs: usize, mut one: impl FnMut() -> ChildUsage) -> ChildUsage {
    let mut all: Vec<ChildUsage> = (0..runs).map(|_| one()).collect();
    all.sort_by_key(|u| u.wall);
    all[all.len() / 2]
}

/// Runs the scaling measurement for each of `sizes` and prints its table.
pub fn run(ws: &Workspace, sizes: &[u64], threads: usize) {
    let mut rows = Vec::new();
    for &size in sizes {
        section(&format!("scaling: {} records", fmt_count(size)));
        let repo = ws.repo_with_history(&format!("scale-{size}"), 1_000, PREPUSH_CONFIG);
        let gix_repo = repo.open();
        let (_, elapsed) = fill_timed(&gix_repo, ws.signing_key(), "scale", size, 1_000, threads);
        drop(gix_repo);
        println!("  filled in {}", fmt_duration(elapsed));
        run_text(ws.auditops(&repo.dir).args(["gate", "run"]));
        let mut verify = ws.auditops(&repo.dir);
        verify.args(["verify", "--json", "--no-cache"]);
        rows.push(row("verify, cold", size, &measure(&verify)));
        measure(ws.auditops(&repo.dir).args(["verify", "--json"]));
        rows.push(row(
            "verify, warm",
            size,
            &measure(ws.auditops(&repo.dir).args(["verify", "--json"])),
        ));
        let mut n = 0;
        let add = median_of(3, || {
            n += 1;
            measure(ws.auditops(&repo.dir).args([
                "evidence",
                "add",
                "--phase",
                "0",
                "--file",
                crate::support::fixture::QUOTED_FILE,
                "--lines",
                crate::support::fixture::QUOTED_LINES,
                "--description",
                &format!("scaling {n}"),
            ]))
        });
        rows.push(row("append (evidence add)", size, &add));
        rows.push(row(
            "pre-push decision, nothing prepared",
            size,
            &prepush(ws, &repo, false),
        ));
        rows.push(row(
            "pre-push decision, prepared",
            size,
            &prepush(ws, &repo, true),
        ));
        rows.push(row(
            "evidence list --json",
            size,
            &measure(ws.auditops(&repo.dir).args(["evidence", "list", "--json"])),
        ));
    }
    println!();
    println!("Scaling (one run each; append: median of 3):");
    println!("| measurement | records | wall | CPU | peak RSS |");
    println!("|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
}

/// The hook as git runs it, a push of HEAD on its stdin (from a file): with
/// the answer prepared (as the daemon leaves it after the gates; here by a
/// first run, which keeps it), or with none (removed before each run, so the
/// hook reads the state).
fn prepush(ws: &Workspace, repo: &BenchRepo, prepared: bool) -> ChildUsage {
    let input = ws.path(&format!(
        "push-{}.txt",
        repo.dir.file_name().unwrap_or_default().to_string_lossy()
    ));
    std::fs::write(&input, push_input(&repo.commits[0])).expect("write the push input");
    let hook = ws.auditops(&repo.dir);
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg("exec \"$0\" hook pre-push origin \"$1\" < \"$2\"")
        .arg(hook.get_program())
        .arg(repo.origin_url())
        .arg(&input)
        .current_dir(&repo.dir);
    for (key, value) in hook.get_envs() {
        match value {
            Some(value) => sh.env(key, value),
            None => sh.env_remove(key),
        };
    }
    let answer = repo.dir.join(".git/auditops/prepared-push.json");
    measure(&sh);
    median_of(3, || {
        if !prepared {
            std::fs::remove_file(&answer).expect("remove the prepared answer");
        }
        measure(&sh)
    })
}
