//! A wide repository in a second (one `git fast-import` stream: many small
//! files in folders of [`FILES_PER_DIR`]) and small, distinct patches against it.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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
        let header = |write: &mut dyn FnMut(&[u8]), message: &str, offset: u64| {
            write(
                format!(
                    "commit refs/heads/main\ncommitter Bench User <bench@example.com> {} +0000\n",
                    COMMIT_TIME + offset
                )
                .as_bytes(),
            );
            data(write, message.as_bytes());
        };
        header(&mut write, &format!("bench tree of {files} files"), 0);
        for (path, content) in base {
            write(format!("M 100644 inline {path}\n").as_bytes());
            data(&mut write, content);
        }
        for file in 0..files {
            write(format!("M 100644 inline {}\n", file_path(file)).as_bytes());
            data(&mut write, file_content(file).as_bytes());
        }
        write(b"\n");
        header(&mut write, "bench: touch README.md", 60);
        write(b"M 100644 inline README.md\n");
        data(&mut write, b"bench fixture: a wide tree\n");
        write(b"\n");
        out.flush()
            .unwrap_or_else(|err| panic!("writing to {description}: {err}"));
    }
    let status = child
        .wait()
        .unwrap_or_else(|err| panic!("waiting for {description}: {err}"));
    assert!(status.success(), "{description} failed ({status})");
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
