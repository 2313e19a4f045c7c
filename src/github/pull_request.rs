//! `create_pull_request`: push the head branch (git), open the pull request
//! with its body from `templates/pull-request.md.j2`, label it
//! `automated-fix`, and ask for auto-merge (GraphQL
//! `enablePullRequestAutoMerge`) when the decision allows it.
//!
//! A pull request is keyed by its head branch: every step is idempotent, and
//! GitHub's 422 "A pull request already exists" is success.

use super::api::{self, AutoMerge, Opened};
use super::bodies;
use super::client::{CallError, Client};
use super::error::GithubError;
use super::perform::{Effect, Env, Failure};
use crate::outbox::Detail;
use crate::outbox::payload::PullRequestPayload;
use crate::outbox::records::OutboxOp;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The label put on every pull request the tool opens.
pub const LABEL: &str = "automated-fix";

/// Pushes the head branch and opens (or finds) the pull request.
pub(crate) async fn open(
    client: &mut Client,
    env: &Env<'_>,
    op: &OutboxOp,
    repo: &str,
    p: &PullRequestPayload,
    uncertain: bool,
) -> Result<Effect, Failure> {
    push_branch(env, &p.head)?;
    let mut adopted = None;
    if uncertain {
        adopted = api::pull_by_head(client, repo, &p.head).await?;
    }
    let (pull, how) = match adopted {
        Some(pull) => (pull, Detail::Adopted),
        None => {
            let body = bodies::pull_request(env.workdir(), op, p)?;
            match api::create_pull(client, repo, &p.head, &p.base, &p.title, &body).await? {
                Opened::Created(pull) => (*pull, Detail::Created),
                Opened::AlreadyExists => match api::pull_by_head(client, repo, &p.head).await? {
                    Some(pull) => (pull, Detail::Adopted),
                    None => {
                        return Err(Failure::Call(CallError::Transient {
                            message: format!(
                                "GitHub says a pull request from {} exists but does not list it",
                                p.head
                            ),
                            maybe_applied: true,
                        }));
                    }
                },
            }
        }
    };
    api::add_labels(client, repo, pull.number, &[LABEL.to_owned()]).await?;
    let mut effect = Effect::new(
        pull.number,
        pull.html_url.as_ref().map(|u| u.to_string()),
        how,
    );
    if p.auto_merge {
        effect.note = match &pull.node_id {
            Some(node) => match api::enable_auto_merge(client, node).await? {
                AutoMerge::Enabled => Some("auto-merge enabled".into()),
                AutoMerge::Declined(why) => Some(format!("auto-merge not enabled: {why}")),
            },
            None => Some("auto-merge not enabled: GitHub gave no node id".into()),
        };
    }
    Ok(effect)
}

/// Pushes `refs/heads/<branch>` to the branch of the same name on the remote,
/// without force and without hooks.
/// Already there: fine. Rejected (the remote branch moved): a permanent
/// failure. A transport problem or a timeout: transient.
fn push_branch(env: &Env<'_>, branch: &str) -> Result<(), Failure> {
    let full = format!("refs/heads/{branch}");
    let exists = env
        .repo
        .try_find_reference(full.as_str())
        .map_err(|err| Failure::Invalid(format!("cannot read {full}: {err}")))?
        .is_some();
    if !exists {
        return Err(Failure::Invalid(format!(
            "the branch {branch} does not exist in this repository"
        )));
    }
    let Some(remote) = super::repo::remote_name(env.repo, env.config) else {
        return Err(Failure::Waiting(
            "no git remote to push the branch to (set [github] remote)".into(),
        ));
    };
    let refspec = format!("{full}:{full}");
    // No hooks: the branch is the tool's own, and our pre-push hook would only
    // start another sync.
    let args = [
        "push",
        "--porcelain",
        "--no-verify",
        remote.as_str(),
        refspec.as_str(),
    ];
    let output = run_git(env.repo, &args, env.config.github.push_timeout())?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let status = stdout
        .lines()
        .find(|l| l.contains(&full) && l.contains('\t'))
        .and_then(|l| l.chars().next());
    match status {
        Some('=') | Some(' ') | Some('*') | Some('+') => Ok(()),
        Some('!') => Err(Failure::Invalid(format!(
            "git push {remote} {branch} was rejected: {}",
            stderr.trim()
        ))),
        _ if output.status.success() => Ok(()),
        _ => Err(Failure::Call(CallError::Transient {
            message: format!("git push {remote} {branch} failed: {}", stderr.trim()),
            maybe_applied: false,
        })),
    }
}

/// Runs git with a deadline, never prompting for credentials.
fn run_git(
    repo: &gix::Repository,
    args: &[&str],
    timeout: Duration,
) -> Result<std::process::Output, Failure> {
    let spawn_error = |err: std::io::Error| Failure::Fatal(GithubError::Git(err).into());
    let mut child = Command::new("git")
        .arg("--git-dir")
        .arg(repo.git_dir())
        .args(args)
        .env_remove("GIT_DIR")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait().map_err(spawn_error)? {
            Some(_) => return child.wait_with_output().map_err(spawn_error),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Failure::Call(CallError::Transient {
                    message: format!(
                        "git {} took longer than {}",
                        args.join(" "),
                        crate::duration::format(timeout)
                    ),
                    maybe_applied: false,
                }));
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}
