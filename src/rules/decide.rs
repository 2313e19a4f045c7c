//! `rules accept`, `rules reject`, `rules list`, `rules show`: a person's
//! decisions about failure signatures, as signed `rule` records.

use super::RulesError;
use super::propose::{self, Proposal};
use super::record::{Confidence, Rule, RuleAction, Verdict, retry_allowed, rule_id};
use crate::error::Result;
use crate::records::{KeyedKind, read_all};
use crate::time::Timestamp;
use crate::workspace::Workspace;
use serde::Serialize;
use std::collections::BTreeMap;

/// At most this many failure records are named in a rule.
const LEARNED_FROM: usize = 50;

/// What `rules accept` was given.
#[derive(Debug, Clone, Default)]
pub struct Acceptance {
    /// What to tell the developer (default: the suggestion's).
    pub guidance: Option<String>,
    /// What to do (default: the suggestion's, else none).
    pub action: Option<RuleAction>,
    /// The fix command.
    pub fix: Option<String>,
    /// The check is flaky: retry allowed whatever its category.
    pub flaky: bool,
}

/// A rule as listed and shown.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// The record's id in the state.
    pub record: String,
    /// The rule.
    #[serde(flatten)]
    pub rule: Rule,
}

/// The latest counted decision per signature, newest first.
pub(crate) fn latest(ws: &Workspace) -> Result<Vec<Rule>> {
    Ok(latest_listed(ws)?.into_iter().map(|l| l.rule).collect())
}

fn latest_listed(ws: &Workspace) -> Result<Vec<Listed>> {
    let Some(view) = ws.view()? else {
        return Ok(Vec::new());
    };
    let require_signed = ws.require_signed()?;
    let mut by_sig: BTreeMap<String, Listed> = BTreeMap::new();
    for read in read_all::<Rule>(&view, ws.trust()?)? {
        if !read.counts(require_signed) {
            continue;
        }
        let listed = Listed {
            record: read.id.to_hex(),
            rule: read.record,
        };
        let key = listed.rule.signature.to_hex();
        match by_sig.get(&key) {
            // Latest wins; a tie goes to the larger record id, so every clone agrees.
            Some(old)
                if (old.rule.created_at, &old.record)
                    > (listed.rule.created_at, &listed.record) => {}
            _ => {
                by_sig.insert(key, listed);
            }
        }
    }
    let mut all: Vec<Listed> = by_sig.into_values().collect();
    all.sort_by_key(|l| std::cmp::Reverse(l.rule.created_at));
    Ok(all)
}

/// The accepted rules, by signature.
pub(crate) fn accepted(ws: &Workspace) -> Result<BTreeMap<crate::ids::Sha256, Rule>> {
    Ok(latest(ws)?
        .into_iter()
        .filter(|r| r.verdict == Verdict::Accepted)
        .map(|r| (r.signature, r))
        .collect())
}

/// The recorded signature `sig` names (its sha256 or a prefix of ≥ 8).
fn find(ws: &Workspace, sig: &str) -> Result<Proposal> {
    let prefix = sig.trim().to_ascii_lowercase();
    if prefix.len() < 8 || prefix.len() > 64 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(RulesError::BadSignature(sig.to_owned()).into());
    }
    let mut found: Vec<Proposal> = propose::all_time(ws)?
        .into_iter()
        .filter(|p| p.sha256.to_hex().starts_with(&prefix))
        .collect();
    match found.len() {
        0 => Err(RulesError::UnknownSignature(sig.to_owned()).into()),
        1 => Ok(found.remove(0)),
        count => Err(RulesError::Ambiguous { prefix, count }.into()),
    }
}

fn non_empty(text: Option<String>, flag: &'static str) -> Result<Option<String>> {
    match text {
        Some(t) if t.trim().is_empty() => Err(RulesError::Empty(flag).into()),
        Some(t) => Ok(Some(crate::evidence::redact(t.trim()).into_owned())),
        None => Ok(None),
    }
}

fn record(ws: &Workspace, rule: Rule, verb: &str) -> Result<Listed> {
    let key = crate::sign::key::for_recording(ws)?;
    let rule = Rule {
        keyid: key.as_ref().map(|k| k.public.keyid()),
        ..rule
    };
    let short = rule.signature.short();
    let op = rule.put(key.as_ref());
    let record = match &op {
        crate::store::Op::Put { line, .. } => crate::store::RecordId::of(line).to_hex(),
        _ => unreachable!("a keyed record is put"),
    };
    ws.write(&[op], &format!("rules: {verb} {short} ({})", rule.category))?;
    Ok(Listed { record, rule })
}

fn base(proposal: &Proposal, verdict: Verdict) -> Rule {
    Rule {
        schema_version: 1,
        id: rule_id(&proposal.sha256),
        signature: proposal.sha256,
        signature_text: proposal.signature.clone(),
        category: proposal.category,
        verdict,
        guidance: None,
        action: RuleAction::None,
        fix: None,
        flaky: false,
        reason: None,
        confidence: Confidence::of(proposal.count),
        frequency: proposal.count,
        learned_from: proposal
            .records
            .iter()
            .take(LEARNED_FROM)
            .cloned()
            .collect(),
        created_at: Timestamp::now(),
        keyid: None,
    }
}

/// `rules accept SIG …`: checks everything before recording anything.
pub fn accept(ws: &Workspace, sig: &str, given: Acceptance) -> Result<Listed> {
    let guidance = non_empty(given.guidance, "--guidance")?;
    if let Some(command) = &given.fix
        && crate::evidence::redact(command.trim()) != command.trim()
    {
        // A command cannot be stored redacted (it would not run), nor as is.
        return Err(RulesError::SecretInFix.into());
    }
    let fix = non_empty(given.fix, "--fix")?;
    let proposal = find(ws, sig)?;
    let suggestion = proposal.suggestion.clone();
    let action = given
        .action
        .or(suggestion.as_ref().map(|s| s.action))
        .unwrap_or_default();
    let fix = match (action, fix) {
        (RuleAction::Fix, Some(fix)) => Some(fix),
        (RuleAction::Fix, None) if given.action.is_none() => {
            suggestion.as_ref().and_then(|s| s.fix.clone())
        }
        (RuleAction::Fix, None) => return Err(RulesError::FixWithoutCommand.into()),
        (_, Some(_)) => return Err(RulesError::CommandWithoutFix.into()),
        (_, None) => None,
    };
    let flaky = given.flaky || (proposal.flaky && given.action.is_none());
    if action == RuleAction::Retry && !retry_allowed(proposal.category, flaky) {
        return Err(RulesError::RetryNotAllowed {
            category: proposal.category,
        }
        .into());
    }
    let rule = Rule {
        guidance: guidance.or(suggestion.map(|s| s.guidance)),
        action,
        fix,
        flaky,
        ..base(&proposal, Verdict::Accepted)
    };
    record(ws, rule, "accept")
}

/// `rules reject SIG --reason TEXT`.
pub fn reject(ws: &Workspace, sig: &str, reason: &str) -> Result<Listed> {
    let reason = non_empty(Some(reason.to_owned()), "--reason")?;
    let proposal = find(ws, sig)?;
    let rule = Rule {
        reason,
        ..base(&proposal, Verdict::Rejected)
    };
    record(ws, rule, "reject")
}

/// `rules list`: the latest decision per signature, newest first.
pub fn list(ws: &Workspace) -> Result<Vec<Listed>> {
    latest_listed(ws)
}

/// `rules show ID`: by rule id, signature or a prefix of ≥ 8 of either.
pub fn show(ws: &Workspace, id: &str) -> Result<Listed> {
    let wanted = id.trim().trim_start_matches("rule_").to_ascii_lowercase();
    let mut found: Vec<Listed> = latest_listed(ws)?
        .into_iter()
        .filter(|l| wanted.len() >= 8 && l.rule.signature.to_hex().starts_with(&wanted))
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        _ => Err(RulesError::UnknownRule(id.to_owned()).into()),
    }
}
