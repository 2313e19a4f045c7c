//! Acting on decisions: moving the target branch by compare-and-swap, creating
//! a patch branch, and finding whether a branch is checked out somewhere.

use crate::ids::CommitId;
use gix::ObjectId;
use gix::refs::Target;
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};

/// A branch could not be moved or created.
#[derive(Debug, thiserror::Error)]
#[error("cannot update {name}")]
pub struct RefUpdateError {
    /// The full ref name.
    name: String,
    /// What gix said.
    #[source]
    source: gix::Error,
}

fn edit(
    repo: &gix::Repository,
    name: &str,
    expected: PreviousValue,
    new: ObjectId,
    message: &str,
) -> Result<(), gix::Error> {
    let name: gix::refs::FullName = name
        .try_into()
        .map_err(|e: gix::validate::reference::name::Error| gix::Error::from_error(e))?;
    repo.edit_reference(RefEdit {
        change: Change::Update {
            log: LogChange {
                mode: RefLog::AndReference,
                force_create_reflog: false,
                message: message.into(),
            },
            expected,
            new: Target::Object(new),
        },
        name,
        deref: false,
    })
    .map(|_| ())
}

/// Moves `refs/heads/<branch>` from `from` to `to`, only if it still points at
/// `from`. `Ok(false)` when it moved on meanwhile.
pub(crate) fn move_branch(
    repo: &gix::Repository,
    branch: &str,
    from: CommitId,
    to: CommitId,
    message: &str,
) -> Result<bool, RefUpdateError> {
    let (from, to) = (from.object_id(), to.object_id());
    let name = format!("refs/heads/{branch}");
    match edit(
        repo,
        &name,
        PreviousValue::MustExistAndMatch(Target::Object(from)),
        to,
        message,
    ) {
        Ok(()) => Ok(true),
        Err(_) if crate::store::read_ref(repo, &name).ok().flatten() != Some(from) => Ok(false),
        Err(source) => Err(RefUpdateError { name, source }),
    }
}

/// Creates `refs/heads/<branch>` at `commit`, or moves it there: the branch is
/// the tool's own (`auditops/patch/…`), and a patch validated again makes a
/// new commit.
pub(crate) fn create_branch(
    repo: &gix::Repository,
    branch: &str,
    commit: CommitId,
) -> Result<(), RefUpdateError> {
    let commit = commit.object_id();
    let name = format!("refs/heads/{branch}");
    let current = crate::store::read_ref(repo, &name).ok().flatten();
    let expected = match current {
        Some(now) if now == commit => return Ok(()),
        Some(now) => PreviousValue::MustExistAndMatch(Target::Object(now)),
        None => PreviousValue::MustNotExist,
    };
    match edit(repo, &name, expected, commit, "auditops: patch branch") {
        Ok(()) => Ok(()),
        Err(_) if crate::store::read_ref(repo, &name).ok().flatten() == Some(commit) => Ok(()),
        Err(source) => Err(RefUpdateError { name, source }),
    }
}

/// The worktree (main or linked) that has `refs/heads/<branch>` checked out.
pub(crate) fn checked_out_in(repo: &gix::Repository, branch: &str) -> Option<String> {
    let name = format!("refs/heads/{branch}");
    let worktrees = repo.worktrees_including_main().ok()?;
    for worktree in worktrees.flatten() {
        let head = worktree.head_name().ok().flatten();
        if head.is_some_and(|h| h.as_bstr() == name.as_str()) {
            let place = worktree.workdir().unwrap_or(worktree.git_dir());
            return Some(place.display().to_string());
        }
    }
    None
}
