//! Learning from failures: failure signatures, learned rules, and what they do
//! when a gate or validator fails again.

pub mod learned;
pub mod signature;
pub(crate) mod work;

pub use learned::Learned;
pub use signature::{Signature, signature};
