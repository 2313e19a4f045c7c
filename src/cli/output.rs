//! Printing: one JSON document on stdout for `--json`, text otherwise.

use serde::Serialize;

pub fn json<T: Serialize + ?Sized>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("output serializes")
    );
}
