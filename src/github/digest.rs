//! The issue cap: when one run has more than `max_issues_per_run` pending
//! `create_issue` operations for a repository, they are folded into one digest
//! issue instead (sorted by hits, with provenance). Exactly the cap makes that
//! many issues; one more makes one digest.
//!
//! Folding is recorded before anything is sent: a new `create_issue`
//! operation for the digest and a `folded` outcome for each folded operation,
//! in one transaction. The digest is then carried out like any operation
//! (marker, reconciliation), and the folded operations are marked done with
//! its number once it exists.

use super::bodies::{self, DigestItem, Provenance};
use crate::ids::Sha256;
use crate::outbox::dedupe;
use crate::outbox::payload::{DigestInfo, IssuePayload, Payload};
use crate::outbox::records::{OutboxOutcome, OutcomeStatus};
use crate::outbox::{Entry, OpId, OpKind, OpRequest, OpState, Outbox, queue_op};
use crate::records::KeyedKind;
use crate::sign::SigningKey;
use crate::store::Op;
use std::collections::HashMap;

/// The environment variable that overrides `[github] max_issues_per_run`.
pub const MAX_ISSUES_ENV: &str = "MAX_ISSUES_PER_RUN";

/// The cap in force: the environment's, else the config's.
pub fn max_issues(config: &crate::config::Config) -> u64 {
    std::env::var(MAX_ISSUES_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(*config.github.max_issues_per_run.get_ref())
}

/// The pending `create_issue` operations of `repo` that this run would create
/// as issues: trusted, valid, not digests, not duplicates of another.
pub(crate) fn candidates<'a>(
    outbox: &'a Outbox,
    states: &HashMap<OpId, OpState>,
    repo: &str,
    default_repo: Option<&str>,
) -> Vec<&'a Entry> {
    outbox
        .entries
        .iter()
        .filter(|e| e.op.kind == OpKind::CreateIssue)
        .filter(|e| matches!(states.get(&e.op.op_id), Some(OpState::Pending { .. })))
        .filter(|e| dedupe::target_repo(e, default_repo) == repo)
        .filter(|e| issue(e).is_some_and(|p| p.digest.is_none()))
        .filter(|e| {
            dedupe::find(
                outbox,
                states,
                OpKind::CreateIssue,
                repo,
                &e.op.dedupe_key,
                default_repo,
                Some(e),
            )
            .is_none()
        })
        .collect()
}

/// The payload of a `create_issue` entry, if it reads.
fn issue(entry: &Entry) -> Option<IssuePayload> {
    match entry.op.payload() {
        Ok(Payload::Issue(p)) => Some(p),
        _ => None,
    }
}

/// The store operations that fold `entries` into one new digest operation,
/// and the digest's op id.
pub(crate) fn fold(
    workdir: Option<&std::path::Path>,
    entries: &[&Entry],
    repo: &str,
    run_id: &str,
    max_issues_per_run: u64,
    key: Option<&SigningKey>,
) -> Result<(OpId, Vec<Op>), crate::render::RenderError> {
    let mut items: Vec<DigestItem> = entries
        .iter()
        .filter_map(|e| Some(DigestItem::new(&e.op, &issue(e)?)))
        .collect();
    let provenance = Provenance::new(&items, run_id, max_issues_per_run);
    let body = bodies::digest(workdir, &mut items, &provenance)?;
    let folds: Vec<OpId> = items.iter().map(|i| i.op_id.clone()).collect();
    let listed: Vec<&str> = folds.iter().map(OpId::as_str).collect();
    let fingerprint = Sha256::of(listed.join(",").as_bytes()).to_hex();
    let generated_at = provenance.generated_at.to_string();
    let date = generated_at.get(..10).unwrap_or_default();
    let payload = Payload::Issue(IssuePayload {
        title: format!(
            "git-auditops digest: {} findings ({date}, run {run_id})",
            folds.len()
        ),
        body,
        labels: Vec::new(),
        hits: Some(provenance.total_hits),
        source: None,
        digest: Some(DigestInfo {
            folds,
            total_hits: provenance.total_hits,
            sources_scanned: provenance.sources_scanned,
            run_id: run_id.to_owned(),
        }),
    });
    let request = OpRequest::new(
        format!("digest:{}", &fingerprint[..16]),
        Some(repo.to_owned()),
        &payload,
    );
    let (digest_id, digest_op) = queue_op(&request, key);
    let mut ops = vec![digest_op];
    for entry in entries {
        let mut outcome = OutboxOutcome::of(&entry.op, OutcomeStatus::Folded, run_id);
        outcome.repo = Some(repo.to_owned());
        outcome.folded_into = Some(digest_id.clone());
        ops.push(outcome.put(key));
    }
    Ok((digest_id, ops))
}
