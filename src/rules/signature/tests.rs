//! Table-driven tests on real failures captured on a development machine
//! (`tests/fixtures/failures/`, each with the command that made it).

use super::*;

/// A fixture, the category and check it is recorded under, and the failure it
/// is: fixtures with the same failure name must share one signature, and
/// different names must not.
const TABLE: &[(&str, Category, &str, &str)] = &[
    (
        "cargo-test-assert-1",
        Category::Testing,
        "test",
        "cargo assert_eq",
    ),
    (
        "cargo-test-assert-2",
        Category::Testing,
        "test",
        "cargo assert_eq",
    ),
    (
        "cargo-test-index-oob",
        Category::Testing,
        "test",
        "cargo index out of bounds",
    ),
    (
        "rustc-e0308-1",
        Category::Build,
        "build",
        "rustc mismatched types",
    ),
    (
        "rustc-e0308-2",
        Category::Build,
        "build",
        "rustc mismatched types",
    ),
    (
        "rustc-e0425",
        Category::Build,
        "build",
        "rustc unresolved name",
    ),
    (
        "clippy-needless-return-1",
        Category::Quality,
        "lint",
        "clippy needless return",
    ),
    (
        "clippy-needless-return-2",
        Category::Quality,
        "lint",
        "clippy needless return",
    ),
    ("cargo-fmt-check", Category::Quality, "fmt", "rustfmt diff"),
    (
        "pytest-assert-1",
        Category::Testing,
        "test",
        "pytest assert",
    ),
    (
        "pytest-assert-2",
        Category::Testing,
        "test",
        "pytest assert",
    ),
    (
        "pytest-import-error",
        Category::Testing,
        "test",
        "pytest import error",
    ),
    ("npm-test-assert-1", Category::Testing, "test", "npm assert"),
    ("npm-test-assert-2", Category::Testing, "test", "npm assert"),
    (
        "npm-missing-script",
        Category::Quality,
        "lint",
        "npm missing script",
    ),
    (
        "npm-ci-no-lockfile",
        Category::Dependencies,
        "deps",
        "npm ci without lockfile",
    ),
    (
        "go-test-fail-1",
        Category::Testing,
        "test",
        "go test failed",
    ),
    (
        "go-test-fail-2",
        Category::Testing,
        "test",
        "go test failed",
    ),
    (
        "go-test-build-failed",
        Category::Testing,
        "test",
        "go build failed",
    ),
    (
        "sh-command-not-found-1",
        Category::Build,
        "build",
        "sh: no-such-tool-xyz",
    ),
    (
        "sh-command-not-found-2",
        Category::Build,
        "build",
        "sh: no-such-tool-xyz",
    ),
    (
        "sh-command-not-found-other",
        Category::Build,
        "build",
        "sh: make-docs-xyz",
    ),
    (
        "sh-permission-denied",
        Category::Build,
        "build",
        "permission denied",
    ),
    ("disk-full", Category::Infrastructure, "deploy", "disk full"),
    (
        "curl-connection-refused",
        Category::Infrastructure,
        "deploy",
        "connection refused",
    ),
];

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/failures/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// The tail a gate result keeps of `output`: its last bytes, redacted.
fn recorded_tail(output: &str) -> String {
    let bytes = output.as_bytes();
    let start = bytes
        .len()
        .saturating_sub(crate::phase::runner::TAIL_BYTES as usize);
    let tail = String::from_utf8_lossy(&bytes[start..]);
    crate::evidence::redact(&tail).into_owned()
}

fn signatures() -> Vec<(&'static str, &'static str, Signature)> {
    TABLE
        .iter()
        .map(|&(name, category, check, failure)| {
            let sig = signature(category, check, &recorded_tail(&fixture(name)));
            (name, failure, sig)
        })
        .collect()
}

#[test]
fn the_same_failure_gives_one_signature_and_different_failures_different_ones() {
    let all = signatures();
    for (a_name, a_failure, a) in &all {
        for (b_name, b_failure, b) in &all {
            assert_eq!(
                a_failure == b_failure,
                a.sha256 == b.sha256,
                "{a_name} ({a_failure}) vs {b_name} ({b_failure}):\n{}\n---\n{}",
                a.text,
                b.text
            );
        }
    }
    let distinct: std::collections::BTreeSet<_> = all.iter().map(|(_, f, _)| *f).collect();
    assert_eq!(distinct.len(), 18, "distinct real failures told apart");
}

#[test]
fn signatures_keep_what_failed_and_drop_what_varies() {
    for (name, _, sig) in signatures() {
        let text = &sig.text;
        assert!(
            !text.contains("/tmp/"),
            "{name}: a temporary path stays:\n{text}"
        );
        assert!(!text.contains('\x1b'), "{name}: colours stay:\n{text}");
        assert!(text.lines().count() >= 2, "{name}: nothing kept:\n{text}");
    }
    let by_name = |wanted: &str| {
        signatures()
            .into_iter()
            .find(|(name, _, _)| *name == wanted)
            .unwrap()
            .2
            .text
    };
    let expectations = [
        ("cargo-test-assert-1", "panicked at src/lib.rs:<n>:<n>"),
        ("rustc-e0308-1", "error[E0308]: mismatched types"),
        ("rustc-e0425", "error[E0425]"),
        (
            "clippy-needless-return-1",
            "error: unneeded `return` statement",
        ),
        (
            "pytest-assert-1",
            "FAILED test_add.py::test_add - assert <n> == <n>",
        ),
        ("pytest-import-error", "no_such_module_xyz"),
        ("npm-missing-script", "Missing script: \"lint\""),
        ("npm-ci-no-lockfile", "npm error Clean install a project"),
        ("go-test-fail-1", "--- FAIL: TestAdd (<dur>)"),
        (
            "sh-command-not-found-1",
            "sh: <n>: no-such-tool-xyz: not found",
        ),
        ("disk-full", "No space left on device"),
        ("curl-connection-refused", "port <n>"),
    ];
    for (name, wanted) in expectations {
        let text = by_name(name);
        assert!(text.contains(wanted), "{name}: {wanted:?} not in\n{text}");
    }
}

#[test]
fn noise_is_replaced_line_by_line() {
    let cases = [
        ("\x1b[1m\x1b[92m   Compiling\x1b[0m fx", "Compiling fx"),
        (
            "at Object.<anonymous> (/tmp/tmp.AB/npm-1/test.js:5:8)",
            "at Object.<anonymous> (<path>/test.js:<n>:<n>)",
        ),
        ("thread 'x' (26477) panicked", "thread 'x' (<n>) panicked"),
        ("in 0.72s, 12ms", "in <dur>, <dur>"),
        ("deps/fx-4a99a53287a4b62f", "deps/fx-<hex>"),
        ("at 0x7ffd5e8a1b20 deadbeefcafe", "at <hex> deadbeefcafe"),
        ("id 123e4567-e89b-12d3-a456-426614174000", "id <uuid>"),
        ("2026-12-02T14:30:00.123Z done", "<time> done"),
        (
            "logs/2026-12-02T14_30_00_000Z-debug-0.log",
            "logs/<time>-debug-<n>.log",
        ),
        ("connect to 127.0.0.1 port 9", "connect to <n> port <n>"),
        ("rootdir: /tmp/tmp.X/pytest-1", "rootdir: <path>/pytest-<n>"),
        ("error[E0308]: x", "error[E0308]: x"),
    ];
    for (line, want) in cases {
        assert_eq!(normalize_line(line), want, "{line:?}");
    }
}

#[test]
fn category_and_check_are_part_of_the_signature() {
    let tail = "error: something broke\n";
    let a = signature(Category::Testing, "test", tail);
    assert_ne!(a, signature(Category::Build, "test", tail));
    assert_ne!(a, signature(Category::Testing, "unit", tail));
    assert_eq!(a, signature(Category::Testing, "test", tail));
    assert_eq!(a.text, "testing/test\nerror: something broke");
}

#[test]
fn output_without_a_failure_line_keeps_its_last_lines() {
    let sig = signature(Category::Quality, "x", "one\ntwo 2\nthree\nfour 44\n");
    assert_eq!(sig.text, "quality/x\ntwo <n>\nthree\nfour <n>");
    assert_eq!(signature(Category::Quality, "x", "").text, "quality/x");
}

/// `cargo test --lib rules::signature -- --ignored --nocapture` prints every
/// fixture's signature (docs/rules.md shows some).
#[test]
#[ignore]
fn print_fixture_signatures() {
    for (name, _, sig) in signatures() {
        println!("== {name} {}\n{}\n", sig.sha256.short(), sig.text);
    }
}

/// `cargo test --release --lib rules::signature -- --ignored --nocapture`:
/// how long one signature of a full recorded tail takes.
#[test]
#[ignore]
fn time_signatures() {
    let tails: Vec<String> = TABLE
        .iter()
        .map(|(n, ..)| recorded_tail(&fixture(n)))
        .collect();
    let _ = signature(Category::Testing, "warm", &tails[0]);
    let rounds = 200;
    let started = std::time::Instant::now();
    for _ in 0..rounds {
        for tail in &tails {
            std::hint::black_box(signature(Category::Testing, "t", tail));
        }
    }
    let each = started.elapsed() / (rounds * tails.len() as u32);
    println!(
        "{} signatures, {each:?} each",
        rounds as usize * tails.len()
    );
}
