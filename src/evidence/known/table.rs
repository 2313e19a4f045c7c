//! The identities of the records of the evidence log's full groups, kept as a
//! hash table on disk, so that a lookup reads the file's header and a few
//! slots rather than the whole file: its cost does not grow with the log.
//!
//! A full group (every group of the log but the last) never changes while it
//! stays in place, and its tree id names its content; so the table names the
//! groups it covers by their tree ids, and is valid for a state exactly as far
//! as those ids match the state's groups.
//!
//! Layout, integers little-endian:
//!
//! ```text
//! MAGIC                       8 bytes
//! group count G               u32
//! id length L                 u8      (20 for SHA-1, 32 for SHA-256)
//! G group tree ids            L bytes each, in log order
//! slot bits B                 u8
//! 2^B slots                   16 bytes each:
//!   identity prefix           u64     (the first 8 bytes of the identity, big-endian)
//!   segment number + 1        u64     (0: an empty slot)
//! ```
//!
//! Slots are found by linear probing from the prefix's low bits; the table is
//! at most half full, so a probe meets an empty slot within a few slots.

use super::Short;
use gix::ObjectId;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The first bytes of the file: its format, for a future change to see.
const MAGIC: &[u8; 8] = b"AOEVGR2\n";
const SLOT: usize = 16;
/// Slots read per probe: one read covers the run a lookup usually walks.
const PROBE: usize = 32;
/// The largest table: 2^40 slots, far beyond any log, and a bound that keeps a
/// damaged header from asking for an absurd size.
const MAX_BITS: u8 = 40;

/// The identity of one record and the segment that holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub short: Short,
    pub segment: u64,
}

/// An open table: its header read, its slots read on demand.
pub(super) struct Table {
    file: File,
    groups: Vec<ObjectId>,
    bits: u8,
    slots_at: u64,
}

impl Table {
    /// The table at `path`; `None` when missing or not a whole table in this
    /// format (then it is rebuilt).
    pub fn open(path: &Path) -> Option<Table> {
        let file = File::open(path).ok()?;
        let len = file.metadata().ok()?.len();
        let mut head = [0u8; 8 + 4 + 1];
        file.read_exact_at(&mut head, 0).ok()?;
        if head[..8] != MAGIC[..] {
            return None;
        }
        let count = u32::from_le_bytes(head[8..12].try_into().ok()?) as u64;
        let id_len = u64::from(head[12]);
        let ids_at = head.len() as u64;
        let bits_at = ids_at.checked_add(count.checked_mul(id_len)?)?;
        if bits_at >= len {
            return None;
        }
        let mut ids = vec![0u8; (bits_at - ids_at) as usize];
        file.read_exact_at(&mut ids, ids_at).ok()?;
        let groups = ids
            .chunks_exact(id_len.max(1) as usize)
            .map(|id| ObjectId::try_from(id).ok())
            .collect::<Option<Vec<_>>>()?;
        let mut bits = [0u8];
        file.read_exact_at(&mut bits, bits_at).ok()?;
        let bits = bits[0];
        let slots_at = bits_at + 1;
        if bits > MAX_BITS || len != slots_at + ((SLOT as u64) << bits) {
            return None;
        }
        Some(Table {
            file,
            groups,
            bits,
            slots_at,
        })
    }

    /// The tree ids of the groups covered, in log order.
    pub fn groups(&self) -> &[ObjectId] {
        &self.groups
    }

    /// The segments that hold a record whose identity starts with `short`, in
    /// no particular order; a read error ends the probe (a miss costs no more
    /// than a record added twice, which readers count once).
    pub fn lookup(&self, short: Short) -> Vec<u64> {
        let slots = 1u64 << self.bits;
        let mut at = short & (slots - 1);
        let mut found = Vec::new();
        let mut seen = 0;
        let mut buf = vec![0u8; PROBE * SLOT];
        while seen < slots {
            let run = (PROBE as u64).min(slots - at) as usize;
            let window = &mut buf[..run * SLOT];
            if self
                .file
                .read_exact_at(window, self.slots_at + at * SLOT as u64)
                .is_err()
            {
                break;
            }
            for slot in window.chunks_exact(SLOT) {
                match decode_slot(slot) {
                    None => return found,
                    Some(entry) if entry.short == short => found.push(entry.segment),
                    Some(_) => {}
                }
            }
            seen += run as u64;
            at = (at + run as u64) % slots;
        }
        found
    }

    /// Every entry, for a rebuild that keeps part of the table.
    pub fn entries(&self) -> Vec<Entry> {
        let mut slots = vec![0u8; SLOT << self.bits];
        if self.file.read_exact_at(&mut slots, self.slots_at).is_err() {
            return Vec::new();
        }
        slots.chunks_exact(SLOT).filter_map(decode_slot).collect()
    }
}

fn decode_slot(slot: &[u8]) -> Option<Entry> {
    let short = u64::from_le_bytes(slot[..8].try_into().expect("8 bytes"));
    let segment = u64::from_le_bytes(slot[8..16].try_into().expect("8 bytes"));
    segment
        .checked_sub(1)
        .map(|segment| Entry { short, segment })
}

/// The file for `groups` holding `entries`.
pub(super) fn encode(groups: &[ObjectId], entries: &[Entry]) -> Vec<u8> {
    let id_len = groups.first().map_or(20, |id| id.as_bytes().len());
    let bits = (entries.len() * 2)
        .max(16)
        .next_power_of_two()
        .trailing_zeros() as u8;
    let slots = 1usize << bits;
    let mut table = vec![0u8; slots * SLOT];
    for entry in entries {
        let mut at = (entry.short & (slots as u64 - 1)) as usize;
        while table[at * SLOT + 8..at * SLOT + SLOT] != [0; 8] {
            at = (at + 1) % slots;
        }
        let slot = &mut table[at * SLOT..(at + 1) * SLOT];
        slot[..8].copy_from_slice(&entry.short.to_le_bytes());
        slot[8..].copy_from_slice(&(entry.segment + 1).to_le_bytes());
    }
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&(groups.len() as u32).to_le_bytes());
    out.push(id_len as u8);
    for id in groups {
        out.extend_from_slice(id.as_bytes());
    }
    out.push(bits);
    out.extend_from_slice(&table);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, groups: &[ObjectId], entries: &[Entry]) -> std::path::PathBuf {
        let path = dir.join("table");
        std::fs::write(&path, encode(groups, entries)).unwrap();
        path
    }

    #[test]
    fn lookups_find_every_entry_and_only_those() {
        let dir = tempfile::tempdir().unwrap();
        let groups = vec![ObjectId::null(gix::hash::Kind::Sha1); 3];
        // Many prefixes share their low bits, so probes run over each other
        // and wrap around the end of the table.
        let entries: Vec<Entry> = (0..1000u64)
            .map(|i| Entry {
                short: (i << 40) | (i % 7) | 0xff,
                segment: i / 32,
            })
            .chain([Entry {
                short: 0xff,
                segment: 99,
            }])
            .collect();
        let table = Table::open(&write(dir.path(), &groups, &entries)).unwrap();
        assert_eq!(table.groups(), &groups[..]);
        // Entry 0 shares its prefix with the last one (0xff): checked below.
        for entry in &entries[1..1000] {
            assert_eq!(table.lookup(entry.short), vec![entry.segment]);
        }
        let mut twice = table.lookup(0xff);
        twice.sort();
        assert_eq!(twice, vec![0, 99]);
        assert!(table.lookup(12345).is_empty());
        let mut back = table.entries();
        back.sort_by_key(|e| (e.segment, e.short));
        let mut want = entries.clone();
        want.sort_by_key(|e| (e.segment, e.short));
        assert_eq!(back, want);
    }

    #[test]
    fn an_empty_table_finds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let table = Table::open(&write(dir.path(), &[], &[])).unwrap();
        assert!(table.groups().is_empty());
        assert!(table.lookup(7).is_empty());
        assert!(table.entries().is_empty());
    }

    #[test]
    fn a_damaged_or_foreign_file_does_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let groups = vec![ObjectId::null(gix::hash::Kind::Sha1)];
        let entries = [Entry {
            short: 1,
            segment: 0,
        }];
        let bytes = encode(&groups, &entries);
        let path = dir.path().join("table");
        for damaged in [
            &bytes[..bytes.len() - 1],
            &bytes[..20],
            b"AOEVID1\n\x14".as_slice(),
            b"".as_slice(),
        ] {
            std::fs::write(&path, damaged).unwrap();
            assert!(Table::open(&path).is_none(), "{damaged:?}");
        }
        let mut wrong_bits = bytes.clone();
        wrong_bits[8 + 4 + 1 + 20] = 60;
        std::fs::write(&path, wrong_bits).unwrap();
        assert!(Table::open(&path).is_none());
        assert!(Table::open(&dir.path().join("missing")).is_none());
    }
}
