//! Writing a transaction's new objects as one small pack instead of loose objects.
//!
//! A loose object is a file of its own, and on this kind of disk each new file
//! costs far more than its bytes (ext4 allocating an inode: up to a millisecond,
//! docs/performance.md). An append writes five objects (segment blob, three trees,
//! commit) and a findings import of 10,000 results twenty thousand, so the store
//! builds a transaction's objects in memory ([`Staging`], gix's object memory,
//! which also serves them back to the tree editor) and writes them as one pack
//! and its index: two files, whatever the number of objects. Git and gix read such
//! packs like any other; `git gc` (run by `git gc --auto` once a repository holds
//! `gc.autoPackLimit` packs) folds them into one.
//!
//! The one price is the number of packs, which every object lookup and every
//! repository open walks, and which gix holds in a fixed number of slots per
//! process (at least 32). So a small transaction is packed only while the pack
//! folder holds fewer than [`SMALL_PACK_LIMIT`] packs, and written loose as before
//! otherwise; a large one (at least [`LARGE_TRANSACTION`] objects, an import) is
//! always packed, as `git fetch` keeps any pack of 100 objects or more. Nothing
//! of this changes the state format: the same objects, stored differently.

use super::error::{Result, StoreError};
use gix::ObjectId;
use gix_pack::data::output;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// A small transaction is packed only while the pack folder holds fewer packs
/// than this; then it is written loose until `git gc` consolidates them. Well
/// below gix's minimum of 32 pack slots per process, and below git's
/// `gc.autoPackLimit` (50), so our packs alone never trigger the repacking.
pub const SMALL_PACK_LIMIT: usize = 24;
/// A transaction of at least this many objects is always packed.
pub const LARGE_TRANSACTION: usize = 100;

/// A clone of the repository whose object writes stay in memory until
/// [`Staging::persist`] writes them out.
pub struct Staging {
    repo: gix::Repository,
}

impl Staging {
    /// Starts staging on top of `repo`'s object database.
    pub fn new(repo: &gix::Repository) -> Self {
        Staging {
            repo: repo.clone().with_object_memory(),
        }
    }

    /// The repository to write through: reads see the staged objects, then the disk.
    pub fn repo(&self) -> &gix::Repository {
        &self.repo
    }

    /// Writes every staged object to the repository's object database (one pack,
    /// or loose objects, see the module documentation) and empties the stage.
    /// Returns how many objects were written.
    pub fn persist(&self) -> Result<usize> {
        let Some(staged) = self.repo.objects.reset_object_memory() else {
            return Ok(0);
        };
        let count = staged.len();
        if count == 0 {
            return Ok(0);
        }
        let objects_dir = self.repo.objects.store_ref().path().to_owned();
        let pack_dir = objects_dir.join("pack");
        let mut objects: Vec<(&ObjectId, &(gix::object::Kind, Vec<u8>))> = staged.iter().collect();
        // Commits, then trees, then blobs, as git orders a pack; by id within each,
        // so that the same transaction makes the same pack.
        objects.sort_by_key(|(id, (kind, _))| (kind_rank(*kind), **id));
        if count >= LARGE_TRANSACTION || count_packs(&pack_dir) < SMALL_PACK_LIMIT {
            write_pack(&pack_dir, self.repo.object_hash(), &objects)?;
        } else {
            // Plain loose writes, through the real object database.
            let odb = self.repo.objects.clone().into_inner();
            for (_, (kind, data)) in objects {
                gix::objs::Write::write_buf(&odb, *kind, data).map_err(StoreError::git)?;
            }
        }
        Ok(count)
    }
}

fn kind_rank(kind: gix::object::Kind) -> u8 {
    match kind {
        gix::object::Kind::Commit => 0,
        gix::object::Kind::Tag => 1,
        gix::object::Kind::Tree => 2,
        gix::object::Kind::Blob => 3,
    }
}

/// The packs in `pack_dir` (their index files); 0 if it cannot be read.
fn count_packs(pack_dir: &Path) -> usize {
    std::fs::read_dir(pack_dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().as_encoded_bytes().ends_with(b".idx"))
                .count()
        })
        .unwrap_or(0)
}

/// Writes `objects` as `pack-<hash>.pack` and `pack-<hash>.idx` in `pack_dir`.
fn write_pack(
    pack_dir: &Path,
    hash: gix::hash::Kind,
    objects: &[(&ObjectId, &(gix::object::Kind, Vec<u8>))],
) -> Result<()> {
    // One compressor for all: setting one up zeroes its tables, which cost
    // more than compressing a small record (`Entry::from_data` makes one each).
    let mut deflate = Deflate::new();
    let entries = objects
        .iter()
        .map(|(id, (kind, data))| {
            Ok(output::Entry {
                id: **id,
                kind: output::entry::Kind::Base(*kind),
                decompressed_size: data.len(),
                compressed_data: deflate.compress(data)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let num_objects = u32::try_from(entries.len()).map_err(StoreError::git)?;
    let mut pack = Vec::new();
    let mut bytes = output::bytes::FromEntriesIter::new(
        std::iter::once(Ok(entries)),
        &mut pack,
        num_objects,
        gix_pack::data::Version::V2,
        hash,
    );
    for written in &mut bytes {
        written.map_err(StoreError::git)?;
    }
    let checksum = bytes.digest().expect("all entries were written");
    drop(bytes);

    let mut index = Vec::new();
    let mut parsed = gix_pack::data::input::BytesToEntriesIter::new_from_header(
        &pack[..],
        gix_pack::data::input::Mode::Verify,
        gix_pack::data::input::EntryDataMode::Crc32,
        hash,
    )
    .map_err(StoreError::git)?;
    let outcome = gix_pack::index::write_data_iter_to_stream(
        gix_pack::index::Version::V2,
        || Ok((entry_bytes, &pack[..])),
        &mut parsed,
        Some(1),
        &mut gix::progress::Discard,
        &mut index,
        &AtomicBool::new(false),
        hash,
        None,
        gix_pack::data::Version::V2,
    )
    .map_err(StoreError::git)?;
    debug_assert_eq!(outcome.data_hash, checksum);

    let name = format!("pack-{}", checksum.to_hex());
    let pack_path = pack_dir.join(format!("{name}.pack"));
    if pack_path.is_file() {
        // The same objects, already there (a transaction written twice).
        return Ok(());
    }
    // The pack goes first: readers find packs by their index.
    place(pack_dir, &pack_path, &pack)?;
    place(pack_dir, &pack_dir.join(format!("{name}.idx")), &index)?;
    Ok(())
}

fn entry_bytes<'r>(range: gix_pack::data::EntryRange, pack: &'r &[u8]) -> Option<&'r [u8]> {
    pack.get(usize::try_from(range.start).ok()?..usize::try_from(range.end).ok()?)
}

/// Writes `bytes` to a temporary file in `dir` and renames it to `path`, read-only
/// as git makes its packs. No fsync, as for gix's loose objects: a crash loses
/// at most objects no ref points at yet.
fn place(dir: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source: std::io::Error| StoreError::git(source);
    std::fs::create_dir_all(dir).map_err(io)?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    // `tmp_pack_` is what git names its own, and what `git gc` sweeps if left over.
    let temp = dir.join(format!("tmp_pack_auditops_{}_{nanos}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o444)
            .open(&temp)?;
        file.write_all(bytes)?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(io)
}

/// zlib streams of pack entries, at git's speed-first level, one after the
/// other through the same state.
struct Deflate {
    state: gix::zlib::stream::deflate::Compress,
    scratch: Vec<u8>,
}

impl Deflate {
    fn new() -> Self {
        Deflate {
            state: gix::zlib::stream::deflate::Compress::new(gix::zlib::Compression::BEST_SPEED),
            scratch: Vec::new(),
        }
    }

    /// `data` as one whole zlib stream.
    fn compress(&mut self, data: &[u8]) -> Result<Vec<u8>> {
        use gix::zlib::Status;
        use gix::zlib::stream::deflate::FlushCompress;
        self.state.reset();
        let (in_start, out_start) = (self.state.total_in(), self.state.total_out());
        // zlib's bound for one stream; grown below should it ever not do.
        let bound = data.len() + (data.len() >> 12) + (data.len() >> 14) + 64;
        self.scratch.resize(bound, 0);
        loop {
            let consumed =
                usize::try_from(self.state.total_in() - in_start).map_err(StoreError::git)?;
            let produced =
                usize::try_from(self.state.total_out() - out_start).map_err(StoreError::git)?;
            if produced == self.scratch.len() {
                self.scratch.resize(2 * self.scratch.len(), 0);
            }
            let status = self
                .state
                .compress(
                    &data[consumed..],
                    &mut self.scratch[produced..],
                    FlushCompress::Finish,
                )
                .map_err(StoreError::git)?;
            let produced_now =
                usize::try_from(self.state.total_out() - out_start).map_err(StoreError::git)?;
            match status {
                Status::StreamEnd => return Ok(self.scratch[..produced_now].to_vec()),
                Status::Ok | Status::BufError => {
                    let consumed_now = usize::try_from(self.state.total_in() - in_start)
                        .map_err(StoreError::git)?;
                    if consumed_now == consumed
                        && produced_now == produced
                        && produced_now < self.scratch.len()
                    {
                        return Err(StoreError::git(std::io::Error::other(
                            "zlib made no progress",
                        )));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod deflate_tests {
    use super::Deflate;

    #[test]
    fn each_stream_inflates_to_its_input() {
        let mut deflate = Deflate::new();
        let inputs: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"a small record".to_vec(),
            (0..200_000u32)
                .flat_map(|i| (i.wrapping_mul(2_654_435_761)).to_le_bytes())
                .collect(),
            b"after a large one".repeat(50),
        ];
        for input in &inputs {
            let compressed = deflate.compress(input).unwrap();
            let mut out = Vec::new();
            let mut inflate = gix::zlib::Inflate::default();
            out.resize(input.len() + 16, 0);
            let (_, _, written) = inflate.once(&compressed, &mut out).unwrap();
            assert_eq!(&out[..written], &input[..], "{} bytes", input.len());
        }
    }
}
