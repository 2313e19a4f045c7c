//! The daemon's log, `.git/auditops/logs/daemon.log`: capped in size, the
//! previous one kept as `daemon.log.1`. `RUST_LOG` sets what goes in (default
//! `info`).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Past this size the log moves to `daemon.log.1` (replacing the one there).
pub(crate) const CAP: u64 = 1 << 20;

/// Moves `path` aside when it has grown past `cap`.
fn rotate(path: &Path, cap: u64) {
    if std::fs::metadata(path).is_ok_and(|m| m.len() > cap) {
        let mut old = path.as_os_str().to_owned();
        old.push(".1");
        let _ = std::fs::rename(path, PathBuf::from(old));
    }
}

fn open_append(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    OpenOptions::new().create(true).append(true).open(path)
}

/// The log opened for a detached daemon's stdout and stderr (rotated first).
pub(crate) fn open_for_child(path: &Path) -> std::io::Result<File> {
    rotate(path, CAP);
    open_append(path)
}

/// A `tracing` writer that appends to the log, rotating it when it is full.
/// Each event opens the file: the daemon logs a few lines per event, and a
/// rotated or deleted log is simply started again.
#[derive(Clone)]
pub(crate) struct LogFile {
    path: PathBuf,
    cap: u64,
}

impl LogFile {
    pub(crate) fn new(path: PathBuf) -> Self {
        LogFile { path, cap: CAP }
    }
}

/// One event's writer.
pub(crate) struct Writer(Option<File>);

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.0 {
            Some(file) => file.write(buf),
            None => Ok(buf.len()),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.0 {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogFile {
    type Writer = Writer;
    fn make_writer(&'a self) -> Writer {
        rotate(&self.path, self.cap);
        Writer(open_append(&self.path).ok())
    }
}

/// Sends the daemon's `tracing` output to its log, unless logging was already
/// set up (`RUST_LOG` set: then it goes to stderr, which a detached daemon has
/// pointed at the same log).
pub(crate) fn init(path: &Path) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(LogFile::new(path.to_owned()))
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::fmt::MakeWriter;

    #[test]
    fn a_full_log_moves_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/daemon.log");
        let log = LogFile {
            path: path.clone(),
            cap: 10,
        };
        log.make_writer().write_all(b"0123456789ab\n").unwrap();
        log.make_writer().write_all(b"next\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "next\n");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("logs/daemon.log.1")).unwrap(),
            "0123456789ab\n"
        );
    }
}
