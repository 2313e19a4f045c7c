//! The identities of the records of the full segments of the evidence log's
//! last group: the part the hash table of full groups does not cover yet. At
//! most 255 segments of 32 records, so the file stays under 70 KB whatever the
//! log's length, and is read whole.
//!
//! Layout, integers little-endian:
//!
//! ```text
//! MAGIC                       8 bytes
//! group number                u64
//! per segment, in log order:
//!   id length L               u8
//!   blob id                   L bytes
//!   count N                   u8
//!   N identity prefixes       u64 each
//! ```

use super::Short;
use gix::ObjectId;

const MAGIC: &[u8; 8] = b"AOEVTL1\n";

/// The identities of the records of one full segment, named by its blob.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Indexed {
    pub blob: ObjectId,
    pub identities: Vec<Short>,
}

/// The segments indexed of one group, in log order.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Tail {
    pub group: u64,
    pub segments: Vec<Indexed>,
}

/// The tail as stored; empty when missing or not in this format.
pub(super) fn load(path: &std::path::Path) -> Tail {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| decode(&bytes))
        .unwrap_or_default()
}

fn decode(bytes: &[u8]) -> Option<Tail> {
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let (group, mut rest) = rest.split_first_chunk::<8>()?;
    let mut segments = Vec::new();
    while let Some((&id_len, tail)) = rest.split_first() {
        let (id, tail) = tail.split_at_checked(id_len as usize)?;
        let (&count, tail) = tail.split_first()?;
        let (ids, tail) = tail.split_at_checked(count as usize * 8)?;
        segments.push(Indexed {
            blob: ObjectId::try_from(id).ok()?,
            identities: ids
                .chunks_exact(8)
                .map(|c| Short::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect(),
        });
        rest = tail;
    }
    Some(Tail {
        group: u64::from_le_bytes(*group),
        segments,
    })
}

/// The most identities a segment may hold to be kept (its count is a byte).
pub(super) const MAX_PER_SEGMENT: usize = u8::MAX as usize;

pub(super) fn encode(tail: &Tail) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&tail.group.to_le_bytes());
    for s in &tail.segments {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_round_trips_and_damage_reads_as_nothing() {
        let tail = Tail {
            group: 3,
            segments: vec![Indexed {
                blob: ObjectId::null(gix::hash::Kind::Sha1),
                identities: vec![1, u64::MAX],
            }],
        };
        let bytes = encode(&tail);
        assert_eq!(decode(&bytes), Some(tail));
        assert!(decode(&bytes[..bytes.len() - 1]).is_none());
        assert!(decode(&bytes[..12]).is_none());
        assert!(decode(b"AOEVID1\n\x14").is_none());
    }
}
