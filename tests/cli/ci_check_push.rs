//! `ci check-push`: the server-side check that catches pushes that skipped
//! the hook, and force-pushes that drop commits.

use crate::ci_support::{CONFIG, CiProject, gate_results, git_push};
use crate::fake_github::{FakeGitHub, TOKEN};
use crate::github_support::FAST;
use crate::support::{Repo, stderr, stdout};

/// CONFIG with bypass issues going to `fake`.
fn with_issues(fake: &FakeGitHub) -> String {
    format!(
        "{CONFIG}\n[ci]\nbypass_issue = true\n\n[github]\nrepo = \"octo/demo\"\napi_url = \"{}\"\ntimeout = \"2s\"\n{FAST}",
        fake.url
    )
}

/// `ci check-push` run by a CI runner (a fresh clone with the CI key).
fn check_push(project: &CiProject, before: &str, after: &str) -> (Repo, std::process::Output) {
    let runner = project.runner();
    let out = project.ci(
        &runner,
        &[
            "ci",
            "check-push",
            "--ref",
            "refs/heads/main",
            "--before",
            before,
            "--after",
            after,
            "--json",
        ],
    );
    (runner, out)
}

fn bypass_records(repo: &Repo) -> usize {
    let files = repo.git(&["ls-tree", "-r", "--name-only", crate::support::STATE_REF]);
    files
        .lines()
        .filter(|f| f.starts_with("index/bypass/"))
        .count()
}

#[test]
fn a_no_verify_push_is_recorded_fails_and_raises_one_issue() {
    let fake = FakeGitHub::start();
    let project = CiProject::new(&with_issues(&fake));
    let dev = &project.dev;
    let before = dev.git(&["rev-parse", "HEAD"]);
    dev.write("src/sneaky.rs", "pub fn sneaky() {}\n");
    let after = dev.commit_all("sneaky");
    let pushed = git_push(dev, &["--no-verify", "origin", "main"]);
    assert!(pushed.status.success(), "{}", stderr(&pushed));

    let (runner, out) = check_push(&project, &before, &after);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let verdict: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdict["ok"], false);
    assert_eq!(verdict["uncovered"][0]["commit"], after.as_str());
    assert_eq!(
        verdict["uncovered"][0]["missing"],
        serde_json::json!(["g1", "g2", "g3", "g4"])
    );
    assert_eq!(verdict["issue"]["outcome"], "queued");
    assert_eq!(bypass_records(&runner), 1);

    // The record reached the remote, signed by CI, and verifies.
    dev.ok(&["state", "pull"]);
    assert_eq!(bypass_records(dev), 1);
    assert!(dev.ok(&["verify"]).contains("ok"));

    // The queued issue goes out once, however often the check runs.
    let (runner, again) = check_push(&project, &before, &after);
    assert_eq!(again.status.code(), Some(1));
    let synced = project.ci(&runner, &["sync"]);
    let mut sync = project.ci_cmd(&runner, &["sync"]);
    sync.env("GITHUB_TOKEN", TOKEN);
    let synced2 = crate::support::output_with_hang_guard(&mut sync);
    assert!(
        synced2.status.success(),
        "{}{}",
        stdout(&synced2),
        stderr(&synced2)
    );
    let _ = synced;
    let issues = fake.issues("octo/demo");
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert!(
        issues[0].title.contains("refs/heads/main"),
        "{}",
        issues[0].title
    );
    assert!(issues[0].body.contains(&after[..12]), "{}", issues[0].body);
    assert!(issues[0].labels.contains(&"bypass".to_owned()));
}

#[test]
fn a_covered_push_passes_and_records_nothing() {
    let project = CiProject::new(CONFIG);
    let dev = &project.dev;
    let before = dev.git(&["rev-parse", "HEAD"]);
    dev.write("src/fine.rs", "pub fn fine() {}\n");
    let after = dev.commit_all("fine");
    dev.ok(&["gate", "run"]);
    let pushed = git_push(dev, &["origin", "main"]);
    assert!(pushed.status.success(), "{}", stderr(&pushed));
    dev.ok(&["state", "push"]);
    let remote_state = dev.git(&["ls-remote", "origin", crate::support::STATE_REF]);

    let (runner, out) = check_push(&project, &before, &after);
    assert!(out.status.success(), "{}", stderr(&out));
    let verdict: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdict["ok"], true);
    assert!(verdict["recorded"].is_null());
    assert_eq!(bypass_records(&runner), 0);
    assert_eq!(
        dev.git(&["ls-remote", "origin", crate::support::STATE_REF]),
        remote_state,
        "nothing pushed"
    );
    // An unprotected ref is not judged at all.
    let feature = project.ci(
        &runner,
        &[
            "ci",
            "check-push",
            "--ref",
            "refs/heads/feature",
            "--before",
            &before,
            "--after",
            &after,
        ],
    );
    assert!(feature.status.success());
    assert!(stdout(&feature).contains("not protected"));
    // A malformed sha is a usage error.
    let bad = project.ci(
        &runner,
        &[
            "ci",
            "check-push",
            "--ref",
            "refs/heads/main",
            "--before",
            "abc",
            "--after",
            &after,
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--before"), "{}", stderr(&bad));
    assert_eq!(gate_results(&runner).len(), 4);
}

#[test]
fn a_force_push_that_drops_commits_is_recorded() {
    let project = CiProject::new(CONFIG);
    let dev = &project.dev;
    let base = dev.git(&["rev-parse", "HEAD"]);
    dev.ok(&["gate", "run"]);
    dev.write("src/kept.rs", "pub fn kept() {}\n");
    let dropped = dev.commit_all("to be dropped");
    dev.ok(&["gate", "run"]);
    let pushed = git_push(dev, &["origin", "main"]);
    assert!(pushed.status.success(), "{}", stderr(&pushed));
    dev.ok(&["state", "push"]);
    // Back to base (its tree is covered) with a force-push.
    dev.git(&["reset", "-q", "--hard", &base]);
    let forced = git_push(dev, &["--force", "origin", "main"]);
    assert!(forced.status.success(), "{}", stderr(&forced));

    let (runner, out) = check_push(&project, &dropped, &base);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let verdict: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdict["forced"], true);
    assert_eq!(verdict["dropped"], serde_json::json!([dropped]));
    assert!(verdict["uncovered"].as_array().unwrap().is_empty());
    assert_eq!(bypass_records(&runner), 1);
}

#[test]
fn the_tip_is_judged_unless_every_commit_must_be_covered() {
    for every in [false, true] {
        let config = match every {
            false => CONFIG.to_owned(),
            true => format!("{CONFIG}\n[ci]\ncheck_every_commit = true\n"),
        };
        let project = CiProject::new(&config);
        let dev = &project.dev;
        let before = dev.git(&["rev-parse", "HEAD"]);
        dev.write("src/a.rs", "pub fn a() {}\n");
        let middle = dev.commit_all("a");
        dev.write("src/b.rs", "pub fn b() {}\n");
        let after = dev.commit_all("b");
        dev.ok(&["gate", "run"]);
        let pushed = git_push(dev, &["origin", "main"]);
        assert!(pushed.status.success(), "{}", stderr(&pushed));
        dev.ok(&["state", "push"]);

        let (_, out) = check_push(&project, &before, &after);
        let verdict: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(verdict["commits"], serde_json::json!([after, middle]));
        match every {
            false => assert!(out.status.success(), "{}", stderr(&out)),
            true => {
                assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
                assert_eq!(verdict["uncovered"][0]["commit"], middle.as_str());
                assert_eq!(verdict["uncovered"].as_array().unwrap().len(), 1);
            }
        }
    }
}
