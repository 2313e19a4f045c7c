//! Finding evidence already in the state by its identity, at a cost that does
//! not grow with the evidence log, on every `evidence add`.
//!
//! The log is stored as groups of segments (docs/state-format.md). Every group
//! but the last is full and never changes while it stays in place, and it is
//! named by its tree id; every segment but the last is full too, and named by
//! its blob id. Two local files, never pushed and safe to delete, hold the
//! identities of the records (their first 8 bytes, [`Short`]):
//!
//! - `.git/auditops/evidence-groups` ([`table`]): those of the full groups, as
//!   a hash table on disk, named by the groups' tree ids. A lookup reads its
//!   header and a few slots.
//! - `.git/auditops/evidence-tail` ([`tail`]): those of the full segments of
//!   the last group, named by their blob ids; under 70 KB, read whole.
//!
//! A lookup reads the log's tree and its last group's tree, checks each file
//! against them (from the first group or segment that moved, after a merge,
//! what follows is indexed again), reads the log's last segment itself, and
//! reads the segments whose cached identities match, to confirm each match on
//! the full record. A file that is stale, from another state, damaged or
//! missing only costs a re-read; it can never make a record look present that
//! is not.

mod table;
mod tail;

use super::Evidence;
use super::record::{Listed, parse};
use crate::error::Result;
use crate::ids::Sha256;
use crate::store::{self, Group, Segment, StateView};
use gix::ObjectId;
use std::path::PathBuf;
use table::{Entry, Table};
use tail::{Indexed, Tail};

/// An identity's first 8 bytes: enough to find the segments to read; a match
/// is confirmed on the full record.
type Short = u64;

const LOG: &str = store::EVIDENCE_LOG;

fn short(identity: &Sha256) -> Short {
    let bytes = identity.as_bytes();
    Short::from_be_bytes(bytes[..8].try_into().expect("a SHA-256 has 32 bytes"))
}

fn cache_dir(repo: &gix::Repository) -> PathBuf {
    repo.common_dir().join("auditops")
}

/// The records of the evidence log of `view` that are the same evidence as
/// `evidence` (by [`Evidence::identity`]), oldest first, for the caller to
/// choose among (the first that counts, say).
pub(crate) fn same_as(view: &StateView<'_>, evidence: &Evidence) -> Result<Vec<Listed>> {
    let identity = evidence.identity();
    let wanted = short(&identity);
    let groups = view.groups(LOG)?;
    let Some((last_group, full_groups)) = groups.split_last() else {
        return Ok(Vec::new());
    };
    let dir = cache_dir(view.repo);
    let mut to_read = in_full_groups(view, full_groups, wanted, &dir)?;
    let segments = view.group_segments(LOG, last_group)?;
    if let Some((last, full)) = segments.split_last() {
        to_read.extend(in_last_group(view, last_group.number, full, wanted, &dir)?);
        to_read.push(last.blob);
    }
    let mut found = Vec::new();
    for blob in to_read {
        for line in store::layout::lines(&view.read_blob(blob)?) {
            if let Some(listed) = parse(line).filter(|l| l.evidence.identity() == identity) {
                found.push(listed);
            }
        }
    }
    Ok(found)
}

/// The identities of the records of `segment`; lines that are not evidence
/// records have none.
fn identities_of(view: &StateView<'_>, segment: &Segment) -> Result<Vec<Short>> {
    let data = view.read_blob(segment.blob)?;
    Ok(store::layout::lines(&data)
        .filter_map(parse)
        .map(|listed| short(&listed.evidence.identity()))
        .collect())
}

/// The blobs, in log order, of the segments of the full groups `full` that
/// may hold `wanted`: from the table when it covers exactly these groups, else
/// after bringing the table up to date.
fn in_full_groups(
    view: &StateView<'_>,
    full: &[Group],
    wanted: Short,
    dir: &std::path::Path,
) -> Result<Vec<ObjectId>> {
    let path = dir.join("evidence-groups");
    let table = Table::open(&path);
    let covered = table.as_ref().map_or(&[][..], Table::groups);
    let kept = covered
        .iter()
        .zip(full)
        .take_while(|(id, group)| **id == group.tree)
        .count();
    let mut segments = if let Some(table) = table.as_ref().filter(|_| kept == covered.len())
        && kept == full.len()
    {
        table.lookup(wanted)
    } else {
        // Keep what still holds (the groups are numbered from 0, so those kept
        // hold the segments below `kept` groups' worth) and index the rest.
        let below = kept as u64 * store::layout::SEGMENTS_PER_GROUP;
        let mut entries: Vec<Entry> = table
            .map(|t| t.entries())
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.segment < below)
            .collect();
        let mut indexed: Vec<ObjectId> = full[..kept].iter().map(|g| g.tree).collect();
        for group in &full[kept..] {
            for segment in &view.group_segments(LOG, group)? {
                entries.extend(
                    identities_of(view, segment)?
                        .into_iter()
                        .map(|short| Entry {
                            short,
                            segment: segment.number,
                        }),
                );
            }
            indexed.push(group.tree);
        }
        // Only a speed-up: a table that cannot be written is rebuilt next time.
        let _ = crate::atomic_file::write(&path, &table::encode(&indexed, &entries));
        // The single file of earlier versions, superseded by these two.
        let _ = std::fs::remove_file(dir.join("evidence-identities"));
        let segments: Vec<u64> = entries
            .iter()
            .filter(|e| e.short == wanted)
            .map(|e| e.segment)
            .collect();
        segments
    };
    segments.sort_unstable();
    segments.dedup();
    let mut blobs = Vec::new();
    let mut listed: Option<(u64, Vec<Segment>)> = None;
    for number in segments {
        let group_number = number / store::layout::SEGMENTS_PER_GROUP;
        let Some(group) = full.get(group_number as usize) else {
            continue;
        };
        if listed.as_ref().is_none_or(|(g, _)| *g != group_number) {
            listed = Some((group_number, view.group_segments(LOG, group)?));
        }
        let in_group = listed.as_ref().map_or(&[][..], |(_, s)| s.as_slice());
        blobs.extend(
            in_group
                .iter()
                .filter(|s| s.number == number)
                .map(|s| s.blob),
        );
    }
    Ok(blobs)
}

/// The blobs, in log order, of the full segments `full` of the last group
/// (numbered `group`) that may hold `wanted`, keeping the tail file up to date.
fn in_last_group(
    view: &StateView<'_>,
    group: u64,
    full: &[Segment],
    wanted: Short,
    dir: &std::path::Path,
) -> Result<Vec<ObjectId>> {
    let path = dir.join("evidence-tail");
    let mut cached = tail::load(&path);
    if cached.group != group {
        cached = Tail {
            group,
            segments: Vec::new(),
        };
    }
    let kept = cached
        .segments
        .iter()
        .zip(full)
        .take_while(|(indexed, segment)| indexed.blob == segment.blob)
        .count();
    let changed = kept != cached.segments.len() || kept != full.len();
    cached.segments.truncate(kept);
    for segment in &full[kept..] {
        // A segment too long to be full is not kept; it is read every time.
        let identities = identities_of(view, segment)?;
        if identities.len() > tail::MAX_PER_SEGMENT {
            break;
        }
        cached.segments.push(Indexed {
            blob: segment.blob,
            identities,
        });
    }
    if changed {
        // Only a speed-up: a file that cannot be written is rebuilt next time.
        let _ = crate::atomic_file::write(&path, &tail::encode(&cached));
    }
    let mut blobs: Vec<ObjectId> = cached
        .segments
        .iter()
        .filter(|s| s.identities.contains(&wanted))
        .map(|s| s.blob)
        .collect();
    blobs.extend(full[cached.segments.len()..].iter().map(|s| s.blob));
    Ok(blobs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{LineRange, Request};
    use crate::time::Timestamp;

    /// A repository with one committed file, and its state holding `count`
    /// unsigned evidence records `d 0`, `d 1`, ….
    fn state_with(count: usize) -> (tempfile::TempDir, gix::Repository, Vec<Evidence>) {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
        };
        git(&["init", "-q"]);
        std::fs::write(dir.path().join("f.txt"), "one\ntwo\n").unwrap();
        git(&["add", "f.txt"]);
        git(&["commit", "-qm", "f"]);
        let repo = gix::open(dir.path()).unwrap();
        let lines: LineRange = "1-2".parse().unwrap();
        let evidence: Vec<Evidence> = (0..count)
            .map(|i| {
                let description = format!("d {i}");
                let request = Request {
                    phase: 0,
                    file: "f.txt",
                    lines,
                    description: &description,
                    id: None,
                    rev: "HEAD",
                };
                crate::evidence::build(&repo, &request, Timestamp::now()).unwrap()
            })
            .collect();
        let records: Vec<Vec<u8>> = evidence
            .iter()
            .map(|e| crate::sign::seal(&e.statement(), None))
            .collect();
        let store = store::Store::new(&repo, store::DEFAULT_REF).unwrap();
        store.append(LOG, &records, "fill").unwrap();
        (dir, repo, evidence)
    }

    fn found(repo: &gix::Repository, evidence: &Evidence) -> Vec<String> {
        let store = store::Store::new(repo, store::DEFAULT_REF).unwrap();
        let view = store.view().unwrap().unwrap();
        same_as(&view, evidence)
            .unwrap()
            .into_iter()
            .map(|l| l.evidence.description)
            .collect()
    }

    /// Two full groups (8,192 records each) and a last group of a few full
    /// segments and a partial one: a record is found wherever it sits, through
    /// fresh, stale, damaged or foreign files alike.
    #[test]
    fn evidence_is_found_in_every_part_of_the_log_whatever_the_files_hold() {
        let per_group = store::layout::SEGMENTS_PER_GROUP as usize * store::layout::SEGMENT_RECORDS;
        let (_dir, repo, evidence) = state_with(2 * per_group + 3 * 32 + 5);
        let dir = cache_dir(&repo);
        let (groups, tail) = (dir.join("evidence-groups"), dir.join("evidence-tail"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("evidence-identities"), b"AOEVID1\n").unwrap();
        let samples = [
            0,
            31,
            32,
            per_group - 1,
            per_group,
            2 * per_group + 40,
            evidence.len() - 1,
        ];
        for round in ["fresh", "kept", "damaged", "foreign"] {
            match round {
                "damaged" => {
                    std::fs::write(&groups, b"AOEVGR1\n\x02").unwrap();
                    std::fs::write(&tail, b"garbage").unwrap();
                }
                "foreign" => {
                    // Files of another state: same shape, other groups and segments.
                    let other = ObjectId::null(gix::hash::Kind::Sha1);
                    let entries = [Entry {
                        short: 1,
                        segment: 0,
                    }];
                    std::fs::write(&groups, table::encode(&[other, other], &entries)).unwrap();
                    let foreign = Tail {
                        group: 2,
                        segments: vec![Indexed {
                            blob: other,
                            identities: vec![1],
                        }],
                    };
                    std::fs::write(&tail, tail::encode(&foreign)).unwrap();
                }
                _ => {}
            }
            for &i in &samples {
                assert_eq!(
                    found(&repo, &evidence[i]),
                    vec![format!("d {i}")],
                    "{round}: record {i}"
                );
            }
            assert!(groups.exists() && tail.exists(), "{round}");
            assert!(
                !dir.join("evidence-identities").exists(),
                "the old file is gone"
            );
        }
        let table = Table::open(&groups).unwrap();
        assert_eq!(table.groups().len(), 2, "both full groups covered");
        assert_eq!(table.entries().len(), 2 * per_group);
        assert_eq!(
            tail::load(&tail).segments.len(),
            3,
            "the last group's full segments"
        );
        let mut other = evidence[0].clone();
        other.description = "never recorded".into();
        assert!(found(&repo, &other).is_empty());
    }
}
