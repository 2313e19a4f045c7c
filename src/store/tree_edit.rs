//! Tree edits for the store's own writes.
//!
//! gix's high-level editor checks that every entry of every tree it writes
//! exists, which makes an append cost grow with the size of the group tree it
//! rewrites. The store validates its own names and writes every blob it points
//! at, so it uses the plumbing editor, which writes only the changed trees.

use super::error::{Result, StoreError};
use gix::ObjectId;
use gix::object::tree::EntryKind;

pub struct TreeEdit<'r> {
    repo: &'r gix::Repository,
    inner: gix::objs::tree::Editor<'r>,
}

impl<'r> TreeEdit<'r> {
    pub fn new(repo: &'r gix::Repository, tree: ObjectId) -> Result<Self> {
        let inner = repo.edit_tree(tree).map_err(StoreError::git)?.detach();
        Ok(TreeEdit { repo, inner })
    }

    /// Sets the blob at `path` (`/`-separated), creating directories on the way.
    pub fn upsert_blob(&mut self, path: &str, blob: ObjectId) -> Result<()> {
        self.inner
            .upsert(path.split('/'), EntryKind::Blob, blob)
            .map_err(StoreError::git)?;
        Ok(())
    }

    /// Writes the changed trees and returns the new root.
    pub fn write(&mut self) -> Result<ObjectId> {
        let repo = self.repo;
        self.inner
            .write(|tree| repo.write_object(tree).map(|id| id.detach()))
            .map_err(StoreError::git)
    }
}
