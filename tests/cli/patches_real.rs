//! Patches as real contributors send them: `git format-patch` output of a
//! history replayed against an older base, where the target moved on. Each
//! must apply as `git am --3way` would (offsets, a three-way merge, a rename, a
//! mode change, a series) and land with its author, date and message.

use crate::patches::{config, project, submit, write_patch};
use crate::support::{Repo, stderr};
use base64::Engine;

/// `n` numbered lines, `edit` applied to each.
fn numbered(n: usize, edit: impl Fn(usize) -> Option<String>) -> String {
    (1..=n)
        .map(|i| edit(i).unwrap_or_else(|| format!("line {i}")) + "\n")
        .collect()
}

/// Commits everything as `author` at `date`.
fn commit_as(repo: &Repo, author: (&str, &str), date: &str, message: &str) {
    repo.git(&["add", "-A"]);
    repo.git_with(
        &["commit", "-q", "-m", message],
        &[
            ("GIT_AUTHOR_NAME", author.0),
            ("GIT_AUTHOR_EMAIL", author.1),
            ("GIT_AUTHOR_DATE", date),
        ],
    );
}

const ADA: (&str, &str) = ("Ada Lovelace", "ada@example.org");
const GRACE: (&str, &str) = ("Grace Hopper", "grace@example.org");
const JÖRG: (&str, &str) = ("Jörg Müller", "joerg@example.de");

/// What `git log` says about `rev`'s commits: author, email, date, message.
fn authorship(repo: &Repo, rev: &str, count: usize) -> String {
    repo.git(&[
        "log",
        &format!("-{count}"),
        "--format=%an %ae %ad%n%B%n--",
        rev,
    ])
}

/// A project whose `upstream` branch has four contributed commits on top of
/// `base`, while `release` (the target) moved on from `base`: six lines
/// inserted at the top of notes.txt (every hunk needs an offset) and line 17
/// changed (inside the context of upstream's change to line 20: that one needs
/// the three-way merge).
fn contributed(mode: &str) -> Repo {
    let repo = project(&config(mode, ""));
    repo.write("notes.txt", numbered(40, |_| None));
    repo.write("run.sh", "#!/bin/sh\necho hi\n");
    repo.commit_all("notes and a script");
    repo.git(&["checkout", "-q", "-b", "upstream"]);
    repo.write(
        "notes.txt",
        numbered(40, |i| (i == 30).then(|| "line 30, corrected".into())),
    );
    commit_as(
        &repo,
        ADA,
        "2021-03-04T05:06:07+0100",
        "Correct line 30\n\nThe old text was wrong; this is what the spec says.",
    );
    repo.write(
        "notes.txt",
        numbered(40, |i| match i {
            30 => Some("line 30, corrected".into()),
            20 => Some("line 20, clarified".into()),
            _ => None,
        }),
    );
    commit_as(&repo, GRACE, "2022-05-06T07:08:09-0700", "Clarify line 20");
    repo.git(&["mv", "notes.txt", "NOTES.md"]);
    commit_as(
        &repo,
        JÖRG,
        "2023-01-02T03:04:05+0200",
        "Rename the notes to NOTES.md\n\nMarkdown renders on the forge.",
    );
    let script = repo.path().join("run.sh");
    let mut permissions = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&script, permissions).unwrap();
    commit_as(
        &repo,
        ADA,
        "2024-02-29T12:00:00+0000",
        "Make run.sh executable",
    );
    repo.git(&["checkout", "-q", "main"]);
    repo.write(
        "notes.txt",
        (1..=6)
            .map(|i| format!("preface {i}\n"))
            .collect::<String>()
            + &numbered(40, |i| (i == 17).then(|| "line 17, local".into())),
    );
    repo.commit_all("local: a preface, and line 17");
    // The target is `release`, checked out nowhere; `main` stays where it is.
    repo.git(&["branch", "-f", "release", "main"]);
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo
}

/// `git format-patch` of `range` into files; their paths, in order.
fn format_patch(repo: &Repo, range: &str, extra: &[&str]) -> Vec<String> {
    let dir = repo.home.path().join(format!("out-{}", extra.len()));
    let dir = dir.to_str().unwrap();
    let mut args = vec!["format-patch", "-q", "-o", dir];
    args.extend_from_slice(extra);
    args.push(range);
    repo.git(&args);
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    files.sort();
    files
}

#[test]
fn format_patch_output_lands_with_its_authors_dates_and_messages() {
    let repo = contributed("automatic");
    let patches = format_patch(&repo, "release~1..upstream", &[]);
    assert_eq!(patches.len(), 4);
    let upstream: Vec<String> = (0..4)
        .rev()
        .map(|n| authorship(&repo, &format!("upstream~{n}"), 1))
        .collect();
    let what = ["offset", "three-way merge", "rename", "mode change"];
    for ((patch, expected), what) in patches.iter().zip(&upstream).zip(what) {
        let (code, json, err) = submit(&repo, patch, "release");
        assert_eq!(code, Some(0), "{what}: {err}\n{json}");
        assert_eq!(json["decision"], "auto_merge", "{what}: {json}");
        assert_eq!(json["action"], "merged", "{what}: {json}");
        assert_eq!(json["input"], "mbox", "{what}");
        assert_eq!(
            &authorship(&repo, "release", 1),
            expected,
            "{what}: merged with the contributor's name, email, date and message"
        );
    }
    assert_eq!(json_author(&repo), "Ada Lovelace <ada@example.org>");
    // The tree is upstream's, with the target's own changes kept.
    let notes = repo.git(&["show", "release:NOTES.md"]);
    for line in [
        "preface 1",
        "line 17, local",
        "line 20, clarified",
        "line 30, corrected",
    ] {
        assert!(notes.contains(line), "{line}: {notes}");
    }
    let mode = repo.git(&["ls-tree", "release", "run.sh"]);
    assert!(mode.starts_with("100755"), "{mode}");
    assert!(repo.git(&["ls-tree", "release", "notes.txt"]).is_empty());
    repo.ok(&["verify"]);
}

/// The author the decision log names for the last decision.
fn json_author(repo: &Repo) -> String {
    let decisions: Vec<serde_json::Value> =
        serde_json::from_str(&repo.ok(&["decisions", "--json"])).unwrap();
    decisions.last().unwrap()["author"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_series_is_validated_once_at_its_last_commit_and_keeps_its_commits() {
    let repo = contributed("automatic");
    let out = repo.git(&["format-patch", "--stdout", "release~1..upstream~1"]);
    let series = write_patch(&repo, "series.mbox", (out + "\n").as_bytes());
    let before = repo.git(&["rev-parse", "release"]);
    let (code, json, err) = submit(&repo, &series, "release");
    assert_eq!(code, Some(0), "{err}\n{json}");
    assert_eq!(json["decision"], "auto_merge");
    assert_eq!(json["commits"].as_array().unwrap().len(), 3, "{json}");
    assert_eq!(
        json["subject"], "Correct line 30",
        "named by its first commit"
    );
    assert_eq!(json["result_commit"], repo.git(&["rev-parse", "release"]));
    assert_eq!(
        repo.git(&["rev-list", "--count", &format!("{before}..release")]),
        "3"
    );
    assert_eq!(
        authorship(&repo, "release", 3),
        authorship(&repo, "upstream~1", 3)
    );
    let decisions: Vec<serde_json::Value> =
        serde_json::from_str(&repo.ok(&["decisions", "--json"])).unwrap();
    assert_eq!(decisions.len(), 1, "decided once");
}

#[test]
fn a_hunk_that_does_not_apply_is_named_by_file_and_header() {
    let repo = contributed("automatic");
    repo.git(&["checkout", "-q", "-b", "other", "release~1"]);
    repo.write(
        "notes.txt",
        numbered(40, |i| (i == 17).then(|| "line 17, theirs".into())),
    );
    commit_as(
        &repo,
        GRACE,
        "2022-01-01T00:00:00+0000",
        "Change line 17 too",
    );
    repo.git(&["checkout", "-q", "main"]);
    let patches = format_patch(&repo, "release~1..other", &["--no-numbered"]);
    let before = repo.git(&["rev-parse", "release"]);
    let out = repo.run(&["patch", "submit", &patches[0], "--target", "release"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("`notes.txt`: hunk `@@ -14,7 +14,7 @@"),
        "{err}"
    );
    assert!(
        err.contains("three-way merge conflicts in `notes.txt`"),
        "{err}"
    );
    let json = repo.run(&[
        "patch",
        "submit",
        &patches[0],
        "--target",
        "release",
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["decision"], "rejected");
    assert_eq!(doc["refused"], "does_not_apply");
    assert!(
        doc["reasons"][0]
            .as_str()
            .unwrap()
            .contains("@@ -14,7 +14,7 @@"),
        "{doc}"
    );
    assert_eq!(repo.git(&["rev-parse", "release"]), before);
}

#[test]
fn a_patch_is_the_same_patch_however_exported_and_is_decided_per_target_and_base() {
    let repo = contributed("analysis_only");
    repo.git(&["branch", "release2", "release"]);
    let first = format_patch(&repo, "upstream~4..upstream~3", &["--signature=one"]);
    let again = format_patch(
        &repo,
        "upstream~4..upstream~3",
        &["--signature=two", "--subject-prefix=PATCH v2", "--numbered"],
    );
    assert_ne!(
        std::fs::read(&first[0]).unwrap(),
        std::fs::read(&again[0]).unwrap()
    );
    let (code, one, err) = submit(&repo, &first[0], "release");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(one["already_decided"], false);
    let expected = repo.git(&["show", "upstream~3"]);
    let mut cmd = std::process::Command::new("git");
    crate::support::isolate(&mut cmd, repo.home.path());
    let id = {
        use std::io::Write;
        let mut child = cmd
            .current_dir(repo.path())
            .args(["patch-id", "--stable"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(expected.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(
        one["patch_id"],
        id.split_whitespace().next().unwrap(),
        "git's patch id"
    );

    let (code, two, _) = submit(&repo, &again[0], "release");
    assert_eq!(code, Some(0));
    assert_eq!(
        two["patch_id"], one["patch_id"],
        "re-exported: the same patch"
    );
    assert_eq!(two["already_decided"], true);
    assert_eq!(two["id"], one["id"]);
    let text = repo.ok(&["patch", "submit", &again[0], "--target", "release"]);
    assert!(text.contains("already decided"), "{text}");
    assert!(text.contains("--again"), "{text}");

    let (code, other, _) = submit(&repo, &again[0], "release2");
    assert_eq!(code, Some(0));
    assert_eq!(
        other["already_decided"], false,
        "another target: validated again"
    );
    assert_eq!(other["patch_id"], one["patch_id"]);

    let out = repo.run(&[
        "patch", "submit", &first[0], "--target", "release", "--again", "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let forced: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(forced["already_decided"], false);
    assert_eq!(forced["again_of"], one["id"]);
    assert_ne!(forced["id"], one["id"]);
    assert!(
        forced["reasons"][0].as_str().unwrap().contains("--again"),
        "{forced}"
    );
    let decisions: Vec<serde_json::Value> =
        serde_json::from_str(&repo.ok(&["decisions", "--json"])).unwrap();
    assert_eq!(decisions.len(), 3);
}

#[test]
fn a_plain_diff_takes_author_and_message_or_names_its_files() {
    let repo = contributed("automatic");
    let diff = repo.git(&["diff", "upstream~4", "upstream~3"]) + "\n";
    let path = write_patch(&repo, "plain.diff", diff.as_bytes());
    let out = repo.run(&[
        "patch",
        "submit",
        &path,
        "--target",
        "release",
        "--author",
        "Ada Lovelace <ada@example.org>",
        "--message",
        "Correct line 30\n\nFrom the spec.",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let log = repo.git(&["log", "-1", "--format=%an <%ae>|%cn|%s|%b", "release"]);
    assert_eq!(
        log,
        "Ada Lovelace <ada@example.org>|Test User|Correct line 30|From the spec."
    );

    let diff = repo.git(&["diff", "upstream~3", "upstream~2"]) + "\n";
    let path = write_patch(&repo, "bare.diff", diff.as_bytes());
    let (code, json, err) = submit(&repo, &path, "release");
    assert_eq!(code, Some(0), "{err}");
    assert!(json["subject"].is_null());
    let log = repo.git(&["log", "-1", "--format=%an <%ae>|%s", "release"]);
    assert_eq!(log, "Test User <tester@example.com>|modify notes.txt");

    let out = repo.run(&[
        "patch", "submit", &path, "--target", "release", "--author", "nobody",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("NAME <EMAIL>"), "{}", stderr(&out));
}

/// The signed payloads of every record of `kind` in the state, decoded.
fn payloads(repo: &Repo, kind: &str) -> Vec<String> {
    let listing = repo.git(&["ls-tree", "-r", "--name-only", crate::support::STATE_REF]);
    listing
        .lines()
        .filter(|p| p.starts_with(&format!("index/{kind}/")))
        .flat_map(|p| {
            repo.git(&[
                "cat-file",
                "-p",
                &format!("{}:{p}", crate::support::STATE_REF),
            ])
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
        })
        .filter_map(|line| {
            let envelope: serde_json::Value = serde_json::from_str(&line).ok()?;
            let payload = envelope["payload"].as_str()?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(payload)
                .ok()?;
            String::from_utf8(bytes).ok()
        })
        .collect()
}

#[test]
fn approving_a_failing_patch_needs_an_override_that_is_signed_with_the_approval() {
    let repo = project(&config("automatic", ""));
    let diff = {
        repo.write(
            "src/lib.rs",
            format!("{}// TODO: later\n", crate::support::SAMPLE_SOURCE),
        );
        repo.git(&["add", "-A"]);
        let d = repo.git(&["diff", "--cached"]) + "\n";
        repo.git(&["reset", "-q", "--hard"]);
        d
    };
    let path = write_patch(&repo, "todo.patch", diff.as_bytes());
    let (code, json, err) = submit(&repo, &path, "release");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json["decision"], "manual_review", "{json}");
    let item = json["queue_item"].as_str().unwrap().to_owned();

    let shown = repo.ok(&["queue", "show", &item]);
    assert!(
        shown.contains("lint") && shown.contains("FAILED"),
        "{shown}"
    );
    assert!(shown.contains("log: "), "{shown}");
    let listed: serde_json::Value =
        serde_json::from_str(&repo.ok(&["queue", "list", "--json"])).unwrap();
    let validators = listed["items"][0]["validators"].as_array().unwrap();
    let lint = validators.iter().find(|v| v["name"] == "lint").unwrap();
    assert_eq!(lint["passed"], false, "{lint}");
    assert!(
        lint["weight"].is_number() && lint["duration_ms"].is_number(),
        "{lint}"
    );
    assert!(lint["log"].is_string(), "{lint}");
    let tests = validators.iter().find(|v| v["name"] == "tests").unwrap();
    assert_eq!(tests["passed"], true);
    assert_eq!(listed["items"][0]["item"]["target"], "release");
    assert_eq!(listed["items"][0]["files"][0]["path"], "src/lib.rs");

    let tip = repo.state_tip();
    let release = repo.git(&["rev-parse", "release"]);
    let out = repo.run(&["queue", "approve", &item]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("validator `lint` failed"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--override"), "{}", stderr(&out));
    assert_eq!(repo.state_tip(), tip, "nothing recorded");
    assert_eq!(
        repo.git(&["rev-parse", "release"]),
        release,
        "nothing merged"
    );

    let text = "the TODO is tracked in #12; lint is wrong here";
    let done = repo.ok(&["queue", "approve", &item, "--override", text]);
    assert!(done.contains("merged into release"), "{done}");
    assert!(done.contains(text), "{done}");
    assert_eq!(
        repo.git(&["rev-parse", "release"]),
        json["result_commit"].as_str().unwrap()
    );
    let approvals = payloads(&repo, "approval");
    assert!(
        approvals.iter().any(|p| p.contains(text)),
        "the override is in the signed approval: {approvals:?}"
    );
    repo.ok(&["verify"]);
}

#[test]
fn a_protected_path_needs_an_override_and_a_rejection_says_what_it_did() {
    let repo = project(&config("automatic", ""));
    let current = std::fs::read_to_string(repo.path().join(".auditops.toml")).unwrap();
    repo.write(
        ".auditops.toml",
        current.replace("retry_backoff = \"10ms\"", "retry_backoff = \"20ms\""),
    );
    repo.git(&["add", "-A"]);
    let diff = repo.git(&["diff", "--cached"]) + "\n";
    repo.git(&["reset", "-q", "--hard"]);
    let path = write_patch(&repo, "policy.patch", diff.as_bytes());
    let (code, json, err) = submit(&repo, &path, "release");
    assert_eq!(code, Some(0), "{err}");
    let item = json["queue_item"].as_str().unwrap().to_owned();
    let out = repo.run(&["queue", "approve", &item, "--note", "fine"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("protected `.auditops.toml`"),
        "{}",
        stderr(&out)
    );
    let said = repo.ok(&[
        "queue",
        "reject",
        &item,
        "--reason",
        "policy changes go through the lead",
    ]);
    assert!(said.contains(&format!("rejected {item}")), "{said}");
    assert!(said.contains("nothing merged into release"), "{said}");
    assert!(
        said.contains("policy changes go through the lead"),
        "{said}"
    );
    assert!(!said.contains("none"), "{said}");
}
