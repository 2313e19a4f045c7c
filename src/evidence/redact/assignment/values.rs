//! Whether an assigned value is a secret: quoted literals, unquoted values,
//! and the verdicts between them.
//!
//! A quoted value is a literal and is redacted unless it is empty, a
//! template, a bare auth scheme, an endpoint URL or the *name* of a secret.
//! An unquoted value is redacted unless it reads as code (a call, a field
//! path, a keyword or type, a variable) or is a plain word followed by a
//! sentence. How much a literal must look like a secret depends on how
//! strongly the key names one ([`accepts`]).

use super::names::{KeyName, names_a_secret, same_name, words};
use super::syntax::{is_key_byte, literal_content, skip_blanks, string_literal_at};
use super::{Lhs, Opaque};
use crate::evidence::redact::blobs::{is_wordlike, looks_random};
use crate::evidence::redact::{MARKER_OPEN, floor_char_boundary};

/// Whether a literal `value` is redacted under a key of strength `name`.
pub(super) fn accepts(name: KeyName, value: &str) -> bool {
    match name {
        KeyName::Password => true,
        KeyName::Token => !is_compound_name(value) && !is_setting(value),
        KeyName::Ambiguous => looks_like_key_material(value),
    }
}

/// Words that configure how a token is used rather than being one:
/// `id-token: write` (GitHub Actions permissions), `auth: required`.
fn is_setting(value: &str) -> bool {
    #[rustfmt::skip]
    const SETTINGS: &[&str] = &[
        "read", "write", "all", "allow", "deny", "enabled", "disabled", "enable", "disable",
        "required", "optional", "auto", "default", "inherit", "public", "private", "oauth",
        "oauth2", "jwt", "saml", "oidc", "ldap", "kerberos", "ntlm", "hmac", "sha256", "none",
    ];
    SETTINGS.iter().any(|w| value.eq_ignore_ascii_case(w))
}

/// Whether the content of a quoted value is worth redacting.
pub(super) fn quoted_is_secret(content: &str, key: &str) -> bool {
    let t = content.trim();
    !(t.is_empty()
        || t.contains(MARKER_OPEN)
        || is_template_only(t)
        || is_auth_scheme(t)
        || matches!(
            t.to_ascii_lowercase().as_str(),
            "none" | "null" | "nil" | "true" | "false" | "undefined" | "yes" | "no" | "on" | "off"
        )
        || !t.bytes().any(|c| c.is_ascii_alphanumeric())
        || is_colour(t)
        // An endpoint; a password in it is the URL rule's business.
        || (t.contains("://") && !t.contains('@'))
        || same_name(t, key)
        || is_secret_name(t))
}

/// `#fff`, `#d8dee9`: style sheets keyed by token types.
fn is_colour(t: &str) -> bool {
    t.strip_prefix('#').is_some_and(|h| {
        matches!(h.len(), 3 | 4 | 6 | 8) && h.bytes().all(|c| c.is_ascii_hexdigit())
    })
}

/// Key material has no blanks, is not made of words, and is long or mixes
/// letters and digits.
fn looks_like_key_material(v: &str) -> bool {
    let b = v.as_bytes();
    !b.iter().any(u8::is_ascii_whitespace)
        && !v.contains('\\')
        && !is_compound_name(v)
        && (b.len() >= 16
            || (b.len() >= 8
                && b.iter().any(u8::is_ascii_digit)
                && b.iter().any(u8::is_ascii_alphabetic)))
}

/// An identifier-shaped name of two or more words, without digits or blanks:
/// `NextMarker`, `StreamingDistributionList.NextMarker`, `SYMMETRIC_DEFAULT`.
fn is_compound_name(v: &str) -> bool {
    v.is_ascii()
        && !v
            .bytes()
            .any(|c| c.is_ascii_digit() || c.is_ascii_whitespace())
        && words(v).len() >= 2
        && v.split(|c: char| !c.is_ascii_alphanumeric())
            .all(|piece| is_wordlike(piece.as_bytes()))
}

/// `"GITHUB_TOKEN"`, `"X-Api-Key"`, `"access_token"`: strings that name a
/// secret (an environment variable, a header, a field) rather than contain one.
fn is_secret_name(t: &str) -> bool {
    if !t.bytes().all(is_key_byte) || !names_a_secret(t) {
        return false;
    }
    // Identifiers made of words are names; generated secrets have digits.
    !t.bytes().any(|c| c.is_ascii_digit()) || !t.bytes().any(|c| c.is_ascii_lowercase())
}

/// Outcome of looking at the first word of an unquoted value.
enum Verdict {
    Secret,
    Code,
    /// A string literal inside a wrapper call: `Some("…")`.
    Literal(usize, usize),
}

/// Span of an unquoted value starting at `vs`, or `None` if it reads as code.
pub(super) fn unquoted_value(text: &str, lhs: &Lhs, vs: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let mut vs = vs;
    let mut first_end = run_end(b, vs);
    if is_auth_scheme(&text[vs..first_end]) {
        // `Authorization: Basic dXNl…`: the credential is the next word.
        let next = skip_blanks(b, first_end);
        if next == first_end || next >= b.len() || text[next..].starts_with(MARKER_OPEN) {
            return None;
        }
        vs = next;
        first_end = run_end(b, vs);
    }
    if first_end == vs {
        return None;
    }
    // A value that a quote or bracket cut short is part of a larger
    // expression; only blank-separated words extend to the end of the line.
    let extend = lhs.line_start && b.get(first_end).is_none_or(|&c| !b"\"'`)}]".contains(&c));
    let end = if extend {
        line_value_end(b, vs).max(first_end)
    } else {
        first_end
    };
    let region = &text[vs..end];
    if region.contains(MARKER_OPEN) || is_template_only(region) {
        return None;
    }
    match classify_unquoted(text, lhs, vs, first_end) {
        Verdict::Secret => {}
        Verdict::Code => return None,
        Verdict::Literal(s, e) => return Some((s, e)),
    }
    // `# Keep Authorization: headers on a redirect.`, `api_key: The key used
    // to …`: a plain word followed by a sentence. A first word with digits or
    // odd capitals is still redacted, whatever follows it.
    let first = &text[vs..first_end];
    let plain_word = first.bytes().skip(1).all(|c| c.is_ascii_lowercase())
        && first.bytes().all(|c| c.is_ascii_alphabetic());
    if (plain_word && is_prose(sentence(text, lhs.opaque, vs, first_end)))
        || !lhs.accepts_value(region)
    {
        return None;
    }
    Some((vs, end))
}

/// The words after an unquoted value's start, for prose detection: up to the
/// end of the line, at most 200 bytes, and before anything another finding
/// could rewrite (a separator, a quote, another rule's span), so that the
/// second pass reads the same sentence.
fn sentence<'t>(text: &'t str, opaque: &Opaque, vs: usize, first_end: usize) -> &'t str {
    let b = text.as_bytes();
    let mut end = line_value_end(&b[..floor_char_boundary(text, vs + 200)], vs);
    let from = first_end.min(end);
    if let Some(p) = b[from..end].iter().position(|c| b"=:>\"'`".contains(c)) {
        end = from + p;
    }
    if let Some(&(start, _)) = opaque.overlapping(vs, end).first() {
        end = start.max(vs);
    }
    &text[vs..end]
}

/// End of an unquoted run: the characters that end a value in code, URLs and
/// config alike.
fn run_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && !is_run_terminator(b[i]) {
        i += 1;
    }
    i
}

fn is_run_terminator(c: u8) -> bool {
    c.is_ascii_whitespace() || b",;)}]&\"'`".contains(&c)
}

/// End of a line-start value: the rest of the line without a trailing
/// ` # comment` or ` // comment`, blanks, `,` or `;`.
fn line_value_end(b: &[u8], vs: usize) -> usize {
    let mut end = vs;
    while end < b.len() && b[end] != b'\n' {
        end += 1;
    }
    if let Some(c) = (vs..end).find(|&k| {
        b[k].is_ascii_whitespace()
            && (b[k + 1..].starts_with(b"#") || b[k + 1..].starts_with(b"//"))
    }) {
        end = c;
    }
    while end > vs && (b[end - 1].is_ascii_whitespace() || matches!(b[end - 1], b',' | b';')) {
        end -= 1;
    }
    end
}

fn classify_unquoted(text: &str, lhs: &Lhs, vs: usize, first_end: usize) -> Verdict {
    let b = text.as_bytes();
    let first = &text[vs..first_end];
    // Structures, references, YAML tags/anchors/block scalars, SQL and
    // template placeholders, comments.
    if b"([{<&*!|>~@#%?:\\".contains(&b[vs]) {
        return Verdict::Code;
    }
    if is_keyword(first) || is_stopword(first) || is_number(first) {
        let literal_number =
            is_number(first) && !is_short_number(first) && !lhs.declaration && !lhs.typed;
        return if literal_number {
            Verdict::Secret
        } else {
            Verdict::Code
        };
    }
    if first.contains("://")
        || (first.starts_with(['/', '.', '~']) && !looks_random(first.as_bytes()))
    {
        // A URL (credentials in it are the URL rule's business) or a path.
        return Verdict::Code;
    }
    let (head_end, segments) = identifier_path_end(b, vs);
    if segments == 0 {
        return Verdict::Secret;
    }
    let rest = &text[head_end..];
    if rest.starts_with('(') {
        return wrapped_literal(text, lhs, vs, head_end, head_end + 1);
    }
    if let Some(after_bang) = rest.strip_prefix('!') {
        let arg = skip_blanks(b, head_end + 1);
        if after_bang.trim_start().starts_with(['(', '[', '{']) {
            return wrapped_literal(text, lhs, vs, head_end, arg + 1);
        }
    }
    if rest.starts_with(['[', '{', '<']) || rest.starts_with("::<") || rest.starts_with("..") {
        return Verdict::Code;
    }
    let next = b.get(head_end).copied();
    let at_word_end = next.is_none_or(is_run_terminator);
    if segments > 1 {
        // `self.token`, `config.api_key`, `process.env.API_KEY!`.
        return if at_word_end || matches!(next, Some(b'?' | b'!')) {
            Verdict::Code
        } else {
            Verdict::Secret
        };
    }
    if next == Some(b'>') {
        // `Stream<Token = u8>`: an associated type, inside generics.
        return Verdict::Code;
    }
    if !at_word_end {
        return Verdict::Secret;
    }
    let ident = &text[vs..head_end];
    let variable = is_keyword(ident)
        || same_name(ident, lhs.key)
        || names_a_secret(ident)
        || lhs.declaration
        || (lhs.quoted && lhs.colon)
        // `token = Name` is Python; `TOKEN=abc` is shell. A spaced `=` with a
        // digit-free identifier reads as a variable (INI files lose here).
        || (lhs.spaced_eq && !ident.bytes().any(|c| c.is_ascii_digit()))
        || matches!(next, Some(b',' | b')'))
        || (next == Some(b';') && (lhs.colon || lhs.spaced_eq));
    if variable {
        Verdict::Code
    } else {
        Verdict::Secret
    }
}

/// `head(` or `head!(` was found. Wrappers that only box a literal
/// (`Some("…")`, `String::from("…")`, `SecretString::new("…")`) still assign
/// that literal, so it is redacted; any other call computes the value.
fn wrapped_literal(text: &str, lhs: &Lhs, vs: usize, head_end: usize, arg: usize) -> Verdict {
    let head = &text[vs..head_end];
    let last = head.rsplit(['.', ':']).next().unwrap_or(head);
    let wrapper = match last {
        "Some" | "Ok" | "String" | "Secret" | "SecretString" | "SecretStr" | "SecretBytes"
        | "SecretBox" | "str" | "bytes" | "Box" | "Arc" | "Rc" => true,
        // `String::from("…")`, `SecretString::new("…")`; not `ffi.new("…")`.
        "from" | "new" => head.contains("::"),
        _ => false,
    };
    if !wrapper {
        return Verdict::Code;
    }
    let b = text.as_bytes();
    match string_literal_at(b, skip_blanks(b, arg)) {
        Some(open) => {
            let (cs, ce) = literal_content(b, open);
            if lhs.accepts_literal(&text[cs..ce]) {
                Verdict::Literal(cs, ce)
            } else {
                Verdict::Code
            }
        }
        None => Verdict::Code,
    }
}

/// End of an identifier path (`a`, `a.b`, `a::b`, `a->b`, `a?.b`, `t.0`)
/// starting at `start`, and its number of segments (0 when none starts there).
fn identifier_path_end(b: &[u8], start: usize) -> (usize, usize) {
    let is_start = |c: u8| c.is_ascii_alphabetic() || c == b'_' || c == b'$';
    let is_cont = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
    let mut j = start;
    let mut segments = 0;
    while j < b.len() && (is_start(b[j]) || (segments > 0 && b[j].is_ascii_digit())) {
        j += 1;
        while j < b.len() && is_cont(b[j]) {
            j += 1;
        }
        segments += 1;
        let rest = &b[j..];
        let sep = if rest.starts_with(b"::") || rest.starts_with(b"->") || rest.starts_with(b"?.") {
            2
        } else if rest.starts_with(b".") {
            1
        } else {
            break;
        };
        match b.get(j + sep) {
            Some(&c) if is_start(c) || c.is_ascii_digit() => j += sep,
            _ => break,
        }
    }
    (j, segments)
}

/// Values that are language keywords, null/boolean literals or type names.
pub(super) fn is_keyword(s: &str) -> bool {
    #[rustfmt::skip]
    const KEYWORDS: &[&str] = &[
        "None", "none", "null", "NULL", "Null", "nil", "Nil", "true", "false", "True", "False",
        "TRUE", "FALSE", "yes", "no", "on", "off", "Yes", "No", "On", "Off", "undefined", "NaN",
        "self", "Self", "this", "super", "crate", "new", "await", "async", "lambda", "function",
        "fn", "move", "mut", "ref", "impl", "dyn", "extern", "const", "static", "struct",
        "enum", "type", "where", "unsafe", "not", "typeof", "default", "required", "optional",
        "str", "String", "string", "bool", "boolean", "Boolean", "char", "byte", "bytes",
        "Bytes", "int", "integer", "Integer", "long", "float", "Float", "double", "number",
        "Number", "object", "Object", "any", "Any", "unknown", "void", "dict", "list", "u8",
        "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32",
        "f64",
    ];
    KEYWORDS.contains(&s)
}

/// Function words: a value made of them is a sentence, not a credential.
fn is_stopword(word: &str) -> bool {
    #[rustfmt::skip]
    const STOPWORDS: &[&str] = &[
        "the", "a", "an", "to", "of", "for", "is", "are", "be", "used", "use", "in", "with",
        "from", "this", "that", "your", "if", "or", "and", "when", "which", "will", "by", "as",
        "see", "it", "its",
    ];
    let w = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    STOPWORDS.iter().any(|s| w.eq_ignore_ascii_case(s))
}

fn is_prose(region: &str) -> bool {
    region.split_ascii_whitespace().nth(1).is_some()
        && region.split_ascii_whitespace().any(is_stopword)
}

/// Decimal, hex, octal or binary integer or decimal fraction.
fn is_number(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let radix = ["0x", "0X", "0o", "0b"]
        .iter()
        .find_map(|p| digits.strip_prefix(p));
    match radix {
        Some(r) => !r.is_empty() && r.bytes().all(|c| c.is_ascii_hexdigit() || c == b'_'),
        None => {
            digits.as_bytes().first().is_some_and(u8::is_ascii_digit)
                && digits
                    .bytes()
                    .all(|c| c.is_ascii_digit() || c == b'.' || c == b'_')
        }
    }
}

/// Numbers shorter than four characters, and decimals, are counts, limits and
/// versions; longer integers could be PINs or numeric passwords.
fn is_short_number(s: &str) -> bool {
    s.len() < 4 || s.contains('.')
}

fn is_auth_scheme(s: &str) -> bool {
    ["bearer", "basic", "token", "digest", "negotiate", "apikey"]
        .iter()
        .any(|w| s.eq_ignore_ascii_case(w))
}

/// Whether `s` consists only of template or placeholder expressions
/// (`${X}`, `$X`, `$(cmd)`, `{{ x }}`, `#{x}`, `{x}`, `%s`, `%(x)s`, `<x>`)
/// plus letters and light punctuation: such a value refers to a secret held
/// elsewhere. Digits or other symbols outside the templates count as content.
pub(in crate::evidence::redact) fn is_template_only(s: &str) -> bool {
    let b = s.as_bytes();
    let mut had_template = false;
    let mut i = 0;
    while i < b.len() {
        let skip_to = match b[i] {
            b'$' => match b.get(i + 1) {
                Some(b'{' | b'(') => closing(b, i + 1),
                Some(c) if c.is_ascii_alphanumeric() || *c == b'_' => {
                    let mut j = i + 1;
                    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                        j += 1;
                    }
                    Some(j)
                }
                _ => None,
            },
            b'{' => closing(b, i),
            b'#' if b.get(i + 1) == Some(&b'{') => closing(b, i + 1),
            b'%' => match b.get(i + 1) {
                Some(b'(') => closing(b, i + 1).map(|j| (j + 1).min(b.len())),
                Some(c) if c.is_ascii_alphabetic() => Some(i + 2),
                _ => None,
            },
            b'<' => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b"_- ".contains(&b[j])) {
                    j += 1;
                }
                (j > i + 1 && b.get(j) == Some(&b'>')).then_some(j + 1)
            }
            _ => None,
        };
        match skip_to {
            Some(j) => {
                had_template = true;
                i = j;
            }
            None if b[i].is_ascii_alphabetic() || b" \t:_./-".contains(&b[i]) => i += 1,
            None => return false,
        }
    }
    had_template
}

/// Index just past the bracket matching the one at `open` (`{` or `(`).
fn closing(b: &[u8], open: usize) -> Option<usize> {
    let (o, c) = if b[open] == b'{' {
        (b'{', b'}')
    } else {
        (b'(', b')')
    };
    let mut depth = 0usize;
    for (k, &x) in b.iter().enumerate().skip(open) {
        if x == o {
            depth += 1;
        } else if x == c {
            depth -= 1;
            if depth == 0 {
                return Some(k + 1);
            }
        }
    }
    None
}
