//! Recording evidence: build the record, seal it, append it in one transaction;
//! and reading the evidence of the state back.

use super::{Evidence, EvidenceError, Request};
use crate::error::Result;
use crate::ids::CommitId;
use crate::sign::{self, key};
use crate::store::{self, Op, RecordId, StateView};
use crate::time::Timestamp;
use crate::workspace::Workspace;
use std::io::{ErrorKind, Write};

/// What `evidence add` recorded.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Recorded {
    /// The id of the stored record.
    pub id: RecordId,
    /// The evidence id people use.
    pub evidence_id: String,
    /// The key that signed it; `None` when recorded unsigned.
    pub keyid: Option<String>,
    /// The transaction of the state ref that holds it.
    pub state_commit: CommitId,
}

/// Records `request` as signed evidence in the state of `ws`.
pub fn add(ws: &Workspace, request: &Request<'_>) -> Result<Recorded> {
    // Everything that can fail on bad input happens before the state is touched.
    let key = key::for_recording(ws)?;
    let evidence: Evidence = super::build(ws.repo(), request, Timestamp::now())?;
    let line = sign::seal(&evidence.statement(), key.as_ref());
    let id = RecordId::of(&line);
    let message = format!(
        "evidence: add 1 record (phase {}, {} lines {})",
        evidence.phase, evidence.file, evidence.lines
    );
    let op = Op::Append {
        log: store::EVIDENCE_LOG.to_owned(),
        line,
    };
    let written = ws.write(&[op], &message)?;
    Ok(Recorded {
        id,
        evidence_id: evidence.evidence_id,
        keyid: key.map(|k| k.public.keyid()),
        state_commit: written.commit.into(),
    })
}

/// One evidence record as listed (not verified: `verify` does that).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    /// The id of the stored record.
    pub id: RecordId,
    /// The key of its first signature, if signed.
    pub keyid: Option<String>,
    /// The evidence.
    #[serde(flatten)]
    pub evidence: Evidence,
    /// The stored envelope line, for export.
    #[serde(skip)]
    pub line: Vec<u8>,
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

/// The evidence of the state, as `evidence list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(transparent)]
pub struct Listing {
    /// Oldest first; in JSON, the array of them.
    pub evidence: Vec<Listed>,
    /// Records that are not readable evidence (`verify` says why).
    #[serde(skip)]
    pub unreadable: Vec<RecordId>,
}

/// Calls `visit` with each evidence record of `view`, oldest first (optionally of
/// one phase only), one segment in memory at a time. A record that cannot be read
/// as evidence is passed as `Err(id)`.
fn for_each_in(
    view: Option<&StateView<'_>>,
    phase: Option<u32>,
    mut visit: impl FnMut(std::result::Result<Listed, RecordId>),
) -> Result<()> {
    let Some(view) = view else {
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

/// [`for_each_in`] the state of `ws`.
fn for_each(
    ws: &Workspace,
    phase: Option<u32>,
    visit: impl FnMut(std::result::Result<Listed, RecordId>),
) -> Result<()> {
    for_each_in(ws.view()?.as_ref(), phase, visit)
}

/// The evidence in `view`, oldest first, and the ids of unreadable records.
pub(crate) fn list_in(view: Option<&StateView<'_>>, phase: Option<u32>) -> Result<Listing> {
    let mut listing = Listing {
        evidence: Vec::new(),
        unreadable: Vec::new(),
    };
    for_each_in(view, phase, |item| match item {
        Ok(l) => listing.evidence.push(l),
        Err(id) => listing.unreadable.push(id),
    })?;
    Ok(listing)
}

/// The evidence in the state of `ws`, oldest first, and the ids of unreadable records.
pub fn list(ws: &Workspace, phase: Option<u32>) -> Result<Listing> {
    list_in(ws.view()?.as_ref(), phase)
}

/// What `evidence export` wrote.
#[derive(Debug, Clone, Default)]
pub struct Exported {
    /// Envelopes written.
    pub written: usize,
    /// Records that are not readable evidence, and were not exported.
    pub unreadable: Vec<RecordId>,
}

/// Writes the envelopes of the evidence in the state of `ws` to `out` as JSONL,
/// oldest first. A reader that goes away (a broken pipe: `| head`) ends the
/// export quietly; any other write error (a full disk) is an error.
pub fn export(ws: &Workspace, phase: Option<u32>, out: &mut dyn Write) -> Result<Exported> {
    let mut exported = Exported::default();
    let mut failed: Option<std::io::Error> = None;
    let mut reader_gone = false;
    for_each(ws, phase, |item| match item {
        Ok(_) if reader_gone || failed.is_some() => {}
        Ok(listed) => match out
            .write_all(&listed.line)
            .and_then(|_| out.write_all(b"\n"))
        {
            Ok(()) => exported.written += 1,
            Err(err) if err.kind() == ErrorKind::BrokenPipe => reader_gone = true,
            Err(err) => failed = Some(err),
        },
        Err(id) => exported.unreadable.push(id),
    })?;
    if failed.is_none() && !reader_gone {
        match out.flush() {
            Err(err) if err.kind() != ErrorKind::BrokenPipe => failed = Some(err),
            _ => {}
        }
    }
    match failed {
        Some(err) => Err(EvidenceError::Write(err).into()),
        None => Ok(exported),
    }
}
