//! Applying a parsed patch in memory (libgit2's `apply_to_tree`) and making the
//! commit, without touching any working tree.

use super::error::PatchError;
use super::parse::ParsedPatch;
use crate::ids::CommitId;

/// The repository as libgit2 sees it (it applies patches; gix does not yet).
pub(crate) fn open(repo: &gix::Repository) -> Result<git2::Repository, PatchError> {
    git2::Repository::open(repo.git_dir()).map_err(PatchError::git("open the repository"))
}

fn oid(id: CommitId) -> Result<git2::Oid, PatchError> {
    git2::Oid::from_bytes(id.object_id().as_bytes())
        .map_err(PatchError::git("convert an object id"))
}

/// The tree of `commit`.
pub(crate) fn tree_of(
    repo: &git2::Repository,
    commit: CommitId,
) -> Result<git2::Tree<'_>, PatchError> {
    repo.find_commit(oid(commit)?)
        .and_then(|c| c.tree())
        .map_err(PatchError::git("read the target's tree"))
}

/// Why [`apply`] made no commit.
pub(crate) enum ApplyError {
    /// The patch does not apply to the tree: a rejection to record.
    Conflict(git2::Error),
    /// libgit2 failed after the patch applied.
    Failed(PatchError),
}

/// Applies the patch to `base_tree` and commits the result on top of `base`.
pub(crate) fn apply(
    repo: &git2::Repository,
    patch: &ParsedPatch,
    base: CommitId,
    base_tree: &git2::Tree<'_>,
) -> Result<CommitId, ApplyError> {
    let mut index = repo
        .apply_to_tree(base_tree, &patch.diff, None)
        .map_err(ApplyError::Conflict)?;
    commit(repo, &mut index, patch, base).map_err(ApplyError::Failed)
}

fn commit(
    repo: &git2::Repository,
    index: &mut git2::Index,
    patch: &ParsedPatch,
    base: CommitId,
) -> Result<CommitId, PatchError> {
    let tree_id = index
        .write_tree_to(repo)
        .map_err(PatchError::git("write the patched tree"))?;
    let tree = repo
        .find_tree(tree_id)
        .map_err(PatchError::git("read the patched tree"))?;
    let parent = repo
        .find_commit(oid(base)?)
        .map_err(PatchError::git("read the target's tip"))?;
    let signature = repo
        .signature()
        .or_else(|_| git2::Signature::now("git-auditops", "auditops@localhost"))
        .map_err(PatchError::git("make a commit signature"))?;
    let commit = repo
        .commit(
            None,
            &signature,
            &signature,
            &patch.message,
            &tree,
            &[&parent],
        )
        .map_err(PatchError::git("commit the patched tree"))?;
    let id = gix::ObjectId::try_from(commit.as_bytes()).map_err(|_| PatchError::Git {
        action: "read the new commit's id",
        source: git2::Error::from_str("not an object id"),
    })?;
    Ok(CommitId::from(id))
}
