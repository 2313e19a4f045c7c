//! A long history in seconds: a generated `git fast-import` stream.

use std::io::{BufWriter, Write};
use std::process::{Command, Stdio};

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
    let description = format!("{fast_import:?}");
    let mut child = fast_import
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {description}: {err}"));
    {
        let stdin = child.stdin.take().expect("fast-import's stdin is piped");
        let mut out = BufWriter::with_capacity(1 << 20, stdin);
        let mut write = |bytes: &[u8]| {
            out.write_all(bytes)
                .unwrap_or_else(|err| panic!("writing to {description}: {err}"))
        };
        let data = |write: &mut dyn FnMut(&[u8]), bytes: &[u8]| {
            write(format!("data {}\n", bytes.len()).as_bytes());
            write(bytes);
            write(b"\n");
        };
        for i in 0..commits {
            let header = format!(
                "commit refs/heads/main\ncommitter Bench User <bench@example.com> {} +0000\n",
                FIRST_COMMIT_TIME + 60 * i
            );
            write(header.as_bytes());
            data(&mut write, format!("bench history commit {i}").as_bytes());
            let files: Vec<u64> = if i == 0 {
                (0..DATA_FILES).collect()
            } else {
                (0..FILES_PER_COMMIT)
                    .map(|k| (i * FILES_PER_COMMIT + k) % DATA_FILES)
                    .collect()
            };
            if i == 0 {
                for (path, content) in base {
                    write(format!("M 100644 inline {path}\n").as_bytes());
                    data(&mut write, content);
                }
            }
            for file in files {
                write(format!("M 100644 inline {}\n", data_path(file)).as_bytes());
                data(
                    &mut write,
                    format!("file {file}, last written by commit {i}\n").as_bytes(),
                );
            }
            write(b"\n");
        }
        out.flush()
            .unwrap_or_else(|err| panic!("writing to {description}: {err}"));
    }
    let status = child
        .wait()
        .unwrap_or_else(|err| panic!("waiting for {description}: {err}"));
    assert!(status.success(), "{description} failed ({status})");
}
