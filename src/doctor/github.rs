//! GitHub: the repository and token the outbox executor would use, found the
//! way it finds them (no network); with `--online`, one API call that reads
//! the repository through the executor's client.

use super::{Check, CheckName};
use crate::config::Config;
use crate::error::chain;
use crate::github::client::{CallError, Client};
use crate::github::files::Dirs;
use crate::github::permissions::Access;
use crate::github::token::{self, Token};
use crate::github::{GithubError, api, repo};
use crate::workspace::Workspace;

const FIX_TOKEN: &str = "gh auth login (or export GITHUB_TOKEN=…)";

/// The GitHub checks: `github_repo` and `github_token`, and `github_access`
/// when `online`.
pub(super) fn checks(ws: &Workspace, online: bool) -> Vec<Check> {
    let Ok(config) = ws.config() else {
        return Vec::new();
    };
    let api_url = config.github.api_url();
    let configured = repo::configured(config).is_some();
    let open = crate::outbox::read::Outbox::read(ws).map(|outbox| {
        outbox
            .states()
            .values()
            .filter(|state| state.is_open())
            .count()
    });
    let open = match open {
        Ok(open) => open,
        Err(err) => {
            return vec![Check::problem(
                CheckName::GithubRepo,
                format!("the outbox cannot be read: {}", chain(&err)),
                Some("git auditops verify".into()),
            )];
        }
    };
    // A clone that queues nothing for GitHub needs neither a token nor a
    // repository: say what would be used, without calling it a problem.
    let needed = configured || open > 0;
    let unneeded = if needed {
        String::new()
    } else {
        " (not needed yet: no [github] repo set and nothing queued)".to_owned()
    };
    let resolved = repo::resolve(ws.repo(), config);
    let found = token::find(api_url);
    let mut checks = vec![
        match &resolved {
            Ok(name) => Check::ok(CheckName::GithubRepo, format!("{name}{unneeded}")),
            Err(err) if needed => Check::problem(
                CheckName::GithubRepo,
                format!("{err} ({open} operation(s) queued)"),
                Some(format!(
                    "set [github] repo = \"owner/name\" in {}",
                    crate::config::FILE_NAME
                )),
            ),
            Err(_) => Check::ok(CheckName::GithubRepo, format!("none{unneeded}")),
        },
        match &found {
            Some((_, source)) => Check::ok(
                CheckName::GithubToken,
                format!("found in {source}{unneeded}"),
            ),
            None if needed => Check::problem(
                CheckName::GithubToken,
                format!(
                    "no token in GITHUB_TOKEN, GH_TOKEN or gh's login for {}",
                    token::gh_host(api_url)
                ),
                Some(FIX_TOKEN.into()),
            ),
            None => Check::ok(CheckName::GithubToken, format!("none{unneeded}")),
        },
    ];
    if online {
        checks.push(match (resolved, found) {
            (Ok(name), Some((token, _))) => access(ws, config, &token, &name),
            _ => {
                let detail = "not checked: needs a repository and a token";
                match needed {
                    true => Check::problem(CheckName::GithubAccess, detail, None),
                    false => Check::ok(CheckName::GithubAccess, detail),
                }
            }
        });
    }
    checks
}

/// Reads `name` once through the executor's client: what the token may do there.
fn access(ws: &Workspace, config: &Config, token: &Token, name: &str) -> Check {
    let check = CheckName::GithubAccess;
    let api_url = config.github.api_url();
    let answer = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(GithubError::Runtime)
        .and_then(|runtime| {
            runtime.block_on(async {
                let dir = Dirs::new(ws.repo()).github();
                let mut client = Client::for_config(&config.github, token, dir)?;
                Ok(Access::from_answer(
                    name,
                    api::repository(&mut client, name).await,
                ))
            })
        });
    match answer {
        Err(err) => Check::problem(check, chain(&err), None),
        Ok(Ok(Access {
            level: Some(level), ..
        })) => Check::ok(
            check,
            format!("the token has `{}` on {name} ({api_url})", level.as_str()),
        ),
        Ok(Ok(access)) => Check::problem(
            check,
            access.problem.unwrap_or_default(),
            Some(format!(
                "{FIX_TOKEN}, with access to {name}; or set [github] repo to the right repository"
            )),
        ),
        Ok(Err(err)) => {
            let fix = match err {
                CallError::CircuitOpen { .. } => {
                    "wait for the circuit to close, then git auditops doctor --online"
                }
                _ => "check [github] api_url and the network, then git auditops doctor --online",
            };
            Check::problem(
                check,
                format!("GitHub ({api_url}) did not tell: {err}"),
                Some(fix.into()),
            )
        }
    }
}
