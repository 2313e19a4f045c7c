//! Rendering reports and bodies from templates (minijinja, strict: a missing
//! value is an error, never an empty string or a literal `{{ … }}` in the output).
//!
//! Templates are embedded from `templates/`; a repository may override one by
//! committing a file of the same name under `.auditops/templates/`.

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;
use std::path::Path;

/// The embedded templates, by name.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "phase-report.md.j2",
        include_str!("../templates/phase-report.md.j2"),
    ),
    ("issue.md.j2", include_str!("../templates/issue.md.j2")),
    ("digest.md.j2", include_str!("../templates/digest.md.j2")),
    ("finding.md.j2", include_str!("../templates/finding.md.j2")),
    (
        "pull-request.md.j2",
        include_str!("../templates/pull-request.md.j2"),
    ),
    (
        "auto-close.md.j2",
        include_str!("../templates/auto-close.md.j2"),
    ),
];

/// Why a template could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// No built-in template has this name.
    #[error("no template named `{0}`")]
    Unknown(String),
    /// The template does not parse, or the context lacks a value it uses.
    #[error(
        "template {name}{}",
        line.map(|line| format!(", line {line}")).unwrap_or_default()
    )]
    Template {
        /// Where the template came from (an override's path, or ours).
        name: String,
        /// The line at fault, when known.
        line: Option<usize>,
        /// What minijinja found wrong.
        #[source]
        source: minijinja::Error,
    },
}

/// The text of template `name`: the repository's override if present, else ours.
fn source(name: &str, workdir: Option<&Path>) -> Result<(String, String), RenderError> {
    if let Some(path) = workdir.map(|w| w.join(".auditops/templates").join(name))
        && let Ok(text) = std::fs::read_to_string(&path)
    {
        return Ok((path.display().to_string(), text));
    }
    TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, text)| (format!("templates/{n}"), (*text).to_owned()))
        .ok_or_else(|| RenderError::Unknown(name.to_owned()))
}

/// Renders template `name` with `context`.
pub fn render(
    name: &str,
    workdir: Option<&Path>,
    context: &impl Serialize,
) -> Result<String, RenderError> {
    let (origin, text) = source(name, workdir)?;
    let error = |source: minijinja::Error| RenderError::Template {
        name: origin.clone(),
        line: source.line(),
        source,
    };
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    env.add_template_owned(name.to_owned(), text)
        .map_err(error)?;
    let template = env.get_template(name).map_err(error)?;
    template
        .render(minijinja::Value::from_serialize(context))
        .map_err(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_value_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let overrides = dir.path().join(".auditops/templates");
        std::fs::create_dir_all(&overrides).unwrap();
        std::fs::write(
            overrides.join("phase-report.md.j2"),
            "Phase {{ phase.nope }}\n",
        )
        .unwrap();
        let err = render(
            "phase-report.md.j2",
            Some(dir.path()),
            &serde_json::json!({"phase": {"id": 1}}),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains(".auditops/templates/phase-report.md.j2"),
            "{err}"
        );
    }
}
