//! The `[patch]` and `[queue]` sections: how patches are validated and decided,
//! and when the review queue needs attention.

use super::Category;
use crate::duration::Setting;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;
use toml::Spanned;

/// What `patch submit` may do with a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PatchMode {
    /// Merge patches whose confidence reaches `auto_merge`.
    Automatic,
    /// Never merge automatically: pull requests and reviews at most.
    #[default]
    Supervised,
    /// Record the decision and act on nothing.
    AnalysisOnly,
}

impl std::fmt::Display for PatchMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            PatchMode::Automatic => "automatic",
            PatchMode::Supervised => "supervised",
            PatchMode::AnalysisOnly => "analysis_only",
        })
    }
}

/// Default weights of the validators the seeds name; others must give a weight.
pub const DEFAULT_WEIGHTS: &[(&str, f64)] = &[
    ("tests", 0.4),
    ("lint", 0.2),
    ("typecheck", 0.15),
    ("security", 0.15),
    ("coverage", 0.1),
];

/// Paths a patch may never change without a person deciding. `protected_paths`
/// adds to these; the trust file of `[trust] allowed_signers` is protected too.
pub const ALWAYS_PROTECTED: &[&str] = &[
    ".github/workflows/**",
    "**/*.pem",
    "**/.env*",
    "**/id_rsa*",
    "**/id_ed25519*",
    ".auditops.toml",
];

/// One `[patch.validators.<name>]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorConfig {
    /// The shell command, run in the patched worktree.
    pub run: Spanned<String>,
    /// Its weight (default: [`DEFAULT_WEIGHTS`] for the names it lists).
    pub weight: Option<Spanned<f64>>,
    /// How long one attempt may run.
    #[serde(default = "default_timeout")]
    pub timeout: Setting,
    /// What it checks, as written; see [`ValidatorConfig::category`].
    #[serde(default)]
    pub category: Option<Category>,
}

fn default_timeout() -> Setting {
    Setting::secs(600)
}

impl ValidatorConfig {
    /// How long one attempt may run.
    pub fn timeout(&self) -> Duration {
        self.timeout.0
    }

    /// What it checks: as written, else inferred from `run` by
    /// [`Category::infer`].
    pub fn category(&self) -> Category {
        self.category
            .unwrap_or_else(|| Category::infer(self.run.get_ref()))
    }

    /// Whether [`ValidatorConfig::category`] is inferred (the config does not say).
    pub fn category_inferred(&self) -> bool {
        self.category.is_none()
    }
}

/// The `[patch]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchConfig {
    /// What `patch submit` may do with a decision.
    #[serde(default)]
    pub mode: PatchMode,
    /// Confidence at or above which a patch may be merged (automatic mode).
    #[serde(default = "default_auto_merge")]
    pub auto_merge: Spanned<f64>,
    /// Confidence at or above which a patch becomes a pull request.
    #[serde(default = "default_pull_request")]
    pub pull_request: Spanned<f64>,
    /// Retries of a validator that timed out, with exponential backoff.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// The first backoff before retrying a timed-out validator (doubles each time).
    #[serde(default = "default_backoff")]
    pub retry_backoff: Setting,
    /// How long to wait for another patch's validation to finish.
    #[serde(default = "default_lock_timeout")]
    pub lock_timeout: Setting,
    /// Globs (`**` for any folders) of paths a patch may not change without review.
    #[serde(default)]
    pub protected_paths: Vec<Spanned<String>>,
    /// The validators, by name.
    #[serde(default)]
    pub validators: BTreeMap<String, ValidatorConfig>,
}

fn default_auto_merge() -> Spanned<f64> {
    Spanned::new(0..0, 0.95)
}
fn default_pull_request() -> Spanned<f64> {
    Spanned::new(0..0, 0.80)
}
fn default_retries() -> u32 {
    2
}
fn default_backoff() -> Setting {
    Setting::secs(1)
}
fn default_lock_timeout() -> Setting {
    Setting::secs(30 * 60)
}

impl Default for PatchConfig {
    fn default() -> Self {
        PatchConfig {
            mode: PatchMode::default(),
            auto_merge: default_auto_merge(),
            pull_request: default_pull_request(),
            retries: default_retries(),
            retry_backoff: default_backoff(),
            lock_timeout: default_lock_timeout(),
            protected_paths: Vec::new(),
            validators: BTreeMap::new(),
        }
    }
}

impl PatchConfig {
    /// How long to wait for the worktree pool.
    pub fn lock_timeout(&self) -> Duration {
        self.lock_timeout.0
    }

    /// The first backoff before retrying a timed-out validator.
    pub fn retry_backoff(&self) -> Duration {
        self.retry_backoff.0
    }

    /// Each configured validator with its weight normalised so they sum to 1.
    pub fn weights(&self) -> Vec<(&str, &ValidatorConfig, f64)> {
        let raw: Vec<(&str, &ValidatorConfig, f64)> = self
            .validators
            .iter()
            .map(|(name, v)| (name.as_str(), v, weight_of(name, v).unwrap_or(0.0)))
            .collect();
        let total: f64 = raw.iter().map(|(_, _, w)| w).sum();
        raw.into_iter()
            .map(|(n, v, w)| (n, v, if total > 0.0 { w / total } else { 0.0 }))
            .collect()
    }
}

fn weight_of(name: &str, validator: &ValidatorConfig) -> Option<f64> {
    validator.weight.as_ref().map(|w| *w.get_ref()).or_else(|| {
        DEFAULT_WEIGHTS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, w)| *w)
    })
}

/// The `[queue]` section: when the review queue needs attention.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// More pending items than this is critical (more than half, a warning).
    #[serde(default = "default_max_pending")]
    pub max_pending: u32,
    /// An item waiting longer than this is critical (more than half, a warning).
    #[serde(default = "default_max_age")]
    pub max_age: Setting,
}

fn default_max_pending() -> u32 {
    10
}
fn default_max_age() -> Setting {
    Setting::secs(72 * 3600)
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            max_pending: default_max_pending(),
            max_age: default_max_age(),
        }
    }
}

impl QueueConfig {
    /// An item waiting longer than this is critical.
    pub fn max_age(&self) -> Duration {
        self.max_age.0
    }
}

/// Checks the sections' values against each other.
pub fn validate(patch: &PatchConfig) -> Result<(), super::phases::Problem> {
    let at = |span: std::ops::Range<usize>, message: String| super::phases::Problem {
        span: Some(span),
        search: None,
        message,
    };
    let header = |needle: String, message: String| super::phases::Problem {
        span: None,
        search: Some(needle),
        message,
    };
    for threshold in [&patch.auto_merge, &patch.pull_request] {
        if !(0.0..=1.0).contains(threshold.get_ref()) {
            return Err(at(
                threshold.span(),
                format!("{} is not between 0 and 1", threshold.get_ref()),
            ));
        }
    }
    if patch.pull_request.get_ref() > patch.auto_merge.get_ref() {
        return Err(at(
            patch.pull_request.span(),
            "pull_request must not be above auto_merge".into(),
        ));
    }
    for glob in &patch.protected_paths {
        if glob.get_ref().trim().is_empty() || glob.get_ref().starts_with('/') {
            return Err(at(
                glob.span(),
                "a protected path is a repository-relative glob like `deploy/**`".into(),
            ));
        }
    }
    for (name, validator) in &patch.validators {
        let here = format!("[patch.validators.{name}]");
        if !super::phases::valid_gate_id(name) {
            return Err(header(
                here,
                format!("validator name `{name}` must be 1-64 letters, digits, `-` or `_`"),
            ));
        }
        if validator.run.get_ref().trim().is_empty() {
            return Err(at(
                validator.run.span(),
                format!("validator `{name}` has an empty `run`"),
            ));
        }
        match &validator.weight {
            Some(weight) if !(*weight.get_ref() > 0.0 && weight.get_ref().is_finite()) => {
                return Err(at(
                    weight.span(),
                    format!("validator `{name}` needs a positive weight"),
                ));
            }
            None if weight_of(name, validator).is_none() => {
                return Err(header(
                    here,
                    format!(
                        "validator `{name}` needs a `weight` (only tests, lint, typecheck, security and coverage have defaults)"
                    ),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}
