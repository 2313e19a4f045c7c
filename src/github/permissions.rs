//! The permission check that comes before any write: what each operation
//! needs on its repository, what the token has there (the repository's
//! `permissions`), and the local report written for the operations that could
//! not run (`.git/auditops/reports/sync-<UTC time>.json`; exit 5).

use super::client::CallError;
use super::error::GithubError;
use super::files::{self, Dirs};
use crate::outbox::{OpId, OpKind, OutboxOp, named_enum};
use octocrab::models::{Permissions, Repository};
use serde::Serialize;
use std::path::PathBuf;

named_enum! {
    /// GitHub's repository roles, weakest first.
    pub enum Level {
        /// Read: open issues, comment.
        Pull = "pull",
        /// Label, close.
        Triage = "triage",
        /// Push branches, open pull requests.
        Push = "push",
    }
}

/// What `op` needs on its repository.
pub(crate) fn needed(op: &OutboxOp) -> Level {
    match op.kind {
        OpKind::CreateIssue => {
            let labelled = op.payload().is_ok_and(|p| !p.labels().is_empty());
            if labelled { Level::Triage } else { Level::Pull }
        }
        // A webhook needs nothing on the repository; pull is the least level.
        OpKind::Comment | OpKind::PostWebhook => Level::Pull,
        OpKind::AddLabels
        | OpKind::RemoveLabel
        | OpKind::CloseIssue
        | OpKind::ProposeAutoClose
        | OpKind::ReopenIssue => Level::Triage,
        OpKind::CreatePullRequest => Level::Push,
    }
}

/// The strongest role `permissions` grants.
pub(crate) fn granted(permissions: &Permissions) -> Option<Level> {
    if permissions.admin || permissions.maintain || permissions.push {
        Some(Level::Push)
    } else if permissions.triage {
        Some(Level::Triage)
    } else if permissions.pull {
        Some(Level::Pull)
    } else {
        None
    }
}

/// What the token may do on one repository.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Access {
    /// `owner/name`.
    pub repo: String,
    /// `None` when the repository could not be read (no access, bad token).
    pub level: Option<Level>,
    /// Why there is no access, when there is none.
    pub problem: Option<String>,
}

impl Access {
    /// What GitHub's answer to reading `repo` says the token may do there.
    /// Answers that say nothing about access (unreachable, rate-limited, a
    /// server error) are handed back: the caller decides whether to retry.
    pub(crate) fn from_answer(
        repo: &str,
        answer: Result<Repository, CallError>,
    ) -> Result<Access, CallError> {
        let problem = match answer {
            Ok(found) => match found.permissions.as_ref() {
                Some(p) => {
                    return Ok(Access {
                        repo: repo.to_owned(),
                        level: granted(p),
                        problem: None,
                    });
                }
                None => format!(
                    "GitHub did not say what the token may do on {repo} (is the token valid?)"
                ),
            },
            Err(CallError::NotFound { .. }) => format!(
                "no access to {repo}: GitHub answers 404 (the repository does not exist, or the token cannot see it)"
            ),
            Err(CallError::Forbidden { status, message }) => {
                format!("the token was refused on {repo} ({status}: {message})")
            }
            Err(err) => return Err(err),
        };
        Ok(Access {
            repo: repo.to_owned(),
            level: None,
            problem: Some(problem),
        })
    }

    /// Why `op` cannot run here, if it cannot.
    pub(crate) fn refuses(&self, op: &OutboxOp) -> Option<String> {
        let need = needed(op);
        match (self.level, &self.problem) {
            (Some(level), _) if level >= need => None,
            (Some(level), _) => Some(format!(
                "needs `{}` permission on {}; the token has `{}`",
                need.as_str(),
                self.repo,
                level.as_str()
            )),
            (None, Some(problem)) => Some(problem.clone()),
            (None, None) => Some(format!(
                "needs `{}` permission on {}; the token has none",
                need.as_str(),
                self.repo
            )),
        }
    }
}

/// One operation that could not run for lack of permission.
#[derive(Debug, Clone, Serialize)]
pub struct Refusal {
    /// The operation.
    pub op_id: OpId,
    /// What it asks GitHub to do.
    pub kind: OpKind,
    /// Where.
    pub repo: String,
    /// The role it needs.
    pub needs: Level,
    /// Why it cannot run.
    pub reason: String,
}

#[derive(Serialize)]
struct Report<'a> {
    generated_at: crate::time::Timestamp,
    tool_version: &'static str,
    run_id: &'a str,
    api_url: &'a str,
    summary: String,
    access: &'a [Access],
    operations: &'a [Refusal],
}

/// Writes the report; returns its path.
pub(crate) fn write_report(
    dirs: &Dirs,
    api_url: &str,
    run_id: &str,
    access: &[Access],
    refusals: &[Refusal],
) -> Result<PathBuf, GithubError> {
    let now = jiff::Timestamp::now();
    let mut path = dirs
        .reports()
        .join(format!("sync-{}.json", files::file_stamp(now)));
    // Two runs within a second keep both reports.
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = dirs
            .reports()
            .join(format!("sync-{}-{n}.json", files::file_stamp(now)));
    }
    let report = Report {
        generated_at: crate::time::Timestamp::now(),
        tool_version: env!("CARGO_PKG_VERSION"),
        run_id,
        api_url,
        summary: format!(
            "{} operation(s) could not run for lack of permission and stay queued; grant the permission (or fix the token) and run `git auditops sync` again",
            refusals.len()
        ),
        access,
        operations: refusals,
    };
    files::write_json(&path, &report)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::OpRequest;

    fn op(kind: OpKind, payload: serde_json::Value) -> OutboxOp {
        OutboxOp::new(
            &OpRequest {
                kind,
                dedupe_key: "k".into(),
                repo: None,
                payload,
            },
            "2026-01-01T00:00:00Z".parse().unwrap(),
        )
    }

    #[test]
    fn needs_and_refusals() {
        let plain = op(
            OpKind::CreateIssue,
            serde_json::json!({"title": "t", "body": ""}),
        );
        let labelled = op(
            OpKind::CreateIssue,
            serde_json::json!({"title": "t", "body": "", "labels": ["bug"]}),
        );
        let pr = op(OpKind::CreatePullRequest, serde_json::json!({}));
        assert_eq!(needed(&plain), Level::Pull);
        assert_eq!(needed(&labelled), Level::Triage);
        assert_eq!(needed(&pr), Level::Push);
        let reader = Access {
            repo: "o/r".into(),
            level: Some(Level::Pull),
            problem: None,
        };
        assert!(reader.refuses(&plain).is_none());
        let why = reader.refuses(&labelled).unwrap();
        assert!(
            why.contains("needs `triage`") && why.contains("has `pull`"),
            "{why}"
        );
        let none = Access {
            repo: "o/r".into(),
            level: None,
            problem: Some("no access to o/r (404)".into()),
        };
        assert_eq!(none.refuses(&plain).unwrap(), "no access to o/r (404)");
    }
}
