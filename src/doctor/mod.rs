//! `doctor`: is this clone set up to record and check an audit trail? One
//! check per thing a newcomer gets wrong (the config, the signing key, the
//! trust file, the hooks, the daemon, the state ref, GitHub), each with the command that
//! fixes it when it fails.
//!
//! Reading only: nothing here writes the state ref or a hook. Every check
//! reuses the function the real command uses (key lookup, the trust list as
//! committed at HEAD, `hooks status`, `verify` with its cache, the executor's
//! token and repository lookup), so that doctor and the command cannot
//! disagree. Without `online` nothing touches the network; with it, one API
//! call reads the repository through the executor's client.
//!
//! A problem is not an error: [`run`] always returns a report, and the
//! command exits 1 when it holds a problem.

mod daemon;
mod github;
mod local;
mod signing;

use crate::error::chain;
use crate::outbox::named_enum;
use crate::workspace::Workspace;
use serde::Serialize;

/// What `doctor` found; `--json` prints it as it is.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// No check found a problem.
    pub ok: bool,
    /// The checks, in the order to fix their problems.
    pub checks: Vec<Check>,
}

named_enum! {
    /// What each check looks at (its `name` in `--json`).
    pub enum CheckName {
        /// `.auditops.toml`: present, valid, committed.
        Config = "config",
        /// The signing key: found, readable, trusted at HEAD.
        Key = "key",
        /// The trust file: committed at HEAD, parseable, as in the working tree.
        Trust = "trust",
        /// The git hooks: installed, current, run by git.
        Hooks = "hooks",
        /// The daemon: answering, this binary's version, or not needed.
        Daemon = "daemon",
        /// The state ref: present, verifying, level with its remote as last pulled.
        State = "state",
        /// The GitHub repository the outbox goes to.
        GithubRepo = "github_repo",
        /// The GitHub token the executor would use.
        GithubToken = "github_token",
        /// With `--online`: what the token may do on the repository.
        GithubAccess = "github_access",
    }
}

/// One check's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked.
    pub name: CheckName,
    /// No problem.
    pub ok: bool,
    /// What was found, in one line.
    pub detail: String,
    /// The command that fixes the problem (`None` when there is none, or no
    /// problem).
    pub fix: Option<String>,
}

impl Check {
    fn ok(name: CheckName, detail: impl Into<String>) -> Self {
        Check {
            name,
            ok: true,
            detail: detail.into(),
            fix: None,
        }
    }

    fn problem(name: CheckName, detail: impl Into<String>, fix: Option<String>) -> Self {
        Check {
            name,
            ok: false,
            detail: detail.into(),
            fix,
        }
    }
}

/// Runs every check. `online`: also ask GitHub (one API call) what the token
/// may do on the repository.
pub fn run(ws: &Workspace, online: bool) -> Report {
    let mut checks = vec![config(ws)];
    let config_ok = ws.config().is_ok();
    checks.push(signing::key(ws));
    if config_ok {
        checks.push(signing::trust(ws));
    }
    checks.push(local::hooks(ws));
    checks.push(daemon::daemon(ws));
    if config_ok {
        checks.push(local::state(ws));
        checks.extend(github::checks(ws, online));
    }
    Report {
        ok: checks.iter().all(|c| c.ok),
        checks,
    }
}

/// `.auditops.toml`: present, valid, and committed (other clones and CI read
/// the committed one).
fn config(ws: &Workspace) -> Check {
    let name = crate::config::FILE_NAME;
    let fix_commit = Some(format!(
        "git add {name} && git commit -m \"auditops: policy\""
    ));
    if let Err(err) = ws.config() {
        return Check::problem(
            CheckName::Config,
            format!(
                "{} (trust, state and GitHub are checked once it is fixed)",
                chain(&err)
            ),
            Some(format!(
                "edit {name} where the message says, then `git auditops config check`"
            )),
        );
    }
    if ws.config_file().is_none() {
        return Check::problem(
            CheckName::Config,
            format!("no {name}: the defaults are in force and nothing is set up"),
            Some("git auditops init".into()),
        );
    }
    match committed(ws, name) {
        Ok(Some(_)) => Check::ok(CheckName::Config, format!("{name}: valid, committed")),
        Ok(None) => Check::problem(
            CheckName::Config,
            format!("{name} is valid but not committed: other clones and CI do not see it"),
            fix_commit,
        ),
        Err(err) => Check::problem(CheckName::Config, err, None),
    }
}

/// The content of `path` as committed at HEAD: `None` when HEAD has no such
/// file (or no commit yet).
fn committed(ws: &Workspace, path: &str) -> Result<Option<Vec<u8>>, String> {
    let repo = ws.repo();
    let head = crate::git::head_commit(repo).map_err(|err| chain(&err))?;
    let Some(head) = head else {
        return Ok(None);
    };
    match crate::git::read_committed(repo, head, path).map_err(|err| chain(&err))? {
        crate::git::Committed::File(bytes) => Ok(Some(bytes)),
        crate::git::Committed::Missing | crate::git::Committed::NotAFile => Ok(None),
    }
}

/// `text` as one shell word: quoted when it holds anything a shell would
/// split or expand.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._/-+=:@,".contains(&b));
    match plain {
        true => text.to_owned(),
        false => format!("'{}'", text.replace('\'', r"'\''")),
    }
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(
            shell_word(".auditops/allowed_signers"),
            ".auditops/allowed_signers"
        );
        assert_eq!(shell_word("my keys/list"), "'my keys/list'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
