//! Checking the records of `verify` on several threads, with the same report
//! whatever their number.
//!
//! The calling thread reads the state (inflating segments, splitting lines),
//! computes each record's id and notes repeated records, and hands the records
//! on in chunks of [`CHUNK`] (in state order, numbered). Each worker checks
//! whole chunks with its own [`Verifier`], flushing its signature batch at the
//! end of every chunk, so what a chunk reports depends only on the chunk; the
//! parts are then joined in chunk order. One thread (`--jobs 1`) runs the very
//! same chunks in turn on the calling thread. So failures, warnings and notes
//! come in state order, identical for any number of threads.

use super::cache::CacheKey;
use super::{Policy, Report, Verifier, misnamed};
use crate::store::{self, Location, RecordId};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, mpsc};

/// Records per chunk: one signature batch.
pub(super) const CHUNK: usize = super::BATCH;

/// The threads `verify` uses when `--jobs` does not say.
pub(super) fn available() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A run of records in state order, their lines in one buffer.
#[derive(Default)]
struct Chunk {
    locations: Vec<Location>,
    /// (index into `locations`, range in `lines`, id, repeated)
    records: Vec<(usize, std::ops::Range<usize>, RecordId, bool)>,
    lines: Vec<u8>,
}

/// What a chunk, or all of them, came to.
pub(super) struct Checked {
    pub report: Report,
    pub saw_completion: bool,
    pub cache_keys: Vec<CacheKey>,
}

/// Where the reader hands records in.
pub(super) struct Feed<'s> {
    seen: HashSet<RecordId>,
    chunk: Chunk,
    send: &'s mut dyn FnMut(Chunk),
}

impl Feed<'_> {
    /// Adds the record `line` found at `location`.
    pub fn push(&mut self, location: &Location, line: &[u8]) {
        let id = RecordId::of(line);
        // As `Verifier::check`: a misnamed keyed file is not "seen".
        let repeated = !misnamed(location, id) && !self.seen.insert(id);
        let chunk = &mut self.chunk;
        if chunk.locations.last() != Some(location) {
            chunk.locations.push(location.clone());
        }
        let start = chunk.lines.len();
        chunk.lines.extend_from_slice(line);
        chunk.records.push((
            chunk.locations.len() - 1,
            start..chunk.lines.len(),
            id,
            repeated,
        ));
        if chunk.records.len() >= CHUNK {
            (self.send)(std::mem::take(chunk));
        }
    }

    fn finish(&mut self) {
        if !self.chunk.records.is_empty() {
            (self.send)(std::mem::take(&mut self.chunk));
        }
    }
}

/// A worker's verifier: one per thread, kept across chunks (its cache of
/// quoted files with it).
struct Worker<'a> {
    verifier: Verifier<'a>,
}

impl<'a> Worker<'a> {
    fn new(repo: &'a gix::Repository, policy: Policy<'a>, kept: Option<store::Kept>) -> Self {
        Worker {
            verifier: Verifier::new(repo, policy).with_kept(kept),
        }
    }

    fn check(&mut self, chunk: &Chunk) -> Checked {
        for (location, range, id, repeated) in &chunk.records {
            self.verifier.check_record(
                &chunk.locations[*location],
                &chunk.lines[range.clone()],
                *id,
                *repeated,
            );
        }
        self.verifier.flush();
        let v = &mut self.verifier;
        let trust = v.report.trust.clone();
        let report = std::mem::replace(
            &mut v.report,
            Report {
                trust,
                ..Report::default()
            },
        );
        Checked {
            report,
            saw_completion: std::mem::take(&mut v.saw_completion),
            cache_keys: std::mem::take(&mut v.cache_keys),
        }
    }
}

/// Checks every record `read` feeds, on `jobs` threads, and joins the parts in
/// state order.
pub(super) fn check_all<E>(
    repo: &gix::Repository,
    policy: Policy<'_>,
    kept: Option<store::Kept>,
    jobs: usize,
    read: impl FnOnce(&mut Feed<'_>) -> Result<(), E>,
) -> Result<Checked, E> {
    let mut parts: Vec<(usize, Checked)> = Vec::new();
    if jobs <= 1 {
        let mut worker = Worker::new(repo, policy, kept);
        let mut send = |chunk: Chunk| {
            let part = worker.check(&chunk);
            parts.push((parts.len(), part));
        };
        let mut feed = Feed {
            seen: HashSet::new(),
            chunk: Chunk::default(),
            send: &mut send,
        };
        read(&mut feed)?;
        feed.finish();
    } else {
        std::thread::scope(|scope| -> Result<(), E> {
            // A few chunks in flight per worker bound the memory held.
            let (chunks_in, chunks_out) = mpsc::sync_channel::<(usize, Chunk)>(jobs * 2);
            let chunks_out = Arc::new(Mutex::new(chunks_out));
            let (parts_in, parts_out) = mpsc::channel::<(usize, Checked)>();
            for _ in 0..jobs {
                let repo = repo.clone();
                let chunks_out = Arc::clone(&chunks_out);
                let parts_in = parts_in.clone();
                scope.spawn(move || {
                    let mut worker = Worker::new(&repo, policy, kept);
                    loop {
                        let next = chunks_out.lock().map(|out| out.recv());
                        let Ok(Ok((number, chunk))) = next else {
                            break;
                        };
                        if parts_in.send((number, worker.check(&chunk))).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(parts_in);
            let mut number = 0;
            let mut send = |chunk: Chunk| {
                // Fails only if every worker is gone, i.e. panicked: the
                // scope re-raises that panic.
                let _ = chunks_in.send((number, chunk));
                number += 1;
            };
            let mut feed = Feed {
                seen: HashSet::new(),
                chunk: Chunk::default(),
                send: &mut send,
            };
            let read = read(&mut feed);
            if read.is_ok() {
                feed.finish();
            }
            drop(feed);
            drop(chunks_in);
            parts.extend(parts_out);
            read
        })?;
    }
    parts.sort_by_key(|(number, _)| *number);
    let mut all = Checked {
        report: Report {
            trust: policy.trust.source.clone(),
            ..Report::default()
        },
        saw_completion: false,
        cache_keys: Vec::new(),
    };
    for (_, part) in parts {
        let (to, from) = (&mut all.report, part.report);
        to.records += from.records;
        to.cached += from.cached;
        to.failures.extend(from.failures);
        to.warnings.extend(from.warnings);
        to.notes.extend(from.notes);
        for (kind, count) in from.kinds {
            *to.kinds.entry(kind).or_default() += count;
        }
        all.saw_completion |= part.saw_completion;
        all.cache_keys.extend(part.cache_keys);
    }
    all.report.settle_ok();
    Ok(all)
}
