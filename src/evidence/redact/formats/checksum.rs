//! Tests a format rule applies to what its pattern matched: the checksum of
//! GitHub's (and npm's) token format, and the plausibility of a bearer token.
//!
//! GitHub's tokens since 2021 end in a checksum: the last six characters are
//! the CRC32 of the thirty random characters before them, written in base62
//! (digits, then upper, then lower case) and left-padded with `0`. A prefixed
//! token is redacted whatever its checksum says (a token with a bad checksum
//! is not a live token, but test data and placeholders in that format are
//! better gone than argued about); the checksum is what lets a token *body*
//! be recognised without its prefix, since a random 36-character word passes
//! it with odds of one in 2^32.

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The six-character base62 encoding of `crc`, left-padded with `0`.
pub(in crate::evidence::redact) fn base62_crc(crc: u32) -> [u8; 6] {
    let mut out = [b'0'; 6];
    let mut n = crc;
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// Whether the 36-character `body` ends in the base62 CRC32 of its first 30.
pub(super) fn github_body_checksum_holds(body: &str) -> bool {
    let b = body.as_bytes();
    if b.len() != 36 {
        return false;
    }
    let (random, sum) = b.split_at(30);
    // Every base62 word of six characters holds a value below 62^6, which
    // is more than 2^32: compare encodings rather than decode.
    base62_crc(crc32fast::hash(random)) == sum
}

/// Real bearer tokens contain digits or are long mixed-case strings; English
/// words after "Bearer" in comments and docs are neither.
pub(super) fn plausible_bearer(token: &str) -> bool {
    let token = token.trim_end_matches('=').as_bytes();
    token.len() >= 8
        && (token.iter().any(u8::is_ascii_digit)
            || (token.len() >= 16
                && token.iter().any(u8::is_ascii_uppercase)
                && token.iter().any(u8::is_ascii_lowercase)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base62_pads_and_orders_digits_upper_lower() {
        assert_eq!(&base62_crc(0), b"000000");
        assert_eq!(&base62_crc(61), b"00000z");
        assert_eq!(&base62_crc(62), b"000010");
        assert_eq!(&base62_crc(36), b"00000a");
        assert_eq!(&base62_crc(10), b"00000A");
    }

    #[test]
    fn checksum_accepts_its_own_and_refuses_a_changed_body() {
        let random = "FAKE0123456789abcdefFAKE012345";
        let sum = base62_crc(crc32fast::hash(random.as_bytes()));
        let body = format!("{random}{}", std::str::from_utf8(&sum).unwrap());
        assert!(github_body_checksum_holds(&body));
        let changed = body.replacen('F', "G", 1);
        assert!(!github_body_checksum_holds(&changed));
        assert!(!github_body_checksum_holds(&body[1..]));
    }

    #[test]
    fn crc32_is_the_ieee_polynomial() {
        // The check value every CRC-32/ISO-HDLC implementation agrees on.
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
    }
}
