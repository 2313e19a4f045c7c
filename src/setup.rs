//! Setting a repository up for git-auditops: `init` (the config file, the
//! state ref and the hooks; idempotent, what exists is kept), `config check`,
//! and the signing key (`key generate`, `key show`).

use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::hooks::{self, Change, HookError};
use crate::ids::CommitId;
use crate::sign::{self, KeySource, SignError, key, trust};
use crate::store::Store;
use crate::workspace::Workspace;
use std::path::{Path, PathBuf};

/// What `init` found and did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Initialized {
    /// The `.auditops.toml` in force.
    pub config_file: String,
    /// Whether it was written now (else an existing one was kept).
    pub config_written: bool,
    /// The state ref.
    pub state_ref: String,
    /// Whether the state ref was created now.
    pub state_created: bool,
    /// Its tip.
    pub state_commit: CommitId,
    /// What was done to each hook; empty with --no-hooks.
    pub hooks: Vec<Change>,
    /// Why hooks were not installed, when they were not.
    pub hooks_skipped: Option<String>,
    /// Whether hooks were asked for (not `--no-hooks`).
    #[serde(skip)]
    pub hooks_requested: bool,
    /// The trust file the next step adds a key to.
    #[serde(skip)]
    pub allowed_signers: String,
}

/// Writes a commented `.auditops.toml` if none exists, creates the state ref if
/// missing and, with `install_hooks`, installs the hooks (a hooks folder
/// shared with other repositories is skipped, with the reason).
pub fn init(ws: &Workspace, install_hooks: bool) -> Result<Initialized> {
    let workdir = crate::git::workdir(ws.repo())?;
    let file = workdir.join(config::FILE_NAME);
    let config_written = !file.exists();
    let config = if config_written {
        std::fs::write(&file, config::TEMPLATE).map_err(Error::io(&file))?;
        Config::parse(config::TEMPLATE, &file)?
    } else {
        // An existing file is never rewritten, but it must be valid to go on.
        ws.config()?.clone()
    };
    // The workspace loaded the config before it was written: use the new one.
    let (tip, state_created) = Store::new(ws.repo(), config.ref_name())?.init()?;
    ws.refresh();
    let (hooks, hooks_skipped) = match install_hooks {
        false => (Vec::new(), Some("--no-hooks".to_owned())),
        true => match hooks::install(ws.repo(), false) {
            Ok(installed) => (installed.changes, None),
            // A shared hooks folder is the user's call, not init's.
            Err(err @ HookError::OutsideRepository { .. }) => (Vec::new(), Some(err.to_string())),
            Err(err) => return Err(err.into()),
        },
    };
    Ok(Initialized {
        config_file: file.display().to_string(),
        config_written,
        state_ref: config.ref_name().to_owned(),
        state_created,
        state_commit: tip.into(),
        hooks,
        hooks_skipped,
        hooks_requested: install_hooks,
        allowed_signers: config.allowed_signers().to_owned(),
    })
}

/// What `config check` found: the config is valid.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConfigChecked {
    /// Always true: an invalid config is an error.
    pub ok: bool,
    /// The file checked.
    pub file: String,
    /// Its schema version.
    pub version: u32,
    /// The state ref it names.
    pub state_ref: String,
    /// The trust file it names.
    pub allowed_signers: String,
    /// Whether records must be signed by a trusted key.
    pub require_signed: bool,
}

/// Checks the `.auditops.toml` of `ws`: it must exist and be valid.
pub fn check_config(ws: &Workspace) -> Result<ConfigChecked> {
    let config = ws.config()?;
    let Some(file) = ws.config_file() else {
        let workdir = crate::git::workdir(ws.repo())?;
        return Err(config::ConfigError::Missing {
            file: workdir.join(config::FILE_NAME),
        }
        .into());
    };
    Ok(ConfigChecked {
        ok: true,
        file: file.display().to_string(),
        version: *config.version.get_ref(),
        state_ref: config.ref_name().to_owned(),
        allowed_signers: config.allowed_signers().to_owned(),
        require_signed: config.trust.require_signed,
    })
}

/// Who signs from this clone, for allowed_signers lines: git's `user.email`,
/// else `$USER@localhost`.
fn principal(repo: &gix::Repository) -> String {
    repo.config_snapshot()
        .string("user.email")
        .map(|e| e.to_string())
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| {
            let user = std::env::var("USER").unwrap_or_else(|_| "auditor".into());
            format!("{user}@localhost")
        })
}

/// The allowed_signers line that trusts `public` as `principal` for our namespace.
fn allowed_signers_line(principal: &str, public: &sign::PublicKey) -> String {
    format!(
        "{principal} namespaces=\"{}\" {}",
        trust::NAMESPACE,
        public.openssh()
    )
}

/// What `key generate` wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyGenerated {
    /// The private key file (mode 0600).
    pub private_key: PathBuf,
    /// The public key file.
    pub public_key_file: PathBuf,
    /// The public key with its comment, as in the `.pub` file.
    pub public_key: String,
    /// Its keyid (as DSSE signatures name it).
    pub keyid: String,
    /// Its OpenSSH fingerprint.
    pub fingerprint: String,
    /// The line to add to the trust file.
    pub allowed_signers_line: String,
    /// The trust file the config names.
    #[serde(skip)]
    pub allowed_signers: String,
    /// Whether the path was chosen (so lookup needs git config to find it).
    #[serde(skip)]
    pub explicit: bool,
}

/// Creates a new ed25519 key pair at `out` (default `~/.ssh/id_ed25519`),
/// commented with this clone's principal; never overwrites a file.
pub fn generate_key(ws: &Workspace, out: Option<&Path>) -> Result<KeyGenerated> {
    let path = out
        .map(Path::to_owned)
        .or_else(key::default_key_path)
        .ok_or(SignError::NoHome)?;
    let principal = principal(ws.repo());
    let generated = key::generate(&path, &principal)?;
    let allowed_signers = ws
        .config()
        .map(|c| c.allowed_signers().to_owned())
        .unwrap_or_else(|_| config::DEFAULT_ALLOWED_SIGNERS.to_owned());
    Ok(KeyGenerated {
        public_key: format!("{} {}", generated.public.openssh(), generated.comment),
        keyid: generated.public.keyid(),
        fingerprint: generated.public.fingerprint(),
        allowed_signers_line: allowed_signers_line(&principal, &generated.public),
        private_key: generated.private_path,
        public_key_file: generated.public_path,
        allowed_signers,
        explicit: out.is_some(),
    })
}

/// The signing key in use, as `key show` reports it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyShown {
    /// The private key file.
    pub path: PathBuf,
    /// How it was found.
    pub source: KeySource,
    /// Its keyid (as DSSE signatures name it).
    pub keyid: String,
    /// Its OpenSSH fingerprint.
    pub fingerprint: String,
    /// The `ssh-ed25519 AAAA…` public key.
    pub public_key: String,
    /// Whether the trust list committed at HEAD trusts it.
    pub trusted: bool,
    /// Who it is trusted as (empty when not trusted).
    pub principals: Vec<String>,
    /// The allowed_signers line for this key and this clone's principal.
    #[serde(skip)]
    pub allowed_signers_line: String,
}

/// Finds and reads the signing key, and whether the workspace's trust list
/// trusts it (a missing or broken list trusts nobody here).
pub fn show_key(ws: &Workspace) -> Result<KeyShown> {
    let key = key::find(ws.repo())?;
    let keyid = key.public.keyid();
    let principals = ws
        .trust()
        .ok()
        .and_then(|set| set.principals_of(&keyid).map(<[String]>::to_vec));
    Ok(KeyShown {
        path: key.path,
        source: key.source,
        fingerprint: key.public.fingerprint(),
        public_key: key.public.openssh(),
        trusted: principals.is_some(),
        principals: principals.unwrap_or_default(),
        allowed_signers_line: allowed_signers_line(&principal(ws.repo()), &key.public),
        keyid,
    })
}
