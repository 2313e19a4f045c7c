//! `[findings]`: whether imported scanner findings become issues, how they are
//! grouped, and where they are filed (docs/findings.md).

use serde::Deserialize;
use toml::Spanned;

/// How new findings are grouped into issues.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingsGroup {
    /// One issue per tool and rule (the default).
    #[default]
    Rule,
    /// One issue per tool and file.
    File,
    /// One issue per finding.
    Finding,
}

/// `[findings]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingsConfig {
    /// Queue issues for new findings (default false).
    #[serde(default)]
    pub issues: bool,
    /// How findings are grouped into issues.
    #[serde(default)]
    pub group: FindingsGroup,
    /// `owner/name` to file issues in (a central backlog); default: the code's repository.
    #[serde(default)]
    pub repo: Option<Spanned<String>>,
    /// Labels put on every findings issue.
    #[serde(default)]
    pub labels: Vec<String>,
}

impl FindingsConfig {
    /// The repository to file in, when one is configured.
    pub fn repo(&self) -> Option<&str> {
        self.repo.as_ref().map(|r| r.get_ref().as_str())
    }
}

/// Checks the repository name; the span of the value at fault and why.
pub fn validate(findings: &FindingsConfig) -> Result<(), (std::ops::Range<usize>, String)> {
    if let Some(repo) = &findings.repo {
        super::check_repo_name(repo.get_ref()).map_err(|m| (repo.span(), m.to_string()))?;
    }
    Ok(())
}
