//! `status`: one screen on the state, the phases, the review queue, the outbox
//! and the hooks.

use super::context::Context;
use super::output::{self, Report, say};
use crate::error::{ExitCode, Result};
use crate::status::Summary;

pub fn run(ctx: &Context) -> Result<ExitCode> {
    output::report(ctx, &crate::status::summary(ctx)?);
    Ok(ExitCode::Success)
}

impl Report for Summary {
    fn text(&self) {
        let state = &self.state;
        match &state.tip {
            Some(tip) => say!("state:    {} at {}", state.ref_name, tip.short()),
            None => say!(
                "state:    {} does not exist yet (git auditops init)",
                state.ref_name
            ),
        }
        if let Some(lock) = &state.lock {
            match &lock.holder {
                Some(h) => say!(
                    "lock:     {} ({}s old), held by pid {}",
                    lock.path.display(),
                    lock.age_secs,
                    h.pid
                ),
                None => say!(
                    "lock:     {} ({}s old), left by a process that died; the next write removes it",
                    lock.path.display(),
                    lock.age_secs
                ),
            }
        }
        let phases = &self.phases;
        match (&phases.active, phases.configured) {
            (_, 0) => say!("phases:   none configured"),
            (Some(active), n) => say!(
                "phases:   {} of {n} complete; active: {} ({})",
                phases.complete,
                active.id,
                active.name
            ),
            (None, n) => say!("phases:   all {n} complete"),
        }
        say!(
            "queue:    {} pending, health {}",
            self.queue.pending,
            self.queue.health.name()
        );
        let counts: Vec<String> = self
            .outbox
            .iter()
            .map(|(state, n)| format!("{n} {state}"))
            .collect();
        match counts.is_empty() {
            true => say!("outbox:   empty"),
            false => say!("outbox:   {}", counts.join(", ")),
        }
        if !self.findings.is_empty() {
            let total: u64 = self.findings.values().sum();
            let tools: Vec<String> = self
                .findings
                .iter()
                .map(|(tool, n)| format!("{tool} {n}"))
                .collect();
            say!("findings: {total} open ({})", tools.join(", "));
        }
        for alert in &self.learning.alerts {
            say!("alert:    {}", alert.message);
        }
        if self.learning.pending_proposals > 0 {
            say!(
                "rules:    {} failure signature(s) to decide (git auditops rules propose)",
                self.learning.pending_proposals
            );
        }
        for hook in &self.hooks {
            say!("hook:     {} {}", hook.hook, hook.state);
        }
        let daemon = &self.daemon;
        match (daemon.running, &daemon.current) {
            (false, _) => say!("daemon:   not running"),
            (true, None) => say!(
                "daemon:   running (pid {}), idle, {} run(s) queued",
                daemon.pid.unwrap_or(0),
                daemon.queued.len()
            ),
            (true, Some(c)) => say!(
                "daemon:   running (pid {}), gate {} on tree {}, {} run(s) queued",
                daemon.pid.unwrap_or(0),
                c.gate.as_deref().unwrap_or("(starting)"),
                c.tree.short(),
                daemon.queued.len()
            ),
        }
        match &self.signing_key {
            Some(key) => say!("key:      {}", key.path.display()),
            None => say!("key:      none found (git auditops key generate)"),
        }
        say!("trust:    {}", self.trust);
        if self.worktrees_swept > 0 {
            say!(
                "swept {} worktree(s) left by a process that died",
                self.worktrees_swept
            );
        }
    }
}
