//! Assignments to secret-sounding names: the value in `password = "x"`,
//! `"apiKey": "x"`, `DB_PASSWORD=x`, `<password>x</password>` and the like.
//!
//! The one rule that reads context, and so the one that draws its line in the
//! most places. How strongly the key names a credential ([`names`]) decides
//! how much a literal has to look like a secret; whether the value is a
//! literal or code ([`values`]) decides whether there is a literal at all;
//! [`syntax`] finds the key, the separator and string literals. This file
//! holds the scan: it visits every separator, gathers what precedes it into
//! an [`Lhs`], and reads the other rules' findings as the markers they will
//! become ([`Opaque`]), so that a second pass sees the same context.

mod names;
mod syntax;
mod values;

use std::borrow::Cow;

use super::{Kind, MARKER_OPEN, Span, floor_char_boundary};
use names::{KeyName, key_name};
use syntax::{
    is_key_byte, key_before, literal_content, separator_at, skip_blanks, string_literal_at,
    typed_declaration,
};
pub(super) use values::is_template_only;
use values::{accepts, quoted_is_secret, unquoted_value};
/// Redacts the value assigned to a key whose name suggests a credential:
/// `password = "x"`, `"apiKey": "x"`, `DB_PASSWORD=x`, `token := "x"`,
/// `'secret' => 'x'`, `const API_KEY: &str = "x"`, `<password>x</password>`.
/// Key and separator stay, so the evidence still shows what was configured.
///
/// The scan visits every `=`, `:` and `>` rather than using a regex, because
/// deciding whether the right-hand side is a literal or code needs context on
/// both sides of the separator. How strong the key name is decides how much
/// a literal has to look like a secret (see [`key_name`] and [`KeyName`]).
///
/// - Quoted values are literals and are redacted unless they are empty,
///   pure templates (`"${TOKEN}"`, `f"Bearer {token}"`), a bare auth scheme
///   (`"Bearer "`), an endpoint URL, or the *name* of a secret
///   (`"GITHUB_TOKEN"`, `"X-Api-Key"`, `"access_token"`).
/// - Unquoted values are redacted unless they read as code: a call, index,
///   generic or macro (`getenv(…)`, `os.environ[…]`, `Option<…>`, `env!(…)`),
///   a field path (`self.token`, `args.key`), a file path or URL, a keyword
///   or type (`None`, `String`, `&str`, `impl …`), a number in a declaration
///   or a short one, a variable named like the key or like a secret
///   (`token=token`, `key: api_key`), or a bare identifier in a declaration,
///   dict literal, argument list, generic or statement (`let k = v;`,
///   `{"token": tok}`, `f(token=tok, …)`, `token = Name`). A literal wrapped
///   in `Some("…")`, `String::from("…")` and similar is redacted inside the
///   call.
/// - A key at the start of a line (YAML, `.env`, INI) owns the rest of the
///   line minus a trailing comment, since such values may contain spaces.
/// - A plain word followed by a sentence is prose, not a value
///   (`# Keep Authorization: headers on a redirect.`, a docstring's
///   `api_key: The key used to …`).
/// - A key inside a string whose closing quote follows the separator
///   (`prompt("Password: ")`) is prose, not an assignment.
pub(super) fn assignments(text: &str, others: &[Span], spans: &mut Vec<Span>) {
    let opaque = Opaque::new(others);
    let b = text.as_bytes();
    let mut line = Line {
        begin: 0,
        open: [false; 3],
    };
    let mut next_range = 0;
    for (i, &c) in b.iter().enumerate() {
        // Text inside other findings is a marker to a second pass: no
        // separators, quotes or line breaks.
        while opaque.0.get(next_range).is_some_and(|&(_, end)| end <= i) {
            next_range += 1;
        }
        if opaque
            .0
            .get(next_range)
            .is_some_and(|&(start, _)| start <= i)
        {
            continue;
        }
        let found = match c {
            b'\n' => {
                line = Line {
                    begin: i + 1,
                    open: [false; 3],
                };
                None
            }
            b'"' | b'\'' | b'`' => {
                if is_delimiter(b, &opaque, i) {
                    line.open[quote_index(c)] ^= true;
                }
                None
            }
            b'=' | b':' => assignment_at(text, &opaque, &line, i),
            b'>' => xml_element_at(text, &opaque, i),
            _ => None,
        };
        spans.extend(found);
    }
}

/// The line being scanned: where it starts, and which kinds of quote are
/// open at the scan position.
struct Line {
    begin: usize,
    open: [bool; 3],
}

fn quote_index(q: u8) -> usize {
    match q {
        b'"' => 0,
        b'\'' => 1,
        _ => 2,
    }
}

/// Whether the quote at `k` opens or closes a string: not escaped, and for
/// `'` not an apostrophe between letters (`don't`). Neighbours inside opaque
/// ranges count as the brackets of the marker they become.
fn is_delimiter(b: &[u8], opaque: &Opaque, k: usize) -> bool {
    let neighbour = |at: Option<usize>, bracket: u8| {
        at.filter(|&a| a < b.len()).map(|a| {
            if opaque.overlapping(a, a + 1).is_empty() {
                b[a]
            } else {
                bracket
            }
        })
    };
    let prev = neighbour(k.checked_sub(1), b']');
    let next = neighbour(Some(k + 1), b'[');
    let apostrophe = b[k] == b'\''
        && prev.is_some_and(|c| c.is_ascii_alphanumeric())
        && next.is_some_and(|c| c.is_ascii_alphanumeric());
    prev != Some(b'\\') && !apostrophe
}

/// The other rules' findings as sorted, disjoint ranges: text that a second
/// pass will see as markers.
struct Opaque(Vec<(usize, usize)>);

impl Opaque {
    fn new(spans: &[Span]) -> Self {
        let mut ranges: Vec<(usize, usize)> = spans.iter().map(|s| (s.start, s.end)).collect();
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
        for (start, end) in ranges {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        Opaque(merged)
    }

    /// The ranges that overlap `lo..hi`, in order.
    fn overlapping(&self, lo: usize, hi: usize) -> &[(usize, usize)] {
        let first = self.0.partition_point(|&(_, end)| end <= lo);
        let last = self.0.partition_point(|&(start, _)| start < hi);
        &self.0[first..last.max(first)]
    }
}

/// `<password>hunter2</password>` (Maven `settings.xml`, .NET config): the
/// element's text, judged like a quoted value.
fn xml_element_at(text: &str, opaque: &Opaque, i: usize) -> Option<Span> {
    let b = text.as_bytes();
    let mut k = i;
    while k > 0 && is_key_byte(b[k - 1]) {
        k -= 1;
    }
    if k == i || k == 0 || b[k - 1] != b'<' {
        return None;
    }
    let key = &text[k..i];
    let name = key_name(key)?;
    let start = i + 1;
    let end = start + b[start..].iter().position(|&c| c == b'<' || c == b'\n')?;
    let closes = b[end..].starts_with(b"</") && b[end + 2..].starts_with(key.as_bytes());
    let content = &text[start..end];
    let touches_marker = !opaque.overlapping(k, i).is_empty();
    (closes && !touches_marker && quoted_is_secret(content, key) && accepts(name, content))
        .then_some(Span {
            start,
            end,
            kind: Kind::Assignment,
        })
}

/// Everything the value heuristics need to know about the left-hand side.
struct Lhs<'a> {
    key: &'a str,
    opaque: &'a Opaque,
    name: KeyName,
    /// `"password": …`, `['token'] = …`: keys of dict literals and maps.
    quoted: bool,
    /// The separator is a plain `:` (YAML, JSON, struct fields, types).
    colon: bool,
    /// `token = x` rather than `TOKEN=x`: code style, not shell style.
    spaced_eq: bool,
    /// `const KEY: u32 = …`: the separator followed a type annotation.
    typed: bool,
    /// Only indentation, `- ` or `export ` precede the key on its line.
    line_start: bool,
    /// A keyword such as `let` or `const` precedes the key.
    declaration: bool,
}

impl Lhs<'_> {
    fn accepts_literal(&self, content: &str) -> bool {
        quoted_is_secret(content, self.key) && self.accepts_value(content)
    }

    fn accepts_value(&self, value: &str) -> bool {
        accepts(self.name, value)
    }
}

/// Words that declare the name after them; a bare identifier assigned there
/// is a variable (`let token = tok;`). Only keywords count, never other
/// words: a word that is itself redacted must not change how a second pass
/// reads the line.
const DECLARATION_KEYWORDS: &[&str] = &[
    "let", "mut", "const", "var", "val", "auto", "final", "static", "my", "our", "trait", "type",
    "impl",
];

/// `line` describes the line holding `i` up to `i`.
fn assignment_at(text: &str, opaque: &Opaque, line: &Line, i: usize) -> Option<Span> {
    let b = text.as_bytes();
    if !opaque.overlapping(i, i + 1).is_empty() {
        return None;
    }
    let (sep_start, mut value_start, mut colon) = separator_at(b, i)?;
    let (mut key_start, key_end, mut quoted, spaced) = key_before(b, sep_start)?;
    // The key cannot reach into a marker-to-be.
    let mut clamped = false;
    if let Some(&(_, end)) = opaque.overlapping(key_start, key_end).last() {
        if end >= key_end {
            return None;
        }
        key_start = end;
        quoted = false;
        clamped = true;
        while key_start < key_end && matches!(b[key_start], b'-' | b'.') {
            key_start += 1;
        }
        if key_start == key_end {
            return None;
        }
    }
    if colon && spaced && !quoted {
        // `a ? key : b`, `x[key : n]`, labels: not key-value syntax.
        return None;
    }
    if colon && !clamped && key_start > 0 && b[key_start - 1] == b':' {
        // `urn:ietf:params:oauth:…`: a colon-separated name, not a key.
        return None;
    }
    let key = &text[key_start..key_end];
    // In `self.api_key` or `db.password` the last segment names the value.
    let name = key_name(key.rsplit('.').next().unwrap_or(key))?;
    let mut spaced_eq = !colon && i > 0 && b[i - 1] == b' ';
    let mut typed = false;
    if colon && let Some(after_eq) = typed_declaration(text, opaque, value_start) {
        // `const API_KEY: &str = "…"`: the value follows the `=`.
        value_start = after_eq;
        colon = false;
        spaced_eq = true;
        typed = true;
    }
    // What precedes the key on its line. Only the last few dozen bytes are
    // looked at, so that a long minified line costs linear time.
    let lhs_start = key_start - usize::from(quoted);
    let mut window = floor_char_boundary(text, lhs_start.saturating_sub(64)).max(line.begin);
    if let Some(&(start, _)) = opaque.overlapping(window, window + 1).first() {
        window = start.max(line.begin);
    }
    // Deep indentation is not a truncated line.
    let truncated = window > line.begin
        && !b[line.begin..window]
            .iter()
            .all(|&c| c == b' ' || c == b'\t');
    let outer = as_markers(text, opaque, window, lhs_start);
    let head = outer.trim_end_matches(['"', '\'', '`', '[']).trim_end();
    let word_start = head.rfind([' ', '\t']).map_or(0, |p| p + 1);
    let last_word = if truncated && word_start == 0 {
        ""
    } else {
        &head[word_start..]
    };
    let doc_field = last_word
        .strip_prefix([':', '@'])
        .is_some_and(|w| !w.is_empty() && w.bytes().all(|c| c.is_ascii_lowercase()));
    if doc_field {
        // `:param token: …`, `@param key …`: documentation fields.
        return None;
    }
    let lhs = Lhs {
        key,
        opaque,
        name,
        quoted,
        colon,
        spaced_eq,
        typed,
        line_start: !truncated && matches!(head.trim_start(), "" | "-" | "export"),
        declaration: DECLARATION_KEYWORDS.contains(&last_word),
    };

    let vs = skip_blanks(b, value_start);
    if vs >= b.len() || matches!(b[vs], b'\n' | b'\r') || text[vs..].starts_with(MARKER_OPEN) {
        return None;
    }
    let closes_string = matches!(b[vs], b'"' | b'\'' | b'`') && {
        let q = b[vs];
        let mut open = line.open[quote_index(q)];
        for k in lhs_start..i {
            if b[k] == q && is_delimiter(b, opaque, k) {
                open = !open;
            }
        }
        open
    };
    if closes_string {
        // `prompt("Password: ")`: the quote closes the string the key is in.
        return None;
    }
    let (start, end) = match string_literal_at(b, vs) {
        Some(open) => {
            let (cs, ce) = literal_content(b, open);
            if !lhs.accepts_literal(&text[cs..ce]) {
                return None;
            }
            (cs, ce)
        }
        None => unquoted_value(text, &lhs, vs)?,
    };
    let lower = key.to_ascii_lowercase();
    let kind = if lower.contains("aws") && lower.contains("secret") {
        Kind::AwsSecretKey
    } else {
        Kind::Assignment
    };
    Some(Span { start, end, kind })
}

/// `text[begin..end]` with opaque ranges shown as markers, as a second pass
/// would see it.
fn as_markers<'t>(text: &'t str, opaque: &Opaque, begin: usize, end: usize) -> Cow<'t, str> {
    let inside = opaque.overlapping(begin, end);
    if inside.is_empty() {
        return Cow::Borrowed(&text[begin..end]);
    }
    let mut out = String::new();
    let mut pos = begin;
    for &(start, stop) in inside {
        out.push_str(&text[pos..start.max(pos)]);
        out.push_str("[REDACTED:x]");
        pos = stop;
    }
    if pos < end {
        out.push_str(&text[pos..end]);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use crate::evidence::redact::redact;

    #[test]
    fn unicode_input_is_handled() {
        let text = "password = \"pässwörd✓\" // ключ\ntoken: 秘密の値";
        let expected = "password = \"[REDACTED:assignment]\" // ключ\ntoken: [REDACTED:assignment]";
        assert_eq!(redact(text), expected);
    }
}
