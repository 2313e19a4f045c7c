//! The HTTP client: octocrab with its own retries turned off (retrying a write
//! blindly is how duplicates happen; the executor retries, after reconciling),
//! a timeout on every call, the rate-limit headers of every response fed to the
//! quota, the circuit breaker consulted before and told after every call, and
//! writes paced `write_interval` apart.
//!
//! Every failure is classified into a [`CallError`] that says whether the
//! request may have taken effect, so the executor knows when to reconcile.

use super::breaker::Breaker;
use super::error::GithubError;
use super::quota::Quota;
use super::token::Token;
use http::{HeaderMap, Method, StatusCode};
use octocrab::Octocrab;
use serde::de::DeserializeOwned;
use std::time::{Duration, Instant};

/// Why a call failed.
#[derive(Debug, Clone)]
pub enum CallError {
    /// Could not connect: nothing was sent.
    Unreachable(String),
    /// A server error, a timeout or a dropped connection. `maybe_applied`: the
    /// request was a write that GitHub may have carried out anyway.
    Transient {
        message: String,
        maybe_applied: bool,
    },
    /// 429, or 403 for a secondary or exhausted primary rate limit. A write so
    /// refused was not carried out.
    RateLimited {
        message: String,
        retry_after: Option<Duration>,
        /// Unix seconds, from `x-ratelimit-reset`.
        reset: Option<i64>,
    },
    /// 401 or 403: the token may not do this.
    Forbidden { status: u16, message: String },
    /// 404 (GitHub's answer for "no access" too).
    NotFound { message: String },
    /// 422 and other 4xx: the request itself is wrong; retrying will not help.
    Rejected { status: u16, message: String },
    /// The circuit breaker is open until `until`.
    CircuitOpen { until: crate::time::Timestamp },
    /// A 2xx whose body is not what GitHub sends.
    Malformed(String),
    /// Local trouble (the breaker's state file could not be written).
    Local(std::sync::Arc<GithubError>),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Unreachable(m) => write!(f, "unreachable: {m}"),
            CallError::Transient { message, .. } => f.write_str(message),
            CallError::RateLimited { message, .. } => write!(f, "rate-limited: {message}"),
            CallError::Forbidden { status, message } => write!(f, "{status}: {message}"),
            CallError::NotFound { message } => write!(f, "404: {message}"),
            CallError::Rejected { status, message } => write!(f, "{status}: {message}"),
            CallError::CircuitOpen { until } => write!(f, "circuit open until {until}"),
            CallError::Malformed(m) => write!(f, "unexpected response: {m}"),
            CallError::Local(err) => f.write_str(&crate::error::chain(err.as_ref())),
        }
    }
}

/// A response read in full.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, CallError> {
        serde_json::from_str(&self.body).map_err(|err| CallError::Malformed(err.to_string()))
    }
}

/// Where the REST and GraphQL endpoints are, from `[github] api_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `scheme://host[:port]`
    pub origin: String,
    /// The REST root's path (`""`, `/api/v3`).
    pub rest_prefix: String,
    /// GraphQL's path (`/graphql`, `/api/graphql`).
    pub graphql_path: String,
}

impl Endpoints {
    pub fn parse(api_url: &str) -> Result<Self, GithubError> {
        let bad = || GithubError::ApiUrl(api_url.to_owned());
        let (scheme, rest) = api_url.split_once("://").ok_or_else(bad)?;
        let (host, path) = match rest.split_once('/') {
            Some((host, path)) => (host, format!("/{}", path.trim_end_matches('/'))),
            None => (rest, String::new()),
        };
        if host.is_empty() {
            return Err(bad());
        }
        let rest_prefix = if path == "/" { String::new() } else { path };
        let graphql_path = match rest_prefix.strip_suffix("/v3") {
            Some(api) => format!("{api}/graphql"),
            None => format!("{rest_prefix}/graphql"),
        };
        Ok(Endpoints {
            origin: format!("{scheme}://{host}"),
            rest_prefix,
            graphql_path,
        })
    }
}

pub struct Client {
    octo: Octocrab,
    endpoints: Endpoints,
    timeout: Duration,
    write_interval: Duration,
    last_write: Option<Instant>,
    pub breaker: Breaker,
    pub quota: Quota,
    /// Requests sent (for the metrics).
    pub requests: u64,
}

impl Client {
    /// Builds the client. Must be called inside the tokio runtime.
    pub fn new(
        api_url: &str,
        token: &Token,
        timeout: Duration,
        write_interval: Duration,
        breaker: Breaker,
    ) -> Result<Self, GithubError> {
        let endpoints = Endpoints::parse(api_url)?;
        let user_agent = format!("git-auditops/{}", env!("CARGO_PKG_VERSION"));
        let octo = Octocrab::builder()
            .base_uri(endpoints.origin.as_str())
            .map_err(GithubError::Client)?
            .personal_token(token.expose().to_owned())
            .add_retry_config(octocrab::service::middleware::retry::RetryConfig::None)
            .set_connect_timeout(Some(timeout.min(Duration::from_secs(10))))
            .set_read_timeout(Some(timeout))
            .set_write_timeout(Some(timeout))
            .add_header(http::header::USER_AGENT, user_agent)
            .add_header(http::header::ACCEPT, "application/vnd.github+json".into())
            .add_header(
                http::HeaderName::from_static("x-github-api-version"),
                "2022-11-28".into(),
            )
            .build()
            .map_err(GithubError::Client)?;
        Ok(Client {
            octo,
            endpoints,
            timeout,
            write_interval,
            last_write: None,
            breaker,
            quota: Quota::default(),
            requests: 0,
        })
    }

    /// The client `[github]` describes, with the circuit breaker persisted in
    /// `breaker_dir`: what the executor and `doctor --online` both talk through.
    /// Must be called inside the tokio runtime.
    pub fn for_config(
        config: &crate::config::GithubConfig,
        token: &Token,
        breaker_dir: std::path::PathBuf,
    ) -> Result<Self, GithubError> {
        let breaker = Breaker::load(
            breaker_dir,
            *config.breaker_threshold.get_ref(),
            config.breaker_cooldown(),
        );
        Client::new(
            config.api_url(),
            token,
            config.timeout(),
            config.write_interval(),
            breaker,
        )
    }

    /// A REST path under the API root: `rest("/repos/o/r")`.
    pub fn rest(&self, path: &str) -> String {
        format!("{}{path}", self.endpoints.rest_prefix)
    }

    pub fn graphql_path(&self) -> &str {
        &self.endpoints.graphql_path
    }

    /// Sends one request and reads the whole response, within the timeout.
    /// Non-2xx statuses become [`CallError`]s.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Reply, CallError> {
        if let Err(open) = self.breaker.allow() {
            return Err(CallError::CircuitOpen { until: open.until });
        }
        let write = method != Method::GET;
        if write {
            self.pace().await;
        }
        self.requests += 1;
        tracing::debug!(%method, path, "github request");
        let result = tokio::time::timeout(self.timeout, self.exchange(&method, path, body)).await;
        if write {
            self.last_write = Some(Instant::now());
        }
        let reply = match result {
            Err(_elapsed) => Err(CallError::Transient {
                message: format!("no answer within {}", crate::duration::format(self.timeout)),
                maybe_applied: write,
            }),
            Ok(Err(err)) => Err(transport_error(&err, write)),
            Ok(Ok(reply)) => {
                self.quota.update(&reply.headers);
                classify(reply, write)
            }
        };
        let breaker = match &reply {
            Err(CallError::Unreachable(m)) => self.breaker.failure(m).map(drop),
            Err(CallError::Transient { message, .. }) => self.breaker.failure(message).map(drop),
            _ => self.breaker.success(),
        };
        breaker.map_err(|err| CallError::Local(std::sync::Arc::new(err)))?;
        reply
    }

    async fn exchange(
        &self,
        method: &Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Reply, octocrab::Error> {
        let response = match *method {
            Method::GET => self.octo._get(path).await?,
            Method::POST => self.octo._post(path, body).await?,
            Method::PATCH => self.octo._patch(path, body).await?,
            Method::DELETE => self.octo._delete(path, body).await?,
            Method::PUT => self.octo._put(path, body).await?,
            _ => self.octo._get(path).await?,
        };
        let status = response.status();
        let headers = response.headers().clone();
        let body = self.octo.body_to_string(response).await?;
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// Waits until `write_interval` has passed since the last write.
    async fn pace(&self) {
        if let Some(last) = self.last_write {
            let next = last + self.write_interval;
            let now = Instant::now();
            if next > now {
                tokio::time::sleep(next - now).await;
            }
        }
    }

    pub async fn get<T: DeserializeOwned>(&mut self, path: &str) -> Result<T, CallError> {
        self.send(Method::GET, path, None).await?.json()
    }
}

/// The `message` of a GitHub error body, else the body's start.
fn message_of(body: &str, status: StatusCode) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let message = parsed
        .as_ref()
        .and_then(|v| v["message"].as_str().map(str::to_owned));
    let details = parsed
        .as_ref()
        .and_then(|v| v["errors"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|e| {
            e["message"]
                .as_str()
                .or(e["code"].as_str())
                .map(str::to_owned)
        })
        .collect::<Vec<_>>();
    let mut text = message.unwrap_or_else(|| {
        let start: String = body.trim().chars().take(200).collect();
        if start.is_empty() {
            status.canonical_reason().unwrap_or("error").to_owned()
        } else {
            start
        }
    });
    if !details.is_empty() {
        text = format!("{text} ({})", details.join("; "));
    }
    text
}

fn header<T: std::str::FromStr>(headers: &HeaderMap, name: &str) -> Option<T> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Maps a response to success or a [`CallError`].
fn classify(reply: Reply, write: bool) -> Result<Reply, CallError> {
    let status = reply.status;
    if status.is_success() {
        return Ok(reply);
    }
    let message = message_of(&reply.body, status);
    let retry_after = header::<u64>(&reply.headers, "retry-after").map(Duration::from_secs);
    let reset = header::<i64>(&reply.headers, "x-ratelimit-reset");
    let exhausted = header::<u64>(&reply.headers, "x-ratelimit-remaining") == Some(0);
    let lower = message.to_lowercase();
    let secondary = lower.contains("secondary rate limit") || lower.contains("abuse");
    match status.as_u16() {
        429 => Err(CallError::RateLimited {
            message,
            retry_after,
            reset,
        }),
        403 if secondary || exhausted || retry_after.is_some() => Err(CallError::RateLimited {
            message,
            retry_after,
            reset: if exhausted { reset } else { None },
        }),
        401 | 403 => Err(CallError::Forbidden {
            status: status.as_u16(),
            message,
        }),
        404 => Err(CallError::NotFound { message }),
        code if code >= 500 => Err(CallError::Transient {
            message: format!("{code}: {message}"),
            maybe_applied: write,
        }),
        code => Err(CallError::Rejected {
            status: code,
            message,
        }),
    }
}

/// Connection refused, DNS failure and connect timeouts are `Unreachable`
/// (nothing was sent); anything later is `Transient`.
fn transport_error(err: &octocrab::Error, write: bool) -> CallError {
    let mut chain: Vec<String> = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        let message = e.to_string();
        if !chain.contains(&message) {
            chain.push(message);
        }
        source = e.source();
    }
    // The innermost cause says the most ("tcp connect error: Connection refused").
    let text = chain.last().cloned().unwrap_or_default();
    let connect = chain.iter().any(|m| {
        m.contains("(Connect)") || m.contains("Connection refused") || m.contains("dns error")
    });
    if connect {
        CallError::Unreachable(text)
    } else {
        CallError::Transient {
            message: text,
            maybe_applied: write,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_for_github_and_enterprise() {
        let public = Endpoints::parse("https://api.github.com").unwrap();
        assert_eq!(public.origin, "https://api.github.com");
        assert_eq!(public.rest_prefix, "");
        assert_eq!(public.graphql_path, "/graphql");
        let ghe = Endpoints::parse("https://ghe.example.com/api/v3/").unwrap();
        assert_eq!(ghe.origin, "https://ghe.example.com");
        assert_eq!(ghe.rest_prefix, "/api/v3");
        assert_eq!(ghe.graphql_path, "/api/graphql");
        let fake = Endpoints::parse("http://127.0.0.1:4000/").unwrap();
        assert_eq!(fake.rest_prefix, "");
        assert!(Endpoints::parse("nonsense").is_err());
    }

    fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            headers: map,
            body: body.into(),
        }
    }

    #[test]
    fn statuses_are_classified() {
        let secondary = classify(
            reply(
                403,
                &[("retry-after", "3")],
                r#"{"message":"You have exceeded a secondary rate limit."}"#,
            ),
            true,
        );
        assert!(matches!(
            secondary,
            Err(CallError::RateLimited { retry_after: Some(d), .. }) if d == Duration::from_secs(3)
        ));
        let primary = classify(
            reply(
                403,
                &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "99")],
                r#"{"message":"API rate limit exceeded"}"#,
            ),
            false,
        );
        assert!(matches!(
            primary,
            Err(CallError::RateLimited {
                reset: Some(99),
                ..
            })
        ));
        let forbidden = classify(
            reply(403, &[], r#"{"message":"Must have admin rights"}"#),
            true,
        );
        assert!(matches!(
            forbidden,
            Err(CallError::Forbidden { status: 403, .. })
        ));
        let server = classify(reply(502, &[], "Bad Gateway"), true);
        assert!(matches!(
            server,
            Err(CallError::Transient {
                maybe_applied: true,
                ..
            })
        ));
        let invalid = classify(
            reply(
                422,
                &[],
                r#"{"message":"Validation Failed","errors":[{"message":"A pull request already exists for o:b."}]}"#,
            ),
            true,
        );
        match invalid {
            Err(CallError::Rejected {
                status: 422,
                message,
            }) => {
                assert!(message.contains("already exists"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }
}
