//! The review queue: patches waiting for a person, their resolutions, and the
//! queue's health (pending count, oldest age) with an alert on each change.

use super::records::{Alert, QueueItem, QueueResolution};
use crate::config::QueueConfig;
use crate::records::{KeyedKind, Read, read_all, read_keyed};
use crate::sign::TrustSet;
use crate::store::{StateView, StoreError};
use serde::Serialize;
use std::time::Duration;

/// A queue item and how it was resolved, if it was.
pub struct Entry {
    pub item: Read<QueueItem>,
    pub resolution: Option<Read<QueueResolution>>,
}

impl Entry {
    pub fn pending(&self) -> bool {
        self.resolution.is_none()
    }
}

/// Every counted queue item, oldest first, with its counted resolution.
pub fn entries(
    view: &StateView<'_>,
    trust: &TrustSet,
    require_signed: bool,
) -> Result<Vec<Entry>, StoreError> {
    let mut items: Vec<Read<QueueItem>> = read_all(view, trust)?
        .into_iter()
        .filter(|r: &Read<QueueItem>| r.counts(require_signed))
        .collect();
    items.sort_by(|a, b| a.record.created_at.cmp(&b.record.created_at));
    let mut out = Vec::new();
    for item in items {
        let resolution =
            read_keyed::<QueueResolution>(view, std::slice::from_ref(&item.record.item_id), trust)?
                .into_iter()
                .filter(|r| r.counts(require_signed))
                .min_by(|a, b| a.record.timestamp.cmp(&b.record.timestamp));
        out.push(Entry { item, resolution });
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Good,
    Warning,
    Critical,
}

impl Health {
    pub fn name(self) -> &'static str {
        match self {
            Health::Good => "good",
            Health::Warning => "warning",
            Health::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    pub pending: usize,
    pub oldest_age_seconds: Option<u64>,
    pub health: Health,
    pub max_pending: u32,
    pub max_age_seconds: u64,
}

/// Critical past a threshold (`max_pending` items, `max_age`), warning past half
/// of one, good otherwise.
pub fn metrics(entries: &[Entry], config: &QueueConfig, now_unix: i64) -> Metrics {
    let pending: Vec<&Entry> = entries.iter().filter(|e| e.pending()).collect();
    let oldest = pending
        .iter()
        .filter_map(|e| e.item.record.unix_seconds())
        .min()
        .map(|t| u64::try_from(now_unix - t).unwrap_or(0));
    let max_age = config.max_age();
    let age = Duration::from_secs(oldest.unwrap_or(0));
    let count = pending.len() as u32;
    let health = if count > config.max_pending || age > max_age {
        Health::Critical
    } else if count * 2 > config.max_pending || age * 2 > max_age {
        Health::Warning
    } else {
        Health::Good
    };
    Metrics {
        pending: pending.len(),
        oldest_age_seconds: oldest,
        health,
        max_pending: config.max_pending,
        max_age_seconds: max_age.as_secs(),
    }
}

/// The alert to record when the health differs from the last recorded one
/// (so crossing a threshold alerts once, not on every command).
pub fn health_alert(
    view: Option<&StateView<'_>>,
    trust: &TrustSet,
    require_signed: bool,
    metrics: &Metrics,
) -> Result<Option<Alert>, StoreError> {
    let last = match view {
        Some(view) => read_keyed::<Alert>(view, &["queue-health".to_owned()], trust)?
            .into_iter()
            .filter(|r| r.counts(require_signed))
            .max_by(|a, b| a.record.timestamp.cmp(&b.record.timestamp))
            .and_then(|r| r.record.health),
        None => None,
    };
    let now = metrics.health.name();
    let changed = match last.as_deref() {
        Some(previous) => previous != now,
        None => metrics.health != Health::Good,
    };
    Ok(changed.then(|| Alert {
        schema_version: 1,
        alert: "queue-health".into(),
        subject: "review-queue".into(),
        message: format!(
            "review queue health is {now}: {} pending (max {}), oldest {}",
            metrics.pending,
            metrics.max_pending,
            metrics
                .oldest_age_seconds
                .map(|s| crate::duration::format(Duration::from_secs(s)))
                .unwrap_or_else(|| "-".into())
        ),
        health: Some(now.to_owned()),
        timestamp: crate::records::now(),
    }))
}
