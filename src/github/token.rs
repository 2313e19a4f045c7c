//! The GitHub token: `GITHUB_TOKEN`, then `GH_TOKEN`, then the `gh` CLI's
//! config file (`hosts.yml`). The token is held in a type whose `Debug` and
//! `Display` never show it; it is never printed, logged or stored.

use std::path::{Path, PathBuf};

/// A token. Only [`Token::expose`] reveals it, to build the client.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

/// Where the token came from (safe to show).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    GithubToken,
    GhToken,
    GhConfig(PathBuf),
}

impl std::fmt::Display for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::GithubToken => f.write_str("GITHUB_TOKEN"),
            TokenSource::GhToken => f.write_str("GH_TOKEN"),
            TokenSource::GhConfig(path) => write!(f, "{}", path.display()),
        }
    }
}

/// The host whose `gh` login serves `api_url`: `github.com` for the public API,
/// the URL's host for GitHub Enterprise.
pub fn gh_host(api_url: &str) -> String {
    let rest = api_url.split_once("://").map_or(api_url, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next().unwrap_or_default();
    match host {
        "api.github.com" => "github.com".to_owned(),
        other => other.to_owned(),
    }
}

/// The token to use for `api_url`, and where it came from.
pub fn find(api_url: &str) -> Option<(Token, TokenSource)> {
    for (var, source) in [
        ("GITHUB_TOKEN", TokenSource::GithubToken),
        ("GH_TOKEN", TokenSource::GhToken),
    ] {
        if let Ok(value) = std::env::var(var)
            && !value.trim().is_empty()
        {
            return Some((Token(value.trim().to_owned()), source));
        }
    }
    let file = gh_hosts_file()?;
    let text = std::fs::read_to_string(&file).ok()?;
    let token = token_in_hosts(&text, &gh_host(api_url))?;
    Some((Token(token), TokenSource::GhConfig(file)))
}

fn gh_hosts_file() -> Option<PathBuf> {
    let dir = match std::env::var_os("GH_CONFIG_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => match std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
            Some(xdg) => Path::new(&xdg).join("gh"),
            None => PathBuf::from(std::env::var_os("HOME").filter(|h| !h.is_empty())?)
                .join(".config/gh"),
        },
    };
    Some(dir.join("hosts.yml"))
}

/// The first `oauth_token` in `host`'s block of gh's `hosts.yml` (a small,
/// fixed YAML shape: top-level host keys, indented settings below them).
fn token_in_hosts(text: &str, host: &str) -> Option<String> {
    let mut in_host = false;
    for line in text.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indented = line.starts_with(' ') || line.starts_with('\t');
        if !indented {
            let key = line.trim_end().strip_suffix(':').map(unquote);
            in_host = key.as_deref() == Some(host);
            continue;
        }
        if in_host && let Some(value) = line.trim().strip_prefix("oauth_token:") {
            let value = unquote(value.trim());
            if !value.is_empty() {
                return Some(value);
            }
        }
    }
    None
}

fn unquote(text: &str) -> String {
    text.trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_file_shapes() {
        let text = "github.com:\n    user: octo\n    oauth_token: gho_public\n    git_protocol: https\nghe.example.com:\n    users:\n        octo:\n            oauth_token: \"gho_enterprise\"\n    user: octo\n";
        assert_eq!(
            token_in_hosts(text, "github.com").as_deref(),
            Some("gho_public")
        );
        assert_eq!(
            token_in_hosts(text, "ghe.example.com").as_deref(),
            Some("gho_enterprise")
        );
        assert_eq!(token_in_hosts(text, "other.example.com"), None);
        assert_eq!(
            token_in_hosts("github.com:\n    user: x\n", "github.com"),
            None
        );
    }

    #[test]
    fn hosts_of_api_urls() {
        assert_eq!(gh_host("https://api.github.com"), "github.com");
        assert_eq!(gh_host("https://ghe.example.com/api/v3"), "ghe.example.com");
        assert_eq!(gh_host("http://127.0.0.1:8080/"), "127.0.0.1");
    }

    #[test]
    fn debug_hides_the_token() {
        assert_eq!(format!("{:?}", Token("secret".into())), "Token(***)");
    }
}
