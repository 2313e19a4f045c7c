//! Quarantine: trusted signers setting a record aside that cannot be verified
//! (signed by a key nobody trusts yet, say) so that one bad record on the shared
//! remote does not lock the team out of `state pull` and `verify`.
//!
//! A quarantine is itself a signed record, keyed by the id of the record it sets
//! aside. A record counts as quarantined once `[trust] quarantine_approvals`
//! distinct trusted keys have quarantined it; quarantines by other keys do not
//! count. Nothing is deleted: the history only grows, and `verify` still lists
//! the record, apart from the failures.

use crate::error::Result;
use crate::records::KeyedKind;
use crate::sign::{self, SignatureStatus, Subject, TrustSet, key};
use crate::store::{RecordId, StateView, StoreError};
use crate::time::Timestamp;
use crate::workspace::Workspace;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// The signed record of one signer quarantining one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quarantine {
    /// The version of this record's shape.
    pub schema_version: u32,
    /// The record set aside.
    pub record: RecordId,
    /// Why, in the signer's words.
    pub reason: String,
    /// When it was signed.
    pub timestamp: Timestamp,
}

impl KeyedKind for Quarantine {
    const KIND: &'static str = "quarantine";

    fn key(&self) -> Vec<String> {
        vec![self.record.to_hex()]
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![Subject::new("record", "sha256", self.record.to_hex())]
    }

    fn unix_seconds(&self) -> Option<i64> {
        Some(self.timestamp.as_second())
    }
}

/// Why a quarantine could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum QuarantineError {
    /// The reason is empty.
    #[error("--reason is empty: say why the record is set aside (it is kept in the trail)")]
    NoReason,
    /// No key to sign with (`require_signed = false` and none found): an unsigned
    /// quarantine would count for nobody.
    #[error(
        "a quarantine must be signed by a trusted key, and no signing key was found; create one with `git auditops key generate` and add it to the allowed_signers file"
    )]
    Unsigned,
}

/// Which records count as quarantined: the distinct trusted keys that
/// quarantined each, and how many are needed.
#[derive(Debug, Clone)]
pub(crate) struct Quarantines {
    needed: usize,
    keys: HashMap<RecordId, BTreeSet<String>>,
}

impl Quarantines {
    /// None yet; `needed` distinct trusted keys make a quarantine count.
    pub(crate) fn new(needed: u32) -> Self {
        Quarantines {
            needed: needed as usize,
            keys: HashMap::new(),
        }
    }

    /// The quarantines stored in `view`.
    pub(crate) fn of_view(
        view: &StateView<'_>,
        trust: &TrustSet,
        needed: u32,
    ) -> std::result::Result<Self, StoreError> {
        let mut quarantines = Quarantines::new(needed);
        view.for_each_keyed_of(Quarantine::KIND, |_, raw| {
            quarantines.add_line(&raw.line, trust);
            Ok(())
        })?;
        Ok(quarantines)
    }

    /// The quarantines in the state of `ws` (none without a state ref), judged
    /// by `trust`.
    pub(crate) fn local(ws: &Workspace, trust: &TrustSet) -> Result<Self> {
        let needed = ws.config()?.trust.quarantine_approvals.get();
        Ok(match ws.view()? {
            Some(view) => Quarantines::of_view(&view, trust, needed)?,
            None => Quarantines::new(needed),
        })
    }

    /// Counts the record stored as `line` if it is a quarantine validly signed
    /// by a trusted key; anything else is ignored here (`verify` reports it).
    pub(crate) fn add_line(&mut self, line: &[u8], trust: &TrustSet) {
        let Ok(opened) = sign::open(line) else {
            return;
        };
        let Ok(record) = Quarantine::from_statement(&opened.statement) else {
            return;
        };
        let status = sign::trust::check_envelope(
            &opened.envelope,
            &opened.payload,
            trust,
            record.unix_seconds(),
        );
        if let SignatureStatus::Trusted { keyid, .. } = status {
            self.keys.entry(record.record).or_default().insert(keyid);
        }
    }

    /// How many distinct trusted keys quarantined `id`.
    pub(crate) fn approvals(&self, id: RecordId) -> usize {
        self.keys.get(&id).map_or(0, BTreeSet::len)
    }

    /// Whether `id` counts as quarantined.
    pub(crate) fn holds(&self, id: RecordId) -> bool {
        self.approvals(id) >= self.needed
    }
}

/// One record quarantined by `quarantine`.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The record set aside.
    pub record: RecordId,
    /// The id of the quarantine record written.
    pub quarantine: RecordId,
    /// Distinct trusted signers who have quarantined it, this one included.
    pub approvals: usize,
    /// How many are needed (`[trust] quarantine_approvals`).
    pub needed: u32,
    /// Whether it now counts as quarantined.
    pub quarantined: bool,
}

/// What `quarantine` did.
#[derive(Debug, Clone, Serialize)]
pub struct Quarantined {
    /// Each record, in the order given.
    pub records: Vec<Entry>,
}

/// Records, in one transaction, a quarantine of each of `ids` for `reason`,
/// signed by this clone's key, which must be trusted. The ids need not be in
/// the local state: a bad record is typically seen first in a refused pull.
pub fn quarantine(ws: &Workspace, ids: &[RecordId], reason: &str) -> Result<Quarantined> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(QuarantineError::NoReason.into());
    }
    let signing_key = key::for_recording(ws)?.ok_or(QuarantineError::Unsigned)?;
    key::ensure_trusted(ws, &signing_key)?;
    let trust = ws.trust()?;
    let needed = ws.config()?.trust.quarantine_approvals.get();
    let mut known = Quarantines::local(ws, trust)?;
    let timestamp = Timestamp::now();
    let mut ops = Vec::new();
    for &record in ids {
        let op = Quarantine {
            schema_version: 1,
            record,
            reason: crate::evidence::redact(reason).into_owned(),
            timestamp,
        }
        .put(Some(&signing_key));
        if let crate::store::Op::Put { line, .. } = &op {
            known.add_line(line, trust);
        }
        ops.push(op);
    }
    let short: Vec<String> = ids.iter().map(|id| id.short()).collect();
    ws.write(&ops, &format!("quarantine {}", short.join(" ")))?;
    let records = ids
        .iter()
        .zip(&ops)
        .map(|(&record, op)| Entry {
            record,
            quarantine: op.record_id(),
            approvals: known.approvals(record),
            needed,
            quarantined: known.holds(record),
        })
        .collect();
    Ok(Quarantined { records })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::SigningKey;

    fn line(by: &SigningKey, record: RecordId) -> Vec<u8> {
        let quarantine = Quarantine {
            schema_version: 1,
            record,
            reason: "bad".into(),
            timestamp: Timestamp::now(),
        };
        match quarantine.put(Some(by)) {
            crate::store::Op::Put { line, .. } => line,
            _ => unreachable!("a keyed kind is put"),
        }
    }

    #[test]
    fn a_quarantine_counts_distinct_trusted_keys_only() {
        let (alice, bob, mallory) = (
            SigningKey::from_seed([1; 32]),
            SigningKey::from_seed([2; 32]),
            SigningKey::from_seed([3; 32]),
        );
        let list: Vec<String> = [&alice, &bob]
            .iter()
            .map(|k| crate::setup::allowed_signers_line("x@example.com", &k.public))
            .collect();
        let trust = TrustSet::parse(&list.join("\n"), "test").unwrap();
        let bad = RecordId::of(b"bad record");
        let mut quarantines = Quarantines::new(2);
        quarantines.add_line(&line(&alice, bad), &trust);
        quarantines.add_line(&line(&alice, bad), &trust);
        quarantines.add_line(&line(&mallory, bad), &trust);
        assert_eq!(quarantines.approvals(bad), 1);
        assert!(!quarantines.holds(bad));
        quarantines.add_line(&line(&bob, bad), &trust);
        assert!(quarantines.holds(bad));
        assert!(!quarantines.holds(RecordId::of(b"another")));
    }
}
