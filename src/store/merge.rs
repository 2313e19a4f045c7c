//! Bringing another copy of the state in: fast-forward when possible, otherwise a
//! merge commit whose logs are the union of both sides.
//!
//! The merged sequence of a log is the longest common prefix of both sides,
//! followed by every other record of either side sorted by record id. That rule
//! is symmetric, so A merging B and B merging A produce the same tree. Segments
//! whose blobs are identical on both sides are never read.

use super::append::write_segment;
use super::error::{Result, StoreError};
use super::index::{self, KeyedPath};
use super::kept;
use super::record::{RawRecord, RecordId};
use super::tree_diff;
use super::tree_edit::TreeEdit;
use super::view::StateView;
use super::{Location, Store, layout};
use gix::ObjectId;
use std::collections::{BTreeSet, HashSet};

/// Records the other side has and this side lacks, with where they are stored.
pub struct Incoming {
    /// Each record and where it would be stored.
    pub records: Vec<(Location, RawRecord)>,
    /// What the other side keeps for its evidence (`kept/`), to check a record
    /// whose commit this repository lacks.
    pub kept: Option<super::Kept>,
}

/// How bringing another state in ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntegrateOutcome {
    /// Everything the other side has is already here.
    UpToDate,
    /// The state ref moved forward to the other side's tip.
    FastForward {
        /// The new tip.
        commit: ObjectId,
        /// Records that arrived.
        arrived: usize,
    },
    /// A merge commit joined both sides.
    Merged {
        /// The merge commit.
        commit: ObjectId,
        /// Records that arrived.
        arrived: usize,
    },
}

/// How one log differs between the two sides.
struct LogDiff {
    log: String,
    /// Segments `0..first_differing` are identical (and full) on both sides.
    first_differing: u64,
    ours_rest: Vec<RawRecord>,
    theirs_rest: Vec<RawRecord>,
}

impl LogDiff {
    /// The merged sequence of the records from `first_differing` on.
    fn merged_rest(&self) -> Vec<&RawRecord> {
        let common = self
            .ours_rest
            .iter()
            .zip(&self.theirs_rest)
            .take_while(|(a, b)| a.id == b.id)
            .count();
        let mut seen: HashSet<RecordId> = HashSet::new();
        let mut merged: Vec<&RawRecord> = Vec::new();
        for record in &self.ours_rest[..common] {
            if seen.insert(record.id) {
                merged.push(record);
            }
        }
        let mut rest: Vec<&RawRecord> = self.ours_rest[common..]
            .iter()
            .chain(&self.theirs_rest[common..])
            .collect();
        rest.sort_by_key(|r| r.id);
        for record in rest {
            if seen.insert(record.id) {
                merged.push(record);
            }
        }
        merged
    }

    fn incoming(&self) -> impl Iterator<Item = &RawRecord> {
        let ours: HashSet<RecordId> = self.ours_rest.iter().map(|r| r.id).collect();
        let mut yielded = HashSet::new();
        self.theirs_rest
            .iter()
            .filter(move |r| !ours.contains(&r.id) && yielded.insert(r.id))
    }
}

fn read_records(view: &StateView<'_>, segments: &[super::Segment]) -> Result<Vec<RawRecord>> {
    let mut records = Vec::new();
    for segment in segments {
        let data = view.read_blob(segment.blob)?;
        records.extend(layout::lines(&data).map(|line| RawRecord::new(line.to_vec())));
    }
    Ok(records)
}

fn diff_log(ours: Option<&StateView<'_>>, theirs: &StateView<'_>, log: &str) -> Result<LogDiff> {
    let ours_segments = match ours {
        Some(view) => view.segments(log)?,
        None => Vec::new(),
    };
    let theirs_segments = theirs.segments(log)?;
    // A segment followed by another is full, so equal blobs before both sides'
    // last segments are a common prefix of whole segments.
    let shared = ours_segments
        .iter()
        .zip(&theirs_segments)
        .take(
            ours_segments
                .len()
                .min(theirs_segments.len())
                .saturating_sub(1),
        )
        .take_while(|(a, b)| a.blob == b.blob)
        .count();
    let ours_rest = match ours {
        Some(view) => read_records(view, &ours_segments[shared..])?,
        None => Vec::new(),
    };
    let theirs_rest = read_records(theirs, &theirs_segments[shared..])?;
    Ok(LogDiff {
        log: log.to_owned(),
        first_differing: shared as u64,
        ours_rest,
        theirs_rest,
    })
}

fn index_tree(view: &StateView<'_>) -> Result<Option<ObjectId>> {
    let tree = view.repo.find_tree(view.tree).map_err(StoreError::git)?;
    Ok(tree
        .find_entry(index::INDEX_DIR)
        .filter(|e| e.mode().is_tree())
        .map(|e| e.object_id()))
}

fn incoming_keyed(
    ours: Option<&StateView<'_>>,
    theirs: &StateView<'_>,
) -> Result<Vec<(KeyedPath, ObjectId, RawRecord)>> {
    let mut out = Vec::new();
    if let Some(their_index) = index_tree(theirs)? {
        let our_index = match ours {
            Some(view) => index_tree(view)?,
            None => None,
        };
        index::missing_from_ours(theirs, our_index, their_index, index::INDEX_DIR, &mut out)?;
    }
    Ok(out)
}

impl Store<'_> {
    /// Brings the state at `theirs` into the state ref.
    ///
    /// `accept` sees every record that would arrive before anything is written; when
    /// it returns false nothing changes and the result is `IncomingRejected`.
    pub fn integrate(
        &self,
        theirs: ObjectId,
        remote: &str,
        mut accept: impl FnMut(&Incoming) -> bool,
    ) -> Result<IntegrateOutcome> {
        let theirs_view = self.view_at(theirs)?;
        let mut race = super::Race::new();
        loop {
            let ours = self.tip()?;
            if ours == Some(theirs) {
                return Ok(IntegrateOutcome::UpToDate);
            }
            let base = match ours {
                Some(ours) => self
                    .repo
                    .merge_base(ours, theirs)
                    .map_err(StoreError::git)?
                    .map(|id| id.detach()),
                None => None,
            };
            if base == Some(theirs) {
                return Ok(IntegrateOutcome::UpToDate);
            }
            let ours_view = ours.map(|c| self.view_at(c)).transpose()?;
            let mut logs: BTreeSet<String> = theirs_view.logs()?.into_iter().collect();
            if let Some(view) = &ours_view {
                logs.extend(view.logs()?);
            }
            let diffs = logs
                .iter()
                .map(|log| diff_log(ours_view.as_ref(), &theirs_view, log))
                .collect::<Result<Vec<_>>>()?;
            let keyed = incoming_keyed(ours_view.as_ref(), &theirs_view)?;
            let incoming = Incoming {
                records: diffs
                    .iter()
                    .flat_map(|d| {
                        d.incoming()
                            .map(|r| (Location::Log(d.log.clone()), r.clone()))
                    })
                    .chain(
                        keyed
                            .iter()
                            .map(|(path, _, r)| (Location::Keyed(path.clone()), r.clone())),
                    )
                    .collect(),
                kept: theirs_view.kept()?,
            };
            if !accept(&incoming) {
                return Err(StoreError::IncomingRejected {
                    remote: remote.to_owned(),
                });
            }
            let arrived = incoming.records.len();
            let fast_forward = ours.is_none() || base == ours;
            let (commit, message) = if fast_forward {
                (
                    theirs,
                    format!("pull: fast-forward to {remote} ({arrived} records arrived)"),
                )
            } else {
                let ours_view = ours_view
                    .as_ref()
                    .expect("not a fast-forward, so ours exists");
                let message = format!("merge: union with {remote} ({arrived} records arrived)");
                let parents = [ours_view.commit, theirs];
                let commit = self.staged(|scratch| {
                    let tree = scratch.merged_tree(ours_view, &theirs_view, &diffs, &keyed)?;
                    scratch.write_commit(tree, &parents, &message)
                })?;
                (commit, message)
            };
            match self.compare_and_swap(ours, commit, &message)? {
                Ok(()) if fast_forward => {
                    return Ok(IntegrateOutcome::FastForward { commit, arrived });
                }
                Ok(()) => return Ok(IntegrateOutcome::Merged { commit, arrived }),
                Err(err) => self.after_lost_race(ours, &mut race, err)?,
            }
        }
    }

    fn merged_tree(
        &self,
        ours: &StateView<'_>,
        theirs: &StateView<'_>,
        diffs: &[LogDiff],
        keyed: &[(KeyedPath, ObjectId, RawRecord)],
    ) -> Result<ObjectId> {
        let mut editor = TreeEdit::new(self.repo, ours.tree)?;
        if ours.version < super::FORMAT_VERSION {
            editor.upsert_blob(layout::VERSION_FILE, self.version_blob()?)?;
        }
        // Kept content is named after what it is for: the union of paths. A
        // path both sides hold differently keeps ours (only a forged tree can
        // differ; `verify` checks the quoted lines' hash against it anyway).
        if let Some(their_kept) = tree_diff::top_dir(self.repo, theirs.tree, kept::KEPT_DIR)? {
            let our_kept = tree_diff::top_dir(self.repo, ours.tree, kept::KEPT_DIR)?;
            let mut missing = Vec::new();
            tree_diff::lost(
                self.repo,
                their_kept,
                our_kept,
                kept::KEPT_DIR,
                &mut missing,
            )?;
            for lost in missing.iter().filter(|l| !l.changed) {
                editor.upsert_blob(&lost.path, lost.blob)?;
            }
        }
        // Keyed files are named by their record id: the union of paths is the merge.
        for (path, blob, _) in keyed {
            editor.upsert_blob(&path.display(), *blob)?;
        }
        for diff in diffs {
            let merged = diff.merged_rest();
            for (offset, chunk) in merged.chunks(layout::SEGMENT_RECORDS).enumerate() {
                let mut data = Vec::new();
                for record in chunk {
                    data.extend_from_slice(&record.line);
                    data.push(b'\n');
                }
                let number = diff.first_differing + offset as u64;
                write_segment(self.repo, &mut editor, &diff.log, number, &data)?;
            }
        }
        editor.write()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(names: &[&str]) -> Vec<RawRecord> {
        names
            .iter()
            .map(|n| RawRecord::new(format!("{{\"r\":\"{n}\"}}").into_bytes()))
            .collect()
    }

    fn ids(records: &[&RawRecord]) -> Vec<RecordId> {
        records.iter().map(|r| r.id).collect()
    }

    fn diff(ours: &[&str], theirs: &[&str]) -> LogDiff {
        LogDiff {
            log: "evidence".into(),
            first_differing: 0,
            ours_rest: records(ours),
            theirs_rest: records(theirs),
        }
    }

    #[test]
    fn merge_is_symmetric_and_keeps_the_common_prefix() {
        let ab = diff(&["base1", "base2", "a1", "a2"], &["base1", "base2", "b1"]);
        let ba = diff(&["base1", "base2", "b1"], &["base1", "base2", "a1", "a2"]);
        let merged_ab = ids(&ab.merged_rest());
        assert_eq!(merged_ab, ids(&ba.merged_rest()));
        assert_eq!(merged_ab.len(), 5);
        assert_eq!(
            merged_ab[..2],
            ids(&records(&["base1", "base2"]).iter().collect::<Vec<_>>())[..]
        );
    }

    #[test]
    fn duplicates_arrive_once() {
        let d = diff(&["x", "y"], &["x", "z", "y", "z"]);
        assert_eq!(d.merged_rest().len(), 3);
        assert_eq!(d.incoming().count(), 1);
    }
}
