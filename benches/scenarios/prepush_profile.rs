//! Where the time of one pre-push decision (4.) goes. Three process-level
//! probes, interleaved, split the hook's wall time: `git-auditops --version`
//! (starting the binary at all), the hook with nothing on stdin (start, open
//! the repository, read `.auditops.toml`, load the trust list; no decision),
//! and the hook with the push. Then the steps of the hook are timed
//! in-process through the library on the same repository, from a fresh
//! `git::open` to `prepush::decide`, with the answer `gate run` prepared and
//! with none (`src/prepared.rs`). No baseline and no table row: it shows
//! that most of the hook is process start-up, and which step to work on when
//! the ≤ 3× target of 4. is missed (docs/performance.md, "The pre-push
//! decision: where its 3.3 ms go").

use crate::Options;
use crate::scenarios::prepush::Prepush;
use crate::support::fixture::Workspace;
use crate::support::measure::{
    Samples, print_step, run_timed, run_with_input, time, time_interleaved, time_step,
};
use crate::support::report::section;
use git_auditops::config::Config;
use git_auditops::phase::{prepush, status::Reader};
use git_auditops::sign;
use git_auditops::store::Store;

/// Where the time of one pre-push decision goes: the hook as processes, then
/// its steps timed in-process on the pre-push repository.
pub fn run(ws: &Workspace, measured: &Prepush, options: &Options) {
    let (repo, input) = (&measured.repo, measured.allow_input.as_slice());
    section("where the pre-push decision spends its time (processes, then in-process steps)");
    let runs = options.hook_runs;
    let hook = |input: &[u8]| {
        let (output, elapsed) = run_with_input(&mut ws.pre_push_hook(repo), input);
        assert!(output.status.success(), "the pre-push hook failed");
        elapsed
    };
    time_interleaved(
        [
            "process start: git-auditops --version",
            "process: hook pre-push, empty stdin (no decide)",
            "process: hook pre-push, the push",
        ],
        runs,
        &mut |_| {
            [
                run_timed(ws.auditops(&repo.dir).arg("--version")).1,
                hook(b""),
                hook(input),
            ]
        },
    );
    let prepared = repo.dir.join(".git/auditops/prepared-push.json");
    let whole_hook = |label: &str, unprepared: bool| {
        time_step(label, runs, &mut |_| {
            if unprepared {
                std::fs::remove_file(&prepared).expect("remove the prepared answer");
            }
            let repo = git_auditops::git::open(&repo.dir).expect("open");
            let opened = git_auditops::workspace::Workspace::from_repo(repo);
            opened.config().expect("config");
            let updates = prepush::parse_updates(input).expect("parse");
            git_auditops::hooks::run_chained(opened.repo(), "pre-push", &[], input)
                .expect("chained");
            let decisions = prepush::decide(&opened, &updates, false).expect("decide");
            assert!(decisions.iter().all(|d| d.allowed), "{decisions:?}");
        })
    };
    whole_hook(
        "whole hook in-process, prepared (open … decide), fresh open",
        false,
    );
    whole_hook(
        "whole hook in-process, nothing prepared (reads, keeps)",
        true,
    );
    time_step(
        "open repository (gix, discovery + config)",
        runs,
        &mut |_| {
            git_auditops::git::open(&repo.dir).expect("open");
        },
    );
    // The first object read of a process opens the pack index (gix validates
    // it by scanning its offset table: one entry per object in the pack).
    let mut first_read = Samples::default();
    for i in 0..=runs {
        let fresh = repo.open();
        let config = Config::load(fresh.workdir()).expect("config").config;
        let (trust, elapsed) = time(|| sign::trust::load(&fresh, config.allowed_signers(), None));
        trust.expect("trust");
        if i > 0 {
            first_read.push(elapsed);
        }
    }
    print_step(
        "trust::load just after open (first object read)",
        &first_read,
    );
    let gix_repo = repo.open();
    time_step("load .auditops.toml", runs, &mut |_| {
        Config::load(gix_repo.workdir()).expect("config");
    });
    let config = Config::load(gix_repo.workdir()).expect("config").config;
    time_step(
        "look for a chained hook (hooks::run_chained)",
        runs,
        &mut |_| {
            git_auditops::hooks::run_chained(&gix_repo, "pre-push", &[], input).expect("chained");
        },
    );
    time_step(
        "trust::load again (HEAD:.auditops/allowed_signers)",
        runs,
        &mut |_| {
            sign::trust::load(&gix_repo, config.allowed_signers(), None).expect("trust");
        },
    );
    let trust = sign::trust::load(&gix_repo, config.allowed_signers(), None).expect("trust");
    let updates = prepush::parse_updates(input).expect("parse");
    let store = Store::new(&gix_repo, config.ref_name()).expect("store");
    time_step("Store::view (state tip, VERSION)", runs, &mut |_| {
        store.view().expect("view").expect("state exists");
    });
    let view = store.view().expect("view");
    let reader = Reader {
        config: &config,
        view: view.as_ref(),
        trust: &trust,
    };
    time_step(
        "Reader::chain_breaks (completions of each phase)",
        runs,
        &mut |_| {
            reader.chain_breaks(&gix_repo).expect("chain");
        },
    );
    time_step("Reader::active (completions again)", runs, &mut |_| {
        reader.active().expect("active").expect("a phase is active");
    });
    let commit = updates[0].local.expect("a pushed commit");
    let tree_of = || {
        gix_repo
            .find_commit(commit)
            .and_then(|c| c.tree_id())
            .expect("the pushed commit's tree")
            .detach()
    };
    time_step("pushed commit → tree", runs, &mut |_| {
        tree_of();
    });
    let phase = reader.active().expect("active").expect("a phase is active");
    let tree = tree_of();
    time_step(
        "Reader::gates (2 keyed reads + signature checks)",
        runs,
        &mut |_| {
            let gates = reader.gates(phase, tree.into()).expect("gates");
            assert!(gates.iter().all(|g| g.passed()));
        },
    );
    let opened = git_auditops::workspace::Workspace::from_repo(repo.open());
    opened.trust().expect("trust");
    time_step("prepush::decide, prepared (refs + file)", runs, &mut |_| {
        opened.refresh();
        prepush::decide(&opened, &updates, false).expect("decide");
    });
    time_step(
        "prepush::decide, nothing prepared (view … gates, keeps)",
        runs,
        &mut |_| {
            // Read the state again each time, as a fresh hook process would.
            std::fs::remove_file(&prepared).expect("remove the prepared answer");
            opened.refresh();
            prepush::decide(&opened, &updates, false).expect("decide");
        },
    );
}
