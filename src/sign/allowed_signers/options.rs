//! The options field (`cert-authority`, `namespaces="…"`, `valid-after="…"`,
//! `valid-before="…"`): its comma-separated syntax, quoted values, the
//! checks on duplicates and on the order of the validity bounds, and what
//! the `namespaces` option then allows.

use super::timestamp::parse_timestamp;
use super::{AllowedSigner, LineError, QuoteError};

impl AllowedSigner {
    /// Whether signatures in `namespace` may be trusted from this key: true
    /// when no `namespaces` option is present, else only on an exact match
    /// with one listed namespace (no glob patterns; see the docs of
    /// [`allowed_signers`](super)).
    #[must_use]
    pub fn allows_namespace(&self, namespace: &str) -> bool {
        match &self.namespaces {
            None => true,
            Some(list) => list.iter().any(|allowed| allowed == namespace),
        }
    }
}

#[derive(Default)]
pub(super) struct Options {
    pub(super) cert_authority: bool,
    pub(super) namespaces: Option<Vec<String>>,
    pub(super) valid_after: Option<String>,
    pub(super) valid_before: Option<String>,
}

pub(super) fn parse_options(field: &str) -> Result<Options, LineError> {
    let mut out = Options::default();
    // Parsed bounds, kept to check their order once all options are read.
    let mut after_secs = None;
    let mut before_secs = None;
    let mut rest = field;
    let mut first = true;
    loop {
        let name_end = rest.find(['=', ',']).unwrap_or(rest.len());
        let name = &rest[..name_end];
        rest = &rest[name_end..];
        if name.is_empty() {
            return Err(LineError::EmptyOption);
        }
        match name.to_ascii_lowercase().as_str() {
            "cert-authority" => {
                if rest.starts_with('=') {
                    return Err(LineError::CertAuthorityValue);
                }
                out.cert_authority = true;
            }
            lower @ ("namespaces" | "valid-after" | "valid-before") => {
                let Some(value_part) = rest.strip_prefix('=') else {
                    return Err(LineError::MissingValue {
                        option: lower.to_owned(),
                    });
                };
                let (value, after_value) =
                    dequote(value_part).map_err(|problem| LineError::BadValue {
                        option: lower.to_owned(),
                        problem,
                    })?;
                rest = after_value;
                // Duplicates are rejected (as OpenSSH does): silently keeping
                // one of two conflicting bounds would be a guess.
                let duplicate = || LineError::Duplicate {
                    option: lower.to_owned(),
                };
                if lower == "namespaces" {
                    if out.namespaces.is_some() {
                        return Err(duplicate());
                    }
                    out.namespaces = Some(
                        value
                            .split(',')
                            .filter(|ns| !ns.is_empty())
                            .map(str::to_owned)
                            .collect(),
                    );
                } else {
                    let secs = parse_timestamp(&value).map_err(|problem| LineError::BadTime {
                        option: lower.to_owned(),
                        value: value.clone(),
                        problem,
                    })?;
                    let (slot, secs_slot) = if lower == "valid-after" {
                        (&mut out.valid_after, &mut after_secs)
                    } else {
                        (&mut out.valid_before, &mut before_secs)
                    };
                    if slot.is_some() {
                        return Err(duplicate());
                    }
                    *slot = Some(value);
                    *secs_slot = Some(secs);
                }
            }
            _ => {
                // OpenSSH reads the options field only because the token was
                // not a key type, so a lone unknown word here is just as likely
                // an unsupported or misspelled key type.
                let name = name.to_owned();
                return Err(if first && rest.is_empty() {
                    LineError::UnknownOptionOrKeyType { name }
                } else {
                    LineError::UnknownOption { name }
                });
            }
        }
        first = false;
        if rest.is_empty() {
            break;
        }
        match rest.strip_prefix(',') {
            Some("") => return Err(LineError::TrailingComma),
            Some(next) => rest = next,
            None => {
                return Err(LineError::TextAfterOption {
                    name: name.to_owned(),
                });
            }
        }
    }
    if let (Some(after), Some(before)) = (after_secs, before_secs)
        && before <= after
    {
        return Err(LineError::EmptyWindow);
    }
    Ok(out)
}

/// Read a double-quoted option value (`\"` stands for a quote, as in OpenSSH's
/// `opt_dequote`); returns the value and what follows the closing quote.
fn dequote(s: &str) -> Result<(String, &str), QuoteError> {
    let Some(inner) = s.strip_prefix('"') else {
        return Err(QuoteError::NotQuoted);
    };
    let mut value = String::new();
    let mut chars = inner.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &inner[i + 1..])),
            '\\' if inner[i + 1..].starts_with('"') => {
                chars.next();
                value.push('"');
            }
            _ => value.push(c),
        }
    }
    Err(QuoteError::Unterminated)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn options_with_quoted_commas_and_spaces() {
        let s = one(&format!(
            "alice Cert-Authority,NAMESPACES=\"git, audit,file\",valid-after=\"20240101\",\
             valid-before=\"202412312359Z\" ssh-ed25519 {K1} comment with \"quotes\""
        ));
        assert!(s.cert_authority);
        assert_eq!(
            s.namespaces,
            Some(vec![
                "git".to_owned(),
                " audit".to_owned(),
                "file".to_owned()
            ])
        );
        assert_eq!(s.valid_after.as_deref(), Some("20240101"));
        assert_eq!(s.valid_before.as_deref(), Some("202412312359Z"));
        assert_eq!(s.valid_after_unix(), Some(1_704_067_200));
        assert_eq!(s.valid_before_unix(), Some(1_735_689_540));
    }

    #[test]
    fn option_value_with_escaped_quote() {
        let s = one(&format!("alice namespaces=\"a\\\"b,c d\" ssh-ed25519 {K1}"));
        assert_eq!(
            s.namespaces,
            Some(vec!["a\"b".to_owned(), "c d".to_owned()])
        );
    }

    #[test]
    fn empty_namespaces_allows_nothing() {
        let s = one(&format!("alice namespaces=\"\" ssh-ed25519 {K1}"));
        assert_eq!(s.namespaces, Some(vec![]));
        assert!(!s.allows_namespace("git"));
        assert!(!s.allows_namespace(""));
    }

    #[test]
    fn allows_namespace_is_exact() {
        let any = one(&format!("alice ssh-ed25519 {K1}"));
        assert!(any.allows_namespace("git-auditops"));
        assert!(any.allows_namespace("git"));

        let some = one(&format!(
            "alice namespaces=\"git,git-auditops\" ssh-ed25519 {K1}"
        ));
        assert!(some.allows_namespace("git"));
        assert!(some.allows_namespace("git-auditops"));
        assert!(!some.allows_namespace("file"));
        assert!(!some.allows_namespace("GIT"));
        assert!(!some.allows_namespace("git-audit"));

        let glob = one(&format!("alice namespaces=\"git*\" ssh-ed25519 {K1}"));
        assert!(!glob.allows_namespace("git-auditops"));
        assert!(glob.allows_namespace("git*"));
    }

    #[test]
    fn error_unknown_option() {
        err_at(
            &format!("# c\nalice no-touch-required ssh-ed25519 {K1}"),
            2,
            "unknown option",
        );
        err_at(
            &format!("alice cert-authority,permit-pty ssh-ed25519 {K1}"),
            1,
            "unknown option \"permit-pty\"",
        );
        err_at(
            &format!("alice cert-authority=\"yes\" ssh-ed25519 {K1}"),
            1,
            "takes no value",
        );
        err_at(
            &format!("alice namespaces=git ssh-ed25519 {K1}"),
            1,
            "double quotes",
        );
        err_at(
            &format!("alice namespaces ssh-ed25519 {K1}"),
            1,
            "needs a quoted value",
        );
        err_at(
            &format!("alice namespaces=\"a\"x ssh-ed25519 {K1}"),
            1,
            "unexpected text",
        );
        err_at(
            &format!("alice cert-authority, ssh-ed25519 {K1}"),
            1,
            "trailing comma",
        );
        err_at(
            &format!("alice ,cert-authority ssh-ed25519 {K1}"),
            1,
            "empty option",
        );
        err_at(
            &format!("alice namespaces=\"a\",namespaces=\"b\" ssh-ed25519 {K1}"),
            1,
            "more than once",
        );
    }
}
