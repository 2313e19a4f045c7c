//! Passwords in URLs: the password of `scheme://user:password@host`.
//!
//! Only the password goes: the user name and host say which account was
//! configured without granting access. A password that is only a template
//! (`${DB_PASS}`) refers to a secret held elsewhere and stays.

use super::assignment::is_template_only;
use super::{Kind, MARKER_OPEN, Span, floor_char_boundary};

/// Redacts the password of `scheme://user:password@host`. The user name and
/// host stay: they say which account was configured without granting access.
pub(super) fn url_credentials(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    for (i, _) in text.match_indices("://") {
        let authority_start = i + 3;
        let mut j = authority_start;
        // `?` and `#` are deliberately not terminators: an unencoded one in a
        // password would otherwise cut the authority short and leak the rest.
        let limit = floor_char_boundary(text, authority_start + 512);
        while j < limit
            && !b[j].is_ascii_whitespace()
            && !matches!(b[j], b'/' | b'"' | b'\'' | b'`' | b'<' | b'>')
        {
            j += 1;
        }
        let authority = &text[authority_start..j];
        let Some(at) = authority.rfind('@') else {
            continue;
        };
        let userinfo = &authority[..at];
        // A marker has a colon of its own; text around one is already handled.
        let Some(colon) = userinfo
            .find(':')
            .filter(|_| !userinfo.contains(MARKER_OPEN))
        else {
            continue;
        };
        let password = &userinfo[colon + 1..];
        if password.is_empty() || is_template_only(password) {
            continue;
        }
        spans.push(Span {
            start: authority_start + colon + 1,
            end: authority_start + at,
            kind: Kind::UrlCredentials,
        });
    }
}
