//! Learning from failures: failure signatures, the rules people accept for
//! them, and what those rules do when a gate or validator fails again.
//!
//! A failure's signature ([`signature`]) is recorded with every failed gate
//! result and validator score. `rules propose` groups recorded failures by
//! signature; `rules accept` and `rules reject` record a person's decision as
//! a signed `rule` record; the gate runner consults accepted rules when a gate
//! fails ([`work`]).

pub mod decide;
mod error;
pub(crate) mod fix;
pub(crate) mod history;
pub mod learned;
pub mod patterns;
pub mod propose;
pub mod record;
pub mod signature;
pub mod work;

pub use decide::{Acceptance, Listed, accept, list, reject, show};
pub use error::RulesError;
pub use learned::Learned;
pub use propose::{Proposal, propose};
pub use record::{Confidence, Rule, RuleAction, Verdict};
pub use signature::{Signature, signature};

/// A `--since` window.
pub(crate) fn parse_since(text: &str) -> Result<std::time::Duration, RulesError> {
    crate::duration::parse(text).map_err(|_| RulesError::BadSince(text.to_owned()))
}
