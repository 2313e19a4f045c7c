//! Durations as people write them in config: `90s`, `10m`, `1h30m`, `72h`.

use serde::{Deserialize, Deserializer};
use std::time::Duration;

/// A duration read from `.auditops.toml`: parsed when the config is loaded, so
/// a bad value is an error naming its line, and users of the config get a
/// [`Duration`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Setting(pub Duration);

impl Setting {
    /// A default, stated in the config module next to its key.
    pub const fn secs(secs: u64) -> Self {
        Setting(Duration::from_secs(secs))
    }
}

impl<'de> Deserialize<'de> for Setting {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse(&text).map(Setting).map_err(serde::de::Error::custom)
    }
}

/// Why a text is not a duration setting. The config loader shows the message
/// next to the file, line and key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not `<number><unit>` terms, or too large.
    #[error("`{text}` is not a duration like 90s, 10m, 1h30m or 72h")]
    Malformed {
        /// The text as given.
        text: String,
    },
    /// Well formed, but zero: every duration setting must be positive.
    #[error("`{text}` is zero; give a positive duration")]
    Zero {
        /// The text, trimmed.
        text: String,
    },
}

/// Parses `<number><unit>` terms (units `ms`, `s`, `m`, `h`, `d`), e.g. `1h30m`.
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let bad = || DurationError::Malformed {
        text: text.to_owned(),
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let value: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            "d" => Duration::from_secs(86_400),
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        let term = unit
            .checked_mul(u32::try_from(value).map_err(|_| bad())?)
            .ok_or_else(bad)?;
        total = total.checked_add(term).ok_or_else(bad)?;
    }
    if total.is_zero() {
        return Err(DurationError::Zero {
            text: text.to_owned(),
        });
    }
    Ok(total)
}

/// The compact form: `1h30m`, `45s`, `250ms`.
pub fn format(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = duration.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out += &format!("{h}h");
    }
    if m > 0 {
        out += &format!("{m}m");
    }
    if s > 0 || out.is_empty() {
        out += &format!("{s}s");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_sums() {
        assert_eq!(parse("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("72h").unwrap(), Duration::from_secs(72 * 3600));
        assert_eq!(parse("250ms").unwrap(), Duration::from_millis(250));
    }

    #[test]
    fn rejects_nonsense() {
        for bad in ["", "10", "m", "10x", "1.5h", "0s", "-1s", "10 m"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn messages_name_the_text() {
        assert_eq!(
            parse(" 10x").unwrap_err().to_string(),
            "` 10x` is not a duration like 90s, 10m, 1h30m or 72h"
        );
        assert_eq!(
            parse(" 0s ").unwrap_err().to_string(),
            "`0s` is zero; give a positive duration"
        );
    }

    #[test]
    fn formats_compactly() {
        assert_eq!(format(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format(Duration::from_millis(1500)), "1s");
        assert_eq!(format(Duration::from_millis(20)), "20ms");
    }
}
