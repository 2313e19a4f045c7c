//! The entry point of `git auditops sync`: takes the sync lock, runs the
//! executor on a single-threaded tokio runtime, writes the permission report
//! and the metrics, and hands back the run's report.

use super::error::GithubError;
use super::executor::Executor;
use super::metrics::{self, RunMetrics, RunResult};
use super::permissions;
use super::report::SyncReport;
use crate::error::Result;
use crate::workspace::Workspace;
use std::time::Duration;

/// How to run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Plan only: no write request, nothing recorded.
    pub dry_run: bool,
}

/// Runs one sync. `Ok` carries the report even when GitHub refused or was
/// unavailable ([`SyncReport::error`] says which exit code follows); `Err` is a
/// local problem (configuration, key, store, no token).
pub fn run(ws: &Workspace, options: Options) -> Result<SyncReport> {
    let repo = ws.repo();
    let config = ws.config()?;
    let dirs = super::files::Dirs::new(repo);
    let _lock = match options.dry_run {
        true => None,
        false => Some(
            crate::lock::acquire(repo, &[crate::lock::Subsystem::Outbox], Duration::ZERO)
                .map_err(GithubError::Busy)?,
        ),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(GithubError::Runtime)?;
    let mut executor = Executor::new(ws, options.dry_run)?;
    let outcome = runtime.block_on(executor.run());

    let mut report = executor.report.clone();
    report.pending = executor.open_count();
    if let Some(client) = &executor.client {
        report.quota = client.quota;
        report.requests = client.requests;
    }
    if !report.refused.is_empty() && !options.dry_run {
        let access: Vec<permissions::Access> = report
            .refused
            .iter()
            .map(|r| r.repo.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|repo| permissions::Access {
                problem: report
                    .refused
                    .iter()
                    .find(|r| r.repo == repo)
                    .map(|r| r.reason.clone()),
                repo,
                level: None,
            })
            .collect();
        report.permission_report = Some(permissions::write_report(
            &dirs,
            config.github.api_url(),
            &report.run_id,
            &access,
            &report.refused,
        )?);
    }
    if !options.dry_run {
        let result = match (&outcome, report.error()) {
            (Err(_), _) => RunResult::Error,
            (Ok(()), Some(GithubError::Unavailable { .. })) => RunResult::Unavailable,
            (Ok(()), Some(_)) => RunResult::Permission,
            (Ok(()), None) => RunResult::Ok,
        };
        let run = RunMetrics {
            result,
            operations: executor.counts.clone(),
            api_requests: report.requests,
            quota: report.quota,
            pending: report.pending,
            circuit_open: executor
                .client
                .as_ref()
                .is_some_and(|c| c.breaker.is_open()),
        };
        if let Err(err) = metrics::record(&executor.dirs, &run) {
            tracing::warn!("cannot write the metrics: {err}");
        }
    }
    outcome.map(|()| report)
}
