//! Where an alert goes besides its record: with `[alerts] issues = true`, one
//! issue queued in the outbox, labelled with the severity; with `[alerts]
//! webhook`, one post (Slack-compatible JSON) carried out by the executor. The operations are
//! returned to be written in the same transaction as the alert record, and
//! carry a dedupe key derived from the alert, so a re-run or a retry after a
//! crash never queues a second one and the executor never files one twice.

use crate::error::Result;
use crate::outbox::dedupe::{self, Duplicate};
use crate::outbox::payload::{IssuePayload, Payload, WebhookPayload};
use crate::outbox::{OpRequest, Outbox, queue_op};
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

/// The outbox operations `alert` calls for under `[alerts]`: an issue with
/// `issues = true`, a post with `webhook` set; none that is already queued or
/// done under the alert's dedupe key.
pub fn channel_ops(ws: &Workspace, alert: &Alert, key: Option<&SigningKey>) -> Result<Vec<Op>> {
    let config = ws.config()?;
    // Queue-health moves that end healthy are news for the record, not a message.
    if alert.alert == AlertKind::QueueHealth
        && alert.health.map(|h| h.to_string()) == Some("good".into())
    {
        return Ok(Vec::new());
    }
    let mut payloads = Vec::new();
    if config.alerts.issues {
        payloads.push(Payload::Issue(IssuePayload {
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
        }));
    }
    if config.alerts.webhook().is_some() {
        payloads.push(Payload::Webhook(WebhookPayload {
            text: format!("{}: {}", title(alert), alert.message),
        }));
    }
    if payloads.is_empty() {
        return Ok(Vec::new());
    }
    let dedupe_key = dedupe_key(alert);
    let outbox = Outbox::read(ws)?;
    let states = outbox.states();
    let default_repo = config.github.repo();
    let target = default_repo.unwrap_or_default();
    let mut ops = Vec::new();
    for payload in payloads {
        let request = OpRequest::new(dedupe_key.clone(), None, &payload);
        request.validate()?;
        let duplicate = dedupe::find(
            &outbox,
            &states,
            request.kind,
            target,
            &dedupe_key,
            default_repo,
            None,
        );
        if let Some(Duplicate::Pending { .. } | Duplicate::Done { .. }) = duplicate {
            continue;
        }
        ops.push(queue_op(&request, key).1);
    }
    Ok(ops)
}

/// The store operations recording `alert`: the signed record and its
/// channels' outbox operations, for one transaction.
pub fn with_channels(ws: &Workspace, alert: &Alert, key: Option<&SigningKey>) -> Result<Vec<Op>> {
    let mut ops = vec![alert.put(key)];
    ops.extend(channel_ops(ws, alert, key)?);
    Ok(ops)
}
