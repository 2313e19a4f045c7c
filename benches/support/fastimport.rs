//! Writing a generated stream into `git fast-import`: the part shared by the
//! long history of [`super::history`] and the wide tree of [`super::patches`].

use std::io::{BufWriter, Write};
use std::process::{ChildStdin, Command, Stdio};

/// The committer of every generated commit.
const COMMITTER: &str = "Bench User <bench@example.com>";

/// A `git fast-import` stream being written.
pub struct Stream {
    out: BufWriter<ChildStdin>,
    description: String,
}

impl Stream {
    /// Writes `bytes` as they are.
    pub fn raw(&mut self, bytes: &[u8]) {
        let description = &self.description;
        self.out
            .write_all(bytes)
            .unwrap_or_else(|err| panic!("writing to {description}: {err}"));
    }

    /// A `data` command: the length, the bytes, a newline.
    pub fn data(&mut self, bytes: &[u8]) {
        self.raw(format!("data {}\n", bytes.len()).as_bytes());
        self.raw(bytes);
        self.raw(b"\n");
    }

    /// Starts a commit on `refs/heads/main` at `time` (seconds since the epoch).
    pub fn commit(&mut self, time: u64, message: &str) {
        let header = format!("commit refs/heads/main\ncommitter {COMMITTER} {time} +0000\n");
        self.raw(header.as_bytes());
        self.data(message.as_bytes());
    }

    /// Sets `path` to `content` (a regular file) in the commit being written.
    pub fn file(&mut self, path: &str, content: &[u8]) {
        self.raw(format!("M 100644 inline {path}\n").as_bytes());
        self.data(content);
    }

    /// Ends the commit being written.
    pub fn end_commit(&mut self) {
        self.raw(b"\n");
    }
}

/// Runs `fast_import` (a `git fast-import` command, run in the repository),
/// lets `write` write its stream, and waits for it to succeed.
pub fn import(fast_import: &mut Command, write: impl FnOnce(&mut Stream)) {
    let description = format!("{fast_import:?}");
    let mut child = fast_import
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {description}: {err}"));
    {
        let stdin = child.stdin.take().expect("fast-import's stdin is piped");
        let mut stream = Stream {
            out: BufWriter::with_capacity(1 << 20, stdin),
            description: description.clone(),
        };
        write(&mut stream);
        stream
            .out
            .flush()
            .unwrap_or_else(|err| panic!("writing to {description}: {err}"));
    }
    let status = child
        .wait()
        .unwrap_or_else(|err| panic!("waiting for {description}: {err}"));
    assert!(status.success(), "{description} failed ({status})");
}
