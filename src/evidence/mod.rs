//! Evidence: signed records that quote lines of a committed file.
//!
//! The lines are always read from a commit (never the working tree), hashed
//! before redaction so anyone can recompute the hash from git, and stored with
//! probable secrets redacted.

pub mod record;
mod redact;
pub mod snippet;

pub use redact::redact;
pub use snippet::LineRange;

use crate::git::{self, Committed};
use crate::sign::{Statement, Subject};
use gix::ObjectId;
use serde::{Deserialize, Serialize};
use snippet::SnippetError;

/// The predicate type of evidence statements.
pub const PREDICATE_TYPE: &str = "https://auditops.dev/evidence/v1";
pub const SCHEMA_VERSION: u32 = 1;

/// The evidence predicate, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub schema_version: u32,
    pub evidence_id: String,
    pub phase: u32,
    pub file: String,
    /// `A-B`, 1-based and inclusive.
    pub lines: String,
    pub description: String,
    pub code_snippet: String,
    /// SHA-256 (hex) of the lines joined with `\n`, before redaction.
    pub sha256: String,
    /// RFC 3339, UTC.
    pub timestamp: String,
    /// The full id of the commit the lines were read from.
    pub git_commit: String,
}

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error(
        "`{file}` does not exist at {rev} (evidence is read from commits; commit the file first)"
    )]
    FileMissing { file: String, rev: String },
    #[error("`{file}` at {rev} is not a regular file")]
    NotAFile { file: String, rev: String },
    #[error("`{file}` at {rev} is a binary file; evidence quotes text lines")]
    Binary { file: String, rev: String },
    #[error("`{file}` at {rev} is not UTF-8 text")]
    NotUtf8 { file: String, rev: String },
    #[error("lines {lines} are out of range: `{file}` has {total} line(s) at {rev}")]
    OutOfRange {
        file: String,
        rev: String,
        lines: LineRange,
        total: usize,
    },
    #[error("--description must not be empty")]
    EmptyDescription,
    #[error("--id `{0}` is not valid: use 1-128 letters, digits, `.`, `_`, `:` or `-`")]
    BadId(String),
    #[error(transparent)]
    Git(#[from] git::GitError),
}

/// What the user asked to record.
pub struct Request<'a> {
    pub phase: u32,
    /// Repository-relative path.
    pub file: &'a str,
    pub lines: LineRange,
    pub description: &'a str,
    pub id: Option<&'a str>,
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
    timestamp: &str,
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
    let sha256 = snippet::sha256_hex(&text);
    let git_commit = commit.to_string();
    let evidence_id = match request.id {
        Some(id) => id.to_owned(),
        None => generated_id(
            request.phase,
            &[&git_commit, &file, &sha256, description, timestamp],
        ),
    };
    Ok(Evidence {
        schema_version: SCHEMA_VERSION,
        evidence_id,
        phase: request.phase,
        lines: request.lines.to_string(),
        description: description.to_owned(),
        code_snippet: snippet::truncate(&redact(&text)),
        sha256,
        timestamp: timestamp.to_owned(),
        git_commit,
        file,
    })
}

fn generated_id(phase: u32, parts: &[&str]) -> String {
    let digest = snippet::sha256_hex(&parts.join("\0"));
    format!("EV-{phase}-{}", &digest[..12])
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
                &self.sha256,
            ),
            Subject::new("commit", "gitCommit", &self.git_commit),
        ]
    }

    pub fn from_statement(statement: &Statement) -> Result<Evidence, String> {
        if statement.predicate_type != PREDICATE_TYPE {
            return Err(format!(
                "predicate type is {}, not {PREDICATE_TYPE}",
                statement.predicate_type
            ));
        }
        let evidence = statement
            .predicate_as::<Evidence>()
            .map_err(|err| format!("malformed evidence predicate: {err}"))?;
        evidence.check_shape()?;
        if statement.subject != evidence.subjects() {
            return Err("statement subjects disagree with the predicate".into());
        }
        Ok(evidence)
    }

    /// Field checks that need no repository.
    fn check_shape(&self) -> Result<(), String> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(format!(
                "evidence schema version {} is not supported",
                self.schema_version
            ));
        }
        if !valid_id(&self.evidence_id) {
            return Err(format!("evidence_id `{}` is malformed", self.evidence_id));
        }
        self.lines
            .parse::<LineRange>()
            .map_err(|e| format!("lines: {e}"))?;
        let hex40 = |s: &str, n: usize| {
            s.len() == n
                && s.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        };
        if !hex40(&self.sha256, 64) {
            return Err("sha256 is not 64 lowercase hex digits".into());
        }
        if !hex40(&self.git_commit, 40) && !hex40(&self.git_commit, 64) {
            return Err("git_commit is not a full commit id".into());
        }
        if self.timestamp.parse::<jiff::Timestamp>().is_err() {
            return Err(format!("timestamp `{}` is not RFC 3339", self.timestamp));
        }
        if self.code_snippet.chars().count() > snippet::MAX_SNIPPET_CHARS {
            return Err("code_snippet is longer than 1000 characters".into());
        }
        Ok(())
    }

    /// The commit the lines were read from.
    pub fn commit_id(&self) -> Option<ObjectId> {
        ObjectId::from_hex(self.git_commit.as_bytes()).ok()
    }

    pub fn unix_seconds(&self) -> Option<i64> {
        self.timestamp
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_second())
    }
}

/// The result of recomputing an evidence hash from git.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashCheck {
    Matches,
    /// The commit is not in this repository (e.g. not fetched yet).
    CommitMissing,
    Mismatch(String),
}

/// A committed file as hash checks need it: split into lines once.
#[derive(Debug)]
pub enum FileAt {
    Text(snippet::Lines),
    Unreadable(SnippetError),
    Missing,
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
    let at = || format!("`{}` at {}", evidence.file, evidence.git_commit);
    let lines = match file {
        None => return HashCheck::CommitMissing,
        Some(FileAt::Text(lines)) => lines,
        Some(FileAt::Unreadable(_)) => {
            return HashCheck::Mismatch(format!("{} is not UTF-8 text", at()));
        }
        Some(FileAt::Missing) => return HashCheck::Mismatch(format!("no file {}", at())),
        Some(FileAt::NotAFile) => return HashCheck::Mismatch(format!("{} is not a file", at())),
    };
    let Ok(range) = evidence.lines.parse::<LineRange>() else {
        return HashCheck::Mismatch("malformed lines".into());
    };
    match lines.cut(range) {
        Ok(text) if snippet::sha256_hex(&text) == evidence.sha256 => HashCheck::Matches,
        Ok(_) => HashCheck::Mismatch(format!(
            "sha256 does not match lines {} of {}",
            evidence.lines,
            at()
        )),
        Err(_) => HashCheck::Mismatch(format!(
            "lines {} cannot be read from {}",
            evidence.lines,
            at()
        )),
    }
}
