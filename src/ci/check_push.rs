//! `ci check-push`: the server-side view of a push. The pre-push hook runs on
//! the pusher's machine and `git push --no-verify` skips it; a CI job sees
//! every push, so it judges the push again from the state: for a protected
//! ref, the pushed tip's tree (every introduced commit's with `[ci]
//! check_every_commit`) must have passing results by allowed gate signers for
//! the active phase. A push that lacks them, or that dropped commits (a
//! force-push), is recorded as a signed `bypass` record and fails the check;
//! with `[ci] bypass_issue` or `[alerts] issues` it also queues one issue through the outbox.

use super::CiError;
use super::records::{Bypass, Uncovered};
use crate::error::Result;
use crate::ids::{CommitId, TreeId};
use crate::outbox::issue::{self, NewIssue, Queued};
use crate::phase::status::Reader;
use crate::records::KeyedKind;
use crate::store::RecordId;
use crate::time::Timestamp;
use crate::workspace::Workspace;
use gix::ObjectId;
use serde::Serialize;

/// How many introduced or dropped commits are listed at most.
const MAX_COMMITS: usize = 1000;

/// What `ci check-push` was given (GitHub's push event values).
#[derive(Debug, Clone)]
pub struct PushEvent {
    /// The ref pushed.
    pub ref_name: String,
    /// Its old value (40 zeros: created).
    pub before: String,
    /// Its new value (40 zeros: deleted).
    pub after: String,
}

/// The verdict (`ci check-push --json`).
#[derive(Debug, Clone, Serialize)]
pub struct PushCheck {
    /// The ref.
    #[serde(rename = "ref")]
    pub ref_name: String,
    /// Whether the ref is protected (an unprotected push is not judged).
    pub protected: bool,
    /// The push went through the gates: nothing recorded.
    pub ok: bool,
    /// The phase whose gates were required.
    pub phase: Option<u32>,
    /// Commits the push introduced (at most 1000).
    pub commits: Vec<CommitId>,
    /// The commits whose trees lack passing results.
    pub uncovered: Vec<Uncovered>,
    /// A force-push or a deletion.
    pub forced: bool,
    /// Commits the push dropped from the ref.
    pub dropped: Vec<CommitId>,
    /// The `bypass` record, when one was made.
    pub recorded: Option<RecordId>,
    /// The issue queued for it (`[ci] bypass_issue` or `[alerts] issues`).
    pub issue: Option<Queued>,
    /// Where the state was pushed afterwards.
    pub pushed_to: Option<String>,
}

fn parse_sha(what: &'static str, text: &str) -> Result<Option<CommitId>> {
    let id = ObjectId::from_hex(text.trim().as_bytes()).map_err(|_| CiError::BadSha {
        what,
        value: text.to_owned(),
    })?;
    Ok((!id.is_null()).then(|| id.into()))
}

/// `git rev-list <include> ^<exclude>` (first [`MAX_COMMITS`]); empty when
/// an object is missing from this clone.
fn rev_list(repo: &gix::Repository, include: CommitId, exclude: Option<CommitId>) -> Vec<CommitId> {
    let mut cmd = std::process::Command::new("git");
    cmd.arg("--git-dir")
        .arg(repo.git_dir())
        .env_remove("GIT_DIR")
        .args(["rev-list", &format!("--max-count={MAX_COMMITS}")])
        .arg(include.to_string());
    if let Some(exclude) = exclude {
        cmd.arg(format!("^{exclude}"));
    }
    let Ok(out) = cmd.output() else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| ObjectId::from_hex(l.trim().as_bytes()).ok())
        .map(CommitId::from)
        .collect()
}

/// Whether this clone has `commit`; if not, one fetch of it from `remote`
/// is tried (a force-pushed-away commit is not on any ref any more).
fn have_commit(repo: &gix::Repository, remote: Option<&str>, commit: CommitId) -> bool {
    let present = |repo: &gix::Repository| repo.find_object(commit.object_id()).is_ok();
    if present(repo) {
        return true;
    }
    if let Some(remote) = remote {
        let _ = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(repo.git_dir())
            .env_remove("GIT_DIR")
            .args(["fetch", "--no-tags", "--quiet", remote])
            .arg(commit.to_string())
            .output();
    }
    gix::open(repo.git_dir()).is_ok_and(|fresh| present(&fresh))
}

/// Judges one push; records and queues as the policy says.
pub fn check(ws: &Workspace, event: &PushEvent) -> Result<PushCheck> {
    let (repo, config) = (ws.repo(), ws.config()?);
    let before = parse_sha("--before", &event.before)?;
    let after = parse_sha("--after", &event.after)?;
    let mut verdict = PushCheck {
        ref_name: event.ref_name.clone(),
        protected: config.policy.is_protected(&event.ref_name),
        ok: true,
        phase: None,
        commits: Vec::new(),
        uncovered: Vec::new(),
        forced: false,
        dropped: Vec::new(),
        recorded: None,
        issue: None,
        pushed_to: None,
    };
    if !verdict.protected {
        return Ok(verdict);
    }
    let remote = crate::store::remote::default_remote(repo, "pull").ok();
    if let Some(remote) = &remote {
        super::push::pull(ws, remote)?;
    }
    // The old tip may be gone from every ref (a force-push): fetched once if so.
    let known_before = before.filter(|b| have_commit(repo, remote.as_deref(), *b));
    verdict.commits = match (after, known_before) {
        (Some(after), Some(before)) => rev_list(repo, after, Some(before)),
        // A created ref, or an old tip this clone cannot see: only the new
        // tip is known to be new (not the whole history behind it).
        (Some(after), None) => vec![after],
        (None, _) => Vec::new(),
    };
    match (before, known_before, after) {
        (_, Some(before), Some(after)) => {
            verdict.dropped = rev_list(repo, before, Some(after));
            verdict.forced = !verdict.dropped.is_empty();
        }
        (Some(before), _, None) => {
            verdict.forced = true;
            verdict.dropped = vec![before];
        }
        _ => {}
    }
    let view = ws.view()?;
    let reader = Reader::new(ws, view.as_ref())?;
    if let (Some(phase), Some(after)) = (reader.active()?, after) {
        verdict.phase = Some(*phase.id.get_ref());
        let judged: Vec<CommitId> = match config.ci.check_every_commit {
            true => verdict.commits.clone(),
            false => vec![after],
        };
        for commit in judged {
            let tree: TreeId = crate::git::tree_of(repo, commit.object_id())?.into();
            let missing: Vec<String> = reader
                .gates(phase, tree)?
                .into_iter()
                .filter(|g| !g.passed())
                .map(|g| g.gate)
                .collect();
            if !missing.is_empty() {
                verdict.uncovered.push(Uncovered {
                    commit,
                    tree,
                    missing,
                });
            }
        }
    }
    drop(view);
    verdict.ok = verdict.uncovered.is_empty() && !verdict.forced;
    if verdict.ok {
        return Ok(verdict);
    }
    record(ws, &mut verdict, before, after)?;
    if let Some(remote) = &remote {
        super::push::push_until_landed(ws, remote)?;
        verdict.pushed_to = Some(remote.clone());
    }
    Ok(verdict)
}

/// Records the bypass (signed) and, with `[ci] bypass_issue` or `[alerts] issues`,
/// queues its issue.
fn record(
    ws: &Workspace,
    verdict: &mut PushCheck,
    before: Option<CommitId>,
    after: Option<CommitId>,
) -> Result<()> {
    let key = crate::sign::key::for_recording(ws)?;
    let bypass = Bypass {
        schema_version: 1,
        ref_name: verdict.ref_name.clone(),
        before,
        after,
        phase: verdict.phase,
        uncovered: verdict.uncovered.clone(),
        forced: verdict.forced,
        dropped: verdict.dropped.clone(),
        timestamp: Timestamp::now(),
    };
    let op = bypass.put(key.as_ref());
    verdict.recorded = Some(op.record_id());
    let tip = after
        .or(before)
        .map_or_else(|| "?".to_owned(), |c| c.short().to_string());
    ws.write(
        &[op],
        &format!("ci: bypass of {} at {tip}", verdict.ref_name),
    )?;
    let config = ws.config()?;
    if config.ci.bypass_issue || config.alerts.issues {
        verdict.issue = Some(issue::queue(ws, bypass_issue(&bypass, verdict))?);
    }
    Ok(())
}

/// The issue a bypass raises: what was pushed, what it lacked, what to do.
fn bypass_issue(bypass: &Bypass, verdict: &PushCheck) -> NewIssue {
    let tip = bypass
        .after
        .or(bypass.before)
        .map_or_else(|| "?".to_owned(), |c| c.to_string());
    let what = match (bypass.forced, bypass.uncovered.is_empty()) {
        (true, true) => "force-push dropped commits from",
        (true, false) => "force-push without passing gates to",
        _ => "push without passing gates to",
    };
    let mut body = format!(
        "A {what} `{}` was seen by `git auditops ci check-push` (before `{}`, after `{}`).\n\n",
        bypass.ref_name,
        bypass
            .before
            .map_or_else(|| "(created)".to_owned(), |c| c.to_string()),
        bypass
            .after
            .map_or_else(|| "(deleted)".to_owned(), |c| c.to_string()),
    );
    for u in &bypass.uncovered {
        body += &format!(
            "- `{}` (tree `{}`): no passing result by an allowed gate signer for {}\n",
            u.commit.short(),
            u.tree.short(),
            u.missing.join(", ")
        );
    }
    if !bypass.dropped.is_empty() {
        body += &format!("\nDropped commits: {}\n", bypass.dropped.len());
        for c in bypass.dropped.iter().take(20) {
            body += &format!("- `{c}`\n");
        }
    }
    if let Some(id) = &verdict.recorded {
        body += &format!("\nSigned record: `{id}` (kind `bypass`).\n");
    }
    body += "\nRun the gates on that commit (`git auditops ci run --rev <commit>`) or revert it, and find out why the pre-push hook was skipped.\n";
    NewIssue {
        title: format!(
            "auditops: {what} {} ({})",
            bypass.ref_name,
            &tip[..tip.len().min(12)]
        ),
        body,
        labels: vec!["auditops".into(), "bypass".into()],
        key: Some(format!("bypass:{}:{tip}", bypass.ref_name)),
        ..NewIssue::default()
    }
}
