//! Recording evidence: build the record, seal it, append it in one transaction.

use super::{Evidence, Request};
use crate::config::Config;
use crate::error::Result;
use crate::sign::{self, key};
use crate::store::{self, RecordId, Store};

/// What `evidence add` recorded.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Recorded {
    pub id: String,
    pub evidence_id: String,
    pub keyid: Option<String>,
    pub state_commit: String,
}

pub fn add(repo: &gix::Repository, config: &Config, request: &Request<'_>) -> Result<Recorded> {
    // Everything that can fail on bad input happens before the store is touched.
    let store = Store::new(repo, config.ref_name())?;
    let key = key::for_recording(repo, config.trust.require_signed)?;
    let now = jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or_else(|_| jiff::Timestamp::now());
    let evidence: Evidence = super::build(repo, request, &now.to_string())?;
    let line = sign::seal(&evidence.statement(), key.as_ref());
    let id = RecordId::of(&line);
    let message = format!(
        "evidence: add 1 record (phase {}, {} lines {})",
        evidence.phase, evidence.file, evidence.lines
    );
    let written = store.append(store::EVIDENCE_LOG, &[line], &message)?;
    Ok(Recorded {
        id: id.to_hex(),
        evidence_id: evidence.evidence_id,
        keyid: key.map(|k| k.public.keyid()),
        state_commit: written.commit.to_string(),
    })
}

/// One evidence record as listed (not verified: `verify` does that).
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: RecordId,
    pub keyid: Option<String>,
    pub evidence: Evidence,
    /// The stored envelope line, for export.
    pub line: Vec<u8>,
}

/// Calls `visit` with each evidence record in the state, oldest first (optionally of
/// one phase only), one segment in memory at a time. A record that cannot be read
/// as evidence is passed as `Err(id)`.
pub fn for_each(
    repo: &gix::Repository,
    config: &Config,
    phase: Option<u32>,
    mut visit: impl FnMut(std::result::Result<Listed, RecordId>),
) -> Result<()> {
    let store = Store::new(repo, config.ref_name())?;
    let Some(view) = store.view()? else {
        return Ok(());
    };
    view.for_each_record(store::EVIDENCE_LOG, |line| {
        let parsed = sign::open(line).ok().and_then(|opened| {
            let evidence = Evidence::from_statement(&opened.statement).ok()?;
            let keyid = opened.envelope.signatures.first();
            Some((keyid.map(|s| s.keyid.to_string()), evidence))
        });
        match parsed {
            Some((keyid, evidence)) if phase.is_none_or(|p| p == evidence.phase) => {
                visit(Ok(Listed {
                    id: RecordId::of(line),
                    keyid,
                    evidence,
                    line: line.to_vec(),
                }))
            }
            Some(_) => {}
            None => visit(Err(RecordId::of(line))),
        }
        Ok(())
    })?;
    Ok(())
}

/// The evidence in the state, oldest first, and the ids of unreadable records.
pub fn list(
    repo: &gix::Repository,
    config: &Config,
    phase: Option<u32>,
) -> Result<(Vec<Listed>, Vec<RecordId>)> {
    let mut listed = Vec::new();
    let mut unreadable = Vec::new();
    for_each(repo, config, phase, |item| match item {
        Ok(l) => listed.push(l),
        Err(id) => unreadable.push(id),
    })?;
    Ok((listed, unreadable))
}

/// Whether a listed record counts: signed by a trusted key (or unsigned where
/// signatures are not required).
pub fn counts(listed: &Listed, trust: &sign::TrustSet, require_signed: bool) -> bool {
    let Ok(opened) = sign::open(&listed.line) else {
        return false;
    };
    let time = listed.evidence.unix_seconds();
    match sign::trust::check_envelope(&opened.envelope, &opened.payload, trust, time) {
        sign::SignatureStatus::Trusted { .. } => true,
        sign::SignatureStatus::Unsigned => !require_signed,
        _ => false,
    }
}
