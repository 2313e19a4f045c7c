//! The payload of each kind of operation: typed views of the stored JSON,
//! and their validation (at queue time and again before execution, since a
//! record may come from another clone).

use super::OpKind;
use serde::{Deserialize, Deserializer, Serialize};

/// GitHub's limits: a title of 256 characters, a body of 65536.
pub const MAX_TITLE_CHARS: usize = 256;
pub const MAX_BODY_CHARS: usize = 65_536;
const MAX_LABEL_CHARS: usize = 50;

/// `create_issue`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuePayload {
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub labels: Vec<String>,
    /// How many hits the issue reports (the digest sorts by it); default 1.
    #[serde(default)]
    pub hits: Option<u64>,
    /// Where the hits were found (a file, a repository, a scanner).
    #[serde(default)]
    pub source: Option<String>,
    /// Set on a digest issue: the operations it lists.
    #[serde(default)]
    pub digest: Option<DigestInfo>,
}

impl IssuePayload {
    pub fn hits(&self) -> u64 {
        self.hits.unwrap_or(1)
    }
}

/// What a digest issue stands for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigestInfo {
    /// The folded `create_issue` op ids.
    pub folds: Vec<String>,
    pub total_hits: u64,
    pub sources_scanned: u64,
    pub run_id: String,
}

/// The issue an operation acts on: a number, or the issue another operation
/// creates (`issue_op`), resolved once that operation is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_op: Option<String>,
}

impl Target {
    fn check(&self) -> Result<(), String> {
        match (self.issue, &self.issue_op) {
            (Some(0), _) => Err("`issue` must be a positive number".into()),
            (Some(_), None) | (None, Some(_)) => Ok(()),
            (Some(_), Some(_)) => Err("give `issue` or `issue_op`, not both".into()),
            (None, None) => {
                Err("name the issue: `issue` (a number) or `issue_op` (an op id)".into())
            }
        }
    }
}

/// `comment`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommentPayload {
    #[serde(flatten)]
    pub target: Target,
    pub body: String,
}

/// `add_labels`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelsPayload {
    #[serde(flatten)]
    pub target: Target,
    pub labels: Vec<String>,
}

/// `remove_label`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoveLabelPayload {
    #[serde(flatten)]
    pub target: Target,
    pub label: String,
}

/// `close_issue`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosePayload {
    #[serde(flatten)]
    pub target: Target,
    /// `completed` (default) or `not_planned`.
    #[serde(default)]
    pub reason: Option<String>,
    /// A comment posted before closing.
    #[serde(default)]
    pub comment: Option<String>,
}

/// `propose_auto_close`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoClosePayload {
    #[serde(flatten)]
    pub target: Target,
    /// Why the issue looks resolved.
    pub reason: String,
}

/// One validator's part in a patch decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validator {
    pub name: String,
    #[serde(deserialize_with = "lenient_f64")]
    pub score: f64,
    #[serde(deserialize_with = "lenient_f64")]
    pub weight: f64,
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
    pub title: String,
    pub patch_id: String,
    pub decision_id: String,
    /// `pull_request` or `auto_merge`.
    pub decision: String,
    #[serde(deserialize_with = "lenient_f64")]
    pub confidence: f64,
    #[serde(default)]
    pub validators: Vec<Validator>,
    #[serde(default)]
    pub reason: String,
    /// Ask GitHub to merge once the checks pass.
    #[serde(default)]
    pub auto_merge: bool,
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
pub fn integers_only(value: serde_json::Value) -> serde_json::Value {
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

fn check_text(what: &str, text: &str, max: usize, required: bool) -> Result<(), String> {
    if required && text.trim().is_empty() {
        return Err(format!("the {what} is empty"));
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(format!(
            "the {what} has {chars} characters; GitHub takes at most {max}"
        ));
    }
    Ok(())
}

pub fn check_label(label: &str) -> Result<(), String> {
    let label_chars = label.chars().count();
    if label.trim().is_empty() || label_chars > MAX_LABEL_CHARS || label.contains(',') {
        return Err(format!(
            "`{label}` is not a label: 1 to {MAX_LABEL_CHARS} characters, no commas"
        ));
    }
    Ok(())
}

/// A branch name git and GitHub both accept, checked conservatively.
fn check_branch(what: &str, branch: &str) -> Result<(), String> {
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
        return Err(format!(
            "the {what} branch `{branch}` is not a plain branch name"
        ));
    }
    Ok(())
}

fn parse<T: serde::de::DeserializeOwned>(
    kind: OpKind,
    payload: &serde_json::Value,
) -> Result<T, String> {
    T::deserialize(payload).map_err(|err| format!("{kind} payload: {err}"))
}

pub fn issue(payload: &serde_json::Value) -> Result<IssuePayload, String> {
    let p: IssuePayload = parse(OpKind::CreateIssue, payload)?;
    check_text("title", &p.title, MAX_TITLE_CHARS, true)?;
    // Leave room for the marker the executor appends.
    check_text("body", &p.body, MAX_BODY_CHARS - 200, false)?;
    p.labels.iter().try_for_each(|l| check_label(l))?;
    Ok(p)
}

pub fn comment(payload: &serde_json::Value) -> Result<CommentPayload, String> {
    let p: CommentPayload = parse(OpKind::Comment, payload)?;
    p.target.check()?;
    check_text("comment", &p.body, MAX_BODY_CHARS - 200, true)?;
    Ok(p)
}

pub fn add_labels(payload: &serde_json::Value) -> Result<LabelsPayload, String> {
    let p: LabelsPayload = parse(OpKind::AddLabels, payload)?;
    p.target.check()?;
    if p.labels.is_empty() {
        return Err("add_labels payload: no labels".into());
    }
    p.labels.iter().try_for_each(|l| check_label(l))?;
    Ok(p)
}

pub fn remove_label(payload: &serde_json::Value) -> Result<RemoveLabelPayload, String> {
    let p: RemoveLabelPayload = parse(OpKind::RemoveLabel, payload)?;
    p.target.check()?;
    check_label(&p.label)?;
    Ok(p)
}

pub fn close(payload: &serde_json::Value) -> Result<ClosePayload, String> {
    let p: ClosePayload = parse(OpKind::CloseIssue, payload)?;
    p.target.check()?;
    match p.reason.as_deref() {
        None | Some("completed") | Some("not_planned") => {}
        Some(other) => {
            return Err(format!(
                "close_issue reason `{other}`: use completed or not_planned"
            ));
        }
    }
    if let Some(comment) = &p.comment {
        check_text("comment", comment, MAX_BODY_CHARS - 200, false)?;
    }
    Ok(p)
}

pub fn auto_close(payload: &serde_json::Value) -> Result<AutoClosePayload, String> {
    let p: AutoClosePayload = parse(OpKind::ProposeAutoClose, payload)?;
    p.target.check()?;
    check_text("reason", &p.reason, MAX_BODY_CHARS / 2, true)?;
    Ok(p)
}

pub fn pull_request(payload: &serde_json::Value) -> Result<PullRequestPayload, String> {
    let p: PullRequestPayload = parse(OpKind::CreatePullRequest, payload)?;
    check_branch("head", &p.head)?;
    check_branch("base", &p.base)?;
    check_text("title", &p.title, MAX_TITLE_CHARS, true)?;
    if !(0.0..=1.0).contains(&p.confidence) {
        return Err(format!(
            "create_pull_request confidence {} is not between 0 and 1",
            p.confidence
        ));
    }
    Ok(p)
}

/// Checks `payload` against `kind`'s fields.
pub fn validate(kind: OpKind, payload: &serde_json::Value) -> Result<(), String> {
    match kind {
        OpKind::CreateIssue => issue(payload).map(drop),
        OpKind::Comment => comment(payload).map(drop),
        OpKind::AddLabels => add_labels(payload).map(drop),
        OpKind::RemoveLabel => remove_label(payload).map(drop),
        OpKind::CloseIssue => close(payload).map(drop),
        OpKind::CreatePullRequest => pull_request(payload).map(drop),
        OpKind::ProposeAutoClose => auto_close(payload).map(drop),
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
        let p = pull_request(&stored).unwrap();
        assert!((p.confidence - 0.87).abs() < 1e-9);
        assert!((p.validators[0].weight - 0.4).abs() < 1e-9);
    }

    #[test]
    fn targets_need_exactly_one_reference() {
        assert!(comment(&json!({"issue": 3, "body": "x"})).is_ok());
        assert!(comment(&json!({"issue_op": "abcd", "body": "x"})).is_ok());
        assert!(comment(&json!({"body": "x"})).is_err());
        assert!(comment(&json!({"issue": 3, "issue_op": "a", "body": "x"})).is_err());
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
