//! From findings to issues, through the outbox: new findings are grouped
//! (`[findings] group`) and a new group queues one `create_issue`; a group
//! already filed gets one comment listing its new findings; a filed group whose
//! findings are all resolved gets the existing auto-close proposal; a finding
//! that comes back cancels a pending proposal (docs/findings.md).
//!
//! Everything here only queues operations, in the import's own transaction;
//! the executor carries them out on the next sync, with its cap, digest and
//! idempotency.

use super::records::{Finding, Scan};
use crate::config::FindingsGroup;
use crate::error::Result;
use crate::ids::Sha256;
use crate::outbox::payload::{
    AutoClosePayload, CommentPayload, IssuePayload, Payload, RemoveLabelPayload, ReopenPayload,
    Target,
};
use crate::outbox::records::{Detail, OutboxOutcome, OutcomeStatus};
use crate::outbox::{Entry, OpId, OpKind, OpRequest, OpState, Outbox, queue_op};
use crate::records::KeyedKind;
use crate::sign::SigningKey;
use crate::store::Op;
use crate::workspace::Workspace;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// The label the auto-close protocol puts on a proposed issue.
const PROPOSED_LABEL: &str = "auto-close:proposed";

/// What the import queues.
pub(crate) struct Planned {
    /// The store operations (outbox ops and outcomes).
    pub ops: Vec<Op>,
    /// The queued op ids.
    pub op_ids: Vec<String>,
}

/// The group a finding belongs to: what kind of group, and its name.
pub(crate) fn group_of(finding: &Finding, group: FindingsGroup) -> (&'static str, String) {
    match group {
        FindingsGroup::Rule => ("rule", format!("{}/{}", finding.tool, finding.rule)),
        FindingsGroup::File => ("file", format!("{}/{}", finding.tool, finding.path())),
        FindingsGroup::Finding => ("finding", finding.id()),
    }
}

/// The dedupe key of a group's issue.
pub(crate) fn issue_key(group: &str) -> String {
    format!("finding:{}", &Sha256::of(group).to_hex()[..16])
}

/// The web address of GitHub for permalinks: `https://github.com` for
/// api.github.com, else the Enterprise host.
fn web_base(api_url: &str) -> String {
    match api_url.strip_suffix("/api/v3") {
        Some(host) => host.to_owned(),
        None if api_url.contains("api.github.com") => "https://github.com".to_owned(),
        None => api_url.to_owned(),
    }
}

struct Context<'a> {
    ws: &'a Workspace,
    outbox: Outbox,
    states: HashMap<OpId, OpState>,
    key: Option<&'a SigningKey>,
    repo: Option<String>,
    labels: Vec<String>,
    code_repo: Option<String>,
    web: String,
    planned: Planned,
}

impl Context<'_> {
    fn queue(&mut self, dedupe_key: String, payload: &Payload) -> Result<OpId> {
        let request = OpRequest::new(dedupe_key, self.repo.clone(), payload);
        request.validate()?;
        let (op_id, op) = queue_op(&request, self.key);
        self.planned.ops.push(op);
        self.planned.op_ids.push(op_id.to_string());
        Ok(op_id)
    }

    /// The `create_issue` operation of `group`, if one was queued and can still
    /// stand for it (not failed, not untrusted).
    fn filed(&self, group: &str) -> Option<&Entry> {
        let key = issue_key(group);
        self.outbox
            .entries
            .iter()
            .filter(|e| e.op.kind == OpKind::CreateIssue && e.op.dedupe_key == key)
            .filter(|e| {
                !matches!(
                    self.states.get(&e.op.op_id),
                    Some(OpState::Failed { .. } | OpState::Untrusted) | None
                )
            })
            .max_by_key(|e| e.op.order_key())
    }

    /// Whether the issue was listed in a digest rather than made on its own:
    /// a digest is never commented on or closed for one group.
    fn in_digest(&self, entry: &Entry) -> bool {
        matches!(
            self.states.get(&entry.op.op_id),
            Some(
                OpState::Folded { .. }
                    | OpState::Done {
                        detail: Some(Detail::Digest),
                        ..
                    }
            )
        )
    }

    /// The operations of `kind` aimed at the issue `issue_op` creates.
    fn aimed_at(&self, kind: OpKind, issue_op: &OpId) -> Vec<&Entry> {
        self.outbox
            .entries
            .iter()
            .filter(|e| e.op.kind == kind)
            .filter(|e| {
                e.op.payload().is_ok_and(|p| {
                    p.target()
                        .is_some_and(|t| t.issue_op.as_ref() == Some(issue_op))
                })
            })
            .collect()
    }

    /// Whether the tool closed the issue `issue_op` creates and has not
    /// reopened it since: its latest proposal closed it, and no reopen
    /// was queued after that.
    fn closed_by_us(&self, issue_op: &OpId) -> bool {
        let latest = self
            .aimed_at(OpKind::ProposeAutoClose, issue_op)
            .into_iter()
            .max_by_key(|e| e.op.order_key());
        let Some(latest) = latest else {
            return false;
        };
        let closed = matches!(
            self.states.get(&latest.op.op_id),
            Some(OpState::Done { detail: Some(d), .. }) if d.closes()
        );
        closed
            && !self
                .aimed_at(OpKind::ReopenIssue, issue_op)
                .iter()
                .any(|e| e.op.order_key() > latest.op.order_key())
    }

    fn body(&self, kind: &str, group: &str, findings: &[&Finding], scan: &Scan) -> Result<String> {
        let items: Vec<serde_json::Value> = findings
            .iter()
            .map(|f| {
                let locations: Vec<serde_json::Value> = f
                    .locations
                    .iter()
                    .map(|l| {
                        let lines = match (l.start_line, l.end_line) {
                            (Some(s), Some(e)) => format!("#L{s}-L{e}"),
                            (Some(s), None) => format!("#L{s}"),
                            _ => String::new(),
                        };
                        let place = match l.start_line {
                            Some(s) => format!("{}:{s}", l.path),
                            None => l.path.clone(),
                        };
                        let permalink = self.code_repo.as_ref().map(|repo| {
                            format!("{}/{repo}/blob/{}/{}{lines}", self.web, scan.commit, l.path)
                        });
                        json!({"place": place, "permalink": permalink})
                    })
                    .collect();
                json!({
                    "id": f.id(),
                    "fingerprint": f.fingerprint,
                    "rule": f.rule,
                    "level": f.level,
                    "message": f.message.replace('\n', " "),
                    "locations": locations,
                })
            })
            .collect();
        let first = findings.first().map(|f| f.id()).unwrap_or_default();
        Ok(crate::render::render(
            "finding.md.j2",
            self.ws.repo().workdir(),
            &json!({
                "tool": scan.tool,
                "tool_version": scan.tool_version,
                "group_kind": kind,
                "group": group,
                "count": findings.len(),
                "findings": items,
                "commit": scan.commit,
                "scan_id": scan.scan_id,
                "run_id": scan.run_id,
                "first_id": first,
            }),
        )?)
    }
}

/// The operations that the changes of one import call for. `current` is every
/// finding's latest revision after the import.
pub(crate) fn plan(
    ws: &Workspace,
    changed: &[Finding],
    current: &HashMap<Sha256, Finding>,
    scans: &[Scan],
    key: Option<&SigningKey>,
) -> Result<Planned> {
    let config = ws.config()?;
    let outbox = Outbox::read(ws)?;
    let states = outbox.states();
    let mut cx = Context {
        ws,
        states,
        outbox,
        key,
        repo: config.findings.repo().map(str::to_owned),
        labels: config.findings.labels.clone(),
        code_repo: config.github.repo().map(str::to_owned),
        web: web_base(config.github.api_url()),
        planned: Planned {
            ops: Vec::new(),
            op_ids: Vec::new(),
        },
    };
    let group_kind = config.findings.group;
    let scan_of = |f: &Finding| scans.iter().find(|s| s.scan_id == f.scan);

    // Groups touched by this import, each with its changed findings.
    let mut touched: BTreeMap<String, (&'static str, Vec<&Finding>)> = BTreeMap::new();
    for finding in changed {
        let (kind, group) = group_of(finding, group_kind);
        touched
            .entry(group)
            .or_insert((kind, Vec::new()))
            .1
            .push(finding);
    }
    for (group, (kind, findings)) in &touched {
        let Some(scan) = findings.iter().find_map(|f| scan_of(f)) else {
            continue;
        };
        let arrived: Vec<&Finding> = findings
            .iter()
            .copied()
            .filter(|f| f.state.is_open())
            .collect();
        let members: Vec<&Finding> = {
            let mut m: Vec<&Finding> = current
                .values()
                .filter(|f| group_of(f, group_kind).1 == *group)
                .collect();
            m.sort_by(|a, b| {
                a.path()
                    .cmp(b.path())
                    .then(a.fingerprint.cmp(&b.fingerprint))
            });
            m
        };
        let filed = cx
            .filed(group)
            .map(|e| (e.op.op_id.clone(), cx.in_digest(e)));
        match filed {
            None if !arrived.is_empty() => {
                let open: Vec<&Finding> = members
                    .iter()
                    .copied()
                    .filter(|f| f.state.is_open())
                    .collect();
                let body = cx.body(kind, group, &open, scan)?;
                let level = open
                    .iter()
                    .map(|f| f.level)
                    .max()
                    .unwrap_or(super::Level::Warning);
                let title = format!(
                    "[{}] {} {}: {}",
                    scan.tool,
                    level,
                    kind,
                    group_title(group, &scan.tool)
                );
                let title: String = title.chars().take(200).collect();
                let payload = Payload::Issue(IssuePayload {
                    title,
                    body,
                    labels: cx.labels.clone(),
                    hits: Some(open.len() as u64),
                    source: Some(provenance(scan)),
                    digest: None,
                });
                cx.queue(issue_key(group), &payload)?;
            }
            None => {}
            Some((_, true)) => {}
            Some((issue_op, false)) => {
                let target = Target {
                    issue: None,
                    issue_op: Some(issue_op.clone()),
                };
                let pending: Vec<Entry> = cx
                    .aimed_at(OpKind::ProposeAutoClose, &issue_op)
                    .into_iter()
                    .filter(|e| cx.states.get(&e.op.op_id).is_some_and(OpState::is_open))
                    .cloned()
                    .collect();
                if !arrived.is_empty() && cx.closed_by_us(&issue_op) {
                    let body = cx.body(kind, group, &arrived, scan)?;
                    let payload = Payload::Reopen(ReopenPayload {
                        target: target.clone(),
                        comment: Some(format!(
                            "A finding this issue was closed for came back: reopened.\n\n{body}"
                        )),
                    });
                    cx.queue(
                        format!("{}:{}:reopen", issue_key(group), scan.scan_id),
                        &payload,
                    )?;
                } else if !arrived.is_empty() {
                    let mut body = cx.body(kind, group, &arrived, scan)?;
                    let reopened = arrived
                        .iter()
                        .any(|f| f.state == super::FindingState::Reopened);
                    if reopened && !pending.is_empty() {
                        body = format!(
                            "A finding came back: the proposal to close this issue is withdrawn.\n\n{body}"
                        );
                    }
                    let payload = Payload::Comment(CommentPayload {
                        target: target.clone(),
                        body,
                    });
                    cx.queue(
                        format!("{}:{}:comment", issue_key(group), scan.scan_id),
                        &payload,
                    )?;
                    if reopened {
                        for entry in &pending {
                            let mut outcome =
                                OutboxOutcome::of(&entry.op, OutcomeStatus::Done, &scan.run_id);
                            outcome.detail = Some(Detail::Cancelled);
                            cx.planned.ops.push(outcome.put(cx.key));
                        }
                        if pending.iter().any(|e| {
                            matches!(cx.states.get(&e.op.op_id), Some(OpState::Proposed { .. }))
                        }) {
                            let payload = Payload::RemoveLabel(RemoveLabelPayload {
                                target: target.clone(),
                                label: PROPOSED_LABEL.to_owned(),
                            });
                            cx.queue(
                                format!("{}:{}:unpropose", issue_key(group), scan.scan_id),
                                &payload,
                            )?;
                        }
                    }
                }
                let all_resolved =
                    !members.is_empty() && members.iter().all(|f| !f.state.is_open());
                if all_resolved && pending.is_empty() {
                    let payload = Payload::AutoClose(AutoClosePayload {
                        target,
                        reason: format!(
                            "every finding of {kind} `{group}` ({n}) is resolved by scan `{}` of {} at commit `{}`",
                            scan.scan_id,
                            scan.tool,
                            scan.commit,
                            n = members.len()
                        ),
                    });
                    cx.queue(
                        format!("{}:{}:close", issue_key(group), scan.scan_id),
                        &payload,
                    )?;
                }
            }
        }
    }
    Ok(cx.planned)
}

/// The group's name without the tool prefix, for a title.
fn group_title<'g>(group: &'g str, tool: &str) -> &'g str {
    group
        .strip_prefix(tool)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(group)
}

/// What the digest shows as a group's source: tool, version, scan and its time.
fn provenance(scan: &Scan) -> String {
    format!(
        "{}{} · scan {} at {} · run {}",
        scan.tool,
        scan.tool_version
            .as_deref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default(),
        scan.scan_id,
        scan.timestamp,
        scan.run_id
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permalinks_point_at_the_web_host() {
        assert_eq!(web_base("https://api.github.com"), "https://github.com");
        assert_eq!(
            web_base("https://ghe.example.com/api/v3"),
            "https://ghe.example.com"
        );
        assert_eq!(group_title("bandit/B101", "bandit"), "B101");
    }
}
