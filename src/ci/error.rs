//! Why a CI command could not do its work.

/// Errors of `ci run`, `ci check-push` and `ci init`.
#[derive(Debug, thiserror::Error)]
pub enum CiError {
    /// `--gate` names a gate the phase does not have.
    #[error(
        "phase {phase} has no gate `{gate}` (its gates: {known}); run `git auditops phase status` to see them"
    )]
    UnknownGate {
        /// The phase.
        phase: u32,
        /// The gate asked for.
        gate: String,
        /// The phase's gates.
        known: String,
    },
    /// The remote's state failed verification, so nothing was merged.
    #[error(
        "the state pulled from {remote} failed verification ({failures} record(s)); nothing was merged. Run `git auditops state pull {remote}` to see which"
    )]
    PullRefused {
        /// The remote.
        remote: String,
        /// How many records failed.
        failures: usize,
    },
    /// Other runners kept pushing first.
    #[error(
        "the state could not be pushed to {remote} after {attempts} attempts (other runners kept pushing first); the results are recorded here: run `git auditops state pull {remote} && git auditops state push {remote}` again"
    )]
    PushRetriesExhausted {
        /// The remote.
        remote: String,
        /// How many pushes were tried.
        attempts: u32,
    },
    /// `--before` or `--after` is not a full commit id.
    #[error("{what} `{value}` is not a full commit id (40 hex digits; 40 zeros for none)")]
    BadSha {
        /// Which argument.
        what: &'static str,
        /// What was given.
        value: String,
    },
    /// `ci init` would replace a workflow.
    #[error("{} already exists; not replacing it (pass --force to overwrite it)", path.display())]
    WorkflowExists {
        /// The file.
        path: std::path::PathBuf,
    },
    /// `ci init` in a bare repository.
    #[error("this repository has no work tree to write the workflow into")]
    NoWorkTree,
    /// `ci init --matrix` for a phase without gates.
    #[error("phase {phase} has no gates to make a matrix of; leave out --matrix")]
    NoGatesForMatrix {
        /// The active phase.
        phase: u32,
    },
    /// `ci init` without a CI system.
    #[error(
        "say which CI system: --github (the only template so far; docs/ci.md has a plain shell example for others)"
    )]
    NoSystem,
}
