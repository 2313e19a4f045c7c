//! Applying a patch (one diff, or a series commit by commit) to the target's
//! tree and committing each part with its own author, date and message,
//! without touching any working tree.
//!
//! libgit2 applies in memory, fast, but only where the context matches
//! exactly. When it cannot, git itself applies against a private index
//! (`git apply --cached --3way`): offsets, and a three-way merge when the patch
//! names blobs the repository has, exactly as `git am --3way` would. A hunk
//! neither can apply is named by file and hunk header.

use super::error::PatchError;
use super::git_cli::Scratch;
use super::input::Part;
use super::parse::{self, ParsedDiff};
use crate::ids::CommitId;

/// The repository as libgit2 sees it (it applies patches; gix does not yet).
pub(crate) fn open(repo: &gix::Repository) -> Result<git2::Repository, PatchError> {
    git2::Repository::open(repo.git_dir()).map_err(PatchError::git("open the repository"))
}

fn oid(id: CommitId) -> Result<git2::Oid, PatchError> {
    git2::Oid::from_bytes(id.object_id().as_bytes())
        .map_err(PatchError::git("convert an object id"))
}

fn commit_id(oid: git2::Oid) -> Result<CommitId, PatchError> {
    gix::ObjectId::try_from(oid.as_bytes())
        .map(CommitId::from)
        .map_err(|_| PatchError::Git {
            action: "read the new commit's id",
            source: git2::Error::from_str("not an object id"),
        })
}

/// Why [`apply`] made no commit.
pub(crate) enum ApplyError {
    /// A hunk does not apply: a rejection to record, saying which.
    Conflict(String),
    /// A part would create a file that exists: a refusal to record.
    Refused(PatchError),
    /// Something failed that should not have.
    Failed(PatchError),
}

impl From<PatchError> for ApplyError {
    fn from(err: PatchError) -> Self {
        ApplyError::Failed(err)
    }
}

/// What [`apply`] made.
pub(crate) struct Applied {
    /// One commit per part, in order; the last is the result.
    pub commits: Vec<CommitId>,
    /// Whether git's three-way/offset fallback was needed for some part.
    pub by_git: bool,
}

/// The identity commits are made with when the patch names none.
pub(crate) fn committer(repo: &git2::Repository) -> Result<git2::Signature<'static>, PatchError> {
    repo.signature()
        .or_else(|_| git2::Signature::now("git-auditops", "auditops@localhost"))
        .map_err(PatchError::git("make a commit signature"))
}

/// Applies every part in order on top of `base`, each committed with its
/// author and date (else `committer`) and its message (else `fallback`).
pub(crate) fn apply(
    repo: &git2::Repository,
    scratch: &Scratch,
    parts: &[(Part, ParsedDiff)],
    base: CommitId,
    committer: &git2::Signature<'_>,
    fallback: &str,
) -> Result<Applied, ApplyError> {
    let mut parent = repo
        .find_commit(oid(base)?)
        .map_err(PatchError::git("read the target's tip"))?;
    let mut applied = Applied {
        commits: Vec::new(),
        by_git: false,
    };
    for (part, parsed) in parts {
        let tree = parent
            .tree()
            .map_err(PatchError::git("read the target's tree"))?;
        for change in parsed.changes.iter().filter(|c| parse::creates(c.status)) {
            if tree.get_path(std::path::Path::new(&change.path)).is_ok() {
                return Err(ApplyError::Refused(PatchError::Refused(format!(
                    "`{}` is a new file in the patch but already exists in the target",
                    change.path
                ))));
            }
        }
        let tree_id = match repo.apply_to_tree(&tree, &parsed.diff, None) {
            Ok(mut index) => index
                .write_tree_to(repo)
                .map_err(PatchError::git("write the patched tree"))?,
            Err(_) => {
                applied.by_git = true;
                by_git(scratch, tree.id(), part, parsed)?
            }
        };
        let new_tree = repo
            .find_tree(tree_id)
            .map_err(PatchError::git("read the patched tree"))?;
        let author = match (&part.author, part.date) {
            (Some(who), Some((secs, offset))) => {
                git2::Signature::new(&who.name, &who.email, &git2::Time::new(secs, offset))
            }
            (Some(who), None) => git2::Signature::now(&who.name, &who.email),
            (None, _) => Ok(committer.to_owned()),
        }
        .map_err(PatchError::git("make the author's signature"))?;
        let message = part.message().unwrap_or_else(|| format!("{fallback}\n"));
        let id = repo
            .commit(None, &author, committer, &message, &new_tree, &[&parent])
            .map_err(PatchError::git("commit the patched tree"))?;
        applied.commits.push(commit_id(id)?);
        parent = repo
            .find_commit(id)
            .map_err(PatchError::git("read the new commit"))?;
    }
    Ok(applied)
}

/// `git apply --cached --3way` of `part` on `tree` in a private index.
fn by_git(
    scratch: &Scratch,
    tree: git2::Oid,
    part: &Part,
    parsed: &ParsedDiff,
) -> Result<git2::Oid, ApplyError> {
    let index = scratch.path().join("index");
    let tree_hex = tree.to_string();
    // A private index holding the target's tree and nothing else.
    let fresh_index = || {
        let _ = std::fs::remove_file(&index);
        scratch.git_ok(
            "read the target's tree into a private index",
            &["read-tree", &tree_hex],
            b"",
            Some(&index),
        )
    };
    fresh_index()?;
    let out = scratch.git(
        &["apply", "--cached", "--3way", "--whitespace=nowarn", "-"],
        &part.diff,
        Some(&index),
    )?;
    if !out.status.success() {
        // A three-way attempt does not say which hunk failed; a plain check
        // of the same patch on the same tree does.
        let mut stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if !stderr.contains("error: patch failed: ") {
            fresh_index()?;
            let check = scratch.git(
                &["apply", "--cached", "--check", "-"],
                &part.diff,
                Some(&index),
            )?;
            stderr.push_str(&String::from_utf8_lossy(&check.stderr));
        }
        return Err(ApplyError::Conflict(describe(&stderr, &parsed.diff)));
    }
    let written = scratch.git_ok("write the patched tree", &["write-tree"], b"", Some(&index))?;
    let hex = String::from_utf8_lossy(&written).trim().to_owned();
    git2::Oid::from_str(&hex)
        .map_err(PatchError::git("read the patched tree's id"))
        .map_err(ApplyError::Failed)
}

/// The header of the hunk of `file` that starts at old line `line`.
fn hunk_header(diff: &git2::Diff<'_>, file: &str, line: u32) -> Option<String> {
    for (index, delta) in diff.deltas().enumerate() {
        let path = delta.old_file().path().or(delta.new_file().path())?;
        if path.to_str() != Some(file) {
            continue;
        }
        let patch = git2::Patch::from_diff(diff, index).ok()??;
        for n in 0..patch.num_hunks() {
            let (hunk, _) = patch.hunk(n).ok()?;
            if hunk.old_start() == line {
                let header = String::from_utf8_lossy(hunk.header()).trim().to_owned();
                return Some(header);
            }
        }
    }
    None
}

/// What git said, as "which file, which hunk, why".
fn describe(stderr: &str, diff: &git2::Diff<'_>) -> String {
    let mut said = Vec::new();
    for line in stderr.lines() {
        let Some(at) = line.strip_prefix("error: patch failed: ") else {
            continue;
        };
        let Some((file, number)) = at.rsplit_once(':') else {
            continue;
        };
        let hunk = number
            .parse()
            .ok()
            .and_then(|n| hunk_header(diff, file, n))
            .unwrap_or_else(|| format!("at line {number}"));
        said.push(format!("`{file}`: hunk `{hunk}` does not apply"));
    }
    let conflicts: Vec<&str> = stderr
        .lines()
        .filter_map(|l| {
            l.strip_prefix("Applied patch to '")?
                .strip_suffix("' with conflicts.")
        })
        .collect();
    if !conflicts.is_empty() {
        said.push(format!(
            "the three-way merge conflicts in {}",
            conflicts
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    } else if stderr.contains("lacks the necessary blob") {
        said.push(
            "no three-way fallback: the repository lacks the blobs the patch was made from".into(),
        );
    }
    if said.is_empty() {
        let rest: Vec<&str> = stderr
            .lines()
            .map(|l| l.strip_prefix("error: ").unwrap_or(l))
            .filter(|l| !l.trim().is_empty())
            .collect();
        said.push(rest.join("; "));
    }
    said.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF: &[u8] = b"diff --git a/notes.txt b/notes.txt\n--- a/notes.txt\n+++ b/notes.txt\n@@ -14,7 +14,7 @@ fn context\n a\n b\n c\n-d\n+D\n e\n f\n g\n";

    #[test]
    fn a_failed_hunk_is_named_by_file_and_header() {
        let diff = git2::Diff::from_buffer(DIFF).unwrap();
        let said = describe(
            "error: patch failed: notes.txt:14\nerror: notes.txt: patch does not apply\n",
            &diff,
        );
        assert_eq!(
            said,
            "`notes.txt`: hunk `@@ -14,7 +14,7 @@ fn context` does not apply"
        );
        let said = describe(
            "Applied patch to 'notes.txt' with conflicts.\nU notes.txt\nerror: patch failed: notes.txt:14\n",
            &diff,
        );
        assert!(
            said.ends_with("the three-way merge conflicts in `notes.txt`"),
            "{said}"
        );
    }

    #[test]
    fn anything_else_git_says_is_kept() {
        let diff = git2::Diff::from_buffer(DIFF).unwrap();
        assert_eq!(
            describe("error: notes.txt: does not exist in index\n", &diff),
            "notes.txt: does not exist in index"
        );
    }
}
