//! Failure rates and alerts.
//!
//! `failures` reads the recorded gate and validator runs and gives each
//! category's failure rate over a rolling window, with a severity by the
//! `[alerts]` thresholds. Where runs are recorded (the gate runner), a
//! category that crosses a threshold gets one signed `alert` record per
//! category, window and severity, and — in the same transaction — the outbox
//! operations of the alert channels (`[alerts] issues`, `[alerts] webhook`),
//! so that a crash can leave neither an alert without its messages nor
//! messages twice. The queue-health and patch alerts go the same way.

mod channels;
mod learning;
mod raise;
mod rates;

pub use channels::{channel_ops, with_channels};
pub use learning::{Learning, learning};
pub(crate) use raise::{after_gate_run, open};
pub use rates::{CategoryRate, FailureRate, Failures, Severity, TopSignature, failures};
