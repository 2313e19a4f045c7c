//! Sharing the state over git remotes: push without force, pull with verification.

use crate::error::Result;
use crate::ids::CommitId;
use crate::quarantine::{Quarantine, Quarantines};
use crate::records::KeyedKind;
use crate::store::{self, IntegrateOutcome, StoreError, remote};
use crate::verify::{Finding, Policy, Report, Verifier};

pub use crate::store::remote::PushOutcome;
use crate::workspace::Workspace;
use std::path::Path;

/// How `state pull` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PullOutcome {
    /// Everything the remote has was already here.
    UpToDate,
    /// The state ref moved forward to the remote's tip.
    FastForward,
    /// A merge commit joined both sides.
    Merged,
    /// The remote has no state ref.
    RemoteHasNoState,
}

/// What `state pull` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Pulled {
    /// The remote pulled from.
    pub remote: String,
    /// How it ended.
    pub outcome: PullOutcome,
    /// Records that arrived.
    pub arrived: usize,
    /// The state ref's tip afterwards, if it exists.
    pub state_commit: Option<CommitId>,
    /// Incoming records that passed with a remark.
    pub warnings: Vec<Finding>,
    /// Incoming records that fail verification but are quarantined (here or
    /// by quarantines in this pull), so they did not block it.
    pub quarantined: Vec<Finding>,
}

/// Fetches `remote`'s state, verifies what would arrive, then merges it.
/// The trust list is `trust_file` when a reviewer brings one, else the
/// workspace's. On a verification failure nothing is merged and the report
/// (its scope `incoming`) is returned in the error.
pub fn pull(
    ws: &Workspace,
    remote_name: Option<&str>,
    trust_file: Option<&Path>,
) -> Result<std::result::Result<Pulled, Report>> {
    let config = ws.config()?;
    let trust = crate::verify::trust_list(ws, trust_file)?;
    let trust = &*trust;
    let repo = ws.repo();
    let remote_name = match remote_name {
        Some(name) => name.to_owned(),
        None => remote::default_remote(repo, "pull")?,
    };
    remote::check_remote(repo, &remote_name)?;
    let store = ws.store()?;
    let tracking = store::remote_tracking_ref(&remote_name);
    let fetched_before = store::read_ref(repo, &tracking)?;
    let Some(theirs) = remote::fetch(repo, &remote_name, config.ref_name(), &tracking)? else {
        return Ok(Ok(Pulled {
            remote: remote_name,
            outcome: PullOutcome::RemoteHasNoState,
            arrived: 0,
            state_commit: store.tip()?.map(CommitId::from),
            warnings: Vec::new(),
            quarantined: Vec::new(),
        }));
    };
    // A remote whose history lost records was rewritten: refuse it whole,
    // and leave the tracking ref where the last accepted fetch put it.
    let faults = history_faults(&store, theirs, fetched_before)?;
    if !faults.is_empty() {
        remote::restore_tracking(repo, &tracking, fetched_before)?;
        let mut report = Report {
            scope: "incoming".to_owned(),
            trust: trust.source.clone(),
            history: faults,
            ..Report::default()
        };
        report.settle_ok();
        return Ok(Err(report));
    }
    // Records quarantined here, or by quarantines arriving in this pull, do
    // not block it: one bad record must not lock the team out.
    let local_quarantines = Quarantines::local(ws, trust)?;
    let mut report = None;
    let outcome = store.integrate(theirs, &remote_name, |incoming| {
        let mut verifier = Verifier::new(
            repo,
            Policy {
                trust,
                require_signed: config.trust.require_signed,
                missing_commit_fails: false,
                cache: None,
            },
        )
        .with_kept(incoming.kept);
        for (location, record) in &incoming.records {
            verifier.check(location, &record.line);
        }
        let mut result = verifier.finish();
        let mut quarantines = local_quarantines.clone();
        for (location, record) in &incoming.records {
            if location.kind() == Quarantine::KIND {
                quarantines.add_line(&record.line, trust);
            }
        }
        result.set_aside(&quarantines);
        let ok = result.ok;
        report = Some(result);
        ok
    });
    // The state ref moved (or may have): what was read of it is stale.
    ws.refresh();
    let (warnings, quarantined) = report
        .as_ref()
        .map(|r| (r.warnings.clone(), r.quarantined.clone()))
        .unwrap_or_default();
    let (outcome, arrived, commit) = match outcome {
        Ok(IntegrateOutcome::UpToDate) => (PullOutcome::UpToDate, 0, store.tip()?),
        Ok(IntegrateOutcome::FastForward { commit, arrived }) => {
            (PullOutcome::FastForward, arrived, Some(commit))
        }
        Ok(IntegrateOutcome::Merged { commit, arrived }) => {
            (PullOutcome::Merged, arrived, Some(commit))
        }
        Err(StoreError::IncomingRejected { .. }) => {
            let mut report = report.unwrap_or_default();
            report.scope = "incoming".to_owned();
            return Ok(Err(report));
        }
        Err(err) => return Err(err.into()),
    };
    Ok(Ok(Pulled {
        remote: remote_name,
        outcome,
        arrived,
        state_commit: commit.map(CommitId::from),
        warnings,
        quarantined,
    }))
}

/// What is wrong with the history of the remote's state `theirs`: a
/// transaction since the last common one that dropped records, or records of
/// the state fetched from it before (`fetched_before`) that it no longer holds
/// although it does not descend from that state (its history was rewritten).
fn history_faults(
    store: &store::Store<'_>,
    theirs: gix::ObjectId,
    fetched_before: Option<gix::ObjectId>,
) -> Result<Vec<store::HistoryFault>> {
    let ours = store.tip()?;
    let base = match ours {
        Some(ours) => store
            .repo()
            .merge_base(ours, theirs)
            .ok()
            .flatten()
            .map(|id| id.detach()),
        None => None,
    };
    // What both sides share was checked when it arrived (or by `verify`).
    let mut faults = store
        .check_growth(theirs, |commit| {
            Some(commit) == base || Some(commit) == ours
        })?
        .faults;
    if let Some(before) = fetched_before
        && !store.is_ancestor(before, theirs)?
    {
        let dropped = store.dropped_records(before, theirs)?;
        if !dropped.is_empty() {
            let names: Vec<String> = dropped.iter().take(5).map(|id| id.to_string()).collect();
            faults.push(store::HistoryFault {
                commit: theirs.into(),
                parent: Some(before.into()),
                reason: format!(
                    "the remote's state no longer holds {} record(s) it held when this clone last fetched it \
                     ({}): its history was rewritten: {}{}",
                    dropped.len(),
                    CommitId::from(before).short(),
                    names.join(", "),
                    if dropped.len() > names.len() { " …" } else { "" }
                ),
                dropped,
            });
        }
    }
    Ok(faults)
}

/// What `state push` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Pushed {
    /// The remote pushed to.
    pub remote: String,
    /// How it ended.
    pub outcome: PushOutcome,
    /// The state ref that was pushed.
    #[serde(skip)]
    pub state_ref: String,
    /// Its tip.
    pub state_commit: CommitId,
}

/// Pushes the state ref of `ws` to `remote_name` (default: the current
/// branch's remote, else `origin`), never forcing.
pub fn push(ws: &Workspace, remote_name: Option<&str>) -> Result<Pushed> {
    let repo = ws.repo();
    let state_ref = ws.config()?.ref_name().to_owned();
    let remote_name = match remote_name {
        Some(name) => name.to_owned(),
        None => remote::default_remote(repo, "push")?,
    };
    remote::check_remote(repo, &remote_name)?;
    let Some(tip) = ws.store()?.tip()? else {
        return Err(StoreError::NothingToPush {
            ref_name: state_ref,
        }
        .into());
    };
    let outcome = remote::push(repo, &remote_name, &state_ref)?;
    Ok(Pushed {
        remote: remote_name,
        outcome,
        state_ref,
        state_commit: tip.into(),
    })
}
