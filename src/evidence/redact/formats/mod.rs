//! Credential formats: provider tokens recognised by their published shape
//! (prefix, length, character set, checksum), wherever they stand in the
//! text: an assignment, a function argument, a URL, JSON, YAML, a `.env`
//! line or a line of their own.
//!
//! The patterns are `regex`es in a table ([`rules`]). Compiling all of them
//! would cost milliseconds on every `evidence add`, so they are compiled
//! lazily, one at a time, the way the well-known scanners do it: one
//! Aho-Corasick automaton over every rule's keywords (the literal pieces a
//! match cannot do without) finds which rules can match at all, and only
//! those are compiled, each once per process (`OnceLock` per rule). A
//! snippet with no `ghp_`, `xoxb-` or `AKIA` in it never pays for the
//! patterns that need them.

pub(super) mod checksum;
mod rules;

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use super::{MARKER_OPEN, Span};
use rules::{RULES, Rule};

const RULE_COUNT: usize = RULES.len();

/// Each rule's compiled pattern, built on first use.
static COMPILED: [OnceLock<Regex>; RULE_COUNT] = [const { OnceLock::new() }; RULE_COUNT];

/// The keyword automaton and, for each of its patterns, the rule it wakes.
static PREFILTER: OnceLock<(AhoCorasick, Vec<usize>)> = OnceLock::new();

fn prefilter() -> &'static (AhoCorasick, Vec<usize>) {
    PREFILTER.get_or_init(|| {
        let mut keywords = Vec::new();
        let mut owners = Vec::new();
        for (index, rule) in RULES.iter().enumerate() {
            for keyword in rule.keywords {
                keywords.push(*keyword);
                owners.push(index);
            }
        }
        let automaton = AhoCorasick::new(&keywords)
            .expect("the keyword table is a fixed list of short literals");
        (automaton, owners)
    })
}

fn compiled(index: usize) -> &'static Regex {
    COMPILED[index].get_or_init(|| {
        Regex::new(RULES[index].pattern).expect("the format table's patterns are tested")
    })
}

/// The rules that can match `text`: those whose keywords occur in it, and
/// those without keywords.
fn candidates(text: &str) -> Vec<bool> {
    let (automaton, owners) = prefilter();
    let mut wanted: Vec<bool> = RULES.iter().map(|r| r.keywords.is_empty()).collect();
    for found in automaton.find_overlapping_iter(text) {
        wanted[owners[found.pattern().as_usize()]] = true;
    }
    wanted
}

/// Finds every credential format in `text`.
pub(super) fn format_tokens(text: &str, spans: &mut Vec<Span>) {
    if text.is_empty() {
        return;
    }
    for (index, wanted) in candidates(text).into_iter().enumerate() {
        if wanted {
            apply(&RULES[index], compiled(index), text, spans);
        }
    }
}

fn apply(rule: &Rule, regex: &Regex, text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    for caps in regex.captures_iter(text) {
        let Some(found) = caps.get(rule.group) else {
            continue;
        };
        if rule.check.is_some_and(|check| !check(found.as_str())) {
            continue;
        }
        let (mut start, mut end) = (found.start(), found.end());
        if rule.word {
            while start > 0 && b[start - 1].is_ascii_alphanumeric() {
                start -= 1;
            }
            while end < b.len() && b[end].is_ascii_alphanumeric() {
                end += 1;
            }
        }
        // A marker left by an earlier pass is not a token: `[REDACTED:x]`
        // must come through a second pass unchanged.
        if inside_marker(text, start) {
            continue;
        }
        spans.push(Span {
            start,
            end,
            kind: rule.kind,
        });
    }
}

/// Whether `at` falls inside a `[REDACTED:…]` marker.
fn inside_marker(text: &str, at: usize) -> bool {
    let before = &text[..at.min(text.len())];
    match before.rfind(MARKER_OPEN) {
        Some(open) => !before[open..].contains(']'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles_and_every_keyword_is_a_literal_of_it() {
        for (index, rule) in RULES.iter().enumerate() {
            let regex = compiled(index);
            assert!(
                rule.group < regex.captures_len(),
                "rule {index} ({}) has no group {}",
                rule.pattern,
                rule.group
            );
        }
    }

    #[test]
    fn a_text_without_keywords_compiles_only_the_keywordless_rules() {
        let wanted = candidates("let x = compute(y);");
        let woken: Vec<&str> = RULES
            .iter()
            .zip(&wanted)
            .filter(|(_, w)| **w)
            .map(|(r, _)| r.pattern)
            .collect();
        assert!(
            RULES
                .iter()
                .zip(&wanted)
                .all(|(r, w)| *w == r.keywords.is_empty()),
            "woken: {woken:?}"
        );
        assert!(
            woken.len() <= 3,
            "too many rules run on every text: {woken:?}"
        );
    }
}
