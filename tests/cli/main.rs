//! The integration tests, as one test binary: the shared helpers and the fake
//! GitHub compile once, and the suite links once. Each area is a module here.
//!
//! Every Rust file under `tests/` belongs to this binary, and
//! `every_test_file_is_part_of_the_binary` fails when one is not: a file in
//! `tests/cli/` that no `mod` names would never be compiled, and a new
//! `tests/*.rs` would quietly become a binary of its own again.

mod fake_github;
mod github_support;
mod support;

mod append_only;
mod categories;
mod ci_check_push;
mod ci_init;
mod ci_key;
mod ci_run;
mod ci_signers;
mod ci_support;
mod cleanup;
mod cleanup_kinds;
mod concurrency;
mod daemon;
mod doctor;
mod evidence;
mod failures;
mod findings;
mod findings_issues;
mod gitconfig;
mod github;
mod github_faults;
mod github_features;
mod hooks;
mod interop;
mod locks;
mod manual;
mod patches;
mod patches_real;
mod phase_tag;
mod phases;
mod pool;
mod prepared_push;
mod quarantine;
mod quickstart;
mod redaction;
mod retained;
mod rules;
mod rules_fix;
mod setup;
mod sharing;
mod verify;

use std::path::Path;

/// The names a module file declares with `mod NAME;` (or `pub mod NAME;`).
fn declared_modules(module_file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(module_file)
        .unwrap_or_else(|err| panic!("{}: {err}", module_file.display()));
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let line = line
                .strip_prefix("pub(crate) ")
                .or_else(|| line.strip_prefix("pub "))
                .unwrap_or(line);
            line.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(|name| name.trim().to_owned())
        })
        .collect()
}

fn has_rust_files(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .any(|entry| {
            let path = entry.expect("directory entry").path();
            path.extension() == Some("rs".as_ref()) || path.is_dir() && has_rust_files(&path)
        })
}

/// Every `NAME.rs` and `NAME/` in `dir` must be declared by `module_file`
/// (`main.rs` at the top, `mod.rs` below), recursively.
fn forgotten_files(dir: &Path, module_file: &Path, forgotten: &mut Vec<String>) {
    let declared = declared_modules(module_file);
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let name = if path.is_dir() {
            if !has_rust_files(&path) {
                continue; // data, not code
            }
            file_name
        } else if let Some(stem) = file_name.strip_suffix(".rs") {
            if path == module_file {
                continue;
            }
            stem
        } else {
            continue;
        };
        if !declared.iter().any(|d| d == name) {
            forgotten.push(format!(
                "{} (no `mod {name};` in {})",
                path.display(),
                module_file.display()
            ));
        } else if path.is_dir() {
            // `NAME/mod.rs`, or `NAME.rs` next to `NAME/`.
            let inner = path.join("mod.rs");
            let module = if inner.exists() {
                inner
            } else {
                path.with_extension("rs")
            };
            forgotten_files(&path, &module, forgotten);
        }
    }
}

#[test]
fn every_test_file_is_part_of_the_binary() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut forgotten = Vec::new();
    for entry in std::fs::read_dir(&tests).expect("read tests/") {
        let path = entry.expect("directory entry").path();
        // Cargo builds each `tests/*.rs` and `tests/*/main.rs` as a binary of its own.
        let own_binary = if path.is_dir() {
            path.join("main.rs").exists() && path.file_name() != Some("cli".as_ref())
        } else {
            path.extension() == Some("rs".as_ref())
        };
        if own_binary {
            forgotten.push(format!(
                "{} (a test binary of its own: make it a module of tests/cli/main.rs)",
                path.display()
            ));
        }
    }
    let cli = tests.join("cli");
    forgotten_files(&cli, &cli.join("main.rs"), &mut forgotten);
    assert!(
        forgotten.is_empty(),
        "test files outside the `cli` test binary:\n  {}",
        forgotten.join("\n  ")
    );
}
