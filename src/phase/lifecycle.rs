//! Starting, approving and completing phases, and the data of a phase report.

use super::records::{PhaseCompletion, PhaseStart};
use super::status::{GateStatus, PhaseState, Reader};
use crate::approval::{self, Approval};
use crate::config::{Config, PhaseConfig};
use crate::error::{Error, Result};
use crate::evidence::record::{self as evidence_record, Listed};
use crate::records::{self, KeyedKind, read_keyed};
use crate::sign::{TrustSet, key};
use crate::store::Store;
use gix::ObjectId;
use serde::Serialize;

fn phase(config: &Config, id: u32) -> Result<&PhaseConfig> {
    config.phase(id).ok_or_else(|| {
        Error::Usage(match config.phases.len() {
            0 => format!("there is no phase {id}: .auditops.toml defines no [[phases]]"),
            n => format!(
                "there is no phase {id}: .auditops.toml defines phases 0 to {}",
                n - 1
            ),
        })
    })
}

fn head(repo: &gix::Repository) -> Result<(ObjectId, ObjectId)> {
    let commit = crate::git::head_commit(repo)?
        .ok_or_else(|| Error::Usage("HEAD has no commit yet; commit something first".into()))?;
    let tree = crate::git::tree_of(repo, commit)?;
    Ok((commit, tree))
}

/// Refuses unless every phase before `id` is complete.
fn require_earlier_complete(
    reader: &Reader<'_, '_, '_>,
    id: u32,
    verb: &str,
) -> Result<PhaseState> {
    let states = reader.states()?;
    if let Some((earlier, _)) = reader
        .config
        .phases
        .iter()
        .zip(&states)
        .take(id as usize)
        .find(|(_, (state, _))| *state != PhaseState::Complete)
    {
        return Err(Error::Refused(format!(
            "cannot {verb} phase {id}: phase {} ({}) is not complete",
            earlier.id.get_ref(),
            earlier.name
        )));
    }
    Ok(states[id as usize].0)
}

#[derive(Debug, Serialize)]
pub struct Started {
    pub phase: u32,
    /// `started`, or `already_started` (nothing recorded).
    pub outcome: &'static str,
    pub git_commit: String,
}

pub fn start(
    repo: &gix::Repository,
    config: &Config,
    trust: &TrustSet,
    id: u32,
) -> Result<Started> {
    let phase = phase(config, id)?;
    let store = Store::new(repo, config.ref_name())?;
    let view = store.view()?;
    let reader = Reader {
        config,
        view: view.as_ref(),
        trust,
    };
    if require_earlier_complete(&reader, id, "start")? == PhaseState::Complete {
        return Err(Error::Refused(format!(
            "phase {id} ({}) is already complete",
            phase.name
        )));
    }
    let (commit, _) = head(repo)?;
    if let Some(started) = reader.start(id)? {
        return Ok(Started {
            phase: id,
            outcome: "already_started",
            git_commit: started.record.git_commit,
        });
    }
    let key = key::for_recording(repo, config.trust.require_signed)?;
    let record = PhaseStart {
        schema_version: 1,
        phase: id,
        phase_name: phase.name.clone(),
        git_commit: commit.to_string(),
        timestamp: records::now(),
    };
    store.write(
        &[record.put(key.as_ref())],
        &format!("phase: start phase {id} ({})", phase.name),
    )?;
    Ok(Started {
        phase: id,
        outcome: "started",
        git_commit: commit.to_string(),
    })
}

#[derive(Debug, Serialize)]
pub struct Approved {
    pub subject: String,
    pub git_commit: String,
    pub id: String,
}

pub fn approve(
    repo: &gix::Repository,
    config: &Config,
    subject: &str,
    note: Option<&str>,
) -> Result<Approved> {
    let subject = approval::parse_subject(subject).map_err(Error::Usage)?;
    if let Some(n) = subject.strip_prefix("phase:").and_then(|n| n.parse().ok()) {
        phase(config, n)?;
    }
    let store = Store::new(repo, config.ref_name())?;
    let key = key::for_recording(repo, config.trust.require_signed)?;
    let (commit, _) = head(repo)?;
    let record = Approval {
        schema_version: 1,
        subject: subject.clone(),
        git_commit: commit.to_string(),
        note: note.map(str::to_owned).filter(|n| !n.trim().is_empty()),
        timestamp: records::now(),
    };
    let op = record.put(key.as_ref());
    let id = op.record_id().to_hex();
    store.write(
        &[op],
        &format!("approval: {subject} at {}", &commit.to_string()[..12]),
    )?;
    Ok(Approved {
        subject,
        git_commit: commit.to_string(),
        id,
    })
}

/// An approval that counts for a phase at a commit, with its signer.
#[derive(Debug, Clone, Serialize)]
pub struct CountedApproval {
    pub signer: String,
    pub timestamp: String,
    pub note: Option<String>,
}

/// Approvals of `phase` at `commit` by distinct trusted signers.
pub fn approvals(
    reader: &Reader<'_, '_, '_>,
    phase: u32,
    commit: ObjectId,
) -> Result<Vec<CountedApproval>> {
    let Some(view) = reader.view else {
        return Ok(Vec::new());
    };
    let mut out: Vec<CountedApproval> = Vec::new();
    let reads: Vec<records::Read<Approval>> =
        read_keyed(view, &[approval::phase_subject(phase)], reader.trust)?;
    let commit = commit.to_string();
    for read in reads {
        if read.record.git_commit != commit {
            continue;
        }
        // Unsigned approvals never count: an approval is a person's signature.
        let Some(signer) = read.signer() else {
            continue;
        };
        if out.iter().all(|a| a.signer != signer) {
            out.push(CountedApproval {
                signer: signer.to_owned(),
                timestamp: read.record.timestamp.clone(),
                note: read.record.note.clone(),
            });
        }
    }
    Ok(out)
}

/// The evidence of `phase` that counts (trusted, or unsigned where allowed).
pub fn evidence(
    repo: &gix::Repository,
    config: &Config,
    trust: &TrustSet,
    phase: u32,
) -> Result<Vec<Listed>> {
    let store = crate::store::Store::new(repo, config.ref_name())?;
    let listing = evidence_record::list_in(store.view()?.as_ref(), Some(phase))?;
    Ok(listing
        .evidence
        .into_iter()
        .filter(|l| evidence_record::counts(l, trust, config.trust.require_signed))
        .collect())
}

#[derive(Debug, Serialize)]
pub struct Completed {
    pub phase: u32,
    /// `completed`, or `already_complete` (nothing recorded).
    pub outcome: &'static str,
    pub git_commit: String,
    pub tag: Option<String>,
    pub record: Option<PhaseCompletion>,
}

pub fn complete(
    repo: &gix::Repository,
    config: &Config,
    trust: &TrustSet,
    id: u32,
    tag: bool,
) -> Result<Completed> {
    let phase = phase(config, id)?;
    let store = Store::new(repo, config.ref_name())?;
    let view = store.view()?;
    let reader = Reader {
        config,
        view: view.as_ref(),
        trust,
    };
    let state = require_earlier_complete(&reader, id, "complete")?;
    if state == PhaseState::Complete {
        let done = reader.completion(id)?.map(|r| r.record);
        let commit = done
            .as_ref()
            .map(|r| r.git_commit.clone())
            .unwrap_or_default();
        let tag = match (tag, ObjectId::from_hex(commit.as_bytes())) {
            (true, Ok(at)) => Some(create_tag(repo, id, at, &phase.name)?),
            _ => None,
        };
        return Ok(Completed {
            phase: id,
            outcome: "already_complete",
            git_commit: commit,
            tag,
            record: done,
        });
    }
    let (commit, tree) = head(repo)?;
    let gates: Vec<GateStatus> = reader.gates(phase, tree)?;
    let not_passed: Vec<String> = gates
        .iter()
        .filter(|g| !g.passed())
        .map(|g| format!("{} ({})", g.gate, g.state))
        .collect();
    if !not_passed.is_empty() {
        return Err(Error::Refused(format!(
            "phase {id} cannot complete at {}: gates not passed on its tree: {}; run `git auditops gate run --phase {id}`",
            &commit.to_string()[..12],
            not_passed.join(", ")
        )));
    }
    let evidence = evidence(repo, config, trust, id)?;
    if evidence.len() < phase.evidence_min as usize {
        return Err(Error::Refused(format!(
            "phase {id} needs at least {} evidence record(s) and has {}; add some with `git auditops evidence add --phase {id} …`",
            phase.evidence_min,
            evidence.len()
        )));
    }
    let approvals = approvals(&reader, id, commit)?;
    if approvals.len() < phase.approvals as usize {
        return Err(Error::Refused(format!(
            "phase {id} needs {} approval(s) at {} by distinct trusted signers and has {}; each approver runs `git auditops approve phase:{id}`",
            phase.approvals,
            &commit.to_string()[..12],
            approvals.len()
        )));
    }
    let key = key::for_recording(repo, config.trust.require_signed)?;
    let record = PhaseCompletion {
        schema_version: 1,
        min_schema_version: 1,
        phase: id,
        phase_name: phase.name.clone(),
        baseline_pass_count: gates.len(),
        ci_gates_passed: gates.iter().map(|g| g.gate.clone()).collect(),
        git_commit: commit.to_string(),
        completion_date: records::now(),
        evidence_blocks: evidence
            .iter()
            .map(|l| l.evidence.evidence_id.clone())
            .collect(),
    };
    store.write(
        &[record.put(key.as_ref())],
        &format!(
            "phase: complete phase {id} ({}) at {}",
            phase.name,
            &commit.to_string()[..12]
        ),
    )?;
    let tag = if tag {
        Some(create_tag(repo, id, commit, &phase.name)?)
    } else {
        None
    };
    Ok(Completed {
        phase: id,
        outcome: "completed",
        git_commit: commit.to_string(),
        tag,
        record: Some(record),
    })
}

/// Creates the annotated tag `phase-N-complete` at `commit` (git does the tag;
/// an existing tag at the same commit is fine, at another commit it is refused).
fn create_tag(repo: &gix::Repository, id: u32, commit: ObjectId, name: &str) -> Result<String> {
    let tag = format!("phase-{id}-complete");
    let existing = repo
        .try_find_reference(format!("refs/tags/{tag}").as_str())
        .ok()
        .flatten()
        .and_then(|mut r| r.peel_to_id().ok().map(|id| id.detach()));
    if let Some(existing) = existing {
        let points_here = repo
            .find_object(existing)
            .ok()
            .and_then(|o| o.peel_to_commit().ok())
            .is_some_and(|c| c.id == commit);
        return match points_here || existing == commit {
            true => Ok(tag),
            false => Err(Error::Refused(format!(
                "tag {tag} already exists at another commit ({existing}); not moving it"
            ))),
        };
    }
    let out = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(repo.git_dir())
        .args(["tag", "-a", &tag, "-m"])
        .arg(format!("Phase {id} ({name}) complete"))
        .arg(commit.to_string())
        .output()
        .map_err(|e| Error::Usage(format!("could not run git tag: {e}")))?;
    if !out.status.success() {
        return Err(Error::Usage(format!(
            "git tag {tag} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(tag)
}
