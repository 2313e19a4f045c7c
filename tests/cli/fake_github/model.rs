//! The fake's state (repositories, issues, comments, labels, pull requests,
//! the rate limit, injected faults, the request log) and the JSON GitHub
//! sends for each object, complete enough for octocrab's models.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// What the token may do on a repository (GitHub's `permissions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Perms {
    pub admin: bool,
    pub maintain: bool,
    pub push: bool,
    pub triage: bool,
    pub pull: bool,
}

impl Perms {
    pub const WRITE: Perms = Perms {
        admin: false,
        maintain: false,
        push: true,
        triage: true,
        pull: true,
    };
    pub const TRIAGE: Perms = Perms {
        admin: false,
        maintain: false,
        push: false,
        triage: true,
        pull: true,
    };
    pub const READ: Perms = Perms {
        admin: false,
        maintain: false,
        push: false,
        triage: false,
        pull: true,
    };
}

#[derive(Debug, Clone)]
pub struct IssueRec {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub open: bool,
    pub state_reason: Option<String>,
    pub labels: Vec<String>,
    pub created_at: jiff::Timestamp,
    pub updated_at: jiff::Timestamp,
    pub closed_at: Option<jiff::Timestamp>,
    pub is_pull: bool,
}

#[derive(Debug, Clone)]
pub struct CommentRec {
    pub id: u64,
    pub issue: u64,
    pub body: String,
    pub created_at: jiff::Timestamp,
}

#[derive(Debug, Clone)]
pub struct PullRec {
    pub number: u64,
    pub head: String,
    pub base: String,
    pub node_id: String,
    pub auto_merge: bool,
    /// Closed by a merge (see `FakeGithub::close_pull`).
    pub merged: bool,
}

#[derive(Debug, Clone)]
pub struct RepoState {
    pub id: u64,
    pub full_name: String,
    pub permissions: Perms,
    /// `false`: the token cannot see it (404 everywhere).
    pub visible: bool,
    pub allow_auto_merge: bool,
    pub issues: Vec<IssueRec>,
    pub comments: Vec<CommentRec>,
    pub pulls: Vec<PullRec>,
    pub labels: BTreeMap<String, u64>,
}

impl RepoState {
    pub fn next_number(&self) -> u64 {
        self.issues.len() as u64 + 1
    }

    pub fn issue_mut(&mut self, number: u64) -> Option<&mut IssueRec> {
        self.issues.iter_mut().find(|i| i.number == number)
    }
}

/// A fault to inject into requests that match.
#[derive(Debug, Clone)]
pub enum FaultKind {
    /// 429 with `Retry-After` (seconds); nothing is done.
    TooManyRequests { retry_after: u64 },
    /// 403 "You have exceeded a secondary rate limit"; nothing is done.
    SecondaryLimit { retry_after: Option<u64> },
    /// 502 before doing anything.
    BadGateway,
    /// Does the request, then answers 502.
    BadGatewayAfterWrite,
    /// Does the request, then closes the connection without an answer.
    DropAfterWrite,
    /// Does the request, then waits this long before answering.
    SlowAfterWrite(Duration),
}

#[derive(Debug, Clone)]
pub struct Fault {
    /// `GET`, `POST`, …; `None` for any.
    pub method: Option<&'static str>,
    /// Matches when the path ends with this (`""`: any path).
    pub path_suffix: String,
    pub kind: FaultKind,
    /// How many matching requests it affects.
    pub times: usize,
}

impl Fault {
    pub fn new(method: &'static str, path_suffix: &str, kind: FaultKind) -> Self {
        Fault {
            method: Some(method),
            path_suffix: path_suffix.to_owned(),
            kind,
            times: 1,
        }
    }

    /// Any request.
    pub fn any(kind: FaultKind) -> Self {
        Fault {
            method: None,
            path_suffix: String::new(),
            kind,
            times: 1,
        }
    }

    pub fn times(mut self, times: usize) -> Self {
        self.times = times;
        self
    }
}

/// One request the fake received.
#[derive(Debug, Clone)]
#[expect(
    dead_code,
    reason = "all but `method` are read only through Debug, in assertion messages"
)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    pub authorized: bool,
    pub body: String,
}

impl Logged {
    pub fn is_write(&self) -> bool {
        self.method != "GET"
    }
}

#[derive(Debug)]
pub struct State {
    pub base_url: String,
    pub token: String,
    pub repos: BTreeMap<String, RepoState>,
    pub rate_limit: u64,
    pub remaining: u64,
    pub reset: i64,
    pub faults: Vec<Fault>,
    /// Added to every response.
    pub delay: Duration,
    /// While `true`, every request waits (unanswered) until it turns `false`.
    pub hold: tokio::sync::watch::Sender<bool>,
    /// Requests that arrived while the fake was holding.
    pub held: usize,
    pub log: Vec<Logged>,
    /// Pull requests may only be opened from branches present in this bare repository.
    pub branches_in: Option<PathBuf>,
    /// Bodies posted to `/hooks/…`, each with whether it carried an
    /// `Authorization` header.
    pub webhooks: Vec<(serde_json::Value, bool)>,
    next_id: u64,
}

impl State {
    pub fn new(token: &str) -> Self {
        State {
            base_url: String::new(),
            token: token.to_owned(),
            repos: BTreeMap::new(),
            rate_limit: 5000,
            remaining: 5000,
            reset: jiff::Timestamp::now().as_second() + 3600,
            faults: Vec::new(),
            delay: Duration::ZERO,
            hold: tokio::sync::watch::Sender::new(false),
            held: 0,
            log: Vec::new(),
            branches_in: None,
            webhooks: Vec::new(),
            next_id: 1000,
        }
    }

    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn add_repo(&mut self, full_name: &str, permissions: Perms) {
        let id = self.id();
        self.repos.insert(
            full_name.to_owned(),
            RepoState {
                id,
                full_name: full_name.to_owned(),
                permissions,
                visible: true,
                allow_auto_merge: true,
                issues: Vec::new(),
                comments: Vec::new(),
                pulls: Vec::new(),
                labels: BTreeMap::new(),
            },
        );
    }

    /// Takes the first fault matching this request, if any.
    pub fn take_fault(&mut self, method: &str, path: &str) -> Option<FaultKind> {
        let index = self.faults.iter().position(|f| {
            f.times > 0 && f.method.is_none_or(|m| m == method) && path.ends_with(&f.path_suffix)
        })?;
        let fault = &mut self.faults[index];
        fault.times -= 1;
        let kind = fault.kind.clone();
        if fault.times == 0 {
            self.faults.remove(index);
        }
        Some(kind)
    }
}

fn time(t: jiff::Timestamp) -> String {
    t.round(jiff::Unit::Second).unwrap_or(t).to_string()
}

pub fn user(base: &str) -> Value {
    let api = format!("{base}/users/auditops-bot");
    json!({
        "login": "auditops-bot",
        "id": 4242,
        "node_id": "U_kgDOAAAQkg",
        "avatar_url": "https://avatars.example.com/u/4242?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": "https://github.example.com/auditops-bot",
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": "User",
        "site_admin": false
    })
}

pub fn label(base: &str, repo: &RepoState, name: &str) -> Value {
    let id = repo.labels.get(name).copied().unwrap_or(1);
    json!({
        "id": id,
        "node_id": format!("LA_{id}"),
        "url": format!("{base}/repos/{}/labels/{}", repo.full_name, name.replace(' ', "%20")),
        "name": name,
        "description": null,
        "color": "ededed",
        "default": false
    })
}

pub fn html(repo: &RepoState, what: &str, number: u64) -> String {
    format!(
        "https://github.example.com/{}/{what}/{number}",
        repo.full_name
    )
}

pub fn issue(base: &str, repo: &RepoState, i: &IssueRec) -> Value {
    let api = format!("{base}/repos/{}/issues/{}", repo.full_name, i.number);
    let comments = repo.comments.iter().filter(|c| c.issue == i.number).count();
    let mut value = json!({
        "id": 10_000 + i.number,
        "node_id": format!("I_{}_{}", repo.id, i.number),
        "url": api,
        "repository_url": format!("{base}/repos/{}", repo.full_name),
        "labels_url": format!("{api}/labels{{/name}}"),
        "comments_url": format!("{api}/comments"),
        "events_url": format!("{api}/events"),
        "html_url": html(repo, if i.is_pull { "pull" } else { "issues" }, i.number),
        "number": i.number,
        "state": if i.open { "open" } else { "closed" },
        "state_reason": i.state_reason,
        "title": i.title,
        "body": i.body,
        "user": user(base),
        "labels": i.labels.iter().map(|l| label(base, repo, l)).collect::<Vec<_>>(),
        "assignee": null,
        "assignees": [],
        "milestone": null,
        "locked": false,
        "active_lock_reason": null,
        "comments": comments,
        "closed_at": i.closed_at.map(time),
        "created_at": time(i.created_at),
        "updated_at": time(i.updated_at),
        "author_association": "OWNER"
    });
    if i.is_pull {
        value["pull_request"] = json!({
            "url": format!("{base}/repos/{}/pulls/{}", repo.full_name, i.number),
            "html_url": html(repo, "pull", i.number),
            "diff_url": format!("{}.diff", html(repo, "pull", i.number)),
            "patch_url": format!("{}.patch", html(repo, "pull", i.number)),
        });
    }
    value
}

pub fn comment(base: &str, repo: &RepoState, c: &CommentRec) -> Value {
    json!({
        "id": c.id,
        "node_id": format!("IC_{}", c.id),
        "url": format!("{base}/repos/{}/issues/comments/{}", repo.full_name, c.id),
        "html_url": format!("{}#issuecomment-{}", html(repo, "issues", c.issue), c.id),
        "issue_url": format!("{base}/repos/{}/issues/{}", repo.full_name, c.issue),
        "body": c.body,
        "user": user(base),
        "created_at": time(c.created_at),
        "updated_at": time(c.created_at),
        "author_association": "OWNER"
    })
}

pub fn repository(base: &str, repo: &RepoState) -> Value {
    let (owner, name) = repo.full_name.split_once('/').unwrap_or(("", ""));
    let p = repo.permissions;
    json!({
        "id": repo.id,
        "node_id": format!("R_{}", repo.id),
        "name": name,
        "full_name": repo.full_name,
        "owner": user(base).as_object().map(|o| {
            let mut o = o.clone();
            o.insert("login".into(), owner.into());
            Value::Object(o)
        }),
        "private": true,
        "html_url": format!("https://github.example.com/{}", repo.full_name),
        "description": "a fake repository",
        "fork": false,
        "url": format!("{base}/repos/{}", repo.full_name),
        "default_branch": "main",
        "has_issues": true,
        "allow_auto_merge": repo.allow_auto_merge,
        "permissions": {
            "admin": p.admin, "maintain": p.maintain, "push": p.push,
            "triage": p.triage, "pull": p.pull
        }
    })
}

pub fn pull(base: &str, repo: &RepoState, p: &PullRec, i: &IssueRec) -> Value {
    let api = format!("{base}/repos/{}/pulls/{}", repo.full_name, p.number);
    let owner = repo.full_name.split('/').next().unwrap_or_default();
    json!({
        "id": 20_000 + p.number,
        "node_id": p.node_id,
        "number": p.number,
        "url": api,
        "html_url": html(repo, "pull", p.number),
        "diff_url": format!("{}.diff", html(repo, "pull", p.number)),
        "patch_url": format!("{}.patch", html(repo, "pull", p.number)),
        "issue_url": format!("{base}/repos/{}/issues/{}", repo.full_name, p.number),
        "commits_url": format!("{api}/commits"),
        "review_comments_url": format!("{api}/comments"),
        "review_comment_url": format!("{base}/repos/{}/pulls/comments{{/number}}", repo.full_name),
        "comments_url": format!("{base}/repos/{}/issues/{}/comments", repo.full_name, p.number),
        "statuses_url": format!("{base}/repos/{}/statuses/0000000000000000000000000000000000000000", repo.full_name),
        "state": if i.open { "open" } else { "closed" },
        "locked": false,
        "title": i.title,
        "user": user(base),
        "body": i.body,
        "labels": i.labels.iter().map(|l| label(base, repo, l)).collect::<Vec<_>>(),
        "created_at": time(i.created_at),
        "updated_at": time(i.updated_at),
        "closed_at": i.closed_at.map(time),
        "merged_at": if p.merged { i.closed_at.map(time) } else { None },
        "merged": p.merged,
        "draft": false,
        "head": { "label": format!("{owner}:{}", p.head), "ref": p.head, "sha": "1111111111111111111111111111111111111111" },
        "base": { "label": format!("{owner}:{}", p.base), "ref": p.base, "sha": "2222222222222222222222222222222222222222" },
        "author_association": "OWNER",
        "auto_merge": if p.auto_merge { json!({"merge_method": "squash", "enabled_by": user(base)}) } else { Value::Null }
    })
}
