//! Phases and their gates: running gates against a commit's tree, recording the
//! results signed, deciding which phase is active, completing phases, and the
//! pre-push check that keeps protected refs behind the active phase's gates.

pub mod gates;
pub mod lifecycle;
pub mod prepush;
pub mod records;
pub mod runner;
pub mod status;
