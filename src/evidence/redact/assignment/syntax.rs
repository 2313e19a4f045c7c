//! Where an assignment's parts are: the separator (`=`, `:`, `:=`, `=>`,
//! `?=`), the key before it, a `: Type =` annotation after it, and string
//! literals with their prefixes, escapes and triple quotes.
//!
//! Lexical only: judging the key and value is left to [`names`](super::names)
//! and [`values`](super::values). The line drawn here is between key-value
//! syntax and look-alikes: comparisons and compound operators, `::` paths,
//! `://` URLs, `cache[key]` indexing, `$name:ident` macro fragments. An
//! unterminated literal runs to the end of its line (or of the text), so a
//! snippet cut mid-string does not leak the part it kept.

use super::Opaque;
use super::values::is_keyword;
use crate::evidence::redact::MARKER_OPEN;

/// Recognises an assignment separator at `i`. Returns where the separator
/// starts (the key ends before it), where the value starts, and whether it is
/// a plain `:`.
pub(super) fn separator_at(b: &[u8], i: usize) -> Option<(usize, usize, bool)> {
    let prev = i.checked_sub(1).map(|p| b[p]);
    let next = b.get(i + 1).copied();
    match b[i] {
        b'=' => {
            if matches!(next, Some(b'=' | b'~')) {
                return None;
            }
            match prev {
                // Comparisons and compound operators; `:=` is handled at the `:`.
                Some(
                    b'=' | b'!' | b'<' | b'>' | b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'|'
                    | b'&' | b'~' | b':',
                ) => None,
                // Makefile `TOKEN ?= …`.
                Some(b'?') => Some((i - 1, i + 1, false)),
                _ if next == Some(b'>') => Some((i, i + 2, false)),
                _ => Some((i, i + 1, false)),
            }
        }
        b':' => {
            if prev == Some(b':') || next == Some(b':') {
                return None;
            }
            if next == Some(b'=') {
                return Some((i, i + 2, false));
            }
            if next == Some(b'/') && b.get(i + 2) == Some(&b'/') {
                return None;
            }
            Some((i, i + 1, true))
        }
        _ => None,
    }
}

/// Finds the key that ends just before `sep_start`. Returns its byte range,
/// whether it is enclosed in quotes, and whether blanks separate it from the
/// separator.
pub(super) fn key_before(b: &[u8], sep_start: usize) -> Option<(usize, usize, bool, bool)> {
    let mut j = sep_start;
    while j > 0 && matches!(b[j - 1], b' ' | b'\t') {
        j -= 1;
    }
    let spaced = j < sep_start;
    let subscript = j > 0 && b[j - 1] == b']';
    if subscript {
        j -= 1;
    }
    let closing = (j > 0 && matches!(b[j - 1], b'"' | b'\'' | b'`')).then(|| b[j - 1]);
    if closing.is_some() {
        j -= 1;
    } else if subscript {
        // `cache[key] = …` indexes with a variable, it does not name a secret.
        return None;
    }
    let end = j;
    while j > 0 && is_key_byte(b[j - 1]) {
        j -= 1;
    }
    if j > 0 && j < end && closing.is_none() {
        match b[j - 1] {
            // `"\npassword: …"`: the letter after a backslash belongs to the
            // escape.
            b'\\' => j += 1,
            // `$name:ident` is a macro fragment, not a key.
            b'$' if b[sep_start] == b':' => return None,
            _ => {}
        }
    }
    while j < end && matches!(b[j], b'-' | b'.') {
        // `--password=…` flags; `-----END …-----password` runs.
        j += 1;
    }
    if j == end {
        return None;
    }
    let quoted = closing.is_some_and(|q| j > 0 && b[j - 1] == q);
    if subscript && !(quoted && j > 1 && b[j - 2] == b'[') {
        // Only `map["password"]` names a key; `[`text`]: …` is Markdown.
        return None;
    }
    Some((j, end, quoted, spaced))
}

pub(super) fn is_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')
}

/// Recognises `: Type =` after a key and returns the index after the `=`.
/// Requires a blank before the `=` and something type-shaped, so that YAML
/// such as `password: abc=def` is not mistaken for a declaration.
pub(super) fn typed_declaration(text: &str, opaque: &Opaque, after_colon: usize) -> Option<usize> {
    let b = text.as_bytes();
    let ty_start = skip_blanks(b, after_colon);
    let mut j = ty_start;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b"_&'<>[]:;,*.|? \t".contains(&b[j])) {
        j += 1;
    }
    if b.get(j) != Some(&b'=') || matches!(b.get(j + 1), Some(b'=' | b'>')) {
        return None;
    }
    let raw = &text[ty_start..j];
    let ty = raw.trim_end();
    // A redacted "type" was a value; the second pass must not read a marker
    // as a type either.
    if ty.is_empty()
        || ty.len() == raw.len()
        || ty.contains(MARKER_OPEN)
        || !opaque.overlapping(ty_start, j).is_empty()
    {
        return None;
    }
    let first = ty.as_bytes()[0];
    let type_shaped = matches!(first, b'&' | b'[' | b'*')
        || first.is_ascii_uppercase()
        || ty.contains(['<', '[', ':', '.', '|', '?'])
        || is_keyword(ty);
    type_shaped.then_some(j + 1)
}

pub(super) fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

/// Where a string literal opens.
#[derive(Clone, Copy)]
pub(super) struct Open {
    /// Index of the opening quote.
    quote: usize,
    /// The literal is itself escaped (`\"x\"`, JSON inside a string).
    escaped: bool,
}

/// If a string literal starts at `i` (allowing Python/Rust prefixes such as
/// `f"`, `rb'`, `r#"`, and escaped quotes), returns where it opens.
pub(super) fn string_literal_at(b: &[u8], i: usize) -> Option<Open> {
    let is_quote = |k: usize| k < b.len() && matches!(b[k], b'"' | b'\'' | b'`');
    if b.get(i) == Some(&b'\\') && is_quote(i + 1) {
        return Some(Open {
            quote: i + 1,
            escaped: true,
        });
    }
    let mut k = i;
    while k < b.len() && k < i + 2 && b"rbfuRBFU".contains(&b[k]) {
        k += 1;
    }
    if k > i {
        while k < b.len() && b[k] == b'#' {
            k += 1;
        }
    }
    is_quote(k).then_some(Open {
        quote: k,
        escaped: false,
    })
}

/// Content range of a string literal.
///
/// An unterminated literal runs to the end of its line (or of the text, for
/// backticks and triple quotes, which may span lines): a snippet cut mid-string
/// must not leak the part it kept.
pub(super) fn literal_content(b: &[u8], open: Open) -> (usize, usize) {
    let q = open.quote;
    let quote = b[q];
    let line_end = |from: usize| {
        b[from..]
            .iter()
            .position(|&c| c == b'\n' || c == b'\r')
            .map_or(b.len(), |p| from + p)
    };
    if open.escaped {
        let start = q + 1;
        let end = b[start..]
            .windows(2)
            .position(|w| w[0] == b'\\' && w[1] == quote)
            .map_or_else(|| line_end(start), |p| start + p);
        return (start, end.min(line_end(start)));
    }
    if quote != b'`' && b.get(q + 1) == Some(&quote) && b.get(q + 2) == Some(&quote) {
        let start = q + 3;
        let close = [quote; 3];
        let end = b[start..]
            .windows(3)
            .position(|w| w == close)
            .map_or(b.len(), |p| start + p);
        return (start, end);
    }
    let start = q + 1;
    let mut k = start;
    while k < b.len() {
        match b[k] {
            b'\\' => k += 2,
            c if c == quote => return (start, k),
            b'\n' | b'\r' if quote != b'`' => return (start, k),
            _ => k += 1,
        }
    }
    (start, b.len())
}
