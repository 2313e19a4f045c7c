//! PEM private keys: armoured blocks (RSA, EC, DSA, OPENSSH, ENCRYPTED,
//! PGP, plain PKCS#8), from the BEGIN line through the END line.
//!
//! Snippets are line ranges, so a key is often cut in half; on the far side of
//! a lone BEGIN or END line everything is key body, so the redaction runs to
//! that edge of the text. Certificates and public keys are not secret and are
//! left alone.

use super::{Kind, Span};

const PEM_BEGIN: &str = "-----BEGIN ";
const PEM_END: &str = "-----END ";

/// Redacts armoured private keys (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP, plain
/// PKCS#8) from the BEGIN line through the END line.
///
/// Snippets are line ranges, so they often cut a key in half. A BEGIN without
/// END is redacted to the end of the text, and an END without BEGIN back to
/// the start of the text (or to the previous redacted block): on that side of
/// the armour line everything is key body. Certificates and public keys are
/// left alone.
pub(super) fn private_keys(text: &str, spans: &mut Vec<Span>) {
    if !text.contains("-----") {
        return;
    }
    let mut pos = 0;
    loop {
        let begin = find_private_armour(text, pos, PEM_BEGIN);
        let end = find_private_armour(text, pos, PEM_END);
        let (start, stop) = match (begin, end) {
            (_, Some((end_at, end_line_end))) if begin.is_none_or(|(b, _)| end_at < b) => {
                (pos, end_line_end)
            }
            (Some((begin_at, header_end)), _) => {
                let stop =
                    find_private_armour(text, header_end, PEM_END).map_or(text.len(), |(_, e)| e);
                (begin_at, stop)
            }
            _ => break,
        };
        spans.push(Span {
            start,
            end: stop,
            kind: Kind::PrivateKey,
        });
        pos = stop;
    }
}

/// Finds the next armour line starting with `marker` whose label names a
/// private key. Returns where the line starts and where its closing dashes end
/// (or the end of the line, when they are missing).
fn find_private_armour(text: &str, from: usize, marker: &str) -> Option<(usize, usize)> {
    let mut pos = from;
    while let Some(rel) = text.get(pos..)?.find(marker) {
        let start = pos + rel;
        let label_start = start + marker.len();
        let rest = &text[label_start..];
        let line = rest.find(['\n', '\r']).map_or(rest, |n| &rest[..n]);
        let (label, line_end) = match line.find("-----") {
            Some(d) => (&line[..d], label_start + d + "-----".len()),
            None => (line, label_start + line.len()),
        };
        if label.contains("PRIVATE KEY") {
            return Some((start, line_end));
        }
        pos = label_start;
    }
    None
}

#[cfg(test)]
pub(super) mod tests {
    use crate::evidence::redact::redact;

    // A fake key, assembled at run time like the fixtures in the parent's
    // tests so that the source holds no string a secret scanner would flag.
    // The corpora there use it too.

    pub(in crate::evidence::redact) const PEM_BODY: [&str; 3] = [
        "MIIEpAIBAAKCAQEAFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfake",
        "FAKEKEYMATERIALfake0123456789abcdefFAKEfakeFAKEfakeFAKEfake+/AB",
        "3xYzFAKEtailFAKE0123==",
    ];

    pub(in crate::evidence::redact) fn pem(label: &str) -> String {
        let [a, b, c] = PEM_BODY;
        let (begin, end) = ("-----BEGIN", "-----END");
        format!("{begin} {label}PRIVATE KEY-----\n{a}\n{b}\n{c}\n{end} {label}PRIVATE KEY-----")
    }

    #[test]
    fn pem_without_end_is_redacted_to_end_of_text() {
        let [a, b, _] = PEM_BODY;
        let begin = ["-----BEGIN", " RSA PRIVATE KEY-----"].concat();
        let text = format!("fn load() {{\n    let k = r\"{begin}\n{a}\n{b}");
        assert_eq!(
            redact(&text),
            "fn load() {\n    let k = r\"[REDACTED:private-key]"
        );
    }

    #[test]
    fn pem_without_begin_is_redacted_from_start_of_text() {
        let [a, b, c] = PEM_BODY;
        let end = ["-----END", " PRIVATE KEY-----"].concat();
        let text = format!("{a}\n{b}\n{c}\n{end}\n\"\"\")\nprint(key)");
        assert_eq!(redact(&text), "[REDACTED:private-key]\n\"\"\")\nprint(key)");
    }

    #[test]
    fn whole_pem_block_becomes_one_marker() {
        let text = format!("before\n{}\nafter", pem("EC "));
        assert_eq!(redact(&text), "before\n[REDACTED:private-key]\nafter");
    }
}
