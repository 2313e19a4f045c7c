//! Read access to one commit of the state ref: its logs, segments and records.
//!
//! Reading streams one segment at a time so that walking 100k records keeps memory
//! flat; callers that only need the tail (appends) never list the whole log.

use super::error::{Result, StoreError};
use super::layout;
use gix::ObjectId;

/// One segment file of a log, in log order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Its number in the log, from 0.
    pub number: u64,
    /// Its blob.
    pub blob: ObjectId,
}

/// One group of a log: a tree of up to [`layout::SEGMENTS_PER_GROUP`]
/// segments. Every group but the last is full, so it never changes while it
/// stays in place, and its tree id names its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Its number in the log, from 0: it holds the segments from
    /// `number * SEGMENTS_PER_GROUP` on.
    pub number: u64,
    /// Its tree.
    pub tree: ObjectId,
}

/// The state as of one commit of the state ref.
pub struct StateView<'r> {
    pub(crate) repo: &'r gix::Repository,
    pub(crate) ref_name: String,
    /// The commit read.
    pub commit: ObjectId,
    /// Its tree.
    pub tree: ObjectId,
    /// The format version its `VERSION` file holds (1 or 2; see docs/state-format.md).
    pub version: u32,
}

impl<'r> StateView<'r> {
    pub(crate) fn at(repo: &'r gix::Repository, ref_name: &str, commit: ObjectId) -> Result<Self> {
        let tree = repo
            .find_commit(commit)
            .and_then(|c| c.tree_id())
            .map_err(StoreError::git)?
            .detach();
        let mut view = StateView {
            repo,
            ref_name: ref_name.to_owned(),
            commit,
            tree,
            version: 0,
        };
        view.version = view.check_version()?;
        Ok(view)
    }

    pub(crate) fn malformed(&self, reason: impl Into<String>) -> StoreError {
        StoreError::Malformed {
            ref_name: self.ref_name.clone(),
            commit: self.commit.into(),
            reason: reason.into(),
        }
    }

    /// The version the tree holds, if this tool reads it: every version from 1
    /// to [`super::FORMAT_VERSION`] (version 1 is version 2 without `kept/`).
    fn check_version(&self) -> Result<u32> {
        let tree = self.repo.find_tree(self.tree).map_err(StoreError::git)?;
        let entry = tree
            .find_entry(layout::VERSION_FILE)
            .ok_or_else(|| self.malformed("no VERSION file at the top of the tree"))?;
        let blob = self
            .repo
            .find_blob(entry.object_id())
            .map_err(StoreError::git)?;
        let text = String::from_utf8_lossy(&blob.data).trim().to_owned();
        match text.parse::<u32>() {
            Ok(v) if (1..=super::FORMAT_VERSION).contains(&v) => Ok(v),
            Ok(v) if v > super::FORMAT_VERSION => Err(StoreError::UnsupportedVersion {
                ref_name: self.ref_name.clone(),
                found: text,
                supported: super::FORMAT_VERSION,
            }),
            _ => Err(self.malformed(format!("VERSION holds `{text}`"))),
        }
    }

    /// Names of the logs present, in tree order.
    pub fn logs(&self) -> Result<Vec<String>> {
        let tree = self.repo.find_tree(self.tree).map_err(StoreError::git)?;
        let mut logs = Vec::new();
        for entry in tree.iter() {
            let entry = entry.map_err(StoreError::git)?;
            let name = entry.filename().to_string();
            if layout::is_reserved(&name) || name == super::index::INDEX_DIR {
                continue;
            }
            if !entry.mode().is_tree() || !layout::is_valid_log_name(&name) {
                return Err(self.malformed(format!("unexpected top-level entry `{name}`")));
            }
            logs.push(name);
        }
        Ok(logs)
    }

    fn subtree(&self, tree: ObjectId, name: &str) -> Result<Option<ObjectId>> {
        let tree = self.repo.find_tree(tree).map_err(StoreError::git)?;
        match tree.find_entry(name) {
            Some(entry) if entry.mode().is_tree() => Ok(Some(entry.object_id())),
            Some(_) => Err(self.malformed(format!("`{name}` is not a directory"))),
            None => Ok(None),
        }
    }

    /// Entries of a directory of the layout, checked and in order.
    pub(super) fn numbered_entries(
        &self,
        tree: ObjectId,
        parse: fn(&str) -> Option<u64>,
        want_tree: bool,
        context: &str,
    ) -> Result<Vec<(u64, ObjectId)>> {
        let tree = self.repo.find_tree(tree).map_err(StoreError::git)?;
        let mut out = Vec::new();
        for entry in tree.iter() {
            let entry = entry.map_err(StoreError::git)?;
            let name = entry.filename().to_string();
            let number = parse(&name)
                .filter(|_| entry.mode().is_tree() == want_tree)
                .ok_or_else(|| self.malformed(format!("unexpected entry `{context}/{name}`")))?;
            out.push((number, entry.object_id()));
        }
        // Tree order is byte order; fixed-width names make it numeric order, but a
        // hand-made tree could use wider names, so sort by number to be sure.
        out.sort_by_key(|(n, _)| *n);
        Ok(out)
    }

    /// The groups of `log` (the trees of [`layout::SEGMENTS_PER_GROUP`] segments
    /// each), in order and numbered from 0. Empty when the log does not exist.
    /// One tree read, whatever the log's length.
    pub fn groups(&self, log: &str) -> Result<Vec<Group>> {
        let Some(log_tree) = self.subtree(self.tree, log)? else {
            return Ok(Vec::new());
        };
        let mut groups = Vec::new();
        for (number, tree) in
            self.numbered_entries(log_tree, layout::parse_group_name, true, log)?
        {
            if number != groups.len() as u64 {
                return Err(self.malformed(format!(
                    "`{log}` has group {number} where group {} belongs",
                    groups.len()
                )));
            }
            groups.push(Group { number, tree });
        }
        Ok(groups)
    }

    /// The segments of one group of `log`, in order; each checked to sit in
    /// its group, numbered on from the group's first.
    pub fn group_segments(&self, log: &str, group: &Group) -> Result<Vec<Segment>> {
        let first = group.number * layout::SEGMENTS_PER_GROUP;
        let context = format!("{log}/{}", layout::group_name(first));
        let mut segments: Vec<Segment> = Vec::new();
        for (number, blob) in
            self.numbered_entries(group.tree, layout::parse_segment_file_name, false, &context)?
        {
            if number / layout::SEGMENTS_PER_GROUP != group.number {
                return Err(self.malformed(format!(
                    "segment {number} of `{log}` sits in group {}",
                    group.number
                )));
            }
            let expected = first + segments.len() as u64;
            if number != expected {
                return Err(self.malformed(format!(
                    "`{log}` has segment {number} where segment {expected} belongs"
                )));
            }
            segments.push(Segment { number, blob });
        }
        Ok(segments)
    }

    /// All segments of `log`, in order. Empty when the log does not exist.
    pub fn segments(&self, log: &str) -> Result<Vec<Segment>> {
        let mut segments = Vec::new();
        for group in self.groups(log)? {
            let next = segments.len() as u64;
            let in_group = self.group_segments(log, &group)?;
            // Every group but the last is full: the next one starts where it ends.
            if let Some(first) = in_group.first()
                && first.number != next
            {
                return Err(self.malformed(format!(
                    "`{log}` has segment {} where segment {next} belongs",
                    first.number
                )));
            }
            segments.extend(in_group);
        }
        Ok(segments)
    }

    /// The last segment of `log` and its bytes, without listing the whole log.
    pub(crate) fn tail_segment(&self, log: &str) -> Result<Option<(Segment, Vec<u8>)>> {
        let Some(group) = self.groups(log)?.pop() else {
            return Ok(None);
        };
        let Some(segment) = self.group_segments(log, &group)?.pop() else {
            return Ok(None);
        };
        let data = self.read_blob(segment.blob)?;
        Ok(Some((segment, data)))
    }

    /// The content of a blob of the state.
    pub fn read_blob(&self, id: ObjectId) -> Result<Vec<u8>> {
        Ok(self
            .repo
            .find_blob(id)
            .map_err(StoreError::git)?
            .detach()
            .data)
    }

    /// Calls `visit` with every line of `log`, in order, one segment in memory
    /// at a time. Lines are lent, not copied.
    pub fn for_each_record(
        &self,
        log: &str,
        mut visit: impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        self.for_each_segment(log, |_, data| {
            for line in layout::lines(data) {
                visit(line)?;
            }
            Ok(())
        })
    }

    /// Calls `visit` with every segment of `log` and its bytes, in order, one
    /// segment in memory at a time; a segment not ending in a newline is malformed.
    pub fn for_each_segment(
        &self,
        log: &str,
        mut visit: impl FnMut(&Segment, &[u8]) -> Result<()>,
    ) -> Result<()> {
        for segment in self.segments(log)? {
            // Borrowed, not detached: the buffer goes back to the repository's
            // free list and is reused for the next segment.
            let blob = self.repo.find_blob(segment.blob).map_err(StoreError::git)?;
            let data = &blob.data;
            if !data.is_empty() && !data.ends_with(b"\n") {
                return Err(self.malformed(format!(
                    "{} does not end with a newline",
                    layout::segment_path(log, segment.number)
                )));
            }
            visit(&segment, data)?;
        }
        Ok(())
    }
}
