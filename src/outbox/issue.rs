//! `issue new`: queue a `create_issue` operation, unless the same key is
//! already pending or its issue open.

use super::dedupe::{self, Duplicate};
use super::read::Outbox;
use super::{OpKind, OpRequest, payload, queue_op};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::sign::{key, trust};
use crate::store::Store;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// An issue to queue, as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct NewIssue {
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
    /// The dedupe key; default: derived from the title.
    pub key: Option<String>,
    pub hits: Option<u64>,
    pub source: Option<String>,
    /// `owner/name`; default: resolved at sync time.
    pub repo: Option<String>,
}

/// What `issue new` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Queued {
    Queued {
        op_id: String,
        dedupe_key: String,
    },
    /// The same key is queued and not carried out yet: nothing was added.
    AlreadyPending {
        op_id: String,
        dedupe_key: String,
    },
    /// The same key made an issue that is not known to be closed: nothing was added.
    AlreadyOpen {
        op_id: String,
        dedupe_key: String,
        number: Option<u64>,
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
    format!(
        "title:{}",
        &hex::encode(Sha256::digest(normal.as_bytes()))[..16]
    )
}

/// Queues `issue` (signed), or reports the earlier operation with its key.
pub fn queue(repo: &gix::Repository, config: &Config, issue: NewIssue) -> Result<Queued> {
    let dedupe_key = issue
        .key
        .clone()
        .unwrap_or_else(|| default_key(&issue.title));
    let mut fields = serde_json::json!({
        "title": issue.title.trim(),
        "body": issue.body,
        "labels": issue.labels,
    });
    if let Some(hits) = issue.hits {
        fields["hits"] = hits.into();
    }
    if let Some(source) = &issue.source {
        fields["source"] = source.clone().into();
    }
    let request = OpRequest {
        kind: OpKind::CreateIssue,
        dedupe_key: dedupe_key.clone(),
        repo: issue.repo.clone(),
        payload: fields,
    };
    request.validate()?;
    payload::issue(&request.payload).map_err(super::OutboxError::Invalid)?;

    let trust = trust::load(repo, config.allowed_signers(), None)?;
    let outbox = Outbox::load_tip(repo, config, &trust)?;
    let states = outbox.states();
    let default_repo = crate::github::repo::configured(config);
    let target = issue
        .repo
        .as_deref()
        .or(default_repo.as_deref())
        .unwrap_or_default();
    match dedupe::find(
        &outbox,
        &states,
        OpKind::CreateIssue,
        target,
        &dedupe_key,
        default_repo.as_deref(),
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

    let key = key::for_recording(repo, config.trust.require_signed)?;
    let (op_id, op) = queue_op(&request, key.as_ref());
    let store = Store::new(repo, config.ref_name())?;
    let title: String = issue.title.trim().chars().take(60).collect();
    store
        .write(
            &[op],
            &format!("outbox: queue create_issue {op_id} ({title})"),
        )
        .map_err(Error::from)?;
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
