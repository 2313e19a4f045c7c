//! Verification of records: the same checks for `git auditops verify` over the
//! whole state and for `state pull` over incoming records.
//!
//! Each record must be canonical JSON, a DSSE envelope carrying an in-toto
//! statement of a known kind in the log of that kind, signed by a trusted key,
//! and true to the git objects it names. Signatures are checked in batches and
//! only re-checked one by one when a batch fails, to name the bad record.

pub(crate) mod cache;
mod history;
mod kind;
mod parallel;
mod quoted;

use crate::approval::Approval;
use crate::error::Result;
use crate::error::chain;
use crate::evidence::{Evidence, InvalidEvidence};
use crate::outbox::{OutboxOp, OutboxOutcome};
use crate::patch::records::{Alert, DecisionRecord, QueueItem, QueueResolution};
use crate::phase::records::{GateResult, PhaseCompletion, PhaseStart};
use crate::phase::status::Reader;
use crate::quarantine::{Quarantine, Quarantines};
use crate::records::{KeyedKind, RecordError};
use crate::sign::batch::{self, SignatureCheck};
use crate::sign::trust::{self, Plan, TrustedKey};
use crate::sign::{self, SignatureStatus, Statement, TrustSet};
use crate::store::{self, Location, RecordId};
use crate::workspace::Workspace;
use cache::{CacheKey, VerifiedCache};
use gix::ObjectId;
pub use kind::FindingKind;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// Records whose signatures are verified together.
pub(crate) const BATCH: usize = 512;

/// A record that failed a check, or passed with a warning.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Finding {
    /// The record.
    pub id: RecordId,
    /// Its kind (the log or index folder it is stored in, or what it claims).
    pub kind: FindingKind,
    /// What is wrong, in one line.
    pub reason: String,
}

/// The outcome of a verification (`verify --json` prints it).
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    /// No record failed.
    pub ok: bool,
    /// Records checked.
    pub records: usize,
    /// Records that failed a check.
    pub failures: Vec<Finding>,
    /// Records that passed with a remark.
    pub warnings: Vec<Finding>,
    /// Records that passed, with something worth knowing (evidence whose
    /// commit is gone, checked against the content the state keeps).
    pub notes: Vec<Finding>,
    /// What is wrong with the history as a whole: a transaction that dropped
    /// or rewrote records, a segment that breaks the layout rules.
    pub history: Vec<store::HistoryFault>,
    /// Transactions checked against their parents in this run (those checked
    /// in an earlier run are remembered in the local cache).
    pub transactions: usize,
    /// Records that failed a check but are quarantined by enough trusted
    /// signers (`[trust] quarantine_approvals`): set aside, not failures.
    pub quarantined: Vec<Finding>,
    /// Records per kind.
    pub kinds: BTreeMap<String, usize>,
    /// Where the trusted keys came from.
    pub trust: String,
    /// Records found in the local cache of verified records, whose checks
    /// were therefore not repeated (0 with `--no-cache`).
    pub cached: usize,
    /// The state ref does not exist, so nothing was checked: only reported
    /// (with `ok`) under `verify --allow-empty`; otherwise an empty trail is
    /// [`VerifyError::NoState`].
    pub empty: bool,
    /// What was verified, for people: the state ref, or `incoming` for a pull.
    #[serde(skip)]
    pub scope: String,
}

impl Report {
    /// Moves the failures of records `quarantines` holds to `quarantined`.
    pub(crate) fn set_aside(&mut self, quarantines: &Quarantines) {
        let (aside, failures) = std::mem::take(&mut self.failures)
            .into_iter()
            .partition(|f: &Finding| quarantines.holds(f.id));
        self.failures = failures;
        self.quarantined.extend::<Vec<Finding>>(aside);
        self.settle_ok();
    }

    /// `ok` is no failing record and nothing wrong with the history.
    pub(crate) fn settle_ok(&mut self) {
        self.ok = self.failures.is_empty() && self.history.is_empty();
    }
}

/// Why `verify` could not vouch for the state at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The state ref does not exist (a fresh clone has not fetched it, or
    /// `init` never ran): a CI job that expects a trail must not pass on an
    /// empty one, so this is a verification failure unless `--allow-empty`.
    #[error(
        "nothing to verify: {ref_name} does not exist in this repository; {} \
         (or pass --allow-empty to accept an empty trail)",
        match remote {
            Some(remote) => format!("fetch it with `git auditops state pull` (from {remote})"),
            None => "create it with `git auditops init`".to_owned(),
        }
    )]
    NoState {
        /// The configured state ref.
        ref_name: String,
        /// The remote `state pull` would fetch from, when there is one.
        remote: Option<String>,
    },
}

/// How strict to be.
#[derive(Clone, Copy)]
pub(crate) struct Policy<'a> {
    /// The keys that may sign.
    pub trust: &'a TrustSet,
    /// Whether unsigned records fail (else they warn).
    pub require_signed: bool,
    /// Whether an evidence record naming a commit absent from this repository
    /// fails (`verify`) or only warns (`pull`: the code may not be fetched yet).
    pub missing_commit_fails: bool,
    /// Skip records verified before (the caller remembers the ones verified
    /// now: [`Verifier::finish_keeping`]).
    pub cache: Option<&'a VerifiedCache>,
}

struct Pending<'a> {
    id: RecordId,
    kind: String,
    checks: Vec<SignatureCheck>,
    signer: &'a TrustedKey,
    /// Set when the record is to be remembered as verified if its signatures hold.
    cache_key: Option<CacheKey>,
}

/// Checks records one at a time, signatures in batches.
pub(crate) struct Verifier<'a> {
    repo: &'a gix::Repository,
    policy: Policy<'a>,
    report: Report,
    seen: HashSet<RecordId>,
    pending: Vec<Pending<'a>>,
    /// Whether a phase completion was seen (then the phase chain is checked).
    saw_completion: bool,
    files: HashMap<(ObjectId, String), Option<quoted::Quoted>>,
    /// Where the state keeps the files its evidence quotes.
    kept: Option<store::Kept>,
    /// Cache keys of the records found in the cache or verified now.
    cache_keys: Vec<CacheKey>,
}

impl<'a> Verifier<'a> {
    /// A verifier of records of `repo` under `policy`.
    pub fn new(repo: &'a gix::Repository, policy: Policy<'a>) -> Self {
        let trust = policy.trust.source.clone();
        Verifier {
            repo,
            policy,
            report: Report {
                trust,
                ..Report::default()
            },
            seen: HashSet::new(),
            pending: Vec::new(),
            saw_completion: false,
            files: HashMap::new(),
            kept: None,
            cache_keys: Vec::new(),
        }
    }

    /// Checks evidence whose commit is gone against what `kept` holds.
    pub fn with_kept(mut self, kept: Option<store::Kept>) -> Self {
        self.kept = kept;
        self
    }

    fn note(&mut self, id: RecordId, kind: &str, reason: impl Into<String>) {
        self.report.notes.push(Finding {
            id,
            kind: kind.into(),
            reason: reason.into(),
        });
    }

    fn fail(&mut self, id: RecordId, kind: &str, reason: impl Into<String>) {
        self.report.failures.push(Finding {
            id,
            kind: kind.into(),
            reason: reason.into(),
        });
    }

    fn warn(&mut self, id: RecordId, kind: &str, reason: impl Into<String>) {
        self.report.warnings.push(Finding {
            id,
            kind: kind.into(),
            reason: reason.into(),
        });
    }

    /// Checks one record, `line`, found at `location`.
    pub fn check(&mut self, location: &Location, line: &[u8]) {
        let id = RecordId::of(line);
        let repeated = !misnamed(location, id) && !self.seen.insert(id);
        self.check_record(location, line, id, repeated);
    }

    /// Checks one record whose id is `id`; `repeated` when the same bytes
    /// came before (then it is only counted and warned about).
    fn check_record(&mut self, location: &Location, line: &[u8], id: RecordId, repeated: bool) {
        self.report.records += 1;
        let log = location.kind();
        if let Location::Keyed(path) = location
            && misnamed(location, id)
        {
            return self.fail(
                id,
                log,
                format!("{} is not named after its record id", path.display()),
            );
        }
        if repeated {
            // Signing is deterministic, so the same add repeated within a second
            // stores identical bytes twice: redundant, not forged.
            return self.warn(id, log, "recorded more than once (identical bytes)");
        }
        let cache_key = self
            .policy
            .cache
            .map(|_| cache::key(self.policy.trust, location, id));
        if let (Some(cache), Some(key)) = (self.policy.cache, cache_key)
            && cache.is_known(&key)
        {
            // Only records that passed every check with no warning are cached,
            // and a cached record sits where its kind belongs.
            self.cache_keys.push(key);
            self.report.cached += 1;
            return self.count_kind(log);
        }
        let remarks_before = self.report.warnings.len() + self.report.notes.len();
        let opened = match sign::open(line) {
            Ok(opened) => opened,
            Err(err) => return self.fail(id, log, chain(&err)),
        };
        let statement = &opened.statement;
        let kind = match statement.auditops_kind() {
            Some((kind, _version)) => kind.to_owned(),
            None => {
                self.warn(
                    id,
                    log,
                    format!("unknown record kind `{}`", statement.predicate_type),
                );
                log.to_owned()
            }
        };
        self.count_kind(&kind);
        if kind != log {
            return self.fail(id, &kind, format!("a {kind} record stored as `{log}`"));
        }
        let content = match location {
            Location::Log(_) if kind == store::EVIDENCE_LOG => {
                match Evidence::from_statement(statement) {
                    Ok(evidence) if self.check_evidence_hash(id, &evidence) => {
                        Ok(evidence.unix_seconds())
                    }
                    Ok(_) => return,
                    Err(err) => Err(Unfit::Evidence(err)),
                }
            }
            Location::Log(_) => match keyed_kind_check(&kind, statement, None) {
                Some(_) => Err(Unfit::KeyedInLog { kind: kind.clone() }),
                None => Ok(None),
            },
            Location::Keyed(path) => match keyed_kind_check(&kind, statement, Some(&path.key)) {
                Some(result) => result,
                None if kind == store::EVIDENCE_LOG => Err(Unfit::EvidenceInIndex),
                None => Ok(None),
            },
        };
        let timestamp = match content {
            Ok(timestamp) => timestamp,
            Err(err) => return self.fail(id, &kind, chain(&err)),
        };
        // A record with a remark is not cached, so that the remark shows every time.
        let cache_key = cache_key
            .filter(|_| self.report.warnings.len() + self.report.notes.len() == remarks_before);
        match trust::plan(
            &opened.envelope,
            &opened.payload,
            self.policy.trust,
            timestamp,
        ) {
            Plan::Decided(status) => self.settle(id, &kind, status),
            Plan::Check { checks, signer } => {
                self.pending.push(Pending {
                    id,
                    kind,
                    checks,
                    signer,
                    cache_key,
                });
                if self.pending.len() >= BATCH {
                    self.flush();
                }
            }
        }
    }

    fn count_kind(&mut self, kind: &str) {
        if kind == PhaseCompletion::KIND {
            self.saw_completion = true;
        }
        match self.report.kinds.get_mut(kind) {
            Some(count) => *count += 1,
            None => {
                self.report.kinds.insert(kind.to_owned(), 1);
            }
        }
    }

    fn settle(&mut self, id: RecordId, kind: &str, status: SignatureStatus) {
        match status {
            SignatureStatus::Trusted { .. } => {}
            SignatureStatus::Unsigned if self.policy.require_signed => {
                self.fail(id, kind, "unsigned record (require_signed = true)")
            }
            SignatureStatus::Unsigned => self.warn(id, kind, "unsigned record"),
            SignatureStatus::Untrusted { keyids } => self.fail(
                id,
                kind,
                format!(
                    "signed by a key not in {}: {}",
                    self.policy.trust.source,
                    keyids.join(", ")
                ),
            ),
            SignatureStatus::BadSignature { keyid } => self.fail(
                id,
                kind,
                format!("signature by {keyid} does not match the payload"),
            ),
            SignatureStatus::OutsideValidity { keyid } => self.fail(
                id,
                kind,
                format!("key {keyid} is not valid at the record's time (valid-after/valid-before)"),
            ),
            SignatureStatus::Malformed { reason } => self.fail(id, kind, reason),
        }
    }

    /// Verifies the pending signatures.
    fn flush(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let checks: Vec<&SignatureCheck> = pending.iter().flat_map(|p| &p.checks).collect();
        let verdicts = batch::verify_each(&checks);
        let mut from = 0;
        for record in pending {
            let to = from + record.checks.len();
            let status = trust::judge(&record.checks, record.signer, &verdicts[from..to]);
            from = to;
            if let (SignatureStatus::Trusted { .. }, Some(key)) = (&status, record.cache_key) {
                self.cache_keys.push(key);
            }
            self.settle(record.id, &record.kind, status);
        }
    }

    /// Verifies what is still pending and reports.
    pub fn finish(self) -> Report {
        self.finish_keeping().0
    }

    /// [`Verifier::finish`], and the cache keys of the records found in the
    /// cache or verified now, for the caller to save.
    pub fn finish_keeping(mut self) -> (Report, Vec<CacheKey>) {
        self.flush();
        self.report.settle_ok();
        (self.report, self.cache_keys)
    }
}

/// A keyed record whose file is not named after its id.
fn misnamed(location: &Location, id: RecordId) -> bool {
    matches!(location, Location::Keyed(path) if path.file != store::index::file_name(id))
}

/// Why a record's content is not what its place in the state says.
#[derive(Debug, thiserror::Error)]
enum Unfit {
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Evidence(InvalidEvidence),
    #[error("stored under key `{stored}` but its content says `{content}`")]
    WrongKey { stored: String, content: String },
    #[error("{kind} records belong in the index, not in a log")]
    KeyedInLog { kind: String },
    #[error("evidence belongs in the evidence log, not in the index")]
    EvidenceInIndex,
}

/// Content checks of the keyed kinds: `None` for a kind that is not keyed;
/// otherwise the record's time, or why its content or key is wrong. With
/// `key`, the record must sit under the key its content implies.
fn keyed_kind_check(
    kind: &str,
    statement: &Statement,
    key: Option<&[String]>,
) -> Option<Result<Option<i64>, Unfit>> {
    fn check<K: KeyedKind>(
        statement: &Statement,
        key: Option<&[String]>,
    ) -> Result<Option<i64>, Unfit> {
        let record = K::from_statement(statement)?;
        match key {
            Some(key) if record.key() != key => Err(Unfit::WrongKey {
                stored: key.join("/"),
                content: record.key().join("/"),
            }),
            _ => Ok(record.unix_seconds()),
        }
    }
    Some(match kind {
        GateResult::KIND => check::<GateResult>(statement, key),
        PhaseCompletion::KIND => check::<PhaseCompletion>(statement, key),
        PhaseStart::KIND => check::<PhaseStart>(statement, key),
        Approval::KIND => check::<Approval>(statement, key),
        DecisionRecord::KIND => check::<DecisionRecord>(statement, key),
        QueueItem::KIND => check::<QueueItem>(statement, key),
        QueueResolution::KIND => check::<QueueResolution>(statement, key),
        Alert::KIND => check::<Alert>(statement, key),
        crate::rules::Rule::KIND => check::<crate::rules::Rule>(statement, key),
        OutboxOp::KIND => check::<OutboxOp>(statement, key),
        OutboxOutcome::KIND => check::<OutboxOutcome>(statement, key),
        Quarantine::KIND => check::<Quarantine>(statement, key),
        crate::findings::Finding::KIND => check::<crate::findings::Finding>(statement, key),
        crate::findings::Scan::KIND => check::<crate::findings::Scan>(statement, key),
        crate::ci::records::Bypass::KIND => check::<crate::ci::records::Bypass>(statement, key),
        crate::cleanup::records::CleanupRecord::KIND => {
            check::<crate::cleanup::records::CleanupRecord>(statement, key)
        }
        _ => return None,
    })
}

/// The trust list to verify against: `trust_file` when a reviewer brings one,
/// else the workspace's (committed at HEAD).
pub(crate) fn trust_list<'w>(
    ws: &'w Workspace,
    trust_file: Option<&Path>,
) -> Result<Cow<'w, TrustSet>> {
    Ok(match trust_file {
        Some(file) => Cow::Owned(TrustSet::read_file(file)?),
        None => Cow::Borrowed(ws.trust()?),
    })
}

/// Verifies every record of the state of `ws`, then the phase chain. The
/// trust list is `trust_file` when a reviewer brings one, else the
/// workspace's; `use_cache` skips records verified before under the same list.
/// Without a state ref this is [`VerifyError::NoState`], unless `allow_empty`
/// (then an `ok`, `empty` report).
pub fn verify(
    ws: &Workspace,
    trust_file: Option<&Path>,
    use_cache: bool,
    allow_empty: bool,
) -> Result<Report> {
    verify_with(ws, trust_file, use_cache, allow_empty, None)
}

/// [`verify`] on at most `jobs` threads (default: the available cores). The
/// report does not depend on the number of threads.
pub fn verify_with(
    ws: &Workspace,
    trust_file: Option<&Path>,
    use_cache: bool,
    allow_empty: bool,
    jobs: Option<usize>,
) -> Result<Report> {
    let config = ws.config()?;
    let scope = config.ref_name().to_owned();
    let view = ws.view()?;
    if view.is_none() && !allow_empty {
        return Err(VerifyError::NoState {
            ref_name: scope,
            remote: store::remote::default_remote(ws.repo(), "pull").ok(),
        }
        .into());
    }
    let trust = trust_list(ws, trust_file)?;
    let trust = &*trust;
    let Some(view) = view else {
        return Ok(Report {
            ok: true,
            empty: true,
            trust: trust.source.clone(),
            scope,
            ..Report::default()
        });
    };
    let mut cache = use_cache.then(|| VerifiedCache::load(VerifiedCache::path(ws.repo())));
    let growth = history::check_growth(&ws.store()?, &view, cache.as_mut())?;
    let policy = Policy {
        trust,
        require_signed: config.trust.require_signed,
        missing_commit_fails: true,
        cache: cache.as_ref(),
    };
    let mut layout = history::Layout::new(&view);
    let jobs = jobs.unwrap_or_else(parallel::available).max(1);
    let checked = parallel::check_all(ws.repo(), policy, view.kept()?, jobs, |feed| {
        for log in view.logs()? {
            let location = Location::Log(log.clone());
            view.for_each_segment(&log, |segment, data| {
                layout.segment(&log, segment.number, data);
                for line in store::layout::lines(data) {
                    feed.push(&location, line);
                }
                Ok(())
            })?;
            layout.end_log();
        }
        view.for_each_keyed(|path, record| {
            feed.push(&Location::Keyed(path), &record.line);
            Ok(())
        })
    })?;
    let saw_completion = checked.saw_completion;
    let mut report = checked.report;
    if let Some(mut cache) = cache {
        cache.keep(checked.cache_keys);
        if let Err(err) = cache.save() {
            // The cache only saves work; a read-only repository still verifies.
            tracing::debug!("could not save the cache of verified records: {err}");
        }
    }
    report.scope = scope;
    report.transactions = growth.checked;
    report.history = growth.faults;
    report.history.extend(layout.faults);
    report.settle_ok();
    if saw_completion {
        let reader = Reader {
            config,
            view: Some(&view),
            trust,
        };
        for broken in reader.chain_breaks(ws.repo())? {
            report.failures.push(Finding {
                id: broken.id,
                kind: FindingKind::PhaseCompletion,
                reason: broken.reason,
            });
        }
        report.settle_ok();
    }
    let needed = config.trust.quarantine_approvals.get();
    report.set_aside(&Quarantines::of_view(&view, trust, needed)?);
    Ok(report)
}
