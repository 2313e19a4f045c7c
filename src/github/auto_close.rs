//! Conservative auto-close: `propose_auto_close` comments the reason with
//! instructions and adds `auto-close:proposed`; a later sync closes the issue
//! (as completed) once the proposal is older than `[github] auto_close_after`,
//! at once with `auto-close:confirmed`, and never with `auto-close:blocked`.
//! An issue already proposed is not proposed again.

use super::api;
use super::bodies::{self, BLOCKED, CONFIRMED, PROPOSED};
use super::client::Client;
use super::perform::{Effect, Env, Failure, comment_once};
use crate::outbox::Detail;
use crate::outbox::payload::CloseReason;
use crate::outbox::records::OutboxOp;
use crate::time::Timestamp;
use octocrab::models::IssueState;
use octocrab::models::issues::Issue;

fn labels(issue: &Issue) -> Vec<&str> {
    issue.labels.iter().map(|l| l.name.as_str()).collect()
}

fn url(issue: &Issue) -> Option<String> {
    Some(issue.html_url.to_string())
}

/// Where an issue stands for the protocol: open to it, or settled.
enum Standing {
    Open(Box<Issue>),
    /// Closed already, or `auto-close:blocked`: the operation ends here.
    Settled(Effect),
}

async fn standing(client: &mut Client, repo: &str, number: u64) -> Result<Standing, Failure> {
    let issue = api::issue(client, repo, number).await?;
    let settled = if issue.state == IssueState::Closed {
        Some(Detail::AlreadyClosed)
    } else if labels(&issue).contains(&BLOCKED) {
        Some(Detail::Blocked)
    } else {
        None
    };
    Ok(match settled {
        Some(detail) => Standing::Settled(Effect::new(number, url(&issue), detail)),
        None => Standing::Open(Box::new(issue)),
    })
}

/// Posts the proposal on issue `number`.
pub(crate) async fn propose(
    client: &mut Client,
    env: &Env<'_>,
    op: &OutboxOp,
    repo: &str,
    number: u64,
    reason: &str,
    uncertain: bool,
) -> Result<Effect, Failure> {
    let issue = match standing(client, repo, number).await? {
        Standing::Open(issue) => issue,
        Standing::Settled(effect) => return Ok(effect),
    };
    let labels = labels(&issue);
    // A proposal made by an earlier attempt of this very operation is ours:
    // finish it (the label may be missing) rather than call it someone else's.
    if labels.contains(&PROPOSED) && !uncertain {
        return Ok(Effect::new(number, url(&issue), Detail::AlreadyProposed));
    }
    let review = env.config.github.auto_close_after();
    let body = bodies::auto_close(env.workdir(), op, reason, review)?;
    comment_once(client, op, repo, number, &body, uncertain).await?;
    api::add_labels(client, repo, number, &[PROPOSED.to_owned()]).await?;
    Ok(Effect::new(number, url(&issue), Detail::Proposed))
}

/// Decides on a proposal that is up: close now, never, or not yet.
pub(crate) async fn follow_up(
    client: &mut Client,
    env: &Env<'_>,
    repo: &str,
    number: u64,
    since: Timestamp,
) -> Result<Effect, Failure> {
    let issue = match standing(client, repo, number).await? {
        Standing::Open(issue) => issue,
        Standing::Settled(effect) => return Ok(effect),
    };
    let labels = labels(&issue);
    let review = env.config.github.auto_close_after();
    let due = jiff::SignedDuration::try_from(review)
        .ok()
        .and_then(|review| since.instant().checked_add(review).ok());
    let now = jiff::Timestamp::now();
    let confirmed = labels.contains(&CONFIRMED);
    let close = confirmed || due.is_some_and(|due| now >= due);
    if !close {
        return Err(Failure::Waiting(match due {
            Some(due) => format!("the proposal on #{number} closes it after {due}"),
            None => format!(
                "the proposal on #{number} has no readable time; add `{CONFIRMED}` to close it"
            ),
        }));
    }
    let closed = api::close_issue(client, repo, number, CloseReason::Completed).await?;
    Ok(Effect::new(number, url(&closed), Detail::Closed))
}
