//! One line of the file taken apart: comments and blank lines, the
//! (possibly quoted) principals, the options field, the key type, the
//! base64 key data and the trailing comment. This is the tokenising half of
//! the format, kept apart from what the options and the key mean.

use super::key::{check_blob, is_key_type};
use super::options::{Options, parse_options};
use super::{AllowedSigner, LineError};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// OpenSSH splits these lines on space and tab only; `\r` is included so that
/// CRLF files (whose `\r` survives `str::lines` only in odd cases) and stray
/// carriage returns never end up inside a field.
fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r')
}

fn skip_ws(s: &str) -> &str {
    s.trim_start_matches(is_ws)
}

/// Split off the next whitespace-delimited token. Every split point is an
/// ASCII character, so slicing cannot land inside a multi-byte character.
fn next_token(s: &str) -> (&str, &str) {
    match s.find(is_ws) {
        Some(end) => (&s[..end], &s[end..]),
        None => (s, ""),
    }
}

pub(super) fn parse_line(raw: &str, line: usize) -> Result<Option<AllowedSigner>, LineError> {
    let rest = skip_ws(raw);
    if rest.is_empty() || rest.starts_with('#') {
        return Ok(None);
    }

    let (principals_field, quoted, rest) = split_principals(rest)?;
    let principals: Vec<String> = principals_field
        .split(',')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    if principals.is_empty() {
        return Err(LineError::NoPrincipals);
    }

    let rest = skip_ws(rest);
    if rest.is_empty() {
        return Err(LineError::OnlyPrincipals);
    }

    // Like OpenSSH, decide whether an options field is present by whether the
    // next token is a key type; there is no other marker.
    let (token, _) = next_token(rest);
    let (options, rest) = if is_key_type(token) {
        (Options::default(), rest)
    } else {
        if !quoted && is_key_type(principals_field) {
            // The most common mistake: an authorized_keys / .pub line pasted
            // without the principals in front. Say so instead of reporting the
            // base64 as an unknown option.
            return Err(LineError::KeyTypeFirst {
                key_type: principals_field.to_owned(),
            });
        }
        let (options_field, rest) = split_options(rest)?;
        let options = parse_options(options_field)?;
        let rest = skip_ws(rest);
        if rest.is_empty() {
            return Err(LineError::NothingAfterOptions);
        }
        (options, rest)
    };

    let (key_type, rest) = next_token(rest);
    if !is_key_type(key_type) {
        return Err(LineError::UnknownKeyType {
            key_type: key_type.to_owned(),
        });
    }
    // Whatever follows the base64 is a free-form comment.
    let (encoded, _comment) = next_token(skip_ws(rest));
    if encoded.is_empty() {
        return Err(LineError::MissingKeyData {
            key_type: key_type.to_owned(),
        });
    }
    let key_blob = STANDARD
        .decode(encoded)
        .map_err(|error| LineError::Base64 { error })?;
    check_blob(key_type, &key_blob)?;

    Ok(Some(AllowedSigner {
        line,
        principals,
        cert_authority: options.cert_authority,
        namespaces: options.namespaces,
        valid_after: options.valid_after,
        valid_before: options.valid_before,
        key_type: key_type.to_owned(),
        key_blob,
    }))
}

/// Returns (field, was it quoted, rest). Mirrors OpenSSH's `strdelimw`: a
/// leading `"` makes the field run to the next `"` with no escapes, so the
/// principals may contain spaces.
fn split_principals(s: &str) -> Result<(&str, bool, &str), LineError> {
    if let Some(inner) = s.strip_prefix('"') {
        let end = inner.find('"').ok_or(LineError::UnterminatedPrincipals)?;
        let rest = &inner[end + 1..];
        // OpenSSH would glue `"a b"c` into the next field; that is almost
        // certainly a typo, so refuse it rather than guess.
        if !rest.is_empty() && !rest.starts_with(is_ws) {
            return Err(LineError::TextAfterQuotedPrincipals);
        }
        Ok((&inner[..end], true, rest))
    } else {
        let (field, rest) = next_token(s);
        if field.contains('"') {
            return Err(LineError::QuoteInPrincipals);
        }
        Ok((field, false, rest))
    }
}

/// Split off the options field, which ends at the first space or tab outside
/// double quotes (`\"` does not toggle quoting), as in OpenSSH's
/// `sshkey_advance_past_options`.
fn split_options(s: &str) -> Result<(&str, &str), LineError> {
    let bytes = s.as_bytes();
    let mut quoted = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if !quoted && matches!(b, b' ' | b'\t' | b'\r') {
            break;
        }
        if b == b'\\' && bytes.get(i + 1) == Some(&b'"') {
            i += 2;
            continue;
        }
        if b == b'"' {
            quoted = !quoted;
        }
        i += 1;
    }
    if quoted {
        return Err(LineError::UnterminatedOptions);
    }
    // `i` stops only on ASCII bytes or at the end, so it is a char boundary.
    Ok((&s[..i], &s[i..]))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn quoted_principals_may_contain_spaces() {
        let s = one(&format!(
            "\"Alice Example <alice@example.com>,alice@*\" ssh-ed25519 {K1}"
        ));
        assert_eq!(
            s.principals,
            ["Alice Example <alice@example.com>", "alice@*"]
        );
        let s = one(&format!("\"alice\"\tnamespaces=\"git\" ssh-ed25519 {K1}"));
        assert_eq!(s.principals, ["alice"]);
        assert_eq!(s.namespaces, Some(vec!["git".to_owned()]));
    }

    #[test]
    fn empty_principal_entries_are_dropped() {
        let s = one(&format!("alice,,bob, ssh-ed25519 {K1}"));
        assert_eq!(s.principals, ["alice", "bob"]);
        err_at(&format!("\"\" ssh-ed25519 {K1}"), 1, "no principals");
        err_at(&format!(", ssh-ed25519 {K1}"), 1, "no principals");
    }

    #[test]
    fn error_bad_base64() {
        err_at(
            &format!("alice ssh-ed25519 {K1}\nbob ssh-ed25519 AAAA!!!!\n"),
            2,
            "invalid base64",
        );
        // Missing padding is not accepted: ssh-keygen always writes it.
        err_at(
            &format!(
                "\nalice ecdsa-sha2-nistp256 {}",
                ECDSA.trim_end_matches('=')
            ),
            2,
            "invalid base64",
        );
    }

    #[test]
    fn error_unterminated_quote() {
        err_at(
            &format!("\n\n\"alice ssh-ed25519 {K1}"),
            3,
            "unterminated quote",
        );
        err_at(
            &format!("alice namespaces=\"git ssh-ed25519 {K1}"),
            1,
            "unterminated quote",
        );
        err_at(&format!("al\"ice ssh-ed25519 {K1}"), 1, "unexpected quote");
        err_at(&format!("\"alice\"x ssh-ed25519 {K1}"), 1, "whitespace");
    }

    #[test]
    fn error_missing_key() {
        err_at("alice@example.com", 1, "missing key");
        err_at("alice@example.com   \t", 1, "missing key");
        err_at("x ssh-ed25519 ", 1, "missing key");
        err_at("\"alice bob\"", 1, "missing key");
        err_at(
            &format!("a ssh-ed25519 {K1}\nalice namespaces=\"git\"\n"),
            2,
            "missing key",
        );
        err_at("alice ssh-ed25519", 1, "missing key data");
        err_at("alice cert-authority ssh-rsa\t", 1, "missing key data");
    }

    #[test]
    fn error_unknown_key_type() {
        err_at(
            &format!("alice ssh-ed448 {K1}"),
            1,
            "unknown option or key type \"ssh-ed448\"",
        );
        err_at(
            &format!("alice cert-authority SSH-ED25519 {K1}"),
            1,
            "unknown key type",
        );
        // An authorized_keys / .pub line pasted without principals.
        err_at(
            &format!("# c\nssh-ed25519 {K1} alice@laptop"),
            2,
            "expected principals",
        );
    }
}
