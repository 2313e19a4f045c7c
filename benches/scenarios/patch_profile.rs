//! Where the time of `patch submit` (5.) goes until its first validator
//! runs: the steps timed in-process through the library on the patch
//! repository (a fresh open with configuration and trust list, the target
//! ref, libgit2's open, parse and apply on patches never submitted, the
//! state lookup, the key, `PooledWorktree::checkout`), then, as processes
//! interleaved, start-up (`--version`, a submit of an already decided
//! patch), the two git commands the pool runs in the slot, the shell the
//! validator runs in, and `git patch-id --stable` (every submit runs it for
//! the patch id). No baseline and no table row: it shows what the ratio
//! of 5. is made of and what a faster command would have to cut
//! (docs/performance.md, "`patch submit`: where its ~80 ms go").

use crate::Options;
use crate::scenarios::patch_submit::PatchRepo;
use crate::support::fixture::Workspace;
use crate::support::measure::{run_timed, run_with_input, time_interleaved, time_step};
use crate::support::patches::{self, clock_reading, pool_slot};
use crate::support::report::section;
use git_auditops::config::Config;
use git_auditops::patch::PatchId;
use git_auditops::patch::parse::{self, ParsedDiff};
use git_auditops::patch::records::DecisionRecord;
use git_auditops::sign;
use git_auditops::store::Store;
use git_auditops::worktree::PooledWorktree;
use std::time::{Duration, SystemTime};

/// Where the time of `patch submit` goes until its first validator runs: the
/// steps timed in-process through the library, then as processes.
///
/// `decided` is a patch submitted before; `fresh` are patches never
/// submitted, so that applying them writes new objects and checking their
/// results out changes files.
pub fn run(ws: &Workspace, measured: &PatchRepo, options: &Options) {
    let PatchRepo {
        repo,
        decided,
        fresh,
    } = measured;
    section(
        "where patch submit spends its time until the first validator (in-process, then processes)",
    );
    let runs = options.patch_runs;
    time_step(
        "open + load .auditops.toml + trust list (fresh open)",
        runs,
        &mut |_| {
            let repo = git_auditops::git::open(&repo.dir).expect("open");
            let config = Config::load(repo.workdir()).expect("config").config;
            sign::trust::load(&repo, config.allowed_signers(), None).expect("trust");
        },
    );
    let gix_repo = repo.open();
    let config = Config::load(gix_repo.workdir()).expect("config").config;
    let trust = sign::trust::load(&gix_repo, config.allowed_signers(), None).expect("trust");
    let read_target = || {
        git_auditops::store::read_ref(&gix_repo, "refs/heads/release")
            .expect("read release")
            .expect("release exists")
    };
    time_step("target: refs/heads/release → commit", runs, &mut |_| {
        read_target();
    });
    let base = read_target();
    time_step("git2: open the repository", runs, &mut |_| {
        git2::Repository::open(gix_repo.git_dir()).expect("git2 open");
    });
    let git2_repo = git2::Repository::open(gix_repo.git_dir()).expect("git2 open");
    let base_oid = git2::Oid::from_bytes(base.as_bytes()).expect("an object id");
    let tree_of = || {
        git2_repo
            .find_commit(base_oid)
            .and_then(|c| c.tree())
            .expect("the base tree")
    };
    time_step("git2: base commit → tree", runs, &mut |_| {
        tree_of();
    });
    let base_tree = tree_of();
    let bytes: Vec<Vec<u8>> = fresh[..2 * (runs + 1)]
        .iter()
        .map(|p| std::fs::read(p).expect("read a patch"))
        .collect();
    time_step("parse the patch (patch::parse::parse)", runs, &mut |i| {
        parse::parse(&bytes[i]).expect("parse");
    });
    let parsed = bytes
        .iter()
        .map(|b| parse::parse(b).expect("parse"))
        .collect::<Vec<_>>();
    let store = Store::new(&gix_repo, config.ref_name()).expect("store");
    time_step(
        "state: Store::view + look the patch up (decided?)",
        runs,
        &mut |i| {
            let view = store.view().expect("view").expect("the state exists");
            git_auditops::records::read_keyed::<DecisionRecord>(
                &view,
                &[PatchId::of_bytes(&bytes[i]).to_hex()],
                &trust,
            )
            .expect("read_keyed");
        },
    );
    let opened = git_auditops::workspace::Workspace::from_repo(repo.open());
    time_step("find + read the signing key", runs, &mut |_| {
        sign::key::for_recording(&opened).expect("key");
    });
    time_step(
        "git2: apply_to_tree (base tree → index, apply)",
        runs,
        &mut |i| {
            git2_repo
                .apply_to_tree(&base_tree, &parsed[i].diff, None)
                .expect("apply_to_tree");
        },
    );
    let parent = git2_repo.find_commit(base_oid).expect("the base commit");
    let signature = git2_repo.signature().expect("a signature");
    let mut results = Vec::new();
    time_step(
        "git2: apply_to_tree + write_tree_to + commit (all of apply)",
        runs,
        &mut |i| {
            let commit = apply(&git2_repo, &base_tree, &parent, &signature, &parsed[i]);
            results.push(gix::ObjectId::try_from(commit.as_bytes()).expect("an object id"));
        },
    );
    // As the command does it: a fresh libgit2 handle, so nothing is cached yet.
    time_step(
        "git2: open + base tree + all of apply (fresh open)",
        runs,
        &mut |i| {
            let repo = git2::Repository::open(gix_repo.git_dir()).expect("git2 open");
            let parent = repo.find_commit(base_oid).expect("the base commit");
            let base_tree = parent.tree().expect("the base tree");
            apply(
                &repo,
                &base_tree,
                &parent,
                &signature,
                &parsed[runs + 1 + i],
            );
        },
    );
    // Each patch's result in turn, as successive submits check them out.
    time_step(
        "PooledWorktree::checkout (lock, git checkout, git clean)",
        runs,
        &mut |i| {
            drop(
                PooledWorktree::checkout(&gix_repo, results[i], Duration::from_secs(60))
                    .expect("checkout"),
            );
        },
    );

    // As processes, interleaved, so that their differences are not background load.
    let slot = pool_slot(repo);
    time_interleaved(
        [
            "process start: git-auditops --version",
            "process: patch submit, already decided (start … decided?)",
            "process: git checkout --detach --force (pooled worktree)",
            "process: git clean -fdq (pooled worktree)",
            "process: /bin/sh -c 'date +%s%N', spawn → its reading",
            "process: git patch-id --stable (every submit: the patch id)",
        ],
        runs,
        &mut |round| {
            let version = run_timed(ws.auditops(&repo.dir).arg("--version")).1;
            let (json, again, _) = patches::submit(ws, repo, decided);
            assert!(
                json["already_decided"] == true,
                "the first patch was not reported as already decided: {json}"
            );
            let hex = results[runs - round % 2].to_string();
            let checkout = run_timed(
                ws.git(&slot)
                    .args(["checkout", "--quiet", "--detach", "--force", &hex]),
            )
            .1;
            let clean = run_timed(ws.git(&slot).args(["clean", "-fdq"])).1;
            let spawned = SystemTime::now();
            let (output, _) = run_timed(
                std::process::Command::new("/bin/sh")
                    .args(["-c", "date +%s%N"])
                    .current_dir(&slot),
            );
            let reading = clock_reading(&String::from_utf8_lossy(&output.stdout), &"`date`");
            let shell = reading
                .duration_since(spawned)
                .expect("the clock reading is after the spawn");
            let patch_id = run_with_input(
                ws.git(&repo.dir).args(["patch-id", "--stable"]),
                &bytes[round % bytes.len()],
            )
            .1;
            [version, again, checkout, clean, shell, patch_id]
        },
    );
}

/// All of what `patch submit` does to apply a patch: `apply_to_tree` on the
/// base tree, `write_tree_to`, and a commit of the result on the base commit
/// (no ref moved). Returns the commit.
fn apply(
    repo: &git2::Repository,
    base_tree: &git2::Tree<'_>,
    parent: &git2::Commit<'_>,
    signature: &git2::Signature<'_>,
    patch: &ParsedDiff,
) -> git2::Oid {
    let mut index = repo
        .apply_to_tree(base_tree, &patch.diff, None)
        .expect("apply_to_tree");
    let tree = index.write_tree_to(repo).expect("write_tree_to");
    let tree = repo.find_tree(tree).expect("the new tree");
    repo.commit(None, signature, signature, "a patch\n", &tree, &[parent])
        .expect("commit")
}
