//! The validity window: reading `valid-after`/`valid-before` timestamps
//! (calendar arithmetic is jiff's) and deciding whether a key is valid at a
//! given time. Kept apart because the time rules (UTC, inclusive bounds,
//! failing closed) are a policy of their own.

use super::{AllowedSigner, TimestampError};
use jiff::civil::{Date, DateTime, Time};

impl AllowedSigner {
    /// Whether the key is valid at `unix_seconds` (UTC) per `valid-after` /
    /// `valid-before`. Both bounds are inclusive, as in OpenSSH.
    ///
    /// Timestamps without a `Z` suffix are interpreted as UTC too. OpenSSH
    /// would use the verifier's local time zone, but records carry UTC times,
    /// and a verdict that changes with the machine's `TZ` (or its time zone
    /// database) would make the audit trail non-reproducible. Write the `Z` to
    /// get identical results from ssh-keygen.
    ///
    /// A timestamp that does not parse (only possible when the struct was
    /// built by hand, since [`parse`](super::parse) rejects them) makes the key invalid:
    /// failing closed is the only safe reading of a bound we cannot evaluate.
    #[must_use]
    pub fn valid_at(&self, unix_seconds: i64) -> bool {
        if let Some(after) = &self.valid_after {
            match parse_timestamp(after) {
                Ok(after) if unix_seconds >= after => {}
                _ => return false,
            }
        }
        if let Some(before) = &self.valid_before {
            match parse_timestamp(before) {
                Ok(before) if unix_seconds <= before => {}
                _ => return false,
            }
        }
        true
    }

    /// `valid-after` as unix seconds (UTC), e.g. for error messages.
    #[must_use]
    pub fn valid_after_unix(&self) -> Option<i64> {
        self.valid_after
            .as_deref()
            .and_then(|t| parse_timestamp(t).ok())
    }

    /// `valid-before` as unix seconds (UTC), e.g. for error messages.
    #[must_use]
    pub fn valid_before_unix(&self) -> Option<i64> {
        self.valid_before
            .as_deref()
            .and_then(|t| parse_timestamp(t).ok())
    }
}

/// `YYYYMMDD`, `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS`, optionally followed by `Z`
/// or `UTC` (case-insensitive, both accepted by OpenSSH), as unix seconds.
/// Always UTC; see [`AllowedSigner::valid_at`] for why.
pub(super) fn parse_timestamp(text: &str) -> Result<i64, TimestampError> {
    let len = text.len();
    let digits = if len > 1 && text.as_bytes()[len - 1].eq_ignore_ascii_case(&b'z') {
        &text[..len - 1]
    } else if len > 3 && text.as_bytes()[len - 3..].eq_ignore_ascii_case(b"utc") {
        &text[..len - 3]
    } else {
        text
    };
    if !matches!(digits.len(), 8 | 12 | 14) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TimestampError::Format);
    }
    // All ASCII digits by now, and two digits always fit an `i8` (four an
    // `i16`), so these parses cannot fail. Absent fields are 0.
    let field = |from: usize| digits.get(from..from + 2).unwrap_or("0").parse::<i8>();
    let (Ok(year), Ok(month), Ok(day), Ok(hour), Ok(minute), Ok(second)) = (
        digits[..4].parse::<i16>(),
        field(4),
        field(6),
        field(8),
        field(10),
        field(12),
    ) else {
        return Err(TimestampError::Format);
    };
    // jiff knows the calendar (month lengths, leap years) but not which field
    // to blame, so the error names the first one out of range.
    let date = Date::new(year, month, day).map_err(|_| {
        if (1..=12).contains(&month) {
            TimestampError::Day
        } else {
            TimestampError::Month
        }
    })?;
    // No leap seconds: unix time has no representation for them anyway.
    let time = Time::new(hour, minute, second, 0).map_err(|_| {
        if hour > 23 {
            TimestampError::Hour
        } else if minute > 59 {
            TimestampError::Minute
        } else {
            TimestampError::Second
        }
    })?;
    // Civil time read as UTC. The difference of two civil datetimes is used
    // rather than a `jiff::Timestamp`, whose range stops short of the end of
    // 9999-12-31 (`99991231235959Z` is a valid bound).
    Ok(DateTime::from_parts(date, time)
        .duration_since(UNIX_EPOCH)
        .as_secs())
}

/// 1970-01-01T00:00:00 as a civil datetime, for unix seconds in UTC.
const UNIX_EPOCH: DateTime = DateTime::constant(1970, 1, 1, 0, 0, 0, 0);

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::parse_timestamp;

    #[test]
    fn valid_at_boundaries_are_inclusive() {
        // 2024-01-01T00:00:00Z = 1704067200, 2024-01-02T00:00:00Z = 1704153600.
        let s = one(&format!(
            "alice valid-after=\"20240101Z\",valid-before=\"20240102000000\" ssh-ed25519 {K1}"
        ));
        assert!(!s.valid_at(1_704_067_199));
        assert!(s.valid_at(1_704_067_200));
        assert!(s.valid_at(1_704_100_000));
        assert!(s.valid_at(1_704_153_600));
        assert!(!s.valid_at(1_704_153_601));

        let open = one(&format!("alice ssh-ed25519 {K1}"));
        assert!(open.valid_at(i64::MIN));
        assert!(open.valid_at(i64::MAX));

        let after_only = one(&format!(
            "alice valid-after=\"202402291230utc\" ssh-ed25519 {K1}"
        ));
        assert!(!after_only.valid_at(1_709_209_799));
        assert!(after_only.valid_at(1_709_209_800));
        assert!(after_only.valid_at(i64::MAX));

        let before_only = one(&format!(
            "alice valid-before=\"19700101000001z\" ssh-ed25519 {K1}"
        ));
        assert!(before_only.valid_at(-5));
        assert!(before_only.valid_at(1));
        assert!(!before_only.valid_at(2));
    }

    #[test]
    fn valid_at_fails_closed_on_unparseable_bounds() {
        let mut s = one(&format!("alice ssh-ed25519 {K1}"));
        s.valid_after = Some("yesterday".to_owned());
        assert!(!s.valid_at(1_704_067_200));
        s.valid_after = None;
        s.valid_before = Some("20241301".to_owned());
        assert!(!s.valid_at(0));
    }

    #[test]
    fn civil_date_conversion() {
        let cases = [
            ("19700101", 0),
            ("20000301", 951_868_800),
            ("202402291230", 1_709_209_800),
            ("99991231235959Z", 253_402_300_799),
            ("00010101", -62_135_596_800),
            ("19000301", -2_203_891_200),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_timestamp(text), Ok(expected), "{text}");
        }
        for bad in [
            "",
            "Z",
            "2024010",
            "202401011",
            "2024-01-01",
            "20240101T",
            "20241301",
            "20240001",
            "20240230",
            "20230229",
            "19000229",
            "20240100",
            "202401012400",
            "202401012360",
            "20240101235960",
            "20240101ZZ",
            "٢٠٢٤٠١٠١",
            "2024010é",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(parse_timestamp("20000229").is_ok());
        assert!(parse_timestamp("20240229").is_ok());
    }

    #[test]
    fn error_malformed_timestamp() {
        err_at(
            &format!("a ssh-ed25519 {K1}\nalice valid-after=\"20241301\" ssh-ed25519 {K1}"),
            2,
            "month out of range",
        );
        err_at(
            &format!("alice valid-before=\"20230229Z\" ssh-ed25519 {K1}"),
            1,
            "day out of range",
        );
        err_at(
            &format!("alice valid-before=\"2024-01-01\" ssh-ed25519 {K1}"),
            1,
            "invalid valid-before time",
        );
        err_at(
            &format!("alice valid-after=\"202401012460\" ssh-ed25519 {K1}"),
            1,
            "hour out of range",
        );
        err_at(
            &format!("alice valid-after=\"20240102\",valid-before=\"20240102\" ssh-ed25519 {K1}"),
            1,
            "later than valid-after",
        );
        err_at(
            &format!("alice valid-after=\"20240101\",valid-after=\"20240102\" ssh-ed25519 {K1}"),
            1,
            "more than once",
        );
    }
}
