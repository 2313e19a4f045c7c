//! For information (`info` rows, no target): our pre-push hook against the
//! empty pre-push hooks of two popular hook managers, lefthook (npm; its Go
//! binary) and pre-commit (PyPI, in a virtual environment), on the history of
//! the pre-push repository of 4. Both are installed into the scratch
//! directory for the run when npm, `python3 -m venv` and the registries
//! allow (rows `skipped` otherwise, and with `--no-hook-tools` or in a smoke
//! run). Each gets its own repository sharing the pre-push repository's
//! objects, with an empty pre-push configuration, so that what is timed is
//! the price of the hook manager itself: the cost a user already accepts for
//! a hook that does nothing, set beside ours that decides.
//!
//! Run interleaved, with the arguments and stdin ours gets: each
//! `.git/hooks/pre-push` script (ours `exec`s `git-auditops` found on
//! `PATH`), and each tool run directly (`git-auditops hook pre-push`,
//! `lefthook run pre-push`, `pre-commit run --hook-stage pre-push`). The
//! table compares script with script and direct run with direct run; the
//! ratio is ours over theirs.

use crate::Options;
use crate::scenarios::prepush::Prepush;
use crate::support::fixture::{BenchRepo, Workspace};
use crate::support::hooktools::{self, Tool};
use crate::support::measure::{Samples, fmt_duration, run_with_input, time};
use crate::support::report::{Table, Verdict, section};

/// The empty pre-push hooks of lefthook and pre-commit, each in a repository
/// sharing the pre-push repository's history, interleaved with ours.
pub fn run(ws: &Workspace, measured: &Prepush, options: &Options, table: &mut Table) {
    let (repo, input) = (&measured.repo, measured.allow_input.as_slice());
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
    let path = ws.path_with_bin();
    let script = |r: &BenchRepo| {
        let mut cmd = std::process::Command::new(r.dir.join(".git/hooks/pre-push"));
        cmd.args(["origin", &r.origin_url()]).current_dir(&r.dir);
        cmd
    };
    let mut our_script = script(repo);
    our_script.env("PATH", &path);
    let mut runs = vec![
        HookRun::new("ours: .git/hooks/pre-push", our_script),
        HookRun::new("ours: git-auditops hook pre-push", ws.pre_push_hook(repo)),
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
            let label = format!(
                "pre-push, ours vs {} {} empty ({how})",
                tool.name, tool.version
            );
            let verdict = match theirs.failure {
                None => Verdict::Info,
                Some(_) => Verdict::Skipped,
            };
            table.push_comparison(label, ours, theirs.samples.median(), "—", verdict);
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
