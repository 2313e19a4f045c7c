//! The measurements of the `auditops` benchmark harness, one module per
//! scenario, in the order `main` runs them (see `benches/auditops.rs`).
//! Each module says what it measures, against which baseline, and why; the
//! helpers they share are in `benches/support/`.

pub mod add_profile;
pub mod append_growth;
pub mod ci_run;
pub mod daemon;
pub mod evidence_add;
pub mod fill;
pub mod findings_import;
pub mod gate_pool;
pub mod hook_tools;
pub mod patch_profile;
pub mod patch_submit;
pub mod prepush;
pub mod prepush_profile;
pub mod scaling;
pub mod verify;
