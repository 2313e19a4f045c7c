//! The `[github]` section: where the outbox executor sends operations, and the
//! limits it keeps (quota floor, pacing, backoff, breaker, issue cap, auto-close).

use crate::duration::Setting;
use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

/// GitHub's public API, when `[github] api_url` is not set.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// The `[github]` section of `.auditops.toml` (docs/github-sync.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubConfig {
    /// `owner/name`; default: parsed from the remote's URL.
    #[serde(default)]
    pub repo: Option<Spanned<String>>,
    /// The REST API root (GitHub Enterprise: `https://HOST/api/v3`).
    #[serde(default = "default_api_url")]
    pub api_url: Spanned<String>,
    /// The git remote pull request branches are pushed to and the repository is
    /// guessed from; default: the current branch's remote, else `origin`.
    #[serde(default)]
    pub remote: Option<Spanned<String>>,
    /// Stop before the next operation when fewer API requests than this remain.
    #[serde(default = "default_quota_floor")]
    pub quota_floor: u64,
    /// The least time between two writes.
    #[serde(default = "default_write_interval")]
    pub write_interval: Setting,
    /// More `create_issue` operations than this in one run become one digest issue.
    #[serde(default = "default_max_issues")]
    pub max_issues_per_run: Spanned<u64>,
    /// How long an auto-close proposal stays up before the issue is closed.
    #[serde(default = "default_auto_close_after")]
    pub auto_close_after: Setting,
    /// The longest one API request may take, connecting included.
    #[serde(default = "default_timeout")]
    pub timeout: Setting,
    /// The longest `git push` of a pull request branch may take.
    #[serde(default = "default_push_timeout")]
    pub push_timeout: Setting,
    /// Backoff before retry n: base × multiplier^(n-1), at most max, with jitter.
    #[serde(default = "default_backoff_base")]
    pub backoff_base: Setting,
    /// The factor between two backoffs (1 to 10).
    #[serde(default = "default_backoff_multiplier")]
    pub backoff_multiplier: Spanned<f64>,
    /// The longest backoff.
    #[serde(default = "default_backoff_max")]
    pub backoff_max: Setting,
    /// Attempts at one operation within one run.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: Spanned<u32>,
    /// The longest `Retry-After` waited out within a run; longer ends the run (exit 6).
    #[serde(default = "default_max_retry_after")]
    pub max_retry_after: Setting,
    /// Consecutive failures that open the circuit.
    #[serde(default = "default_breaker_threshold")]
    pub breaker_threshold: Spanned<u32>,
    /// How long the circuit stays open before one probe.
    #[serde(default = "default_breaker_cooldown")]
    pub breaker_cooldown: Setting,
}

fn spanned<T>(value: T) -> Spanned<T> {
    Spanned::new(0..0, value)
}
fn default_api_url() -> Spanned<String> {
    spanned(DEFAULT_API_URL.to_owned())
}
fn default_quota_floor() -> u64 {
    500
}
fn default_write_interval() -> Setting {
    Setting::secs(1)
}
fn default_max_issues() -> Spanned<u64> {
    spanned(10)
}
fn default_auto_close_after() -> Setting {
    Setting::secs(72 * 3600)
}
fn default_timeout() -> Setting {
    Setting::secs(30)
}
fn default_push_timeout() -> Setting {
    Setting::secs(120)
}
fn default_backoff_base() -> Setting {
    Setting::secs(1)
}
fn default_backoff_multiplier() -> Spanned<f64> {
    spanned(2.0)
}
fn default_backoff_max() -> Setting {
    Setting::secs(60)
}
fn default_max_attempts() -> Spanned<u32> {
    spanned(4)
}
fn default_max_retry_after() -> Setting {
    Setting::secs(60)
}
fn default_breaker_threshold() -> Spanned<u32> {
    spanned(5)
}
fn default_breaker_cooldown() -> Setting {
    Setting::secs(300)
}

impl Default for GithubConfig {
    fn default() -> Self {
        GithubConfig {
            repo: None,
            api_url: default_api_url(),
            remote: None,
            quota_floor: default_quota_floor(),
            write_interval: default_write_interval(),
            max_issues_per_run: default_max_issues(),
            auto_close_after: default_auto_close_after(),
            timeout: default_timeout(),
            push_timeout: default_push_timeout(),
            backoff_base: default_backoff_base(),
            backoff_multiplier: default_backoff_multiplier(),
            backoff_max: default_backoff_max(),
            max_attempts: default_max_attempts(),
            max_retry_after: default_max_retry_after(),
            breaker_threshold: default_breaker_threshold(),
            breaker_cooldown: default_breaker_cooldown(),
        }
    }
}

impl GithubConfig {
    /// `repo`, if set.
    pub fn repo(&self) -> Option<&str> {
        self.repo.as_ref().map(|r| r.get_ref().as_str())
    }
    /// `remote`, if set.
    pub fn remote(&self) -> Option<&str> {
        self.remote.as_ref().map(|r| r.get_ref().as_str())
    }
    /// `api_url` without a trailing slash.
    pub fn api_url(&self) -> &str {
        self.api_url.get_ref().trim_end_matches('/')
    }
    /// `write_interval`.
    pub fn write_interval(&self) -> Duration {
        self.write_interval.0
    }
    /// `auto_close_after`.
    pub fn auto_close_after(&self) -> Duration {
        self.auto_close_after.0
    }
    /// `timeout`.
    pub fn timeout(&self) -> Duration {
        self.timeout.0
    }
    /// `push_timeout`.
    pub fn push_timeout(&self) -> Duration {
        self.push_timeout.0
    }
    /// `backoff_base`.
    pub fn backoff_base(&self) -> Duration {
        self.backoff_base.0
    }
    /// `backoff_max`.
    pub fn backoff_max(&self) -> Duration {
        self.backoff_max.0
    }
    /// `max_retry_after`.
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after.0
    }
    /// `breaker_cooldown`.
    pub fn breaker_cooldown(&self) -> Duration {
        self.breaker_cooldown.0
    }
}

/// A repository name that is not `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a GitHub repository name like owner/name")]
pub struct RepoNameError(pub String);

/// `owner/name`, as GitHub allows them.
pub fn check_repo_name(repo: &str) -> Result<(), RepoNameError> {
    let ok = |part: &str| {
        !part.is_empty()
            && part.len() <= 100
            && part != "."
            && part != ".."
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    match repo.split_once('/') {
        Some((owner, name)) if ok(owner) && ok(name) => Ok(()),
        _ => Err(RepoNameError(repo.to_owned())),
    }
}

/// The first problem found, with the span of the value at fault.
pub fn validate(github: &GithubConfig) -> Result<(), (std::ops::Range<usize>, String)> {
    if let Some(repo) = &github.repo {
        check_repo_name(repo.get_ref()).map_err(|m| (repo.span(), m.to_string()))?;
    }
    let url = github.api_url.get_ref();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host_ok = rest.is_some_and(|r| {
        let host = r.split('/').next().unwrap_or_default();
        !host.is_empty() && !host.contains(['@', ' ', '?', '#'])
    });
    if !host_ok || url.contains(['?', '#', ' ']) || url.parse::<http::Uri>().is_err() {
        return Err((
            github.api_url.span(),
            format!("`{url}` is not an http(s) URL like https://api.github.com"),
        ));
    }
    if let Some(remote) = &github.remote {
        let name = remote.get_ref();
        let plausible = !name.is_empty()
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !plausible {
            return Err((remote.span(), format!("`{name}` is not a git remote name")));
        }
    }
    let positive = |value: u64, span: std::ops::Range<usize>, what: &str| {
        if value == 0 {
            Err((span, format!("{what} must be at least 1")))
        } else {
            Ok(())
        }
    };
    positive(
        *github.max_issues_per_run.get_ref(),
        github.max_issues_per_run.span(),
        "max_issues_per_run",
    )?;
    positive(
        u64::from(*github.max_attempts.get_ref()),
        github.max_attempts.span(),
        "max_attempts",
    )?;
    positive(
        u64::from(*github.breaker_threshold.get_ref()),
        github.breaker_threshold.span(),
        "breaker_threshold",
    )?;
    let multiplier = *github.backoff_multiplier.get_ref();
    if !(1.0..=10.0).contains(&multiplier) {
        return Err((
            github.backoff_multiplier.span(),
            format!("backoff_multiplier {multiplier} must be between 1 and 10"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names() {
        assert!(check_repo_name("octo/hello-world.rs").is_ok());
        for bad in ["octo", "/x", "a/b/c", "a/..", "a b/c"] {
            assert!(check_repo_name(bad).is_err(), "{bad}");
        }
    }
}
