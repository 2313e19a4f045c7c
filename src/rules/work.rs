//! Rules at work: what happens when a gate or validator fails.

use super::{Learned, signature};
use crate::phase::records::GateResult;

/// The signature a failed result records (none for a pass).
pub(crate) fn learned(result: &GateResult) -> Option<Learned> {
    (!result.passed).then(|| {
        Learned::failure(signature(
            result.category,
            &result.gate,
            &result.output_tail,
        ))
    })
}
