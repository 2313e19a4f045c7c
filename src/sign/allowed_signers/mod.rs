//! Parsing of the trust list: an `allowed_signers` file in the format of
//! ssh-keygen(1) (section ALLOWED SIGNERS).
//!
//! Trust is expressed in git's/OpenSSH's own format on purpose: a team that
//! already signs commits with `gpg.format=ssh` keeps its trusted keys in
//! `gpg.ssh.allowedSignersFile`, and can point us at that very file instead of
//! maintaining a second list that would drift from the first.
//!
//! Because the same file must mean the same thing to `ssh-keygen -Y verify` and
//! to us, the parser follows OpenSSH's rules (`sshsig.c`) rather than inventing
//! friendlier ones, and it is strict: any malformed line rejects the whole file.
//! Silently skipping a line we do not understand could drop a restriction
//! (for example a `valid-before`) that its author relied on.
//!
//! Where we deliberately differ from OpenSSH:
//! - Timestamps without a `Z`/`UTC` suffix are read as UTC, not local time
//!   (see [`AllowedSigner::valid_at`]).
//! - [`AllowedSigner::allows_namespace`] compares namespaces exactly, whereas
//!   OpenSSH treats the list as glob patterns. Exact matching never trusts more
//!   than OpenSSH would for a fixed, pattern-free namespace such as ours.
//! - Days that do not exist (`20230229`) and hours, minutes or seconds out of
//!   range are errors rather than being normalised by `mktime`.
//! - Quoting that OpenSSH would silently glue together (`"a b"c`, `al"ice`)
//!   is an error, and a leading UTF-8 BOM is ignored.
//!
//! The parser is split by concern: `line` takes a line apart into
//! principals, options and key; `options` reads the options field;
//! `timestamp` reads `valid-after`/`valid-before` and answers
//! [`AllowedSigner::valid_at`]; `key` knows the key types and checks the key
//! blob; `principal` matches identities against principal patterns.

mod error;
mod key;
mod line;
mod options;
mod principal;
#[cfg(test)]
mod test_support;
mod timestamp;

pub use error::{LineError, ParseError, QuoteError, TimestampError};
use line::parse_line;
pub use principal::matches_pattern_list;

/// One trusted key line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSigner {
    /// 1-based line number in the file.
    pub line: usize,
    /// Principal patterns as written (OpenSSH globs: `*`, `?`, leading `!`).
    /// Empty entries (`alice,,bob`) are dropped; they could only ever match an
    /// empty identity.
    pub principals: Vec<String>,
    /// `cert-authority`: the key signs certificates, not records; such lines
    /// are skipped by the trust list.
    pub cert_authority: bool,
    /// `None` = all namespaces. `Some(vec![])` (from `namespaces=""`) = none,
    /// which is also what OpenSSH makes of an empty list.
    pub namespaces: Option<Vec<String>>,
    /// Raw timestamp text as written, already validated by [`parse`].
    pub valid_after: Option<String>,
    /// `valid-before`, likewise.
    pub valid_before: Option<String>,
    /// The key type as written (`ssh-ed25519`, …).
    pub key_type: String,
    /// Decoded wire-format blob.
    pub key_blob: Vec<u8>,
}

/// Parse the whole file. Any malformed line is an error naming its line
/// (bad base64, unknown option, unterminated quote, missing key, a blob whose
/// embedded key type disagrees with the keytype field, malformed timestamp).
///
/// # Errors
///
/// The first malformed line, as a [`ParseError`] carrying its 1-based line
/// number. Nothing is returned for the other lines: a partly understood trust
/// list is not something to act on.
pub fn parse(text: &str) -> Result<Vec<AllowedSigner>, ParseError> {
    // Editors on Windows like to prepend a BOM; it would otherwise become part
    // of the first principal and silently stop it from ever matching.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut signers = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        match parse_line(raw, line) {
            Ok(Some(signer)) => signers.push(signer),
            Ok(None) => {}
            Err(problem) => return Err(ParseError { line, problem }),
        }
    }
    Ok(signers)
}

#[cfg(test)]
mod tests {
    use super::parse;
    use super::test_support::*;

    #[test]
    fn parses_a_git_style_file() {
        let text = format!(
            "# allowed signers for the project\n\
             \n\
             alice@example.com ssh-ed25519 {K1} alice@laptop\n\
             \x20\x20  # indented comment\n\
             bob@example.com,bob@* namespaces=\"git,file\" ssh-ed25519 {K2}\n\
             carol@example.com ssh-rsa {RSA} carol\n\
             dave@example.com ecdsa-sha2-nistp256 {ECDSA}\n"
        );
        let signers = parse(&text).unwrap();
        assert_eq!(signers.len(), 4);

        let alice = &signers[0];
        assert_eq!(alice.line, 3);
        assert_eq!(alice.principals, ["alice@example.com"]);
        assert!(!alice.cert_authority);
        assert_eq!(alice.namespaces, None);
        assert_eq!(alice.key_type, "ssh-ed25519");
        assert_eq!(alice.key_blob.len(), 51);
        assert_eq!(alice.ed25519_public_key(), Some(K1_RAW));

        let bob = &signers[1];
        assert_eq!(bob.line, 5);
        assert_eq!(bob.principals, ["bob@example.com", "bob@*"]);
        assert_eq!(
            bob.namespaces,
            Some(vec!["git".to_owned(), "file".to_owned()])
        );
        assert!(bob.ed25519_public_key().is_some());
        assert_ne!(bob.ed25519_public_key(), alice.ed25519_public_key());

        let carol = &signers[2];
        assert_eq!((carol.line, carol.key_type.as_str()), (6, "ssh-rsa"));
        assert_eq!(carol.ed25519_public_key(), None);

        let dave = &signers[3];
        assert_eq!(dave.key_type, "ecdsa-sha2-nistp256");
        assert_eq!(dave.ed25519_public_key(), None);
    }

    #[test]
    fn empty_and_comment_only_files() {
        assert_eq!(parse("").unwrap(), []);
        assert_eq!(parse("\n\n   \n\t\n# x\n  #y\r\n").unwrap(), []);
    }

    #[test]
    fn crlf_tabs_trailing_space_and_bom() {
        let text = format!(
            "\u{feff}# c\r\n\talice@example.com\t\tssh-ed25519\t{K1}\t \r\nbob ssh-ed25519 {K2}   \r\n"
        );
        let signers = parse(&text).unwrap();
        assert_eq!(signers.len(), 2);
        assert_eq!(signers[0].line, 2);
        assert_eq!(signers[0].principals, ["alice@example.com"]);
        assert_eq!(signers[0].ed25519_public_key(), Some(K1_RAW));
        assert_eq!(signers[1].line, 3);
        assert_eq!(signers[1].principals, ["bob"]);
    }

    #[test]
    fn error_line_numbers_count_crlf_lines() {
        err_at(
            &format!("# a\r\n\r\nalice ssh-ed25519 {K1}\r\nbad\r\n"),
            4,
            "missing key",
        );
    }

    /// Cheap in-file fuzzing: every prefix of a busy line, and every position
    /// overwritten with an awkward character, must parse or fail, never panic.
    #[test]
    fn never_panics_on_mangled_lines() {
        let line = format!(
            "\"a b\",c namespaces=\"x\\\"y,z\",valid-after=\"20240101Z\",cert-authority \
             ssh-ed25519 {K1} cömment\r\n# ünïcode\n"
        );
        let awkward = [
            '"', '\\', ',', '=', ' ', '\t', '\r', '\n', '#', 'é', '\u{feff}', 'A',
        ];
        for (i, _) in line.char_indices() {
            let _ = parse(&line[..i]);
            let _ = parse(&line[i..]);
            for c in awkward {
                let mut mangled = line[..i].to_owned();
                mangled.push(c);
                mangled.push_str(&line[i..]);
                let _ = parse(&mangled);
                let mut replaced = line[..i].to_owned();
                replaced.push(c);
                replaced.extend(line[i..].chars().skip(1));
                let _ = parse(&replaced);
            }
        }
    }
}
