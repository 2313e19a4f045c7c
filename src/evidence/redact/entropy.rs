//! High-entropy quoted strings near a secret-sounding word: the catch-all
//! for credentials whose format no rule knows.
//!
//! A quoted string of 16 to 256 characters without blanks is redacted when
//! one of the words `key`, `secret`, `token`, `password`, `passwd`, `pwd`,
//! `credential` or `auth` (any case, also inside an identifier such as
//! `apiKey` or `AUTH_HEADER`) stands on the same line within 64 bytes before
//! its opening quote, and its characters carry at least 3.5 bits of Shannon
//! entropy each. Hex is left alone: digests sit next to `key` everywhere. The
//! line is drawn against what code quotes near such words: paths and URLs,
//! templates, identifiers and sentences (see [`looks_secret`]).
//!
//! Like the format rules, the pattern is compiled only when a keyword
//! occurs, and then once per process.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use regex::Regex;

use super::assignment::is_template_only;
use super::blobs::is_wordlike;
use super::{Kind, MARKER_OPEN, Span};

const KEYWORDS: &[&str] = &[
    "key",
    "secret",
    "token",
    "password",
    "passwd",
    "pwd",
    "credential",
    "auth",
];

/// How far before the opening quote a keyword may stand.
const WINDOW: usize = 64;

static KEYWORD_FINDER: OnceLock<AhoCorasick> = OnceLock::new();
static QUOTED: OnceLock<Regex> = OnceLock::new();

fn keyword_finder() -> &'static AhoCorasick {
    KEYWORD_FINDER.get_or_init(|| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(KEYWORDS)
            .expect("a fixed list of short literals")
    })
}

fn quoted() -> &'static Regex {
    QUOTED.get_or_init(|| {
        Regex::new(r#""([^"\s\\]{16,256})"|'([^'\s\\]{16,256})'|`([^`\s\\]{16,256})`"#)
            .expect("a fixed pattern")
    })
}

/// Redacts high-entropy quoted strings that follow a keyword on their line.
pub(super) fn high_entropy_strings(text: &str, spans: &mut Vec<Span>) {
    let finder = keyword_finder();
    let keyword_ends: Vec<usize> = finder.find_iter(text).map(|m| m.end()).collect();
    if keyword_ends.is_empty() {
        return;
    }
    for caps in quoted().captures_iter(text) {
        let Some(content) = caps.get(1).or_else(|| caps.get(2)).or_else(|| caps.get(3)) else {
            continue;
        };
        let open = content.start() - 1;
        let line_start = text[..open].rfind('\n').map_or(0, |n| n + 1);
        let near = keyword_ends
            .iter()
            .any(|&end| end <= open && end >= line_start && open - end <= WINDOW);
        if near && looks_secret(content.as_str()) {
            spans.push(Span {
                start: content.start(),
                end: content.end(),
                kind: Kind::HighEntropy,
            });
        }
    }
}

/// Whether a quoted string reads as random material rather than code.
fn looks_secret(s: &str) -> bool {
    if s.contains(MARKER_OPEN)
        || s.contains("://")
        || is_template_only(s)
        || s.contains(['{', '}', '$', '%', '<', '>', '(', ')', ','])
    {
        return false;
    }
    let b = s.as_bytes();
    // Paths, dotted names, identifiers and key types (`~/.ssh/id_ed25519`,
    // `ecdsa-sha2-nistp256`): every piece reads as a word.
    let pieces_are_words = s
        .split(['/', '.', '_', '-', ':', '@', '~'])
        .filter(|p| !p.is_empty())
        .all(|p| is_wordlike(p.as_bytes()));
    if pieces_are_words {
        return false;
    }
    // Digests and ids are hex and sit next to "key" all the time
    // (`cache_key = "…"`, `key: "<sha256>"`): hex is left to the format
    // rules (which know the hex credentials by their prefixes) and to the
    // assignment rule (which knows them by the name they are assigned to).
    if b.iter().all(u8::is_ascii_hexdigit) {
        return false;
    }
    let bits = shannon(b);
    {
        let classes = [
            b.iter().any(u8::is_ascii_digit),
            b.iter().any(u8::is_ascii_uppercase),
            b.iter().any(u8::is_ascii_lowercase),
            b.iter().any(|c| !c.is_ascii_alphanumeric()),
        ]
        .into_iter()
        .filter(|&x| x)
        .count();
        classes >= 2 && bits >= 3.5
    }
}

/// Shannon entropy in bits per byte.
fn shannon(b: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for &c in b {
        counts[c as usize] += 1;
    }
    let n = b.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::super::redact;

    #[test]
    fn random_strings_near_a_keyword_go() {
        for line in [
            r#"client = Client(auth="q8Zr2LmX0vTn4KpW9sYd")"#,
            r#"const mySecretValue = 'Jk29dLq0Zx81mVn3Bw7Qp';"#,
            r#"login(user, pwd=`h7Gf2kL9mQ4xZ8vB1nR6`)"#,
            r#"{"credentials": {"value": "Zm9vYmFyLXNlY3JldC12YWx1ZQ"}}"#,
        ] {
            let out = redact(line);
            assert!(out.contains("[REDACTED:"), "{line:?} -> {out:?}");
        }
    }

    #[test]
    fn code_near_a_keyword_stays() {
        for line in [
            r#"cache_key = "e3b0c44298fc1c149afbf4c8996fb924""#,
            r#"let key = map.get("some_long_identifier_name");"#,
            r#"token_path = "/var/run/secrets/kubernetes.io/token""#,
            r#"auth_url = "https://example.com/oauth/authorize""#,
            r#"secret_name = "production-database-credentials""#,
            r#"key = format!("{prefix}:{id}:{suffix}:{more}")"#,
            r#"let token = "not a secret but a sentence here";"#,
            r#"greeting = "q8Zr2LmX0vTn4KpW9sYd""#,
        ] {
            let out = redact(line);
            assert!(
                !out.contains("[REDACTED:high-entropy]"),
                "{line:?} -> {out:?}"
            );
        }
    }
}
