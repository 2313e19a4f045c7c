//! The signing key given as text in `AUDITOPS_SIGNING_KEY`: how a CI job signs
//! with a key kept as a secret, without ever writing the key to a file.
//!
//! The text lives only in this process's memory: it is parsed here, never
//! copied into an error message, a log line or a record, and the gate runner
//! removes the variable from the environment of the commands it starts (a gate
//! that prints its environment would otherwise put the key in the state).

use super::error::SignError;
use std::path::PathBuf;

/// The variable that may hold an OpenSSH ed25519 private key's text.
pub const SIGNING_KEY_ENV: &str = "AUDITOPS_SIGNING_KEY";

/// What stands for the key's "path" in messages and `key show`: the variable's
/// name, since there is no file.
pub(crate) fn display_path() -> PathBuf {
    PathBuf::from(format!("${SIGNING_KEY_ENV}"))
}

/// The variable's text when it holds something. Empty or blank counts as
/// unset: CI systems give a missing secret (a pull request from a fork) as an
/// empty string, and such a job must fall back to the other sources or run
/// unsigned, not fail.
pub(crate) fn text() -> Option<String> {
    std::env::var(SIGNING_KEY_ENV)
        .ok()
        .filter(|text| !text.trim().is_empty())
}

/// Parses the variable's text as an OpenSSH ed25519 private key, still
/// encrypted if it is. A secret pasted with literal `\n` sequences (as some CI
/// settings pages store it) is read as if they were line breaks. Every failure
/// is [`SignError::EnvKeyMalformed`], which names the variable and never
/// carries the text.
pub(crate) fn parse(text: &str) -> Result<ssh_key::PrivateKey, SignError> {
    let malformed = |reason: &str| SignError::EnvKeyMalformed {
        variable: SIGNING_KEY_ENV,
        reason: reason.to_owned(),
    };
    let unescaped;
    let text = match text.contains('\n') {
        true => text.trim(),
        false => {
            unescaped = text.trim().replace("\\n", "\n");
            unescaped.as_str()
        }
    };
    if text.starts_with("ssh-") {
        return Err(malformed(
            "it holds a public key; it must hold the private key's text",
        ));
    }
    if !text.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----") {
        return Err(malformed(
            "it does not start with `-----BEGIN OPENSSH PRIVATE KEY-----`",
        ));
    }
    // ssh_key's error texts name the encoding problem, never the input.
    let key = ssh_key::PrivateKey::from_openssh(text)
        .map_err(|err| malformed(&format!("not an OpenSSH private key ({err})")))?;
    if key.algorithm() != ssh_key::Algorithm::Ed25519 {
        return Err(malformed(&format!(
            "it is a {} key; git-auditops signs with ed25519 keys only",
            key.algorithm()
        )));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a_key() -> String {
        let mut rng = ssh_key::rand_core::OsRng;
        ssh_key::PrivateKey::random(&mut rng, ssh_key::Algorithm::Ed25519)
            .unwrap()
            .to_openssh(ssh_key::LineEnding::LF)
            .unwrap()
            .to_string()
    }

    #[test]
    fn a_key_parses_with_real_or_escaped_line_breaks() {
        let text = a_key();
        assert!(parse(&text).is_ok());
        assert!(parse(&text.replace('\n', "\\n")).is_ok());
        assert!(parse(&format!("  {text}  \n")).is_ok());
    }

    #[test]
    fn malformed_values_name_the_variable_and_never_echo_the_text() {
        let text = a_key();
        let broken = text.replacen("AAAA", "!!!!", 1);
        for bad in [
            broken.as_str(),
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGNvbGQ user",
            "hello",
        ] {
            let Err(err) = parse(bad) else {
                panic!("accepted")
            };
            let err = err.to_string();
            assert!(err.contains(SIGNING_KEY_ENV), "{err}");
            assert!(!err.contains(bad.trim()), "{err}");
        }
    }
}
