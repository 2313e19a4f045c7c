//! Canonical JSON: the one byte form of every record.
//!
//! Two implementations (or two clones) that hold the same record must hold the
//! same bytes, so that record ids (SHA-256 of those bytes) agree everywhere.

use serde::Serialize;

/// Canonical JSON: object keys sorted by their UTF-8 bytes, no insignificant
/// whitespace, serde_json's string escaping, integers only.
///
/// Going through `serde_json::Value` is what sorts the keys: its map is a BTreeMap
/// as long as serde_json's `preserve_order` feature stays off (a unit test guards it).
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let value = serde_json::to_value(value).expect("records serialize to JSON without failing");
    serde_json::to_vec(&value).expect("a JSON value always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_and_compact() {
        let value = serde_json::json!({"b": 1, "a": {"z": [1, 2], "y": "x\ny"}});
        assert_eq!(
            canonical_json(&value),
            br#"{"a":{"y":"x\ny","z":[1,2]},"b":1}"#.to_vec()
        );
    }

    #[test]
    fn struct_field_order_does_not_matter() {
        #[derive(Serialize)]
        struct Late {
            zeta: u8,
            alpha: u8,
        }
        assert_eq!(
            canonical_json(&Late { zeta: 1, alpha: 2 }),
            br#"{"alpha":2,"zeta":1}"#.to_vec()
        );
    }
}
