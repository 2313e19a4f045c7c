//! The fake's HTTP side: an axum router for the endpoints the executor uses,
//! behind one middleware that logs, authenticates, counts the rate limit down
//! and injects faults.

use super::model::{self, CommentRec, FaultKind, IssueRec, Logged, PullRec, State};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State as Extract};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

pub type Shared = Arc<Mutex<State>>;

/// Put in each request's extensions: notifying it closes the connection.
#[derive(Clone)]
pub struct KillSwitch(pub Arc<Notify>);

fn lock(state: &Shared) -> std::sync::MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(
            json!({ "message": message, "documentation_url": "https://docs.github.com/rest" }),
        ),
    )
        .into_response()
}

fn reply(status: StatusCode, value: Value) -> Response {
    (status, axum::Json(value)).into_response()
}

pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/repos/{owner}/{repo}", get(get_repo))
        .route(
            "/repos/{owner}/{repo}/issues",
            get(list_issues).post(create_issue),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}",
            get(get_issue).patch(update_issue),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/comments",
            get(list_comments).post(create_comment),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/labels",
            post(add_labels),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/labels/{name}",
            delete(remove_label),
        )
        .route(
            "/repos/{owner}/{repo}/pulls",
            get(list_pulls).post(create_pull),
        )
        .route("/repos/{owner}/{repo}/pulls/{number}", get(get_pull))
        .route("/graphql", post(graphql))
        .route("/hooks/{name}", post(webhook))
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

/// A webhook receiver: keeps each posted JSON body, and whether it came
/// with an `Authorization` header (it never should).
async fn webhook(
    Extract(state): Extract<Shared>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let authorization = headers.contains_key("authorization");
    match serde_json::from_slice::<Value>(&body) {
        Ok(value) => {
            lock(&state).webhooks.push((value, authorization));
            (StatusCode::OK, "ok").into_response()
        }
        Err(_) => error(StatusCode::BAD_REQUEST, "invalid_payload"),
    }
}

/// Logging, auth, rate limit, faults.
async fn gate(Extract(state): Extract<Shared>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let kill = request.extensions().get::<KillSwitch>().cloned();
    let authorized;
    let delay;
    let (request, body_text) = {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20)
            .await
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        (Request::from_parts(parts, Body::from(bytes)), text)
    };
    {
        let s = lock(&state);
        let expected = format!("Bearer {}", s.token);
        authorized = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            == Some(expected.as_str());
        delay = s.delay;
    }
    let mut hold = lock(&state).hold.subscribe();
    if *hold.borrow_and_update() {
        lock(&state).held += 1;
        let _ = hold.wait_for(|held| !held).await;
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let early = {
        let mut s = lock(&state);
        // Webhooks (a Slack-like receiver on the same server) take no token.
        if !authorized && !path.starts_with("/hooks/") {
            Some(error(StatusCode::UNAUTHORIZED, "Bad credentials"))
        } else if s.remaining == 0 {
            let mut r = error(
                StatusCode::FORBIDDEN,
                "API rate limit exceeded for user ID 4242.",
            );
            r.headers_mut()
                .insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
            Some(r)
        } else {
            s.remaining -= 1;
            None
        }
    };
    let fault = if early.is_none() {
        lock(&state).take_fault(&method, &path)
    } else {
        None
    };
    let response = match (early, fault) {
        (Some(r), _) => r,
        (None, Some(FaultKind::TooManyRequests { retry_after })) => {
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
            r.headers_mut()
                .insert("retry-after", HeaderValue::from(retry_after));
            r
        }
        (None, Some(FaultKind::SecondaryLimit { retry_after })) => {
            let mut r = error(
                StatusCode::FORBIDDEN,
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            );
            if let Some(secs) = retry_after {
                r.headers_mut()
                    .insert("retry-after", HeaderValue::from(secs));
            }
            r
        }
        (None, Some(FaultKind::BadGateway)) => error(StatusCode::BAD_GATEWAY, "Bad Gateway"),
        (None, Some(FaultKind::BadGatewayAfterWrite)) => {
            let _ = next.run(request).await;
            error(StatusCode::BAD_GATEWAY, "Bad Gateway")
        }
        (None, Some(FaultKind::DropAfterWrite)) => {
            let _ = next.run(request).await;
            if let Some(KillSwitch(notify)) = &kill {
                notify.notify_one();
            }
            std::future::pending::<()>().await;
            unreachable!("the connection is closed")
        }
        (None, Some(FaultKind::SlowAfterWrite(d))) => {
            let r = next.run(request).await;
            tokio::time::sleep(d).await;
            r
        }
        (None, None) => next.run(request).await,
    };
    let mut response = response;
    let mut s = lock(&state);
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(s.rate_limit));
    if !headers.contains_key("x-ratelimit-remaining") {
        headers.insert("x-ratelimit-remaining", HeaderValue::from(s.remaining));
    }
    headers.insert("x-ratelimit-reset", HeaderValue::from(s.reset));
    headers.insert(
        "x-ratelimit-used",
        HeaderValue::from(s.rate_limit - s.remaining),
    );
    headers.insert("x-ratelimit-resource", HeaderValue::from_static("core"));
    s.log.push(Logged {
        method,
        path,
        query,
        status: response.status().as_u16(),
        authorized,
        body: body_text,
    });
    response
}

type RepoPath = Path<(String, String)>;
type IssuePath = Path<(String, String, u64)>;

/// Runs `f` on a visible repository, or answers 404.
fn with_repo(
    state: &Shared,
    owner: &str,
    name: &str,
    f: impl FnOnce(&str, &mut model::RepoState, &mut u64) -> Response,
) -> Response {
    let mut s = lock(state);
    let base = s.base_url.clone();
    let mut next_id = s.id();
    let full = format!("{owner}/{name}");
    match s.repos.get_mut(&full) {
        Some(repo) if repo.visible => f(&base, repo, &mut next_id),
        _ => error(StatusCode::NOT_FOUND, "Not Found"),
    }
}

fn parse(body: &Bytes) -> Result<Value, Box<Response>> {
    serde_json::from_slice(body)
        .map_err(|_| Box::new(error(StatusCode::BAD_REQUEST, "Problems parsing JSON")))
}

fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

async fn get_repo(Extract(state): Extract<Shared>, Path((owner, name)): RepoPath) -> Response {
    with_repo(&state, &owner, &name, |base, repo, _| {
        reply(StatusCode::OK, model::repository(base, repo))
    })
}

fn can(repo: &model::RepoState, level: &str) -> bool {
    let p = repo.permissions;
    match level {
        "pull" => p.pull || p.triage || p.push || p.maintain || p.admin,
        "triage" => p.triage || p.push || p.maintain || p.admin,
        _ => p.push || p.maintain || p.admin,
    }
}

fn forbidden() -> Response {
    error(
        StatusCode::FORBIDDEN,
        "Resource not accessible by personal access token",
    )
}

async fn list_issues(
    Extract(state): Extract<Shared>,
    Path((owner, name)): RepoPath,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    with_repo(&state, &owner, &name, |base, repo, _| {
        let since = q
            .get("since")
            .and_then(|s| s.parse::<jiff::Timestamp>().ok());
        let want = q.get("state").map(String::as_str).unwrap_or("open");
        let per_page: usize = q.get("per_page").and_then(|p| p.parse().ok()).unwrap_or(30);
        let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let mut items: Vec<&IssueRec> = repo
            .issues
            .iter()
            .filter(|i| since.is_none_or(|s| i.updated_at >= s))
            .filter(|i| match want {
                "all" => true,
                "closed" => !i.open,
                _ => i.open,
            })
            .collect();
        items.sort_by_key(|i| std::cmp::Reverse(i.number));
        let page_items: Vec<Value> = items
            .iter()
            .skip((page.max(1) - 1) * per_page)
            .take(per_page)
            .map(|i| model::issue(base, repo, i))
            .collect();
        reply(StatusCode::OK, Value::Array(page_items))
    })
}

async fn create_issue(
    Extract(state): Extract<Shared>,
    Path((owner, name)): RepoPath,
    body: Bytes,
) -> Response {
    let payload = match parse(&body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    with_repo(&state, &owner, &name, |base, repo, next_id| {
        if !can(repo, "pull") {
            return forbidden();
        }
        let Some(title) = payload["title"].as_str().filter(|t| !t.is_empty()) else {
            return reply(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"message": "Validation Failed", "errors": [{"resource": "Issue", "field": "title", "code": "missing_field"}]}),
            );
        };
        // GitHub drops labels silently without triage permission.
        let labels: Vec<String> = if can(repo, "triage") {
            payload["labels"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|l| l.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        for l in &labels {
            if !repo.labels.contains_key(l) {
                *next_id += 1;
                repo.labels.insert(l.clone(), *next_id);
            }
        }
        let t = now();
        let issue = IssueRec {
            number: repo.next_number(),
            title: title.to_owned(),
            body: payload["body"].as_str().unwrap_or_default().to_owned(),
            open: true,
            state_reason: None,
            labels,
            created_at: t,
            updated_at: t,
            closed_at: None,
            is_pull: false,
        };
        let value = model::issue(base, repo, &issue);
        repo.issues.push(issue);
        reply(StatusCode::CREATED, value)
    })
}

async fn get_issue(
    Extract(state): Extract<Shared>,
    Path((owner, name, number)): IssuePath,
) -> Response {
    with_repo(&state, &owner, &name, |base, repo, _| {
        match repo.issues.iter().find(|i| i.number == number) {
            Some(i) => reply(StatusCode::OK, model::issue(base, repo, i)),
            None => error(StatusCode::NOT_FOUND, "Not Found"),
        }
    })
}

async fn update_issue(
    Extract(state): Extract<Shared>,
    Path((owner, name, number)): IssuePath,
    body: Bytes,
) -> Response {
    let payload = match parse(&body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    with_repo(&state, &owner, &name, |base, repo, _| {
        if !can(repo, "triage") {
            return forbidden();
        }
        let Some(issue) = repo.issue_mut(number) else {
            return error(StatusCode::NOT_FOUND, "Not Found");
        };
        let t = now();
        match payload["state"].as_str() {
            Some("closed") if issue.open => {
                issue.open = false;
                issue.closed_at = Some(t);
                issue.state_reason = payload["state_reason"].as_str().map(str::to_owned);
            }
            Some("open") if !issue.open => {
                issue.open = true;
                issue.closed_at = None;
                issue.state_reason = Some("reopened".into());
            }
            _ => {}
        }
        issue.updated_at = t;
        let issue = issue.clone();
        reply(StatusCode::OK, model::issue(base, repo, &issue))
    })
}

async fn list_comments(
    Extract(state): Extract<Shared>,
    Path((owner, name, number)): IssuePath,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    with_repo(&state, &owner, &name, |base, repo, _| {
        if !repo.issues.iter().any(|i| i.number == number) {
            return error(StatusCode::NOT_FOUND, "Not Found");
        }
        let since = q
            .get("since")
            .and_then(|s| s.parse::<jiff::Timestamp>().ok());
        let per_page: usize = q.get("per_page").and_then(|p| p.parse().ok()).unwrap_or(30);
        let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let items: Vec<Value> = repo
            .comments
            .iter()
            .filter(|c| c.issue == number && since.is_none_or(|s| c.created_at >= s))
            .skip((page.max(1) - 1) * per_page)
            .take(per_page)
            .map(|c| model::comment(base, repo, c))
            .collect();
        reply(StatusCode::OK, Value::Array(items))
    })
}

async fn create_comment(
    Extract(state): Extract<Shared>,
    Path((owner, name, number)): IssuePath,
    body: Bytes,
) -> Response {
    let payload = match parse(&body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    with_repo(&state, &owner, &name, |base, repo, next_id| {
        if !can(repo, "pull") {
            return forbidden();
        }
        let t = now();
        let Some(issue) = repo.issue_mut(number) else {
            return error(StatusCode::NOT_FOUND, "Not Found");
        };
        issue.updated_at = t;
        let comment = CommentRec {
            id: *next_id,
            issue: number,
            body: payload["body"].as_str().unwrap_or_default().to_owned(),
            created_at: t,
        };
        let value = model::comment(base, repo, &comment);
        repo.comments.push(comment);
        reply(StatusCode::CREATED, value)
    })
}

async fn add_labels(
    Extract(state): Extract<Shared>,
    Path((owner, name, number)): IssuePath,
    body: Bytes,
) -> Response {
    let payload = match parse(&body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    with_repo(&state, &owner, &name, |base, repo, next_id| {
        if !can(repo, "triage") {
            return forbidden();
        }
        let names: Vec<String> = payload["labels"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|l| l.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        for l in &names {
            if !repo.labels.contains_key(l) {
                *next_id += 1;
                repo.labels.insert(l.clone(), *next_id);
            }
        }
        let Some(issue) = repo.issue_mut(number) else {
            return error(StatusCode::NOT_FOUND, "Not Found");
        };
        for l in names {
            if !issue.labels.contains(&l) {
                issue.labels.push(l);
            }
        }
        issue.updated_at = now();
        let labels = issue.labels.clone();
        let values: Vec<Value> = labels.iter().map(|l| model::label(base, repo, l)).collect();
        reply(StatusCode::OK, Value::Array(values))
    })
}

async fn remove_label(
    Extract(state): Extract<Shared>,
    Path((owner, name, number, label)): Path<(String, String, u64, String)>,
) -> Response {
    with_repo(&state, &owner, &name, |base, repo, _| {
        if !can(repo, "triage") {
            return forbidden();
        }
        let Some(issue) = repo.issue_mut(number) else {
            return error(StatusCode::NOT_FOUND, "Not Found");
        };
        if !issue.labels.contains(&label) {
            return error(StatusCode::NOT_FOUND, "Label does not exist");
        }
        issue.labels.retain(|l| *l != label);
        issue.updated_at = now();
        let labels = issue.labels.clone();
        let values: Vec<Value> = labels.iter().map(|l| model::label(base, repo, l)).collect();
        reply(StatusCode::OK, Value::Array(values))
    })
}

async fn list_pulls(
    Extract(state): Extract<Shared>,
    Path((owner, name)): RepoPath,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    with_repo(&state, &owner, &name, |base, repo, _| {
        let head = q.get("head").cloned();
        let values: Vec<Value> = repo
            .pulls
            .iter()
            .filter(|p| {
                head.as_deref()
                    .is_none_or(|h| h == format!("{owner}:{}", p.head))
            })
            .filter_map(|p| {
                let i = repo.issues.iter().find(|i| i.number == p.number)?;
                Some(model::pull(base, repo, p, i))
            })
            .collect();
        reply(StatusCode::OK, Value::Array(values))
    })
}

async fn get_pull(
    Extract(state): Extract<Shared>,
    Path((owner, name, number)): IssuePath,
) -> Response {
    with_repo(&state, &owner, &name, |base, repo, _| {
        let pull = repo.pulls.iter().find(|p| p.number == number);
        match pull.zip(repo.issues.iter().find(|i| i.number == number)) {
            Some((p, i)) => reply(StatusCode::OK, model::pull(base, repo, p, i)),
            None => error(StatusCode::NOT_FOUND, "Not Found"),
        }
    })
}

async fn create_pull(
    Extract(state): Extract<Shared>,
    Path((owner, name)): RepoPath,
    body: Bytes,
) -> Response {
    let payload = match parse(&body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let branches_in = lock(&state).branches_in.clone();
    let head = payload["head"].as_str().unwrap_or_default().to_owned();
    if let Some(git_dir) = branches_in {
        let exists = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(&git_dir)
            .args(["rev-parse", "--verify", "-q", &format!("refs/heads/{head}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !exists {
            return reply(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"message": "Validation Failed", "errors": [{"resource": "PullRequest", "field": "head", "code": "invalid"}]}),
            );
        }
    }
    with_repo(&state, &owner, &name, |base, repo, next_id| {
        if !can(repo, "push") {
            return forbidden();
        }
        let open_same_head = repo
            .pulls
            .iter()
            .any(|p| p.head == head && repo.issues.iter().any(|i| i.number == p.number && i.open));
        if open_same_head {
            return reply(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "custom", "message": format!("A pull request already exists for {owner}:{head}.")}]}),
            );
        }
        let t = now();
        let number = repo.next_number();
        let issue = IssueRec {
            number,
            title: payload["title"].as_str().unwrap_or_default().to_owned(),
            body: payload["body"].as_str().unwrap_or_default().to_owned(),
            open: true,
            state_reason: None,
            labels: Vec::new(),
            created_at: t,
            updated_at: t,
            closed_at: None,
            is_pull: true,
        };
        let pull = PullRec {
            number,
            head: head.clone(),
            base: payload["base"].as_str().unwrap_or("main").to_owned(),
            node_id: format!("PR_kw{}", *next_id),
            auto_merge: false,
            merged: false,
        };
        let value = model::pull(base, repo, &pull, &issue);
        repo.issues.push(issue);
        repo.pulls.push(pull);
        reply(StatusCode::CREATED, value)
    })
}

async fn graphql(Extract(state): Extract<Shared>, body: Bytes) -> Response {
    let payload = match parse(&body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let query = payload["query"].as_str().unwrap_or_default();
    if !query.contains("enablePullRequestAutoMerge") {
        return reply(
            StatusCode::OK,
            json!({"errors": [{"message": "the fake only knows enablePullRequestAutoMerge"}]}),
        );
    }
    let id = payload["variables"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut s = lock(&state);
    for repo in s.repos.values_mut() {
        let allowed = repo.allow_auto_merge;
        if let Some(p) = repo.pulls.iter_mut().find(|p| p.node_id == id) {
            if !allowed {
                return reply(
                    StatusCode::OK,
                    json!({"data": {"enablePullRequestAutoMerge": null}, "errors": [{"message": "Pull request Auto merge is not allowed for this repository"}]}),
                );
            }
            p.auto_merge = true;
            return reply(
                StatusCode::OK,
                json!({"data": {"enablePullRequestAutoMerge": {"pullRequest": {"number": p.number}}}}),
            );
        }
    }
    reply(
        StatusCode::OK,
        json!({"data": null, "errors": [{"message": format!("Could not resolve to a node with the global id of '{id}'")}]}),
    )
}
