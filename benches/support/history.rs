//! A long history in seconds: a generated `git fast-import` stream.

use super::fastimport;
use std::process::Command;

/// Files under `data/` that the generated commits rewrite (16 directories of 16).
const DATA_FILES: u64 = 256;
const FILES_PER_DIR: u64 = 16;
/// Files each generated commit rewrites.
const FILES_PER_COMMIT: u64 = 3;
/// Commit time of the first commit (2023-11-14); each next one is a minute later.
const FIRST_COMMIT_TIME: u64 = 1_700_000_000;

fn data_path(file: u64) -> String {
    format!(
        "data/{:02}/{:02}.txt",
        file / FILES_PER_DIR,
        file % FILES_PER_DIR
    )
}

/// Feeds `fast_import` (a `git fast-import` command, run in the repository) a
/// stream of `commits` commits on `refs/heads/main`. The first adds `base`
/// (path, content) and the `data/` files; every later one rewrites
/// [`FILES_PER_COMMIT`] of the `data/` files, so no two commits share a tree.
pub fn import(fast_import: &mut Command, commits: u64, base: &[(&str, &[u8])]) {
    assert!(commits >= 2, "a history needs at least two commits");
    fastimport::import(fast_import, |stream| {
        for i in 0..commits {
            stream.commit(
                FIRST_COMMIT_TIME + 60 * i,
                &format!("bench history commit {i}"),
            );
            let files: Vec<u64> = if i == 0 {
                (0..DATA_FILES).collect()
            } else {
                (0..FILES_PER_COMMIT)
                    .map(|k| (i * FILES_PER_COMMIT + k) % DATA_FILES)
                    .collect()
            };
            if i == 0 {
                for (path, content) in base {
                    stream.file(path, content);
                }
            }
            for file in files {
                stream.file(
                    &data_path(file),
                    format!("file {file}, last written by commit {i}\n").as_bytes(),
                );
            }
            stream.end_commit();
        }
    });
}
