//! `ci init --github`: the GitHub Actions workflow that runs `ci check-push`
//! on pushes, the gates (one job, or one job per gate with `--matrix`) and
//! `verify --format github` on pull requests.
//!
//! `check-push` runs first and the gates after it, so that CI's own results
//! for a pushed tree cannot cover a push that skipped the hook. Values from
//! the event reach the shell through `env:`, never spliced into a script.

use super::CiError;
use crate::error::Result;
use crate::phase::gates;
use crate::workspace::Workspace;
use serde::Serialize;
use std::path::PathBuf;

/// Where the workflow is written, relative to the work tree.
pub const WORKFLOW_PATH: &str = ".github/workflows/auditops.yml";

/// What `ci init` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Initialized {
    /// The workflow file.
    pub path: PathBuf,
    /// Whether an existing file was replaced (`--force`).
    pub replaced: bool,
    /// The phase and gates of the matrix, with `--matrix`.
    pub matrix: Option<Matrix>,
}

/// The fan-out of `--matrix`: one job per gate of one phase.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    /// The phase (the active one when the file was written).
    pub phase: u32,
    /// Its gates.
    pub gates: Vec<String>,
}

const HEADER: &str = r#"# Written by `git auditops ci init --github`; see docs/ci.md of git-auditops.
#
# Pushes: `ci check-push` records a push to a protected ref that skipped the
# pre-push hook (git push --no-verify), then the gates run and their results,
# signed with the CI key, are pushed to refs/auditops/state, where developers'
# hooks find them with `git auditops state pull`. Pull requests: the gates run
# (unrecorded when the pull request comes from a fork, which gets no secrets)
# and `verify` checks the audit trail.
#
# Needs the repository secret AUDITOPS_SIGNING_KEY: the text of a CI key made
# with `git auditops key generate --no-passphrase --out ci_key` and listed in
# the allowed_signers file (e.g. as ci@github-actions).
name: auditops

on:
  push:
  pull_request:

permissions:
  contents: write
  issues: write

jobs:
  check-push:
    if: github.event_name == 'push'
    runs-on: ubuntu-latest
    steps:
"#;

const SETUP: &str = r#"      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - name: Fetch the audit state
        run: git fetch --no-tags origin '+refs/auditops/*:refs/auditops/*' || true
      - name: Install git-auditops
        run: cargo install --locked git-auditops
"#;

const CHECK_PUSH: &str = r#"      - name: Check that the push went through the gates
        env:
          AUDITOPS_SIGNING_KEY: ${{ secrets.AUDITOPS_SIGNING_KEY }}
          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}
          BEFORE: ${{ github.event.before }}
          AFTER: ${{ github.event.after }}
        run: |
          status=0
          git auditops ci check-push --ref "$GITHUB_REF" --before "$BEFORE" --after "$AFTER" || status=$?
          git auditops sync || true
          exit "$status"

  gates:
    needs: check-push
    if: ${{ !cancelled() }}
    runs-on: ubuntu-latest
"#;

const MATRIX_RUN: &str = r#"      - name: Run the gate
        env:
          AUDITOPS_SIGNING_KEY: ${{ secrets.AUDITOPS_SIGNING_KEY }}
          GATE: ${{ matrix.gate }}
        run: git auditops ci run --phase PHASE --gate "$GATE"
"#;

const SINGLE_RUN: &str = r#"      - name: Run the gates
        env:
          AUDITOPS_SIGNING_KEY: ${{ secrets.AUDITOPS_SIGNING_KEY }}
        run: git auditops ci run
"#;

const VERIFY: &str = r#"
  verify:
    if: github.event_name == 'pull_request'
    runs-on: ubuntu-latest
    steps:
"#;

const VERIFY_RUN: &str = r#"      - name: Verify the audit trail
        run: git auditops verify --format github
"#;

/// The workflow's text: one `gates` job, or with `matrix` (phase, gates) one
/// job per gate of that phase.
pub fn workflow(matrix: Option<(u32, &[String])>) -> String {
    let mut out = String::from(HEADER);
    out += SETUP;
    out += CHECK_PUSH;
    match matrix {
        Some((phase, gates)) => {
            out += &format!(
                "    # The gates of phase {phase}; run `git auditops ci init --github --matrix --force`\n    # again when the active phase changes.\n    strategy:\n      fail-fast: false\n      matrix:\n        gate: [{}]\n    steps:\n",
                gates.join(", ")
            );
            out += SETUP;
            out += &MATRIX_RUN.replace("PHASE", &phase.to_string());
        }
        None => {
            out += "    steps:\n";
            out += SETUP;
            out += SINGLE_RUN;
        }
    }
    out += VERIFY;
    out += SETUP;
    out += VERIFY_RUN;
    out
}

/// Writes the workflow into the work tree of `ws`; refuses to replace an
/// existing file unless `force`.
pub fn init(ws: &Workspace, matrix: bool, force: bool) -> Result<Initialized> {
    let root = ws.repo().workdir().ok_or(CiError::NoWorkTree)?.to_owned();
    let path = root.join(WORKFLOW_PATH);
    let exists = path.exists();
    if exists && !force {
        return Err(CiError::WorkflowExists { path }.into());
    }
    let matrix = match matrix {
        true => {
            let phase = gates::chosen_phase(ws, None)?;
            let ids: Vec<String> = phase.gate_ids().map(str::to_owned).collect();
            if ids.is_empty() {
                return Err(CiError::NoGatesForMatrix {
                    phase: *phase.id.get_ref(),
                }
                .into());
            }
            Some(Matrix {
                phase: *phase.id.get_ref(),
                gates: ids,
            })
        }
        false => None,
    };
    let text = workflow(matrix.as_ref().map(|m| (m.phase, m.gates.as_slice())));
    let io = |err| crate::error::Error::io(&path)(err);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    std::fs::write(&path, text).map_err(io)?;
    Ok(Initialized {
        path,
        replaced: exists,
        matrix,
    })
}
