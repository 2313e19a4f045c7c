//! `.auditops.toml`: the repository's policy, its schema, defaults and validation.
//!
//! Unknown keys are errors (a typo must not silently disable a control), and every
//! error names the file, the line and the key.

mod alerts;
mod category;
mod ci;
mod daemon;
mod findings;
mod github;
mod patch;
mod phases;

pub use alerts::AlertsConfig;
pub use category::{CATEGORY_BY_COMMAND, Category};
pub use ci::{CiConfig, GateSigners};
pub use daemon::{DaemonConfig, DaemonGates, DaemonSync};
pub use findings::{FindingsConfig, FindingsGroup};
pub use github::{GithubConfig, RepoNameError, check_repo_name};
pub use patch::{
    ALWAYS_PROTECTED, DEFAULT_WEIGHTS, PatchConfig, PatchMode, QueueConfig, ValidatorConfig,
};
pub use phases::{FailOn, GateConfig, PhaseConfig, PolicyConfig};

use crate::duration::Setting;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The policy file, at the top of the working tree.
pub const FILE_NAME: &str = ".auditops.toml";
/// The `version` this tool reads; another is refused rather than half-understood.
pub const SCHEMA_VERSION: u32 = 1;
/// Where the trust list is when `[trust] allowed_signers` does not say.
pub const DEFAULT_ALLOWED_SIGNERS: &str = ".auditops/allowed_signers";

/// The commented file `init` writes.
pub const TEMPLATE: &str = include_str!("../../templates/auditops.toml");

/// The whole of `.auditops.toml`, validated.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The schema version ([`SCHEMA_VERSION`]).
    #[serde(default = "default_version")]
    pub version: Spanned<u32>,
    /// `[trust]`: whose signatures count.
    #[serde(default)]
    pub trust: TrustConfig,
    /// `[state]`: where the state is kept.
    #[serde(default)]
    pub state: StateConfig,
    /// The phases, in order (`[[phases]]`).
    #[serde(default)]
    pub phases: Vec<PhaseConfig>,
    /// Gate definitions by id (`[gates.<ID>]`).
    #[serde(default)]
    pub gates: BTreeMap<String, GateConfig>,
    /// `[policy]`: which refs the pre-push check protects.
    #[serde(default)]
    pub policy: PolicyConfig,
    /// `[patch]`: how submitted patches are validated and decided.
    #[serde(default)]
    pub patch: PatchConfig,
    /// `[queue]`: limits of the review queue.
    #[serde(default)]
    pub queue: QueueConfig,
    /// Where and how the outbox reaches GitHub (`[github]`).
    #[serde(default)]
    pub github: GithubConfig,
    /// `[findings]`: issues for imported scanner findings.
    #[serde(default)]
    pub findings: FindingsConfig,
    /// `[cleanup]`: the approval gate of `cleanup run`.
    #[serde(default)]
    pub cleanup: CleanupConfig,
    /// `[daemon]`: the per-repository daemon (docs/daemon.md).
    #[serde(default)]
    pub daemon: DaemonConfig,
    /// `[alerts]`: failure-rate thresholds and alert channels.
    #[serde(default)]
    pub alerts: AlertsConfig,
    /// `[ci]`: what `ci check-push` does about a bypass.
    #[serde(default)]
    pub ci: CiConfig,
}

/// `[cleanup]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CleanupConfig {
    /// Distinct trusted signers whose approval of a report `cleanup run` needs.
    #[serde(default = "default_quarantine_approvals")]
    pub approvals: std::num::NonZeroU32,
    /// How long the tool's logs under `.git/auditops/logs/` are kept before
    /// `cleanup plan` proposes deleting them (default 30 days).
    #[serde(default = "default_log_retention")]
    pub log_retention: Setting,
}

fn default_log_retention() -> Setting {
    Setting::secs(30 * 86_400)
}

impl Default for CleanupConfig {
    fn default() -> Self {
        CleanupConfig {
            approvals: std::num::NonZeroU32::MIN,
            log_retention: default_log_retention(),
        }
    }
}

/// `[trust]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustConfig {
    /// Repository path of the allowed_signers file, read as committed at HEAD.
    #[serde(default = "default_allowed_signers")]
    pub allowed_signers: Spanned<String>,
    /// Whether records must be signed; `false` allows unsigned records.
    #[serde(default = "default_true")]
    pub require_signed: bool,
    /// Whether a command refuses to sign with a key the trust list at HEAD does
    /// not trust (so that no record others cannot verify reaches the remote).
    #[serde(default = "default_true")]
    pub require_trusted_signer: bool,
    /// How many distinct trusted signers must quarantine a record before it
    /// counts as quarantined.
    #[serde(default = "default_quarantine_approvals")]
    pub quarantine_approvals: std::num::NonZeroU32,
}

/// `[state]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateConfig {
    /// The state ref (`ref`), `refs/auditops/state` by default.
    #[serde(rename = "ref", default = "default_ref")]
    pub ref_name: Spanned<String>,
    /// How long a write waits for another live writer's lock of the state ref
    /// (`lock_timeout`) before exiting 4; a dead writer's lock is removed at once.
    #[serde(default = "default_lock_timeout")]
    pub lock_timeout: Setting,
}

fn default_lock_timeout() -> Setting {
    Setting(crate::store::DEFAULT_LOCK_TIMEOUT)
}
fn default_version() -> Spanned<u32> {
    Spanned::new(0..0, SCHEMA_VERSION)
}
fn default_allowed_signers() -> Spanned<String> {
    Spanned::new(0..0, DEFAULT_ALLOWED_SIGNERS.to_owned())
}
fn default_true() -> bool {
    true
}
fn default_quarantine_approvals() -> std::num::NonZeroU32 {
    std::num::NonZeroU32::MIN
}
fn default_ref() -> Spanned<String> {
    Spanned::new(0..0, crate::store::DEFAULT_REF.to_owned())
}

impl Default for TrustConfig {
    fn default() -> Self {
        TrustConfig {
            allowed_signers: default_allowed_signers(),
            require_signed: true,
            require_trusted_signer: true,
            quarantine_approvals: default_quarantine_approvals(),
        }
    }
}

impl Default for StateConfig {
    fn default() -> Self {
        StateConfig {
            ref_name: default_ref(),
            lock_timeout: default_lock_timeout(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            version: default_version(),
            trust: TrustConfig::default(),
            state: StateConfig::default(),
            phases: Vec::new(),
            gates: BTreeMap::new(),
            policy: PolicyConfig::default(),
            patch: PatchConfig::default(),
            queue: QueueConfig::default(),
            github: GithubConfig::default(),
            findings: FindingsConfig::default(),
            cleanup: CleanupConfig::default(),
            daemon: DaemonConfig::default(),
            alerts: AlertsConfig::default(),
            ci: CiConfig::default(),
        }
    }
}

/// Why the configuration cannot be used. Every message names the file; an
/// invalid value also names its line and key.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigError {
    /// A value is malformed, unknown or inconsistent with another.
    #[error("{}:{line}: {}{message}", file.display(), key.as_ref().map(|k| format!("key `{k}`: ")).unwrap_or_default())]
    Invalid {
        /// The file.
        file: PathBuf,
        /// 1-based line of the value at fault.
        line: usize,
        /// The dotted key (`gates.tests.timeout`), when one is on that line.
        key: Option<String>,
        /// What is wrong, and what would be right.
        message: String,
    },
    /// The file exists but could not be read (or, for `init`, written).
    #[error("cannot read {}: {message}", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// What the system said.
        message: String,
    },
    /// A command that needs the file found none.
    #[error("{} not found; create it with `git auditops init`", file.display())]
    Missing {
        /// Where it was looked for.
        file: PathBuf,
    },
}

/// A loaded configuration and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The validated configuration (the defaults when there is no file).
    pub config: Config,
    /// `None` when no file exists and the defaults are in force.
    pub file: Option<PathBuf>,
    /// The SHA-256 of the file's bytes (`None` with the defaults): a prepared
    /// pre-push decision holds only while the file is the one it was made with.
    pub digest: Option<crate::ids::Sha256>,
}

impl Config {
    /// The state ref.
    pub fn ref_name(&self) -> &str {
        self.state.ref_name.get_ref()
    }

    /// The repository path of the trust list, read as committed at HEAD.
    pub fn allowed_signers(&self) -> &str {
        self.trust.allowed_signers.get_ref()
    }

    /// Phase `id` (phase ids are their positions: 0, 1, 2 …).
    pub fn phase(&self, id: u32) -> Option<&PhaseConfig> {
        self.phases.get(id as usize)
    }

    /// The gate defined as `[gates.<id>]`.
    pub fn gate(&self, id: &str) -> Option<&GateConfig> {
        self.gates.get(id)
    }

    /// Parses and validates `text` read from `file`.
    pub fn parse(text: &str, file: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|err| {
            let line = err.span().map(|s| line_of(text, s.start)).unwrap_or(1);
            ConfigError::Invalid {
                file: file.to_owned(),
                line,
                key: key_at(text, line),
                message: err.message().trim().to_owned(),
            }
        })?;
        let invalid = |span: std::ops::Range<usize>, message: String| {
            let line = line_of(text, span.start);
            ConfigError::Invalid {
                file: file.to_owned(),
                line,
                key: key_at(text, line),
                message,
            }
        };
        if *config.version.get_ref() != SCHEMA_VERSION {
            return Err(invalid(
                config.version.span(),
                format!(
                    "schema version {} is not supported (this tool reads version {SCHEMA_VERSION})",
                    config.version.get_ref()
                ),
            ));
        }
        let signers = config.trust.allowed_signers.get_ref();
        if let Err(reason) = check_repo_path(signers) {
            return Err(invalid(
                config.trust.allowed_signers.span(),
                reason.to_string(),
            ));
        }
        let ref_name = config.state.ref_name.get_ref();
        if let Err(reason) = check_ref_name(ref_name) {
            return Err(invalid(config.state.ref_name.span(), reason.to_string()));
        }
        let problem = phases::validate(&config.phases, &config.gates, &config.policy)
            .and_then(|()| patch::validate(&config.patch));
        if let Err(problem) = problem {
            let offset = match (problem.span, problem.search) {
                (Some(span), _) => span.start,
                (None, Some(needle)) => text.find(&needle).unwrap_or(0),
                (None, None) => 0,
            };
            return Err(invalid(offset..offset, problem.message));
        }
        if let Err((span, message)) = github::validate(&config.github) {
            return Err(invalid(span, message));
        }
        if let Err((span, message)) = findings::validate(&config.findings) {
            return Err(invalid(span, message));
        }
        if let Err((span, message)) = alerts::validate(&config.alerts) {
            return Err(invalid(span, message));
        }
        if let Err((span, message)) = ci::validate(&config.policy.gate_signers, text) {
            return Err(invalid(span, message));
        }
        Ok(config)
    }

    /// Reads `.auditops.toml` at the top of `workdir`; the defaults when absent.
    pub fn load(workdir: Option<&Path>) -> Result<Loaded, ConfigError> {
        let Some(workdir) = workdir else {
            return Ok(Loaded {
                config: Config::default(),
                file: None,
                digest: None,
            });
        };
        let file = workdir.join(FILE_NAME);
        match std::fs::read_to_string(&file) {
            Ok(text) => Ok(Loaded {
                config: Config::parse(&text, &file)?,
                file: Some(file),
                digest: Some(crate::ids::Sha256::of(&text)),
            }),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Loaded {
                config: Config::default(),
                file: None,
                digest: None,
            }),
            Err(err) => Err(ConfigError::Read {
                file,
                message: err.to_string(),
            }),
        }
    }
}

/// Why a path or ref name given in the file cannot be used; the message
/// follows the file, line and key of [`ConfigError::Invalid`].
#[derive(Debug, thiserror::Error)]
enum ValueError {
    /// The path is absolute, empty, or reaches outside the work tree or into `.git`.
    #[error("`{path}` must be a relative path inside the repository (no `..`, no `.git`)")]
    OutsideRepository {
        /// The path as given.
        path: String,
    },
    /// A short ref name (`auditops`), which git would resolve in several ways.
    #[error("`{name}` must be a full ref name starting with refs/")]
    NotFullRef {
        /// The name as given.
        name: String,
    },
    /// A branch, tag or remote-tracking ref: tools that handle those would
    /// push, prune or check out the audit state.
    #[error(
        "`{name}` would mix the audit state with branches or tags; use a ref under refs/auditops/ or similar"
    )]
    BranchOrTag {
        /// The name as given.
        name: String,
    },
    /// Not a ref name git accepts.
    #[error("`{name}` is not a valid ref name: {error}")]
    InvalidRef {
        /// The name as given.
        name: String,
        /// What git's rules say (part of the message, not a separate cause).
        error: gix::validate::reference::name::Error,
    },
}

fn check_repo_path(path: &str) -> Result<(), ValueError> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path
            .split('/')
            .any(|c| c == ".." || c == ".git" || c.is_empty());
    if bad {
        Err(ValueError::OutsideRepository {
            path: path.to_owned(),
        })
    } else {
        Ok(())
    }
}

fn check_ref_name(name: &str) -> Result<(), ValueError> {
    if !name.starts_with("refs/") {
        return Err(ValueError::NotFullRef {
            name: name.to_owned(),
        });
    }
    if name.starts_with("refs/heads/")
        || name.starts_with("refs/tags/")
        || name.starts_with("refs/remotes/")
    {
        return Err(ValueError::BranchOrTag {
            name: name.to_owned(),
        });
    }
    gix::refs::FullName::try_from(name)
        .map(|_| ())
        .map_err(|error| ValueError::InvalidRef {
            name: name.to_owned(),
            error,
        })
}

/// 1-based line of byte `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The dotted key defined on `line` (`trust.allowed_signers`), from the nearest
/// table header above it; the header itself when the line is a header.
fn key_at(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let current = lines.get(line.checked_sub(1)?)?.trim();
    let header = |l: &str| -> Option<String> {
        let l = l.trim();
        let inner = l
            .strip_prefix("[[")
            .and_then(|r| r.strip_suffix("]]"))
            .or_else(|| l.strip_prefix('[').and_then(|r| r.strip_suffix(']')))?;
        Some(inner.trim().to_owned())
    };
    if let Some(table) = header(current) {
        return Some(table);
    }
    let (key, _) = current.split_once('=')?;
    let key = key.trim().trim_matches('"');
    if key.is_empty() || key.starts_with('#') {
        return None;
    }
    let table = lines[..line - 1].iter().rev().find_map(|l| header(l));
    Some(match table {
        Some(table) => format!("{table}.{key}"),
        None => key.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new(".auditops.toml"))
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn defaults_apply_to_an_empty_file() {
        let c = parse("").unwrap();
        assert_eq!(c.ref_name(), "refs/auditops/state");
        assert_eq!(c.allowed_signers(), ".auditops/allowed_signers");
        assert!(c.trust.require_signed);
    }

    #[test]
    fn the_template_is_valid() {
        parse(TEMPLATE).unwrap();
    }

    #[test]
    fn this_projects_own_policy_is_valid() {
        let own = parse(include_str!("../../.auditops.toml")).unwrap();
        assert_eq!(own.phases.len(), 1);
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let msg = error("version = 1\n\n[trust]\nrequire_signd = false\n");
        assert!(
            msg.starts_with(".auditops.toml:4: key `trust.require_signd`"),
            "{msg}"
        );
        assert!(msg.contains("unknown field"), "{msg}");
    }

    #[test]
    fn wrong_type_names_line_and_key() {
        let msg = error("[trust]\nrequire_signed = \"yes\"\n");
        assert!(
            msg.starts_with(".auditops.toml:2: key `trust.require_signed`"),
            "{msg}"
        );
    }

    #[test]
    fn bad_ref_names_line_and_key() {
        let msg = error("[state]\nref = \"refs/heads/main\"\n");
        assert!(
            msg.starts_with(".auditops.toml:2: key `state.ref`"),
            "{msg}"
        );
    }

    #[test]
    fn escaping_signers_path_is_refused() {
        let msg = error("[trust]\nallowed_signers = \"../outside\"\n");
        assert_eq!(
            msg,
            ".auditops.toml:2: key `trust.allowed_signers`: `../outside` must be a relative \
             path inside the repository (no `..`, no `.git`)"
        );
    }

    #[test]
    fn ref_name_messages() {
        let state = |name: &str| error(&format!("[state]\nref = \"{name}\"\n"));
        let at = ".auditops.toml:2: key `state.ref`: ";
        assert_eq!(
            state("auditops"),
            format!("{at}`auditops` must be a full ref name starting with refs/")
        );
        assert_eq!(
            state("refs/tags/x"),
            format!(
                "{at}`refs/tags/x` would mix the audit state with branches or tags; \
                 use a ref under refs/auditops/ or similar"
            )
        );
        let git_says = gix::refs::FullName::try_from("refs/a..b").unwrap_err();
        assert_eq!(
            state("refs/a..b"),
            format!("{at}`refs/a..b` is not a valid ref name: {git_says}")
        );
    }

    #[test]
    fn newer_schema_is_refused() {
        let msg = error("version = 2\n");
        assert!(msg.starts_with(".auditops.toml:1: key `version`"), "{msg}");
    }

    const PHASES: &str = "version = 1\n\n[[phases]]\nid = 0\nname = \"Setup\"\ngates = [\"lint\"]\n\n[[phases]]\nid = 1\nname = \"Build\"\ngates = [\"lint\", \"test\"]\nevidence_min = 2\napprovals = 1\n\n[gates.lint]\nrun = \"true\"\ncategory = \"quality\"\n\n[gates.test]\nrun = \"cargo test\"\ntimeout = \"20m\"\ncategory = \"testing\"\nenv = { RUST_LOG = \"info\" }\n\n[policy]\nprotected = [\"refs/heads/main\", \"refs/heads/release/*\"]\n";

    #[test]
    fn phases_gates_and_policy_parse() {
        let c = parse(PHASES).unwrap();
        assert_eq!(c.phases.len(), 2);
        assert_eq!(
            c.phase(1).unwrap().gate_ids().collect::<Vec<_>>(),
            ["lint", "test"]
        );
        assert_eq!(c.gate("test").unwrap().timeout().as_secs(), 1200);
        assert_eq!(c.gate("lint").unwrap().timeout().as_secs(), 600);
        assert!(c.policy.is_protected("refs/heads/release/2.0"));
        assert!(!c.policy.is_protected("refs/heads/feature"));
        assert!(!c.policy.run_missing_gates);
    }

    #[test]
    fn phase_problems_name_line_and_key() {
        let gap = PHASES.replace("id = 1", "id = 2");
        let msg = error(&gap);
        assert!(
            msg.starts_with(".auditops.toml:9: key `phases.id`"),
            "{msg}"
        );
        assert!(msg.contains("expected phase id 1"), "{msg}");

        let dup = PHASES.replace("id = 1", "id = 0");
        assert!(error(&dup).contains("used twice"));

        let unknown = PHASES.replace("[\"lint\", \"test\"]", "[\"lint\", \"tset\"]");
        let msg = error(&unknown);
        assert!(
            msg.starts_with(".auditops.toml:11: key `phases.gates`"),
            "{msg}"
        );
        assert!(msg.contains("unknown gate `tset`"), "{msg}");

        let duration = PHASES.replace("\"20m\"", "\"20 minutes\"");
        let msg = error(&duration);
        assert_eq!(
            msg,
            ".auditops.toml:21: key `gates.test.timeout`: \
             `20 minutes` is not a duration like 90s, 10m, 1h30m or 72h"
        );

        let category = PHASES.replace("\"quality\"", "\"vibes\"");
        let msg = error(&category);
        assert!(
            msg.starts_with(".auditops.toml:17: key `gates.lint.category`"),
            "{msg}"
        );

        let pattern = PHASES.replace("\"refs/heads/main\"", "\"main\"");
        let msg = error(&pattern);
        assert!(msg.contains("key `policy.protected`"), "{msg}");

        let dup_gate = format!("{PHASES}\n[gates.lint]\nrun = \"x\"\ncategory = \"quality\"\n");
        assert!(error(&dup_gate).contains("gates.lint"));
    }

    #[test]
    fn github_section_parses_and_names_bad_keys() {
        let c =
            parse("[github]\nrepo = \"octo/demo\"\nquota_floor = 100\nwrite_interval = \"10ms\"\n")
                .unwrap();
        assert_eq!(c.github.repo(), Some("octo/demo"));
        assert_eq!(c.github.quota_floor, 100);
        assert_eq!(c.github.write_interval().as_millis(), 10);
        assert_eq!(*c.github.max_issues_per_run.get_ref(), 10);
        assert_eq!(c.github.auto_close_after().as_secs(), 72 * 3600);
        for (text, key) in [
            ("repo = \"nonsense\"", "github.repo"),
            ("auto_close_after = \"3 days\"", "github.auto_close_after"),
            ("api_url = \"ftp://x\"", "github.api_url"),
            ("max_issues_per_run = 0", "github.max_issues_per_run"),
            ("backoff_multiplier = 0.5", "github.backoff_multiplier"),
            ("quota_flor = 1", "github.quota_flor"),
        ] {
            let msg = error(&format!("[github]\n{text}\n"));
            assert!(
                msg.starts_with(&format!(".auditops.toml:2: key `{key}`")),
                "{msg}"
            );
        }
    }

    #[test]
    fn syntax_error_names_the_line() {
        let msg = error("[trust]\nrequire_signed = \n");
        assert!(msg.starts_with(".auditops.toml:2:"), "{msg}");
    }
}
