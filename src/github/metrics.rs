//! The Prometheus textfile `.git/auditops/metrics/github.prom` (for
//! node_exporter's textfile collector): the API quota and the number of pending
//! operations as gauges, and the sync counters, which persist across runs in
//! `.git/auditops/github/counters.json`. Written atomically after every run.

use super::error::GithubError;
use super::files::{self, Dirs};
use super::quota::Quota;
use super::report::OpResult;
use crate::outbox::named_enum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// What persists between runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Counters {
    /// Runs by result (`ok`, `permission`, `unavailable`, `error`).
    pub runs: BTreeMap<String, u64>,
    /// Operations by outcome (`done`, `adopted`, `failed`, …).
    pub operations: BTreeMap<String, u64>,
    pub api_requests: u64,
    /// The last quota GitHub reported.
    pub quota: Option<Quota>,
    pub last_run_unix: i64,
}

named_enum! {
    /// How a sync run ended, as the metrics count runs.
    pub enum RunResult {
        /// Everything that could run did.
        Ok = "ok",
        /// Some operations were refused for lack of permission.
        Permission = "permission",
        /// GitHub was unavailable; the run stopped early.
        Unavailable = "unavailable",
        /// A local problem ended the run.
        Error = "error",
    }
}

/// What one run adds.
#[derive(Debug, Clone)]
pub struct RunMetrics {
    /// How the run ended.
    pub result: RunResult,
    /// Operations by what became of them.
    pub operations: BTreeMap<OpResult, u64>,
    /// Requests sent.
    pub api_requests: u64,
    /// The quota as last reported.
    pub quota: Quota,
    /// Operations still open.
    pub pending: usize,
    /// Whether the circuit breaker is open.
    pub circuit_open: bool,
}

/// Adds `run` to the counters and rewrites the textfile.
pub fn record(dirs: &Dirs, run: &RunMetrics) -> Result<(), GithubError> {
    let counters_path = dirs.github().join("counters.json");
    let mut counters: Counters = files::read_json(&counters_path).unwrap_or_default();
    *counters.runs.entry(run.result.to_string()).or_default() += 1;
    for (outcome, n) in &run.operations {
        *counters.operations.entry(outcome.to_string()).or_default() += n;
    }
    counters.api_requests += run.api_requests;
    if run.quota.remaining.is_some() {
        counters.quota = Some(run.quota);
    }
    counters.last_run_unix = jiff::Timestamp::now().as_second();
    files::write_json(&counters_path, &counters)?;
    let text = render(&counters, run.pending, run.circuit_open);
    files::write_atomic(&dirs.metrics().join("github.prom"), text.as_bytes())
}

fn render(counters: &Counters, pending: usize, circuit_open: bool) -> String {
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, value: String| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
        );
    };
    if let Some(quota) = &counters.quota {
        if let Some(remaining) = quota.remaining {
            gauge(
                "github_api_quota_remaining",
                "GitHub API requests left in the current rate-limit window, as last reported.",
                remaining.to_string(),
            );
        }
        if let Some(limit) = quota.limit {
            gauge(
                "github_api_quota_limit",
                "GitHub API requests allowed per rate-limit window.",
                limit.to_string(),
            );
        }
        if let Some(reset) = quota.reset {
            gauge(
                "github_api_quota_reset_timestamp_seconds",
                "When the GitHub API rate-limit window resets (Unix time).",
                reset.to_string(),
            );
        }
    }
    gauge(
        "auditops_outbox_pending_operations",
        "Outbox operations still to be carried out.",
        pending.to_string(),
    );
    gauge(
        "auditops_github_circuit_open",
        "1 while the circuit breaker keeps the executor away from GitHub.",
        u8::from(circuit_open).to_string(),
    );
    gauge(
        "auditops_sync_last_run_timestamp_seconds",
        "When the last sync ended (Unix time).",
        counters.last_run_unix.to_string(),
    );
    let mut counter = |name: &str, help: &str, label: &str, values: &BTreeMap<String, u64>| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for (key, value) in values {
            let _ = writeln!(out, "{name}{{{label}=\"{key}\"}} {value}");
        }
    };
    counter(
        "auditops_sync_runs_total",
        "Sync runs, by how they ended.",
        "result",
        &counters.runs,
    );
    counter(
        "auditops_sync_operations_total",
        "Outbox operations handled by sync, by outcome.",
        "outcome",
        &counters.operations,
    );
    let _ = writeln!(
        out,
        "# HELP auditops_github_api_requests_total GitHub API requests sent.\n# TYPE auditops_github_api_requests_total counter\nauditops_github_api_requests_total {}",
        counters.api_requests
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_accumulate_and_the_file_is_complete() {
        let repo_dir = tempfile::tempdir().unwrap();
        let repo = gix::init(repo_dir.path()).unwrap();
        let dirs = Dirs::new(&repo);
        let mut run = RunMetrics {
            result: RunResult::Ok,
            operations: BTreeMap::new(),
            circuit_open: false,
            api_requests: 3,
            pending: 2,
            quota: Quota {
                remaining: Some(4990),
                limit: Some(5000),
                reset: Some(1_767_225_600),
                used: Some(10),
            },
        };
        run.operations.insert(OpResult::Created, 2);
        record(&dirs, &run).unwrap();
        run.quota = Quota::default();
        record(&dirs, &run).unwrap();
        let text = std::fs::read_to_string(dirs.metrics().join("github.prom")).unwrap();
        assert!(text.contains("github_api_quota_remaining 4990\n"), "{text}");
        assert!(
            text.contains("auditops_outbox_pending_operations 2\n"),
            "{text}"
        );
        assert!(
            text.contains("auditops_sync_runs_total{result=\"ok\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("auditops_sync_operations_total{outcome=\"created\"} 4\n"),
            "{text}"
        );
        assert!(
            text.contains("auditops_github_api_requests_total 6\n"),
            "{text}"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dirs.metrics())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["github.prom"]);
    }
}
