//! Findings from real scanners: SARIF 2.1.0 from any tool becomes signed
//! `finding` records keyed by a fingerprint that survives edits, each import a
//! signed `scan` record; new findings become issues through the outbox and
//! resolved ones get the conservative auto-close (docs/findings.md).
//!
//! Why here and not in `github/`: this module only records and queues; the
//! outbox executor carries the issues out, so imports work offline.

pub mod fingerprint;
pub(crate) mod gate;
pub mod import;
pub mod issues;
pub mod read;
pub mod records;
pub mod sarif;

pub use import::{Imported, import};
pub use read::{Listed, State, list, show};
pub use records::{Counts, Coverage, Finding, FindingLocation, FindingState, Scan};
pub use sarif::{Level, SarifError};

/// Why findings cannot be imported or read.
#[derive(Debug, thiserror::Error)]
pub enum FindingsError {
    /// A file could not be read.
    #[error("cannot read SARIF file {file}")]
    Read {
        /// The file as given.
        file: String,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A file is not SARIF 2.1.0; nothing was recorded.
    #[error("{file} is not a SARIF 2.1.0 log; nothing was recorded")]
    Malformed {
        /// The file as given.
        file: String,
        /// Where and what.
        #[source]
        source: SarifError,
    },
    /// No file given.
    #[error("no SARIF file given; name one or more files, or `-` for standard input")]
    NoFiles,
    /// `findings show` found nothing under the id.
    #[error("no finding or scan `{0}`; `git auditops findings list --state all` lists them")]
    NotFound(String),
    /// The id is a prefix of several.
    #[error("`{0}` names more than one finding; give more digits")]
    Ambiguous(String),
}
