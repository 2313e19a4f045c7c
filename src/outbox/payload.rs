//! The payload of each kind of operation: typed views of the stored JSON,
//! and their validation (at queue time and again before execution, since a
//! record may come from another clone).

use super::OpKind;
use super::op_id::OpId;
use serde::{Deserialize, Deserializer, Serialize};

/// GitHub's limit on a title, in characters.
pub const MAX_TITLE_CHARS: usize = 256;
/// GitHub's limit on a body (issue, comment, pull request), in characters.
pub const MAX_BODY_CHARS: usize = 65_536;
const MAX_LABEL_CHARS: usize = 50;
/// Room left in a body for the marker the executor appends.
const MARKER_ROOM: usize = 200;

/// Why a payload does not fit its kind.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// The JSON does not have the kind's fields.
    #[error("{kind} payload")]
    Fields {
        /// The operation's kind.
        kind: OpKind,
        /// What serde found wrong.
        #[source]
        source: serde_json::Error,
    },
    /// A required text is blank.
    #[error("the {what} is empty")]
    Empty {
        /// Which text (`title`, `body`, …).
        what: &'static str,
    },
    /// A text is longer than GitHub takes.
    #[error("the {what} has {chars} characters; GitHub takes at most {max}")]
    TooLong {
        /// Which text.
        what: &'static str,
        /// Its length.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// Not a GitHub label.
    #[error("`{0}` is not a label: 1 to {MAX_LABEL_CHARS} characters, no commas")]
    Label(String),
    /// `add_labels` with no label.
    #[error("add_labels payload: no labels")]
    NoLabels,
    /// A branch name that is not plain.
    #[error("the {what} branch `{branch}` is not a plain branch name")]
    Branch {
        /// `head` or `base`.
        what: &'static str,
        /// The name given.
        branch: String,
    },
    /// The target names issue 0.
    #[error("`issue` must be a positive number")]
    IssueZero,
    /// The target names both an issue and an operation.
    #[error("give `issue` or `issue_op`, not both")]
    TwoTargets,
    /// The target names nothing.
    #[error("name the issue: `issue` (a number) or `issue_op` (an op id)")]
    NoTarget,
    /// A confidence outside 0..=1.
    #[error("create_pull_request confidence {0} is not between 0 and 1")]
    Confidence(f64),
}

/// `create_issue`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuePayload {
    /// The issue's title.
    pub title: String,
    /// The issue's body (Markdown), rendered into `templates/issue.md.j2`.
    pub body: String,
    /// Labels to add.
    #[serde(default)]
    pub labels: Vec<String>,
    /// How many hits the issue reports (the digest sorts by it); default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hits: Option<u64>,
    /// Where the hits were found (a file, a repository, a scanner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Set on a digest issue: the operations it lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<DigestInfo>,
}

impl IssuePayload {
    /// How many hits the issue reports (1 unless given).
    pub fn hits(&self) -> u64 {
        self.hits.unwrap_or(1)
    }
}

/// What a digest issue stands for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigestInfo {
    /// The folded `create_issue` op ids.
    pub folds: Vec<OpId>,
    /// The hits of all folded issues.
    pub total_hits: u64,
    /// How many distinct sources they came from.
    pub sources_scanned: u64,
    /// The sync run that folded them.
    pub run_id: String,
}

/// The issue an operation acts on: a number, or the issue another operation
/// creates (`issue_op`), resolved once that operation is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// The issue's number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<u64>,
    /// The operation that creates the issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_op: Option<OpId>,
}

impl Target {
    fn check(&self) -> Result<(), PayloadError> {
        match (self.issue, &self.issue_op) {
            (Some(0), _) => Err(PayloadError::IssueZero),
            (Some(_), None) | (None, Some(_)) => Ok(()),
            (Some(_), Some(_)) => Err(PayloadError::TwoTargets),
            (None, None) => Err(PayloadError::NoTarget),
        }
    }

    /// `#<number>`, or the operation that creates the issue.
    pub fn describe(&self) -> String {
        match (self.issue, &self.issue_op) {
            (Some(n), _) => format!("#{n}"),
            (None, Some(op)) => format!("the issue of op {op}"),
            (None, None) => String::new(),
        }
    }
}

/// `comment`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommentPayload {
    /// The issue to comment on.
    #[serde(flatten)]
    pub target: Target,
    /// The comment (Markdown).
    pub body: String,
}

/// `add_labels`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelsPayload {
    /// The issue to label.
    #[serde(flatten)]
    pub target: Target,
    /// The labels to add.
    pub labels: Vec<String>,
}

/// `remove_label`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoveLabelPayload {
    /// The issue to remove the label from.
    #[serde(flatten)]
    pub target: Target,
    /// The label to remove.
    pub label: String,
}

super::named::named_enum! {
    /// The reason GitHub records for closing an issue.
    pub enum CloseReason {
        /// Done.
        Completed = "completed",
        /// Will not be done.
        NotPlanned = "not_planned",
    }
}

super::named::named_enum! {
    /// The patch decision behind a pull request.
    pub enum PullRequestDecision {
        /// Open a pull request for review.
        PullRequest = "pull_request",
        /// Open it and let GitHub merge it once the checks pass.
        AutoMerge = "auto_merge",
    }
}

/// `close_issue`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosePayload {
    /// The issue to close.
    #[serde(flatten)]
    pub target: Target,
    /// Why it is closed (default: completed).
    #[serde(default)]
    pub reason: Option<CloseReason>,
    /// A comment posted before closing.
    #[serde(default)]
    pub comment: Option<String>,
}

/// `propose_auto_close`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoClosePayload {
    /// The issue to propose closing.
    #[serde(flatten)]
    pub target: Target,
    /// Why the issue looks resolved.
    pub reason: String,
}

/// `reopen_issue`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReopenPayload {
    /// The issue to reopen.
    #[serde(flatten)]
    pub target: Target,
    /// A comment posted after reopening.
    #[serde(default)]
    pub comment: Option<String>,
}

/// One validator's part in a patch decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validator {
    /// The validator's name.
    pub name: String,
    /// Its score, 0 to 1.
    #[serde(deserialize_with = "lenient_f64")]
    pub score: f64,
    /// Its weight in the confidence.
    #[serde(deserialize_with = "lenient_f64")]
    pub weight: f64,
    /// What it checks (`testing`, …).
    #[serde(default)]
    pub category: Option<String>,
}

/// `create_pull_request`, as the patch feature queues it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullRequestPayload {
    /// The branch to push and open the pull request from (`auditops/patch/<id>`).
    pub head: String,
    /// The branch to merge into.
    pub base: String,
    /// The pull request's title.
    pub title: String,
    /// The patch's id.
    pub patch_id: String,
    /// The record id of the patch decision.
    pub decision_id: String,
    /// What the patch rules decided.
    pub decision: PullRequestDecision,
    /// The patch's confidence, 0 to 1.
    #[serde(deserialize_with = "lenient_f64")]
    pub confidence: f64,
    /// The validators behind the confidence.
    #[serde(default)]
    pub validators: Vec<Validator>,
    /// Why the rules decided so.
    #[serde(default)]
    pub reason: String,
    /// Ask GitHub to merge once the checks pass.
    #[serde(default)]
    pub auto_merge: bool,
    /// The patch's message below its subject: the pull request's body opens
    /// with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The patch's author (`NAME <EMAIL>`), when it named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// Numbers that are not integers are stored as decimal strings; read either.
fn lenient_f64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Num {
        Number(f64),
        Text(String),
    }
    match Num::deserialize(deserializer)? {
        Num::Number(n) => Ok(n),
        Num::Text(text) => text
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a number"))),
    }
}

/// Replaces every number that is not an integer by its decimal string: records
/// are canonical JSON, which holds integers only (docs/state-format.md).
pub(crate) fn integers_only(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Number(n) if !(n.is_i64() || n.is_u64()) => Value::String(n.to_string()),
        Value::Array(items) => Value::Array(items.into_iter().map(integers_only).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, integers_only(v)))
                .collect(),
        ),
        other => other,
    }
}

fn check_text(
    what: &'static str,
    text: &str,
    max: usize,
    required: bool,
) -> Result<(), PayloadError> {
    if required && text.trim().is_empty() {
        return Err(PayloadError::Empty { what });
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(PayloadError::TooLong { what, chars, max });
    }
    Ok(())
}

/// Checks that `label` is a label GitHub takes: 1 to 50 characters, no commas.
fn check_label(label: &str) -> Result<(), PayloadError> {
    let label_chars = label.chars().count();
    if label.trim().is_empty() || label_chars > MAX_LABEL_CHARS || label.contains(',') {
        return Err(PayloadError::Label(label.to_owned()));
    }
    Ok(())
}

fn check_labels(labels: &[String]) -> Result<(), PayloadError> {
    labels.iter().try_for_each(|l| check_label(l))
}

/// A branch name git and GitHub both accept, checked conservatively.
fn check_branch(what: &'static str, branch: &str) -> Result<(), PayloadError> {
    let bad = branch.is_empty()
        || branch.starts_with('-')
        || branch.starts_with('/')
        || branch.ends_with('/')
        || branch.ends_with(".lock")
        || branch.contains("..")
        || branch.contains("//")
        || branch.contains("@{")
        || !branch
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
    if bad {
        return Err(PayloadError::Branch {
            what,
            branch: branch.to_owned(),
        });
    }
    Ok(())
}

/// An operation's payload, read and checked for its kind. Serializes as the
/// kind's fields alone (the kind is stored beside it).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Payload {
    /// `create_issue`.
    Issue(IssuePayload),
    /// `comment`.
    Comment(CommentPayload),
    /// `add_labels`.
    AddLabels(LabelsPayload),
    /// `remove_label`.
    RemoveLabel(RemoveLabelPayload),
    /// `close_issue`.
    Close(ClosePayload),
    /// `propose_auto_close`.
    AutoClose(AutoClosePayload),
    /// `reopen_issue`.
    Reopen(ReopenPayload),
    /// `create_pull_request`.
    PullRequest(PullRequestPayload),
    /// `post_webhook`.
    Webhook(WebhookPayload),
}

/// `post_webhook`: an alert's text, posted as `{"text": …}` to the
/// `[alerts] webhook` in force when it is sent. The URL is not recorded:
/// webhook URLs carry their secret in the path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookPayload {
    /// The message (Slack's `text`).
    pub text: String,
}

fn parse<T: serde::de::DeserializeOwned>(
    kind: OpKind,
    payload: &serde_json::Value,
) -> Result<T, PayloadError> {
    T::deserialize(payload).map_err(|source| PayloadError::Fields { kind, source })
}

impl Payload {
    /// Reads `payload` as `kind`'s fields and checks them (at queue time, and
    /// again before execution, since a record may come from another clone).
    pub fn read(kind: OpKind, payload: &serde_json::Value) -> Result<Self, PayloadError> {
        let read = match kind {
            OpKind::CreateIssue => Payload::Issue(parse(kind, payload)?),
            OpKind::Comment => Payload::Comment(parse(kind, payload)?),
            OpKind::AddLabels => Payload::AddLabels(parse(kind, payload)?),
            OpKind::RemoveLabel => Payload::RemoveLabel(parse(kind, payload)?),
            OpKind::CloseIssue => Payload::Close(parse(kind, payload)?),
            OpKind::ProposeAutoClose => Payload::AutoClose(parse(kind, payload)?),
            OpKind::ReopenIssue => Payload::Reopen(parse(kind, payload)?),
            OpKind::CreatePullRequest => Payload::PullRequest(parse(kind, payload)?),
            OpKind::PostWebhook => Payload::Webhook(parse(kind, payload)?),
        };
        read.check()?;
        Ok(read)
    }

    /// The kind of operation this payload is for.
    pub fn kind(&self) -> OpKind {
        match self {
            Payload::Issue(_) => OpKind::CreateIssue,
            Payload::Comment(_) => OpKind::Comment,
            Payload::AddLabels(_) => OpKind::AddLabels,
            Payload::RemoveLabel(_) => OpKind::RemoveLabel,
            Payload::Close(_) => OpKind::CloseIssue,
            Payload::AutoClose(_) => OpKind::ProposeAutoClose,
            Payload::Reopen(_) => OpKind::ReopenIssue,
            Payload::PullRequest(_) => OpKind::CreatePullRequest,
            Payload::Webhook(_) => OpKind::PostWebhook,
        }
    }

    fn check(&self) -> Result<(), PayloadError> {
        let body_max = MAX_BODY_CHARS - MARKER_ROOM;
        if let Some(target) = self.target() {
            target.check()?;
        }
        match self {
            Payload::Issue(p) => {
                check_text("title", &p.title, MAX_TITLE_CHARS, true)?;
                check_text("body", &p.body, body_max, false)?;
                check_labels(&p.labels)
            }
            Payload::Comment(p) => check_text("comment", &p.body, body_max, true),
            Payload::AddLabels(p) if p.labels.is_empty() => Err(PayloadError::NoLabels),
            Payload::AddLabels(p) => check_labels(&p.labels),
            Payload::RemoveLabel(p) => check_label(&p.label),
            Payload::Close(ClosePayload { comment, .. })
            | Payload::Reopen(ReopenPayload { comment, .. }) => match comment {
                Some(comment) => check_text("comment", comment, body_max, false),
                None => Ok(()),
            },
            Payload::AutoClose(p) => check_text("reason", &p.reason, MAX_BODY_CHARS / 2, true),
            Payload::Webhook(p) => check_text("text", &p.text, body_max, true),
            Payload::PullRequest(p) => {
                check_branch("head", &p.head)?;
                check_branch("base", &p.base)?;
                check_text("title", &p.title, MAX_TITLE_CHARS, true)?;
                match (0.0..=1.0).contains(&p.confidence) {
                    true => Ok(()),
                    false => Err(PayloadError::Confidence(p.confidence)),
                }
            }
        }
    }

    /// The issue the operation acts on, for kinds that act on one.
    pub fn target(&self) -> Option<&Target> {
        match self {
            Payload::Comment(p) => Some(&p.target),
            Payload::AddLabels(p) => Some(&p.target),
            Payload::RemoveLabel(p) => Some(&p.target),
            Payload::Close(p) => Some(&p.target),
            Payload::AutoClose(p) => Some(&p.target),
            Payload::Reopen(p) => Some(&p.target),
            Payload::Issue(_) | Payload::PullRequest(_) | Payload::Webhook(_) => None,
        }
    }

    /// The labels the operation puts on what it creates or targets.
    pub fn labels(&self) -> &[String] {
        match self {
            Payload::Issue(p) => &p.labels,
            Payload::AddLabels(p) => &p.labels,
            _ => &[],
        }
    }

    /// What the operation is about, in a few words: its title or its target.
    pub fn describe(&self) -> String {
        match self {
            Payload::Issue(IssuePayload { title, .. })
            | Payload::PullRequest(PullRequestPayload { title, .. }) => format!("\"{title}\""),
            other => other.target().map(Target::describe).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_become_strings_and_read_back() {
        let stored = integers_only(json!({
            "head": "auditops/patch/abc", "base": "main", "title": "fix",
            "patch_id": "p", "decision_id": "d", "decision": "pull_request",
            "confidence": 0.87, "auto_merge": false, "reason": "r",
            "validators": [{"name": "tests", "score": 1.0, "weight": 0.4, "category": "testing"}],
            "count": 3
        }));
        assert_eq!(stored["confidence"], "0.87");
        assert_eq!(stored["validators"][0]["score"], "1.0");
        assert_eq!(stored["count"], 3);
        let Payload::PullRequest(p) = Payload::read(OpKind::CreatePullRequest, &stored).unwrap()
        else {
            panic!("not a pull request payload")
        };
        assert!((p.confidence - 0.87).abs() < 1e-9);
        assert!((p.validators[0].weight - 0.4).abs() < 1e-9);
    }

    #[test]
    fn targets_need_exactly_one_reference() {
        let comment = |payload| Payload::read(OpKind::Comment, &payload);
        let op = "0123456789abcdef";
        assert!(comment(json!({"issue": 3, "body": "x"})).is_ok());
        assert!(comment(json!({"issue_op": op, "body": "x"})).is_ok());
        assert!(comment(json!({"issue_op": "abcd", "body": "x"})).is_err());
        assert!(comment(json!({"body": "x"})).is_err());
        assert!(comment(json!({"issue": 3, "issue_op": op, "body": "x"})).is_err());
    }

    #[test]
    fn names_and_labels() {
        assert!(check_label("auto-close:proposed").is_ok());
        assert!(check_label("a,b").is_err());
        assert!(check_branch("head", "auditops/patch/1a2b").is_ok());
        assert!(check_branch("head", "-x").is_err());
        assert!(check_branch("head", "a..b").is_err());
    }
}
