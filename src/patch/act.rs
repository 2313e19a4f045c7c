//! Acting on decisions: moving the target branch by compare-and-swap, creating
//! a patch branch, and finding whether a branch is checked out somewhere.

use gix::ObjectId;
use gix::refs::Target;
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};

#[derive(Debug, thiserror::Error)]
#[error("cannot update {name}: {message}")]
pub struct RefUpdateError {
    pub name: String,
    pub message: String,
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
pub fn move_branch(
    repo: &gix::Repository,
    branch: &str,
    from: ObjectId,
    to: ObjectId,
    message: &str,
) -> Result<bool, RefUpdateError> {
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
        Err(err) => Err(RefUpdateError {
            name,
            message: format!("{err:#}"),
        }),
    }
}

/// Creates `refs/heads/<branch>` at `commit` (fine if it already points there).
pub fn create_branch(
    repo: &gix::Repository,
    branch: &str,
    commit: ObjectId,
) -> Result<(), RefUpdateError> {
    let name = format!("refs/heads/{branch}");
    match edit(
        repo,
        &name,
        PreviousValue::MustNotExist,
        commit,
        "auditops: patch branch",
    ) {
        Ok(()) => Ok(()),
        Err(_) if crate::store::read_ref(repo, &name).ok().flatten() == Some(commit) => Ok(()),
        Err(err) => Err(RefUpdateError {
            name,
            message: format!("{err:#}"),
        }),
    }
}

/// The worktree (main or linked) that has `refs/heads/<branch>` checked out.
pub fn checked_out_in(repo: &gix::Repository, branch: &str) -> Option<String> {
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
