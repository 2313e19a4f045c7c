//! The outbox executor: the only module with a network client.
//!
//! `git auditops sync` (and the detached sync the pre-push hook starts) reads
//! the pending operations of the outbox (`crate::outbox`) and carries them out
//! against GitHub's REST API with octocrab, recording each outcome as a new
//! record. Everything that makes this safe to run again and again lives here:
//! the permission check before any write, the quota guard, pacing, backoff
//! with jitter, a circuit breaker that persists across runs, a timeout on
//! every call, and reconciliation by the `<!-- auditops:op=ID -->` marker so
//! that an attempt whose result was lost is found instead of repeated.
//! docs/github-sync.md describes the behaviour.

pub(crate) mod api;
pub(crate) mod auto_close;
pub(crate) mod background;
pub(crate) mod backoff;
pub(crate) mod bodies;
pub(crate) mod breaker;
pub(crate) mod client;
pub(crate) mod digest;
pub mod error;
pub(crate) mod executor;
pub(crate) mod files;
pub(crate) mod journal;
pub(crate) mod metrics;
pub(crate) mod perform;
pub mod permissions;
pub(crate) mod pull_request;
pub mod quota;
pub(crate) mod repo;
pub mod report;
pub mod sync;
pub(crate) mod token;
pub(crate) mod webhook;

pub use error::GithubError;
