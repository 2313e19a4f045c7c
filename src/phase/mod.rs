//! Phases and their gates: running gates against a commit's tree, recording the
//! results signed, deciding which phase is active, completing phases, and the
//! pre-push check that keeps protected refs behind the active phase's gates.

mod error;
pub(crate) mod gates;
pub(crate) mod lifecycle;
pub mod prepush;
pub mod records;
pub mod runner;
pub mod signers;
pub mod status;
pub(crate) mod summary;

pub use error::PhaseError;
