//! Folding small packs into the pack a transaction writes, so that our writes
//! never leave a repository with dozens of packs or thousands of loose objects.
//!
//! Every small transaction writes a pack of its own ([`super::pack`]). Left
//! alone, packs pile up, and every process pays for each one: gix loads pack
//! indices largest first until it finds an object, so the state's newest
//! objects, in the smallest packs, are found last (on the pre-push benchmark's
//! repository, 24 small packs and 2,832 loose objects cost 0.6 ms of a 2.7 ms
//! hook, measured against the same repository repacked). So once the folder
//! holds [`super::pack::SMALL_PACK_LIMIT`] packs, a small transaction takes the
//! smallest packs along: their objects and its own go into one new pack, and
//! then the folded packs are removed, as `git repack --geometric=2` does.
//!
//! Which packs: by git's geometric rule ([`how_many`]: pack sizes are kept
//! growing by a factor of 2, so each object is copied a logarithmic number of
//! times), smallest first, up to [`MAX_FOLD_BYTES`] in all (so a write never
//! stalls on copying a large history). Never a pack that git marks as
//! special: `.keep` (kept by request), `.promisor` (partial clones), `.mtimes`
//! (cruft: unreachable objects awaiting expiry) or `.bitmap`; nor one that
//! holds deltas, as git's own packs do (ours hold whole objects): copied whole,
//! a history's objects would take many times their space.
//!
//! Safety: the new pack is in place (and synced) before any folded pack is
//! removed, and a folded pack is removed only when every object its index
//! lists was read and written. A process that listed a removed pack finds its
//! objects again: gix and git both rescan the folder when a pack they listed
//! is gone. gix sizes its table of packs once per process, though, and packs
//! that come and go fill it: with gix's default of 32 slots, eight processes
//! appending and folding at once ran out and reported objects missing. So
//! [`crate::git::open`] asks for at least 256 slots, and folds run one at a
//! time under a lock ([`try_lock`]; a writer that finds it taken writes its
//! own pack, folded by a later write).

use super::error::{Result, StoreError};
use gix::ObjectId;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// At most this many bytes of packs are folded by one write, so that no
/// write stalls long on copying (see docs/performance.md for what a fold costs).
pub const MAX_FOLD_BYTES: u64 = 4 * 1024 * 1024;

/// Files beside a pack that mean it is not ours to fold.
const HANDS_OFF: [&str; 4] = ["keep", "promisor", "mtimes", "bitmap"];

/// One pack of the folder: its index and data files and the data's size.
#[derive(Debug, Clone)]
pub(super) struct PackFile {
    pub index: PathBuf,
    pub data: PathBuf,
    pub bytes: u64,
}

/// The objects read from folded packs, by id.
pub(super) type Objects = BTreeMap<ObjectId, (gix::object::Kind, Vec<u8>)>;

/// The packs of `pack_dir` that may be folded, smallest first.
pub(super) fn foldable(pack_dir: &Path) -> Vec<PackFile> {
    let Ok(entries) = std::fs::read_dir(pack_dir) else {
        return Vec::new();
    };
    let mut packs: Vec<PackFile> = entries
        .filter_map(|e| e.ok())
        .filter_map(|entry| {
            let index = entry.path();
            if index.extension()? != "idx" {
                return None;
            }
            let data = index.with_extension("pack");
            if HANDS_OFF
                .iter()
                .any(|ext| index.with_extension(ext).exists())
            {
                return None;
            }
            let bytes = std::fs::metadata(&data).ok()?.len();
            Some(PackFile { index, data, bytes })
        })
        .collect();
    packs.sort_by_key(|p| (p.bytes, p.index.clone()));
    packs
}

/// How many of `sizes` (pack sizes, smallest first) to fold into a new pack
/// that starts with `own` bytes. By git's geometric rule with factor 2: the
/// larger packs are kept while each is at least twice the next smaller one;
/// from the first that is not, down, all are folded, and so is each further
/// pack smaller than twice what is folded so far. When that is more than
/// [`MAX_FOLD_BYTES`], only the smallest fold, each while it is smaller than
/// twice what is folded so far: taking the budget's worth of the geometric
/// choice instead would copy the same mid-sized pack again at every fold.
pub(super) fn how_many(sizes: &[u64], own: u64) -> usize {
    let mut split = (1..sizes.len())
        .rev()
        .find(|&i| sizes[i] < 2 * sizes[i - 1])
        .map_or(0, |i| i + 1);
    let mut folded = own + sizes[..split].iter().sum::<u64>();
    while split < sizes.len() && sizes[split] < 2 * folded {
        folded += sizes[split];
        split += 1;
    }
    if folded <= MAX_FOLD_BYTES {
        return split;
    }
    let mut folded = own;
    sizes
        .iter()
        .take_while(|&&size| {
            let take = size < 2 * folded && folded + size <= MAX_FOLD_BYTES;
            folded += size;
            take
        })
        .count()
}

/// The packs to fold into a new pack of `own` bytes: the first of `packs`
/// (smallest first) that [`how_many`] takes, up to the first that holds a delta.
pub(super) fn choose(packs: Vec<PackFile>, own: u64, hash: gix::hash::Kind) -> Vec<PackFile> {
    let sizes: Vec<u64> = packs.iter().map(|p| p.bytes).collect();
    let take = how_many(&sizes, own);
    packs
        .into_iter()
        .take(take)
        .take_while(|pack| whole_objects_only(pack, hash))
        .collect()
}

/// Whether every entry of `pack` is a whole object (no delta); `false` when
/// it cannot be read.
fn whole_objects_only(pack: &PackFile, hash: gix::hash::Kind) -> bool {
    let (Ok(index), Ok(data)) = (
        gix_pack::index::File::at(&pack.index, hash),
        gix_pack::data::File::at(&pack.data, hash),
    ) else {
        return false;
    };
    index.iter().all(|entry| {
        data.entry(entry.pack_offset)
            .is_ok_and(|e| !e.header.is_delta())
    })
}

/// The fold lock, `.git/auditops/locks/fold`, if no other writer holds it:
/// folds run one at a time, as packs that several writers fold at once churn
/// faster than readers' pack tables keep up with. An `flock`, released by
/// the kernel when its holder dies.
pub(super) fn try_lock(repo: &gix::Repository) -> Option<std::fs::File> {
    let dir = repo.common_dir().join("auditops").join("locks");
    std::fs::create_dir_all(&dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("fold"))
        .ok()?;
    file.try_lock().ok()?;
    Some(file)
}

/// Every object of `packs`, read through `repo`'s object database. An error
/// (a pack removed meanwhile by another writer's fold, say) means no fold.
pub(super) fn read(repo: &gix::Repository, packs: &[PackFile]) -> Result<Objects> {
    let mut objects = Objects::new();
    for pack in packs {
        let index =
            gix_pack::index::File::at(&pack.index, repo.object_hash()).map_err(StoreError::git)?;
        for entry in index.iter() {
            let object = repo.find_object(entry.oid).map_err(StoreError::git)?;
            objects.insert(entry.oid, (object.kind, object.data.clone()));
        }
    }
    Ok(objects)
}

/// Removes folded packs, their index first (readers find packs by it), but
/// never `written`, the pack that now holds their objects (the same objects
/// in the same order make the same pack). A pack already gone (another writer
/// folded it too) is no error, nor is a pack left behind: its objects are in
/// the new pack as well.
pub(super) fn remove(packs: &[PackFile], written: &Path) {
    for pack in packs.iter().filter(|p| p.data != written) {
        let _ = std::fs::remove_file(&pack.index);
        let _ = std::fs::remove_file(pack.index.with_extension("rev"));
        let _ = std::fs::remove_file(&pack.data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_small_packs_fold_together_and_a_large_one_stays() {
        assert_eq!(how_many(&[], 500), 0);
        assert_eq!(how_many(&[500; 24], 500), 24);
        // The large pack is far more than twice the small ones together.
        assert_eq!(how_many(&[500, 500, 500, 1_000_000], 500), 3);
        // A geometric series stays, but for what the new pack outgrows.
        assert_eq!(how_many(&[400, 900, 2_000, 10_000], 500), 3);
        assert_eq!(how_many(&[1_000, 3_000, 10_000], 100), 0);
        // Equal packs above small ones break the series: all of them fold,
        // and so does the next (less than twice what they make together),
        // not the last (more than twice).
        let sizes = [1_000, 1_500, 150_000, 151_000, 152_000, 900_000, 3_000_000];
        assert_eq!(how_many(&sizes, 100), 6);
    }

    #[test]
    fn a_fold_never_exceeds_its_byte_budget() {
        let half = MAX_FOLD_BYTES / 2;
        assert_eq!(how_many(&[half, half, half], half), 1);
        assert_eq!(how_many(&[MAX_FOLD_BYTES], 1), 0);
        // Over budget, only the smallest that the folded ones outgrow.
        let sizes = [10, 20, half, half, MAX_FOLD_BYTES];
        assert_eq!(how_many(&sizes, 10), 2);
    }

    #[test]
    fn packs_git_marks_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a", "b", "c", "d", "e", "f"] {
            std::fs::write(dir.path().join(format!("pack-{name}.idx")), b"i").unwrap();
            std::fs::write(dir.path().join(format!("pack-{name}.pack")), name.repeat(3)).unwrap();
        }
        for (name, ext) in [
            ("b", "keep"),
            ("c", "promisor"),
            ("d", "mtimes"),
            ("e", "bitmap"),
        ] {
            std::fs::write(dir.path().join(format!("pack-{name}.{ext}")), b"").unwrap();
        }
        // An index without its pack is not a pack.
        std::fs::write(dir.path().join("pack-g.idx"), b"i").unwrap();
        let names: Vec<String> = foldable(dir.path())
            .iter()
            .map(|p| p.index.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["pack-a.idx", "pack-f.idx"]);
    }

    #[test]
    fn removal_spares_the_pack_that_holds_the_objects() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a", "b"] {
            for ext in ["idx", "pack", "rev"] {
                std::fs::write(dir.path().join(format!("pack-{name}.{ext}")), name).unwrap();
            }
        }
        let packs = foldable(dir.path());
        remove(&packs, &dir.path().join("pack-b.pack"));
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["pack-b.idx", "pack-b.pack", "pack-b.rev"]);
    }
}
