//! The committed corpus of fake secrets (`tests/fixtures/secrets/`), each
//! in six contexts: every one must go, under its own label.

use super::redact;

const CORPUS: &str = include_str!("../../../tests/fixtures/secrets/corpus.tsv");

/// The places a secret stands in (`contexts.txt` says which and why), shared
/// with the integration test that decodes the stored envelopes.
pub(in crate::evidence::redact) fn contexts() -> Vec<&'static str> {
    include_str!("../../../tests/fixtures/secrets/contexts.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect()
}

/// (slug, secret) for every line of the corpus.
pub(in crate::evidence::redact) fn secrets() -> Vec<(&'static str, String)> {
    CORPUS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut cols = l.split('\t');
            let slug = cols.next().expect("slug");
            let head = cols.next().expect("head");
            let tail = cols.next().expect("tail");
            (slug, format!("{head}{tail}"))
        })
        .collect()
}

#[test]
fn the_corpus_is_large_and_varied() {
    let all = secrets();
    assert!(all.len() >= 60, "{} secrets", all.len());
    let mut slugs: Vec<&str> = all.iter().map(|(s, _)| *s).collect();
    slugs.dedup();
    assert!(slugs.len() >= 50, "{} formats", slugs.len());
}

#[test]
fn every_corpus_secret_goes_in_every_context() {
    let mut missed = Vec::new();
    for (slug, secret) in secrets() {
        let tail = &secret[secret.len() - 12..];
        for context in contexts() {
            let line = context.replacen("{}", &secret, 1);
            let out = redact(&line);
            let label = format!("[REDACTED:{slug}]");
            if out.contains(&secret) || out.contains(tail) || !out.contains(&label) {
                missed.push(format!("{slug}: {line} -> {out}"));
            }
        }
    }
    assert!(
        missed.is_empty(),
        "{} missed:\n{}",
        missed.len(),
        missed.join("\n")
    );
}

/// How often redaction fires on ordinary code: every line of this
/// repository's own `src/`, one line at a time, except the redactor's own
/// files (their tests are fake secrets and their docs quote secret shapes on
/// purpose). docs/security.md reports the rate; the bound here is what it
/// promises.
#[test]
fn false_positive_rate_on_this_repository_is_bounded() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![root];
    let (mut lines, mut fired) = (0usize, Vec::new());
    while let Some(path) = files.pop() {
        if path.ends_with("evidence/redact") {
            continue;
        }
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("src is readable") {
                files.push(entry.expect("a directory entry").path());
            }
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("source is UTF-8");
        for line in text.lines() {
            lines += 1;
            let out = redact(line);
            if out != line {
                fired.push(format!("{}: {line}\n    -> {out}", path.display()));
            }
        }
    }
    let rate = fired.len() as f64 / lines as f64;
    eprintln!(
        "redaction fired on {} of {lines} lines of src/ ({:.3}%):\n{}",
        fired.len(),
        rate * 100.0,
        fired.join("\n")
    );
    assert!(
        rate <= 0.001,
        "false-positive rate {:.3}% > 0.1%",
        rate * 100.0
    );
}
