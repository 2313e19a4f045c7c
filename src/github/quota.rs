//! The API quota as GitHub reports it in every response
//! (`x-ratelimit-limit`, `-remaining`, `-reset`, `-used`), and the guard
//! that stops a run before the next operation when it falls below the floor.

use http::HeaderMap;
use serde::{Deserialize, Serialize};

/// The rate-limit window of the token, as last reported by GitHub.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    /// Requests allowed per window.
    pub limit: Option<u64>,
    /// Requests left in this window.
    pub remaining: Option<u64>,
    /// When the window resets (Unix seconds).
    pub reset: Option<i64>,
    /// Requests used in this window.
    pub used: Option<u64>,
}

fn header<T: std::str::FromStr>(headers: &HeaderMap, name: &str) -> Option<T> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

impl Quota {
    /// Takes the rate-limit headers of a response (any status), if present.
    pub(crate) fn update(&mut self, headers: &HeaderMap) {
        if let Some(remaining) = header(headers, "x-ratelimit-remaining") {
            self.remaining = Some(remaining);
            self.limit = header(headers, "x-ratelimit-limit").or(self.limit);
            self.reset = header(headers, "x-ratelimit-reset").or(self.reset);
            self.used = header(headers, "x-ratelimit-used").or(self.used);
        }
    }

    /// Whether fewer than `floor` requests are known to remain.
    pub(crate) fn below(&self, floor: u64) -> bool {
        self.remaining.is_some_and(|r| r < floor)
    }

    /// The reset time, if known.
    pub(crate) fn reset_time(&self) -> Option<crate::time::Timestamp> {
        self.reset.and_then(crate::time::Timestamp::from_second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_headers_and_guards() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", "499".parse().unwrap());
        headers.insert("x-ratelimit-limit", "5000".parse().unwrap());
        headers.insert("x-ratelimit-reset", "1767225600".parse().unwrap());
        let mut quota = Quota::default();
        assert!(!quota.below(500));
        quota.update(&headers);
        assert_eq!(quota.remaining, Some(499));
        assert!(quota.below(500));
        assert!(!quota.below(499));
        assert_eq!(
            quota.reset_time().map(|t| t.to_string()).as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
        quota.update(&HeaderMap::new());
        assert_eq!(quota.remaining, Some(499));
    }
}
