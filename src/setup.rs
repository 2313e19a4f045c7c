//! Setting a repository up for git-auditops: `init` (the config file, the
//! state ref and the hooks; idempotent, what exists is kept), `config check`,
//! and the signing key (`key generate`, `key show`).

use crate::config::{self, Category, Config};
use crate::error::{Error, Result};
use crate::hooks::{self, Change, HookError};
use crate::ids::CommitId;
use crate::manpages;
use crate::sign::{self, KeySource, SignError, TrustSet, key, trust};
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
    pub allowed_signers: String,
    /// What was done about this user's manual pages (installed when missing).
    pub manual: manpages::Setup,
    /// The signing key this clone would sign with, and whether it is trusted:
    /// what the next step is depends on it.
    pub signing_key: SigningKeyState,
}

/// The signing key as `init` finds it; each state leads to a different next step.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SigningKeyState {
    /// No key where lookup looks: the next step is `key generate`.
    Missing,
    /// A key was found; when it is not trusted at HEAD, the next step is to
    /// commit its allowed_signers line.
    Found(KeyShown),
    /// A key is configured or present but cannot be read.
    Unreadable {
        /// Why, with its cause.
        error: String,
    },
}

/// The signing key's state for `init`: never an error, since `init` must go on.
fn signing_key_state(repo: &gix::Repository, trust: Option<&TrustSet>) -> SigningKeyState {
    match describe_key(repo, trust) {
        Ok(shown) => SigningKeyState::Found(shown),
        Err(SignError::NoKey { .. }) => SigningKeyState::Missing,
        Err(err) => SigningKeyState::Unreadable {
            error: crate::error::chain(&err),
        },
    }
}

/// Writes a commented `.auditops.toml` if none exists, creates the state ref if
/// missing and, with `install_hooks`, installs the hooks (a hooks folder
/// shared with other repositories is skipped, with the reason), and installs
/// the manual `pages` for this user when they are missing (never failing on them).
pub fn init(ws: &Workspace, install_hooks: bool, pages: &[manpages::Page]) -> Result<Initialized> {
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
    // The workspace may have loaded the config before it was written: use this one.
    let (tip, state_created) = Store::new(ws.repo(), config.ref_name())?
        .with_lock_timeout(config.state.lock_timeout.0)
        .init()?;
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
    // A missing or broken trust list trusts nobody; `init` still goes on.
    let trust = trust::load(ws.repo(), config.allowed_signers(), None).ok();
    Ok(Initialized {
        signing_key: signing_key_state(ws.repo(), trust.as_ref()),
        config_file: file.display().to_string(),
        config_written,
        state_ref: config.ref_name().to_owned(),
        state_created,
        state_commit: tip.into(),
        hooks,
        hooks_skipped,
        hooks_requested: install_hooks,
        allowed_signers: config.allowed_signers().to_owned(),
        manual: manpages::install_missing(pages),
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
    /// Each `[gates.<ID>]`, by id, with its category.
    pub gates: Vec<CheckCategory>,
    /// Each `[patch.validators.<NAME>]`, by name, with its category.
    pub validators: Vec<CheckCategory>,
}

/// A gate's or validator's category as `config check` shows it, so that an
/// inferred one can be seen (and written down when it is wrong).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckCategory {
    /// The gate's id or the validator's name.
    pub id: String,
    /// Its category, as written or inferred.
    pub category: Category,
    /// Whether the config leaves `category` out, so it is inferred from `run`.
    pub category_inferred: bool,
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
        gates: config
            .gates
            .iter()
            .map(|(id, g)| CheckCategory {
                id: id.clone(),
                category: g.category(),
                category_inferred: g.category_inferred(),
            })
            .collect(),
        validators: config
            .patch
            .validators
            .iter()
            .map(|(name, v)| CheckCategory {
                id: name.clone(),
                category: v.category(),
                category_inferred: v.category_inferred(),
            })
            .collect(),
    })
}

/// Who signs from this clone, for allowed_signers lines: git's `user.email`,
/// else `$USER@localhost`.
pub(crate) fn principal(repo: &gix::Repository) -> String {
    repo.config_snapshot()
        .string("user.email")
        .map(|e| e.to_string())
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| {
            let user = std::env::var("USER").unwrap_or_else(|_| "auditor".into());
            format!("{user}@localhost")
        })
}

/// The allowed_signers line that trusts `public` as `principal` for our
/// namespace and git's: the key that signs records also signs the phase tags,
/// which `git tag -v` checks in namespace `git`.
pub(crate) fn allowed_signers_line(principal: &str, public: &sign::PublicKey) -> String {
    format!(
        "{principal} namespaces=\"{},git\" {}",
        trust::NAMESPACE,
        public.openssh()
    )
}

/// A terminal prompt: asks the question given, returns the answer typed.
pub type Prompt<'a> = &'a mut dyn FnMut(&str) -> std::io::Result<String>;

/// Where `key generate` gets the new key's passphrase. The library never reads
/// the terminal itself: the CLI hands in its prompt when it has a terminal.
pub enum PassphraseInput<'a> {
    /// `--no-passphrase`: none, and nothing is asked.
    Refused,
    /// `AUDITOPS_KEY_PASSPHRASE` when it is set; else this prompt, called with
    /// the question and returning the answer (asked a second time to confirm a
    /// non-empty answer); else, without a terminal (`None`), no passphrase.
    Ask(Option<Prompt<'a>>),
}

/// Where the new key's passphrase, or its absence, came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PassphraseChoice {
    /// `--no-passphrase`.
    NoPassphraseFlag,
    /// `AUDITOPS_KEY_PASSPHRASE` (set but empty: none).
    Environment,
    /// Typed at the terminal (an empty answer: none).
    Prompt,
    /// Standard input is not a terminal: none, without asking.
    NotATerminal,
}

/// The passphrase for a new key (`None`: unencrypted) and where it came from;
/// `env` is the value of `AUDITOPS_KEY_PASSPHRASE`.
fn choose_passphrase(
    input: PassphraseInput<'_>,
    env: Option<String>,
) -> Result<(Option<String>, PassphraseChoice), SignError> {
    let non_empty = |p: String| Some(p).filter(|p| !p.is_empty());
    let prompt = match (input, env) {
        (PassphraseInput::Refused, _) => return Ok((None, PassphraseChoice::NoPassphraseFlag)),
        (_, Some(env)) => return Ok((non_empty(env), PassphraseChoice::Environment)),
        (PassphraseInput::Ask(None), None) => return Ok((None, PassphraseChoice::NotATerminal)),
        (PassphraseInput::Ask(Some(prompt)), None) => prompt,
    };
    let failed = |source| SignError::PassphrasePrompt { source };
    let first = prompt("Passphrase for the new key (empty for none): ").map_err(failed)?;
    if first.is_empty() {
        return Ok((None, PassphraseChoice::Prompt));
    }
    let again = prompt("The same passphrase again: ").map_err(failed)?;
    match again == first {
        true => Ok((Some(first), PassphraseChoice::Prompt)),
        false => Err(SignError::PassphraseMismatch),
    }
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
    /// Whether the private key is protected by a passphrase.
    pub passphrase_protected: bool,
    /// Where that choice came from.
    pub passphrase_from: PassphraseChoice,
    /// The trust file the config names.
    #[serde(skip)]
    pub allowed_signers: String,
    /// Whether the path was chosen (so lookup needs git config to find it).
    #[serde(skip)]
    pub explicit: bool,
}

/// Creates a new ed25519 key pair at `out` (default `~/.ssh/id_ed25519`),
/// commented with this clone's principal, encrypted with the passphrase that
/// `passphrase` yields (if any); never overwrites a file, and asks for nothing
/// when it would have to.
pub fn generate_key(
    ws: &Workspace,
    out: Option<&Path>,
    passphrase: PassphraseInput<'_>,
) -> Result<KeyGenerated> {
    let path = out
        .map(Path::to_owned)
        .or_else(key::default_key_path)
        .ok_or(SignError::NoHome)?;
    key::check_free(&path)?;
    let (passphrase, passphrase_from) =
        choose_passphrase(passphrase, std::env::var(key::PASSPHRASE_ENV).ok())?;
    let principal = principal(ws.repo());
    let generated = key::generate(&path, &principal, passphrase.as_deref())?;
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
        passphrase_protected: passphrase.is_some(),
        passphrase_from,
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
    /// Whether the file is protected by a passphrase (signing will need it).
    pub passphrase_protected: bool,
    /// Whether the trust list committed at HEAD trusts it.
    pub trusted: bool,
    /// Who it is trusted as (empty when not trusted).
    pub principals: Vec<String>,
    /// The allowed_signers line for this key and this clone's principal: what
    /// to add to the trust file (and commit) when it is not trusted.
    pub allowed_signers_line: String,
}

/// Finds the signing key and says whether `trust` trusts it (no list: nobody
/// is trusted). Reads only the public half, so no passphrase is asked for.
fn describe_key(repo: &gix::Repository, trust: Option<&TrustSet>) -> Result<KeyShown, SignError> {
    let key = key::find_public(repo)?;
    let keyid = key.public.keyid();
    let principals = trust.and_then(|set| set.principals_of(&keyid).map(<[String]>::to_vec));
    Ok(KeyShown {
        path: key.path,
        source: key.source,
        fingerprint: key.public.fingerprint(),
        public_key: key.public.openssh(),
        passphrase_protected: key.encrypted,
        trusted: principals.is_some(),
        principals: principals.unwrap_or_default(),
        allowed_signers_line: allowed_signers_line(&principal(repo), &key.public),
        keyid,
    })
}

/// Finds the signing key, and whether the workspace's trust list trusts it (a
/// missing or broken list trusts nobody here).
pub fn show_key(ws: &Workspace) -> Result<KeyShown> {
    Ok(describe_key(ws.repo(), ws.trust().ok())?)
}

#[cfg(test)]
mod tests {
    use super::{PassphraseChoice, PassphraseInput, choose_passphrase};
    use crate::sign::SignError;

    /// A prompt that gives `answers` in turn and counts the questions.
    fn answering(answers: &[&str]) -> (Vec<String>, usize) {
        let mut given = answers.iter().map(|a| a.to_string());
        let mut asked = 0;
        let mut prompt = |_: &str| {
            asked += 1;
            Ok(given.next().unwrap_or_default())
        };
        let chosen = choose_passphrase(PassphraseInput::Ask(Some(&mut prompt)), None);
        let passphrase = match chosen {
            Ok((p, PassphraseChoice::Prompt)) => p.into_iter().collect(),
            Ok((_, other)) => panic!("chose {other:?}"),
            Err(SignError::PassphraseMismatch) => vec!["<mismatch>".to_owned()],
            Err(err) => panic!("{err}"),
        };
        (passphrase, asked)
    }

    #[test]
    fn an_empty_answer_means_no_passphrase_and_is_not_confirmed() {
        assert_eq!(answering(&[""]), (vec![], 1));
    }

    #[test]
    fn a_passphrase_is_asked_twice_and_must_match() {
        assert_eq!(answering(&["s3cret", "s3cret"]), (vec!["s3cret".into()], 2));
        assert_eq!(
            answering(&["s3cret", "other"]),
            (vec!["<mismatch>".into()], 2)
        );
    }

    #[test]
    fn the_flag_wins_then_the_environment_then_the_terminal() {
        let mut never = |_: &str| -> std::io::Result<String> { panic!("asked") };
        let env = Some("from-env".to_owned());
        let refused = choose_passphrase(PassphraseInput::Refused, env.clone()).unwrap();
        assert_eq!(refused, (None, PassphraseChoice::NoPassphraseFlag));
        let from_env = choose_passphrase(PassphraseInput::Ask(Some(&mut never)), env).unwrap();
        assert_eq!(
            from_env,
            (Some("from-env".into()), PassphraseChoice::Environment)
        );
        let empty_env = choose_passphrase(PassphraseInput::Ask(None), Some(String::new()));
        assert_eq!(empty_env.unwrap(), (None, PassphraseChoice::Environment));
        let no_tty = choose_passphrase(PassphraseInput::Ask(None), None).unwrap();
        assert_eq!(no_tty, (None, PassphraseChoice::NotATerminal));
    }
}
