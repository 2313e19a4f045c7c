//! The review queue: patches waiting for a person, their resolutions, and the
//! queue's health (pending count, oldest age).
//!
//! The health is recorded as an alert when it changes, and only where the queue
//! changes: `patch submit` queueing an item, `queue approve`, `queue reject`.
//! Commands that only read (`queue list`, `status`) compute it and write nothing.

use super::error::PatchError;
use super::parse::FileChange;
use super::records::{
    Alert, AlertKind, DecisionRecord, ItemId, QueueItem, QueueResolution, display_as_serialized,
};
use super::validate::Score;
use crate::config::QueueConfig;
use crate::error::Result;
use crate::records::{KeyedKind, Read, read_all, read_keyed};
use crate::sign::TrustSet;
use crate::store::{StateView, StoreError};
use crate::time::Timestamp;
use crate::workspace::Workspace;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A queue item and how it was resolved, if it was.
pub struct Entry {
    /// The item as read, with its signature checked.
    pub item: Read<QueueItem>,
    /// Its first counted resolution.
    pub resolution: Option<Read<QueueResolution>>,
}

impl Entry {
    /// Whether it waits for a person.
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
    items.sort_by_key(|a| a.record.created_at);
    let mut out = Vec::new();
    for item in items {
        let key = item.record.key();
        let resolution = read_keyed::<QueueResolution>(view, &key, trust)?
            .into_iter()
            .filter(|r| r.counts(require_signed))
            .min_by(|a, b| a.record.timestamp.cmp(&b.record.timestamp));
        out.push(Entry { item, resolution });
    }
    Ok(out)
}

/// The workspace's queue entries (none before the state exists).
pub(crate) fn load(ws: &Workspace) -> Result<Vec<Entry>> {
    Ok(match ws.view()? {
        Some(view) => entries(&view, ws.trust()?, ws.require_signed()?)?,
        None => Vec::new(),
    })
}

/// The counted, pending item `id`; an error says why there is none.
pub(crate) fn pending_item(entries: Vec<Entry>, id: &str) -> Result<QueueItem, PatchError> {
    let entry = entries
        .into_iter()
        .find(|e| e.item.record.item_id.as_str() == id)
        .ok_or_else(|| PatchError::NoItem(id.to_owned()))?;
    match entry.resolution {
        Some(done) => Err(PatchError::AlreadyResolved {
            item: id.to_owned(),
            resolution: done.record.resolution,
            at: done.record.timestamp,
        }),
        None => Ok(entry.item.record),
    }
}

/// How healthy the queue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Below half of every threshold.
    Good,
    /// Past half of a threshold.
    Warning,
    /// Past a threshold.
    Critical,
}

impl Health {
    /// The health's name, as records and JSON spell it.
    pub fn name(self) -> &'static str {
        match self {
            Health::Good => "good",
            Health::Warning => "warning",
            Health::Critical => "critical",
        }
    }
}

/// The queue's size and age against its thresholds (`queue list`, `status`).
#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    /// Items waiting for a person.
    pub pending: usize,
    /// The age of the oldest of them.
    pub oldest_age_seconds: Option<u64>,
    /// What the two make of the queue.
    pub health: Health,
    /// `[queue] max_pending`.
    pub max_pending: u32,
    /// `[queue] max_age`, in seconds.
    pub max_age_seconds: u64,
}

/// Critical past a threshold (`max_pending` items, `max_age`), warning past half
/// of one, good otherwise.
pub fn metrics(entries: &[Entry], config: &QueueConfig, now_unix: i64) -> Metrics {
    let pending = entries
        .iter()
        .filter(|e| e.pending())
        .map(|e| e.item.record.created_at);
    metrics_of(pending, config, now_unix)
}

/// [`metrics`] of the items queued at `pending`.
fn metrics_of(
    pending: impl Iterator<Item = Timestamp>,
    config: &QueueConfig,
    now_unix: i64,
) -> Metrics {
    let pending: Vec<i64> = pending.map(Timestamp::as_second).collect();
    let oldest = pending
        .iter()
        .min()
        .map(|t| u64::try_from(now_unix - t).unwrap_or(0));
    let max_age = config.max_age();
    let age = Duration::from_secs(oldest.unwrap_or(0));
    let count = u32::try_from(pending.len()).unwrap_or(u32::MAX);
    let health = if count > config.max_pending || age > max_age {
        Health::Critical
    } else if count.saturating_mul(2) > config.max_pending || age * 2 > max_age {
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

fn now_unix() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// The queue's metrics now, computed and not recorded (`status`).
pub fn health(ws: &Workspace) -> Result<Metrics> {
    Ok(metrics(&load(ws)?, &ws.config()?.queue, now_unix()))
}

/// A change about to be written to the queue.
pub(crate) enum Change<'a> {
    /// A new pending item.
    Queued(&'a QueueItem),
    /// A pending item resolved.
    Resolved(&'a ItemId),
}

/// The queue-health alert to write together with `change`, when the health
/// moves: when the change itself crosses a threshold, or when the health after
/// it is not the one last recorded (time alone can move it). So crossing a
/// threshold alerts once, not on every change.
///
/// Records carry whole seconds, so several alerts may share the latest
/// timestamp; none of them is "the last" then, and the health counts as
/// recorded when any of them holds it.
pub(crate) fn alert_for(ws: &Workspace, change: Change<'_>) -> Result<Option<Alert>> {
    let (config, now) = (&ws.config()?.queue, now_unix());
    let entries = load(ws)?;
    let before = metrics(&entries, config, now);
    let still_pending = entries
        .iter()
        .filter(|e| e.pending())
        .filter(|e| !matches!(change, Change::Resolved(id) if *id == e.item.record.item_id))
        .map(|e| e.item.record.created_at);
    let added = match change {
        Change::Queued(item) => Some(item.created_at),
        Change::Resolved(_) => None,
    };
    let after = metrics_of(still_pending.chain(added), config, now);
    let latest = latest_recorded(ws)?;
    Ok(moved(before.health, after.health, &latest).then(|| health_alert(&after)))
}

/// The queue-health alert to record when time alone moved the health away
/// from the one last recorded (the daemon's timer: nobody queued or resolved
/// anything); `None` when the recorded health still holds.
pub(crate) fn alert_if_moved(ws: &Workspace) -> Result<Option<Alert>> {
    let now = health(ws)?;
    let latest = latest_recorded(ws)?;
    Ok(moved(now.health, now.health, &latest).then(|| health_alert(&now)))
}

/// Whether a change from `before` to `after` is to be recorded, given the
/// healths of the latest recorded alerts (none yet: as if good).
fn moved(before: Health, after: Health, latest: &[Health]) -> bool {
    let recorded = match latest.is_empty() {
        true => after == Health::Good,
        false => latest.contains(&after),
    };
    before != after || !recorded
}

/// The healths of the counted queue-health alerts with the latest timestamp.
fn latest_recorded(ws: &Workspace) -> Result<Vec<Health>> {
    let Some(view) = ws.view()? else {
        return Ok(Vec::new());
    };
    let require_signed = ws.require_signed()?;
    let key = [AlertKind::QueueHealth.to_string()];
    let alerts: Vec<Alert> = read_keyed::<Alert>(&view, &key, ws.trust()?)?
        .into_iter()
        .filter(|r| r.counts(require_signed))
        .map(|r| r.record)
        .collect();
    let last = alerts.iter().map(|a| a.timestamp).max();
    Ok(alerts
        .into_iter()
        .filter(|a| Some(a.timestamp) == last)
        .filter_map(|a| a.health)
        .collect())
}

fn health_alert(metrics: &Metrics) -> Alert {
    Alert {
        schema_version: 1,
        alert: AlertKind::QueueHealth,
        subject: "review-queue".into(),
        message: format!(
            "review queue health is {}: {} pending (max {}), oldest {}",
            metrics.health,
            metrics.pending,
            metrics.max_pending,
            metrics
                .oldest_age_seconds
                .map(|s| crate::duration::format(Duration::from_secs(s)))
                .unwrap_or_else(|| "-".into())
        ),
        health: Some(metrics.health),
        failure_rate: None,
        timestamp: Timestamp::now(),
    }
}

/// Whether a queue item waits for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemState {
    /// No counted resolution yet.
    Pending,
    /// Approved or rejected.
    Resolved,
}

display_as_serialized!(Health, ItemState);

/// One row of `queue list`.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// The item.
    pub item: QueueItem,
    /// What the patch is about (see [`About`]).
    #[serde(flatten)]
    pub about: About,
    /// Pending or resolved.
    pub state: ItemState,
    /// How it was resolved.
    pub resolution: Option<QueueResolution>,
}

/// `queue list`: the counted items, oldest first, and the queue's health.
#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    /// The queue's health now (not recorded: listing only reads).
    pub metrics: Metrics,
    /// Every counted item.
    pub items: Vec<Listed>,
}

/// What a queued patch is about, from its decision record: the queue item
/// itself names only hashes.
#[derive(Debug, Clone, Serialize)]
pub struct About {
    /// The patch's subject, or what it does to its files
    /// ([`DecisionRecord::title`]).
    pub subject: String,
    /// Its author, when the patch named one.
    pub author: Option<String>,
    /// The files it changes.
    pub files: Vec<FileChange>,
    /// Each validator's result: passed or not, weight, duration, output tail,
    /// log.
    pub validators: Vec<ValidatorResult>,
}

/// A validator's score as a queue shows it: with whether it passed.
#[derive(Debug, Clone, Serialize)]
pub struct ValidatorResult {
    /// The score as recorded.
    #[serde(flatten)]
    pub score: Score,
    /// Whether it exited 0.
    pub passed: bool,
}

/// The decision that queued `item` (its decision is written with it, so it is
/// found): the counted decision about its patch that made its result commit.
pub(crate) fn decision_of(
    ws: &Workspace,
    item: &QueueItem,
) -> Result<Option<Read<DecisionRecord>>> {
    let require_signed = ws.require_signed()?;
    Ok(match ws.view()? {
        Some(view) => read_keyed::<DecisionRecord>(&view, &[item.patch_id.to_hex()], ws.trust()?)?
            .into_iter()
            .filter(|d| d.counts(require_signed))
            .find(|d| d.record.result_commit == Some(item.result_commit)),
        None => None,
    })
}

/// [`About`] the patch of `item` (should its decision not be found, the patch
/// is named by its id).
fn about(ws: &Workspace, item: &QueueItem) -> Result<About> {
    Ok(match decision_of(ws, item)? {
        Some(d) => About {
            subject: d.record.title(),
            author: d.record.author,
            files: d.record.files,
            validators: d
                .record
                .validators
                .into_iter()
                .map(|score| ValidatorResult {
                    passed: score.passed(),
                    score,
                })
                .collect(),
        },
        None => About {
            subject: format!("patch {}", item.patch_id.short()),
            author: None,
            files: Vec::new(),
            validators: Vec::new(),
        },
    })
}

/// The queue as it stands; writes nothing.
pub fn list(ws: &Workspace) -> Result<Listing> {
    let entries = load(ws)?;
    let metrics = metrics(&entries, &ws.config()?.queue, now_unix());
    let mut items = Vec::with_capacity(entries.len());
    for e in entries {
        items.push(Listed {
            state: match e.pending() {
                true => ItemState::Pending,
                false => ItemState::Resolved,
            },
            about: about(ws, &e.item.record)?,
            item: e.item.record,
            resolution: e.resolution.map(|r| r.record),
        });
    }
    Ok(Listing { metrics, items })
}

/// `queue show`: one item in full.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    /// The item.
    pub item: QueueItem,
    /// What the patch is about.
    #[serde(flatten)]
    pub about: About,
    /// Who signed it (trusted signers only).
    pub signer: Option<String>,
    /// How it was resolved.
    pub resolution: Option<QueueResolution>,
}

/// The counted item `id`.
pub fn show(ws: &Workspace, id: &str) -> Result<Shown> {
    let entry = load(ws)?
        .into_iter()
        .find(|e| e.item.record.item_id.as_str() == id)
        .ok_or_else(|| PatchError::NoItem(id.to_owned()))?;
    Ok(Shown {
        about: about(ws, &entry.item.record)?,
        signer: entry.item.signer().map(str::to_owned),
        item: entry.item.record,
        resolution: entry.resolution.map(|r| r.record),
    })
}

#[cfg(test)]
mod tests {
    use super::Health::{Critical, Good, Warning};
    use super::moved;

    #[test]
    fn a_crossing_is_recorded_once() {
        assert!(!moved(Good, Good, &[]), "a healthy queue never alerts");
        assert!(moved(Good, Warning, &[]));
        assert!(moved(Warning, Critical, &[Warning]));
        assert!(!moved(Critical, Critical, &[Critical]), "recorded already");
        // Time alone made it critical since the last alert.
        assert!(moved(Critical, Critical, &[Warning]));
        // Two alerts in the same second: either may be the last.
        assert!(!moved(Critical, Critical, &[Warning, Critical]));
        assert!(moved(Critical, Warning, &[Warning, Critical]));
    }
}
