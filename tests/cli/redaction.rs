//! No secret survives into the state: the committed corpus of fake secrets
//! (tests/fixtures/secrets) recorded as evidence in six contexts, and typed
//! into every free-text field, then every stored envelope decoded.
//!
//! `git grep` over the state ref finds nothing even when a secret is stored,
//! because records are base64 inside DSSE envelopes: this test decodes them.

use base64::Engine;

use crate::support::{Repo, STATE_REF};

const CORPUS: &str = include_str!("../fixtures/secrets/corpus.tsv");

/// The contexts the library's corpus test uses too (`contexts.txt`).
fn contexts() -> Vec<&'static str> {
    include_str!("../fixtures/secrets/contexts.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect()
}

fn secrets() -> Vec<String> {
    CORPUS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            format!("{}{}", cols[1], cols[2])
        })
        .collect()
}

/// Every line of every file in the state tree, with each DSSE payload
/// decoded next to its envelope.
fn decoded_state(repo: &Repo) -> String {
    let files = repo.git(&["ls-tree", "-r", "--name-only", STATE_REF]);
    let mut all = String::new();
    for path in files.lines() {
        let text = repo.git(&["show", &format!("{STATE_REF}:{path}")]);
        for line in text.lines() {
            all.push_str(line);
            all.push('\n');
            let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if let Some(payload) = value["payload"].as_str() {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(payload)
                    .expect("DSSE payloads are standard base64");
                all.push_str(&String::from_utf8_lossy(&bytes));
                all.push('\n');
            }
        }
    }
    all
}

#[test]
fn no_corpus_secret_survives_in_any_stored_record() {
    let repo = Repo::new();
    repo.setup_trusted();
    let secrets = secrets();
    assert!(secrets.len() >= 60);
    let mut file = String::new();
    for secret in &secrets {
        for context in contexts() {
            file.push_str(&context.replacen("{}", secret, 1));
            file.push('\n');
        }
    }
    repo.write("config/secrets.txt", &file);
    let config = std::fs::read_to_string(repo.path().join(".auditops.toml")).unwrap();
    // A validator that prints a secret: its output tail is recorded.
    let printed = secrets
        .iter()
        .find(|s| {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
        .expect("a secret safe to quote");
    repo.write(
        ".auditops.toml",
        format!("{config}\n[[phases]]\nid = 0\nname = \"Setup\"\n\n[[phases]]\nid = 1\nname = \"Build\"\n\n[patch]\nmode = \"analysis_only\"\n\n[patch.validators.tests]\nrun = \"echo API_TOKEN={printed}; exit 1\"\ncategory = \"testing\"\n"),
    );
    repo.commit_all("secrets in many formats");

    // Three secrets (eighteen lines) an evidence record: each snippet stays
    // under the 1000-character cut once redacted.
    const PER_RECORD: usize = 3;
    for (k, group) in secrets.chunks(PER_RECORD).enumerate() {
        let first = k * PER_RECORD * contexts().len() + 1;
        let last = first + group.len() * contexts().len() - 1;
        // The description carries a secret too: it is free text.
        let description = format!("config items {k} include {}", group[0]);
        repo.ok(&[
            "evidence",
            "add",
            "--phase",
            "1",
            "--file",
            "config/secrets.txt",
            "--lines",
            &format!("{first}-{last}"),
            "--description",
            &description,
            "--id",
            &format!("EV-{k}"),
        ]);
    }
    // Every snippet is whole: a truncated one would pass for the wrong reason.
    for e in repo.evidence_json() {
        let snippet = e["code_snippet"].as_str().expect("snippet");
        let lines = snippet.lines().count();
        assert!(lines % contexts().len() == 0 && lines > 0, "cut: {snippet}");
        assert!(snippet.chars().count() < 1000, "cut: {snippet}");
        assert!(snippet.contains("[REDACTED:"), "{snippet}");
    }
    // The other free-text fields: an approval note, a quarantine reason,
    // an issue's title and body.
    let some = &secrets[0];
    let other = &secrets[secrets.len() / 2];
    repo.ok(&["approve", "phase:1", "--note", &format!("ok, used {some}")]);
    let id = repo.evidence_json()[0]["id"].as_str().unwrap().to_owned();
    repo.ok(&["quarantine", &id, "--reason", &format!("leaked {other}")]);
    repo.ok(&[
        "issue",
        "new",
        "--title",
        &format!("rotate {other}"),
        "--body",
        &format!("the key {some} was seen in logs"),
    ]);

    // A submitted patch whose commit message holds secrets (subject and body).
    repo.git(&["checkout", "-q", "-b", "leaky"]);
    repo.write("src/leak.rs", "pub fn leak() {}\n");
    let body: Vec<String> = secrets[..10]
        .iter()
        .map(|s| format!("connect(\"{s}\")"))
        .collect();
    let message = format!("Use {}\n\n{}\n", secrets[1], body.join("\n"));
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", &message]);
    let patch = repo.git(&["format-patch", "-1", "--stdout"]);
    repo.git(&["checkout", "-q", "main"]);
    let patch_file = repo.home.path().join("leaky.patch");
    std::fs::write(&patch_file, patch + "\n").unwrap();
    let out = repo.run(&[
        "patch",
        "submit",
        patch_file.to_str().unwrap(),
        "--target",
        "main",
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::support::stderr(&out)
    );

    let state = decoded_state(&repo);
    assert!(
        state.contains("\"subject\":\"Use [REDACTED:"),
        "the patch's subject is recorded, redacted"
    );
    assert!(state.contains("[REDACTED:"), "nothing was decoded");
    let survivors: Vec<&String> = secrets
        .iter()
        .filter(|s| state.contains(s.as_str()) || state.contains(&s[s.len() - 12..]))
        .collect();
    assert!(
        survivors.is_empty(),
        "survived in the state: {survivors:#?}"
    );
}
