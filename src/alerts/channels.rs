//! Where an alert goes besides its record: with `[alerts] issues = true`, one
//! issue queued in the outbox, labelled with the severity. The operations are
//! returned to be written in the same transaction as the alert record, and
//! carry a dedupe key derived from the alert, so a re-run or a retry after a
//! crash never queues a second one and the executor never files one twice.

use crate::error::Result;
use crate::outbox::dedupe::{self, Duplicate};
use crate::outbox::payload::{IssuePayload, Payload};
use crate::outbox::{OpKind, OpRequest, Outbox, queue_op};
use crate::patch::records::{Alert, AlertKind};
use crate::records::KeyedKind;
use crate::sign::SigningKey;
use crate::store::Op;
use crate::workspace::Workspace;

/// The dedupe key of an alert's messages: one per alert kind, subject and
/// (for failure rates) severity and window.
pub fn dedupe_key(alert: &Alert) -> String {
    match &alert.failure_rate {
        Some(rate) => format!(
            "alert:{}:{}:{}:{}",
            alert.alert, rate.category, rate.severity, rate.window_start
        ),
        None => format!(
            "alert:{}:{}:{}",
            alert.alert,
            alert.subject,
            alert
                .health
                .map(|h| h.to_string())
                .unwrap_or_else(|| alert.timestamp.to_string())
        ),
    }
}

fn labels(alert: &Alert) -> Vec<String> {
    let mut labels = vec!["auditops-alert".to_owned()];
    match (&alert.failure_rate, alert.health) {
        (Some(rate), _) => labels.push(format!("severity:{}", rate.severity)),
        (None, Some(health)) => labels.push(format!("queue:{health}")),
        (None, None) => labels.push(alert.alert.to_string()),
    }
    labels
}

fn title(alert: &Alert) -> String {
    match &alert.failure_rate {
        Some(rate) => format!(
            "[{}] {} failure rate {:.0}% over {}",
            rate.severity,
            rate.category,
            rate.rate * 100.0,
            rate.window
        ),
        None => format!("[{}] {}", alert.alert, alert.subject),
    }
}

/// The outbox operations `alert` calls for under `[alerts]` (none when no
/// channel is configured, or when its issue is already queued or open).
pub fn channel_ops(ws: &Workspace, alert: &Alert, key: Option<&SigningKey>) -> Result<Vec<Op>> {
    let config = ws.config()?;
    if !config.alerts.issues {
        return Ok(Vec::new());
    }
    // Queue-health moves that end healthy are news for the record, not an issue.
    if alert.alert == AlertKind::QueueHealth
        && alert.health.map(|h| h.to_string()) == Some("good".into())
    {
        return Ok(Vec::new());
    }
    let dedupe_key = dedupe_key(alert);
    let payload = Payload::Issue(IssuePayload {
        title: title(alert),
        body: format!(
            "{}\n\nRecorded as a signed `alert` record ({}). See `git auditops failures` and \
             `git auditops rules propose`.",
            alert.message, alert.timestamp
        ),
        labels: labels(alert),
        hits: None,
        source: Some("git auditops alerts".into()),
        digest: None,
    });
    let request = OpRequest::new(dedupe_key.clone(), None, &payload);
    request.validate()?;
    let outbox = Outbox::read(ws)?;
    let states = outbox.states();
    let default_repo = config.github.repo();
    let target = default_repo.unwrap_or_default();
    match dedupe::find(
        &outbox,
        &states,
        OpKind::CreateIssue,
        target,
        &dedupe_key,
        default_repo,
        None,
    ) {
        Some(Duplicate::Pending { .. } | Duplicate::Done { .. }) => Ok(Vec::new()),
        None => Ok(vec![queue_op(&request, key).1]),
    }
}

/// The store operations recording `alert`: the signed record and its
/// channels' outbox operations, for one transaction.
pub fn with_channels(ws: &Workspace, alert: &Alert, key: Option<&SigningKey>) -> Result<Vec<Op>> {
    let mut ops = vec![alert.put(key)];
    ops.extend(channel_ops(ws, alert, key)?);
    Ok(ops)
}
