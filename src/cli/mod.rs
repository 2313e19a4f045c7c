//! The command line: argument parsing (clap) and dispatch. Each command group
//! lives in its own file and only parses and prints; the work is in the library.

mod ci;
mod cleanup;
mod completions;
mod context;
mod daemon;
mod doctor;
mod evidence;
mod failures;
mod findings;
mod github;
mod hooks;
mod init;
mod key;
mod log;
mod man;
mod output;
mod patch;
mod phase;
mod quarantine;
mod rules;
mod state;
mod status;
mod verify;

use crate::error::{Error, ExitCode};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "git-auditops",
    bin_name = "git auditops",
    version,
    about = "A signed, offline-first audit trail kept in a git ref",
    long_about = "git-auditops keeps signed evidence and other audit records in a git ref \
(refs/auditops/state) that any reviewer can fetch and verify offline.\n\n\
Set up a repository with `git auditops init`, make a key with `git auditops key generate`, \
then record evidence with `git auditops evidence add` and check everything with \
`git auditops verify`.",
    after_help = "Exit codes: 0 success, 1 refused, 2 usage or input error, 3 verification failed, 4 busy, 5 GitHub permission refused, 6 GitHub unavailable, 7 internal (git or the file system failed)."
)]
struct Cli {
    /// Run as if started in PATH (like `git -C PATH`).
    #[arg(short = 'C', value_name = "PATH", global = true)]
    directory: Option<PathBuf>,
    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Set up this repository: write a commented .auditops.toml if there is none,
    /// create the state ref and install the git hooks. Safe to run again.
    Init(init::InitArgs),
    /// Check .auditops.toml.
    #[command(subcommand)]
    Config(init::ConfigCommand),
    /// Create or show the ed25519 signing key.
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Record, list and export signed evidence.
    #[command(subcommand)]
    Evidence(evidence::EvidenceCommand),
    /// Findings from scanners (SARIF 2.1.0): import, list, show.
    #[command(subcommand)]
    Findings(findings::FindingsCommand),
    /// Learned rules: failures grouped by signature, and what to do when they recur.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Failure rates per category over a rolling window, with severities and top signatures.
    Failures(failures::FailuresArgs),
    /// Verify every record: signatures against the trusted keys, evidence hashes
    /// against git. Exit 3 when anything fails.
    Verify(verify::VerifyArgs),
    /// Show the transactions of the state ref, newest first.
    Log(log::LogArgs),
    /// Set aside records that fail verification (signed by trusted signers), so
    /// that one bad record does not block `state pull` and `verify`.
    Quarantine(quarantine::QuarantineArgs),
    /// Delete what the tool left behind, behind a signed approval of the exact plan.
    #[command(subcommand)]
    Cleanup(cleanup::CleanupCommand),
    /// Share the state with a git remote.
    #[command(subcommand)]
    State(state::StateCommand),
    /// Phases: status, start, complete, report.
    #[command(subcommand)]
    Phase(phase::PhaseCommand),
    /// Run a phase's gates.
    #[command(subcommand)]
    Gate(phase::GateCommand),
    /// Sign an approval of a phase at HEAD, a review-queue item, or a cleanup report.
    Approve(phase::ApproveArgs),
    /// For CI jobs: run gates and push signed results, check pushes, write a workflow.
    #[command(subcommand)]
    Ci(ci::CiCommand),
    /// Install, remove or inspect the git hooks.
    #[command(subcommand)]
    Hooks(hooks::HooksCommand),
    /// The per-repository daemon: gates after each commit, sync after each push.
    #[command(subcommand)]
    Daemon(daemon::DaemonCommand),
    /// Submit a patch for validation and a decision.
    #[command(subcommand)]
    Patch(patch::PatchCommand),
    /// The review queue of patches waiting for a person.
    #[command(subcommand)]
    Queue(patch::QueueCommand),
    /// The decision log of submitted patches.
    Decisions,
    /// One screen: state tip, phases, review queue, outbox, hooks, key. Also
    /// sweeps worktrees left by processes that died.
    Status,
    /// Held subsystem locks: holder pid, command and since when.
    Locks,
    /// Check this clone's setup (config, key, trust, hooks, state, GitHub) and
    /// print the command that fixes each problem. Exit 1 when there is one.
    Doctor(doctor::DoctorArgs),
    /// Carry out the queued GitHub operations (issues, comments, labels, pull
    /// requests). Exit 5 without permission, 6 when GitHub is unreachable,
    /// rate-limited or the circuit is open; the operations stay queued.
    Sync(github::SyncArgs),
    /// The queued GitHub operations.
    #[command(subcommand)]
    Outbox(github::OutboxCommand),
    /// Queue GitHub issues.
    #[command(subcommand)]
    Issue(github::IssueCommand),
    /// The manual pages: print git-auditops(1), or install them all with --install.
    Man(man::ManArgs),
    /// Print a shell completion script (bash also completes `git auditops`).
    Completions(completions::CompletionsArgs),
    /// What the installed hook scripts call (reads the hook's standard input).
    Hook {
        /// The hook's name, e.g. pre-push.
        name: String,
        /// The arguments git gave the hook.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    // Logging costs start-up time on every hook run; set it up only when asked.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    // Hooks run on every commit and push: they skip clap (and, for the event
    // hooks, the workspace).
    if let Some(code) = hooks::hook_without_clap() {
        return code;
    }
    if version_alone() {
        // What clap prints for `--version`, without building the parser of every
        // subcommand first (which costs more than starting the process).
        println!("git-auditops {}", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code as i32,
        Err(err) => {
            report_error(&err);
            err.exit_code() as i32
        }
    }
}

/// Whether the only argument is `--version` (or `-V`).
fn version_alone() -> bool {
    let mut args = std::env::args_os().skip(1);
    matches!((args.next(), args.next()), (Some(arg), None) if arg == "--version" || arg == "-V")
}

/// Prints the error and then each of its causes, one a line.
pub(crate) fn report_error(err: &Error) {
    eprintln!("error: {err}");
    let mut cause = std::error::Error::source(err);
    while let Some(err) = cause {
        eprintln!("caused by: {err}");
        cause = err.source();
    }
}

fn run(cli: Cli) -> Result<ExitCode, Error> {
    if let Some(dir) = &cli.directory {
        std::env::set_current_dir(dir)
            .map_err(|err| Error::Usage(format!("cannot change to {}: {err}", dir.display())))?;
    }
    // These two describe the tool, not a repository: they run anywhere.
    match cli.command {
        Command::Man(args) => return man::run(cli.json, args),
        Command::Completions(args) => return completions::run(cli.json, args),
        _ => {}
    }
    let cwd = std::env::current_dir().map_err(Error::io("the current directory"))?;
    let ctx = context::Context {
        ws: crate::workspace::Workspace::open(&cwd)?,
        json: cli.json,
    };
    // Once per command, on stderr: a clone made after `init` lacks the hooks.
    if !matches!(
        cli.command,
        Command::Init(_) | Command::Hooks(_) | Command::Hook { .. }
    ) && let Some(missing) = crate::hooks::not_installed(&ctx.ws)
    {
        eprintln!("warning: {missing}");
    }
    match cli.command {
        Command::Init(args) => init::init(&ctx, args),
        Command::Config(command) => init::config(&ctx, command),
        Command::Key(command) => key::run(&ctx, command),
        Command::Evidence(command) => evidence::run(&ctx, command),
        Command::Findings(command) => findings::run(&ctx, command),
        Command::Rules(command) => rules::run(&ctx, command),
        Command::Failures(args) => failures::run(&ctx, args),
        Command::Verify(args) => verify::run(&ctx, args),
        Command::Log(args) => log::run(&ctx, args),
        Command::Quarantine(args) => quarantine::run(&ctx, args),
        Command::Cleanup(command) => cleanup::run(&ctx, command),
        Command::State(command) => state::run(&ctx, command),
        Command::Phase(command) => phase::phase(&ctx, command),
        Command::Gate(command) => phase::gate(&ctx, command),
        Command::Approve(args) => phase::approve(&ctx, args),
        Command::Ci(command) => ci::run(&ctx, command),
        Command::Hooks(command) => hooks::run(&ctx, command),
        Command::Daemon(command) => daemon::run(&ctx, command),
        Command::Hook { name, args } => hooks::hook(&ctx, &name, &args),
        Command::Sync(args) => github::sync(&ctx, args),
        Command::Outbox(command) => github::outbox(&ctx, command),
        Command::Issue(command) => github::issue(&ctx, command),
        Command::Patch(command) => patch::patch(&ctx, command),
        Command::Queue(command) => patch::queue_command(&ctx, command),
        Command::Decisions => patch::decisions(&ctx),
        Command::Locks => patch::locks(&ctx),
        Command::Status => status::run(&ctx),
        Command::Doctor(args) => doctor::run(&ctx, args),
        Command::Man(_) | Command::Completions(_) => unreachable!("run before the workspace"),
    }
}
