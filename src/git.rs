//! Opening the repository and reading committed content. Read-only: writing the
//! state ref is the store's job, and nothing here touches the working tree.

use gix::ObjectId;
use std::path::{Path, PathBuf};

mod config_params;

pub use config_params::ConfigParamsError;

/// Why the repository could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// No repository at or above the folder.
    #[error("not a git repository (or any parent directory): {}", path.display())]
    NotARepository {
        /// The folder.
        path: PathBuf,
    },
    /// The revision does not resolve to an object.
    #[error("`{rev}` does not name a commit")]
    BadRevision {
        /// The revision given.
        rev: String,
        /// Why git could not resolve it.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The revision names an object that is not a commit.
    #[error("`{rev}` does not name a commit: it is not a commit")]
    NotACommit {
        /// The revision given.
        rev: String,
    },
    /// A bare repository where a working tree is needed.
    #[error("this command needs a working tree, and {} is a bare repository", git_dir.display())]
    Bare {
        /// Its git folder.
        git_dir: PathBuf,
    },
    /// A path that is not inside the working tree.
    #[error("`{path}` is outside the repository")]
    OutsideRepository {
        /// The path given.
        path: String,
    },
    /// `git -c` settings (`GIT_CONFIG_PARAMETERS`) that cannot be honoured.
    #[error(transparent)]
    ConfigParameters(#[from] ConfigParamsError),
    /// gix failed to read the repository: not something the input caused.
    #[error("git failed while reading the repository")]
    Object(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl GitError {
    fn object(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        GitError::Object(Box::new(err))
    }
}

/// Opens the repository containing `dir`, honouring `GIT_DIR` and friends as git does
/// (hooks run with them set), and every configuration source git reads: the
/// system, global (`GIT_CONFIG_GLOBAL`, `GIT_CONFIG_NOSYSTEM`) and repository
/// files with their includes, `GIT_CONFIG_COUNT`/`_KEY_n`/`_VALUE_n`, and `git -c`
/// (`GIT_CONFIG_PARAMETERS`, above all others), so that every key read later
/// (the signing key, `user.*`, `auditops.*`, `core.hooksPath` …) is git's.
pub fn open(dir: &Path) -> Result<gix::Repository, GitError> {
    let mut repo =
        gix::discover_with_environment_overrides(dir).map_err(|_| GitError::NotARepository {
            path: dir.to_owned(),
        })?;
    config_params::apply_from_env(&mut repo)?;
    repo.object_cache_size_if_unset(8 * 1024 * 1024);
    Ok(repo)
}

/// The working tree, or [`GitError::Bare`].
pub fn workdir(repo: &gix::Repository) -> Result<&Path, GitError> {
    repo.workdir().ok_or_else(|| GitError::Bare {
        git_dir: repo.git_dir().to_owned(),
    })
}

/// The commit `rev` names (`HEAD`, a branch, a tag, an abbreviated id …).
pub fn resolve_commit(repo: &gix::Repository, rev: &str) -> Result<ObjectId, GitError> {
    let bad = |err: Box<dyn std::error::Error + Send + Sync>| GitError::BadRevision {
        rev: rev.to_owned(),
        source: err,
    };
    let id = repo
        .rev_parse_single(rev)
        .map_err(|err| bad(Box::new(err)))?;
    let commit = id
        .object()
        .map_err(|err| bad(Box::new(err)))?
        .peel_to_commit()
        .map_err(|_| GitError::NotACommit {
            rev: rev.to_owned(),
        })?;
    Ok(commit.id)
}

/// The tree of `commit`.
pub fn tree_of(repo: &gix::Repository, commit: ObjectId) -> Result<ObjectId, GitError> {
    repo.find_commit(commit)
        .and_then(|c| c.tree_id())
        .map(|id| id.detach())
        .map_err(GitError::object)
}

/// The object `name` points at once symbolic refs are followed (`HEAD` →
/// `refs/heads/main` → an id), or `None` when it does not exist or HEAD is
/// unborn. Unlike [`head_commit`] it reads refs only, never an object (an
/// annotated tag is not peeled): the pre-push hook compares these ids with
/// the ones a prepared decision was made for, before it opens anything else.
pub fn ref_target(repo: &gix::Repository, name: &str) -> Result<Option<ObjectId>, GitError> {
    match repo.try_find_reference(name).map_err(GitError::object)? {
        Some(mut reference) => match reference.follow_to_object() {
            Ok(id) => Ok(Some(id.detach())),
            Err(_) if name == "HEAD" && repo.head().is_ok_and(|h| h.is_unborn()) => Ok(None),
            Err(err) => Err(GitError::object(err)),
        },
        None => Ok(None),
    }
}

/// The commit HEAD points at, or `None` on an unborn branch.
pub fn head_commit(repo: &gix::Repository) -> Result<Option<ObjectId>, GitError> {
    match repo.head_id() {
        Ok(id) => Ok(Some(id.detach())),
        Err(_) if repo.head().is_ok_and(|h| h.is_unborn()) => Ok(None),
        Err(err) => Err(GitError::object(err)),
    }
}

/// What a path is in a committed tree.
#[derive(Debug)]
pub enum Committed {
    /// A regular file, with its content.
    File(Vec<u8>),
    /// No such path.
    Missing,
    /// A directory, symlink or submodule.
    NotAFile,
}

/// The content of `path` (repository-relative, `/`-separated) in `commit`.
pub fn read_committed(
    repo: &gix::Repository,
    commit: ObjectId,
    path: &str,
) -> Result<Committed, GitError> {
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(GitError::object)?;
    let Some(entry) = tree.lookup_entry_by_path(path).map_err(GitError::object)? else {
        return Ok(Committed::Missing);
    };
    if !entry.mode().is_blob() {
        return Ok(Committed::NotAFile);
    }
    let blob = repo.find_blob(entry.oid()).map_err(GitError::object)?;
    Ok(Committed::File(blob.detach().data))
}

/// The blob of `path` in `commit`, if it is a regular file there.
pub fn committed_blob(
    repo: &gix::Repository,
    commit: ObjectId,
    path: &str,
) -> Result<Option<ObjectId>, GitError> {
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(GitError::object)?;
    Ok(tree
        .lookup_entry_by_path(path)
        .map_err(GitError::object)?
        .filter(|entry| entry.mode().is_blob())
        .map(|entry| entry.oid().to_owned()))
}

/// Turns a path typed by the user (relative to the current directory, or already
/// repository-relative) into the repository-relative `/`-separated form.
pub fn repo_relative(repo: &gix::Repository, user_path: &str) -> Result<String, GitError> {
    let outside = || GitError::OutsideRepository {
        path: user_path.to_owned(),
    };
    let workdir = workdir(repo)?;
    let workdir = workdir
        .canonicalize()
        .unwrap_or_else(|_| workdir.to_owned());
    let cwd = std::env::current_dir().map_err(GitError::object)?;
    let cwd = cwd.canonicalize().unwrap_or(cwd);
    let joined = if Path::new(user_path).is_absolute() {
        PathBuf::from(user_path)
    } else {
        cwd.join(user_path)
    };
    // Normalise lexically: the file need not exist in the working tree.
    let mut parts: Vec<String> = Vec::new();
    for component in joined.components() {
        match component {
            std::path::Component::Normal(part) => {
                parts.push(part.to_str().ok_or_else(outside)?.to_owned())
            }
            std::path::Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    let normalised = PathBuf::from("/").join(parts.join("/"));
    let relative = normalised.strip_prefix(&workdir).map_err(|_| outside())?;
    let relative = relative.to_str().ok_or_else(outside)?.to_owned();
    if relative.is_empty() || relative == ".git" || relative.starts_with(".git/") {
        return Err(outside());
    }
    Ok(relative)
}
