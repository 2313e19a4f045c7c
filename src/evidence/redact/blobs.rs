//! Long base64 blobs: runs of 40+ base64 characters that look random.
//!
//! 40 is the length of an AWS secret key; shorter runs are mostly words.
//! Evidence quotes digests, commit ids, constants, paths and long identifiers
//! all the time, so runs of those shapes are spared (see [`base64_blobs`]).
//! The assignment rule reuses the shape tests to tell paths and compound
//! names from secrets.
//!
//! (The file is not named `base64`: that name is taken by the crate.)

use super::{Kind, Span};

/// Redacts runs of 40+ base64 characters (plus `=` padding) that look random.
///
/// The heuristic, in order:
/// - at least 40 characters of `[A-Za-z0-9+/]`: shorter runs are mostly
///   words, and 40 is the length of an AWS secret key;
/// - at least one digit, one upper- and one lower-case letter: this spares
///   hex digests and SHA-1 commit ids (no upper case), constants (no lower
///   case) and long identifiers without digits;
/// - not "word-like": if the run has no `+` and every `/`-separated piece is
///   lower case, all caps, or camelCase with few digit groups (see
///   [`is_wordlike`]), the run is a path or an identifier
///   (`src/main/java/com/example/v2/App`, `AbstractFactoryBean2Handler`).
///   Random base64 rarely has that shape: a capital is soon followed by
///   another one or ends a short hump, and digits are scattered. Measured on
///   random 40-character strings, fewer than 1 in 10,000 pass for a path.
pub(super) fn base64_blobs(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !is_base64_byte(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_base64_byte(b[i]) {
            i += 1;
        }
        let core_end = i;
        while i < b.len() && i - core_end < 2 && b[i] == b'=' {
            i += 1;
        }
        if core_end - start >= 40 && looks_random(&b[start..core_end]) {
            spans.push(Span {
                start,
                end: i,
                kind: Kind::Base64Blob,
            });
        }
    }
}

fn is_base64_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'+' || c == b'/'
}

pub(super) fn looks_random(run: &[u8]) -> bool {
    if !(run.iter().any(u8::is_ascii_digit)
        && run.iter().any(u8::is_ascii_uppercase)
        && run.iter().any(u8::is_ascii_lowercase))
    {
        return false;
    }
    if run.contains(&b'+') {
        return true;
    }
    !run.split(|&c| c == b'/')
        .filter(|piece| !piece.is_empty())
        .all(is_wordlike)
}

/// Lower case (a word, a hex digest), all caps, or camelCase with an
/// optional leading acronym (`HTTPServer2Config`), humps averaging at least
/// 2.5 characters and at most two groups of digits.
pub(super) fn is_wordlike(piece: &[u8]) -> bool {
    let upper = piece.iter().any(u8::is_ascii_uppercase);
    let lower = piece.iter().any(u8::is_ascii_lowercase);
    if !upper || !lower {
        return true;
    }
    let digit_groups = piece
        .iter()
        .enumerate()
        .filter(|&(k, c)| c.is_ascii_digit() && (k == 0 || !piece[k - 1].is_ascii_digit()))
        .count();
    if digit_groups > 2 {
        return false;
    }
    let acronym = piece.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let (mut humps, rest) = match acronym {
        0 => (1, 0),
        1 => (0, 0),
        // The acronym's last capital starts the next hump (`HTTPServer`).
        n if piece.get(n).is_some_and(u8::is_ascii_lowercase) => (1, n - 1),
        n => (1, n),
    };
    for (k, &c) in piece.iter().enumerate().skip(rest) {
        if c.is_ascii_uppercase() {
            match piece.get(k + 1) {
                Some(n) if n.is_ascii_lowercase() || n.is_ascii_digit() => humps += 1,
                _ => return false,
            }
        }
    }
    2 * piece.len() >= 5 * humps
}
