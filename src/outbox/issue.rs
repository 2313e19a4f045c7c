//! `issue new`: queue a `create_issue` operation, unless the same key is
//! already pending or its issue open.

use super::dedupe::{self, Duplicate};
use super::op_id::OpId;
use super::payload::{IssuePayload, Payload};
use super::read::Outbox;
use super::{OpKind, OpRequest, queue_op};
use crate::error::Result;
use crate::ids::Sha256;
use crate::sign::key;
use crate::workspace::Workspace;
use serde::Serialize;

/// An issue to queue, as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct NewIssue {
    /// The issue's title.
    pub title: String,
    /// The issue's body (Markdown).
    pub body: String,
    /// Labels to add.
    pub labels: Vec<String>,
    /// The dedupe key; default: derived from the title.
    pub key: Option<String>,
    /// How many hits the issue reports.
    pub hits: Option<u64>,
    /// Where the hits were found.
    pub source: Option<String>,
    /// `owner/name`; default: resolved at sync time.
    pub repo: Option<String>,
}

/// What `issue new` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Queued {
    /// Queued as a new operation.
    Queued {
        /// The new operation.
        op_id: OpId,
        /// Its dedupe key.
        dedupe_key: String,
    },
    /// The same key is queued and not carried out yet: nothing was added.
    AlreadyPending {
        /// The earlier operation.
        op_id: OpId,
        /// The key they share.
        dedupe_key: String,
    },
    /// The same key made an issue that is not known to be closed: nothing was added.
    AlreadyOpen {
        /// The earlier operation.
        op_id: OpId,
        /// The key they share.
        dedupe_key: String,
        /// Its issue.
        number: Option<u64>,
        /// The issue's page.
        url: Option<String>,
    },
}

/// The dedupe key of an issue given no `--key`: its title, case and spacing aside.
pub fn default_key(title: &str) -> String {
    let normal = title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    format!("title:{}", &Sha256::of(normal.as_bytes()).to_hex()[..16])
}

/// Queues `issue` (signed), or reports the earlier operation with its key.
pub fn queue(ws: &Workspace, issue: NewIssue) -> Result<Queued> {
    let config = ws.config()?;
    let dedupe_key = issue
        .key
        .clone()
        .unwrap_or_else(|| default_key(&issue.title));
    let title: String = issue.title.trim().chars().take(60).collect();
    let payload = Payload::Issue(IssuePayload {
        title: issue.title.trim().to_owned(),
        body: issue.body,
        labels: issue.labels,
        hits: issue.hits,
        source: issue.source,
        digest: None,
    });
    let request = OpRequest::new(dedupe_key.clone(), issue.repo.clone(), &payload);
    request.validate()?;

    let outbox = Outbox::read(ws)?;
    let states = outbox.states();
    let default_repo = config.github.repo();
    let target = issue.repo.as_deref().or(default_repo).unwrap_or_default();
    match dedupe::find(
        &outbox,
        &states,
        OpKind::CreateIssue,
        target,
        &dedupe_key,
        default_repo,
        None,
    ) {
        Some(Duplicate::Pending { op_id }) => {
            return Ok(Queued::AlreadyPending { op_id, dedupe_key });
        }
        Some(Duplicate::Done { op_id, number, url }) => {
            return Ok(Queued::AlreadyOpen {
                op_id,
                dedupe_key,
                number,
                url,
            });
        }
        None => {}
    }

    let key = key::for_recording(ws)?;
    let (op_id, op) = queue_op(&request, key.as_ref());
    ws.write(
        &[op],
        &format!("outbox: queue create_issue {op_id} ({title})"),
    )?;
    Ok(Queued::Queued { op_id, dedupe_key })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_keys_ignore_case_and_spacing() {
        assert_eq!(default_key("Leak  in X"), default_key(" leak in x "));
        assert_ne!(default_key("leak in x"), default_key("leak in y"));
        assert!(default_key("a").starts_with("title:"));
    }
}
