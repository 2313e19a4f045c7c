//! What a gate result or validator score says about its failure: the
//! signature, and what a learned rule did about it.

use super::Signature;
use serde::{Deserialize, Serialize};

/// Recorded with every failed gate result and validator score, and with a
/// pass that needed a retry (a flaky pass).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Learned {
    /// The failure's signature (of the first attempt, for a retried one).
    pub signature: Signature,
    /// The accepted rule whose signature it has (`rule_<sha256>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The rule's guidance, as it was when the check failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance: Option<String>,
    /// Why it was run a second time, when a `retry` rule did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retried: Option<String>,
    /// It failed, then passed on the retry: a flaky pass, never a plain one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub flaky: bool,
}

impl Learned {
    /// A failure no rule knows (yet).
    pub fn failure(signature: Signature) -> Self {
        Learned {
            signature,
            rule: None,
            guidance: None,
            retried: None,
            flaky: false,
        }
    }
}
