//! A gate's or validator's `category` may be left out: it is inferred from the
//! command, shown as inferred, and recorded; an explicit one is kept.

use crate::support::{Repo, SAMPLE_SOURCE, stderr};

/// Commands that pass here, named so that inference has something to read.
const CONFIG: &str = r#"version = 1

[[phases]]
id = 0
name = "Foundation"
gates = ["tests", "scan", "fmt", "check"]

[gates.tests]
run = "echo cargo test"

[gates.scan]
run = "echo gitleaks detect"

[gates.fmt]
run = "echo cargo fmt --check"
category = "infrastructure"

[gates.check]
run = "test -f src/lib.rs"

[patch.validators.tests]
run = "echo pytest && test -f src/lib.rs"
"#;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{err}: {text}"))
}

/// `(category, category_inferred)` of each entry of `list`, by `key`.
fn categories(list: &serde_json::Value, key: &str) -> Vec<(String, String, bool)> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|e| {
            (
                e[key].as_str().unwrap().to_owned(),
                e["category"].as_str().unwrap().to_owned(),
                e["category_inferred"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn expected(rows: &[(&str, &str, bool)]) -> Vec<(String, String, bool)> {
    rows.iter()
        .map(|(id, c, i)| ((*id).to_owned(), (*c).to_owned(), *i))
        .collect()
}

#[test]
fn config_check_shows_inferred_and_explicit_categories() {
    let repo = Repo::new();
    repo.write(".auditops.toml", CONFIG);
    let text = repo.ok(&["config", "check"]);
    for line in [
        "gate tests: category testing (inferred)",
        "gate scan: category security (inferred)",
        "gate check: category quality (inferred)",
        "validator tests: category testing (inferred)",
        "inferred categories come from `run`",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
    assert!(
        text.lines()
            .any(|l| l.trim_end() == "gate fmt: category infrastructure"),
        "{text}"
    );

    let report = json(&repo.ok(&["config", "check", "--json"]));
    assert_eq!(report["ok"], true);
    // Gates by id, as a BTreeMap orders them.
    assert_eq!(
        categories(&report["gates"], "id"),
        expected(&[
            ("check", "quality", true),
            ("fmt", "infrastructure", false),
            ("scan", "security", true),
            ("tests", "testing", true),
        ])
    );
    assert_eq!(
        categories(&report["validators"], "id"),
        expected(&[("tests", "testing", true)])
    );
}

#[test]
fn gates_without_a_category_run_and_record_the_inferred_one() {
    let repo = Repo::new();
    repo.write(".auditops.toml", CONFIG);
    repo.setup_trusted();
    let status = json(&repo.ok(&["phase", "status", "--json"]));
    assert_eq!(status[0]["gates"][0]["state"], "missing");
    assert_eq!(status[0]["gates"][0]["category"], "testing");

    repo.ok(&["gate", "run"]);
    let status = json(&repo.ok(&["phase", "status", "--json"]));
    let gates = &status[0]["gates"];
    assert_eq!(
        categories(gates, "gate"),
        expected(&[
            ("tests", "testing", true),
            ("scan", "security", true),
            ("fmt", "infrastructure", false),
            ("check", "quality", true),
        ])
    );
    for gate in gates.as_array().unwrap() {
        assert_eq!(gate["state"], "passed", "{gate}");
        // The signed result carries the category as resolved.
        assert_eq!(gate["result"]["category"], gate["category"], "{gate}");
        assert_eq!(gate["stale"], false);
    }

    let text = repo.ok(&["phase", "status"]);
    let row = |gate: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(&format!("gate {gate} ")))
            .unwrap_or_else(|| panic!("no row for {gate} in\n{text}"))
            .to_owned()
    };
    assert!(row("tests").contains("passed") && row("tests").contains("(testing, inferred)"));
    assert!(row("fmt").contains("(infrastructure)"), "{text}");

    let report = json(&repo.ok(&["phase", "report", "0", "--json"]));
    assert_eq!(report["gates"][1]["category"], "security");
    repo.ok(&["verify"]);
}

#[test]
fn a_validator_without_weight_or_category_scores_the_patch() {
    let repo = Repo::new();
    repo.write(".auditops.toml", CONFIG);
    repo.setup_trusted();
    repo.git(&["branch", "release"]);
    repo.write(
        "src/lib.rs",
        format!("{SAMPLE_SOURCE}\npub fn one() -> i32 {{\n    1\n}}\n"),
    );
    repo.git(&["add", "-A"]);
    let diff = repo.git(&["diff", "--cached"]) + "\n";
    repo.git(&["reset", "-q", "--hard"]);
    let patch = repo.home.path().join("one.patch");
    std::fs::write(&patch, diff).unwrap();

    let out = repo.run(&[
        "patch",
        "submit",
        patch.to_str().unwrap(),
        "--target",
        "release",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let decision = &json(&String::from_utf8_lossy(&out.stdout));
    let validators = decision["validators"].as_array().unwrap();
    assert_eq!(validators.len(), 1, "{decision}");
    assert_eq!(validators[0]["name"], "tests");
    assert_eq!(validators[0]["category"], "testing");
    assert_eq!(validators[0]["weight"], 1.0);
    assert_eq!(decision["confidence"], 1.0);
}

#[test]
fn a_validator_needs_a_weight_when_its_name_has_none() {
    let repo = Repo::new();
    repo.write(
        ".auditops.toml",
        "version = 1\n\n[patch.validators.scan]\nrun = \"cargo audit\"\n",
    );
    let out = repo.run(&["config", "check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(".auditops.toml:3: key `patch.validators.scan`")
            && err.contains("validator `scan` needs a `weight`"),
        "{err}"
    );
}

#[test]
fn a_bad_explicit_category_names_the_line_and_key() {
    let repo = Repo::new();
    repo.ok(&["init"]);
    let before = repo.state_tip();
    repo.write(
        ".auditops.toml",
        CONFIG.replace("\"infrastructure\"", "\"vibes\""),
    );
    for args in [["config", "check"], ["gate", "run"]] {
        let out = repo.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains(".auditops.toml:16: key `gates.fmt.category`")
                && err.contains("unknown variant `vibes`"),
            "{err}"
        );
    }
    assert_eq!(repo.state_tip(), before);
}
