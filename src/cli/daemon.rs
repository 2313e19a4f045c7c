//! `daemon run|start|stop|status`: the per-repository daemon (docs/daemon.md).

use super::context::Context;
use super::output::{self, Report, say};
use crate::daemon::{self, Started, Status};
use crate::error::{ExitCode, Result};
use clap::Subcommand;
use serde::Serialize;

#[derive(Subcommand)]
pub enum DaemonCommand {
    /// Run the daemon in the foreground (what `start` runs detached).
    Run {},
    /// Start the daemon detached; says so when one is already running.
    Start {},
    /// Stop the running daemon and wait until it has stopped.
    Stop {},
    /// Whether a daemon runs, and what it is doing.
    Status {},
}

pub fn run(ctx: &Context, command: DaemonCommand) -> Result<ExitCode> {
    match command {
        DaemonCommand::Run {} => {
            eprintln!(
                "git-auditops daemon {} running (pid {}); log: {}",
                daemon::VERSION,
                std::process::id(),
                daemon::Paths::new(ctx.repo()).log().display()
            );
            daemon::run(ctx)?;
        }
        DaemonCommand::Start {} => {
            let started = daemon::start(ctx.repo())?;
            let status = daemon::status(ctx.repo());
            output::report(ctx, &StartReport { started, status });
        }
        DaemonCommand::Stop {} => {
            let stopped = daemon::stop(ctx.repo())?;
            output::report(
                ctx,
                &StopReport {
                    stopped: stopped.is_some(),
                    pid: stopped,
                },
            );
        }
        DaemonCommand::Status {} => output::report(ctx, &daemon::status(ctx.repo())),
    }
    Ok(ExitCode::Success)
}

/// `daemon start`: `--json` prints the status of the daemon now running.
#[derive(Serialize)]
struct StartReport {
    #[serde(skip)]
    started: Started,
    #[serde(flatten)]
    status: Status,
}

impl Report for StartReport {
    fn text(&self) {
        match &self.started {
            Started::AlreadyRunning(pid) => say!("a daemon is already running (pid {pid})"),
            Started::Started(pid) => say!("daemon started (pid {pid})"),
            Started::Replaced { old, version, new } => {
                say!(
                    "daemon {version} (pid {old}) replaced by {} (pid {new})",
                    daemon::VERSION
                )
            }
        }
    }
}

/// `daemon stop --json`: `{"stopped": bool, "pid": int|null}`.
#[derive(Serialize)]
struct StopReport {
    stopped: bool,
    pid: Option<u32>,
}

impl Report for StopReport {
    fn text(&self) {
        match self.pid {
            Some(pid) => say!("daemon stopped (pid {pid})"),
            None => say!("no daemon is running"),
        }
    }
}

impl Report for Status {
    fn text(&self) {
        if !self.running {
            say!("daemon: not running (the hooks start it; or `git auditops daemon start`)");
            return;
        }
        say!(
            "daemon: running, pid {}, version {}",
            self.pid.unwrap_or(0),
            self.version.as_deref().unwrap_or("?")
        );
        if let Some(since) = &self.since {
            say!("since:  {since}");
        }
        if let Some(socket) = &self.socket {
            say!("socket: {}", socket.display());
        }
        if let Some(rss) = self.rss_bytes {
            say!("memory: {:.1} MiB resident", rss as f64 / (1024.0 * 1024.0));
        }
        match &self.current {
            Some(c) => say!(
                "now:    gate {} on tree {} (commit {}), {} of {}, since {}",
                c.gate.as_deref().unwrap_or("(starting)"),
                c.tree.short(),
                c.commit.short(),
                c.done + 1,
                c.gates.len(),
                c.started
            ),
            None => say!("now:    idle"),
        }
        for q in &self.queued {
            say!(
                "queued: {} on tree {} (commit {})",
                q.gates.join(", "),
                q.tree.short(),
                q.commit.short()
            );
        }
        if !self.events.is_empty() {
            say!("recent:");
            for e in &self.events {
                say!("  {} {}", e.at, e.what);
            }
        }
    }
}
