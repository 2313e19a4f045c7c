//! The history only grows: every transaction of the state ref keeps every
//! record its parents hold (docs/state-format.md, "The append-only check").
//!
//! A transaction that is not a merge may only append: its parent's full
//! segments are unchanged and its parent's last segment is a byte prefix of the
//! same-numbered segment after it. A merge keeps every record of each parent
//! (its tail is re-sorted, so only membership is checked there). The keyed
//! index and `kept/` are unions of paths: no path of a parent may vanish or
//! change. Only the trees that differ are read (equal group trees are skipped
//! whole), so checking a transaction costs about what writing it did, and a
//! whole history costs time linear in its number of transactions.

use super::error::{Result, StoreError};
use super::index::INDEX_DIR;
use super::kept::KEPT_DIR;
use super::record::RecordId;
use super::view::{Segment, StateView};
use super::{Store, layout, tree_diff};
use crate::ids::CommitId;
use gix::ObjectId;
use std::collections::HashSet;

/// Something wrong with the history of the state ref as a whole, rather than
/// with one record: a transaction that lost records, or a layout rule broken.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryFault {
    /// The transaction at fault (for a layout rule: the tip).
    pub commit: CommitId,
    /// The parent it lost records of, when that is the fault.
    pub parent: Option<CommitId>,
    /// What is wrong, in one line.
    pub reason: String,
    /// The records it dropped (empty when records were only moved or reordered).
    pub dropped: Vec<RecordId>,
}

/// What checking the history found.
#[derive(Debug, Default)]
pub struct Growth {
    /// Transactions checked against their parents.
    pub checked: usize,
    /// What is wrong.
    pub faults: Vec<HistoryFault>,
}

impl Store<'_> {
    /// Checks that every transaction reachable from `tip` only adds to its
    /// parents, except those `done` vouches for (already checked, with all
    /// their ancestors): the walk stops there.
    pub fn check_growth(
        &self,
        tip: ObjectId,
        mut done: impl FnMut(ObjectId) -> bool,
    ) -> Result<Growth> {
        let mut growth = Growth::default();
        let mut stack = vec![tip];
        let mut seen: HashSet<ObjectId> = HashSet::new();
        while let Some(commit) = stack.pop() {
            if !seen.insert(commit) || done(commit) {
                continue;
            }
            let parents: Vec<ObjectId> = self
                .repo
                .find_commit(commit)
                .map_err(StoreError::git)?
                .parent_ids()
                .map(|p| p.detach())
                .collect();
            let child = self.view_at(commit)?;
            let merge = parents.len() > 1;
            for parent in &parents {
                let parent_view = self.view_at(*parent)?;
                check_transaction(&parent_view, &child, merge, &mut growth.faults)?;
            }
            growth.checked += 1;
            stack.extend(parents);
        }
        Ok(growth)
    }
}

fn fault(
    child: &StateView<'_>,
    parent: &StateView<'_>,
    reason: String,
    dropped: Vec<RecordId>,
) -> HistoryFault {
    HistoryFault {
        commit: child.commit.into(),
        parent: Some(parent.commit.into()),
        reason,
        dropped,
    }
}

/// Checks that `child` holds everything `parent` does.
fn check_transaction(
    parent: &StateView<'_>,
    child: &StateView<'_>,
    merge: bool,
    out: &mut Vec<HistoryFault>,
) -> Result<()> {
    if parent.tree == child.tree {
        return Ok(());
    }
    for log in parent.logs()? {
        check_log(parent, child, &log, merge, out)?;
    }
    for dir in [INDEX_DIR, KEPT_DIR] {
        let Some(theirs) = tree_diff::top_dir(parent.repo, parent.tree, dir)? else {
            continue;
        };
        let ours = tree_diff::top_dir(child.repo, child.tree, dir)?;
        let mut lost = Vec::new();
        tree_diff::lost(parent.repo, theirs, ours, dir, &mut lost)?;
        if lost.is_empty() {
            continue;
        }
        let dropped = lost
            .iter()
            .filter_map(|l| {
                l.path
                    .rsplit('/')
                    .next()?
                    .strip_suffix(".json")?
                    .parse()
                    .ok()
            })
            .collect();
        let paths: Vec<&str> = lost.iter().take(5).map(|l| l.path.as_str()).collect();
        let more = lost.len().saturating_sub(paths.len());
        out.push(fault(
            child,
            parent,
            format!(
                "{} file(s) of `{dir}/` its parent holds are gone or changed: {}{}",
                lost.len(),
                paths.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ),
            dropped,
        ));
    }
    Ok(())
}

/// The segments of `groups`, in order.
fn segments_of(view: &StateView<'_>, groups: &[(u64, ObjectId)]) -> Result<Vec<Segment>> {
    let mut out = Vec::new();
    for (_, group_tree) in groups {
        for (number, blob) in view.numbered_entries(
            *group_tree,
            layout::parse_segment_file_name,
            false,
            "segment",
        )? {
            out.push(Segment { number, blob });
        }
    }
    Ok(out)
}

fn ids(view: &StateView<'_>, segments: &[Segment]) -> Result<Vec<RecordId>> {
    let mut out = Vec::new();
    for segment in segments {
        let data = view.read_blob(segment.blob)?;
        out.extend(layout::lines(&data).map(RecordId::of));
    }
    Ok(out)
}

fn check_log(
    parent: &StateView<'_>,
    child: &StateView<'_>,
    log: &str,
    merge: bool,
    out: &mut Vec<HistoryFault>,
) -> Result<()> {
    let Some(theirs) = tree_diff::top_dir(parent.repo, parent.tree, log)? else {
        return Ok(());
    };
    let ours = tree_diff::top_dir(child.repo, child.tree, log)?;
    if ours == Some(theirs) {
        return Ok(());
    }
    let parent_groups = parent.numbered_entries(theirs, layout::parse_group_name, true, log)?;
    let child_groups = match ours {
        Some(tree) => child.numbered_entries(tree, layout::parse_group_name, true, log)?,
        None => Vec::new(),
    };
    // Groups equal on both sides hold the same segments: skip them whole.
    let same_groups = parent_groups
        .iter()
        .zip(&child_groups)
        .take_while(|(a, b)| a == b)
        .count();
    let parent_rest = segments_of(parent, &parent_groups[same_groups..])?;
    let child_rest = match ours {
        Some(_) => segments_of(child, &child_groups[same_groups..])?,
        None => Vec::new(),
    };
    let same = parent_rest
        .iter()
        .zip(&child_rest)
        .take_while(|(a, b)| a == b)
        .count();
    let (parent_rest, child_rest) = (&parent_rest[same..], &child_rest[same..]);
    if parent_rest.is_empty() {
        return Ok(());
    }
    // Not a merge: only the parent's last segment may change, by growing.
    if !merge
        && let ([last], [first, ..]) = (parent_rest, child_rest)
        && first.number == last.number
    {
        let before = parent.read_blob(last.blob)?;
        let after = child.read_blob(first.blob)?;
        if after.starts_with(&before) {
            return Ok(());
        }
    }
    let kept: HashSet<RecordId> = ids(child, child_rest)?.into_iter().collect();
    let had = ids(parent, parent_rest)?;
    let mut dropped: Vec<RecordId> = had
        .iter()
        .filter(|id| !kept.contains(id))
        .copied()
        .collect();
    dropped.dedup();
    if merge && dropped.is_empty() {
        return Ok(());
    }
    let changed: Vec<String> = parent_rest
        .iter()
        .filter(|segment| !child_rest.contains(segment))
        .map(|segment| layout::segment_path(log, segment.number))
        .collect();
    let reason = if dropped.is_empty() {
        format!(
            "rewrote {} of its parent without dropping records (moved or reordered; a transaction only appends)",
            changed.join(", ")
        )
    } else {
        let names: Vec<String> = dropped.iter().take(5).map(|id| id.to_string()).collect();
        format!(
            "dropped {} record(s) of `{log}` its parent holds (in {}): {}{}",
            dropped.len(),
            changed.join(", "),
            names.join(", "),
            if dropped.len() > names.len() {
                " …"
            } else {
                ""
            }
        )
    };
    out.push(fault(child, parent, reason, dropped));
    Ok(())
}

/// The ids of every record of a state: its logs and its index.
fn record_ids(view: &StateView<'_>) -> Result<HashSet<RecordId>> {
    let mut ids = HashSet::new();
    for log in view.logs()? {
        view.for_each_record(&log, |line| {
            ids.insert(RecordId::of(line));
            Ok(())
        })?;
    }
    view.for_each_keyed(|_, record| {
        ids.insert(record.id);
        Ok(())
    })?;
    Ok(ids)
}

impl Store<'_> {
    /// The records the state at `old` holds and the one at `new` does not, in
    /// the order `old` holds them: what a remote dropped when its new state
    /// does not descend from the one fetched before. Reads both states whole;
    /// only a rewritten history needs it.
    pub fn dropped_records(&self, old: ObjectId, new: ObjectId) -> Result<Vec<RecordId>> {
        let old = self.view_at(old)?;
        let new = record_ids(&self.view_at(new)?)?;
        let mut dropped = Vec::new();
        for log in old.logs()? {
            old.for_each_record(&log, |line| {
                let id = RecordId::of(line);
                if !new.contains(&id) && !dropped.contains(&id) {
                    dropped.push(id);
                }
                Ok(())
            })?;
        }
        old.for_each_keyed(|_, record| {
            if !new.contains(&record.id) {
                dropped.push(record.id);
            }
            Ok(())
        })?;
        Ok(dropped)
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: ObjectId, descendant: ObjectId) -> Result<bool> {
        if ancestor == descendant {
            return Ok(true);
        }
        let base = self
            .repo
            .merge_base(ancestor, descendant)
            .map_err(StoreError::git)?;
        Ok(base.is_some_and(|base| base.detach() == ancestor))
    }
}
