//! Finding evidence already in the state by its identity, without reading the
//! whole evidence log on every `evidence add`.
//!
//! Every segment of a log but the last is full and never changes while it stays
//! in place, and a segment is named by its blob id. So the identities of the
//! records of each such segment are kept in a local file,
//! `.git/auditops/evidence-identities` (never pushed, safe to delete), in log order
//! with the segment's blob id. A lookup lists the segments (a few trees), keeps
//! the cached segments whose blob ids are still in place, indexes the full
//! segments it has not seen (after a merge: from the first one that moved), reads
//! the last segment itself, and reads the one segment whose cached identity
//! matches to confirm the match on the full record. A cache that is stale, from
//! another state, damaged or missing only costs a re-read; it can never make a
//! record look present that is not.

use super::Evidence;
use super::record::{Listed, parse};
use crate::error::Result;
use crate::store::{self, Segment, StateView};
use gix::ObjectId;
use std::path::PathBuf;

/// The first bytes of the file: its format, for a future change to see.
const MAGIC: &[u8; 8] = b"AOEVID1\n";
/// Identities are kept as their first 8 bytes: enough to find the one segment
/// to read; the match is confirmed on the full record.
type Short = u64;

/// The identities of the records of one full segment.
struct Indexed {
    blob: ObjectId,
    identities: Vec<Short>,
}

fn path(repo: &gix::Repository) -> PathBuf {
    repo.common_dir()
        .join("auditops")
        .join("evidence-identities")
}

fn short(identity: &crate::ids::Sha256) -> Short {
    let bytes = identity.as_bytes();
    Short::from_be_bytes([
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
    ])
}

fn lines_of(view: &StateView<'_>, blob: ObjectId) -> Result<Vec<Vec<u8>>> {
    let data = view.read_blob(blob)?;
    Ok(store::layout::lines(&data).map(<[u8]>::to_vec).collect())
}

fn index(view: &StateView<'_>, segment: &Segment) -> Result<Indexed> {
    let identities = lines_of(view, segment.blob)?
        .iter()
        .map(|line| parse(line).map_or(0, |l| short(&l.evidence.identity())))
        .collect();
    Ok(Indexed {
        blob: segment.blob,
        identities,
    })
}

/// The cache as stored; empty when missing or not in this format.
fn load(repo: &gix::Repository) -> Vec<Indexed> {
    let Ok(bytes) = std::fs::read(path(repo)) else {
        return Vec::new();
    };
    decode(&bytes).unwrap_or_default()
}

fn decode(bytes: &[u8]) -> Option<Vec<Indexed>> {
    let mut rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let mut out = Vec::new();
    while let Some((&id_len, tail)) = rest.split_first() {
        let (id, tail) = tail.split_at_checked(id_len as usize)?;
        let (&count, tail) = tail.split_first()?;
        let (ids, tail) = tail.split_at_checked(count as usize * 8)?;
        out.push(Indexed {
            blob: ObjectId::try_from(id).ok()?,
            identities: ids
                .chunks_exact(8)
                .map(|c| Short::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect(),
        });
        rest = tail;
    }
    Some(out)
}

fn encode(segments: &[Indexed]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    for s in segments {
        let id = s.blob.as_bytes();
        out.push(id.len() as u8);
        out.extend_from_slice(id);
        out.push(s.identities.len() as u8);
        for i in &s.identities {
            out.extend_from_slice(&i.to_le_bytes());
        }
    }
    out
}

/// The records of the evidence log of `view` that are the same evidence as
/// `evidence` (by [`Evidence::identity`]), oldest first, for the caller to
/// choose among (the first that counts, say). Reads the log's trees, its last
/// segment and the segments that hold a match, plus any full segment not seen
/// before, which it adds to the local cache.
pub(crate) fn same_as(view: &StateView<'_>, evidence: &Evidence) -> Result<Vec<Listed>> {
    let identity = evidence.identity();
    let wanted = short(&identity);
    let segments = view.segments(store::EVIDENCE_LOG)?;
    let Some((last, full)) = segments.split_last() else {
        return Ok(Vec::new());
    };
    let mut cache = load(view.repo);
    let kept = cache
        .iter()
        .zip(full)
        .take_while(|(cached, segment)| cached.blob == segment.blob)
        .count();
    let changed = kept != cache.len() || kept != full.len();
    cache.truncate(kept);
    for segment in &full[kept..] {
        // A segment too long to be full is not cached; it is read every time.
        let indexed = index(view, segment)?;
        if indexed.identities.len() > usize::from(u8::MAX) {
            break;
        }
        cache.push(indexed);
    }
    if changed {
        // Only a speed-up: a cache that cannot be written is rebuilt next time.
        let _ = crate::atomic_file::write(&path(view.repo), &encode(&cache));
    }
    let mut to_read: Vec<ObjectId> = cache
        .iter()
        .filter(|s| s.identities.contains(&wanted))
        .map(|s| s.blob)
        .collect();
    to_read.extend(full[cache.len()..].iter().map(|s| s.blob));
    to_read.push(last.blob);
    let mut found = Vec::new();
    for blob in to_read {
        for line in lines_of(view, blob)? {
            if let Some(listed) = parse(&line).filter(|l| l.evidence.identity() == identity) {
                found.push(listed);
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_round_trips_and_damage_reads_as_empty() {
        let segments = vec![Indexed {
            blob: ObjectId::null(gix::hash::Kind::Sha1),
            identities: vec![1, u64::MAX],
        }];
        let bytes = encode(&segments);
        let back = decode(&bytes).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].identities, vec![1, u64::MAX]);
        assert!(decode(&bytes[..bytes.len() - 1]).is_none());
        assert!(decode(b"something else").is_none());
    }
}
