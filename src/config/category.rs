//! What kind of check a gate or validator is, and how it is inferred from the
//! command when the config does not say: a first gate needs no `category`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of check a gate or validator is (for reports and failure rates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Linters, formatters, style.
    Quality,
    /// Audits, scanners.
    Security,
    /// Benchmarks, size budgets.
    Performance,
    /// Licences, outdated or vulnerable dependencies.
    Dependencies,
    /// Test suites.
    Testing,
    /// Compiling, packaging.
    Build,
    /// Deployment and environment checks.
    Infrastructure,
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Category::Quality => "quality",
            Category::Security => "security",
            Category::Performance => "performance",
            Category::Dependencies => "dependencies",
            Category::Testing => "testing",
            Category::Build => "build",
            Category::Infrastructure => "infrastructure",
        })
    }
}

/// How a category is inferred from a `run` command when none is given: the
/// first entry, in this order, whose words occur consecutively among the
/// command's words decides; none matching means [`Category::Quality`].
///
/// A command's words are its lowercase runs of letters and digits, so
/// `cargo-audit`, `./scripts/lint.sh` and `make test-unit` match `audit`,
/// `lint` and `make test`. Tests come first (`cargo build && cargo test` is
/// testing), then the specific kinds before the generic ones. Documented in
/// docs/configuration.md: keep the two in step.
pub const CATEGORY_BY_COMMAND: &[(&str, Category)] = &[
    ("cargo test", Category::Testing),
    ("nextest", Category::Testing),
    ("pytest", Category::Testing),
    ("go test", Category::Testing),
    ("npm test", Category::Testing),
    ("npm run test", Category::Testing),
    ("yarn test", Category::Testing),
    ("pnpm test", Category::Testing),
    ("make test", Category::Testing),
    ("audit", Category::Security),
    ("bandit", Category::Security),
    ("semgrep", Category::Security),
    ("gitleaks", Category::Security),
    ("fmt", Category::Quality),
    ("rustfmt", Category::Quality),
    ("gofmt", Category::Quality),
    ("clippy", Category::Quality),
    ("lint", Category::Quality),
    ("ruff", Category::Quality),
    ("eslint", Category::Quality),
    ("black", Category::Quality),
    ("prettier", Category::Quality),
    ("build", Category::Build),
];

impl Category {
    /// The category of a check that runs `command`, by [`CATEGORY_BY_COMMAND`].
    pub fn infer(command: &str) -> Category {
        let lowercase = command.to_ascii_lowercase();
        let command: Vec<&str> = words(&lowercase).collect();
        CATEGORY_BY_COMMAND
            .iter()
            .find(|(needle, _)| {
                let needle: Vec<&str> = words(needle).collect();
                command
                    .windows(needle.len())
                    .any(|w| w == needle.as_slice())
            })
            .map_or(Category::Quality, |(_, category)| *category)
    }
}

/// The runs of ASCII letters and digits of `text`.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Category::*;

    #[test]
    fn commands_infer_their_category() {
        for (command, category) in [
            ("cargo test --locked", Testing),
            ("cargo nextest run", Testing),
            ("python -m pytest -q", Testing),
            ("go test ./...", Testing),
            ("npm test", Testing),
            ("npm run test -- --ci", Testing),
            ("yarn test", Testing),
            ("pnpm test", Testing),
            ("make test-unit", Testing),
            ("cargo fmt --check", Quality),
            ("cargo clippy -- -D warnings", Quality),
            ("npm run lint", Quality),
            ("golangci-lint run", Quality),
            ("./scripts/lint.sh", Quality),
            ("ruff check .", Quality),
            ("npx eslint src", Quality),
            ("black --check .", Quality),
            ("prettier --check .", Quality),
            ("gofmt -l .", Quality),
            ("cargo audit", Security),
            ("npm audit --audit-level=high", Security),
            ("bandit -r src", Security),
            ("semgrep --config auto", Security),
            ("gitleaks detect", Security),
            ("cargo build --release", Build),
            ("docker build .", Build),
            ("true", Quality),
            ("./check.sh", Quality),
        ] {
            assert_eq!(Category::infer(command), category, "{command}");
        }
    }

    #[test]
    fn the_first_entry_of_the_table_decides() {
        assert_eq!(Category::infer("cargo build && cargo test"), Testing);
        assert_eq!(Category::infer("cargo clippy && cargo audit"), Security);
        assert_eq!(Category::infer("cargo build && cargo clippy"), Quality);
        assert_eq!(Category::infer("CARGO TEST"), Testing);
    }

    #[test]
    fn whole_words_only() {
        // `test` alone, or inside another word, is no entry of the table.
        assert_eq!(Category::infer("./test.sh"), Quality);
        assert_eq!(Category::infer("cargo testify"), Quality);
        assert_eq!(Category::infer("rebuild-index"), Quality);
    }

    #[test]
    fn a_config_may_leave_category_out() {
        let text = "[gates.test]\nrun = \"cargo test\"\n\n\
                    [gates.lint]\nrun = \"true\"\ncategory = \"build\"\n\n\
                    [patch.validators.tests]\nrun = \"pytest\"\n\n\
                    [patch.validators.lint]\nrun = \"ruff check\"\ncategory = \"security\"\n";
        let c = crate::config::Config::parse(text, std::path::Path::new(".auditops.toml")).unwrap();
        let test = c.gate("test").unwrap();
        assert_eq!((test.category(), test.category_inferred()), (Testing, true));
        let lint = c.gate("lint").unwrap();
        assert_eq!((lint.category(), lint.category_inferred()), (Build, false));
        let tests = &c.patch.validators["tests"];
        assert_eq!(
            (tests.category(), tests.category_inferred()),
            (Testing, true)
        );
        let lint = &c.patch.validators["lint"];
        assert_eq!(
            (lint.category(), lint.category_inferred()),
            (Security, false)
        );
        // Weights still default by name (lint 0.2, tests 0.4), whatever the category.
        let weights: Vec<f64> = c.patch.weights().iter().map(|(_, _, w)| *w).collect();
        assert!((weights[1] - 2.0 * weights[0]).abs() < 1e-9, "{weights:?}");
    }

    #[test]
    fn the_documented_table_is_this_one() {
        let docs = include_str!("../../docs/configuration.md");
        let section = docs
            .split("### Inferred categories")
            .nth(1)
            .and_then(|rest| rest.split("\n#").next())
            .expect("docs/configuration.md has the section");
        let rows: Vec<(&str, Category)> = section
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                let category = cells.get(2)?.trim_matches('`');
                let category = serde_json::from_value(category.into()).ok()?;
                Some((*cells.get(1)?, category))
            })
            .collect();
        let mut documented = Vec::new();
        for (needles, category) in &rows {
            for needle in needles.split(", ").filter(|n| n.starts_with('`')) {
                documented.push((needle.trim_matches('`'), *category));
            }
        }
        assert_eq!(documented, CATEGORY_BY_COMMAND);
        assert_eq!(rows.last().map(|r| r.1), Some(Quality), "anything else");
    }

    #[test]
    fn every_needle_is_lowercase_words() {
        for (needle, _) in CATEGORY_BY_COMMAND {
            assert_eq!(words(needle).collect::<Vec<_>>().join(" "), *needle);
            assert_eq!(needle.to_ascii_lowercase(), *needle);
        }
    }
}
