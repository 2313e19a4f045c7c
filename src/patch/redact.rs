//! Redaction of a decision's free text before it is recorded: the patch's
//! commit message (subject and body) and author, the reasons (which quote
//! errors and validator output) and each validator's output tail. A secret
//! committed by mistake in a message, or printed by a test, must not reach
//! the state (docs/security.md); the commit in git keeps the message as
//! written, as the user's own history does.

use super::records::DecisionRecord;
use crate::evidence::redact;

fn clean(text: &mut String) {
    if let std::borrow::Cow::Owned(redacted) = redact(text) {
        *text = redacted;
    }
}

impl DecisionRecord {
    /// The record with every free-text field redacted.
    pub(crate) fn redacted(mut self) -> Self {
        let optional = [&mut self.subject, &mut self.body, &mut self.author];
        optional.into_iter().flatten().for_each(clean);
        self.reasons.iter_mut().for_each(clean);
        let tails = self.validators.iter_mut();
        tails.filter_map(|s| s.output_tail.as_mut()).for_each(clean);
        self
    }
}

#[cfg(test)]
mod tests {
    use crate::patch::records::DecisionRecord;

    #[test]
    fn the_message_and_reasons_are_redacted() {
        let token = format!("ghp_{}", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8");
        let record: DecisionRecord = serde_json::from_value(serde_json::json!({
            "schema_version": 1,
            "patch_id": "0".repeat(64),
            "target": "main",
            "base_commit": "1".repeat(40),
            "result_commit": null,
            "mode": "automatic",
            "validators": [],
            "confidence": 0.0,
            "decision": "rejected",
            "action": "alerted",
            "reasons": [format!("apply failed near {token}")],
            "files": [],
            "subject": format!("Use {token}"),
            "body": format!("TOKEN={token}\n"),
            "timestamp": "2026-01-01T00:00:00Z",
        }))
        .unwrap();
        let text = serde_json::to_string(&record.redacted()).unwrap();
        assert!(!text.contains(&token), "{text}");
        assert!(text.contains("[REDACTED:"), "{text}");
    }
}
