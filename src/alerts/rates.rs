//! `failures`: failure rates per category over a rolling window.

use crate::config::{AlertsConfig, Category};
use crate::error::Result;
use crate::ids::Sha256;
use crate::rules::history::{self, Run};
use crate::workspace::Workspace;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How bad a failure rate is, by the `[alerts]` thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// At or above `medium`.
    Medium,
    /// At or above `high`.
    High,
    /// At or above `critical`.
    Critical,
}

crate::patch::records::display_as_serialized!(Severity);

impl Severity {
    /// The severity of `rate`, if it reaches a threshold.
    pub fn of(rate: f64, config: &AlertsConfig) -> Option<Severity> {
        if rate >= *config.critical.get_ref() {
            Some(Severity::Critical)
        } else if rate >= *config.high.get_ref() {
            Some(Severity::High)
        } else if rate >= *config.medium.get_ref() {
            Some(Severity::Medium)
        } else {
            None
        }
    }
}

/// One category's runs in the window.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryRate {
    /// The category.
    pub category: Category,
    /// Runs recorded in the window.
    pub runs: usize,
    /// Of which failed (flaky passes count as failures).
    pub failures: usize,
    /// failures / runs, rounded to 4 places.
    pub rate: f64,
    /// By the thresholds.
    pub severity: Option<Severity>,
}

/// A frequent signature in the window.
#[derive(Debug, Clone, Serialize)]
pub struct TopSignature {
    /// Its SHA-256.
    pub sha256: Sha256,
    /// Its text.
    pub signature: String,
    /// How many failures had it.
    pub count: usize,
}

/// `failures --json`.
#[derive(Debug, Clone, Serialize)]
pub struct Failures {
    /// The window, as given (`24h`).
    pub since: String,
    /// Per category, worst rate first.
    pub categories: Vec<CategoryRate>,
    /// The most frequent signatures, at most 5.
    pub top: Vec<TopSignature>,
}

/// What a failure-rate alert is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureRate {
    /// The category.
    pub category: Category,
    /// The threshold it reached.
    pub severity: Severity,
    /// failures / runs.
    pub rate: f64,
    /// Runs in the window.
    pub runs: usize,
    /// Failures in the window.
    pub failures: usize,
    /// The window's length (`24h`).
    pub window: String,
    /// The start of the fixed window this alert is for (one alert per
    /// category, window and severity).
    pub window_start: crate::time::Timestamp,
}

/// The rates of `runs` (already cut to the window).
pub(crate) fn rates(runs: &[Run], config: &AlertsConfig) -> Vec<CategoryRate> {
    let mut by: BTreeMap<String, CategoryRate> = BTreeMap::new();
    for run in runs {
        let entry = by.entry(run.category.to_string()).or_insert(CategoryRate {
            category: run.category,
            runs: 0,
            failures: 0,
            rate: 0.0,
            severity: None,
        });
        entry.runs += 1;
        entry.failures += usize::from(run.failed());
    }
    let mut rates: Vec<CategoryRate> = by
        .into_values()
        .map(|mut c| {
            c.rate = crate::patch::validate::round4(c.failures as f64 / c.runs as f64);
            c.severity = Severity::of(c.rate, config);
            c
        })
        .collect();
    rates.sort_by(|a, b| b.rate.total_cmp(&a.rate).then(b.runs.cmp(&a.runs)));
    rates
}

/// `failures [--since D]`: reads only.
pub fn failures(ws: &Workspace, since: Option<&str>) -> Result<Failures> {
    let since = since.unwrap_or("24h").to_owned();
    let window = crate::rules::parse_since(&since)?;
    let config = &ws.config()?.alerts;
    let runs = history::since(history::runs(ws)?, window);
    let mut top: BTreeMap<Sha256, TopSignature> = BTreeMap::new();
    for run in runs.iter().filter(|r| r.failed()) {
        if let Some(sig) = &run.signature {
            top.entry(sig.sha256)
                .or_insert_with(|| TopSignature {
                    sha256: sig.sha256,
                    signature: sig.text.clone(),
                    count: 0,
                })
                .count += 1;
        }
    }
    let mut top: Vec<TopSignature> = top.into_values().collect();
    top.sort_by(|a, b| b.count.cmp(&a.count).then(a.sha256.cmp(&b.sha256)));
    top.truncate(5);
    Ok(Failures {
        since,
        categories: rates(&runs, config),
        top,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_by_the_default_thresholds() {
        let config = AlertsConfig::default();
        assert_eq!(Severity::of(0.10, &config), None);
        assert_eq!(Severity::of(0.15, &config), Some(Severity::Medium));
        assert_eq!(Severity::of(0.30, &config), Some(Severity::High));
        assert_eq!(Severity::of(0.4999, &config), Some(Severity::High));
        assert_eq!(Severity::of(0.50, &config), Some(Severity::Critical));
        assert!(Severity::Critical > Severity::High && Severity::High > Severity::Medium);
    }
}
