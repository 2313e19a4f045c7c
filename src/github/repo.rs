//! Which GitHub repository operations go to: `[github] repo`, else the one
//! named by the git remote's URL (ssh and https forms). Reads git config in
//! process; no network.

use super::error::GithubError;
use crate::config::Config;

/// `[github] repo`, if set.
pub fn configured(config: &Config) -> Option<String> {
    config.github.repo().map(str::to_owned)
}

/// The git remote to use: `[github] remote`, else the current branch's
/// remote, else `origin` when it exists.
pub fn remote_name(repo: &gix::Repository, config: &Config) -> Option<String> {
    if let Some(remote) = config.github.remote() {
        return Some(remote.to_owned());
    }
    crate::store::remote::default_remote(repo, "push").ok()
}

/// The URL configured for `remote`.
pub fn remote_url(repo: &gix::Repository, remote: &str) -> Option<String> {
    repo.config_snapshot()
        .string(format!("remote.{remote}.url").as_str())
        .map(|url| url.to_string())
}

/// The repository for operations that do not name one.
pub fn resolve(repo: &gix::Repository, config: &Config) -> Result<String, GithubError> {
    if let Some(name) = configured(config) {
        return Ok(name);
    }
    let remote = remote_name(repo, config);
    let url = remote.as_deref().and_then(|r| remote_url(repo, r));
    url.as_deref()
        .and_then(parse_remote_url)
        .ok_or(GithubError::NoRepository { remote, url })
}

/// Whether a repository is known without asking anyone: configured, or
/// parsable from the remote.
pub fn is_known(repo: &gix::Repository, config: &Config) -> bool {
    resolve(repo, config).is_ok()
}

/// `owner/name` from a remote URL: `git@host:owner/name.git`,
/// `ssh://git@host[:port]/owner/name.git`, `https://[user@]host/owner/name[.git]`,
/// `git://host/owner/name.git`. Local paths and other shapes give `None`.
pub fn parse_remote_url(url: &str) -> Option<String> {
    let url = url.trim();
    let path = if let Some((scheme, rest)) = url.split_once("://") {
        if !matches!(
            scheme,
            "https" | "http" | "ssh" | "git" | "git+ssh" | "ssh+git"
        ) {
            return None;
        }
        let (_authority, path) = rest.split_once('/')?;
        path
    } else {
        // scp-like: [user@]host:path, where host has no slash before the colon.
        let (host, path) = url.split_once(':')?;
        if host.is_empty() || host.contains('/') || path.starts_with('/') {
            return None;
        }
        path
    };
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let (owner, name) = path.split_once('/')?;
    let full = format!("{owner}/{name}");
    crate::config::check_repo_name(&full).ok()?;
    Some(full)
}

#[cfg(test)]
mod tests {
    use super::parse_remote_url as parse;

    #[test]
    fn remote_url_forms() {
        for url in [
            "git@github.com:octo/demo.git",
            "git@github.com:octo/demo",
            "ssh://git@github.com/octo/demo.git",
            "ssh://git@github.com:22/octo/demo",
            "https://github.com/octo/demo.git",
            "https://github.com/octo/demo/",
            "https://user:secret@ghe.example.com/octo/demo",
            "git://github.com/octo/demo.git",
        ] {
            assert_eq!(parse(url).as_deref(), Some("octo/demo"), "{url}");
        }
        for url in [
            "/srv/git/demo.git",
            "file:///srv/git/demo.git",
            "../demo",
            "https://gitlab.com/group/sub/demo.git",
            "C:/x/y",
        ] {
            assert_eq!(parse(url), None, "{url}");
        }
    }
}
