//! Raising failure-rate alerts where runs are recorded.

use super::rates::{FailureRate, Severity, rates};
use crate::error::Result;
use crate::patch::records::{Alert, AlertKind};
use crate::records::{KeyedKind, read_keyed};
use crate::rules::history;
use crate::time::Timestamp;
use crate::workspace::Workspace;
use std::collections::{BTreeMap, BTreeSet};

/// After runs were recorded: one signed alert per category whose failure
/// rate over the `[alerts] window` reaches a threshold, unless that category,
/// window and severity has one already; each with its channels' operations,
/// all in one transaction. Returns the alerts written.
pub(crate) fn after_runs(ws: &Workspace) -> Result<Vec<Alert>> {
    let config = &ws.config()?.alerts;
    let window = config.window.0;
    let runs = history::since(history::runs(ws)?, window);
    let now = Timestamp::now();
    let secs = i64::try_from(window.as_secs()).unwrap_or(i64::MAX).max(1);
    let start = now.as_second() - now.as_second().rem_euclid(secs);
    let window_start: Timestamp = jiff::Timestamp::from_second(start)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .into();
    let window_text = crate::duration::format(window);
    let raised = raised(ws)?;
    let key = crate::sign::key::for_recording(ws)?;
    let mut alerts = Vec::new();
    let mut ops = Vec::new();
    for rate in rates(&runs, config) {
        let Some(severity) = rate.severity else {
            continue;
        };
        // Once per category, window and severity, and only going up: a rate
        // that falls back from high to medium is not news.
        let worst = raised.get(&(rate.category.to_string(), window_start));
        if rate.runs < config.min_runs || worst.is_some_and(|w| *w >= severity) {
            continue;
        }
        let alert = Alert {
            schema_version: 1,
            alert: AlertKind::FailureRate,
            subject: format!("failures:{}", rate.category),
            message: format!(
                "{} failure rate is {:.0}% ({} of {} runs) over the last {window_text}: {severity}",
                rate.category,
                rate.rate * 100.0,
                rate.failures,
                rate.runs
            ),
            health: None,
            failure_rate: Some(FailureRate {
                category: rate.category,
                severity,
                rate: rate.rate,
                runs: rate.runs,
                failures: rate.failures,
                window: window_text.clone(),
                window_start,
            }),
            timestamp: now,
        };
        ops.push(alert.put(key.as_ref()));
        ops.extend(super::channel_ops(ws, &alert, key.as_ref())?);
        alerts.push(alert);
    }
    if !alerts.is_empty() {
        let names: Vec<String> = alerts.iter().map(|a| a.subject.clone()).collect();
        ws.write(
            &ops,
            &format!("alerts: failure rate of {}", names.join(", ")),
        )?;
    }
    Ok(alerts)
}

/// The worst severity raised per (category, window start), of the counted
/// failure-rate alerts.
fn raised(ws: &Workspace) -> Result<BTreeMap<(String, Timestamp), Severity>> {
    let mut worst = BTreeMap::new();
    let Some(view) = ws.view()? else {
        return Ok(worst);
    };
    let require_signed = ws.require_signed()?;
    let alerts = read_keyed::<Alert>(&view, &[AlertKind::FailureRate.to_string()], ws.trust()?)?;
    for f in alerts
        .into_iter()
        .filter(|r| r.counts(require_signed))
        .filter_map(|r| r.record.failure_rate)
    {
        let entry = worst
            .entry((f.category.to_string(), f.window_start))
            .or_insert(f.severity);
        *entry = (*entry).max(f.severity);
    }
    Ok(worst)
}

/// Alerts of the current failure-rate window and the latest queue-health
/// alert, for `status`.
pub(crate) fn open(ws: &Workspace) -> Result<Vec<Alert>> {
    let Some(view) = ws.view()? else {
        return Ok(Vec::new());
    };
    let config = &ws.config()?.alerts;
    let require_signed = ws.require_signed()?;
    let cutoff = Timestamp::now().as_second()
        - i64::try_from(config.window.0.as_secs()).unwrap_or(i64::MAX / 2);
    let mut open: Vec<Alert> =
        read_keyed::<Alert>(&view, &[AlertKind::FailureRate.to_string()], ws.trust()?)?
            .into_iter()
            .filter(|r| r.counts(require_signed) && r.record.timestamp.as_second() >= cutoff)
            .map(|r| r.record)
            .collect();
    // Only the worst severity per category.
    open.sort_by(|a, b| {
        let sev = |x: &Alert| x.failure_rate.as_ref().map(|f| f.severity);
        sev(b).cmp(&sev(a))
    });
    let mut seen = BTreeSet::new();
    open.retain(|a| {
        seen.insert(
            a.failure_rate
                .as_ref()
                .map(|f| f.category.to_string())
                .unwrap_or_default(),
        )
    });
    Ok(open)
}

/// [`after_runs`] for the gate runner: says what was raised, and warns
/// instead of failing the run when alerts could not be recorded (the
/// results are recorded already; the next run tries again).
pub(crate) fn after_gate_run(ws: &Workspace, progress: &crate::phase::runner::Progress) {
    match after_runs(ws) {
        Ok(alerts) => {
            for alert in alerts {
                progress.announce(format_args!("alert: {}", alert.message));
            }
        }
        Err(err) => eprintln!("warning: failure-rate alerts not recorded: {err}"),
    }
}
