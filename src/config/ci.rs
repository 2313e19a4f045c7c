//! What CI runners are trusted with: `[policy] gate_signers` (whose gate results
//! count for protected refs) and the `[ci]` section (what `ci check-push` does
//! about a push that skipped the hook).

use serde::Deserialize;
use toml::Spanned;

/// `[policy] gate_signers`: principal patterns (OpenSSH's `*`, `?` and `!`
/// negation, as in allowed_signers) of the signers whose gate results count
/// wherever gates are required (pushes to protected refs, `phase complete`,
/// `ci check-push`). The default `["*"]` lets every trusted signer count.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct GateSigners(pub Vec<Spanned<String>>);

impl Default for GateSigners {
    fn default() -> Self {
        GateSigners(vec![Spanned::new(0..0, "*".to_owned())])
    }
}

impl GateSigners {
    /// The patterns, as written.
    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|p| p.get_ref().as_str())
    }

    /// Whether every trusted signer counts (a plain `*` and no negation), so
    /// that unsigned results (under `require_signed = false`) count too.
    pub fn is_anyone(&self) -> bool {
        self.patterns().any(|p| p == "*") && !self.patterns().any(|p| p.starts_with('!'))
    }

    /// The patterns for messages: `ci@*, release@example.com`.
    pub fn describe(&self) -> String {
        self.patterns().collect::<Vec<_>>().join(", ")
    }
}

/// `[ci]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CiConfig {
    /// Whether `ci check-push` queues one issue (through the outbox) for a
    /// push that skipped the gates.
    #[serde(default)]
    pub bypass_issue: bool,
    /// Whether every commit a push introduces must be covered, not only its
    /// tip (which is what the pre-push hook checks).
    #[serde(default)]
    pub check_every_commit: bool,
}

/// Checks `gate_signers` (`text` is the file, to place an empty list): a
/// problem's span and message.
pub(crate) fn validate(
    signers: &GateSigners,
    text: &str,
) -> Result<(), (std::ops::Range<usize>, String)> {
    if signers.0.is_empty() {
        let at = text.find("gate_signers").unwrap_or(0);
        return Err((
            at..at,
            "`policy.gate_signers` is empty, so no gate result would ever count; list principal patterns such as [\"ci@*\"], or leave it out (every trusted signer)".to_owned(),
        ));
    }
    for pattern in &signers.0 {
        let text = pattern.get_ref();
        let bare = text.strip_prefix('!').unwrap_or(text);
        if bare.is_empty() || text.contains(char::is_whitespace) || text.contains(',') {
            return Err((
                pattern.span(),
                format!(
                    "`{text}` is not a principal pattern like \"ci@*\" or \"alice@example.com\" (no spaces or commas; `!` negates)"
                ),
            ));
        }
    }
    Ok(())
}
