//! The daemon's Unix socket: where it is, binding it 0600, and refusing
//! connections from other users.
//!
//! The first choice is `.git/auditops/daemon.sock`. A Unix socket path must fit
//! in `sun_path` (108 bytes with its NUL), and some file systems (network
//! shares, some container mounts) cannot hold a socket at all; then the socket
//! goes to a per-user runtime directory — `$XDG_RUNTIME_DIR/git-auditops/`,
//! else a 0700 folder `git-auditops-<uid>` under the temp dir — keyed by the
//! repository. Clients try the same places in the same order.

use super::{DaemonError, Paths};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// `sun_path`'s size on Linux, its NUL included.
const SUN_PATH: usize = 108;

/// Whether `path` fits in `sun_path`.
pub(crate) fn fits(path: &Path) -> bool {
    path.as_os_str().len() < SUN_PATH
}

/// The per-user runtime directory the fallback socket goes in.
pub(crate) fn runtime_dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("git-auditops"),
        None => std::env::temp_dir().join(format!("git-auditops-{}", current_uid())),
    }
}

/// The fallback socket of the repository of `paths`.
pub(crate) fn fallback(paths: &Paths) -> PathBuf {
    runtime_dir().join(format!("{}.sock", paths.key()))
}

/// Where clients look, in order: the git dir's socket (when its path fits),
/// then the fallback.
pub(crate) fn candidates(paths: &Paths) -> Vec<PathBuf> {
    let primary = paths.socket();
    let mut out = Vec::with_capacity(2);
    if fits(&primary) {
        out.push(primary);
    }
    out.push(fallback(paths));
    out
}

pub(crate) fn current_uid() -> u32 {
    // SAFETY: getuid has no failure mode and no memory effects.
    unsafe { libc::getuid() }
}

/// Makes the fallback folder: 0700 and ours, or it is refused (another user
/// could otherwise put a socket of theirs where our clients look).
fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    match std::fs::create_dir(dir) {
        Ok(()) => std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?,
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(err) => {
            // `$XDG_RUNTIME_DIR` exists; the temp dir does; only our folder may not.
            return Err(err);
        }
    }
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() || meta.uid() != current_uid() || meta.mode() & 0o077 != 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!(
                "{} is not a folder of ours with mode 0700; remove it",
                dir.display()
            ),
        ));
    }
    Ok(())
}

/// Binds `path` afresh with mode 0600. The caller holds the daemon lock, so a
/// socket file already there is a stale one left by a killed daemon.
fn bind_at(path: &Path) -> std::io::Result<UnixListener> {
    match std::fs::remove_file(path) {
        Ok(()) => tracing::info!(socket = %path.display(), "removed a stale socket"),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(err),
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Binds the daemon's socket: in the git dir when it can, else in the runtime
/// directory. Stale sockets in either place are removed.
pub(crate) fn bind(paths: &Paths) -> Result<(UnixListener, PathBuf), DaemonError> {
    let primary = paths.socket();
    let fallback = fallback(paths);
    let mut last = None;
    if fits(&primary) {
        match bind_at(&primary) {
            Ok(listener) => {
                // A fallback left by an earlier daemon would be tried by no one
                // first, but keep the runtime directory tidy.
                let _ = std::fs::remove_file(&fallback);
                return Ok((listener, primary));
            }
            Err(err) => {
                tracing::warn!(socket = %primary.display(), error = %err, "cannot bind in the git dir; trying the runtime directory");
                last = Some(err);
            }
        }
    }
    let attempt = fallback
        .parent()
        .map(make_private_dir)
        .transpose()
        .and_then(|_| bind_at(&fallback));
    match attempt {
        Ok(listener) => Ok((listener, fallback)),
        Err(err) => Err(DaemonError::Bind {
            primary,
            fallback,
            source: match last {
                Some(first) => std::io::Error::new(first.kind(), format!("{first}; then {err}")),
                None => err,
            },
        }),
    }
}

/// The uid of the process at the other end of `stream` (`SO_PEERCRED`).
pub(crate) fn peer_uid(stream: &UnixStream) -> std::io::Result<u32> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are valid for writes of the sizes given, and
    // the fd is a socket owned by `stream` for the duration of the call.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    match rc {
        0 => Ok(cred.uid),
        _ => Err(std::io::Error::last_os_error()),
    }
}

/// Whether a peer with uid `peer` may talk to a daemon running as `own`: only
/// the same user (root included: root does not need our socket to do harm,
/// but a daemon must not take orders across users).
pub(crate) fn peer_allowed(peer: u32, own: u32) -> bool {
    peer == own
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_user_is_allowed() {
        assert!(peer_allowed(1000, 1000));
        assert!(!peer_allowed(1001, 1000));
        assert!(!peer_allowed(0, 1000));
        assert!(!peer_allowed(1000, 0));
    }

    #[test]
    fn the_peer_of_a_socket_pair_is_this_user() {
        let (a, _b) = UnixStream::pair().unwrap();
        let uid = peer_uid(&a).unwrap();
        assert_eq!(uid, current_uid());
        assert!(peer_allowed(uid, current_uid()));
    }

    #[test]
    fn a_long_git_dir_falls_back_to_the_runtime_directory() {
        let short = Paths::for_common_dir(Path::new("/r/.git"));
        assert!(fits(&short.socket()));
        assert_eq!(candidates(&short)[0], short.socket());
        let deep = format!("/{}/.git", "d".repeat(120));
        let long = Paths::for_common_dir(Path::new(&deep));
        assert!(!fits(&long.socket()));
        let c = candidates(&long);
        assert_eq!(c.len(), 1);
        assert!(c[0].starts_with(runtime_dir()), "{}", c[0].display());
        assert!(fits(&c[0]));
    }

    #[test]
    fn bound_sockets_are_0600_and_a_stale_one_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let common = dir.path().join(".git");
        std::fs::create_dir_all(common.join("auditops")).unwrap();
        let paths = Paths::for_common_dir(&common);
        {
            let (_listener, path) = bind(&paths).unwrap();
            assert_eq!(path, paths.socket());
        }
        // The listener is gone, its file stays: stale.
        assert!(paths.socket().exists());
        let (_listener, path) = bind(&paths).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(UnixStream::connect(&path).is_ok());
    }
}
