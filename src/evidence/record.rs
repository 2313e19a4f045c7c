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

/// What `evidence add` recorded, or found recorded already.
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
    /// The same evidence was in the state already (see [`Evidence::identity`]):
    /// this is that record, and nothing was written.
    pub already_recorded: bool,
}

/// Records `request` as signed evidence in the state of `ws`, unless the same
/// evidence is there already (then nothing is written and that record is returned).
pub fn add(ws: &Workspace, request: &Request<'_>) -> Result<Recorded> {
    // Everything that can fail on bad input happens before the state is touched.
    let config = ws.config()?;
    // Without phases configured any phase number is accepted, as before phases existed.
    if !config.phases.is_empty() {
        crate::phase::lifecycle::phase(config, request.phase)?;
    }
    let key = key::for_recording(ws)?;
    let evidence: Evidence = super::build(ws.repo(), request, Timestamp::now())?;
    if let Some((existing, state_commit)) = find_same(ws, &evidence)? {
        return Ok(Recorded {
            id: existing.id,
            evidence_id: existing.evidence.evidence_id,
            keyid: existing.keyid,
            state_commit,
            already_recorded: true,
        });
    }
    let line = sign::seal(&evidence.statement(), key.as_ref());
    let id = RecordId::of(&line);
    let message = format!(
        "evidence: add 1 record (phase {}, {} lines {})",
        evidence.phase, evidence.file, evidence.lines
    );
    let mut ops = vec![Op::Append {
        log: store::EVIDENCE_LOG.to_owned(),
        line,
    }];
    // The quoted file stays reachable from the state (`kept/`), so that the
    // record still verifies once its commit is rewritten away and collected;
    // unless it holds a secret, which would then outlive a history rewrite
    // that purged it, and travel with every `state push`.
    let commit = evidence.git_commit.object_id();
    if let Some(blob) = crate::git::committed_blob(ws.repo(), commit, &evidence.file)?
        && holds_no_secret(ws.repo(), blob)
    {
        ops.push(Op::Keep {
            commit,
            file: evidence.file.clone(),
            blob,
        });
    }
    let written = ws.write(&ops, &message)?;
    Ok(Recorded {
        id,
        evidence_id: evidence.evidence_id,
        keyid: key.map(|k| k.public.keyid()),
        state_commit: written.commit.into(),
        already_recorded: false,
    })
}

/// Whether redaction finds nothing in `blob`: only then may the state keep it.
/// A blob that cannot be read is not kept either.
fn holds_no_secret(repo: &gix::Repository, blob: gix::ObjectId) -> bool {
    repo.find_object(blob).is_ok_and(|object| {
        let text = String::from_utf8_lossy(&object.data);
        matches!(super::redact(&text), std::borrow::Cow::Borrowed(_))
    })
}

/// The oldest record of the state of `ws` that is the same evidence as
/// `evidence` and counts, with the state commit read. A same record that does
/// not count (an untrusted signer) does not stop a new one. Found through the
/// local index of identities (`known`), so its cost does not grow with the log.
fn find_same(ws: &Workspace, evidence: &Evidence) -> Result<Option<(Listed, CommitId)>> {
    let view = ws.view()?;
    let Some(view) = view.as_ref() else {
        return Ok(None);
    };
    let same = super::known::same_as(view, evidence)?;
    if same.is_empty() {
        return Ok(None);
    }
    let (trust, require_signed) = (ws.trust()?, ws.require_signed()?);
    Ok(same
        .into_iter()
        .find(|listed| counts(listed, trust, require_signed))
        .map(|listed| (listed, view.commit.into())))
}

/// The first record of each distinct evidence (by [`Evidence::identity`]), in
/// order: what counts toward a phase's `evidence_min`, so that the same
/// evidence recorded twice (apart, in two clones, then merged) counts once.
pub fn distinct(listed: impl IntoIterator<Item = Listed>) -> Vec<Listed> {
    let mut seen = std::collections::HashSet::new();
    listed
        .into_iter()
        .filter(|l| seen.insert(l.evidence.identity()))
        .collect()
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
        match parse(line) {
            Some(listed) if phase.is_none_or(|p| p == listed.evidence.phase) => visit(Ok(listed)),
            Some(_) => {}
            None => visit(Err(RecordId::of(line))),
        }
        Ok(())
    })?;
    Ok(())
}

/// A stored line as listed evidence; `None` when it is not readable evidence.
pub(crate) fn parse(line: &[u8]) -> Option<Listed> {
    let opened = sign::open(line).ok()?;
    let evidence = Evidence::from_statement(&opened.statement).ok()?;
    let keyid = opened.envelope.signatures.first();
    Some(Listed {
        id: RecordId::of(line),
        keyid: keyid.map(|s| s.keyid.to_string()),
        evidence,
        line: line.to_vec(),
    })
}

/// The readable evidence in `view`, oldest first (optionally of one phase
/// only); `verify` reports the records that are not.
pub(crate) fn all_in(view: Option<&StateView<'_>>, phase: Option<u32>) -> Result<Vec<Listed>> {
    let mut all = Vec::new();
    for_each_in(view, phase, |item| all.extend(item.ok()))?;
    Ok(all)
}

/// Calls `visit` with each evidence record in the state of `ws`, oldest first
/// (optionally of one phase only), one segment in memory at a time: what
/// `evidence list` prints as it reads. A record that cannot be read as
/// evidence is passed as `Err(id)`.
pub fn for_each(
    ws: &Workspace,
    phase: Option<u32>,
    visit: impl FnMut(std::result::Result<Listed, RecordId>),
) -> Result<()> {
    for_each_in(ws.view()?.as_ref(), phase, visit)
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
