//! in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md):
//! the payload of every signed record.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// The `_type` of in-toto v1 statements.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// Our predicate types live under this prefix, e.g. `https://auditops.dev/evidence/v1`.
pub const PREDICATE_PREFIX: &str = "https://auditops.dev/";

/// What a statement is about: a name and its digests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    /// The name (`src/lib.rs#L1-3`, `commit`).
    pub name: String,
    /// Digests by algorithm (`sha256`, `gitCommit`).
    pub digest: BTreeMap<String, String>,
}

impl Subject {
    /// A subject with one digest.
    pub fn new(name: impl Into<String>, algorithm: &str, digest: impl Into<String>) -> Self {
        Subject {
            name: name.into(),
            digest: BTreeMap::from([(algorithm.to_owned(), digest.into())]),
        }
    }
}

/// A statement. The predicate is kept as its JSON text: it is read only once
/// the predicate type says which kind it is, straight into that kind's struct.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Statement {
    /// [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub type_: String,
    /// What it is about.
    pub subject: Vec<Subject>,
    /// What kind of predicate it carries.
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The predicate, as JSON text.
    pub predicate: Box<RawValue>,
}

impl PartialEq for Statement {
    fn eq(&self, other: &Self) -> bool {
        self.type_ == other.type_
            && self.subject == other.subject
            && self.predicate_type == other.predicate_type
            && self.predicate.get() == other.predicate.get()
    }
}

impl Statement {
    /// A statement of `predicate` about `subject`.
    pub fn new(
        subject: Vec<Subject>,
        predicate_type: String,
        predicate: serde_json::Value,
    ) -> Self {
        // A `Value` serializes with sorted keys: the predicate text is canonical.
        let text = serde_json::to_string(&predicate).expect("a JSON value always serializes");
        Statement {
            type_: STATEMENT_TYPE.to_owned(),
            subject,
            predicate_type,
            predicate: RawValue::from_string(text).expect("serde_json output is JSON"),
        }
    }

    /// The predicate read as `T`.
    pub fn predicate_as<'a, T: Deserialize<'a>>(&'a self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.predicate.get())
    }

    /// The record kind named by an auditops predicate type: `evidence` for
    /// `https://auditops.dev/evidence/v1`.
    pub fn auditops_kind(&self) -> Option<(&str, &str)> {
        self.predicate_type
            .strip_prefix(PREDICATE_PREFIX)?
            .split_once('/')
    }
}
