//! Principal patterns: whether an identity is one of a line's principals,
//! with OpenSSH's glob and negation rules. Kept apart because it is the one
//! place where matching must be both exact to OpenSSH and safe against
//! hostile patterns.

use super::AllowedSigner;

impl AllowedSigner {
    /// Whether `identity` is one of this line's principals, with OpenSSH's
    /// `match_pattern_list` semantics: patterns may use `*` and `?`, matching
    /// is case-sensitive, and a matching `!pattern` vetoes the line even when
    /// another pattern matches.
    #[must_use]
    pub fn matches_principal(&self, identity: &str) -> bool {
        matches_pattern_list(identity, self.principals.iter().map(String::as_str))
    }
}

/// OpenSSH's `match_pattern_list`: whether `identity` matches one of
/// `patterns` and no `!pattern` among them (`[policy] gate_signers` uses it too).
pub fn matches_pattern_list<'p>(
    identity: &str,
    patterns: impl IntoIterator<Item = &'p str>,
) -> bool {
    let mut positive = false;
    for pattern in patterns {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        if glob_match(identity, pattern) {
            if negated {
                return false;
            }
            positive = true;
        }
    }
    positive
}

/// OpenSSH's `match_pattern`: `*` matches any run, `?` any single character.
/// Iterative with single-star backtracking, so hostile patterns such as
/// `*a*a*a*a*b` cost O(n·m) rather than exponential time.
fn glob_match(text: &str, pattern: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    let (mut t, mut p) = (0, 0);
    // Position of the last `*` seen and the text position it currently covers.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::glob_match;

    #[test]
    fn matches_principal_follows_openssh_patterns() {
        let s = one(&format!(
            "alice@example.com,*@ops.example.com,!mallory@ops.example.com,b?b ssh-ed25519 {K1}"
        ));
        assert!(s.matches_principal("alice@example.com"));
        assert!(!s.matches_principal("Alice@example.com"));
        assert!(s.matches_principal("eve@ops.example.com"));
        assert!(!s.matches_principal("mallory@ops.example.com"));
        assert!(s.matches_principal("bob"));
        assert!(!s.matches_principal("boob"));
        assert!(!s.matches_principal("alice@example.com.evil"));
        assert!(!s.matches_principal(""));

        assert!(glob_match("", "*"));
        assert!(glob_match("abc", "a*c"));
        assert!(glob_match("aXbYc", "a*b*c"));
        assert!(!glob_match("aXbY", "a*b*c"));
        assert!(glob_match("ä", "?"));
        let long = "a".repeat(5_000);
        assert!(!glob_match(&long, "*a*a*a*a*a*a*a*a*b"));
    }
}
