//! Timestamps of records: RFC 3339 in UTC on the wire, whole seconds when made
//! here, checked when read.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A point in time as records carry it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(jiff::Timestamp);

impl Timestamp {
    /// Now, rounded to whole seconds: sub-second precision would only make
    /// records of the same moment differ.
    pub fn now() -> Self {
        let now = jiff::Timestamp::now();
        Timestamp(now.round(jiff::Unit::Second).unwrap_or(now))
    }

    /// The instant as jiff sees it, for arithmetic.
    pub fn instant(self) -> jiff::Timestamp {
        self.0
    }

    /// Seconds since the Unix epoch.
    pub fn as_second(self) -> i64 {
        self.0.as_second()
    }

    /// The timestamp at `seconds` since the Unix epoch, if representable.
    pub fn from_second(seconds: i64) -> Option<Self> {
        jiff::Timestamp::from_second(seconds).ok().map(Timestamp)
    }
}

impl From<jiff::Timestamp> for Timestamp {
    fn from(instant: jiff::Timestamp) -> Self {
        Timestamp(instant)
    }
}

impl FromStr for Timestamp {
    type Err = jiff::Error;

    fn from_str(text: &str) -> Result<Self, jiff::Error> {
        text.parse().map(Timestamp)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(|err: jiff::Error| {
            serde::de::Error::custom(format!("`{text}` is not an RFC 3339 timestamp: {err}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_in_utc_with_whole_seconds() {
        let now = Timestamp::now().to_string();
        assert!(now.ends_with('Z') && !now.contains('.'), "{now}");
        let parsed: Timestamp = serde_json::from_str("\"2026-01-01T00:00:00Z\"").unwrap();
        assert_eq!(
            serde_json::to_string(&parsed).unwrap(),
            "\"2026-01-01T00:00:00Z\""
        );
        assert_eq!(parsed.as_second(), 1_767_225_600);
    }

    #[test]
    fn offsets_are_read_as_the_same_instant() {
        let a: Timestamp = "2026-01-01T01:00:00+01:00".parse().unwrap();
        let b: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn malformed_timestamps_are_refused() {
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
        assert!(serde_json::from_str::<Timestamp>("\"2026-13-01T00:00:00Z\"").is_err());
    }
}
