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
