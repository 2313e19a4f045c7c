//! The part of SARIF 2.1.0 that findings are made of, as serde types of our
//! own, read with `serde_path_to_error` so that a malformed file is refused
//! with the JSON path of the problem (`runs[0].results[3].locations`).
//!
//! Why our own types and not `serde-sarif`: we read about fifteen fields of a
//! schema with hundreds, and want a field we depend on to be refused when it has
//! the wrong shape, while everything else a tool adds is ignored.

use serde::Deserialize;
use std::collections::BTreeMap;

/// A SARIF log: the whole file.
#[derive(Debug, Clone, Deserialize)]
pub struct Log {
    /// Must be `2.1.0`.
    pub version: String,
    /// One run per tool invocation.
    pub runs: Vec<Run>,
}

/// One run of one tool.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    /// The tool.
    pub tool: Tool,
    /// What it found (absent: nothing).
    #[serde(default)]
    pub results: Vec<SarifResult>,
    /// The files it looked at, when the tool lists them: the scan's coverage.
    #[serde(default)]
    pub artifacts: Option<Vec<Artifact>>,
    /// The run's identity among runs of the same tool (`automationDetails.id`).
    #[serde(default)]
    pub automation_details: Option<AutomationDetails>,
    /// How the tool ran; a failed invocation covers nothing.
    #[serde(default)]
    pub invocations: Vec<Invocation>,
}

/// `tool`.
#[derive(Debug, Clone, Deserialize)]
pub struct Tool {
    /// `tool.driver`.
    pub driver: Driver,
}

/// `tool.driver`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    /// The tool's name.
    pub name: String,
    /// Its version.
    #[serde(default)]
    pub version: Option<String>,
    /// Its semantic version, when `version` is absent.
    #[serde(default)]
    pub semantic_version: Option<String>,
    /// Its rules (for default levels).
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// `tool.driver.rules[]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// The rule's id.
    pub id: String,
    /// Its default configuration.
    #[serde(default)]
    pub default_configuration: Option<RuleConfiguration>,
}

/// `defaultConfiguration`.
#[derive(Debug, Clone, Deserialize)]
pub struct RuleConfiguration {
    /// The rule's default level.
    #[serde(default)]
    pub level: Option<Level>,
}

/// SARIF's `level`: how serious a result is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Not a problem (a pass, or informational).
    None,
    /// A note.
    Note,
    /// A warning (SARIF's default).
    Warning,
    /// An error.
    Error,
}

impl Level {
    /// The level's name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `results[]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    /// The rule that fired.
    #[serde(default)]
    pub rule_id: Option<String>,
    /// The rule, by reference (`rule.id`), when `ruleId` is absent.
    #[serde(default)]
    pub rule: Option<RuleReference>,
    /// The rule's index in `tool.driver.rules`.
    #[serde(default)]
    pub rule_index: Option<usize>,
    /// The result's level; default: the rule's, else `warning`.
    #[serde(default)]
    pub level: Option<Level>,
    /// What the tool says.
    pub message: Message,
    /// Where.
    #[serde(default)]
    pub locations: Vec<Location>,
    /// The tool's own stable identities of the result.
    #[serde(default)]
    pub partial_fingerprints: BTreeMap<String, String>,
}

/// `rule` of a result.
#[derive(Debug, Clone, Deserialize)]
pub struct RuleReference {
    /// The rule's id.
    #[serde(default)]
    pub id: Option<String>,
    /// Its index.
    #[serde(default)]
    pub index: Option<usize>,
}

/// `message`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Message {
    /// Plain text.
    #[serde(default)]
    pub text: Option<String>,
    /// Markdown.
    #[serde(default)]
    pub markdown: Option<String>,
    /// A message id in the rule's strings (kept when there is no text).
    #[serde(default)]
    pub id: Option<String>,
}

impl Message {
    /// The text, else the Markdown, else the id.
    pub fn text(&self) -> &str {
        self.text
            .as_deref()
            .or(self.markdown.as_deref())
            .or(self.id.as_deref())
            .unwrap_or_default()
    }
}

/// `locations[]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// A place in a file.
    #[serde(default)]
    pub physical_location: Option<PhysicalLocation>,
}

/// `physicalLocation`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    /// The file.
    #[serde(default)]
    pub artifact_location: Option<ArtifactLocation>,
    /// The lines.
    #[serde(default)]
    pub region: Option<Region>,
}

/// `artifactLocation`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    /// The file's URI (usually relative to the repository).
    #[serde(default)]
    pub uri: Option<String>,
}

/// `region`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// First line, 1-based.
    #[serde(default)]
    pub start_line: Option<u64>,
    /// Last line; default: the first.
    #[serde(default)]
    pub end_line: Option<u64>,
    /// The text the tool quotes.
    #[serde(default)]
    pub snippet: Option<Snippet>,
}

/// `snippet`.
#[derive(Debug, Clone, Deserialize)]
pub struct Snippet {
    /// The quoted text.
    #[serde(default)]
    pub text: Option<String>,
}

/// `artifacts[]`.
#[derive(Debug, Clone, Deserialize)]
pub struct Artifact {
    /// Where the artifact is.
    #[serde(default)]
    pub location: Option<ArtifactLocation>,
}

/// `automationDetails`.
#[derive(Debug, Clone, Deserialize)]
pub struct AutomationDetails {
    /// The run's category, e.g. `nightly/` or `ci/lint`.
    #[serde(default)]
    pub id: Option<String>,
}

/// `invocations[]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    /// Whether the tool ran to the end.
    #[serde(default = "yes")]
    pub execution_successful: bool,
}

fn yes() -> bool {
    true
}

/// Why bytes are not a SARIF 2.1.0 log we can read.
#[derive(Debug, thiserror::Error)]
pub enum SarifError {
    /// Not JSON, or a field of the wrong shape; `path` says where.
    #[error("at `{path}`: {message}")]
    Shape {
        /// The JSON path (`runs[0].results[3].locations`), `.` for the top.
        path: String,
        /// What serde found.
        message: String,
    },
    /// Another SARIF version.
    #[error("at `version`: SARIF {0} is not supported; give SARIF 2.1.0")]
    Version(String),
}

/// Reads `bytes` as a SARIF 2.1.0 log.
pub fn parse(bytes: &[u8]) -> Result<Log, SarifError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let log: Log = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        SarifError::Shape {
            path,
            message: err.into_inner().to_string(),
        }
    })?;
    if log.version != "2.1.0" {
        return Err(SarifError::Version(log.version));
    }
    Ok(log)
}

impl Run {
    /// The rule id of `result`: its `ruleId`, its `rule.id`, or the id of the
    /// rule its index names; `-` when none is given.
    pub fn rule_id(&self, result: &SarifResult) -> String {
        let by_index = || {
            let index = result
                .rule_index
                .or(result.rule.as_ref().and_then(|r| r.index))?;
            self.tool.driver.rules.get(index).map(|r| r.id.clone())
        };
        result
            .rule_id
            .clone()
            .or_else(|| result.rule.as_ref().and_then(|r| r.id.clone()))
            .or_else(by_index)
            .unwrap_or_else(|| "-".to_owned())
    }

    /// The level of `result`: its own, else its rule's default, else `warning`.
    pub fn level(&self, result: &SarifResult, rule_id: &str) -> Level {
        result.level.unwrap_or_else(|| {
            self.tool
                .driver
                .rules
                .iter()
                .find(|r| r.id == rule_id)
                .and_then(|r| r.default_configuration.as_ref()?.level)
                .unwrap_or(Level::Warning)
        })
    }

    /// The tool's version: `version`, else `semanticVersion`.
    pub fn tool_version(&self) -> Option<String> {
        let driver = &self.tool.driver;
        driver.version.clone().or(driver.semantic_version.clone())
    }

    /// The run's automation id (empty when none is given).
    pub fn automation_id(&self) -> String {
        self.automation_details
            .as_ref()
            .and_then(|a| a.id.clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_json_path() {
        let bad = br#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}},
            "results": [{"message": {"text": "m"}}, {"message": {"text": "m"}, "locations": 7}]}]}"#;
        let err = parse(bad).unwrap_err().to_string();
        assert!(err.contains("runs[0].results[1].locations"), "{err}");
        let err = parse(br#"{"version": "2.0.0", "runs": []}"#).unwrap_err();
        assert!(err.to_string().contains("2.0.0"), "{err}");
        let err = parse(b"{").unwrap_err().to_string();
        assert!(err.contains("EOF"), "{err}");
    }

    #[test]
    fn levels_default_to_the_rule_then_warning() {
        let log = parse(
            br#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t", "rules": [
                {"id": "r1", "defaultConfiguration": {"level": "error"}}]}},
            "results": [{"ruleIndex": 0, "message": {"text": "a"}}, {"ruleId": "r2", "message": {"text": "b"}}]}]}"#,
        )
        .unwrap();
        let run = &log.runs[0];
        let rule = run.rule_id(&run.results[0]);
        assert_eq!(rule, "r1");
        assert_eq!(run.level(&run.results[0], &rule), Level::Error);
        assert_eq!(run.level(&run.results[1], "r2"), Level::Warning);
    }
}
