//! Starting, approving and completing phases.

use super::PhaseError;
use super::records::{PhaseCompletion, PhaseStart};
use super::status::{GateStatus, PhaseEntry, PhaseState, Reader};
use crate::approval::{self, Approval};
use crate::config::{Config, PhaseConfig};
use crate::error::Result;
use crate::evidence::record::{self as evidence_record, Listed};
use crate::ids::{CommitId, TreeId};
use crate::records::{self, KeyedKind, read_keyed};
use crate::sign::key;
use crate::store::RecordId;
use crate::time::Timestamp;
use crate::workspace::Workspace;
use serde::Serialize;

/// Phase `id` of the config, or why there is none.
pub(crate) fn phase(config: &Config, id: u32) -> Result<&PhaseConfig> {
    config.phase(id).ok_or_else(|| {
        PhaseError::NoSuchPhase {
            id,
            defined: config.phases.len(),
        }
        .into()
    })
}

/// HEAD's commit and tree; refused while HEAD is unborn.
pub(crate) fn head(repo: &gix::Repository) -> Result<(CommitId, TreeId)> {
    let commit = crate::git::head_commit(repo)?.ok_or(PhaseError::NoHead)?;
    let tree = crate::git::tree_of(repo, commit)?;
    Ok((commit.into(), tree.into()))
}

/// Refuses unless every phase before `id` is complete; returns phase `id`'s entry.
fn require_earlier_complete(
    reader: &Reader<'_, '_, '_>,
    id: u32,
    verb: &'static str,
) -> Result<PhaseEntry> {
    let mut states = reader.states()?;
    if let Some((earlier, _)) = reader
        .config
        .phases
        .iter()
        .zip(&states)
        .take(id as usize)
        .find(|(_, (state, _))| *state != PhaseState::Complete)
    {
        return Err(PhaseError::EarlierIncomplete {
            verb,
            id,
            earlier: *earlier.id.get_ref(),
            earlier_name: earlier.name.clone(),
        }
        .into());
    }
    Ok(states.swap_remove(id as usize))
}

/// What `phase start` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StartOutcome {
    /// The start was recorded.
    Started,
    /// The phase had been started before; nothing was recorded.
    AlreadyStarted,
}

/// The result of `phase start` (its `--json`).
#[derive(Debug, Serialize)]
pub struct Started {
    /// The phase.
    pub phase: u32,
    /// Whether anything was recorded.
    pub outcome: StartOutcome,
    /// Where it started: HEAD now, or where it was started before.
    pub git_commit: CommitId,
}

/// Records the start of phase `id` at HEAD, unless it was started before.
pub(crate) fn start(ws: &Workspace, id: u32) -> Result<Started> {
    let phase = phase(ws.config()?, id)?;
    let view = ws.view()?;
    let reader = Reader::new(ws, view.as_ref())?;
    if require_earlier_complete(&reader, id, "start")?.0 == PhaseState::Complete {
        return Err(PhaseError::AlreadyComplete {
            id,
            name: phase.name.clone(),
        }
        .into());
    }
    let (commit, _) = head(ws.repo())?;
    if let Some(started) = reader.start(id)? {
        return Ok(Started {
            phase: id,
            outcome: StartOutcome::AlreadyStarted,
            git_commit: started.record.git_commit,
        });
    }
    let key = key::for_recording(ws)?;
    let record = PhaseStart {
        schema_version: 1,
        phase: id,
        phase_name: phase.name.clone(),
        git_commit: commit,
        timestamp: Timestamp::now(),
    };
    ws.write(
        &[record.put(key.as_ref())],
        &format!("phase: start phase {id} ({})", phase.name),
    )?;
    Ok(Started {
        phase: id,
        outcome: StartOutcome::Started,
        git_commit: commit,
    })
}

/// The result of `approve phase:N` (its `--json`).
#[derive(Debug, Serialize)]
pub struct Approved {
    /// What was approved: `phase:N`.
    pub subject: String,
    /// HEAD, which the approval holds for.
    pub git_commit: CommitId,
    /// The record id of the approval.
    pub id: RecordId,
}

/// Records the signed approval of `subject` (`phase:N` or `N`) at HEAD.
pub(crate) fn approve(ws: &Workspace, subject: &str, note: Option<&str>) -> Result<Approved> {
    let n = approval::parse_subject(subject).map_err(PhaseError::from)?;
    phase(ws.config()?, n)?;
    let subject = approval::phase_subject(n);
    let key = key::for_recording(ws)?;
    let (commit, _) = head(ws.repo())?;
    let record = Approval::new(subject.clone(), commit, note, None);
    let op = record.put(key.as_ref());
    let id = op.record_id();
    ws.write(&[op], &format!("approval: {subject} at {}", commit.short()))?;
    Ok(Approved {
        subject,
        git_commit: commit,
        id,
    })
}

/// An approval that counts for a phase at a commit, with its signer.
#[derive(Debug, Clone, Serialize)]
pub struct CountedApproval {
    /// Who signed it.
    pub signer: String,
    /// When.
    pub timestamp: Timestamp,
    /// What they said with it.
    pub note: Option<String>,
}

/// Approvals of `phase` at `commit` by distinct trusted signers.
pub(crate) fn approvals(
    reader: &Reader<'_, '_, '_>,
    phase: u32,
    commit: CommitId,
) -> Result<Vec<CountedApproval>> {
    let Some(view) = reader.view else {
        return Ok(Vec::new());
    };
    let mut out: Vec<CountedApproval> = Vec::new();
    let reads: Vec<records::Read<Approval>> =
        read_keyed(view, &[approval::phase_subject(phase)], reader.trust)?;
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
                timestamp: read.record.timestamp,
                note: read.record.note.clone(),
            });
        }
    }
    Ok(out)
}

/// The evidence of `phase` that counts (trusted, or unsigned where allowed),
/// each distinct evidence once.
pub(crate) fn evidence(ws: &Workspace, phase: u32) -> Result<Vec<Listed>> {
    let (trust, require_signed) = (ws.trust()?, ws.require_signed()?);
    Ok(evidence_record::distinct(
        evidence_record::all_in(ws.view()?.as_ref(), Some(phase))?
            .into_iter()
            .filter(|l| evidence_record::counts(l, trust, require_signed)),
    ))
}

/// What `phase complete` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CompleteOutcome {
    /// The completion was recorded.
    Completed,
    /// The phase was complete before; nothing was recorded.
    AlreadyComplete,
}

/// The result of `phase complete` (its `--json`).
#[derive(Debug, Serialize)]
pub struct Completed {
    /// The phase.
    pub phase: u32,
    /// Whether anything was recorded.
    pub outcome: CompleteOutcome,
    /// Where the phase is complete.
    pub git_commit: CommitId,
    /// The tag `phase-N-complete`, when asked for.
    pub tag: Option<String>,
    /// The completion record.
    pub record: Option<PhaseCompletion>,
}

/// Records that phase `id` is complete at HEAD, if its gates passed on HEAD's
/// tree and it has its evidence and approvals; with `tag`, tags the commit.
pub(crate) fn complete(ws: &Workspace, id: u32, tag: bool) -> Result<Completed> {
    let repo = ws.repo();
    let phase = phase(ws.config()?, id)?;
    let view = ws.view()?;
    let reader = Reader::new(ws, view.as_ref())?;
    if let (PhaseState::Complete, Some(done)) = require_earlier_complete(&reader, id, "complete")? {
        let commit = done.record.git_commit;
        return Ok(Completed {
            phase: id,
            outcome: CompleteOutcome::AlreadyComplete,
            git_commit: commit,
            tag: match tag {
                true => {
                    let key = key::for_recording(ws)?;
                    Some(create_tag(
                        repo,
                        id,
                        commit,
                        &phase.name,
                        done.id,
                        key.as_ref(),
                    )?)
                }
                false => None,
            },
            record: Some(done.record),
        });
    }
    let (commit, tree) = head(repo)?;
    let gates: Vec<GateStatus> = reader.gates(phase, tree)?;
    let signers = &ws.config()?.policy.gate_signers;
    let not_passed: Vec<String> = gates
        .iter()
        .filter(|g| !g.passed())
        .map(
            |g| match super::signers::missing_signer_note(signers, &g.unlisted_signers) {
                Some(note) => format!("{} ({}: {note})", g.gate, g.state),
                None => format!("{} ({})", g.gate, g.state),
            },
        )
        .collect();
    if !not_passed.is_empty() {
        return Err(PhaseError::GatesNotPassed {
            id,
            commit,
            gates: not_passed,
        }
        .into());
    }
    let evidence = evidence(ws, id)?;
    if evidence.len() < phase.evidence_min as usize {
        return Err(PhaseError::NotEnoughEvidence {
            id,
            required: phase.evidence_min,
            found: evidence.len(),
        }
        .into());
    }
    let approvals = approvals(&reader, id, commit)?;
    if approvals.len() < phase.approvals as usize {
        return Err(PhaseError::NotEnoughApprovals {
            id,
            commit,
            required: phase.approvals,
            found: approvals.len(),
        }
        .into());
    }
    let key = key::for_recording(ws)?;
    let record = PhaseCompletion {
        schema_version: 1,
        min_schema_version: 1,
        phase: id,
        phase_name: phase.name.clone(),
        baseline_pass_count: gates.len(),
        ci_gates_passed: gates.iter().map(|g| g.gate.clone()).collect(),
        git_commit: commit,
        completion_date: Timestamp::now(),
        evidence_blocks: evidence
            .iter()
            .map(|l| l.evidence.evidence_id.clone())
            .collect(),
    };
    let op = record.put(key.as_ref());
    let record_id = op.record_id();
    ws.write(
        &[op],
        &format!(
            "phase: complete phase {id} ({}) at {}",
            phase.name,
            commit.short()
        ),
    )?;
    let tag = match tag {
        true => Some(create_tag(
            repo,
            id,
            commit,
            &phase.name,
            record_id,
            key.as_ref(),
        )?),
        false => None,
    };
    Ok(Completed {
        phase: id,
        outcome: CompleteOutcome::Completed,
        git_commit: commit,
        tag,
        record: Some(record),
    })
}

/// Creates the annotated tag `phase-N-complete` at `commit`, naming the
/// completion `record` in its message (an existing tag at the same commit is
/// fine, at another commit it is refused).
///
/// With a key, the tag is SSH-signed the way git signs with `gpg.format =
/// ssh` (an `sshsig` signature in namespace `git` appended to the tag
/// object), with the key that signs records, so `git -c
/// gpg.ssh.allowedSignersFile=.auditops/allowed_signers tag -v` verifies it.
/// The object is written by `git mktag` (which checks its format) and the ref
/// created only if absent.
fn create_tag(
    repo: &gix::Repository,
    id: u32,
    commit: CommitId,
    name: &str,
    record: crate::store::RecordId,
    key: Option<&key::SigningKey>,
) -> Result<String> {
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
            .is_some_and(|c| commit == c.id);
        return match points_here || commit == existing {
            true => Ok(tag),
            false => Err(PhaseError::TagElsewhere { tag, existing }.into()),
        };
    }
    let message = format!("Phase {id} ({name}) complete\n\nCompletion record: {record}\n");
    let Some(key) = key else {
        let commit = commit.to_string();
        run_git(
            repo,
            &tag,
            &["tag", "-a", &tag, "-m", &message, &commit],
            None,
        )?;
        return Ok(tag);
    };
    let ident = run_git(repo, &tag, &["var", "GIT_COMMITTER_IDENT"], None)?;
    let payload = format!("object {commit}\ntype commit\ntag {tag}\ntagger {ident}\n\n{message}");
    let signature = key.sshsig("git", payload.as_bytes())?;
    let object = run_git(
        repo,
        &tag,
        &["mktag"],
        Some(format!("{payload}{signature}")),
    )?;
    let ref_name = format!("refs/tags/{tag}");
    run_git(repo, &tag, &["update-ref", &ref_name, &object, ""], None)?;
    Ok(tag)
}

/// Runs git on `repo` (with `input` on its standard input) for the tag
/// `tag`; its trimmed standard output.
fn run_git(
    repo: &gix::Repository,
    tag: &str,
    args: &[&str],
    input: Option<String>,
) -> Result<String> {
    use std::io::Write;
    let mut child = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(repo.git_dir())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(PhaseError::TagSpawn)?;
    if let Some(mut stdin) = child.stdin.take() {
        // A git that exits early closes the pipe; its status says why.
        let _ = stdin.write_all(input.unwrap_or_default().as_bytes());
    }
    let out = child.wait_with_output().map_err(PhaseError::TagSpawn)?;
    if !out.status.success() {
        return Err(PhaseError::TagFailed {
            tag: tag.to_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        }
        .into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
