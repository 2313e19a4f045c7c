//! The GitHub REST and GraphQL calls the executor makes, typed with
//! octocrab's models. Listing (never search, which lags behind writes) is how
//! an earlier effect is found by its marker.

use super::client::{CallError, Client};
use http::Method;
use octocrab::models::issues::{Comment, Issue};
use octocrab::models::pulls::PullRequest;
use octocrab::models::{Label, Repository};
use serde_json::json;

/// Pages of 100 read when looking for a marker: recent items come first, and
/// an effect is never older than the operation that made it.
pub const MAX_PAGES: u32 = 10;

/// Percent-encodes one path segment or query value.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn repo_path(client: &Client, repo: &str, rest: &str) -> String {
    client.rest(&format!("/repos/{repo}{rest}"))
}

pub async fn repository(client: &mut Client, repo: &str) -> Result<Repository, CallError> {
    let path = repo_path(client, repo, "");
    client.get(&path).await
}

pub async fn create_issue(
    client: &mut Client,
    repo: &str,
    title: &str,
    body: &str,
    labels: &[String],
) -> Result<Issue, CallError> {
    let path = repo_path(client, repo, "/issues");
    let payload = json!({ "title": title, "body": body, "labels": labels });
    client
        .send(Method::POST, &path, Some(&payload))
        .await?
        .json()
}

pub async fn issue(client: &mut Client, repo: &str, number: u64) -> Result<Issue, CallError> {
    let path = repo_path(client, repo, &format!("/issues/{number}"));
    client.get(&path).await
}

/// Issues (and pull requests) updated since `since`, newest first, until
/// `found` accepts one or the pages run out.
pub async fn find_issue(
    client: &mut Client,
    repo: &str,
    since: &str,
    found: impl Fn(&Issue) -> bool,
) -> Result<Option<Issue>, CallError> {
    for page in 1..=MAX_PAGES {
        let path = repo_path(
            client,
            repo,
            &format!(
                "/issues?state=all&sort=created&direction=desc&per_page=100&page={page}&since={}",
                encode(since)
            ),
        );
        let issues: Vec<Issue> = client.get(&path).await?;
        if let Some(hit) = issues.iter().find(|i| found(i)) {
            return Ok(Some(hit.clone()));
        }
        if issues.len() < 100 {
            break;
        }
    }
    Ok(None)
}

pub async fn comment(
    client: &mut Client,
    repo: &str,
    number: u64,
    body: &str,
) -> Result<Comment, CallError> {
    let path = repo_path(client, repo, &format!("/issues/{number}/comments"));
    client
        .send(Method::POST, &path, Some(&json!({ "body": body })))
        .await?
        .json()
}

/// The first comment on issue `number` since `since` that `found` accepts.
pub async fn find_comment(
    client: &mut Client,
    repo: &str,
    number: u64,
    since: &str,
    found: impl Fn(&Comment) -> bool,
) -> Result<Option<Comment>, CallError> {
    for page in 1..=MAX_PAGES {
        let path = repo_path(
            client,
            repo,
            &format!(
                "/issues/{number}/comments?per_page=100&page={page}&since={}",
                encode(since)
            ),
        );
        let comments: Vec<Comment> = client.get(&path).await?;
        if let Some(hit) = comments.iter().find(|c| found(c)) {
            return Ok(Some(hit.clone()));
        }
        if comments.len() < 100 {
            break;
        }
    }
    Ok(None)
}

/// Adds labels (GitHub creates missing ones); adding a label twice is harmless.
pub async fn add_labels(
    client: &mut Client,
    repo: &str,
    number: u64,
    labels: &[String],
) -> Result<Vec<Label>, CallError> {
    let path = repo_path(client, repo, &format!("/issues/{number}/labels"));
    client
        .send(Method::POST, &path, Some(&json!({ "labels": labels })))
        .await?
        .json()
}

/// Removes a label; one that is not there is not an error.
pub async fn remove_label(
    client: &mut Client,
    repo: &str,
    number: u64,
    label: &str,
) -> Result<(), CallError> {
    let path = repo_path(
        client,
        repo,
        &format!("/issues/{number}/labels/{}", encode(label)),
    );
    match client.send(Method::DELETE, &path, None).await {
        Ok(_) | Err(CallError::NotFound { .. }) => Ok(()),
        Err(err) => Err(err),
    }
}

/// Closes an issue with `reason` (`completed` or `not_planned`); closing a
/// closed issue is harmless.
pub async fn close_issue(
    client: &mut Client,
    repo: &str,
    number: u64,
    reason: crate::outbox::payload::CloseReason,
) -> Result<Issue, CallError> {
    let path = repo_path(client, repo, &format!("/issues/{number}"));
    client
        .send(
            Method::PATCH,
            &path,
            Some(&json!({ "state": "closed", "state_reason": reason })),
        )
        .await?
        .json()
}

/// Reopens issue `number`.
pub async fn reopen_issue(
    client: &mut Client,
    repo: &str,
    number: u64,
) -> Result<Issue, CallError> {
    let path = repo_path(client, repo, &format!("/issues/{number}"));
    client
        .send(Method::PATCH, &path, Some(&json!({ "state": "open" })))
        .await?
        .json()
}

/// What opening a pull request gave.
pub enum Opened {
    Created(Box<PullRequest>),
    /// GitHub's 422 "A pull request already exists": find it by its head.
    AlreadyExists,
}

pub async fn create_pull(
    client: &mut Client,
    repo: &str,
    head: &str,
    base: &str,
    title: &str,
    body: &str,
) -> Result<Opened, CallError> {
    let path = repo_path(client, repo, "/pulls");
    let payload = json!({ "title": title, "head": head, "base": base, "body": body });
    match client.send(Method::POST, &path, Some(&payload)).await {
        Ok(reply) => Ok(Opened::Created(Box::new(reply.json()?))),
        Err(CallError::Rejected {
            status: 422,
            message,
        }) if message.contains("already exists") => Ok(Opened::AlreadyExists),
        Err(err) => Err(err),
    }
}

/// The pull request (open or closed) whose head is `owner:branch`.
pub async fn pull_by_head(
    client: &mut Client,
    repo: &str,
    branch: &str,
) -> Result<Option<PullRequest>, CallError> {
    let owner = repo.split('/').next().unwrap_or_default();
    let path = repo_path(
        client,
        repo,
        &format!(
            "/pulls?state=all&per_page=100&head={}",
            encode(&format!("{owner}:{branch}"))
        ),
    );
    let pulls: Vec<PullRequest> = client.get(&path).await?;
    Ok(pulls.into_iter().find(|p| p.head.ref_field == branch))
}

/// Pull request `number`, open or closed.
pub async fn pull(client: &mut Client, repo: &str, number: u64) -> Result<PullRequest, CallError> {
    let path = repo_path(client, repo, &format!("/pulls/{number}"));
    client.get(&path).await
}

/// Asks GitHub to merge the pull request once its checks pass. `Ok(Err(..))`
/// when GitHub answered but declined (auto-merge off for the repository, the
/// pull request already mergeable, …): the pull request stands either way.
pub async fn enable_auto_merge(client: &mut Client, node_id: &str) -> Result<AutoMerge, CallError> {
    let query = "mutation($id: ID!) { enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: SQUASH}) { pullRequest { number } } }";
    let payload = json!({ "query": query, "variables": { "id": node_id } });
    let path = client.graphql_path().to_owned();
    let answer: serde_json::Value = client
        .send(Method::POST, &path, Some(&payload))
        .await?
        .json()?;
    match answer["errors"].as_array() {
        Some(errors) if !errors.is_empty() => Ok(AutoMerge::Declined(
            errors
                .iter()
                .filter_map(|e| e["message"].as_str())
                .collect::<Vec<_>>()
                .join("; "),
        )),
        _ => Ok(AutoMerge::Enabled),
    }
}

/// What GitHub made of a request to auto-merge a pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutoMerge {
    /// It merges once the checks pass.
    Enabled,
    /// GitHub answered but declined, with its messages.
    Declined(String),
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_segments() {
        assert_eq!(
            super::encode("auto-close:proposed"),
            "auto-close%3Aproposed"
        );
        assert_eq!(super::encode("good first issue"), "good%20first%20issue");
        assert_eq!(
            super::encode("2026-01-01T00:00:00Z"),
            "2026-01-01T00%3A00%3A00Z"
        );
    }
}
