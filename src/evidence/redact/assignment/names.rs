//! Key names: which names suggest a credential, and how strongly.
//!
//! Humans choose passwords, so any literal under a password-like key goes;
//! tokens are generated, so under a token-like key a value that reads as a
//! name stays; a bare `key` is as often a map key as a credential. Names that
//! only look alike (`author`, `keyword`, `tokenizer`) or describe a secret
//! rather than hold it (`token_type`, `key_path`, `max_tokens`) do not count.
//! Also here: splitting identifiers into words, and telling a variable named
//! like a secret or like its key.

/// How strongly a key name suggests a credential, weakest first.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum KeyName {
    /// `key`, `my_key`: as often a map key as a credential. Only values that
    /// look like key material are redacted.
    Ambiguous,
    /// `api_key`, `GITHUB_TOKEN`, `auth`: real values are generated, so a
    /// value that is a compound name (`"NextMarker"`, `"SYMMETRIC_DEFAULT"`)
    /// is a reference or a setting, not the token.
    Token,
    /// `password`, `secret`, `credentials`: humans choose these, so any
    /// literal is redacted.
    Password,
}

/// Whether two names denote the same variable, ignoring case, `_`/`-` and a
/// `self.`-style qualifier on the key: `token=token`, `this.apiKey = api_key`.
pub(super) fn same_name(value: &str, key: &str) -> bool {
    let norm = |s: &str| -> String {
        s.bytes()
            .filter(|c| !matches!(c, b'_' | b'-'))
            .map(|c| c.to_ascii_lowercase() as char)
            .collect()
    };
    let v = norm(value);
    let last = key.rsplit('.').next().unwrap_or(key);
    !v.is_empty() && (v == norm(key) || v == norm(last))
}

/// Identifier words that make a *variable* name secret-sounding
/// (`api_key`, `newToken`, `db_password`).
pub(super) fn names_a_secret(ident: &str) -> bool {
    #[rustfmt::skip]
    const SECRET_WORDS: &[&str] = &[
        "token", "tokens", "key", "keys", "secret", "secrets", "password", "passwords",
        "passwd", "pwd", "pass", "auth", "credential", "credentials", "apikey", "passphrase",
        "authorization",
    ];
    words(ident)
        .iter()
        .any(|w| SECRET_WORDS.contains(&w.as_str()))
}

/// Classifies a key name, or `None` if it does not suggest a credential.
///
/// The name is split into words (`_`, `-`, `.` and camelCase boundaries).
/// A word containing `passw`, `passphrase`, `secret` or `credential`, ending
/// in `pwd`, or `pass` as the last of several words (`DB_PASS`) makes a
/// [`KeyName::Password`]; one containing `token` or `auth` a
/// [`KeyName::Token`]. Look-alikes do not count (`author…`, `keyword`,
/// `tokenizer`, …).
///
/// `key` is weaker: the word (or a word ending in it) is a token only with a
/// qualifier such as `api`, `secret`, `private`, `access`, `signing`
/// (`api_key`, `SigningKey`, `apikey`); with `primary`, `sort`, `cache`,
/// `map`, `public`, … it is a data-structure or public key and does not
/// count; otherwise (`key`, `my_key`, `hotkey`) it is ambiguous.
///
/// Also:
/// - metadata about a secret is not the secret: a last word such as `type`,
///   `url`, `path`, `file`, `name`, `len`, `header`, `env`, `ttl`, `max` or a
///   first word such as `max`, `num`, `is`, `use` (`token_type`, `auth_url`,
///   `key_path`, `max_tokens`, `use_auth`).
pub(super) fn key_name(key: &str) -> Option<KeyName> {
    // Most keys in code name nothing secret; skip splitting them into words.
    let hint = |root: &[u8]| {
        key.as_bytes()
            .windows(root.len())
            .any(|w| w.eq_ignore_ascii_case(root))
    };
    if ![
        &b"key"[..],
        b"token",
        b"secret",
        b"pass",
        b"pwd",
        b"auth",
        b"credential",
    ]
    .into_iter()
    .any(hint)
    {
        return None;
    }
    #[rustfmt::skip]
    const PASSWORD_ROOTS: &[&str] = &[
        "passw", "passphrase", "secret", "credential",
    ];
    #[rustfmt::skip]
    const TOKEN_ROOTS: &[&str] = &[
        "token", "auth",
    ];
    #[rustfmt::skip]
    const LOOKALIKES: &[&str] = &[
        "author", "keyboard", "keyword", "keyframe", "keypress", "keydown", "keyup", "keycode",
        "keymap", "keystroke", "monkey", "donkey", "turkey", "hockey", "jockey", "whiskey",
        "tokeniz",
    ];
    #[rustfmt::skip]
    const STRONG_QUALIFIERS: &[&str] = &[
        "api", "private", "priv", "secret", "access", "signing", "sign", "encryption",
        "encrypt", "decryption", "master", "client", "app", "license", "licence", "ssh", "gpg",
        "pgp", "hmac", "aes", "rsa", "jwt", "session", "service", "account", "admin", "deploy",
        "shared", "crypto", "cipher", "auth", "subscription", "ingest", "webhook", "consumer",
        "storage", "server", "mac", "symmetric", "wrapping", "kms", "x", "live", "prod", "pass",
        "enc", "stripe", "openai", "google", "aws", "azure", "gcp", "github", "slack",
        "sendgrid", "twilio", "mailgun",
    ];
    #[rustfmt::skip]
    const DATA_QUALIFIERS: &[&str] = &[
        "primary", "foreign", "sort", "cache", "partition", "range", "lookup", "map", "dict",
        "row", "unique", "composite", "group", "order", "index", "dedup", "idempotency",
        "translation", "i18n", "message", "label", "public", "pub", "hash", "match", "search",
        "query", "object", "entry", "item", "field", "column", "table", "sequence",
    ];
    #[rustfmt::skip]
    const META_LAST: &[&str] = &[
        "type", "kind", "url", "uri", "endpoint", "path", "file", "filename", "dir",
        "directory", "name", "len", "length", "size", "count", "header", "field", "env", "var",
        "prefix", "suffix", "format", "alg", "algorithm", "ttl", "timeout", "expiry", "expires",
        "expiration", "lifetime", "at", "index", "idx", "column", "mode", "method", "scheme",
        "version", "bits", "max", "min", "start", "end", "range", "hint", "hdr", "state",
        "status", "spec", "number", "num", "offset", "pos", "position", "line", "policy",
        "rule", "rules", "config", "settings", "options", "strength", "store", "manager",
    ];
    #[rustfmt::skip]
    const META_FIRST: &[&str] = &[
        "max", "min", "num", "total", "is", "has", "use", "enable", "enabled", "should",
        "allow", "require", "skip",
    ];
    let ws = words(key);
    let (first, last) = (ws.first()?, ws.last()?);
    if ws.len() > 1 && (META_LAST.contains(&last.as_str()) || META_FIRST.contains(&first.as_str()))
    {
        return None;
    }
    let mut name = None;
    let mut raise = |to: KeyName| name = name.max(Some(to));
    for (n, w) in ws.iter().enumerate() {
        let lookalike = LOOKALIKES.iter().any(|l| w.starts_with(l))
            && !w.starts_with("authoriz")
            && !w.starts_with("authoris");
        if lookalike {
            continue;
        }
        let stem = w.strip_suffix('s').unwrap_or(w);
        if let Some(fused) = stem.strip_suffix("key") {
            // `apikey` carries its qualifier; `api_key` has it as the
            // previous word.
            let qualifier = if fused.is_empty() {
                n.checked_sub(1).map(|p| ws[p].as_str())
            } else {
                Some(fused)
            };
            match qualifier {
                Some(q) if STRONG_QUALIFIERS.contains(&q) => raise(KeyName::Token),
                Some(q) if DATA_QUALIFIERS.contains(&q) => {}
                _ => raise(KeyName::Ambiguous),
            }
        } else if PASSWORD_ROOTS.iter().any(|r| w.contains(r))
            || w.ends_with("pwd")
            || (w == "pass" && n > 0 && n + 1 == ws.len())
        {
            raise(KeyName::Password);
        } else if TOKEN_ROOTS.iter().any(|r| w.contains(r)) {
            raise(KeyName::Token);
        }
    }
    name
}

/// Lower-cased words of an identifier, split at non-alphanumerics and at
/// camelCase boundaries (`APIKey` → `api`, `key`).
pub(super) fn words(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut current = String::new();
    for (k, &c) in b.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let prev = b[k - 1];
            let next_lower = b.get(k + 1).is_some_and(u8::is_ascii_lowercase);
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push(std::mem::take(&mut current));
            }
        }
        current.push(c.to_ascii_lowercase() as char);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}
