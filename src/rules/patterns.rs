//! Bootstrap patterns (`templates/rules.toml`, overridable by a committed
//! `.auditops/templates/rules.toml`): suggested guidance and actions for
//! common failures, so that a proposal arrives with a text to accept.

use super::RulesError;
use super::record::{RuleAction, retry_allowed};
use crate::config::Category;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The shipped patterns.
pub const TEMPLATE: &str = include_str!("../../templates/rules.toml");

/// Where a repository overrides them, relative to its work tree.
pub const OVERRIDE: &str = ".auditops/templates/rules.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    patterns: Vec<RawPattern>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPattern {
    name: String,
    #[serde(rename = "match")]
    pattern: String,
    guidance: String,
    #[serde(default)]
    action: RuleAction,
    fix: Option<String>,
}

/// One pattern, checked.
#[derive(Debug)]
pub struct Pattern {
    name: String,
    pattern: Regex,
    suggestion: Suggestion,
}

/// What a pattern suggests for a signature it matches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    /// The pattern's name.
    pub pattern: String,
    /// Suggested guidance.
    pub guidance: String,
    /// Suggested action (`none` when the pattern's is not allowed for the category).
    pub action: RuleAction,
    /// The fix command, for a fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// The patterns in force for the repository at `workdir`.
pub fn load(workdir: Option<&Path>) -> Result<Vec<Pattern>, RulesError> {
    if let Some(path) = workdir.map(|w| w.join(OVERRIDE))
        && let Ok(text) = std::fs::read_to_string(&path)
    {
        return parse(&text, &path);
    }
    parse(TEMPLATE, Path::new("templates/rules.toml"))
}

/// Parses and checks a patterns file; errors name the field.
pub fn parse(text: &str, file: &Path) -> Result<Vec<Pattern>, RulesError> {
    let bad = |field: String, message: String| RulesError::Patterns {
        file: PathBuf::from(file),
        field,
        message,
    };
    let raw: File = toml::from_str(text).map_err(|err| {
        let at = err
            .span()
            .map(|span| span.start)
            .unwrap_or(0)
            .min(text.len());
        let line = text[..at].lines().count().max(1);
        bad(
            toml_field(text, at, err.message()),
            format!("line {line}: {}", err.message()),
        )
    })?;
    raw.patterns
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let field = |name: &str| format!("patterns[{i}].{name}");
            let pattern = Regex::new(&p.pattern)
                .map_err(|err| bad(field("match"), format!("not a regular expression: {err}")))?;
            if p.guidance.trim().is_empty() {
                return Err(bad(field("guidance"), "must not be empty".into()));
            }
            match (p.action, &p.fix) {
                (RuleAction::Fix, None) => {
                    return Err(bad(field("fix"), "a fix pattern needs the command".into()));
                }
                (RuleAction::None | RuleAction::Retry, Some(_)) => {
                    return Err(bad(field("fix"), "only a fix pattern has a command".into()));
                }
                _ => {}
            }
            Ok(Pattern {
                suggestion: Suggestion {
                    pattern: p.name.clone(),
                    guidance: p.guidance,
                    action: p.action,
                    fix: p.fix,
                },
                name: p.name,
                pattern,
            })
        })
        .collect()
}

/// The field a TOML error is about: `patterns[i].key`, from the error's
/// position (the pattern is the last `[[patterns]]` before it) and the key
/// on its line, or the unknown field the message names.
fn toml_field(text: &str, at: usize, message: &str) -> String {
    let before = &text[..at];
    let index = before.matches("[[patterns]]").count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    let key = match message.contains("unknown field") {
        true => message.split('`').nth(1).unwrap_or("").to_owned(),
        false => line.split('=').next().unwrap_or("").trim().to_owned(),
    };
    match (index, key.is_empty() || key.starts_with('[')) {
        (0, _) => "patterns".into(),
        (i, true) => format!("patterns[{}]", i - 1),
        (i, false) => format!("patterns[{}].{key}", i - 1),
    }
}

/// The first pattern's suggestion for a signature of `category`.
pub fn suggest(patterns: &[Pattern], category: Category, text: &str) -> Option<Suggestion> {
    let found = patterns.iter().find(|p| p.pattern.is_match(text))?;
    let mut suggestion = found.suggestion.clone();
    if suggestion.action == RuleAction::Retry && !retry_allowed(category, false) {
        // Not allowed as is: the person decides whether the check is flaky.
        suggestion.action = RuleAction::None;
    }
    tracing::debug!(pattern = %found.name, "bootstrap pattern matched");
    Some(suggestion)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_patterns_parse_and_name_common_failures() {
        let patterns = parse(TEMPLATE, Path::new("t")).unwrap();
        let name = |category, text| suggest(&patterns, category, text).map(|s| s.pattern);
        let cases = [
            (
                Category::Build,
                "build/b\nsh: <n>: cc: not found",
                "command-not-found",
            ),
            (
                Category::Infrastructure,
                "infrastructure/d\ndd: error writing '<path>/full': No space left on device",
                "disk-full",
            ),
            (
                Category::Infrastructure,
                "infrastructure/d\ncurl: (<n>) Failed to connect to <n> port <n>",
                "network",
            ),
            (
                Category::Dependencies,
                "dependencies/d\nerror: HTTP status 429 Too Many Requests",
                "rate-limited",
            ),
            (
                Category::Build,
                "build/b\nsh: <n>: ./run.sh: Permission denied",
                "permission-denied",
            ),
            (
                Category::Build,
                "build/b\nBlocking waiting for file lock on build directory",
                "lock-held",
            ),
            (
                Category::Testing,
                "testing/t\nmemory allocation of <n> bytes failed",
                "out-of-memory",
            ),
            (
                Category::Quality,
                "quality/fmt\nDiff in <path>/lib.rs:<n>:",
                "rustfmt",
            ),
        ];
        for (category, text, want) in cases {
            assert_eq!(name(category, text).as_deref(), Some(want), "{text}");
        }
        assert_eq!(
            name(Category::Testing, "testing/t\nassert <n> == <n>"),
            None
        );
        // Retry is not suggested for a testing failure.
        let s = suggest(
            &patterns,
            Category::Testing,
            "testing/t\nconnection refused",
        )
        .unwrap();
        assert_eq!(s.action, RuleAction::None);
    }

    #[test]
    fn malformed_overrides_name_the_field() {
        let err = |text: &str| parse(text, Path::new("x.toml")).unwrap_err().to_string();
        assert!(
            err("[[patterns]]\nname='a'\nmatch='('\nguidance='g'\n").contains("patterns[0].match")
        );
        assert!(
            err("[[patterns]]\nname='a'\nmatch='x'\nguidance='g'\naction='fix'\n")
                .contains("patterns[0].fix")
        );
        assert!(
            err("[[patterns]]\nname='a'\nmatch='x'\nguidance='g'\naction='sometimes'\n")
                .contains("patterns[0].action")
        );
        assert!(
            err("[[patterns]]\nname='a'\nmatch='x'\nguidance='g'\ncolour='red'\n")
                .contains("patterns[0].colour")
        );
    }
}
