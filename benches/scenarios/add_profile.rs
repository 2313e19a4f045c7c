//! Where one `evidence add` spends its time: its steps timed in-process
//! through the library on the big state (open the repository and load
//! `.auditops.toml`, find the key, build the evidence, seal it, read the tip,
//! append, and all of `record::add`), beside the floors of starting a process
//! (`git-auditops --version`, `git rev-parse HEAD`). No baseline and no table
//! row: it explains the ratio of 1. (how much of it is process start-up, how
//! much the append) and shows which step to work on when 1. misses
//! (docs/performance.md, "Where one `evidence add` goes").

use crate::Options;
use crate::support::fixture::{BenchRepo, QUOTED_FILE, QUOTED_LINES, Workspace};
use crate::support::measure::{run_timed, time_step};
use crate::support::records::RecordFactory;
use crate::support::report::section;
use git_auditops::sign;
use git_auditops::store::{EVIDENCE_LOG, Store};

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

/// Where the time of one `evidence add` goes: its steps timed in-process on
/// the big state, plus the floors of starting a process.
pub fn run(ws: &Workspace, big: &BenchRepo, options: &Options) {
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
    let factory = RecordFactory::new(&repo, ws.signing_key(), "profile");
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
