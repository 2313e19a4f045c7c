//! Installing the manual pages where `man` finds them, so that
//! `git auditops --help` (which git turns into `man git-auditops`) works.
//!
//! The pages themselves are rendered from the command-line definitions by the
//! CLI (`cli::man`); this module only writes them, for `man --install` (every
//! page, replacing what is there) and for `init` (only the missing ones, and
//! never failing), and tells whether `man` will look in the folder.

use crate::atomic_file;
use std::path::{Path, PathBuf};

/// One rendered manual page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Page {
    /// Its file name, e.g. `git-auditops-evidence.1`.
    pub file_name: String,
    /// Its roff source.
    pub roff: String,
}

/// Why the pages could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum ManError {
    /// No `--dir`, and no HOME to find the default folder from.
    #[error("no home directory (HOME is not set); name the folder with --dir DIR")]
    NoHome,
    /// A page could not be written.
    #[error("cannot write {}", file.display())]
    Write {
        /// The page's file.
        file: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

/// Where the pages went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Installed {
    /// The folder the pages are in (a `man1` folder).
    pub dir: PathBuf,
    /// The pages written now, in that folder.
    pub files: Vec<PathBuf>,
    /// The folder to add to `MANPATH`, when `manpath` does not list the
    /// parent of `dir` (so `man` would not find the pages); `None` when it
    /// does, or when there is no `manpath` to ask.
    pub add_to_manpath: Option<PathBuf>,
}

/// What `init` did about the manual pages.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Setup {
    /// Every page was already there; nothing was written.
    Present {
        /// The folder.
        dir: PathBuf,
    },
    /// Missing pages were written.
    Installed(Installed),
    /// They could not be written (no or unwritable HOME): `init` goes on.
    Failed {
        /// Why, with its causes.
        reason: String,
    },
}

/// The folder `man` searches for this user's section 1 pages:
/// `~/.local/share/man/man1`.
pub fn default_dir() -> Result<PathBuf, ManError> {
    crate::sign::key::home()
        .map(|home| home.join(".local/share/man/man1"))
        .ok_or(ManError::NoHome)
}

/// Writes every page into `dir` (default [`default_dir`]), replacing older
/// versions.
pub fn install(dir: Option<&Path>, pages: &[Page]) -> Result<Installed, ManError> {
    let dir = match dir {
        Some(dir) => dir.to_owned(),
        None => default_dir()?,
    };
    write(dir, pages.iter())
}

/// Writes the pages missing from [`default_dir`] (a page already there is
/// kept, so running `init` again writes nothing). Never fails: a problem is
/// reported in the result, since a manual is no reason to stop `init`.
pub fn install_missing(pages: &[Page]) -> Setup {
    let result = default_dir().and_then(|dir| {
        let missing: Vec<&Page> = pages
            .iter()
            .filter(|page| !dir.join(&page.file_name).exists())
            .collect();
        match missing.is_empty() {
            true => Ok(None),
            false => write(dir.clone(), missing.into_iter()).map(Some),
        }
        .map(|installed| (dir, installed))
    });
    match result {
        Ok((dir, None)) => Setup::Present { dir },
        Ok((_, Some(installed))) => Setup::Installed(installed),
        Err(err) => Setup::Failed {
            reason: crate::error::chain(&err),
        },
    }
}

fn write<'p>(dir: PathBuf, pages: impl Iterator<Item = &'p Page>) -> Result<Installed, ManError> {
    let mut files = Vec::new();
    for page in pages {
        let file = dir.join(&page.file_name);
        atomic_file::write(&file, page.roff.as_bytes()).map_err(|source| ManError::Write {
            file: file.clone(),
            source,
        })?;
        files.push(file);
    }
    let add_to_manpath = dir
        .parent()
        .filter(|root| manpath().is_some_and(|listed| !lists(&listed, root)))
        .map(Path::to_owned);
    Ok(Installed {
        dir,
        files,
        add_to_manpath,
    })
}

/// The folders `man` searches, as `manpath` prints them; `None` when there is
/// no `manpath` (not man-db) or it fails.
fn manpath() -> Option<String> {
    let out = std::process::Command::new("manpath")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Whether the colon-separated `listed` folders include `root`.
fn lists(listed: &str, root: &Path) -> bool {
    let canonical = |path: &Path| path.canonicalize().unwrap_or_else(|_| path.to_owned());
    let root = canonical(root);
    listed
        .split(':')
        .filter(|entry| !entry.is_empty())
        .any(|entry| canonical(Path::new(entry)) == root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_folder_is_found_even_with_a_trailing_slash() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("man");
        std::fs::create_dir(&root).unwrap();
        let listed = format!("/usr/share/man:{}/:/usr/local/man", root.display());
        assert!(lists(&listed, &root));
        assert!(!lists("/usr/share/man::/usr/local/man", &root));
    }

    #[test]
    fn every_page_is_written_into_the_folder() {
        let page = |name: &str| Page {
            file_name: name.to_owned(),
            roff: format!(".TH {name}\n"),
        };
        let dir = tempfile::tempdir().unwrap();
        let installed = write(dir.path().to_owned(), [page("a.1"), page("b.1")].iter()).unwrap();
        assert_eq!(installed.files.len(), 2);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("b.1")).unwrap(),
            ".TH b.1\n"
        );
    }
}
