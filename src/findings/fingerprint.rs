//! Fingerprints that survive edits: what makes a result the same finding in
//! the next scan, even when lines were added above it.
//!
//! The rule (docs/findings.md): when the tool gives `partialFingerprints`, the
//! fingerprint is the SHA-256 of the tool, the rule and those values (sorted by
//! name). Otherwise it is the SHA-256 of the tool, the rule, the path and the
//! text of the result's region read from the scanned commit with whitespace
//! normalized (the tool's snippet, then its message, when the file or the lines
//! cannot be read). Never a line number. When the same content occurs more than
//! once in a file, the second and later ones get an occurrence number.

use crate::ids::Sha256;
use std::collections::BTreeMap;
use std::collections::HashMap;

const DOMAIN: &str = "auditops-finding-v1";

/// `text` with every run of whitespace made one space, trimmed.
pub fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The fingerprint from the tool's own `partialFingerprints`.
pub fn from_partial(tool: &str, rule: &str, partial: &BTreeMap<String, String>) -> Sha256 {
    let mut text = format!("{DOMAIN}\0partial\0{}\0{rule}\0", tool.to_lowercase());
    for (name, value) in partial {
        text.push_str(name);
        text.push('=');
        text.push_str(value);
        text.push('\n');
    }
    Sha256::of(text)
}

/// The fingerprint from the region's content.
pub fn from_content(tool: &str, rule: &str, path: &str, region_text: &str) -> Sha256 {
    Sha256::of(format!(
        "{DOMAIN}\0content\0{}\0{rule}\0{path}\0{}",
        tool.to_lowercase(),
        normalize(region_text)
    ))
}

/// Counts repeats of a fingerprint within one scan, so that two identical
/// results in one file stay two findings.
#[derive(Default)]
pub struct Occurrences {
    seen: HashMap<Sha256, u32>,
}

impl Occurrences {
    /// `base` for its first occurrence, then a fingerprint derived from it and
    /// the occurrence number.
    pub fn next(&mut self, base: Sha256) -> Sha256 {
        let count = self.seen.entry(base).or_insert(0);
        *count += 1;
        match *count {
            1 => base,
            n => Sha256::of(format!("{}\0{n}", base.to_hex())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ignores_spacing_and_never_sees_lines() {
        let a = from_content("bandit", "B101", "app.py", "    assert x,  \"y\"\n");
        let b = from_content("Bandit", "B101", "app.py", "assert x, \"y\"");
        assert_eq!(a, b);
        assert_ne!(
            a,
            from_content("bandit", "B101", "other.py", "assert x, \"y\"")
        );
        assert_ne!(
            a,
            from_content("bandit", "B102", "app.py", "assert x, \"y\"")
        );
    }

    #[test]
    fn repeats_stay_distinct() {
        let mut seen = Occurrences::default();
        let base = from_content("t", "r", "p", "x");
        let first = seen.next(base);
        let second = seen.next(base);
        assert_eq!(first, base);
        assert_ne!(second, base);
        let mut again = Occurrences::default();
        assert_eq!(again.next(base), first);
        assert_eq!(again.next(base), second);
    }

    #[test]
    fn partial_fingerprints_are_order_free() {
        let a = BTreeMap::from([
            ("b".to_owned(), "2".to_owned()),
            ("a".to_owned(), "1".to_owned()),
        ]);
        let b = BTreeMap::from([
            ("a".to_owned(), "1".to_owned()),
            ("b".to_owned(), "2".to_owned()),
        ]);
        assert_eq!(from_partial("t", "r", &a), from_partial("t", "r", &b));
    }
}
