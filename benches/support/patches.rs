//! A wide repository in a second (one `git fast-import` stream: many small
//! files in folders of [`FILES_PER_DIR`]), small, distinct patches against it,
//! and what submitting them leaves behind (the pooled worktree, the clock
//! reading of the validator).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use super::fastimport;
use super::fixture::{BenchRepo, Workspace};
use super::measure::run_timed;

/// Files per folder of the generated tree (200 folders of 100 for 20,000 files).
pub const FILES_PER_DIR: u64 = 100;
/// Commit time of the generated commits (2023-11-14).
const COMMIT_TIME: u64 = 1_700_000_000;

/// `tree/d007/f042.txt` for file 742.
pub fn file_path(file: u64) -> String {
    format!(
        "tree/d{:03}/f{:03}.txt",
        file / FILES_PER_DIR,
        file % FILES_PER_DIR
    )
}

/// The content of file `file` in the base commit: eight short lines.
pub fn file_content(file: u64) -> String {
    (1..=8)
        .map(|line| format!("file {file}, line {line}: generated for the patch benchmark\n"))
        .collect()
}

/// Feeds `fast_import` (a `git fast-import` command, run in the repository) two
/// commits on `refs/heads/main`: the first adds `base` (path, content) and
/// `files` files under `tree/` (see [`file_path`], [`file_content`]); the
/// second changes only README.md, so that HEAD has a parent.
pub fn import_tree(fast_import: &mut Command, files: u64, base: &[(&str, &[u8])]) {
    fastimport::import(fast_import, |stream| {
        stream.commit(COMMIT_TIME, &format!("bench tree of {files} files"));
        for (path, content) in base {
            stream.file(path, content);
        }
        for file in 0..files {
            stream.file(&file_path(file), file_content(file).as_bytes());
        }
        stream.end_commit();
        stream.commit(COMMIT_TIME + 60, "bench: touch README.md");
        stream.file("README.md", b"bench fixture: a wide tree\n");
        stream.end_commit();
    });
}

/// The files patch `i` changes: one or two, spread over the tree.
fn touched(i: u64, files: u64) -> Vec<u64> {
    let a = (i * 7_919 + 13) % files;
    let b = (i * 104_729 + files / 2 + 7) % files;
    if i % 3 == 2 || a == b {
        vec![a]
    } else {
        vec![a, b]
    }
}

/// Writes `count` distinct patches into `out_dir` (`patch-000.diff`, …), each
/// the `git diff` of changing one or two files of the checked-out base in
/// `repo` (the working tree is restored after each). Every patch applies to the
/// base commit, and no two are alike.
pub fn write_patches(
    git: &dyn Fn() -> Command,
    repo: &Path,
    files: u64,
    count: usize,
    out_dir: &Path,
) -> Vec<PathBuf> {
    std::fs::create_dir_all(out_dir).expect("create the patch directory");
    (0..count as u64)
        .map(|i| {
            let touched = touched(i, files);
            for (k, file) in touched.iter().enumerate() {
                let mut content = file_content(*file);
                // A changed line in the middle and one added at the end.
                content = content.replacen(", line 4:", &format!(", line 4 (patch {i}):"), 1);
                content.push_str(&format!("added by bench patch {i}, file {k}\n"));
                std::fs::write(repo.join(file_path(*file)), content).expect("edit a file");
            }
            let paths: Vec<String> = touched.iter().map(|f| file_path(*f)).collect();
            let (output, _) = run_timed(
                git()
                    .args(["diff", "--no-color", "--no-ext-diff", "--"])
                    .args(&paths),
            );
            assert!(
                !output.stdout.is_empty(),
                "git diff printed no patch for {paths:?}"
            );
            for file in &touched {
                std::fs::write(repo.join(file_path(*file)), file_content(*file))
                    .expect("restore a file");
            }
            let path = out_dir.join(format!("patch-{i:03}.diff"));
            std::fs::write(&path, &output.stdout).expect("write a patch file");
            path
        })
        .collect()
}

/// Runs `git-auditops patch submit PATCH --target release --json` in `repo`
/// and returns what it printed, its wall time (spawn to reaping) and the clock
/// read just before the spawn.
pub fn submit(
    ws: &Workspace,
    repo: &BenchRepo,
    patch: &Path,
) -> (serde_json::Value, Duration, SystemTime) {
    let mut cmd = ws.auditops(&repo.dir);
    cmd.args(["patch", "submit"])
        .arg(patch)
        .args(["--target", "release", "--json"]);
    let spawned = SystemTime::now();
    let (output, wall) = run_timed(&mut cmd);
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("`patch submit --json` prints JSON");
    (json, wall, spawned)
}

/// The pooled worktree of the patch repository.
pub fn pool_slot(repo: &BenchRepo) -> PathBuf {
    repo.dir.join(".git/auditops/worktrees/slot-0")
}

/// The clock reading (`date +%s%N`) in `text`.
pub fn clock_reading(text: &str, source: &dyn std::fmt::Display) -> SystemTime {
    let nanos: u64 = text
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{source} does not hold `date +%s%N`: {text:?}"));
    SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos)
}
