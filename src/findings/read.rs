//! Reading findings back: the latest revision of each, listings and one
//! finding's history.

use super::FindingsError;
use super::records::{Finding, FindingLocation, FindingState, Scan};
use crate::error::Result;
use crate::ids::Sha256;
use crate::records;
use crate::sign::TrustSet;
use crate::store::{StateView, StoreError};
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::HashMap;

/// The latest revision of every finding that counts (trusted, or unsigned where allowed).
pub(crate) fn latest_findings(
    view: &StateView<'_>,
    trust: &TrustSet,
    require_signed: bool,
) -> std::result::Result<HashMap<Sha256, Finding>, StoreError> {
    let mut latest: HashMap<Sha256, Finding> = HashMap::new();
    for read in records::read_all::<Finding>(view, trust)? {
        if !read.counts(require_signed) {
            continue;
        }
        let record = read.record;
        let newer = latest
            .get(&record.fingerprint)
            .is_none_or(|old| (record.revision, record.last_seen) > (old.revision, old.last_seen));
        if newer {
            latest.insert(record.fingerprint, record);
        }
    }
    Ok(latest)
}

/// Which findings `findings list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Open or reopened (the default).
    Open,
    /// Resolved.
    Resolved,
    /// All.
    All,
}

/// A place, as listed.
#[derive(Debug, Clone, Serialize)]
pub struct ListedLocation {
    /// Repository-relative path.
    pub path: String,
    /// First line.
    pub start_line: Option<u64>,
}

/// One finding as `findings list --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// The short id (the fingerprint's first 12 hex digits).
    pub id: String,
    /// The fingerprint.
    pub fingerprint: Sha256,
    /// The tool.
    pub tool: String,
    /// The rule.
    pub rule: String,
    /// The level.
    pub level: super::Level,
    /// `open`, `resolved` or `reopened`.
    pub state: FindingState,
    /// What the tool says (redacted).
    pub message: String,
    /// Where.
    pub locations: Vec<ListedLocation>,
    /// First seen.
    pub first_seen: Timestamp,
    /// Last changed.
    pub last_seen: Timestamp,
}

impl From<&Finding> for Listed {
    fn from(f: &Finding) -> Self {
        Listed {
            id: f.id(),
            fingerprint: f.fingerprint,
            tool: f.tool.clone(),
            rule: f.rule.clone(),
            level: f.level,
            state: f.state,
            message: f.message.clone(),
            locations: f
                .locations
                .iter()
                .map(|l: &FindingLocation| ListedLocation {
                    path: l.path.clone(),
                    start_line: l.start_line,
                })
                .collect(),
            first_seen: f.first_seen,
            last_seen: f.last_seen,
        }
    }
}

fn current(ws: &crate::workspace::Workspace) -> Result<HashMap<Sha256, Finding>> {
    let Some(view) = ws.view()? else {
        return Ok(HashMap::new());
    };
    Ok(latest_findings(&view, ws.trust()?, ws.require_signed()?)?)
}

/// The findings in `state`, of `tool` and `rule` when given, most serious first.
pub fn list(
    ws: &crate::workspace::Workspace,
    state: State,
    tool: Option<&str>,
    rule: Option<&str>,
) -> Result<Vec<Listed>> {
    let mut found: Vec<Finding> = current(ws)?
        .into_values()
        .filter(|f| match state {
            State::Open => f.state.is_open(),
            State::Resolved => !f.state.is_open(),
            State::All => true,
        })
        .filter(|f| tool.is_none_or(|t| f.tool.eq_ignore_ascii_case(t)))
        .filter(|f| rule.is_none_or(|r| f.rule == r))
        .collect();
    found.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then_with(|| a.tool.cmp(&b.tool))
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.path().cmp(b.path()))
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
    });
    Ok(found.iter().map(Listed::from).collect())
}

/// One finding with every revision, oldest first, or one scan.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Shown {
    /// A finding.
    Finding {
        /// The latest revision.
        finding: Box<Finding>,
        /// Every revision, oldest first.
        history: Vec<Finding>,
    },
    /// A scan.
    Scan {
        /// The scan record.
        scan: Box<Scan>,
    },
}

/// The finding whose fingerprint starts with `id` (at least 8 hex digits), or the scan `id`.
pub fn show(ws: &crate::workspace::Workspace, id: &str) -> Result<Shown> {
    let id = id.trim().to_lowercase();
    let not_found = || FindingsError::NotFound(id.clone());
    let Some(view) = ws.view()? else {
        return Err(not_found().into());
    };
    let trust = ws.trust()?;
    let scans = records::read_keyed::<Scan>(&view, std::slice::from_ref(&id), trust)?;
    if let Some(scan) = scans.into_iter().next() {
        return Ok(Shown::Scan {
            scan: Box::new(scan.record),
        });
    }
    if id.len() < 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found().into());
    }
    let latest = latest_findings(&view, trust, ws.require_signed()?)?;
    let mut matching = latest.keys().filter(|fp| fp.to_hex().starts_with(&id));
    let fingerprint = match (matching.next(), matching.next()) {
        (Some(fp), None) => *fp,
        (Some(_), Some(_)) => return Err(FindingsError::Ambiguous(id).into()),
        (None, _) => return Err(not_found().into()),
    };
    let mut history: Vec<Finding> =
        records::read_keyed::<Finding>(&view, &[fingerprint.to_hex()], trust)?
            .into_iter()
            .map(|r| r.record)
            .collect();
    history.sort_by_key(|f| (f.revision, f.last_seen));
    Ok(Shown::Finding {
        finding: Box::new(latest[&fingerprint].clone()),
        history,
    })
}

/// Open findings per tool, for `status`.
pub fn open_per_tool(ws: &crate::workspace::Workspace) -> Result<Vec<(String, u64)>> {
    let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
    for f in current(ws)?.values().filter(|f| f.state.is_open()) {
        *counts.entry(f.tool.clone()).or_default() += 1;
    }
    Ok(counts.into_iter().collect())
}
