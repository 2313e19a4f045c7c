//! Moving the state ref to and from git remotes.
//!
//! Transport goes through the `git` command, which brings the user's credentials,
//! protocols and proxies; everything after the fetch happens in-process.

use super::error::{Result, StoreError};
use super::read_ref;
use gix::ObjectId;
use std::process::Command;

/// The remote to use when none is named: the current branch's, else `origin`.
pub fn default_remote(repo: &gix::Repository, verb: &'static str) -> Result<String> {
    let config = repo.config_snapshot();
    if let Ok(Some(head)) = repo.head_name() {
        let branch = head.shorten().to_string();
        if let Some(remote) = config.string(format!("branch.{branch}.remote").as_str()) {
            return Ok(remote.to_string());
        }
    }
    if config.string("remote.origin.url").is_some() {
        return Ok("origin".into());
    }
    Err(StoreError::NoDefaultRemote { verb })
}

/// A remote must be configured by name: its name becomes part of a ref name.
pub fn check_remote(repo: &gix::Repository, remote: &str) -> Result<()> {
    let plausible = !remote.is_empty()
        && remote
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && !remote.starts_with('.');
    let configured = plausible
        && repo
            .config_snapshot()
            .string(format!("remote.{remote}.url").as_str())
            .is_some();
    if configured {
        Ok(())
    } else {
        Err(StoreError::UnknownRemote {
            remote: remote.to_owned(),
        })
    }
}

fn git(repo: &gix::Repository, args: &[&str]) -> Result<std::process::Output> {
    Command::new("git")
        .arg("--git-dir")
        .arg(repo.git_dir())
        .args(args)
        .env_remove("GIT_DIR")
        .output()
        .map_err(StoreError::GitSpawn)
}

fn failed(args: &[&str], output: &std::process::Output) -> StoreError {
    StoreError::GitCommand {
        args: args.join(" "),
        stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
    }
}

/// Fetches `remote`'s state ref into `tracking`. `None` when the remote has none.
pub fn fetch(
    repo: &gix::Repository,
    remote: &str,
    state_ref: &str,
    tracking: &str,
) -> Result<Option<ObjectId>> {
    let refspec = format!("+{state_ref}:{tracking}");
    let args = [
        "fetch",
        "--no-tags",
        "--no-write-fetch-head",
        "--quiet",
        remote,
        refspec.as_str(),
    ];
    let output = git(repo, &args)?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("couldn't find remote ref") {
            return Ok(None);
        }
        return Err(failed(&args, &output));
    }
    read_ref(repo, tracking)
}

/// How a push of the state ref ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PushOutcome {
    /// The remote's state ref moved to ours.
    Pushed,
    /// The remote already had it.
    UpToDate,
}

/// Pushes the state ref to `remote` without force. A remote that moved on
/// (another clone pushed first) is `PushDiverged`: pull, then push again.
pub fn push(repo: &gix::Repository, remote: &str, state_ref: &str) -> Result<PushOutcome> {
    let refspec = format!("{state_ref}:{state_ref}");
    let args = ["push", "--porcelain", remote, refspec.as_str()];
    let output = git(repo, &args)?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let status_line = stdout
        .lines()
        .find(|line| line.contains(state_ref) && line.contains('\t'));
    match status_line.and_then(|l| l.chars().next()) {
        Some('=') => Ok(PushOutcome::UpToDate),
        Some('!') if status_line.is_some_and(|l| l.contains("rejected")) => {
            Err(StoreError::PushDiverged {
                remote: remote.to_owned(),
            })
        }
        _ if output.status.success() => Ok(PushOutcome::Pushed),
        _ => Err(failed(&args, &output)),
    }
}

/// Puts the tracking ref `tracking` back where it was before a fetch whose
/// result was refused (deleting it if there was none), so that the next pull
/// compares against the state fetched last time it was accepted.
pub fn restore_tracking(
    repo: &gix::Repository,
    tracking: &str,
    previous: Option<ObjectId>,
) -> Result<()> {
    let previous = previous.map(|id| id.to_string());
    let args: Vec<&str> = match &previous {
        Some(id) => vec!["update-ref", tracking, id],
        None => vec!["update-ref", "-d", tracking],
    };
    let output = git(repo, &args)?;
    if output.status.success() {
        Ok(())
    } else {
        Err(failed(&args, &output))
    }
}
