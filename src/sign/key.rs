//! The signing key: where it is found, how it is read, and how a new one is made.
//!
//! Keys are OpenSSH ed25519 keys, so the key a developer already uses for git's
//! ssh signing works. Lookup order: the key text in `AUDITOPS_SIGNING_KEY` (a CI
//! secret, see [`super::env_key`]), then git config `auditops.signingKey`, then
//! git's `user.signingKey` when it names an ssh ed25519 key, then
//! `~/.ssh/id_ed25519`.

use super::error::SignError;
use super::public_key::PublicKey;
use ed25519_dalek::Signer;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Where the key in use was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// The key's text in the environment variable `AUDITOPS_SIGNING_KEY`.
    #[serde(rename = "environment")]
    Environment,
    /// git config `auditops.signingKey`
    AuditopsSigningKey,
    /// git config `user.signingKey` (with `gpg.format = ssh`)
    GitUserSigningKey,
    /// `~/.ssh/id_ed25519`
    DefaultPath,
}

impl KeySource {
    /// Where the key was found, for people.
    pub fn describe(self) -> &'static str {
        match self {
            KeySource::Environment => "environment variable AUDITOPS_SIGNING_KEY",
            KeySource::AuditopsSigningKey => "git config auditops.signingKey",
            KeySource::GitUserSigningKey => "git config user.signingKey",
            KeySource::DefaultPath => "~/.ssh/id_ed25519",
        }
    }
}

/// A private key ready to sign.
pub struct SigningKey {
    key: ed25519_dalek::SigningKey,
    /// Its public half.
    pub public: PublicKey,
    /// The private key file (`$AUDITOPS_SIGNING_KEY` for a key given as text).
    pub path: PathBuf,
    /// How it was found.
    pub source: KeySource,
}

impl SigningKey {
    /// A key made from `seed`, for unit tests that need signed records.
    #[cfg(test)]
    pub(crate) fn from_seed(seed: [u8; 32]) -> Self {
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        SigningKey {
            public: PublicKey(key.verifying_key().to_bytes()),
            key,
            path: PathBuf::from("test"),
            source: KeySource::DefaultPath,
        }
    }

    /// The ed25519 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// An armored SSH signature (OpenSSH's `sshsig` format, SHA-512) of
    /// `message` in `namespace`: what `ssh-keygen -Y sign` makes and what git
    /// verifies for `gpg.format = ssh` (namespace `git` for commits and tags).
    pub fn sshsig(&self, namespace: &str, message: &[u8]) -> Result<String, SignError> {
        let keypair = ssh_key::private::Ed25519Keypair::from_seed(&self.key.to_bytes());
        let private = ssh_key::PrivateKey::from(keypair);
        private
            .sign(namespace, ssh_key::HashAlg::Sha512, message)
            .and_then(|sig| sig.to_pem(ssh_key::LineEnding::LF))
            .map_err(|source| SignError::SshSig {
                path: self.path.clone(),
                source,
            })
    }
}

/// The variable that holds the passphrase of an encrypted key.
pub const PASSPHRASE_ENV: &str = "AUDITOPS_KEY_PASSPHRASE";

/// The home directory, when HOME is set and not empty.
pub(crate) fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), home()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

/// The path of the private key to use, by the lookup order above.
/// `Err(NoKey)` lists what was tried.
pub fn locate(repo: &gix::Repository) -> Result<(PathBuf, KeySource), SignError> {
    if super::env_key::text().is_some() {
        // A CI secret is the most deliberate choice of all: it wins, and a
        // malformed one is an error rather than a fall-through.
        return Ok((super::env_key::display_path(), KeySource::Environment));
    }
    let config = repo.config_snapshot();
    let mut tried = vec![format!("{} (unset)", super::env_key::SIGNING_KEY_ENV)];
    if let Some(value) = config.string("auditops.signingKey") {
        // An explicit choice is never silently skipped: a bad path is an error.
        return Ok((
            expand_home(&value.to_string()),
            KeySource::AuditopsSigningKey,
        ));
    }
    tried.push("git config auditops.signingKey (unset)".to_owned());
    let ssh_format = config
        .string("gpg.format")
        .is_some_and(|f| f.eq_ignore_ascii_case(b"ssh"));
    match config.string("user.signingKey") {
        Some(value) if ssh_format => {
            let value = value.to_string();
            match git_signing_key_file(&value) {
                Some(path) => return Ok((path, KeySource::GitUserSigningKey)),
                None => tried.push(format!(
                    "git config user.signingKey ({value}: not an ed25519 private key file)"
                )),
            }
        }
        Some(_) => tried.push("git config user.signingKey (gpg.format is not ssh)".into()),
        None => tried.push("git config user.signingKey (unset)".into()),
    }
    if let Some(home) = home() {
        let path = home.join(".ssh/id_ed25519");
        if path.exists() {
            return Ok((path, KeySource::DefaultPath));
        }
        tried.push(format!("{} (absent)", path.display()));
    }
    Err(SignError::NoKey { tried })
}

/// git's `user.signingKey` may be a private key file, a public key file next to
/// its private key, or a literal public key (which we cannot sign with).
fn git_signing_key_file(value: &str) -> Option<PathBuf> {
    let value = value.strip_prefix("key::").unwrap_or(value);
    if value.starts_with("ssh-") {
        return None;
    }
    let path = expand_home(value);
    let private = match path.extension() {
        Some(ext) if ext == "pub" => path.with_extension(""),
        _ => path,
    };
    let head = std::fs::read_to_string(&private).ok()?;
    let key = ssh_key::PrivateKey::from_openssh(head.trim()).ok()?;
    (key.algorithm() == ssh_key::Algorithm::Ed25519).then_some(private)
}

/// Finds and reads the signing key.
pub fn find(repo: &gix::Repository) -> Result<SigningKey, SignError> {
    let (path, source) = locate(repo)?;
    load(&path, source)
}

/// The signing key in use, read only as far as its public half: an encrypted
/// key is not decrypted, so no passphrase is needed to say which key it is.
pub struct FoundKey {
    /// The private key file.
    pub path: PathBuf,
    /// How it was found.
    pub source: KeySource,
    /// Its public half.
    pub public: PublicKey,
    /// Whether the file is protected by a passphrase.
    pub encrypted: bool,
}

/// Finds the signing key and reads its public half (`key show`, `init`).
pub fn find_public(repo: &gix::Repository) -> Result<FoundKey, SignError> {
    let (path, source) = locate(repo)?;
    let key = read_source(&path, source)?;
    let public = key
        .public_key()
        .key_data()
        .ed25519()
        .map(|k| PublicKey(k.0))
        .ok_or_else(|| SignError::NotEd25519 {
            path: path.clone(),
            algorithm: key.algorithm().to_string(),
        })?;
    Ok(FoundKey {
        encrypted: key.is_encrypted(),
        path,
        source,
        public,
    })
}

/// Reads the private key `locate` found: the environment variable's text, or
/// the file at `path`; still encrypted if it is.
fn read_source(path: &Path, source: KeySource) -> Result<ssh_key::PrivateKey, SignError> {
    match source {
        KeySource::Environment => {
            super::env_key::parse(&super::env_key::text().unwrap_or_default())
        }
        _ => read_private(path),
    }
}

/// Reads an OpenSSH ed25519 private key file, still encrypted if it is.
fn read_private(path: &Path) -> Result<ssh_key::PrivateKey, SignError> {
    let text = std::fs::read_to_string(path).map_err(|err| SignError::KeyRead {
        path: path.to_owned(),
        source: err,
    })?;
    if text.trim_start().starts_with("ssh-") {
        return Err(SignError::PublicKeyOnly {
            path: path.to_owned(),
        });
    }
    let key =
        ssh_key::PrivateKey::from_openssh(text.trim()).map_err(|source| SignError::KeyParse {
            path: path.to_owned(),
            source,
        })?;
    if key.algorithm() != ssh_key::Algorithm::Ed25519 {
        return Err(SignError::NotEd25519 {
            path: path.to_owned(),
            algorithm: key.algorithm().to_string(),
        });
    }
    Ok(key)
}

/// Reads an OpenSSH ed25519 private key, asking for its passphrase if needed.
pub fn load(path: &Path, source: KeySource) -> Result<SigningKey, SignError> {
    let mut key = read_source(path, source)?;
    if key.is_encrypted() {
        let passphrase = passphrase(path)?;
        key = key
            .decrypt(passphrase.as_bytes())
            .map_err(|_| SignError::BadPassphrase {
                path: path.to_owned(),
            })?;
    }
    let pair = ed25519_pair(&key, path)?;
    let signing = ed25519_dalek::SigningKey::from_bytes(&pair.private.to_bytes());
    Ok(SigningKey {
        public: PublicKey(signing.verifying_key().to_bytes()),
        key: signing,
        path: path.to_owned(),
        source,
    })
}

fn ed25519_pair<'k>(
    key: &'k ssh_key::PrivateKey,
    path: &Path,
) -> Result<&'k ssh_key::private::Ed25519Keypair, SignError> {
    key.key_data()
        .ed25519()
        .ok_or_else(|| SignError::NotEd25519 {
            path: path.to_owned(),
            algorithm: key.algorithm().to_string(),
        })
}

fn passphrase(path: &Path) -> Result<String, SignError> {
    if let Ok(value) = std::env::var(PASSPHRASE_ENV) {
        return Ok(value);
    }
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        return rpassword::prompt_password(format!("Passphrase for {}: ", path.display())).map_err(
            |_| SignError::PassphraseNeeded {
                path: path.to_owned(),
            },
        );
    }
    Err(SignError::PassphraseNeeded {
        path: path.to_owned(),
    })
}

/// A freshly generated key pair.
pub struct GeneratedKey {
    /// The private key file.
    pub private_path: PathBuf,
    /// The public key file.
    pub public_path: PathBuf,
    /// The public key.
    pub public: PublicKey,
    /// Its comment (the principal).
    pub comment: String,
}

/// The default place for `key generate`: where lookup finds it without config.
pub fn default_key_path() -> Option<PathBuf> {
    home().map(|h| h.join(".ssh/id_ed25519"))
}

/// The public key file that goes with the private key file `path`.
fn public_path_of(path: &Path) -> PathBuf {
    PathBuf::from(format!("{}.pub", path.display()))
}

/// `Err(KeyExists)` when `path` or `path.pub` exists: checked before asking
/// for a passphrase, so that nobody types one for a key that will not be made.
pub fn check_free(path: &Path) -> Result<(), SignError> {
    for existing in [path.to_owned(), public_path_of(path)] {
        if existing.exists() {
            return Err(SignError::KeyExists { path: existing });
        }
    }
    Ok(())
}

/// Writes a new ed25519 key pair: `path` (mode 0600) and `path.pub`; the
/// private key is encrypted with `passphrase` when one is given (bcrypt-pbkdf
/// and aes256-ctr, as `ssh-keygen` does). Never overwrites an existing file.
pub fn generate(
    path: &Path,
    comment: &str,
    passphrase: Option<&str>,
) -> Result<GeneratedKey, SignError> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

    let public_path = public_path_of(path);
    check_free(path)?;
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |err| SignError::KeyWrite { path, source: err }
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(write_error(parent))?;
    }
    let generate_error = |source| SignError::KeyGenerate {
        path: path.to_owned(),
        source,
    };
    let mut rng = ssh_key::rand_core::OsRng;
    let mut key = ssh_key::PrivateKey::random(&mut rng, ssh_key::Algorithm::Ed25519)
        .map_err(generate_error)?;
    key.set_comment(comment);
    let public = PublicKey(ed25519_pair(&key, path)?.public.0);
    if let Some(passphrase) = passphrase {
        key = key.encrypt(&mut rng, passphrase).map_err(generate_error)?;
    }
    let private_text = key
        .to_openssh(ssh_key::LineEnding::LF)
        .map_err(generate_error)?;

    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(write_error(path))?;
    file.write_all(private_text.as_bytes())
        .map_err(write_error(path))?;
    std::fs::write(&public_path, format!("{} {comment}\n", public.openssh()))
        .map_err(write_error(&public_path))?;
    Ok(GeneratedKey {
        private_path: path.to_owned(),
        public_path,
        public,
        comment: comment.to_owned(),
    })
}

/// The key to sign with for a command that records: a missing key is an error
/// when `[trust] require_signed` holds, and means "record unsigned" otherwise.
/// Any other key problem (unreadable, wrong passphrase) is always an error.
///
/// Under `[trust] require_trusted_signer` (the default) a key the trust list at
/// HEAD does not trust is refused here, before anything is written: a record
/// others cannot verify would lock every other clone out of `state pull`.
pub fn for_recording(ws: &crate::workspace::Workspace) -> crate::error::Result<Option<SigningKey>> {
    let config = ws.config()?;
    let key = match find(ws.repo()) {
        Ok(key) => key,
        Err(SignError::NoKey { .. }) if !config.trust.require_signed => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    if config.trust.require_trusted_signer {
        ensure_trusted(ws, &key)?;
    }
    Ok(Some(key))
}

/// Refuses `key` unless the trust list of `ws` trusts it now, naming the
/// allowed_signers line that would.
pub(crate) fn ensure_trusted(
    ws: &crate::workspace::Workspace,
    key: &SigningKey,
) -> crate::error::Result<()> {
    let trust = ws.trust()?;
    let now = crate::time::Timestamp::now().as_second();
    match trust.key(&key.public.keyid(), Some(now)) {
        super::trust::KeyLookup::Trusted(_) => Ok(()),
        _ => Err(SignError::UntrustedSigner {
            path: key.path.clone(),
            trust_source: trust.source.clone(),
            allowed_signers: ws.config()?.allowed_signers().to_owned(),
            line: crate::setup::allowed_signers_line(
                &crate::setup::principal(ws.repo()),
                &key.public,
            ),
        }
        .into()),
    }
}
