//! Printing: one JSON document on stdout for `--json`, text otherwise.
//!
//! A reader that goes away early (`git auditops evidence list | head`) ends the
//! command quietly, as with other command-line tools. SIGPIPE stays ignored
//! (Rust's default) because the tool also writes to hooks' standard input and
//! to sockets, where a broken pipe must be an error, not death.

use serde::Serialize;
use std::io::Write;

/// Writes one line to stdout; exits quietly if the reader has gone, and with
/// exit code 7 on any other write error (a full disk).
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    written(out.write_fmt(args).and_then(|_| out.write_all(b"\n")));
}

/// Writes `text` to stdout as it is (a generated file: a manual page, a
/// completion script), with the error handling of [`line`].
pub fn raw(text: &str) {
    written(std::io::stdout().lock().write_all(text.as_bytes()));
}

fn written(result: std::io::Result<()>) {
    if let Err(err) = result {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {err}");
        std::process::exit(crate::error::ExitCode::Internal as i32);
    }
}

/// `println!` for command output (see [`line`]).
macro_rules! say {
    () => {
        $crate::cli::output::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::output::line(format_args!($($arg)*))
    };
}
pub(crate) use say;

pub fn json<T: Serialize + ?Sized>(value: &T) {
    line(format_args!(
        "{}",
        serde_json::to_string_pretty(value).expect("output serializes")
    ));
}

/// A listing printed as it is read, one item at a time, so that its memory does
/// not grow with its length: text lines, or with `--json` the same document
/// [`json`] prints for the whole array. Buffered: one write per few kilobytes,
/// not per line.
pub struct Stream {
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    json: bool,
    /// Items printed so far.
    count: usize,
}

impl Stream {
    /// A listing in JSON (`--json`) or text.
    pub fn new(json: bool) -> Self {
        Stream {
            out: std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock()),
            json,
            count: 0,
        }
    }

    /// Prints one item: `value` in JSON, else `text(value)`'s line.
    pub fn item<T: Serialize>(&mut self, value: &T, text: impl FnOnce(&T) -> String) {
        let result = match self.json {
            // `to_string_pretty` of the array indents each element's lines by
            // two spaces; a string never holds a raw newline, so every line
            // break is the formatter's.
            true => {
                let element = serde_json::to_string_pretty(value).expect("output serializes");
                let opening: &[u8] = if self.count == 0 { b"[\n" } else { b",\n" };
                let mut written = self.out.write_all(opening);
                for (n, part) in element.split('\n').enumerate() {
                    let gap: &[u8] = if n == 0 { b"  " } else { b"\n  " };
                    written = written
                        .and_then(|_| self.out.write_all(gap))
                        .and_then(|_| self.out.write_all(part.as_bytes()));
                }
                written
            }
            false => writeln!(self.out, "{}", text(value)),
        };
        written(result);
        self.count += 1;
    }

    /// Ends the listing; `empty` is the text line when there was no item.
    pub fn finish(mut self, empty: &str) {
        let result = match (self.json, self.count) {
            (true, 0) => self.out.write_all(b"[]\n"),
            (true, _) => self.out.write_all(b"\n]\n"),
            (false, 0) => writeln!(self.out, "{empty}"),
            (false, _) => Ok(()),
        };
        written(result.and_then(|_| self.out.flush()));
    }
}

/// What a command reports. `--json` prints the value itself; text output is
/// built from the same value, so the two cannot drift apart.
pub trait Report: Serialize {
    /// Prints the value for people, with [`say!`].
    fn text(&self);
}

/// Prints a command's report as `--json` asks: the one way commands print results.
pub fn report<R: Report + ?Sized>(ctx: &super::context::Context, value: &R) {
    print(ctx.json, value)
}

/// [`report`] for the commands that run outside a repository, without a context.
pub fn print<R: Report + ?Sized>(as_json: bool, value: &R) {
    match as_json {
        true => json(value),
        false => value.text(),
    }
}
