//! What one tree holds that another lacks, reading only the subtrees that differ.
//!
//! Used for the parts of the state that are unions of paths (the keyed index and
//! `kept/`): merging adds the other side's missing paths, and the append-only
//! check asks which of a parent's paths a transaction lost. Equal subtree ids are
//! skipped, so the cost follows the size of the change, not of the state.

use super::error::{Result, StoreError};
use gix::ObjectId;
use std::collections::HashMap;

/// A blob path of one tree that the other does not hold as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    /// The path, `/`-separated, under the prefix given.
    pub path: String,
    /// The blob `from` holds there.
    pub blob: ObjectId,
    /// The other tree holds something else at that path (rather than nothing).
    pub changed: bool,
}

/// The entries of `tree` by name: whether each is a tree, and its object.
pub(super) fn entries(
    repo: &gix::Repository,
    tree: ObjectId,
) -> Result<HashMap<String, (bool, ObjectId)>> {
    repo.find_tree(tree)
        .map_err(StoreError::git)?
        .iter()
        .map(|e| {
            e.map(|e| {
                (
                    e.filename().to_string(),
                    (e.mode().is_tree(), e.object_id()),
                )
            })
            .map_err(StoreError::git)
        })
        .collect()
}

/// Appends to `out` every blob path of `from` (under `prefix`) that `to` lacks
/// or holds with other content.
pub fn lost(
    repo: &gix::Repository,
    from: ObjectId,
    to: Option<ObjectId>,
    prefix: &str,
    out: &mut Vec<Lost>,
) -> Result<()> {
    if to == Some(from) {
        return Ok(());
    }
    let theirs = match to {
        Some(id) => entries(repo, id)?,
        None => HashMap::new(),
    };
    let tree = repo.find_tree(from).map_err(StoreError::git)?;
    for entry in tree.iter() {
        let entry = entry.map_err(StoreError::git)?;
        let name = entry.filename().to_string();
        let path = format!("{prefix}/{name}");
        let other = theirs.get(&name);
        if entry.mode().is_tree() {
            let other = other.filter(|(is_tree, _)| *is_tree).map(|(_, id)| *id);
            lost(repo, entry.object_id(), other, &path, out)?;
        } else if other.is_none_or(|(_, id)| *id != entry.object_id()) {
            out.push(Lost {
                path,
                blob: entry.object_id(),
                changed: other.is_some(),
            });
        }
    }
    Ok(())
}

/// The id of the top-level directory `name` of `tree`, if it is one.
pub fn top_dir(repo: &gix::Repository, tree: ObjectId, name: &str) -> Result<Option<ObjectId>> {
    let tree = repo.find_tree(tree).map_err(StoreError::git)?;
    Ok(tree
        .find_entry(name)
        .filter(|e| e.mode().is_tree())
        .map(|e| e.object_id()))
}
