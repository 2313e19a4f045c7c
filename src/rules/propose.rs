//! `rules propose`: recorded failures grouped by signature, most frequent
//! first, each with a confidence and a suggestion, leaving out signatures a
//! person has already decided about.

use super::history::{self, Run};
use super::patterns::{self, Suggestion};
use super::record::{Confidence, RuleAction};
use crate::config::Category;
use crate::error::Result;
use crate::ids::Sha256;
use crate::time::Timestamp;
use crate::workspace::Workspace;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One proposed rule (`rules propose --json`).
#[derive(Debug, Clone, Serialize)]
pub struct Proposal {
    /// The signature's normalized text.
    pub signature: String,
    /// Its SHA-256.
    pub sha256: Sha256,
    /// The failures' category.
    pub category: Category,
    /// How many recorded failures have it.
    pub count: usize,
    /// By count: high ≥ 10, medium 5–9, low < 5.
    pub confidence: Confidence,
    /// The first failure's time.
    pub first_seen: Timestamp,
    /// The last failure's time.
    pub last_seen: Timestamp,
    /// The gates and validators that failed so.
    pub gates: Vec<String>,
    /// The failure records.
    pub records: Vec<String>,
    /// A check that both passed and failed on one tree with one definition.
    pub flaky: bool,
    /// What the bootstrap patterns suggest.
    pub suggestion: Option<Suggestion>,
}

/// Groups the failures among `runs` by signature; flaky detection looks at
/// every run in `all`.
pub(crate) fn group(runs: &[Run], all: &[Run], patterns: &[patterns::Pattern]) -> Vec<Proposal> {
    let passed_on: BTreeSet<_> = all
        .iter()
        .filter(|r| r.passed && !r.flaky)
        .filter_map(|r| Some((r.check.clone(), r.tree_and_definition?)))
        .collect();
    let mut groups: BTreeMap<Sha256, Proposal> = BTreeMap::new();
    for run in runs.iter().filter(|r| r.failed()) {
        let Some(sig) = &run.signature else { continue };
        let flaky = run.flaky
            || run
                .tree_and_definition
                .is_some_and(|td| passed_on.contains(&(run.check.clone(), td)));
        let entry = groups.entry(sig.sha256).or_insert_with(|| Proposal {
            signature: sig.text.clone(),
            sha256: sig.sha256,
            category: run.category,
            count: 0,
            confidence: Confidence::Low,
            first_seen: run.at,
            last_seen: run.at,
            gates: Vec::new(),
            records: Vec::new(),
            flaky: false,
            suggestion: None,
        });
        entry.count += 1;
        entry.first_seen = entry.first_seen.min(run.at);
        entry.last_seen = entry.last_seen.max(run.at);
        if !entry.gates.contains(&run.check) {
            entry.gates.push(run.check.clone());
        }
        if !entry.records.contains(&run.record) {
            entry.records.push(run.record.clone());
        }
        entry.flaky |= flaky;
    }
    let mut proposals: Vec<Proposal> = groups
        .into_values()
        .map(|mut p| {
            p.confidence = Confidence::of(p.count);
            p.suggestion = match p.flaky {
                true => Some(flaky_suggestion()),
                false => patterns::suggest(patterns, p.category, &p.signature),
            };
            p
        })
        .collect();
    proposals.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(b.last_seen.cmp(&a.last_seen))
            .then(a.sha256.cmp(&b.sha256))
    });
    proposals
}

fn flaky_suggestion() -> Suggestion {
    Suggestion {
        pattern: "flaky".into(),
        guidance: "This check both passed and failed on the same tree: it is flaky. \
                   Retry it once, and fix what makes it depend on timing or order."
            .into(),
        action: RuleAction::Retry,
        fix: None,
    }
}

/// `rules propose [--since D] [--min N]`: the undecided signatures.
pub fn propose(ws: &Workspace, since: Option<&str>, min: usize) -> Result<Vec<Proposal>> {
    let window = super::parse_since(since.unwrap_or("30d"))?;
    let patterns = patterns::load(ws.repo().workdir())?;
    let all = history::runs(ws)?;
    let decided: BTreeSet<Sha256> = super::decide::latest(ws)?
        .into_iter()
        .map(|r| r.signature)
        .collect();
    let recent = history::since(all.clone(), window);
    Ok(group(&recent, &all, &patterns)
        .into_iter()
        .filter(|p| p.count >= min && !decided.contains(&p.sha256))
        .collect())
}

/// Every signature ever recorded, all time, undecided or not (for `accept`).
pub(crate) fn all_time(ws: &Workspace) -> Result<Vec<Proposal>> {
    let patterns = patterns::load(ws.repo().workdir())?;
    let all = history::runs(ws)?;
    Ok(group(&all, &all, &patterns))
}

/// How many signatures `rules propose` would list with its defaults (for
/// `status`; the bootstrap patterns do not change the count, so a malformed
/// override does not stop `status`).
pub(crate) fn pending_count(ws: &Workspace) -> Result<usize> {
    let all = history::runs(ws)?;
    let decided: BTreeSet<Sha256> = super::decide::latest(ws)?
        .into_iter()
        .map(|r| r.signature)
        .collect();
    let recent = history::since(all.clone(), super::parse_since("30d")?);
    Ok(group(&recent, &all, &[])
        .iter()
        .filter(|p| !decided.contains(&p.sha256))
        .count())
}
