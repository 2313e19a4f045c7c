//! A fake GitHub for the tests: an axum server on 127.0.0.1 with state
//! (repositories with permissions, issues, labels, comments, pull requests),
//! responses shaped like GitHub's (full objects, so octocrab's models parse),
//! rate-limit headers that count down, switches to inject faults, and a log
//! of every request. Dev-only code; it never talks to anything but loopback.

mod model;
mod routes;

pub use model::{CommentRec, Fault, FaultKind, IssueRec, Logged, Perms, PullRec};

use axum::Extension;
use routes::{KillSwitch, Shared};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, oneshot};

/// The token the fake accepts. Shaped like a real one so that a leak would be
/// recognisable.
pub const TOKEN: &str = "ghp_FAKEtok3nThatMustNeverLeak0123456789";

pub struct FakeGitHub {
    pub url: String,
    state: Shared,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeGitHub {
    /// Starts the server on a free loopback port with one repository,
    /// `octo/demo`, on which the token has write access.
    pub fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let mut state = model::State::new(TOKEN);
        state.base_url = url.clone();
        state.add_repo("octo/demo", Perms::WRITE);
        let state: Shared = Arc::new(Mutex::new(state));
        let router = routes::router(state.clone());
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(serve(listener, router, stopped));
        });
        FakeGitHub {
            url,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut model::State) -> T) -> T {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut s)
    }

    pub fn set_permissions(&self, repo: &str, perms: Perms) {
        self.with(|s| s.repos.get_mut(repo).expect("repo").permissions = perms);
    }

    /// The token cannot see `repo`: 404 everywhere.
    pub fn hide_repo(&self, repo: &str) {
        self.with(|s| s.repos.get_mut(repo).expect("repo").visible = false);
    }

    pub fn allow_auto_merge(&self, repo: &str, allowed: bool) {
        self.with(|s| s.repos.get_mut(repo).expect("repo").allow_auto_merge = allowed);
    }

    pub fn set_remaining(&self, remaining: u64) {
        self.with(|s| s.remaining = remaining);
    }

    /// Every response waits this long.
    pub fn set_delay(&self, delay: Duration) {
        self.with(|s| s.delay = delay);
    }

    /// Holds every request unanswered until [`release`](Self::release): a
    /// client that waits for GitHub is then seen waiting, without timing it.
    pub fn hold(&self) {
        self.with(|s| s.hold.send_replace(true));
    }

    /// Answers the held requests, and later ones at once.
    pub fn release(&self) {
        self.with(|s| s.hold.send_replace(false));
    }

    /// How many requests arrived while the fake was holding.
    pub fn held(&self) -> usize {
        self.with(|s| s.held)
    }

    pub fn inject(&self, fault: Fault) {
        self.with(|s| s.faults.push(fault));
    }

    /// Faults not yet used up.
    pub fn faults_left(&self) -> usize {
        self.with(|s| s.faults.iter().map(|f| f.times).sum())
    }

    /// Pull requests may only be opened from branches in this bare repository.
    pub fn check_branches_in(&self, git_dir: &std::path::Path) {
        self.with(|s| s.branches_in = Some(git_dir.to_owned()));
    }

    pub fn log(&self) -> Vec<Logged> {
        self.with(|s| s.log.clone())
    }

    /// The JSON bodies posted to the webhook receiver (`/hooks/…`), each
    /// with whether it carried an `Authorization` header.
    pub fn webhooks(&self) -> Vec<(serde_json::Value, bool)> {
        self.with(|s| s.webhooks.clone())
    }

    pub fn writes(&self) -> Vec<Logged> {
        self.log().into_iter().filter(Logged::is_write).collect()
    }

    pub fn issues(&self, repo: &str) -> Vec<IssueRec> {
        self.with(|s| {
            s.repos[repo]
                .issues
                .iter()
                .filter(|i| !i.is_pull)
                .cloned()
                .collect()
        })
    }

    pub fn issue(&self, repo: &str, number: u64) -> IssueRec {
        self.with(|s| {
            s.repos[repo]
                .issues
                .iter()
                .find(|i| i.number == number)
                .cloned()
                .expect("issue")
        })
    }

    pub fn comments(&self, repo: &str, number: u64) -> Vec<CommentRec> {
        self.with(|s| {
            s.repos[repo]
                .comments
                .iter()
                .filter(|c| c.issue == number)
                .cloned()
                .collect()
        })
    }

    pub fn pulls(&self, repo: &str) -> Vec<PullRec> {
        self.with(|s| s.repos[repo].pulls.clone())
    }

    /// Closes pull request `number` as someone on GitHub would: merged or not.
    pub fn close_pull(&self, repo: &str, number: u64, merged: bool) {
        self.with(|s| {
            let r = s.repos.get_mut(repo).expect("repo");
            let pull = r.pulls.iter_mut().find(|p| p.number == number);
            pull.expect("pull request").merged = merged;
            let issue = r.issue_mut(number).expect("its issue");
            issue.open = false;
            issue.closed_at = Some(jiff::Timestamp::now());
        })
    }

    /// Opens an issue as someone else would; returns its number.
    pub fn add_issue(&self, repo: &str, title: &str, labels: &[&str]) -> u64 {
        self.with(|s| {
            let r = s.repos.get_mut(repo).expect("repo");
            let number = r.next_number();
            let now = jiff::Timestamp::now();
            r.issues.push(IssueRec {
                number,
                title: title.into(),
                body: String::new(),
                open: true,
                state_reason: None,
                labels: labels.iter().map(|l| (*l).to_owned()).collect(),
                created_at: now,
                updated_at: now,
                closed_at: None,
                is_pull: false,
            });
            number
        })
    }

    pub fn set_labels(&self, repo: &str, number: u64, labels: &[&str]) {
        self.with(|s| {
            let issue = s
                .repos
                .get_mut(repo)
                .expect("repo")
                .issue_mut(number)
                .expect("issue");
            issue.labels = labels.iter().map(|l| (*l).to_owned()).collect();
        });
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.release();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts connections until told to stop. Each connection carries a kill
/// switch so that a fault can close it without an answer.
async fn serve(
    listener: std::net::TcpListener,
    router: axum::Router,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let kill = Arc::new(Notify::new());
                let app = router.clone().layer(Extension(KillSwitch(kill.clone())));
                tokio::spawn(async move {
                    let service = hyper_util::service::TowerToHyperService::new(app);
                    let connection = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                    tokio::select! {
                        _ = connection => {}
                        _ = kill.notified() => {}
                    }
                });
            }
        }
    }
}
