//! `gate run` of a Rust project in the pooled worktree against a fresh one:
//! the second and later runs keep `target/` (ignored build output) and build
//! incrementally, where a fresh worktree (`clean = true`, what every gate run
//! did before gates used the pool) builds everything again. The project is a
//! workspace of two crates: `base` (many functions, never changed) and the
//! root crate, changed by every round's commit, as a day of work changes the
//! code on top of its dependencies. No target: the row shows the gain.

use crate::Options;
use crate::support::fixture::Workspace;
use crate::support::measure::{Samples, fmt_duration, run_timed};
use crate::support::report::{Table, Verdict, section};
use std::path::{Path, PathBuf};

/// The real cargo and rustc of the toolchain running the benchmark: the
/// isolated HOME has no rustup, so its proxies would not work.
fn toolchain() -> Option<(PathBuf, PathBuf)> {
    let cargo = std::env::var_os("CARGO")
        .map(PathBuf::from)
        .or_else(|| option_env!("CARGO").map(PathBuf::from))?;
    let rustc = cargo.with_file_name("rustc");
    (cargo.is_file() && rustc.is_file()).then_some((cargo, rustc))
}

fn config(cargo: &Path, rustc: &Path, home: &Path) -> String {
    let gate = |id: &str, clean: bool| {
        format!(
            "[gates.{id}]\nrun = \"{} build --offline --quiet\"\nclean = {clean}\n\
             env = {{ CARGO_TARGET_DIR = \"target\", RUSTC = \"{}\", CARGO_HOME = \"{}\" }}\n",
            cargo.display(),
            rustc.display(),
            home.join(".cargo").display()
        )
    };
    format!(
        "version = 1\n\n[[phases]]\nid = 0\nname = \"Pooled\"\ngates = [\"build\"]\n\n\
         [[phases]]\nid = 1\nname = \"Fresh\"\ngates = [\"build-clean\"]\n\n{}\n{}",
        gate("build", false),
        gate("build-clean", true)
    )
}

/// Writes the project; `round` changes the root crate.
fn write_project(dir: &Path, functions: usize, round: usize) {
    let write = |rel: &str, text: String| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write a project file");
    };
    write(
        "Cargo.toml",
        "[package]\nname = \"benchproj\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dependencies]\nbase = { path = \"base\" }\n\n[workspace]\n"
            .into(),
    );
    write(
        "base/Cargo.toml",
        "[package]\nname = \"base\"\nversion = \"0.1.0\"\nedition = \"2021\"\n".into(),
    );
    let base: String = (0..functions)
        .map(|i| {
            format!(
                "pub fn step_{i}(v: &[u64]) -> Vec<u64> {{ v.iter().map(|x| x.wrapping_mul({i}) ^ {i}).filter(|x| x % 3 != 0).collect() }}\n"
            )
        })
        .collect();
    write("base/src/lib.rs", base);
    write(
        "src/lib.rs",
        format!("pub fn round() -> u64 {{ base::step_1(&[{round}]).len() as u64 }}\n"),
    );
    write(".gitignore", "target/\n".into());
}

pub fn run(ws: &Workspace, options: &Options, table: &mut Table) {
    section("gate run of a Rust project: pooled worktree (target/ kept) vs a fresh one");
    let Some((cargo, rustc)) = toolchain() else {
        println!("  skipped: no cargo of a toolchain found (run through `cargo bench`)");
        table.push(
            "gate run of a Rust project, second run vs first",
            "—",
            "—",
            "—",
            "—",
            Verdict::Skipped,
        );
        return;
    };
    let repo = ws.repo("gate-pool");
    let dir = &repo.dir;
    let functions = if options.files >= 2_000 { 1_500 } else { 100 };
    std::fs::write(dir.join(".auditops.toml"), config(&cargo, &rustc, &ws.home))
        .expect("write .auditops.toml");
    let gate_run = |phase: &str| {
        let (out, took) = run_timed(ws.auditops(dir).args(["gate", "run", "--phase", phase]));
        assert!(
            out.status.success(),
            "gate run --phase {phase} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        took
    };
    let (mut fresh, mut pooled) = (Samples::default(), Samples::default());
    let runs = options.patch_runs.max(1);
    let mut first = None;
    for round in 0..=runs {
        write_project(dir, functions, round);
        run_timed(ws.git(dir).args(["add", "-A"]));
        run_timed(
            ws.git(dir)
                .args(["commit", "-q", "-m", &format!("round {round}")]),
        );
        let cold = gate_run("1");
        let warm = gate_run("0");
        match round {
            0 => first = Some(warm),
            _ => {
                fresh.push(cold);
                pooled.push(warm);
            }
        }
    }
    let first = first.expect("round 0 ran");
    println!(
        "  {functions} functions in `base`; first pooled run (cold pool) {}",
        fmt_duration(first)
    );
    println!("  fresh worktree (clean = true): {}", fresh.summary());
    println!("  pooled, second and later runs: {}", pooled.summary());
    table.push_comparison(
        "gate run of a Rust project, second run (pooled) vs first (fresh worktree)",
        pooled.median(),
        fresh.median(),
        "—",
        Verdict::Info,
    );
}
