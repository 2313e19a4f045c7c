//! The daemon: running this binary's version and answering, or not needed.
//!
//! A daemon that holds its lock but does not answer, or one left running by an
//! older binary, is what makes gates silently stop running after commits; both
//! are named here with the command that fixes them.

use super::{Check, CheckName};
use crate::config::{DaemonConfig, DaemonGates, DaemonSync};
use crate::daemon::{self, Paths};
use crate::workspace::Workspace;

/// The version a daemon started by this binary reports.
const OURS: &str = env!("CARGO_PKG_VERSION");

pub(super) fn daemon(ws: &Workspace) -> Check {
    let name = CheckName::Daemon;
    let config = ws
        .config()
        .map(|c| c.daemon.clone())
        .unwrap_or_else(|_| DaemonConfig::default());
    let status = daemon::status(ws.repo());
    if status.running {
        let pid = status.pid.map_or_else(|| "?".to_owned(), |p| p.to_string());
        let version = status.version.as_deref().unwrap_or("unknown");
        if version != OURS {
            return Check::problem(
                name,
                format!("running (pid {pid}) from version {version}, not this binary's {OURS}"),
                Some("git auditops daemon stop && git auditops daemon start".to_owned()),
            );
        }
        let work = match &status.current {
            Some(current) => format!(", running gates on tree {}", current.tree.short()),
            None => String::new(),
        };
        return Check::ok(name, format!("running (pid {pid}, version {OURS}){work}"));
    }
    if let Some(pid) = daemon::lock_holder(&Paths::new(ws.repo())) {
        return Check::problem(
            name,
            format!("process {pid} holds the daemon's lock but does not answer on its socket"),
            Some(format!("kill {pid} && git auditops daemon start")),
        );
    }
    if config.gates == DaemonGates::Off && config.sync == DaemonSync::Off {
        return Check::ok(
            name,
            "not running; off ([daemon] gates and sync are \"off\")",
        );
    }
    if config.autostart {
        return Check::ok(
            name,
            "not running; the next commit starts it ([daemon] autostart = true)",
        );
    }
    Check::problem(
        name,
        "not running, and [daemon] autostart = false: gates do not run after commits",
        Some("git auditops daemon start".to_owned()),
    )
}
