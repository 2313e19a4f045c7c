//! A local memory of records already verified, so that a repeated `verify`
//! does the curve arithmetic only for records it has not verified before under
//! the same trust list.
//!
//! ed25519 is most of what `verify` costs (about 8 µs of a record's ~12 on the
//! benchmark machine), and a state only grows: without this, every run pays
//! again for every record ever written. An entry is the SHA-256 of the trust
//! list's text, where the record sits and the record's id (itself the SHA-256
//! of its bytes), so a changed trust list, a moved record or a changed byte
//! misses. Only records that passed every check with no warning are entered.
//!
//! The file is `.git/auditops/verified`: local, never pushed, and only as
//! trustworthy as the rest of `.git` (whose hooks and config run code anyway).
//! `verify --no-cache` ignores it; docs/security.md says when to use that.

use crate::sign::TrustSet;
use crate::store::{Location, RecordId};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// The first bytes of the file; a file that does not start with them is ignored.
/// Bump the version whenever what `verify` checks changes.
const MAGIC: &[u8; 8] = b"AOVC0001";
const ENTRY: usize = 32;

pub type CacheKey = [u8; ENTRY];

/// The entries read at start, and those used or added in this run (the next
/// file holds only these, so entries of records gone from the state fade out).
pub struct VerifiedCache {
    path: PathBuf,
    /// Sorted.
    known: Vec<CacheKey>,
    kept: Vec<CacheKey>,
}

/// The key of `id` stored at `location`, verified against `trust`.
pub fn key(trust: &TrustSet, location: &Location, id: RecordId) -> CacheKey {
    let mut hasher = Sha256::new();
    hasher.update(MAGIC);
    hasher.update(trust.text_digest());
    match location {
        Location::Log(log) => {
            hasher.update(b"log\0");
            hasher.update(log.as_bytes());
        }
        Location::Keyed(path) => {
            hasher.update(b"index\0");
            hasher.update(path.kind.as_bytes());
            for part in &path.key {
                hasher.update(b"\0");
                hasher.update(part.as_bytes());
            }
        }
    }
    hasher.update(b"\0");
    hasher.update(id.as_bytes());
    hasher.finalize().into()
}

/// The key saying that `commit` and every transaction before it only added
/// records (the append-only check); it does not depend on the trust list.
pub fn growth_key(commit: gix::ObjectId) -> CacheKey {
    let mut hasher = Sha256::new();
    hasher.update(MAGIC);
    hasher.update(b"growth\0");
    hasher.update(commit.as_bytes());
    hasher.finalize().into()
}

impl VerifiedCache {
    pub fn path(repo: &gix::Repository) -> PathBuf {
        repo.common_dir().join("auditops").join("verified")
    }

    /// Reads the cache at `path`; a missing, unreadable or foreign file is an
    /// empty cache (it only ever saves work).
    pub fn load(path: PathBuf) -> VerifiedCache {
        let known = std::fs::read(&path)
            .ok()
            .and_then(|bytes| parse(&bytes))
            .unwrap_or_default();
        VerifiedCache {
            path,
            known,
            kept: Vec::new(),
        }
    }

    /// Whether `key` was verified before; a hit is kept for the next run.
    pub fn contains(&mut self, key: &CacheKey) -> bool {
        let hit = self.known.binary_search(key).is_ok();
        if hit {
            self.kept.push(*key);
        }
        hit
    }

    /// Whether `key` was verified before, without keeping it: the caller keeps
    /// its hits with [`VerifiedCache::keep`] (so that threads can share the cache).
    pub fn is_known(&self, key: &CacheKey) -> bool {
        self.known.binary_search(key).is_ok()
    }

    /// Keeps `keys` (hits of [`VerifiedCache::is_known`], records verified now).
    pub fn keep(&mut self, keys: impl IntoIterator<Item = CacheKey>) {
        self.kept.extend(keys);
    }

    /// Enters a record that passed every check.
    pub fn insert(&mut self, key: CacheKey) {
        self.kept.push(key);
    }

    /// Writes the entries kept in this run, replacing the file atomically,
    /// unless they are exactly the ones read.
    pub fn save(mut self) -> std::io::Result<()> {
        self.kept.sort_unstable();
        self.kept.dedup();
        if self.kept == self.known {
            return Ok(());
        }
        let mut out = Vec::with_capacity(MAGIC.len() + self.kept.len() * ENTRY);
        out.extend_from_slice(MAGIC);
        for key in &self.kept {
            out.extend_from_slice(key);
        }
        crate::atomic_file::write(&self.path, &out)
    }
}

/// The sorted entries of a cache file, or `None` if it is not one.
fn parse(bytes: &[u8]) -> Option<Vec<CacheKey>> {
    let body = bytes.strip_prefix(MAGIC)?;
    if body.len() % ENTRY != 0 {
        return None;
    }
    let keys: Vec<CacheKey> = body
        .chunks_exact(ENTRY)
        .map(|chunk| chunk.try_into().expect("chunks_exact gives whole entries"))
        .collect();
    keys.is_sorted().then_some(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::KeyedPath;

    fn trust(text: &str) -> TrustSet {
        TrustSet::parse(text, "test").unwrap()
    }

    #[test]
    fn keys_differ_by_trust_location_and_record() {
        let id = RecordId::of(b"line");
        let log = Location::Log("evidence".into());
        let base = key(&trust(""), &log, id);
        assert_eq!(base, key(&trust(""), &log, id));
        assert_ne!(base, key(&trust("# other list\n"), &log, id));
        assert_ne!(base, key(&trust(""), &Location::Log("alerts".into()), id));
        assert_ne!(base, key(&trust(""), &log, RecordId::of(b"line2")));
        let keyed = |key: &[&str]| {
            Location::Keyed(KeyedPath {
                kind: "approval".into(),
                key: key.iter().map(|s| s.to_string()).collect(),
                file: "x.json".into(),
            })
        };
        // Key parts are separated, so `a/bc` and `ab/c` differ.
        assert_ne!(
            key(&trust(""), &keyed(&["a", "bc"]), id),
            key(&trust(""), &keyed(&["ab", "c"]), id)
        );
    }

    #[test]
    fn saves_what_was_kept_and_reads_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auditops").join("verified");
        let mut cache = VerifiedCache::load(path.clone());
        assert!(!cache.contains(&[1; 32]));
        cache.insert([2; 32]);
        cache.insert([1; 32]);
        cache.save().unwrap();
        let mut cache = VerifiedCache::load(path.clone());
        assert!(cache.contains(&[1; 32]));
        assert!(!cache.contains(&[3; 32]));
        // Only [1] was used: [2] is dropped from the next file.
        cache.save().unwrap();
        let mut cache = VerifiedCache::load(path.clone());
        assert!(!cache.contains(&[2; 32]));
        assert!(cache.contains(&[1; 32]));
    }

    #[test]
    fn a_damaged_file_is_an_empty_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("verified");
        for bytes in [
            b"not a cache".to_vec(),
            [MAGIC.as_slice(), &[0; 31]].concat(),
            [MAGIC.as_slice(), &[2; 32], &[1; 32]].concat(),
        ] {
            std::fs::write(&path, bytes).unwrap();
            assert!(!VerifiedCache::load(path.clone()).contains(&[1; 32]));
        }
    }
}
