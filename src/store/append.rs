//! Applying a transaction's operations to a tree: appends fill the tail segment of
//! their log and then start new ones; puts add one keyed file.

use super::error::{Result, StoreError};
use super::index;
use super::kept;
use super::record::RecordId;
use super::tree_edit::TreeEdit;
use super::view::StateView;
use super::{Op, Store, layout};
use gix::ObjectId;

/// Returns the tree that is `base_tree` with `ops` applied.
pub(super) fn apply(
    store: &Store<'_>,
    tip: Option<ObjectId>,
    base_tree: ObjectId,
    base_version: u32,
    ops: &[Op],
) -> Result<ObjectId> {
    let repo = store.repo;
    let view = StateView {
        repo,
        ref_name: store.ref_name().to_owned(),
        commit: tip.unwrap_or_else(|| ObjectId::null(repo.object_hash())),
        tree: base_tree,
        version: base_version,
    };
    let mut editor = TreeEdit::new(repo, base_tree)?;
    if base_version < super::FORMAT_VERSION {
        // Writing upgrades: a version 1 tree is a version 2 tree without `kept/`.
        editor.upsert_blob(layout::VERSION_FILE, store.version_blob()?)?;
    }
    let mut logs: Vec<&str> = Vec::new();
    for op in ops {
        match op {
            Op::Append { log, .. } if !logs.contains(&log.as_str()) => logs.push(log),
            Op::Append { .. } => {}
            Op::Put { kind, key, line } => {
                let mut data = line.clone();
                data.push(b'\n');
                let blob = repo.write_blob(&data).map_err(StoreError::git)?.detach();
                let path = format!(
                    "{}/{}",
                    index::dir_path(kind, key),
                    index::file_name(RecordId::of(line))
                );
                editor.upsert_blob(&path, blob)?;
            }
            Op::Keep { commit, file, blob } => {
                editor.upsert_blob(&kept::path(*commit, file), *blob)?;
            }
        }
    }
    for log in logs {
        let lines = ops.iter().filter_map(|op| match op {
            Op::Append { log: l, line } if l == log => Some(line),
            _ => None,
        });
        append_lines(&view, &mut editor, log, lines)?;
    }
    editor.write()
}

/// Appends `lines` to `log`: only the tail segment is read, and only the segments
/// written and the trees above them change, whatever the size of the log.
fn append_lines<'l>(
    view: &StateView<'_>,
    editor: &mut TreeEdit<'_>,
    log: &str,
    lines: impl Iterator<Item = &'l Vec<u8>>,
) -> Result<()> {
    let repo = view.repo;
    let (mut number, mut segment) = match view.tail_segment(log)? {
        Some((tail, data)) => {
            if !data.is_empty() && !data.ends_with(b"\n") {
                return Err(view.malformed(format!(
                    "{} does not end with a newline",
                    layout::segment_path(log, tail.number)
                )));
            }
            (tail.number, data)
        }
        None => (0, Vec::new()),
    };
    let mut count = layout::count_lines(&segment);
    let mut dirty = false;
    for line in lines {
        if count >= layout::SEGMENT_RECORDS {
            if dirty {
                write_segment(repo, editor, log, number, &segment)?;
            }
            number += 1;
            segment.clear();
            count = 0;
        }
        debug_assert!(!line.contains(&b'\n'), "canonical records have no newline");
        segment.extend_from_slice(line);
        segment.push(b'\n');
        count += 1;
        dirty = true;
    }
    if dirty {
        write_segment(repo, editor, log, number, &segment)?;
    }
    Ok(())
}

pub(super) fn write_segment(
    repo: &gix::Repository,
    editor: &mut TreeEdit<'_>,
    log: &str,
    number: u64,
    data: &[u8],
) -> Result<()> {
    let blob = repo.write_blob(data).map_err(StoreError::git)?.detach();
    editor.upsert_blob(&layout::segment_path(log, number), blob)
}
