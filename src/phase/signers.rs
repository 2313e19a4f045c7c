//! `[policy] gate_signers` applied to gate results: which trusted signers'
//! results count where gates are required, and how a result that is trusted
//! but not by an allowed gate signer is explained.
//!
//! The policy is applied inside [`super::status::Reader::gate`], the one place
//! that decides whether a gate passed on a tree, so that pre-push, `phase
//! status`, `phase complete`, `ci run`, `ci check-push` and the daemon all see
//! the same answer. Only places that require gates read that answer, and they
//! are all about protected refs (a push to one, or a phase completion, which
//! moves every protected ref on to the next phase): an unprotected push needs
//! no gate result at all, so a laptop's results serve feature branches as before.

use crate::config::GateSigners;
use crate::records::Read;
use crate::sign::SignatureStatus;
use crate::sign::allowed_signers::matches_pattern_list;

/// Whether a counted record (trusted, or unsigned where allowed) is by an
/// allowed gate signer: one of its key's principals matches the patterns.
pub(crate) fn allows<K>(signers: &GateSigners, read: &Read<K>) -> bool {
    match &read.status {
        SignatureStatus::Trusted { principals, .. } => principals
            .iter()
            .any(|p| matches_pattern_list(p, signers.patterns())),
        // Unsigned results count only where anyone's do.
        _ => signers.is_anyone(),
    }
}

/// What a refusal says of a gate whose only passing results are signed by
/// trusted signers that `gate_signers` leaves out: who signed them, and which
/// signer is missing.
pub fn missing_signer_note(signers: &GateSigners, others: &[String]) -> Option<String> {
    match others.is_empty() {
        true => None,
        false => Some(format!(
            "passed, signed by {}, but only results signed by {} count here ([policy] gate_signers); \
             a signer matching {} must run it (e.g. `git auditops ci run` in CI)",
            others.join(", "),
            signers.describe(),
            signers.describe(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RecordId;

    fn signers(patterns: &[&str]) -> GateSigners {
        GateSigners(
            patterns
                .iter()
                .map(|p| toml::Spanned::new(0..0, (*p).to_owned()))
                .collect(),
        )
    }

    fn read(status: SignatureStatus) -> Read<()> {
        Read {
            id: RecordId::of(b"x"),
            record: (),
            status,
        }
    }

    fn by(principal: &str) -> Read<()> {
        read(SignatureStatus::Trusted {
            keyid: "k".into(),
            principals: vec![principal.into()],
        })
    }

    #[test]
    fn patterns_choose_the_signers() {
        let ci = signers(&["ci@*"]);
        assert!(allows(&ci, &by("ci@github-actions")));
        assert!(!allows(&ci, &by("alice@laptop")));
        assert!(!allows(&ci, &read(SignatureStatus::Unsigned)));
        let anyone = signers(&["*"]);
        assert!(allows(&anyone, &by("alice@laptop")));
        assert!(allows(&anyone, &read(SignatureStatus::Unsigned)));
        let but = signers(&["*", "!mallory@*"]);
        assert!(!allows(&but, &by("mallory@x")));
        assert!(!allows(&but, &read(SignatureStatus::Unsigned)));
        let note = missing_signer_note(&ci, &["alice@laptop".into()]).unwrap();
        assert!(
            note.contains("alice@laptop") && note.contains("ci@*"),
            "{note}"
        );
    }
}
