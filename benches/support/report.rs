//! The summary table printed at the end of a run, and the headings of the
//! detail printed on the way.

use super::measure::{fmt_duration, ratio};
use std::time::Duration;

/// Starts the detail of one measurement: a blank line and `== title`.
pub fn section(title: &str) {
    println!();
    println!("== {title}");
}

/// Whether a measurement met its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Miss,
    /// Shown for context; no target.
    Info,
    Skipped,
}

impl Verdict {
    pub fn from_bool(met: bool) -> Verdict {
        if met { Verdict::Pass } else { Verdict::Miss }
    }

    fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Miss => "MISS",
            Verdict::Info => "info",
            Verdict::Skipped => "skipped",
        }
    }
}

/// One line of the summary.
pub struct Row {
    pub measurement: String,
    pub ours: String,
    pub baseline: String,
    pub ratio: String,
    pub target: String,
    pub verdict: Verdict,
}

#[derive(Default)]
pub struct Table {
    rows: Vec<Row>,
}

impl Table {
    pub fn push(
        &mut self,
        measurement: impl Into<String>,
        ours: impl Into<String>,
        baseline: impl Into<String>,
        ratio: impl Into<String>,
        target: impl Into<String>,
        verdict: Verdict,
    ) {
        self.rows.push(Row {
            measurement: measurement.into(),
            ours: ours.into(),
            baseline: baseline.into(),
            ratio: ratio.into(),
            target: target.into(),
            verdict,
        });
    }

    /// A row comparing two medians: ours, the baseline, and their ratio
    /// (ours / baseline, to two decimals).
    pub fn push_comparison(
        &mut self,
        measurement: impl Into<String>,
        ours: Duration,
        baseline: Duration,
        target: impl Into<String>,
        verdict: Verdict,
    ) {
        let r = ratio(ours, baseline);
        self.push(
            measurement,
            fmt_duration(ours),
            fmt_duration(baseline),
            format!("{r:.2}×"),
            target,
            verdict,
        );
    }

    pub fn misses(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.verdict == Verdict::Miss)
            .count()
    }

    /// A plain-text table (also valid Markdown).
    pub fn render(&self) -> String {
        let header = [
            "measurement",
            "ours",
            "baseline",
            "ratio",
            "target",
            "result",
        ];
        let cells: Vec<[&str; 6]> = self
            .rows
            .iter()
            .map(|r| {
                [
                    r.measurement.as_str(),
                    r.ours.as_str(),
                    r.baseline.as_str(),
                    r.ratio.as_str(),
                    r.target.as_str(),
                    r.verdict.label(),
                ]
            })
            .collect();
        let mut widths = header.map(|h| h.chars().count());
        for row in &cells {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |row: &[&str; 6]| {
            let padded: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(cell, w)| format!("{cell}{}", " ".repeat(w - cell.chars().count())))
                .collect();
            format!("| {} |\n", padded.join(" | "))
        };
        let mut out = line(&header);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        out.push_str(&format!("|-{}-|\n", rule.join("-|-")));
        for row in &cells {
            out.push_str(&line(row));
        }
        out
    }
}
