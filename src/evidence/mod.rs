//! Evidence: signed records that quote lines of a committed file.
//!
//! The lines are always read from a commit (never the working tree), hashed
//! before redaction so anyone can recompute the hash from git, and stored with
//! probable secrets redacted.

mod known;
pub mod record;
mod redact;
pub mod snippet;

pub use redact::redact;
pub use snippet::{LineRange, LineRangeError};

use crate::git::{self, Committed};
use crate::ids::{CommitId, Sha256};
use crate::sign::{Statement, Subject};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use snippet::SnippetError;

/// The predicate type of evidence statements.
pub const PREDICATE_TYPE: &str = "https://auditops.dev/evidence/v1";
/// The version of the evidence predicate this tool writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// The evidence predicate, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The id people use (`--id`, or `EV-<phase>-<hash>`).
    pub evidence_id: String,
    /// The phase the evidence belongs to.
    pub phase: u32,
    /// Repository-relative path of the quoted file.
    pub file: String,
    /// `A-B`, 1-based and inclusive.
    pub lines: String,
    /// What the lines show.
    pub description: String,
    /// The lines, with probable secrets redacted, at most 1000 characters.
    pub code_snippet: String,
    /// SHA-256 of the lines joined with `\n`, before redaction.
    pub sha256: Sha256,
    /// When it was recorded.
    pub timestamp: Timestamp,
    /// The commit the lines were read from.
    pub git_commit: CommitId,
}

/// Why evidence could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// The file is not in the commit.
    #[error(
        "`{file}` does not exist at {rev} (evidence is read from commits; commit the file first)"
    )]
    FileMissing {
        /// The path asked for.
        file: String,
        /// The revision asked for.
        rev: String,
    },
    /// A directory, symlink or submodule.
    #[error("`{file}` at {rev} is not a regular file")]
    NotAFile {
        /// The path asked for.
        file: String,
        /// The revision asked for.
        rev: String,
    },
    /// The file is binary.
    #[error("`{file}` at {rev} is a binary file; evidence quotes text lines")]
    Binary {
        /// The path asked for.
        file: String,
        /// The revision asked for.
        rev: String,
    },
    /// The file is not UTF-8.
    #[error("`{file}` at {rev} is not UTF-8 text")]
    NotUtf8 {
        /// The path asked for.
        file: String,
        /// The revision asked for.
        rev: String,
    },
    /// The lines are not all in the file.
    #[error("lines {lines} are out of range: `{file}` has {total} line(s) at {rev}")]
    OutOfRange {
        /// The path asked for.
        file: String,
        /// The revision asked for.
        rev: String,
        /// The lines asked for.
        lines: LineRange,
        /// How many lines the file has.
        total: usize,
    },
    /// `--description` is blank.
    #[error("--description must not be empty")]
    EmptyDescription,
    /// `--id` is not a valid evidence id.
    #[error("--id `{0}` is not valid: use 1-128 letters, digits, `.`, `_`, `:` or `-`")]
    BadId(String),
    /// Reading the repository.
    #[error(transparent)]
    Git(#[from] git::GitError),
    /// Writing an export failed for another reason than a reader gone away.
    #[error("cannot write the export to standard output")]
    Write(#[source] std::io::Error),
}

/// Why a statement is not valid evidence (`verify` reports it as the reason).
#[derive(Debug, thiserror::Error)]
pub enum InvalidEvidence {
    /// The statement is of another kind.
    #[error("predicate type is {0}, not {PREDICATE_TYPE}")]
    PredicateType(String),
    /// The predicate does not have the shape of [`Evidence`] (a field
    /// missing, or a digest, commit id or timestamp malformed).
    #[error("malformed evidence predicate")]
    Malformed(#[source] serde_json::Error),
    /// The in-toto subjects are not the ones the predicate implies.
    #[error("statement subjects disagree with the predicate")]
    Subjects,
    /// A schema version this tool does not know.
    #[error("evidence schema version {0} is not supported")]
    SchemaVersion(u32),
    /// The evidence id has characters ids may not have.
    #[error("evidence_id `{0}` is malformed")]
    BadId(String),
    /// The lines are not a line range.
    #[error("lines")]
    Lines(#[source] LineRangeError),
    /// The snippet is longer than any this tool writes.
    #[error("code_snippet is longer than 1000 characters")]
    SnippetTooLong,
}

/// What the user asked to record.
pub struct Request<'a> {
    /// The phase the evidence belongs to.
    pub phase: u32,
    /// Repository-relative path.
    pub file: &'a str,
    /// The lines to quote.
    pub lines: LineRange,
    /// What the lines show.
    pub description: &'a str,
    /// The evidence id, if not generated.
    pub id: Option<&'a str>,
    /// The revision to read the file from.
    pub rev: &'a str,
}

fn valid_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

/// Reads the lines at `request.rev` and builds the evidence predicate.
pub fn build(
    repo: &gix::Repository,
    request: &Request<'_>,
    timestamp: Timestamp,
) -> Result<Evidence, EvidenceError> {
    let description = request.description.trim();
    if description.is_empty() {
        return Err(EvidenceError::EmptyDescription);
    }
    if let Some(id) = request.id.filter(|id| !valid_id(id)) {
        return Err(EvidenceError::BadId(id.to_owned()));
    }
    let commit = git::resolve_commit(repo, request.rev)?;
    let (file, rev) = (request.file.to_owned(), request.rev.to_owned());
    let content = match git::read_committed(repo, commit, request.file)? {
        Committed::File(content) => content,
        Committed::Missing => return Err(EvidenceError::FileMissing { file, rev }),
        Committed::NotAFile => return Err(EvidenceError::NotAFile { file, rev }),
    };
    let text = snippet::extract(&content, request.lines).map_err(|err| match err {
        SnippetError::Binary => EvidenceError::Binary {
            file: file.clone(),
            rev: rev.clone(),
        },
        SnippetError::NotUtf8 => EvidenceError::NotUtf8 {
            file: file.clone(),
            rev: rev.clone(),
        },
        SnippetError::OutOfRange { total } => EvidenceError::OutOfRange {
            file: file.clone(),
            rev: rev.clone(),
            lines: request.lines,
            total,
        },
    })?;
    let sha256 = snippet::sha256(&text);
    let git_commit = CommitId::from(commit);
    let lines = request.lines.to_string();
    let evidence_id = match request.id {
        Some(id) => id.to_owned(),
        None => format!(
            "EV-{}-{}",
            request.phase,
            identity(request.phase, git_commit, &file, &lines, description).short()
        ),
    };
    Ok(Evidence {
        schema_version: SCHEMA_VERSION,
        evidence_id,
        phase: request.phase,
        lines,
        description: redact(description).into_owned(),
        code_snippet: snippet::truncate(&redact(&text)),
        sha256,
        timestamp,
        git_commit,
        file,
    })
}

/// What makes two records the same evidence: the same lines of the same file at
/// the same commit, shown for the same phase with the same description. The
/// timestamp, the signer and the id are not part of it.
fn identity(phase: u32, commit: CommitId, file: &str, lines: &str, description: &str) -> Sha256 {
    let parts = [
        &phase.to_string(),
        &commit.to_string(),
        file,
        lines,
        description,
    ];
    snippet::sha256(&parts.join("\0"))
}

impl Evidence {
    /// The in-toto statement: its subjects are the quoted lines (by SHA-256) and
    /// the commit they were read from.
    pub fn statement(&self) -> Statement {
        Statement::new(
            self.subjects(),
            PREDICATE_TYPE.to_owned(),
            serde_json::to_value(self).expect("evidence serializes"),
        )
    }

    fn subjects(&self) -> Vec<Subject> {
        vec![
            Subject::new(
                format!("{}#L{}", self.file, self.lines),
                "sha256",
                self.sha256.to_hex(),
            ),
            Subject::new("commit", "gitCommit", self.git_commit.to_string()),
        ]
    }

    /// The evidence a statement carries, if it is evidence and whole.
    pub fn from_statement(statement: &Statement) -> Result<Evidence, InvalidEvidence> {
        if statement.predicate_type != PREDICATE_TYPE {
            return Err(InvalidEvidence::PredicateType(
                statement.predicate_type.clone(),
            ));
        }
        let evidence = statement
            .predicate_as::<Evidence>()
            .map_err(InvalidEvidence::Malformed)?;
        evidence.check_shape()?;
        if statement.subject != evidence.subjects() {
            return Err(InvalidEvidence::Subjects);
        }
        Ok(evidence)
    }

    /// Field checks that need no repository (the typed fields checked
    /// themselves when read).
    fn check_shape(&self) -> Result<(), InvalidEvidence> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(InvalidEvidence::SchemaVersion(self.schema_version));
        }
        if !valid_id(&self.evidence_id) {
            return Err(InvalidEvidence::BadId(self.evidence_id.clone()));
        }
        self.lines
            .parse::<LineRange>()
            .map_err(InvalidEvidence::Lines)?;
        if self.code_snippet.chars().count() > snippet::MAX_SNIPPET_CHARS {
            return Err(InvalidEvidence::SnippetTooLong);
        }
        Ok(())
    }

    /// The digest of what makes two records the same evidence (see
    /// `identity`): `evidence add` does not record the same evidence twice,
    /// and counts toward `evidence_min` count each identity once, so that
    /// two clones that recorded it apart count it once after a merge.
    pub fn identity(&self) -> Sha256 {
        identity(
            self.phase,
            self.git_commit,
            &self.file,
            &self.lines,
            &self.description,
        )
    }

    /// When it was recorded, for key validity windows.
    pub fn unix_seconds(&self) -> Option<i64> {
        Some(self.timestamp.as_second())
    }
}

/// The result of recomputing an evidence hash from git.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashCheck {
    /// The lines hash to the recorded digest.
    Matches,
    /// The commit is not in this repository (e.g. not fetched yet).
    CommitMissing,
    /// The lines do not hash to the recorded digest, or cannot be read.
    Mismatch(HashMismatch),
}

/// Why the recorded lines do not hash to the recorded digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashMismatch {
    /// The file is not text.
    #[error("`{file}` at {commit} is not UTF-8 text")]
    NotText {
        /// The recorded file.
        file: String,
        /// The recorded commit.
        commit: CommitId,
    },
    /// The file is not in the commit.
    #[error("no file `{file}` at {commit}")]
    NoFile {
        /// The recorded file.
        file: String,
        /// The recorded commit.
        commit: CommitId,
    },
    /// A directory, symlink or submodule.
    #[error("`{file}` at {commit} is not a file")]
    NotAFile {
        /// The recorded file.
        file: String,
        /// The recorded commit.
        commit: CommitId,
    },
    /// The recorded lines are not a line range.
    #[error("malformed lines")]
    MalformedLines,
    /// The lines hash to something else.
    #[error("sha256 does not match lines {lines} of `{file}` at {commit}")]
    Digest {
        /// The recorded lines.
        lines: String,
        /// The recorded file.
        file: String,
        /// The recorded commit.
        commit: CommitId,
    },
    /// The lines are not all in the file.
    #[error("lines {lines} cannot be read from `{file}` at {commit}")]
    OutOfRange {
        /// The recorded lines.
        lines: String,
        /// The recorded file.
        file: String,
        /// The recorded commit.
        commit: CommitId,
    },
}

/// A committed file as hash checks need it: split into lines once.
#[derive(Debug)]
pub enum FileAt {
    /// A text file.
    Text(snippet::Lines),
    /// A file that is not text.
    Unreadable(SnippetError),
    /// No such path in the commit.
    Missing,
    /// A directory, symlink or submodule.
    NotAFile,
}

impl From<Committed> for FileAt {
    fn from(committed: Committed) -> Self {
        match committed {
            Committed::File(bytes) => match snippet::Lines::parse(&bytes) {
                Ok(lines) => FileAt::Text(lines),
                Err(err) => FileAt::Unreadable(err),
            },
            Committed::Missing => FileAt::Missing,
            Committed::NotAFile => FileAt::NotAFile,
        }
    }
}

/// Recomputes `evidence.sha256` from `file`, the committed file at
/// `git_commit:file` (`None` when the commit is not in this repository).
pub fn check_hash(evidence: &Evidence, file: Option<&FileAt>) -> HashCheck {
    let (name, commit) = (evidence.file.clone(), evidence.git_commit);
    let lines = match file {
        None => return HashCheck::CommitMissing,
        Some(FileAt::Text(lines)) => lines,
        Some(FileAt::Unreadable(_)) => {
            return HashCheck::Mismatch(HashMismatch::NotText { file: name, commit });
        }
        Some(FileAt::Missing) => {
            return HashCheck::Mismatch(HashMismatch::NoFile { file: name, commit });
        }
        Some(FileAt::NotAFile) => {
            return HashCheck::Mismatch(HashMismatch::NotAFile { file: name, commit });
        }
    };
    let Ok(range) = evidence.lines.parse::<LineRange>() else {
        return HashCheck::Mismatch(HashMismatch::MalformedLines);
    };
    let recorded = evidence.lines.clone();
    match lines.cut(range) {
        Ok(text) if snippet::sha256(&text) == evidence.sha256 => HashCheck::Matches,
        Ok(_) => HashCheck::Mismatch(HashMismatch::Digest {
            lines: recorded,
            file: name,
            commit,
        }),
        Err(_) => HashCheck::Mismatch(HashMismatch::OutOfRange {
            lines: recorded,
            file: name,
            commit,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence() -> Evidence {
        Evidence {
            schema_version: SCHEMA_VERSION,
            evidence_id: "EV-1".into(),
            phase: 1,
            file: "src/lib.rs".into(),
            lines: "1-2".into(),
            description: "d".into(),
            code_snippet: "a\nb".into(),
            sha256: snippet::sha256("a\nb"),
            timestamp: "2026-01-01T00:00:00Z".parse().unwrap(),
            git_commit: "0123456789abcdef0123456789abcdef01234567".parse().unwrap(),
        }
    }

    #[test]
    fn a_statement_round_trips() {
        let evidence = evidence();
        assert_eq!(
            Evidence::from_statement(&evidence.statement()).unwrap(),
            evidence
        );
    }

    #[test]
    fn a_short_commit_id_is_refused_when_read_not_shortened() {
        let mut predicate = serde_json::to_value(evidence()).unwrap();
        predicate["git_commit"] = "abc".into();
        let statement = Statement::new(evidence().subjects(), PREDICATE_TYPE.to_owned(), predicate);
        let err = Evidence::from_statement(&statement).unwrap_err();
        assert!(matches!(err, InvalidEvidence::Malformed(_)), "{err:?}");
        let reason = crate::error::chain(&err);
        assert!(
            reason.starts_with("malformed evidence predicate: "),
            "{reason}"
        );
        assert!(reason.contains("`abc` is not a full commit id"), "{reason}");
    }

    #[test]
    fn bad_lines_say_so() {
        let mut bad = evidence();
        bad.lines = "3-1".into();
        let err = Evidence::from_statement(&bad.statement()).unwrap_err();
        assert_eq!(
            crate::error::chain(&err),
            "lines: `3-1` is not a line range like 10-20 (1-based, inclusive)"
        );
    }
}
