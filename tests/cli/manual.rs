//! `man` and `completions`: the manual pages `git auditops --help` opens, their
//! installation by `init`, and the shell completion scripts.

use crate::support::{self, Home, Repo, assert_stderr_contains, stdout};
use std::path::Path;
use std::process::{Command, Output};

/// Our binary with an isolated HOME, run in a folder that is not a repository
/// (these commands describe the tool and must work anywhere).
fn run_outside(home: &Home, args: &[&str]) -> Output {
    let mut cmd = Command::new(support::BIN);
    support::isolate(&mut cmd, home.path());
    cmd.current_dir(home.path())
        .env("GIT_CEILING_DIRECTORIES", home.path())
        .args(args)
        .output()
        .expect("run git-auditops")
}

fn ok_outside(home: &Home, args: &[&str]) -> String {
    let out = run_outside(home, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

/// Whether `program` runs here (man, zsh and fish are optional on test machines).
fn installed(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// `man -l FILE` as plain text, 80 columns, no pager.
fn man_text(file: &Path) -> String {
    let out = Command::new("man")
        .arg("-l")
        .arg(file)
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .output()
        .expect("run man");
    assert!(out.status.success(), "man -l {}", file.display());
    stdout(&out)
}

/// The page as a reader sees it when `man` is installed, else its roff source
/// checked for the structure `man` needs.
fn readable(file: &Path) -> String {
    let roff = std::fs::read_to_string(file).expect("page");
    if installed("man") {
        return man_text(file);
    }
    for macro_line in [".TH ", ".SH NAME", ".SH SYNOPSIS"] {
        assert!(
            roff.lines().any(|l| l.starts_with(macro_line)),
            "{} lacks {macro_line}:\n{roff}",
            file.display()
        );
    }
    // Undo roff's escaping of dashes so the checks below read the same.
    roff.replace("\\-", "-")
}

#[test]
fn man_install_writes_the_main_page_and_one_per_command() {
    let home = Home::new();
    let dir = home.path().join("pages/man1");
    let dir_str = dir.to_str().unwrap();
    let json: serde_json::Value = serde_json::from_str(&ok_outside(
        &home,
        &["man", "--install", "--dir", dir_str, "--json"],
    ))
    .unwrap();
    assert_eq!(json["dir"], dir_str);
    let files: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for page in [
        "git-auditops.1",
        "git-auditops-evidence.1",
        "git-auditops-phase.1",
        "git-auditops-verify.1",
    ] {
        let file = dir.join(page);
        assert!(
            files.contains(&file.to_str().unwrap()),
            "{page} in {files:?}"
        );
        assert!(file.is_file(), "{page} written");
    }

    let main = readable(&dir.join("git-auditops.1"));
    for expected in [
        "NAME",
        "SYNOPSIS",
        "git-auditops-evidence(1)",
        "git-auditops-init(1)",
    ] {
        assert!(main.contains(expected), "{expected} in:\n{main}");
    }
    // A group's page describes each of its subcommands with their options.
    let evidence = readable(&dir.join("git-auditops-evidence.1"));
    for expected in [
        "NAME",
        "SYNOPSIS",
        "git auditops evidence add",
        "--phase",
        "--lines",
    ] {
        assert!(evidence.contains(expected), "{expected} in:\n{evidence}");
    }

    // Text output names each file; installing again replaces them.
    let text = ok_outside(&home, &["man", "--install", "--dir", dir_str]);
    assert!(text.contains(&format!("wrote {}", dir.join("git-auditops.1").display())));
}

#[test]
fn man_without_install_prints_the_main_page() {
    let home = Home::new();
    let roff = ok_outside(&home, &["man"]);
    assert!(roff.contains(".TH GIT-AUDITOPS 1"), "{roff}");
    assert!(roff.contains(".SH SYNOPSIS"));
    let out = run_outside(&home, &["man", "--dir", "x"]);
    assert_eq!(out.status.code(), Some(2), "--dir needs --install");
}

#[test]
fn git_auditops_help_opens_the_installed_manual() {
    if !installed("man") {
        return;
    }
    let repo = Repo::new();
    let root = repo.home.path().join("manual");
    let dir = root.join("man1");
    repo.ok(&["man", "--install", "--dir", dir.to_str().unwrap()]);
    let mut cmd = Command::new("git");
    support::isolate(&mut cmd, repo.home.path());
    let out = cmd
        .current_dir(repo.path())
        .args(["auditops", "--help"])
        // The trailing colon keeps man's own folders.
        .env("MANPATH", format!("{}:", root.display()))
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git auditops --help: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(
        text.contains("GIT-AUDITOPS(1)") && text.contains("SYNOPSIS"),
        "{text}"
    );
}

#[test]
fn init_installs_missing_pages_and_a_second_init_keeps_them() {
    let repo = Repo::new();
    let dir = repo.home.path().join(".local/share/man/man1");
    let first = repo.ok(&["init"]);
    assert!(
        first.contains(&format!("installed the manual in {}", dir.display())),
        "{first}"
    );
    assert!(dir.join("git-auditops.1").is_file());
    assert!(dir.join("git-auditops-evidence.1").is_file());

    // A page already there is never rewritten; a missing one is written again.
    std::fs::write(dir.join("git-auditops-evidence.1"), "mine").unwrap();
    std::fs::remove_file(dir.join("git-auditops-log.1")).unwrap();
    let second: serde_json::Value = serde_json::from_str(&repo.ok(&["init", "--json"])).unwrap();
    assert_eq!(second["manual"]["state"], "installed");
    assert_eq!(
        second["manual"]["files"],
        serde_json::json!([dir.join("git-auditops-log.1")])
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("git-auditops-evidence.1")).unwrap(),
        "mine"
    );

    let third = repo.ok(&["init"]);
    assert!(!third.contains("manual"), "nothing to say:\n{third}");
    let third: serde_json::Value = serde_json::from_str(&repo.ok(&["init", "--json"])).unwrap();
    assert_eq!(third["manual"]["state"], "present");
}

#[test]
fn init_succeeds_with_a_warning_when_the_manual_cannot_be_written() {
    let repo = Repo::new();
    // A file where the folder should be: even root cannot write under it.
    std::fs::write(repo.home.path().join(".local"), "in the way").unwrap();
    let out = repo.run(&["init"]);
    assert!(out.status.success());
    assert_stderr_contains(&out, "warning: manual not installed");
    assert_stderr_contains(&out, "git auditops man --install --dir DIR");
    assert!(repo.state_tip().is_some(), "init did its work");
}

/// Runs `script` in bash, non-interactively; returns stdout.
fn bash(script: &str) -> String {
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", script])
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "bash: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    stdout(&out)
}

#[test]
fn bash_completion_completes_git_auditops_subcommands_and_flags() {
    let home = Home::new();
    let script = ok_outside(&home, &["completions", "bash"]);
    let file = home.path().join("git-auditops.bash");
    std::fs::write(&file, &script).unwrap();
    let file = file.display();
    bash(&format!("bash -n {file}"));
    let defined = bash(&format!("source {file}; declare -F _git_auditops"));
    assert_eq!(defined.trim(), "_git_auditops");

    // As git's completion calls it: no arguments, the whole `git ...` line.
    let complete = |words: &str, cword: usize| {
        bash(&format!(
            "source {file}; COMP_WORDS=({words}); COMP_CWORD={cword}; _git_auditops; \
             printf '%s|' \"${{COMPREPLY[@]}}\""
        ))
    };
    assert_eq!(complete("git auditops evi", 2), "evidence |");
    let evidence = complete("git auditops evidence ''", 3);
    for word in ["add |", "list |", "export |"] {
        assert!(evidence.contains(word), "{word} in {evidence}");
    }
    assert_eq!(complete("git auditops evidence add --ph", 4), "--phase |");

    // Through git's own bash completion, when it is installed.
    let git_completion = Path::new("/usr/share/bash-completion/completions/git");
    if git_completion.is_file() {
        let words = "git -C /tmp auditops ver";
        let completed = bash(&format!(
            "source {}; source {file}; COMP_WORDS=({words}); COMP_CWORD=4; \
             COMP_LINE='{words}'; COMP_POINT=${{#COMP_LINE}}; __git_wrap__git_main; \
             printf '%s|' \"${{COMPREPLY[@]}}\"",
            git_completion.display()
        ));
        assert_eq!(completed, "verify |");
    }
}

#[test]
fn zsh_and_fish_completions_are_printed() {
    let home = Home::new();
    for (shell, marker, check) in [
        ("zsh", "#compdef git-auditops", ["zsh", "-n"]),
        ("fish", "complete -c git-auditops", ["fish", "--no-execute"]),
    ] {
        let script = ok_outside(&home, &["completions", shell]);
        assert!(script.contains(marker), "{shell}: {marker}");
        assert!(script.contains("evidence"), "{shell} completes commands");
        if installed(check[0]) {
            let file = home.path().join(format!("completion.{shell}"));
            std::fs::write(&file, &script).unwrap();
            let out = Command::new(check[0])
                .arg(check[1])
                .arg(&file)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{shell}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let json: serde_json::Value =
        serde_json::from_str(&ok_outside(&home, &["completions", "fish", "--json"])).unwrap();
    assert_eq!(json["shell"], "fish");
    assert!(json["script"].as_str().unwrap().contains("git-auditops"));
}

/// `--version` alone is answered before the parser is built; it must say what
/// the parser says (reached here through `-C`, which the short path leaves alone).
#[test]
fn version_alone_says_what_the_parser_says() {
    let home = Home::new();
    let fast = ok_outside(&home, &["--version"]);
    assert_eq!(
        fast,
        format!("git-auditops {}\n", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(ok_outside(&home, &["-V"]), fast);
    let dir = home.path().to_str().unwrap();
    assert_eq!(ok_outside(&home, &["-C", dir, "--version"]), fast);
}
