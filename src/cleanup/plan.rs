//! `cleanup plan`: what would be deleted, why, and the report id.

use crate::error::{Error, Result};
use crate::ids::Sha256;
use crate::workspace::Workspace;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The branches patches are applied on (see `patch::branch_name`).
const PATCH_BRANCHES: &str = "refs/heads/auditops/patch/";
/// Where copies of remotes' state are fetched to (see `store::remote_ref`).
const REMOTE_STATES: &str = "refs/auditops/remotes/";

/// What kind of thing an action deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    /// An `auditops/patch/*` branch.
    PatchBranch,
    /// `refs/auditops/remotes/<remote>/state` of a remote that is gone.
    RemoteStateRef,
    /// A worktree of the tool's pool that nobody uses.
    PooledWorktree,
    /// A log under `.git/auditops/logs/` past `[cleanup] log_retention`.
    Log,
}
crate::patch::display_as_serialized!(ActionKind);

/// What exactly an action deletes, checked again just before deleting.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Held {
    /// A ref, deleted only if it still points at this object.
    Ref(gix::ObjectId),
    /// A log file.
    File(std::path::PathBuf),
    /// A pooled worktree's checkout folder.
    Worktree(std::path::PathBuf),
}

/// One deletion the plan proposes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Action {
    /// What kind of thing.
    pub kind: ActionKind,
    /// The ref to delete.
    pub target: String,
    /// Its size in bytes (a ref: the length of the loose ref file's content;
    /// a file: its length; a worktree: the files in its folder).
    pub bytes: u64,
    /// SHA-256 of what would be deleted: a ref's target id in hex, a log's
    /// content, a worktree's checked-out commit id in hex.
    pub sha256: Sha256,
    /// The policy that allows it.
    pub reason: String,
    /// What is deleted: the deletion is refused if it moved.
    #[serde(skip)]
    pub(super) held: Held,
}

/// The plan: its id and its actions, in a fixed order.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// SHA-256 of the canonical JSON of the actions (nothing volatile in it).
    pub report_id: Sha256,
    /// What would be deleted.
    pub actions: Vec<Action>,
}

impl Plan {
    fn of(mut actions: Vec<Action>) -> Plan {
        actions.sort();
        let report_id = Sha256::of(crate::canonical::canonical_json(&actions));
        Plan { report_id, actions }
    }
}

/// Computes the cleanup plan of `ws`. Reads only (the daemon may call it on a
/// schedule; only `run` deletes).
pub fn plan(ws: &Workspace) -> Result<Plan> {
    let repo = ws.repo();
    let checked_out = checked_out_refs(repo);
    let patches = patch_branches(ws)?;
    let remotes: BTreeSet<String> = repo
        .remote_names()
        .into_iter()
        .map(|n| n.to_string())
        .collect();
    let mut actions = Vec::new();
    for (name, oid) in refs_under(repo, PATCH_BRANCHES)? {
        if checked_out.contains(&name) {
            continue;
        }
        let branch = name.strip_prefix("refs/heads/").unwrap_or(&name);
        let reason = match patches.get(branch) {
            Some(PatchBranch::Resolved) => "its review-queue item is resolved".to_owned(),
            Some(PatchBranch::Opened { target }) if merged_into(repo, oid, target) => {
                format!("it is merged into `{target}`")
            }
            Some(PatchBranch::PullEnded(ended)) => match ended.merged {
                true => format!("its pull request #{} was merged", ended.number),
                false => format!(
                    "its pull request #{} was closed without merging",
                    ended.number
                ),
            },
            _ => continue,
        };
        actions.push(ref_action(ActionKind::PatchBranch, name, oid, reason));
    }
    for (name, oid) in refs_under(repo, REMOTE_STATES)? {
        let Some(remote) = name[REMOTE_STATES.len()..].strip_suffix("/state") else {
            continue;
        };
        if !remotes.contains(remote) {
            let reason = format!("the remote `{remote}` no longer exists");
            actions.push(ref_action(ActionKind::RemoteStateRef, name, oid, reason));
        }
    }
    actions.extend(super::worktrees::actions(repo));
    let retention = ws.config()?.cleanup.log_retention.0;
    actions.extend(super::logs::actions(
        repo,
        retention,
        std::time::SystemTime::now(),
    )?);
    Ok(Plan::of(actions))
}

fn ref_action(kind: ActionKind, target: String, oid: gix::ObjectId, reason: String) -> Action {
    let hex = oid.to_string();
    Action {
        kind,
        target,
        // A loose ref file holds the id and a newline.
        bytes: hex.len() as u64 + 1,
        sha256: Sha256::of(hex.as_bytes()),
        reason,
        held: Held::Ref(oid),
    }
}

/// Every direct ref under `prefix`, with the object it points at.
fn refs_under(repo: &gix::Repository, prefix: &str) -> Result<Vec<(String, gix::ObjectId)>> {
    let internal =
        |e: &dyn std::fmt::Display| Error::Usage(format!("reading refs under {prefix}: {e}"));
    let platform = repo.references().map_err(|e| internal(&e))?;
    let iter = platform.prefixed(prefix).map_err(|e| internal(&e))?;
    let mut out = Vec::new();
    for reference in iter {
        let reference = reference.map_err(|e| internal(&e))?;
        if let Some(id) = reference.target().try_id() {
            out.push((reference.name().as_bstr().to_string(), id.to_owned()));
        }
    }
    Ok(out)
}

/// The refs any worktree of the repository has checked out (its `HEAD`
/// names them): the main one and every linked one.
fn checked_out_refs(repo: &gix::Repository) -> BTreeSet<String> {
    let common = repo.common_dir();
    let mut heads = vec![common.join("HEAD")];
    if let Ok(dir) = std::fs::read_dir(common.join("worktrees")) {
        heads.extend(dir.flatten().map(|e| e.path().join("HEAD")));
    }
    heads
        .iter()
        .filter_map(|h| std::fs::read_to_string(h).ok())
        .filter_map(|t| t.trim().strip_prefix("ref: ").map(str::to_owned))
        .collect()
}

/// What the state says of a patch branch.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PatchBranch {
    /// Opened for `target` (a pull request at submit, or a pending queue item).
    Opened { target: String },
    /// Every queue item with this branch is resolved.
    Resolved,
    /// Its pull request was merged or closed (as a sync saw on GitHub).
    PullEnded(super::pulls::Ended),
}

/// Every patch branch the state knows of, by name (see `patch::branch_name`):
/// from decisions that opened a pull request, pull requests a sync saw end,
/// and queue items, read through records that count. A branch of a pending
/// item is never resolved.
fn patch_branches(ws: &Workspace) -> Result<BTreeMap<String, PatchBranch>> {
    let mut branches = BTreeMap::new();
    let Some(view) = ws.view()? else {
        return Ok(branches);
    };
    for logged in crate::patch::decisions(ws)?.decisions {
        if logged.standing == crate::patch::Standing::Untrusted {
            continue;
        }
        let record = &logged.record;
        let name = crate::patch::branch_name(&record.patch_id, &record.target);
        branches.entry(name).or_insert(PatchBranch::Opened {
            target: record.target.clone(),
        });
    }
    for (name, ended) in super::pulls::ended(ws)? {
        branches.insert(name, PatchBranch::PullEnded(ended));
    }
    let entries = crate::patch::queue::entries(&view, ws.trust()?, ws.require_signed()?)?;
    let (pending, resolved): (Vec<_>, Vec<_>) = entries.iter().partition(|e| e.pending());
    for entry in resolved {
        let item = &entry.item.record;
        let name = crate::patch::branch_name(&item.patch_id, &item.target);
        branches.insert(name, PatchBranch::Resolved);
    }
    for entry in pending {
        let item = &entry.item.record;
        let name = crate::patch::branch_name(&item.patch_id, &item.target);
        branches.insert(
            name,
            PatchBranch::Opened {
                target: item.target.clone(),
            },
        );
    }
    Ok(branches)
}

/// Whether `tip` is already in the local branch `target` (its pull request
/// was merged and the target fetched): deleting the branch loses nothing.
fn merged_into(repo: &gix::Repository, tip: gix::ObjectId, target: &str) -> bool {
    let Ok(Some(target_tip)) = crate::store::read_ref(repo, &format!("refs/heads/{target}")) else {
        return false;
    };
    target_tip == tip
        || repo
            .merge_base(tip, target_tip)
            .is_ok_and(|base| base.map(gix::Id::detach) == Some(tip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(target: &str) -> Action {
        let oid = gix::ObjectId::from_hex(b"0123456789abcdef0123456789abcdef01234567").unwrap();
        ref_action(ActionKind::PatchBranch, target.into(), oid, "why".into())
    }

    #[test]
    fn the_report_id_depends_on_the_actions_not_their_order() {
        let a = Plan::of(vec![
            action("refs/heads/auditops/patch/a"),
            action("refs/heads/auditops/patch/b"),
        ]);
        let b = Plan::of(vec![
            action("refs/heads/auditops/patch/b"),
            action("refs/heads/auditops/patch/a"),
        ]);
        assert_eq!(a.report_id, b.report_id);
        let c = Plan::of(vec![action("refs/heads/auditops/patch/a")]);
        assert_ne!(a.report_id, c.report_id);
        assert_eq!(a.actions[0].bytes, 41);
        assert_eq!(
            a.actions[0].sha256,
            Sha256::of(b"0123456789abcdef0123456789abcdef01234567")
        );
    }

    #[test]
    fn the_json_has_exactly_the_contract_fields() {
        let plan = Plan::of(vec![action("refs/heads/auditops/patch/a")]);
        let json = serde_json::to_value(&plan).unwrap();
        let fields: Vec<&str> = json["actions"][0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(fields, ["bytes", "kind", "reason", "sha256", "target"]);
        assert_eq!(json["actions"][0]["kind"], "patch-branch");
    }
}
