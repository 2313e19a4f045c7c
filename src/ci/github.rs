//! Reports where GitHub Actions users look: a Markdown table appended to the
//! job's step summary (`$GITHUB_STEP_SUMMARY`) and `::error` workflow commands,
//! which GitHub turns into annotations on the run and the pull request.
//!
//! Workflow command values are escaped as the runner expects (`%`, CR, LF;
//! and in properties also `:` and `,`), so a gate's output cannot inject a
//! command of its own.

use super::run::{CiGateState, CiRun};
use crate::verify::Report;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Whether this process runs in a GitHub Actions job.
pub fn in_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// The step summary file GitHub gives the job, if any.
fn summary_file() -> Option<PathBuf> {
    std::env::var_os("GITHUB_STEP_SUMMARY")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error` workflow command; `file` and `line` place it in the code.
pub fn error_command(file: Option<(&str, usize)>, title: &str, message: &str) -> String {
    let mut properties = Vec::new();
    if let Some((file, line)) = file {
        properties.push(format!("file={}", escape_property(file)));
        if line > 0 {
            properties.push(format!("line={line}"));
        }
    }
    properties.push(format!("title={}", escape_property(title)));
    format!("::error {}::{}", properties.join(","), escape_data(message))
}

/// Markdown table cells must not break the table.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The line of `[gates.ID]` in the work tree's `.auditops.toml`, where a
/// gate's annotation points.
fn gate_line(workdir: Option<&Path>, gate: &str) -> usize {
    let Some(text) =
        workdir.and_then(|d| std::fs::read_to_string(d.join(crate::config::FILE_NAME)).ok())
    else {
        return 0;
    };
    let header = format!("[gates.{gate}]");
    text.lines()
        .position(|l| l.trim() == header)
        .map_or(0, |n| n + 1)
}

/// The `::error` commands for the gates that failed in `run`.
pub fn gate_errors(run: &CiRun, workdir: Option<&Path>) -> Vec<String> {
    run.gates
        .iter()
        .filter(|g| g.state == CiGateState::Failed)
        .map(|g| {
            let how = g
                .outcome
                .as_ref()
                .map_or_else(|| "failed".to_owned(), ToString::to_string);
            let tail: Vec<&str> = g
                .output_tail
                .as_deref()
                .unwrap_or_default()
                .trim_end()
                .lines()
                .collect();
            let last = tail[tail.len().saturating_sub(10)..].join("\n");
            error_command(
                Some((crate::config::FILE_NAME, gate_line(workdir, &g.gate))),
                &format!("gate {} {how}", g.gate),
                &format!(
                    "gate {} {how} on {} (phase {}){}{last}",
                    g.gate,
                    run.commit.short(),
                    run.phase,
                    if last.is_empty() { "" } else { ":\n" }
                ),
            )
        })
        .collect()
}

/// The step summary of a `ci run`: one row per gate.
pub fn gate_summary(run: &CiRun) -> String {
    let mut out = format!(
        "### git-auditops: phase {} ({}) on `{}`\n\n",
        run.phase,
        cell(&run.phase_name),
        run.commit.short()
    );
    if let Some(note) = &run.recording_note {
        out += &format!("> {}\n\n", cell(note));
    }
    out += "| gate | result | duration | signer |\n|---|---|---|---|\n";
    for g in &run.gates {
        let result = match g.state {
            CiGateState::Passed => "✅ passed",
            CiGateState::Failed => "❌ failed",
            CiGateState::AlreadyPassed => "✅ already passed",
            CiGateState::NotRun => "⏭️ not run",
        };
        let duration = g.duration_ms.map_or_else(
            || "-".to_owned(),
            |ms| crate::duration::format(std::time::Duration::from_millis(ms)),
        );
        out += &format!(
            "| {} | {result} | {duration} | {} |\n",
            cell(&g.gate),
            cell(g.signer.as_deref().unwrap_or("-"))
        );
    }
    out + "\n"
}

/// The `::error` commands for `verify`'s failures.
pub(crate) fn verify_errors(report: &Report) -> Vec<String> {
    let records = report.failures.iter().map(|f| {
        error_command(
            None,
            &format!("auditops verify: {} record failed", f.kind),
            &format!("record {} ({}): {}", f.id, f.kind, f.reason),
        )
    });
    let history = report.history.iter().map(|h| {
        error_command(
            None,
            "auditops verify: state history",
            &format!("transaction {}: {}", h.commit.short(), h.reason),
        )
    });
    records.chain(history).collect()
}

/// The step summary of a `verify`.
pub(crate) fn verify_summary(report: &Report) -> String {
    let verdict = match report.ok {
        true => "✅ ok",
        false => "❌ failed",
    };
    let mut out = format!(
        "### git-auditops verify: {verdict}\n\n{} record(s) checked against {}.\n\n",
        report.records,
        cell(&report.trust)
    );
    if !report.failures.is_empty() || !report.history.is_empty() {
        out += "| record | kind | reason |\n|---|---|---|\n";
        for f in &report.failures {
            out += &format!("| `{}` | {} | {} |\n", f.id, f.kind, cell(&f.reason));
        }
        for h in &report.history {
            out += &format!(
                "| `{}` | history | {} |\n",
                h.commit.short(),
                cell(&h.reason)
            );
        }
        out += "\n";
    }
    out
}

/// Appends `markdown` to the job's step summary, when GitHub gave one.
pub fn append_summary(markdown: &str) -> std::io::Result<()> {
    let Some(path) = summary_file() else {
        return Ok(());
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(markdown.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_escape_what_the_runner_would_read() {
        let line = error_command(
            Some(("a,b:c.toml", 3)),
            "gate x: failed",
            "100% bad\n::error::injected",
        );
        assert_eq!(
            line,
            "::error file=a%2Cb%3Ac.toml,line=3,title=gate x%3A failed::100%25 bad%0A::error::injected"
        );
        assert!(!line.contains('\n'));
    }

    #[test]
    fn cells_keep_the_table_whole() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}
