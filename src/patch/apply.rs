//! Applying a parsed patch in memory (libgit2's `apply_to_tree`) and making the
//! commit, without touching any working tree.

use super::parse::{ParsedPatch, PatchError};
use crate::error::{Error, Result};
use gix::ObjectId;

fn git2_error(err: git2::Error) -> Error {
    Error::Usage(format!("libgit2: {}", err.message()))
}

pub fn open(repo: &gix::Repository) -> Result<git2::Repository> {
    git2::Repository::open(repo.git_dir()).map_err(git2_error)
}

fn oid(id: ObjectId) -> Result<git2::Oid> {
    git2::Oid::from_bytes(id.as_bytes()).map_err(git2_error)
}

pub fn tree_of(repo: &git2::Repository, commit: ObjectId) -> Result<git2::Tree<'_>> {
    repo.find_commit(oid(commit)?)
        .and_then(|c| c.tree())
        .map_err(git2_error)
}

/// Applies the patch to `base_tree` and commits the result on top of `base`.
/// `Err(reason)` when the patch does not apply.
pub fn apply(
    repo: &git2::Repository,
    patch: &ParsedPatch,
    base: ObjectId,
    base_tree: &git2::Tree<'_>,
) -> std::result::Result<ObjectId, String> {
    let mut index = repo
        .apply_to_tree(base_tree, &patch.diff, None)
        .map_err(|e| e.message().to_owned())?;
    let tree_id = index
        .write_tree_to(repo)
        .map_err(|e| e.message().to_owned())?;
    let tree = repo
        .find_tree(tree_id)
        .map_err(|e| e.message().to_owned())?;
    let parent = repo
        .find_commit(oid(base).map_err(|e| e.to_string())?)
        .map_err(|e| e.message().to_owned())?;
    let signature = repo
        .signature()
        .or_else(|_| git2::Signature::now("git-auditops", "auditops@localhost"))
        .map_err(|e| e.message().to_owned())?;
    let commit = repo
        .commit(
            None,
            &signature,
            &signature,
            &patch.message,
            &tree,
            &[&parent],
        )
        .map_err(|e| e.message().to_owned())?;
    ObjectId::try_from(commit.as_bytes()).map_err(|e| e.to_string())
}

impl From<PatchError> for Error {
    fn from(err: PatchError) -> Self {
        match err {
            PatchError::Malformed(_) => Error::Usage(err.to_string()),
            PatchError::Refused(_) => Error::Refused(err.to_string()),
        }
    }
}
