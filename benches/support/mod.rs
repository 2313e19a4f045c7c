//! Helpers of the `auditops` benchmark harness (see `benches/auditops.rs`),
//! shared by the scenarios in `benches/scenarios/`.

pub mod fastimport;
pub mod fixture;
pub mod history;
pub mod hooktools;
pub mod measure;
pub mod patches;
pub mod python;
pub mod records;
pub mod report;

/// `100000` → `100,000`.
pub fn fmt_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
