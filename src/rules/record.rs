//! The signed `rule` record: a person's decision about a failure signature.
//!
//! Keyed by the signature's SHA-256, so that every clone's decisions about
//! one signature sit together and merge by union; when a signature has more
//! than one, the latest counts.

use crate::config::Category;
use crate::ids::Sha256;
use crate::records::{KeyedKind, RecordError};
use crate::sign::Subject;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// How often a signature was seen, as the proposal ranks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Fewer than 5 occurrences.
    Low,
    /// 5 to 9.
    Medium,
    /// 10 or more.
    High,
}

impl Confidence {
    /// The confidence of `count` occurrences.
    pub fn of(count: usize) -> Self {
        match count {
            10.. => Confidence::High,
            5..=9 => Confidence::Medium,
            _ => Confidence::Low,
        }
    }
}

/// What a rule does when its signature fails again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RuleAction {
    /// Only print the guidance.
    #[default]
    None,
    /// Run the check once more after a backoff.
    Retry,
    /// Run the fix command and submit its diff as a patch.
    Fix,
}

/// Accepted or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The rule is in force.
    Accepted,
    /// The signature is not proposed again.
    Rejected,
}

crate::patch::records::display_as_serialized!(Confidence, RuleAction, Verdict);

/// A decision about one failure signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Version of this record's shape.
    pub schema_version: u32,
    /// `rule_<sha256 of the signature>`.
    pub id: String,
    /// The signature's SHA-256 (also the key).
    pub signature: Sha256,
    /// The signature's normalized text.
    pub signature_text: String,
    /// The failures' category.
    pub category: Category,
    /// Accepted or rejected.
    pub verdict: Verdict,
    /// What to tell the developer (redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance: Option<String>,
    /// What to do.
    pub action: RuleAction,
    /// The fix command, for `action = "fix"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Marked flaky: a retry is allowed whatever the category.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub flaky: bool,
    /// Why it was rejected (redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The proposal's confidence when decided.
    pub confidence: Confidence,
    /// How many failures had the signature when decided.
    pub frequency: usize,
    /// The failure records it was learned from.
    pub learned_from: Vec<String>,
    /// When.
    pub created_at: Timestamp,
    /// The key that signed the decision (absent when unsigned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyid: Option<String>,
}

/// A rule's id: `rule_` and the signature's SHA-256.
pub fn rule_id(signature: &Sha256) -> String {
    format!("rule_{}", signature.to_hex())
}

/// Whether `action` may be taken for failures of `category`.
pub fn retry_allowed(category: Category, flaky: bool) -> bool {
    flaky || matches!(category, Category::Infrastructure | Category::Dependencies)
}

impl KeyedKind for Rule {
    const KIND: &'static str = "rule";

    fn key(&self) -> Vec<String> {
        vec![self.signature.to_hex()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![Subject::new(
            "failure-signature",
            "sha256",
            self.signature.to_hex(),
        )]
    }

    fn unix_seconds(&self) -> Option<i64> {
        Some(self.created_at.as_second())
    }

    fn check(&self) -> Result<(), RecordError> {
        if self.id != rule_id(&self.signature) {
            return Err(RecordError::Invalid(format!(
                "rule id {} is not rule_<signature>",
                self.id
            )));
        }
        if Sha256::of(self.signature_text.as_bytes()) != self.signature {
            return Err(RecordError::Invalid(
                "signature is not the SHA-256 of signature_text".into(),
            ));
        }
        if self.action == RuleAction::Fix && self.fix.is_none() {
            return Err(RecordError::Invalid("a fix rule without a command".into()));
        }
        if self.action == RuleAction::Retry && !retry_allowed(self.category, self.flaky) {
            return Err(RecordError::Invalid(format!(
                "a retry rule for {} failures not marked flaky",
                self.category
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_follows_the_count() {
        assert_eq!(Confidence::of(1), Confidence::Low);
        assert_eq!(Confidence::of(4), Confidence::Low);
        assert_eq!(Confidence::of(5), Confidence::Medium);
        assert_eq!(Confidence::of(9), Confidence::Medium);
        assert_eq!(Confidence::of(10), Confidence::High);
    }

    #[test]
    fn retry_is_for_infrastructure_dependencies_or_flaky_checks() {
        assert!(retry_allowed(Category::Infrastructure, false));
        assert!(retry_allowed(Category::Dependencies, false));
        assert!(!retry_allowed(Category::Testing, false));
        assert!(retry_allowed(Category::Testing, true));
    }
}
