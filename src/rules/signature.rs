//! Failure signatures: what stays the same when the same failure happens again.
//!
//! A gate or validator that fails twice for the same reason rarely prints the
//! same bytes twice: the worktree's path, the line numbers, the timings, the
//! thread ids, the hashes in build directories and the colours all move. The
//! signature is the failure's category, the check's id and the first lines
//! of its output that say what failed, with all of that noise replaced by
//! placeholders; its SHA-256 is what rules and failure rates group by.
//!
//! Pure: the same input gives the same signature on every machine and in
//! every version that keeps these rules (changing them regroups history, so
//! they change only with a documented reason).

use crate::config::Category;
use crate::ids::Sha256;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// How many lines that say what failed a signature keeps.
const KEPT_LINES: usize = 6;
/// How long one kept line may be (characters).
const LINE_CHARS: usize = 160;
/// How many of the last lines stand in when no line says what failed.
const FALLBACK_LINES: usize = 3;

/// A failure's normalized text and its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// The normalized text: `category/check` then the kept lines.
    pub text: String,
    /// SHA-256 of `text`: the signature's identity.
    pub sha256: Sha256,
}

/// The signature of a failure of check `check` (a gate or validator id) of
/// `category`, whose output ended with `tail`.
pub fn signature(category: Category, check: &str, tail: &str) -> Signature {
    let lines = kept_lines(tail);
    let mut text = format!("{category}/{check}");
    for line in &lines {
        text.push('\n');
        text.push_str(line);
    }
    Signature {
        sha256: Sha256::of(text.as_bytes()),
        text,
    }
}

/// The normalized lines that say what failed; the last lines when none does.
fn kept_lines(tail: &str) -> Vec<String> {
    let clean = ANSI.replace_all(tail, "");
    let mut lines: Vec<&str> = clean.lines().collect();
    // A tail cut at a byte count may start mid-line: that piece moves.
    if tail.len() as u64 >= crate::phase::runner::TAIL_BYTES - 4 && lines.len() > 1 {
        lines.remove(0);
    }
    let normal: Vec<String> = lines
        .iter()
        .map(|line| normalize_line(line))
        .filter(|line| !line.is_empty() && !is_noise(line))
        .collect();
    let mut kept: Vec<String> = Vec::new();
    for line in normal.iter().filter(|l| says_what_failed(l)) {
        if !kept.contains(line) {
            kept.push(line.clone());
        }
        if kept.len() == KEPT_LINES {
            break;
        }
    }
    if kept.is_empty() {
        let start = normal.len().saturating_sub(FALLBACK_LINES);
        kept = normal[start..].to_vec();
    }
    kept
}

/// One line with what varies between runs replaced, spaces collapsed.
pub(crate) fn normalize_line(line: &str) -> String {
    let mut text = ANSI.replace_all(line, "").into_owned();
    for (pattern, replacement) in REPLACEMENTS.iter() {
        let changed = match *replacement {
            "<hex>" if pattern.as_str() == HEX_RUN => {
                pattern.replace_all(&text, |caps: &regex::Captures<'_>| {
                    let run = &caps[0];
                    // Words made of the letters a-f stay words; digits alone are numbers.
                    match run.bytes().any(|b| b.is_ascii_digit())
                        && run.bytes().any(|b| b.is_ascii_alphabetic())
                    {
                        true => "<hex>".to_owned(),
                        false => run.to_owned(),
                    }
                })
            }
            _ => pattern.replace_all(&text, *replacement),
        };
        if let std::borrow::Cow::Owned(changed) = changed {
            text = changed;
        }
    }
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.chars().take(LINE_CHARS).collect()
}

/// Lines no failure is told by: progress, backtrace frames, source excerpts
/// (the code around the failure changes with every commit) and advice.
fn is_noise(line: &str) -> bool {
    NOISE.is_match(line)
}

/// Lines that say what failed.
fn says_what_failed(line: &str) -> bool {
    FAILED.is_match(line)
}

/// ANSI escape sequences: colours (CSI), charset switches, OSC links.
static ANSI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()][0-9A-Za-z])")
        .expect("valid")
});

/// A run of at least 7 hex digits: an object id, a hash in a build path.
const HEX_RUN: &str = r"(?i)\b[0-9a-f]{7,}\b";

/// What varies between runs of one failure, in the order it is replaced:
/// the specific shapes before the numbers they contain.
static REPLACEMENTS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // UUIDs.
        (
            r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
            "<uuid>",
        ),
        // Timestamps: 2026-12-02T14:30:00.123Z, 2026-12-02 14:30:00, npm's 14_30_00_000Z.
        (
            r"\b\d{4}-\d{2}-\d{2}(?:[T _]\d{2}[:_]\d{2}(?:[:_]\d{2})?(?:[.,_]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?",
            "<time>",
        ),
        (r"\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b", "<time>"),
        // Absolute paths: the directory part goes, the file name stays.
        (r#"(^|[\s('"`=\[<,])/(?:[^\s/:'"`()\[\]<>,]+/)+"#, "$1<path>/"),
        // A lone absolute directory (`rootdir: /tmp/x`).
        (r#"(^|[\s('"`=\[<,])/[^\s/:'"`()\[\]<>,]+(?:$|[\s)'"`\]>,])"#, "$1<path> "),
        // Hex addresses and object ids (with at least one digit: words stay).
        (r"(?i)\b0x[0-9a-f]+\b", "<hex>"),
        (HEX_RUN, "<hex>"),
        // Durations: 0.72s, 12ms, (0.00s), 1m30s.
        (r"\b\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)\b", "<dur>"),
        // Every other number: line and column numbers, pids, ports, counts.
        (r"\b\d+(?:\.\d+)*\b", "<n>"),
    ]
    .into_iter()
    .map(|(pattern, replacement)| (Regex::new(pattern).expect("valid"), replacement))
    .collect()
});

/// Noise, matched against normalized lines.
static NOISE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)^(?:",
        // Build progress (cargo, go).
        r"(?:compiling|checking|finished|running|downloading|downloaded|updating|locking|blocking)\s",
        // Backtrace and stack frames.
        r"|<n>: |at |stack backtrace|note: some details are omitted|note: run with `rust_backtrace",
        // Source excerpts (rustc, clippy).
        r"|<n> [|+-]|\||\^|= (?:help|note):|help: |-->",
        // Advice that repeats whatever failed.
        r"|error: aborting due to|for more information about this error",
        r"|npm error a complete log of this run|npm error$|npm error usage|npm error options",
        r")"
    ))
    .expect("valid")
});

/// A line that says what failed.
static FAILED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?:error|fail|panicked|not found|denied|no space|refused|timed out|timeout",
        r"|unreachable|could not|couldn't|cannot|can't|unable to|assert|exception|traceback",
        r"|killed|out of memory|diff in|too many requests|\b429\b|lock)"
    ))
    .expect("valid")
});

#[cfg(test)]
mod tests;
