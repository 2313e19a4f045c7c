//! Where records live in the state tree: logs split into bounded segments.
//!
//! A log `L` holds its records in segment files `L/<group>/<segment>.jsonl`, where
//! segment `s` (counting from 0) holds records `s*SEGMENT_RECORDS ..` and sits in
//! group `s / SEGMENTS_PER_GROUP`. Every segment but the last is full. An append
//! therefore rewrites one segment blob of at most `SEGMENT_RECORDS` lines plus the
//! three trees above it, whatever the size of the history.

/// Records per segment. Part of format version 1: changing it changes merged trees.
pub const SEGMENT_RECORDS: usize = 32;
/// Segments per group directory. Part of format version 1.
pub const SEGMENTS_PER_GROUP: u64 = 256;

/// The file holding format version of the tree.
pub(crate) const VERSION_FILE: &str = "VERSION";

/// Top-level names that are not logs.
pub(crate) fn is_reserved(name: &str) -> bool {
    name == VERSION_FILE || name == super::index::INDEX_DIR || name == super::kept::KEPT_DIR
}

/// Log names are lowercase words with `-`/`_`, so they stay valid path components.
pub(crate) fn is_valid_log_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && !is_reserved(name)
}

pub(crate) fn group_name(segment: u64) -> String {
    format!("{:05}", segment / SEGMENTS_PER_GROUP)
}

pub(crate) fn segment_file_name(segment: u64) -> String {
    format!("{segment:08}.jsonl")
}

/// The path of segment `segment` of `log` in the state's tree.
pub fn segment_path(log: &str, segment: u64) -> String {
    format!(
        "{log}/{}/{}",
        group_name(segment),
        segment_file_name(segment)
    )
}

/// The segment number of a file name, if the name is one this layout produces.
pub(crate) fn parse_segment_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".jsonl")?;
    if digits.len() < 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The group number of a directory name, if the name is one this layout produces.
pub(crate) fn parse_group_name(name: &str) -> Option<u64> {
    if name.len() < 5 || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse().ok()
}

/// Splits a segment's bytes into its lines (each stored line ends in `\n`).
pub fn lines(segment: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', segment)
        .chain((!segment.ends_with(b"\n")).then_some(segment.len()))
        .map(move |end| {
            let line = &segment[start..end];
            start = end + 1;
            line
        })
        .filter(|line| !line.is_empty())
}

/// The records a segment holds: its newlines.
pub fn count_lines(segment: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', segment).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_skip_empty_ones_and_need_no_final_newline() {
        fn split(s: &[u8]) -> Vec<&[u8]> {
            lines(s).collect()
        }
        assert_eq!(split(b"a\n\nbc\n"), vec![&b"a"[..], b"bc"]);
        assert_eq!(split(b"a\nbc"), vec![&b"a"[..], b"bc"]);
        assert!(split(b"").is_empty());
        assert!(split(b"\n").is_empty());
        assert_eq!(count_lines(b"a\nb\n"), 2);
    }

    #[test]
    fn paths_sort_in_segment_order() {
        let a = segment_path("evidence", 255);
        let b = segment_path("evidence", 256);
        let c = segment_path("evidence", 99_999);
        assert_eq!(a, "evidence/00000/00000255.jsonl");
        assert_eq!(b, "evidence/00001/00000256.jsonl");
        assert!(a < b && b < c);
    }

    #[test]
    fn names_round_trip() {
        for s in [0, 1, 255, 256, 70_000] {
            assert_eq!(parse_segment_file_name(&segment_file_name(s)), Some(s));
            assert_eq!(
                parse_group_name(&group_name(s)),
                Some(s / SEGMENTS_PER_GROUP)
            );
        }
        assert_eq!(parse_segment_file_name("1.jsonl"), None);
        assert_eq!(parse_segment_file_name("0000000a.jsonl"), None);
        assert_eq!(parse_group_name("../x"), None);
    }

    #[test]
    fn log_names() {
        assert!(is_valid_log_name("evidence"));
        assert!(is_valid_log_name("gate-results"));
        assert!(!is_valid_log_name("VERSION"));
        assert!(!is_valid_log_name("kept"));
        assert!(!is_valid_log_name("a/b"));
        assert!(!is_valid_log_name(""));
    }
}
