//! Cutting the evidenced lines out of a committed file, and hashing them.

use crate::ids::Sha256;
use std::fmt;
use std::str::FromStr;

/// The most characters of a snippet kept in a record.
pub const MAX_SNIPPET_CHARS: usize = 1000;

/// An inclusive, 1-based range of lines, written `A-B` (or `A` for one line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineRange {
    /// The first line, counted from 1.
    pub start: usize,
    /// The last line, included.
    pub end: usize,
}

/// A text that is not a line range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a line range like 10-20 (1-based, inclusive)")]
pub struct LineRangeError(String);

impl FromStr for LineRange {
    type Err = LineRangeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || LineRangeError(text.to_owned());
        let (start, end) = match text.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (text.trim(), text.trim()),
        };
        let start: usize = start.parse().map_err(|_| bad())?;
        let end: usize = end.parse().map_err(|_| bad())?;
        if start == 0 || end < start {
            return Err(bad());
        }
        Ok(LineRange { start, end })
    }
}

impl fmt::Display for LineRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// Why lines could not be taken from a file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnippetError {
    /// A NUL byte in the first 8000 bytes, as git decides.
    Binary,
    /// Not UTF-8 text.
    NotUtf8,
    /// The range ends after the last of `total` lines.
    OutOfRange {
        /// How many lines the file has.
        total: usize,
    },
}

/// Whether content looks binary, by git's rule: a NUL byte in the first 8000 bytes.
pub fn is_binary(content: &[u8]) -> bool {
    content.iter().take(8000).any(|b| *b == 0)
}

/// A text file split into lines once, so that many ranges can be cut from it.
/// A line's `\r` before its `\n` is not part of the line, so CRLF and LF
/// checkouts of the same file give the same snippets.
#[derive(Debug, Clone)]
pub struct Lines {
    text: String,
    spans: Vec<(usize, usize)>,
}

impl Lines {
    /// Splits `content` into lines, if it is text.
    pub fn parse(content: &[u8]) -> Result<Lines, SnippetError> {
        if is_binary(content) {
            return Err(SnippetError::Binary);
        }
        let text = std::str::from_utf8(content).map_err(|_| SnippetError::NotUtf8)?;
        let body = text.strip_suffix('\n').unwrap_or(text);
        let mut spans = Vec::new();
        if !text.is_empty() {
            let mut start = 0;
            for line in body.split('\n') {
                let end = start + line.strip_suffix('\r').unwrap_or(line).len();
                spans.push((start, end));
                start += line.len() + 1;
            }
        }
        Ok(Lines {
            text: text.to_owned(),
            spans,
        })
    }

    /// How many lines there are.
    pub fn count(&self) -> usize {
        self.spans.len()
    }

    /// Lines `range`, joined with `\n`, without a trailing newline.
    pub fn cut(&self, range: LineRange) -> Result<String, SnippetError> {
        let total = self.count();
        if range.end > total {
            return Err(SnippetError::OutOfRange { total });
        }
        let lines: Vec<&str> = self.spans[range.start - 1..range.end]
            .iter()
            .map(|(a, b)| &self.text[*a..*b])
            .collect();
        Ok(lines.join("\n"))
    }
}

/// Lines `range` of `content` (see [`Lines`]).
pub fn extract(content: &[u8], range: LineRange) -> Result<String, SnippetError> {
    Lines::parse(content)?.cut(range)
}

/// The SHA-256 of `text`, as records carry it.
pub fn sha256(text: &str) -> Sha256 {
    Sha256::of(text)
}

/// The SHA-256 of `text` in hex (for kinds whose records still hold strings).
pub fn sha256_hex(text: &str) -> String {
    sha256(text).to_hex()
}

/// The first `MAX_SNIPPET_CHARS` characters of `text`.
pub fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_SNIPPET_CHARS) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(s: &str) -> LineRange {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_parse() {
        assert_eq!(range("3-7"), LineRange { start: 3, end: 7 });
        assert_eq!(range("4"), LineRange { start: 4, end: 4 });
        assert!("0-2".parse::<LineRange>().is_err());
        assert!("5-2".parse::<LineRange>().is_err());
        assert!("a-b".parse::<LineRange>().is_err());
    }

    #[test]
    fn extracts_inclusive_lines_without_trailing_newline() {
        let content = b"one\ntwo\nthree\n";
        assert_eq!(extract(content, range("2-3")).unwrap(), "two\nthree");
        assert_eq!(extract(content, range("1")).unwrap(), "one");
    }

    #[test]
    fn crlf_and_lf_agree() {
        assert_eq!(
            extract(b"a\r\nb\r\n", range("1-2")).unwrap(),
            extract(b"a\nb\n", range("1-2")).unwrap()
        );
    }

    #[test]
    fn out_of_range_reports_the_length() {
        assert_eq!(
            extract(b"one\ntwo\n", range("2-3")),
            Err(SnippetError::OutOfRange { total: 2 })
        );
        assert_eq!(
            extract(b"", range("1")),
            Err(SnippetError::OutOfRange { total: 0 })
        );
        // A last line without a newline still counts.
        assert_eq!(extract(b"a\nb", range("2")).unwrap(), "b");
    }

    #[test]
    fn binary_is_refused() {
        assert_eq!(extract(b"a\0b", range("1")), Err(SnippetError::Binary));
    }

    #[test]
    fn sha_is_of_the_joined_lines() {
        assert_eq!(sha256("two\nthree"), Sha256::of(b"two\nthree"));
        assert_eq!(sha256_hex("two\nthree"), sha256("two\nthree").to_hex());
    }

    #[test]
    fn truncation_counts_characters() {
        let long = "é".repeat(MAX_SNIPPET_CHARS + 5);
        assert_eq!(truncate(&long).chars().count(), MAX_SNIPPET_CHARS);
    }
}
