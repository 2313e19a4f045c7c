//! The README's quickstart, run as a newcomer runs it: each command of the
//! block marked `<!-- quickstart -->` in README.md, in order, in a shell,
//! from a fresh HOME and an empty folder, with `git auditops` found on PATH
//! as after `cargo install`. Every command must succeed, so the README breaks
//! this test when it stops being true.

use crate::support;
use std::path::{Path, PathBuf};

/// The marker that precedes the quickstart's code block in README.md.
const MARKER: &str = "<!-- quickstart";

/// The commands of the marked block: one per line (a line ending in `\`
/// continues on the next), blank and comment lines left out, and `cargo
/// install` left out because the binary under test is already built.
fn quickstart_commands(readme: &str) -> Vec<String> {
    let mut lines = readme
        .lines()
        .skip_while(|line| !line.trim_start().starts_with(MARKER));
    assert!(
        lines.next().is_some(),
        "README.md has no `{MARKER} -->` line"
    );
    let fence = lines.next().unwrap_or_default();
    assert!(
        fence.starts_with("```"),
        "the line after the quickstart marker must open a code block, not `{fence}`"
    );
    let mut commands = Vec::new();
    let mut pending = String::new();
    for line in lines.take_while(|line| !line.starts_with("```")) {
        match line.strip_suffix('\\') {
            Some(head) => {
                pending.push_str(head);
                continue;
            }
            None => pending.push_str(line),
        }
        let command = std::mem::take(&mut pending);
        let trimmed = command.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("cargo install") {
            continue;
        }
        commands.push(trimmed.to_owned());
    }
    commands
}

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

#[test]
fn the_quickstart_covers_setup_recording_and_the_doctor() {
    let commands = quickstart_commands(&readme());
    for expected in [
        "git auditops init",
        "git auditops key generate",
        "git auditops doctor",
        "git auditops verify",
    ] {
        assert!(
            commands.iter().any(|c| c.starts_with(expected)),
            "the README's quickstart has no `{expected}`: {commands:#?}"
        );
    }
}

#[test]
fn the_readme_quickstart_runs_line_by_line_for_a_newcomer() {
    let home = support::Home::new();
    let start = tempfile::tempdir().expect("temp folder");
    let cwd_file = home.path().join(".quickstart-cwd");
    let mut cwd: PathBuf = start.path().to_owned();
    for command in quickstart_commands(&readme()) {
        // Each line in its own shell, like a user typing it; a `cd` carries
        // over to the next line through the folder it ends in.
        let script = format!("{command}\npwd > '{}'\n", cwd_file.display());
        let mut shell = std::process::Command::new("sh");
        support::isolate(&mut shell, home.path());
        let out = shell
            .args(["-ec", &script])
            .current_dir(&cwd)
            .env_remove("GITHUB_TOKEN")
            .env_remove("GH_TOKEN")
            .env_remove("GH_CONFIG_DIR")
            .env_remove("XDG_CONFIG_HOME")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run sh");
        assert!(
            out.status.success(),
            "README quickstart line failed ({:?}): {command}\nstdout: {}\nstderr: {}",
            out.status.code(),
            support::stdout(&out),
            support::stderr(&out)
        );
        let ended_in = std::fs::read_to_string(&cwd_file).expect("the line's folder");
        cwd = PathBuf::from(ended_in.trim_end_matches('\n'));
    }
}

#[test]
fn commands_are_read_from_the_marked_block_only() {
    let readme = "# x\n```sh\nnot this\n```\n<!-- quickstart -->\n```sh\ncargo install --locked --path .\ngit init demo && cd demo   # comment\n\n# a comment line\ngit auditops evidence add \\\n  --phase 0\n```\nafter\n";
    assert_eq!(
        quickstart_commands(readme),
        [
            "git init demo && cd demo   # comment",
            "git auditops evidence add   --phase 0"
        ]
    );
}
