//! Carrying out one operation: one function per kind. Each is idempotent
//! given `uncertain` (an earlier attempt may have taken effect): whatever
//! carries the marker is first looked for, by listing, and adopted if found;
//! labels and closing are idempotent by nature.

use super::api;
use super::auto_close;
use super::bodies;
use super::client::{CallError, Client};
use super::pull_request;
use crate::config::Config;
use crate::outbox::payload::{self, CloseReason, Payload};
use crate::outbox::records::OutboxOp;
use crate::outbox::{Detail, OpId, OpState};
use crate::time::Timestamp;
use std::collections::HashMap;

/// What an operation did on GitHub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Effect {
    /// The issue or pull request.
    pub number: Option<u64>,
    /// Its page (or the comment's).
    pub url: Option<String>,
    /// How the operation is done.
    pub detail: Detail,
    /// Something worth telling that did not stop the operation.
    pub note: Option<String>,
}

impl Effect {
    /// An effect on issue or pull request `number`.
    pub fn new(number: u64, url: Option<String>, detail: Detail) -> Self {
        Effect {
            number: Some(number),
            url,
            detail,
            note: None,
        }
    }
}

/// Why an operation did not complete.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The API call failed; the executor decides what follows.
    Call(CallError),
    /// The payload cannot be carried out (malformed, a target that will never
    /// exist, a branch that is gone): recorded as a permanent failure.
    Invalid(String),
    /// Not yet: it waits on time (an auto-close review period) or on something
    /// only a person can do.
    Waiting(String),
    /// Not yet: it waits on another operation (`issue_op`) of the outbox.
    Deferred(String),
    /// A local problem that ends the run (the store, a template, git).
    Fatal(crate::Error),
}

impl From<CallError> for Failure {
    fn from(err: CallError) -> Self {
        Failure::Call(err)
    }
}

impl From<crate::render::RenderError> for Failure {
    fn from(err: crate::render::RenderError) -> Self {
        Failure::Fatal(err.into())
    }
}

/// What the executor lends an operation.
pub(crate) struct Env<'a> {
    /// The repository (branches to push, templates in its work tree).
    pub repo: &'a gix::Repository,
    /// The configuration.
    pub config: &'a Config,
    /// Every operation's state, to resolve `issue_op` targets.
    pub states: &'a HashMap<OpId, OpState>,
}

impl Env<'_> {
    /// The work tree, where template overrides live.
    pub fn workdir(&self) -> Option<&std::path::Path> {
        self.repo.workdir()
    }

    /// The issue number a target names, once it exists.
    pub fn resolve(&self, target: &payload::Target) -> Result<u64, Failure> {
        let op_id = match (target.issue, &target.issue_op) {
            (Some(number), _) => return Ok(number),
            (None, Some(op_id)) => op_id,
            (None, None) => {
                return Err(Failure::Invalid(
                    payload::PayloadError::NoTarget.to_string(),
                ));
            }
        };
        match self.states.get(op_id) {
            Some(OpState::Done {
                number: Some(n), ..
            }) => Ok(*n),
            Some(state) if state.is_open() => Err(Failure::Deferred(format!(
                "waits for op {op_id} to create its issue"
            ))),
            Some(_) => Err(Failure::Invalid(format!(
                "the issue of op {op_id} was never created"
            ))),
            None => Err(Failure::Invalid(format!(
                "op {op_id} (the target issue) is not in the outbox"
            ))),
        }
    }
}

/// What to do with an operation.
#[derive(Debug, Clone)]
pub(crate) enum Job {
    /// Carry it out.
    Perform,
    /// Its auto-close proposal is up on `number` since `since`: close, or not yet.
    FollowUp {
        /// The issue.
        number: u64,
        /// When the proposal was posted.
        since: Timestamp,
    },
}

/// How far back to list when looking for an operation's effect: its creation
/// time less a day of clock skew.
pub(crate) fn since(op: &OutboxOp) -> String {
    let created = op.created_at.instant();
    created
        .checked_sub(jiff::SignedDuration::from_hours(24))
        .unwrap_or(created)
        .to_string()
}

/// Carries out `job` for `op` on `repo`.
pub(crate) async fn run(
    client: &mut Client,
    env: &Env<'_>,
    op: &OutboxOp,
    repo: &str,
    uncertain: bool,
    job: &Job,
) -> Result<Effect, Failure> {
    if let Job::FollowUp { number, since } = job {
        return auto_close::follow_up(client, env, repo, *number, *since).await;
    }
    let payload = op
        .payload()
        .map_err(|err| Failure::Invalid(crate::error::chain(&err)))?;
    match payload {
        Payload::Issue(p) => create_issue(client, env, op, repo, &p, uncertain).await,
        Payload::Comment(p) => {
            let number = env.resolve(&p.target)?;
            let body = bodies::with_marker(&p.body, &op.op_id);
            let (id, url) = comment_once(client, op, repo, number, &body, uncertain).await?;
            Ok(Effect {
                number: Some(number),
                url: Some(url),
                detail: match id.adopted {
                    true => Detail::Adopted,
                    false => Detail::Created,
                },
                note: None,
            })
        }
        Payload::AddLabels(p) => {
            let number = env.resolve(&p.target)?;
            api::add_labels(client, repo, number, &p.labels).await?;
            Ok(Effect::new(number, None, Detail::Created))
        }
        Payload::RemoveLabel(p) => {
            let number = env.resolve(&p.target)?;
            api::remove_label(client, repo, number, &p.label).await?;
            Ok(Effect::new(number, None, Detail::Created))
        }
        Payload::Close(p) => {
            let number = env.resolve(&p.target)?;
            if let Some(text) = &p.comment {
                let body = bodies::with_marker(text, &op.op_id);
                comment_once(client, op, repo, number, &body, uncertain).await?;
            }
            let reason = p.reason.unwrap_or(CloseReason::Completed);
            let issue = api::close_issue(client, repo, number, reason).await?;
            Ok(Effect::new(
                number,
                Some(issue.html_url.to_string()),
                Detail::Closed,
            ))
        }
        Payload::Reopen(p) => {
            let number = env.resolve(&p.target)?;
            let issue = api::reopen_issue(client, repo, number).await?;
            if let Some(text) = &p.comment {
                let body = bodies::with_marker(text, &op.op_id);
                comment_once(client, op, repo, number, &body, uncertain).await?;
            }
            Ok(Effect::new(
                number,
                Some(issue.html_url.to_string()),
                Detail::Reopened,
            ))
        }
        Payload::AutoClose(p) => {
            let number = env.resolve(&p.target)?;
            auto_close::propose(client, env, op, repo, number, &p.reason, uncertain).await
        }
        Payload::PullRequest(p) => pull_request::open(client, env, op, repo, &p, uncertain).await,
        Payload::Webhook(p) => super::webhook::post(env, op, &p, uncertain).await,
    }
}

async fn create_issue(
    client: &mut Client,
    env: &Env<'_>,
    op: &OutboxOp,
    repo: &str,
    p: &payload::IssuePayload,
    uncertain: bool,
) -> Result<Effect, Failure> {
    if uncertain {
        let found = api::find_issue(client, repo, &since(op), |issue| {
            bodies::has_marker(issue.body.as_deref(), &op.op_id)
        })
        .await?;
        if let Some(issue) = found {
            return Ok(Effect::new(
                issue.number,
                Some(issue.html_url.to_string()),
                Detail::Adopted,
            ));
        }
    }
    let body = bodies::issue(env.workdir(), op, p)?;
    let issue = api::create_issue(client, repo, &p.title, &body, &p.labels).await?;
    Ok(Effect::new(
        issue.number,
        Some(issue.html_url.to_string()),
        Detail::Created,
    ))
}

/// A comment made now or found from an earlier attempt.
pub(crate) struct Commented {
    /// Found from an earlier attempt rather than posted now.
    pub adopted: bool,
}

/// Posts `body` (which carries `op`'s marker) on issue `number`, unless an
/// earlier attempt did. Returns the comment's URL.
pub(crate) async fn comment_once(
    client: &mut Client,
    op: &OutboxOp,
    repo: &str,
    number: u64,
    body: &str,
    uncertain: bool,
) -> Result<(Commented, String), Failure> {
    if uncertain {
        let found = api::find_comment(client, repo, number, &since(op), |c| {
            bodies::has_marker(c.body.as_deref(), &op.op_id)
        })
        .await?;
        if let Some(comment) = found {
            return Ok((Commented { adopted: true }, comment.html_url.to_string()));
        }
    }
    let comment = api::comment(client, repo, number, body).await?;
    Ok((Commented { adopted: false }, comment.html_url.to_string()))
}
