//! The text of what the executor creates: issue, digest, pull request and
//! auto-close bodies, rendered from `templates/*.j2` (overridable in
//! `.auditops/templates/`), each ending with the operation's marker. The
//! marker is added here, not by the templates, so an override cannot lose it.

use crate::outbox::OpId;
use crate::outbox::payload::{IssuePayload, MAX_BODY_CHARS, PullRequestPayload};
use crate::outbox::records::OutboxOp;
use crate::render::{RenderError, render};
use crate::time::Timestamp;
use serde::Serialize;
use serde_json::json;
use std::path::Path;

/// Whether `text` carries `op_id`'s marker.
pub fn has_marker(text: Option<&str>, op_id: &OpId) -> bool {
    text.is_some_and(|t| t.contains(&op_id.marker()))
}

/// `body` cut to fit GitHub's limit, followed by the marker.
pub fn with_marker(body: &str, op_id: &OpId) -> String {
    let mark = op_id.marker();
    let room = MAX_BODY_CHARS - mark.chars().count() - 40;
    let body = body.trim_end();
    let body = if body.chars().count() > room {
        let cut: String = body.chars().take(room).collect();
        format!("{cut}\n\n… (cut to fit GitHub's limit)")
    } else {
        body.to_owned()
    };
    format!("{body}\n\n{mark}\n")
}

fn tool_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// The body of a `create_issue` operation (a digest's body is already rendered).
pub fn issue(
    workdir: Option<&Path>,
    op: &OutboxOp,
    p: &IssuePayload,
) -> Result<String, RenderError> {
    let body = if p.digest.is_some() {
        p.body.clone()
    } else {
        render(
            "issue.md.j2",
            workdir,
            &json!({
                "title": p.title,
                "body": p.body,
                "labels": p.labels,
                "hits": p.hits(),
                "source": p.source,
                "op_id": op.op_id,
                "created_at": op.created_at,
                "tool_version": tool_version(),
            }),
        )?
    };
    Ok(with_marker(&body, &op.op_id))
}

/// One line of a digest.
#[derive(Debug, Clone, Serialize)]
pub struct DigestItem {
    /// The folded operation.
    pub op_id: OpId,
    /// Its issue's title.
    pub title: String,
    /// Its issue's body.
    pub body: String,
    /// Its hits.
    pub hits: u64,
    /// Where they were found.
    pub source: Option<String>,
    /// Its labels.
    pub labels: Vec<String>,
    /// The title, safe in a table cell.
    pub title_cell: String,
    /// The source, safe in a table cell.
    pub source_cell: String,
    /// The labels, safe in a table cell.
    pub labels_cell: String,
}

/// Makes text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let escaped = flat.replace('|', "\\|");
    if escaped.is_empty() {
        "-".into()
    } else {
        escaped
    }
}

impl DigestItem {
    /// The line for `op`, whose payload is `p`.
    pub fn new(op: &OutboxOp, p: &IssuePayload) -> Self {
        DigestItem {
            op_id: op.op_id.clone(),
            title: p.title.clone(),
            body: p.body.clone(),
            hits: p.hits(),
            source: p.source.clone(),
            labels: p.labels.clone(),
            title_cell: cell(&p.title),
            source_cell: cell(p.source.as_deref().unwrap_or_default()),
            labels_cell: cell(&p.labels.join(", ")),
        }
    }
}

/// What a digest says about the run that made it.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    /// When the digest was made.
    pub generated_at: Timestamp,
    /// The tool's version.
    pub tool_version: String,
    /// The sync run.
    pub run_id: String,
    /// Distinct sources of the folded issues.
    pub sources_scanned: u64,
    /// Their hits, summed.
    pub total_hits: u64,
    /// The cap that caused the fold.
    pub max_issues_per_run: u64,
}

impl Provenance {
    /// The provenance of a digest of `items`.
    pub fn new(items: &[DigestItem], run_id: &str, max_issues_per_run: u64) -> Self {
        let mut sources: Vec<&str> = items
            .iter()
            .map(|i| i.source.as_deref().unwrap_or(i.op_id.as_str()))
            .collect();
        sources.sort_unstable();
        sources.dedup();
        Provenance {
            generated_at: Timestamp::now(),
            tool_version: tool_version().to_owned(),
            run_id: run_id.to_owned(),
            sources_scanned: sources.len() as u64,
            total_hits: items.iter().map(|i| i.hits).sum(),
            max_issues_per_run,
        }
    }
}

/// The digest's body: `items` sorted by hits, most first (ties by title), with
/// each finding's details when they fit GitHub's limit.
pub fn digest(
    workdir: Option<&Path>,
    items: &mut [DigestItem],
    provenance: &Provenance,
) -> Result<String, RenderError> {
    items.sort_by(|a, b| b.hits.cmp(&a.hits).then_with(|| a.title.cmp(&b.title)));
    let context = |include_details: bool| {
        let mut value = serde_json::to_value(provenance).unwrap_or_default();
        value["items"] = serde_json::to_value(&*items).unwrap_or_default();
        value["count"] = items.len().into();
        value["include_details"] = include_details.into();
        value
    };
    let full = render("digest.md.j2", workdir, &context(true))?;
    if full.chars().count() < MAX_BODY_CHARS - 200 {
        return Ok(full);
    }
    render("digest.md.j2", workdir, &context(false))
}

fn two_places(value: f64) -> String {
    format!("{value:.2}")
}

/// The body of a pull request.
pub fn pull_request(
    workdir: Option<&Path>,
    op: &OutboxOp,
    p: &PullRequestPayload,
) -> Result<String, RenderError> {
    let validators: Vec<serde_json::Value> = p
        .validators
        .iter()
        .map(|v| {
            json!({
                "name": cell(&v.name),
                "category": cell(v.category.as_deref().unwrap_or_default()),
                "score": two_places(v.score),
                "weight": two_places(v.weight),
                "contribution": two_places(v.score * v.weight),
            })
        })
        .collect();
    let body = render(
        "pull-request.md.j2",
        workdir,
        &json!({
            "title": p.title,
            "message": p.body,
            "author": p.author,
            "reason": p.reason,
            "decision": p.decision,
            "confidence": p.confidence,
            "confidence_percent": format!("{:.0}", p.confidence * 100.0),
            "validators": validators,
            "patch_id": p.patch_id,
            "decision_id": p.decision_id,
            "head": p.head,
            "base": p.base,
            "auto_merge": p.auto_merge,
            "op_id": op.op_id,
            "tool_version": tool_version(),
        }),
    )?;
    Ok(with_marker(&body, &op.op_id))
}

/// The label that marks an issue proposed for closing.
pub const PROPOSED: &str = "auto-close:proposed";
/// The label that stops the tool from ever closing the issue.
pub const BLOCKED: &str = "auto-close:blocked";
/// The label that closes a proposed issue at the next sync.
pub const CONFIRMED: &str = "auto-close:confirmed";

/// The comment that proposes to close an issue.
pub fn auto_close(
    workdir: Option<&Path>,
    op: &OutboxOp,
    reason: &str,
    review_period: std::time::Duration,
) -> Result<String, RenderError> {
    let close_after = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::try_from(review_period).unwrap_or_default())
        .map(|t| t.round(jiff::Unit::Second).unwrap_or(t).to_string())
        .unwrap_or_default();
    let body = render(
        "auto-close.md.j2",
        workdir,
        &json!({
            "reason": reason,
            "review_period": crate::duration::format(review_period),
            "close_after": close_after,
            "proposed_label": PROPOSED,
            "blocked_label": BLOCKED,
            "confirmed_label": CONFIRMED,
            "op_id": op.op_id,
        }),
    )?;
    Ok(with_marker(&body, &op.op_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::{OpKind, OpRequest};

    fn op(title: &str, hits: u64) -> (OutboxOp, IssuePayload) {
        let payload = json!({"title": title, "body": format!("about {title}"), "hits": hits, "labels": ["a|b"]});
        let op = OutboxOp::new(
            &OpRequest {
                kind: OpKind::CreateIssue,
                dedupe_key: title.into(),
                repo: None,
                payload: payload.clone(),
            },
            "2026-01-01T00:00:00Z".parse().unwrap(),
        );
        (op, serde_json::from_value(payload).unwrap())
    }

    #[test]
    fn issue_bodies_end_with_the_marker() {
        let (op, p) = op("leak", 3);
        let body = issue(None, &op, &p).unwrap();
        assert!(body.starts_with("about leak\n"), "{body}");
        assert!(body.contains("3 hits"), "{body}");
        assert!(has_marker(Some(&body), &op.op_id));
        assert!(body.ends_with(&format!("{}\n", op.marker())));
    }

    #[test]
    fn digests_sort_by_hits_with_provenance() {
        let mut items: Vec<DigestItem> = [("low", 1), ("high", 9), ("mid", 4)]
            .iter()
            .map(|(t, h)| {
                let (op, p) = op(t, *h);
                DigestItem::new(&op, &p)
            })
            .collect();
        let provenance = Provenance::new(&items, "local", 2);
        assert_eq!(provenance.total_hits, 14);
        assert_eq!(provenance.sources_scanned, 3);
        let body = digest(None, &mut items, &provenance).unwrap();
        let high = body.find("| high |").unwrap();
        let mid = body.find("| mid |").unwrap();
        let low = body.find("| low |").unwrap();
        assert!(high < mid && mid < low, "{body}");
        assert!(body.contains("a\\|b"), "{body}");
        for needle in [
            "Run ID: local",
            "Total hits: 14",
            "Sources scanned: 3",
            "Tool version",
        ] {
            assert!(body.contains(needle), "{needle}: {body}");
        }
    }

    #[test]
    fn long_bodies_are_cut_before_the_marker() {
        let long = "x".repeat(MAX_BODY_CHARS + 10);
        let op: OpId = "0123456789abcdef".parse().unwrap();
        let body = with_marker(&long, &op);
        assert!(body.chars().count() <= MAX_BODY_CHARS);
        assert!(has_marker(Some(&body), &op));
    }
}
