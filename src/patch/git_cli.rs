//! Running git itself for what libgit2 does not do as git does: reading mails
//! (`git mailinfo`), stable patch ids (`git patch-id --stable`) and applying
//! with offsets and a three-way fallback (`git apply --cached --3way`).
//!
//! Everything runs against a private index in a scratch folder, never the
//! user's index or working tree, and none of these commands writes a ref: a
//! `kill -9` leaves at most a scratch folder, which the next submit of any
//! process sweeps (its name carries the dead owner's pid).

use super::error::PatchError;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A folder of this process's own under `<git dir>/auditops/tmp/`, removed
/// when dropped.
pub(crate) struct Scratch {
    dir: PathBuf,
    git_dir: PathBuf,
}

fn tmp_dir(git_dir: &Path) -> PathBuf {
    git_dir.join("auditops").join("tmp")
}

impl Scratch {
    /// Makes a fresh folder, sweeping those of dead processes first.
    pub(crate) fn new(repo: &gix::Repository) -> Result<Self, PatchError> {
        let root = tmp_dir(repo.common_dir());
        sweep(&root);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let dir = root.join(format!("patch-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|source| PatchError::Scratch {
            path: dir.clone(),
            source,
        })?;
        Ok(Scratch {
            dir,
            git_dir: repo.git_dir().to_owned(),
        })
    }

    /// The folder.
    pub(crate) fn path(&self) -> &Path {
        &self.dir
    }

    /// Runs `git ARGS` on the repository with `stdin`, with `index` as the
    /// index file when given. Fails only when git cannot be started.
    pub(crate) fn git(
        &self,
        args: &[&str],
        stdin: &[u8],
        index: Option<&Path>,
    ) -> Result<Output, PatchError> {
        let mut cmd = Command::new("git");
        cmd.current_dir(&self.dir)
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .env("GIT_DIR", &self.git_dir)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(index) = index {
            cmd.env("GIT_INDEX_FILE", index);
        }
        crate::worktree::die_with_parent(&mut cmd);
        let mut child = cmd.spawn().map_err(PatchError::Spawn)?;
        let mut input = child.stdin.take();
        let bytes = stdin.to_vec();
        // Written from a thread: git may fill its output pipe before it has
        // read all of a large patch.
        let writer = std::thread::spawn(move || {
            if let Some(pipe) = input.as_mut() {
                let _ = std::io::Write::write_all(pipe, &bytes);
            }
        });
        let out = child.wait_with_output().map_err(PatchError::Spawn)?;
        let _ = writer.join();
        Ok(out)
    }

    /// [`Scratch::git`] that must succeed; its stdout.
    pub(crate) fn git_ok(
        &self,
        action: &'static str,
        args: &[&str],
        stdin: &[u8],
        index: Option<&Path>,
    ) -> Result<Vec<u8>, PatchError> {
        let out = self.git(args, stdin, index)?;
        match out.status.success() {
            true => Ok(out.stdout),
            false => Err(PatchError::GitCommand {
                action,
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            }),
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Removes the scratch folders of processes that are gone.
fn sweep(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if crate::worktree::owner_pid(&name).is_some_and(|pid| !crate::worktree::process_alive(pid))
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
