//! Typed records: a predicate of a known kind, sealed into a signed statement,
//! and read back from the state with its signature checked.
//!
//! Each kind says where it is stored (its key, for keyed kinds) and what it is
//! about (its in-toto subjects); this module does the rest once for all kinds.

use crate::sign::{self, SignatureStatus, SigningKey, Statement, Subject, TrustSet};
use crate::store::{Op, RecordId, StateView, StoreError};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A kind of record stored under a key in the index.
pub trait KeyedKind: Serialize + DeserializeOwned {
    /// The kind's name: its index folder and its predicate type's path.
    const KIND: &'static str;
    /// The version of the kind's predicate.
    const VERSION: u32 = 1;

    /// The key the record is stored under.
    fn key(&self) -> Vec<String>;
    /// What the record is about (its in-toto subjects).
    fn subjects(&self) -> Vec<Subject>;
    /// When the record says it was made (for key validity windows).
    fn unix_seconds(&self) -> Option<i64>;

    /// `https://auditops.dev/<kind>/v<version>`.
    fn predicate_type() -> String {
        format!(
            "{}{}/v{}",
            sign::statement::PREDICATE_PREFIX,
            Self::KIND,
            Self::VERSION
        )
    }

    /// The in-toto statement carrying the record.
    fn statement(&self) -> Statement {
        Statement::new(
            self.subjects(),
            Self::predicate_type(),
            serde_json::to_value(self).expect("records serialize"),
        )
    }

    /// The store operation that records this, signed with `key` when given.
    fn put(&self, key: Option<&SigningKey>) -> Op {
        Op::Put {
            kind: Self::KIND.to_owned(),
            key: self.key(),
            line: sign::seal(&self.statement(), key),
        }
    }

    /// The record a statement carries, if it is one of this kind and whole.
    fn from_statement(statement: &Statement) -> Result<Self, RecordError> {
        if statement.predicate_type != Self::predicate_type() {
            return Err(RecordError::PredicateType {
                found: statement.predicate_type.clone(),
                expected: Self::predicate_type(),
            });
        }
        let record = statement
            .predicate_as::<Self>()
            .map_err(|source| RecordError::Malformed {
                kind: Self::KIND,
                source,
            })?;
        if statement.subject != record.subjects() {
            return Err(RecordError::Subjects);
        }
        record.check()?;
        Ok(record)
    }

    /// Checks of a kind's own beyond its shape (none by default).
    fn check(&self) -> Result<(), RecordError> {
        Ok(())
    }
}

/// The store operations recording each of `records` ([`KeyedKind::put`]), in
/// their order, sealed on every core: signing is most of the work of a large
/// write (a findings import of 10,000 results), and each record is signed on
/// its own.
pub fn put_all<K: KeyedKind + Sync>(records: &[K], key: Option<&SigningKey>) -> Vec<Op> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Below this a thread costs more than it saves.
    const PER_THREAD: usize = 256;
    if threads == 1 || records.len() < 2 * PER_THREAD {
        return records.iter().map(|r| r.put(key)).collect();
    }
    let per = records.len().div_ceil(threads).max(PER_THREAD);
    std::thread::scope(|scope| {
        let parts: Vec<_> = records
            .chunks(per)
            .map(|chunk| scope.spawn(move || chunk.iter().map(|r| r.put(key)).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().expect("sealing a record does not panic"))
            .collect()
    })
}

/// Why a statement is not a valid record of the kind it claims.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// It is a record of another kind.
    #[error("predicate type is {found}, not {expected}")]
    PredicateType {
        /// What the statement says.
        found: String,
        /// What the kind needs.
        expected: String,
    },
    /// The predicate does not have the kind's shape.
    #[error("malformed {kind} predicate")]
    Malformed {
        /// The kind.
        kind: &'static str,
        /// Where and how the shape differs.
        #[source]
        source: serde_json::Error,
    },
    /// The in-toto subjects are not the ones the predicate implies.
    #[error("statement subjects disagree with the predicate")]
    Subjects,
    /// A check of the kind's own failed.
    #[error("{0}")]
    Invalid(String),
}

/// A record read back with what its signatures establish.
pub struct Read<K> {
    /// The id of the stored record.
    pub id: RecordId,
    /// The record.
    pub record: K,
    /// What its signatures establish.
    pub status: SignatureStatus,
}

impl<K> Read<K> {
    /// Whether it counts: signed by a trusted key, or unsigned where signatures
    /// are not required.
    pub fn counts(&self, require_signed: bool) -> bool {
        match &self.status {
            SignatureStatus::Trusted { .. } => true,
            SignatureStatus::Unsigned => !require_signed,
            _ => false,
        }
    }

    /// Who signed it (the first principal of the trusted key), if trusted.
    pub fn signer(&self) -> Option<&str> {
        match &self.status {
            SignatureStatus::Trusted { principals, keyid } => {
                Some(principals.first().map(String::as_str).unwrap_or(keyid))
            }
            _ => None,
        }
    }
}

/// Parses one stored line as a `K`, with its signature checked; `None` when it
/// does not parse or sits under a key its content does not imply.
fn read_one<K: KeyedKind>(
    raw: crate::store::RawRecord,
    key: &[String],
    trust: &TrustSet,
) -> Option<Read<K>> {
    let opened = sign::open(&raw.line).ok()?;
    let record = K::from_statement(&opened.statement).ok()?;
    if record.key() != key {
        return None;
    }
    let time = record.unix_seconds();
    let status = sign::trust::check_envelope(&opened.envelope, &opened.payload, trust, time);
    Some(Read {
        id: raw.id,
        record,
        status,
    })
}

/// Every record of kind `K`, under any key, each with its signature checked.
///
/// The signatures are checked in batches, as `verify` checks them (a
/// findings import reads every finding: one by one that was most of its cost).
pub fn read_all<K: KeyedKind>(
    view: &StateView<'_>,
    trust: &TrustSet,
) -> Result<Vec<Read<K>>, StoreError> {
    let mut out: Vec<Read<K>> = Vec::new();
    let mut batch = Batch::default();
    view.for_each_keyed_of(K::KIND, |path, raw| {
        let Ok(opened) = sign::open(&raw.line) else {
            return Ok(());
        };
        let Ok(record) = K::from_statement(&opened.statement) else {
            return Ok(());
        };
        if record.key() != path.key {
            return Ok(());
        }
        let time = record.unix_seconds();
        let status = match sign::trust::plan(&opened.envelope, &opened.payload, trust, time) {
            sign::trust::Plan::Decided(status) => status,
            sign::trust::Plan::Check { checks, signer } => {
                batch.pending.push((out.len(), checks, signer));
                // Settled with the batch.
                SignatureStatus::Unsigned
            }
        };
        out.push(Read {
            id: raw.id,
            record,
            status,
        });
        if batch.pending.len() >= BATCH {
            batch.settle(&mut out);
        }
        Ok(())
    })?;
    batch.settle(&mut out);
    Ok(out)
}

/// Records whose signatures are checked together.
const BATCH: usize = 512;

/// Signature checks waiting for their batch: (index in the output, checks, signer).
#[derive(Default)]
struct Batch<'t> {
    pending: Vec<(
        usize,
        Vec<sign::batch::SignatureCheck>,
        &'t sign::trust::TrustedKey,
    )>,
}

impl Batch<'_> {
    fn settle<K>(&mut self, out: &mut [Read<K>]) {
        let pending = std::mem::take(&mut self.pending);
        let checks: Vec<&sign::batch::SignatureCheck> =
            pending.iter().flat_map(|(_, checks, _)| checks).collect();
        let verdicts = sign::batch::verify_each(&checks);
        let mut from = 0;
        for (index, checks, signer) in pending {
            let to = from + checks.len();
            out[index].status = sign::trust::judge(&checks, signer, &verdicts[from..to]);
            from = to;
        }
    }
}

/// The records of kind `K` stored under `key`, each with its signature checked.
/// Records that do not parse, or sit under a key their content does not imply,
/// are left out (`verify` reports them).
pub fn read_keyed<K: KeyedKind>(
    view: &StateView<'_>,
    key: &[String],
    trust: &TrustSet,
) -> Result<Vec<Read<K>>, StoreError> {
    Ok(view
        .keyed(K::KIND, key)?
        .into_iter()
        .filter_map(|raw| read_one(raw, key, trust))
        .collect())
}
