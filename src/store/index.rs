//! Keyed records: `index/<kind>/<key>…/<record id>.json`, one record per file.
//!
//! A record that must be found by key (the gate results of a tree, the completion
//! of a phase) lives at a path derived from that key, so finding it reads a few
//! trees instead of scanning a log. File names are record ids, so two sides never
//! disagree about a path's content and merging is a union of paths.

use super::error::{Result, StoreError};
use super::record::{RawRecord, RecordId};
use super::view::StateView;
use gix::ObjectId;

pub const INDEX_DIR: &str = "index";

/// Key components are path components: short, and free of separators.
pub fn valid_component(part: &str) -> bool {
    (1..=128).contains(&part.len())
        && part != "."
        && part != ".."
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

pub fn file_name(id: RecordId) -> String {
    format!("{}.json", id.to_hex())
}

/// `index/<kind>/<key…>`
pub fn dir_path(kind: &str, key: &[String]) -> String {
    let mut path = format!("{INDEX_DIR}/{kind}");
    for part in key {
        path.push('/');
        path.push_str(part);
    }
    path
}

/// Where a keyed record is: its kind, its key, and its file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedPath {
    /// The kind (its folder under `index/`).
    pub kind: String,
    /// The key (folders under the kind's).
    pub key: Vec<String>,
    /// The file name: the record id and `.json`.
    pub file: String,
}

impl KeyedPath {
    /// The path in the state's tree.
    pub fn display(&self) -> String {
        format!("{}/{}", dir_path(&self.kind, &self.key), self.file)
    }
}

impl StateView<'_> {
    fn index_tree(&self, path: &str) -> Result<Option<ObjectId>> {
        let tree = self.repo.find_tree(self.tree).map_err(StoreError::git)?;
        match tree.lookup_entry_by_path(path).map_err(StoreError::git)? {
            Some(entry) if entry.mode().is_tree() => Ok(Some(entry.oid().to_owned())),
            Some(_) => Err(self.malformed(format!("`{path}` is not a directory"))),
            None => Ok(None),
        }
    }

    /// The records stored under exactly `index/<kind>/<key…>`.
    pub fn keyed(&self, kind: &str, key: &[String]) -> Result<Vec<RawRecord>> {
        let Some(dir) = self.index_tree(&dir_path(kind, key))? else {
            return Ok(Vec::new());
        };
        let tree = self.repo.find_tree(dir).map_err(StoreError::git)?;
        let mut out = Vec::new();
        for entry in tree.iter() {
            let entry = entry.map_err(StoreError::git)?;
            if entry.mode().is_blob() && entry.filename().ends_with(b".json") {
                out.push(self.keyed_record(entry.object_id())?);
            }
        }
        Ok(out)
    }

    fn keyed_record(&self, blob: ObjectId) -> Result<RawRecord> {
        let mut data = self.read_blob(blob)?;
        if data.last() == Some(&b'\n') {
            data.pop();
        }
        Ok(RawRecord::new(data))
    }

    /// Calls `visit` with every keyed record, kind by kind.
    pub fn for_each_keyed(
        &self,
        visit: impl FnMut(KeyedPath, RawRecord) -> Result<()>,
    ) -> Result<()> {
        match self.index_tree(INDEX_DIR)? {
            Some(index) => self.walk(index, Vec::new(), visit),
            None => Ok(()),
        }
    }

    /// Calls `visit` with every keyed record of `kind`.
    pub fn for_each_keyed_of(
        &self,
        kind: &str,
        visit: impl FnMut(KeyedPath, RawRecord) -> Result<()>,
    ) -> Result<()> {
        match self.index_tree(&dir_path(kind, &[]))? {
            Some(tree) => self.walk(tree, vec![kind.to_owned()], visit),
            None => Ok(()),
        }
    }

    /// Walks the tree `root`, found at `index/<prefix…>`.
    fn walk(
        &self,
        root: ObjectId,
        prefix: Vec<String>,
        mut visit: impl FnMut(KeyedPath, RawRecord) -> Result<()>,
    ) -> Result<()> {
        let mut stack: Vec<(ObjectId, Vec<String>)> = vec![(root, prefix)];
        while let Some((tree_id, path)) = stack.pop() {
            let tree = self.repo.find_tree(tree_id).map_err(StoreError::git)?;
            for entry in tree.iter() {
                let entry = entry.map_err(StoreError::git)?;
                let name = entry.filename().to_string();
                if entry.mode().is_tree() {
                    let mut deeper = path.clone();
                    deeper.push(name);
                    stack.push((entry.object_id(), deeper));
                } else if let Some((kind, key)) = path.split_first() {
                    let record = self.keyed_record(entry.object_id())?;
                    let location = KeyedPath {
                        kind: kind.clone(),
                        key: key.to_vec(),
                        file: name,
                    };
                    visit(location, record)?;
                } else {
                    return Err(self.malformed(format!("unexpected file `index/{name}`")));
                }
            }
        }
        Ok(())
    }
}

/// Keyed records present under `theirs` and not under `ours` (same path), as
/// `(path, blob, record)`. Identical subtrees are skipped without being read.
pub(super) fn missing_from_ours(
    view: &StateView<'_>,
    ours: Option<ObjectId>,
    theirs: ObjectId,
    prefix: &str,
    out: &mut Vec<(KeyedPath, ObjectId, RawRecord)>,
) -> Result<()> {
    if ours == Some(theirs) {
        return Ok(());
    }
    let repo = view.repo;
    let ours_entries = match ours {
        Some(id) => super::tree_diff::entries(repo, id)?,
        None => Default::default(),
    };
    let theirs_tree = repo.find_tree(theirs).map_err(StoreError::git)?;
    for entry in theirs_tree.iter() {
        let entry = entry.map_err(StoreError::git)?;
        let name = entry.filename().to_string();
        let path = format!("{prefix}/{name}");
        let mine = ours_entries.get(&name);
        if entry.mode().is_tree() {
            let mine = mine.filter(|(is_tree, _)| *is_tree).map(|(_, id)| *id);
            missing_from_ours(view, mine, entry.object_id(), &path, out)?;
        } else if mine.is_none() {
            let parts: Vec<&str> = path.split('/').collect();
            // parts: ["index", kind, key…, file]
            let (Some(kind), Some(file)) = (parts.get(1), parts.last()) else {
                return Err(view.malformed(format!("unexpected file `{path}`")));
            };
            if parts.len() < 3 {
                return Err(view.malformed(format!("unexpected file `{path}`")));
            }
            let location = KeyedPath {
                kind: (*kind).to_owned(),
                key: parts[2..parts.len() - 1]
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
                file: (*file).to_owned(),
            };
            out.push((
                location,
                entry.object_id(),
                view.keyed_record(entry.object_id())?,
            ));
        }
    }
    Ok(())
}
