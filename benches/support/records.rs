//! Making many distinct, validly signed evidence records in-process, and
//! filling a state ref with them through the library's own `Store::append`;
//! and adding one record at a time through the CLI.

use super::fixture::{BenchRepo, QUOTED_FILE, QUOTED_LINES, Workspace};
use super::measure::{Samples, run_timed, time};
use git_auditops::evidence::{self, Evidence, LineRange};
use git_auditops::sign::{self, SigningKey};
use git_auditops::store::{EVIDENCE_LOG, Store};
use std::time::Duration;

/// Builds signed evidence lines that differ only in their id and description.
///
/// The quoted lines, their hash and the commit are real, so `verify` accepts
/// every record (signature, trust and hash checks all pass).
pub struct RecordFactory {
    template: Evidence,
    key: SigningKey,
    /// Keeps ids distinct between factories used on the same state.
    tag: String,
}

impl RecordFactory {
    pub fn new(repo: &gix::Repository, key: SigningKey, tag: &str) -> RecordFactory {
        let lines: LineRange = QUOTED_LINES.parse().expect("QUOTED_LINES is a line range");
        let timestamp = jiff::Timestamp::now()
            .round(jiff::Unit::Second)
            .expect("round the current time to seconds")
            .to_string();
        let request = evidence::Request {
            phase: 1,
            file: QUOTED_FILE,
            lines,
            description: "bench template",
            id: None,
            rev: "HEAD",
        };
        let template =
            evidence::build(repo, &request, &timestamp).expect("build the template evidence");
        RecordFactory {
            template,
            key,
            tag: tag.to_owned(),
        }
    }

    /// The statement of record `i`, unsigned.
    pub fn evidence(&self, i: u64) -> Evidence {
        let mut evidence = self.template.clone();
        evidence.evidence_id = format!("EV-1-{}-{i:09}", self.tag);
        evidence.description = format!("bench record {} {i}", self.tag);
        evidence
    }

    /// The stored line of record `i`: a signed DSSE envelope in canonical JSON.
    pub fn line(&self, i: u64) -> Vec<u8> {
        sign::seal(&self.evidence(i).statement(), Some(&self.key))
    }

    /// Lines `range`, signed on `threads` threads.
    pub fn lines(&self, range: std::ops::Range<u64>, threads: usize) -> Vec<Vec<u8>> {
        let count = usize::try_from(range.end - range.start).expect("batch fits in memory");
        let per_thread = count.div_ceil(threads.max(1)).max(1) as u64;
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads.max(1) as u64)
                .map(|t| {
                    let start = (range.start + t * per_thread).min(range.end);
                    let end = (start + per_thread).min(range.end);
                    scope.spawn(move || (start..end).map(|i| self.line(i)).collect::<Vec<_>>())
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("a signing thread panicked"))
                .collect()
        })
    }

    pub fn key(&self) -> &SigningKey {
        &self.key
    }
}

/// Where the time of a fill went.
pub struct FillStats {
    pub records: u64,
    pub sign: Duration,
    pub append: Duration,
    /// One `Store::append` of a whole batch, over the fill.
    pub batch_appends: Samples,
    pub first_batch_append: Duration,
    pub last_batch_append: Duration,
}

/// Appends `count` records to the evidence log, `batch` lines per commit.
pub fn fill(
    repo: &gix::Repository,
    factory: &RecordFactory,
    count: u64,
    batch: u64,
    threads: usize,
) -> FillStats {
    let store = Store::new(repo, git_auditops::store::DEFAULT_REF).expect("open the store");
    let mut stats = FillStats {
        records: 0,
        sign: Duration::ZERO,
        append: Duration::ZERO,
        batch_appends: Samples::default(),
        first_batch_append: Duration::ZERO,
        last_batch_append: Duration::ZERO,
    };
    let mut start = 0;
    while start < count {
        let end = (start + batch).min(count);
        let (lines, signing) = time(|| factory.lines(start..end, threads));
        let message = format!("evidence: add {} records (bench fill)", lines.len());
        let (written, appending) = time(|| store.append(EVIDENCE_LOG, &lines, &message));
        written.expect("append a batch to the state");
        stats.sign += signing;
        stats.append += appending;
        stats.batch_appends.push(appending);
        if start == 0 {
            stats.first_batch_append = appending;
        }
        stats.last_batch_append = appending;
        stats.records += end - start;
        start = end;
    }
    stats
}

/// [`fill`] with a new [`RecordFactory`] for `key` and `tag`, timed as a whole
/// (making the factory is not).
pub fn fill_timed(
    repo: &gix::Repository,
    key: SigningKey,
    tag: &str,
    count: u64,
    batch: u64,
    threads: usize,
) -> (FillStats, Duration) {
    let factory = RecordFactory::new(repo, key, tag);
    time(|| fill(repo, &factory, count, batch, threads))
}

/// Counts the records of the evidence log (reading every segment).
pub fn count_records(repo: &gix::Repository) -> u64 {
    let store = Store::new(repo, git_auditops::store::DEFAULT_REF).expect("open the store");
    let Some(view) = store.view().expect("read the state") else {
        return 0;
    };
    let mut n = 0;
    view.for_each_record(EVIDENCE_LOG, |_| {
        n += 1;
        Ok(())
    })
    .expect("walk the evidence log");
    n
}

/// `evidence add` runs with a fresh description each time, so that no two
/// records are identical even when made within the same second.
#[derive(Default)]
pub struct CliAdder {
    next: u64,
}

impl CliAdder {
    /// Runs `git-auditops evidence add` once in `repo` and returns its wall time.
    pub fn add(&mut self, ws: &Workspace, repo: &BenchRepo) -> Duration {
        self.next += 1;
        let description = format!("cli bench record {}", self.next);
        let (_, elapsed) = run_timed(ws.auditops(&repo.dir).args([
            "evidence",
            "add",
            "--phase",
            "1",
            "--file",
            QUOTED_FILE,
            "--lines",
            QUOTED_LINES,
            "--description",
            &description,
        ]));
        elapsed
    }
}
