//! The `[[phases]]`, `[gates.<ID>]` and `[policy]` sections: what must pass, in
//! which order, before work moves on, and which refs are protected.

use super::Category;
use crate::duration::Setting;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;
use toml::Spanned;

/// One phase of the work. Phases are numbered 0, 1, 2 … and completed in order.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseConfig {
    /// Its number: phases are 0, 1, 2 … in order, without gaps.
    pub id: Spanned<u32>,
    /// What people call it.
    pub name: String,
    /// Gate ids, run in this order.
    #[serde(default)]
    pub gates: Vec<Spanned<String>>,
    /// Evidence records of this phase required to complete it.
    #[serde(default)]
    pub evidence_min: u32,
    /// Distinct trusted signers who must approve the phase at the commit.
    #[serde(default)]
    pub approvals: u32,
}

impl PhaseConfig {
    /// Its gates' ids, in the order they run.
    pub fn gate_ids(&self) -> impl Iterator<Item = &str> {
        self.gates.iter().map(|g| g.get_ref().as_str())
    }
}

/// How long a gate may run when its config says nothing (10 minutes).
pub(crate) const DEFAULT_GATE_TIMEOUT_SECS: u64 = 600;

/// A check run as a shell command in a throwaway worktree of the commit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    /// The shell command; exit 0 passes.
    pub run: Spanned<String>,
    /// How long it may run (see [`GateConfig::timeout`]).
    #[serde(default = "default_timeout")]
    pub timeout: Setting,
    /// Added to the command's environment.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// What kind of check it is, as written; see [`GateConfig::category`].
    #[serde(default)]
    pub category: Option<Category>,
    /// Run in a fresh worktree rather than the pooled one, whose ignored
    /// build output (`target/`, `node_modules/`) survives between runs.
    #[serde(default)]
    pub clean: bool,
    /// A SARIF file the gate writes (relative to its worktree), imported as
    /// findings of the gate's commit after it runs.
    #[serde(default)]
    pub sarif: Option<Spanned<String>>,
    /// The least serious level of an open finding in the gate's scan that
    /// fails the gate (default `none`: findings never fail it).
    #[serde(default)]
    pub fail_on: FailOn,
}

/// `fail_on`: which findings of a gate's own scan fail it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "snake_case")]
pub enum FailOn {
    /// Findings never fail the gate.
    #[default]
    None,
    /// Any finding of level `note` or above.
    Note,
    /// Any finding of level `warning` or above.
    Warning,
    /// Any finding of level `error`.
    Error,
}

fn default_timeout() -> Setting {
    Setting::secs(DEFAULT_GATE_TIMEOUT_SECS)
}

impl GateConfig {
    /// How long the gate may run before it is killed.
    pub fn timeout(&self) -> Duration {
        self.timeout.0
    }

    /// What kind of check it is: as written, else inferred from `run` by
    /// [`Category::infer`].
    pub fn category(&self) -> Category {
        self.category
            .unwrap_or_else(|| Category::infer(self.run.get_ref()))
    }

    /// Whether [`GateConfig::category`] is inferred (the config does not say).
    pub fn category_inferred(&self) -> bool {
        self.category.is_none()
    }
}

/// The `[policy]` section: which refs the pre-push check protects.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// Ref patterns (`refs/heads/main`, `refs/heads/release/*`) a push to which
    /// needs the active phase's gates to have passed.
    #[serde(default)]
    pub protected: Vec<Spanned<String>>,
    /// Run missing gates during pre-push instead of refusing.
    #[serde(default)]
    pub run_missing_gates: bool,
    /// How long the pre-push hook waits for gates the daemon is running on
    /// the pushed tree; see [`PolicyConfig::wait_for_gates`].
    #[serde(default)]
    pub wait_for_gates: Option<crate::duration::Setting>,
    /// Whose gate results count where gates are required (src/config/ci.rs).
    #[serde(default)]
    pub gate_signers: super::ci::GateSigners,
}

impl PolicyConfig {
    /// `wait_for_gates`, default 10m.
    pub fn wait_for_gates(&self) -> std::time::Duration {
        self.wait_for_gates
            .unwrap_or_else(super::daemon::default_wait_for_gates)
            .0
    }

    /// Whether a push to `refname` needs the active phase's gates.
    pub fn is_protected(&self, refname: &str) -> bool {
        self.protected
            .iter()
            .any(|pattern| ref_pattern_matches(pattern.get_ref(), refname))
    }
}

/// `*` matches any run of characters (including `/`), as in git refspecs.
fn ref_pattern_matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Whether `id` can name a gate (or a patch validator).
pub(crate) fn valid_gate_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A problem found after parsing, with the span of the offending value (or the
/// header text to search for when there is no span).
pub(crate) struct Problem {
    /// Where the offending value is in the file.
    pub span: Option<std::ops::Range<usize>>,
    /// A text to find in the file when there is no span (a table header).
    pub search: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// Checks the sections against each other.
pub(crate) fn validate(
    phases: &[PhaseConfig],
    gates: &BTreeMap<String, GateConfig>,
    policy: &PolicyConfig,
) -> Result<(), Problem> {
    let at = |span: std::ops::Range<usize>, message: String| Problem {
        span: Some(span),
        search: None,
        message,
    };
    for (id, gate) in gates {
        let header = |message: String| Problem {
            span: None,
            search: Some(format!("[gates.{id}]")),
            message,
        };
        if !valid_gate_id(id) {
            return Err(header(format!(
                "gate id `{id}` must be 1-64 letters, digits, `-` or `_`"
            )));
        }
        if gate.run.get_ref().trim().is_empty() {
            return Err(at(
                gate.run.span(),
                format!("gate `{id}` has an empty `run`"),
            ));
        }
        if let Some(sarif) = &gate.sarif {
            let path = std::path::Path::new(sarif.get_ref());
            let inside = !sarif.get_ref().trim().is_empty()
                && path.is_relative()
                && path.components().all(|c| {
                    matches!(
                        c,
                        std::path::Component::Normal(_) | std::path::Component::CurDir
                    )
                });
            if !inside {
                return Err(at(
                    sarif.span(),
                    format!(
                        "gate `{id}`: `sarif` must be a path inside the gate's worktree, like \"target/clippy.sarif\""
                    ),
                ));
            }
        } else if gate.fail_on != FailOn::None {
            return Err(header(format!(
                "gate `{id}` sets `fail_on` but no `sarif` file to read findings from"
            )));
        }
    }
    for (index, phase) in phases.iter().enumerate() {
        let id = *phase.id.get_ref();
        if id as usize != index {
            let message = if phases[..index].iter().any(|p| *p.id.get_ref() == id) {
                format!("phase id {id} is used twice; phase ids are 0, 1, 2 … in order")
            } else {
                format!(
                    "expected phase id {index} here (phase ids are 0, 1, 2 … in order, without gaps), found {id}"
                )
            };
            return Err(at(phase.id.span(), message));
        }
        for (n, gate) in phase.gates.iter().enumerate() {
            let name = gate.get_ref();
            if !gates.contains_key(name) {
                let known: Vec<&str> = gates.keys().map(String::as_str).collect();
                return Err(at(
                    gate.span(),
                    format!(
                        "phase {id} names unknown gate `{name}` (defined: {})",
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            }
            if phase.gates[..n].iter().any(|g| g.get_ref() == name) {
                return Err(at(
                    gate.span(),
                    format!("phase {id} lists gate `{name}` twice"),
                ));
            }
        }
    }
    for pattern in &policy.protected {
        let text = pattern.get_ref();
        if !text.starts_with("refs/") || text.contains("**") || text.contains(char::is_whitespace) {
            return Err(at(
                pattern.span(),
                format!(
                    "`{text}` is not a ref pattern like refs/heads/main or refs/heads/release/*"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_like_refspecs() {
        assert!(ref_pattern_matches("refs/heads/main", "refs/heads/main"));
        assert!(!ref_pattern_matches("refs/heads/main", "refs/heads/main2"));
        assert!(ref_pattern_matches(
            "refs/heads/release/*",
            "refs/heads/release/1.0"
        ));
        assert!(ref_pattern_matches(
            "refs/heads/release/*",
            "refs/heads/release/a/b"
        ));
        assert!(!ref_pattern_matches(
            "refs/heads/release/*",
            "refs/heads/releases"
        ));
        assert!(ref_pattern_matches(
            "refs/heads/*-stable",
            "refs/heads/2.x-stable"
        ));
        assert!(!ref_pattern_matches(
            "refs/heads/*-stable",
            "refs/heads/stable"
        ));
    }
}
