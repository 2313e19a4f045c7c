//! Where the daemon's files are: all under `<common git dir>/auditops/`, so
//! that every linked worktree finds the same daemon, except the socket when
//! that folder cannot hold one (see [`super::socket`]).

use sha2::Digest;
use std::path::{Path, PathBuf};

/// The daemon's files for one repository.
#[derive(Debug, Clone)]
pub struct Paths {
    /// `<common git dir>`.
    pub common_dir: PathBuf,
    /// `<common git dir>/auditops`.
    pub dir: PathBuf,
}

impl Paths {
    /// The files of the daemon serving `repo` (any of its worktrees).
    pub fn new(repo: &gix::Repository) -> Self {
        Self::for_common_dir(repo.common_dir())
    }

    /// The files of the daemon serving the repository whose common git dir is `common`.
    pub fn for_common_dir(common: &Path) -> Self {
        // Canonical, so that every worktree (and a symlinked path) keys the
        // same fallback socket.
        let common_dir = common.canonicalize().unwrap_or_else(|_| common.to_owned());
        let dir = common_dir.join("auditops");
        Paths { common_dir, dir }
    }

    /// The flock that makes a second daemon impossible.
    pub fn lock(&self) -> PathBuf {
        self.dir.join("daemon.lock")
    }

    /// The socket's first choice.
    pub fn socket(&self) -> PathBuf {
        self.dir.join("daemon.sock")
    }

    /// The running daemon's version, written once its socket is bound, so that
    /// a hook can tell the daemon of an event without waiting for an answer
    /// (the answer's only use to a hook is the version).
    pub fn version(&self) -> PathBuf {
        self.dir.join("daemon.version")
    }

    /// The log, with its one rotated predecessor `daemon.log.1`.
    pub fn log(&self) -> PathBuf {
        self.dir.join("logs").join("daemon.log")
    }

    /// The key of this repository in the per-user runtime directory.
    pub fn key(&self) -> String {
        let digest = sha2::Sha256::digest(self.common_dir.as_os_str().as_encoded_bytes());
        hex::encode(&digest[..8])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_stable_and_per_repository() {
        let a = Paths::for_common_dir(Path::new("/nonexistent/a/.git"));
        let b = Paths::for_common_dir(Path::new("/nonexistent/b/.git"));
        assert_eq!(a.key(), Paths::for_common_dir(&a.common_dir).key());
        assert_ne!(a.key(), b.key());
        assert_eq!(a.key().len(), 16);
        assert_eq!(
            a.socket(),
            Path::new("/nonexistent/a/.git/auditops/daemon.sock")
        );
    }
}
