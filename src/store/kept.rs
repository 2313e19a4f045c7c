//! Content kept for evidence (format version 2): the blob of every file an
//! evidence record quotes, reachable from the state, so that the record still
//! verifies after its commit is rewritten away and garbage-collected, and so
//! that `state push`/`pull` carry it to every clone.
//!
//! The blob is the one already in the repository (`git_commit:file`), so
//! keeping it writes no new object: the state tree only points at it, at
//! `kept/<h[0..2]>/<h[2..4]>/<h>`, `h` being the SHA-256 (hex) of
//! `<git_commit hex>\0<file>`. The path follows from the record alone (a
//! verifier that lacks the commit can still find it), the same commit and file
//! quoted twice share one entry, and two clones never disagree about a path,
//! so merging is a union of paths. The fan-out keeps every directory an append
//! rewrites small (docs/state-format.md, "Kept content", has the numbers).

use super::error::{Result, StoreError};
use super::tree_diff;
use super::view::StateView;
use gix::ObjectId;
use sha2::{Digest, Sha256};

/// The top-level directory of kept content.
pub const KEPT_DIR: &str = "kept";

/// Where the blob of `file` at `commit` is kept, under `kept/`.
pub fn relative_path(commit: ObjectId, file: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(commit.to_hex().to_string().as_bytes());
    hasher.update(b"\0");
    hasher.update(file.as_bytes());
    let h = hex::encode(hasher.finalize());
    format!("{}/{}/{h}", &h[..2], &h[2..4])
}

/// The path in the state's tree of the blob of `file` at `commit`.
pub fn path(commit: ObjectId, file: &str) -> String {
    format!("{KEPT_DIR}/{}", relative_path(commit, file))
}

/// Finds kept blobs under one state's `kept/` tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept {
    tree: ObjectId,
}

impl Kept {
    /// The blob kept for `file` at `commit`, if any.
    pub fn blob(
        &self,
        repo: &gix::Repository,
        commit: ObjectId,
        file: &str,
    ) -> Result<Option<ObjectId>> {
        let tree = repo.find_tree(self.tree).map_err(StoreError::git)?;
        Ok(tree
            .lookup_entry_by_path(relative_path(commit, file))
            .map_err(StoreError::git)?
            .filter(|e| e.mode().is_blob())
            .map(|e| e.oid().to_owned()))
    }
}

impl StateView<'_> {
    /// What this state keeps; `None` for a version 1 state or one without evidence.
    pub fn kept(&self) -> Result<Option<Kept>> {
        Ok(tree_diff::top_dir(self.repo, self.tree, KEPT_DIR)?.map(|tree| Kept { tree }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fan_out_by_the_hash_of_commit_and_file() {
        let commit = ObjectId::from_hex(b"0123456789abcdef0123456789abcdef01234567").unwrap();
        let a = path(commit, "src/lib.rs");
        assert!(a.starts_with("kept/"));
        let parts: Vec<&str> = a.split('/').collect();
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[3].len(), 64);
        assert!(parts[3].starts_with(&format!("{}{}", parts[1], parts[2])));
        assert_ne!(a, path(commit, "src/main.rs"));
        assert_eq!(a, path(commit, "src/lib.rs"));
    }
}
