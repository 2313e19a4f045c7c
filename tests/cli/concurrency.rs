//! Many writers at once: every record lands exactly once.

use crate::support::Repo;
use std::collections::BTreeSet;

#[test]
fn eight_processes_times_two_hundred_appends_land_exactly_once() {
    const PROCESSES: usize = 8;
    const EACH: usize = 200;
    let repo = Repo::new();
    repo.setup_trusted();
    // Exactly-once landing is what this test checks, not the lock timeout: on a
    // loaded machine eight writers can keep one waiting past the default 10 s.
    repo.edit_config(
        "ref = \"refs/auditops/state\"\n",
        "ref = \"refs/auditops/state\"\nlock_timeout = \"120s\"\n",
        "patient writers",
    );
    std::thread::scope(|scope| {
        for p in 0..PROCESSES {
            let repo = &repo;
            scope.spawn(move || {
                for i in 0..EACH {
                    let description = format!("writer {p} record {i}");
                    let out = repo.run(&[
                        "evidence",
                        "add",
                        "--phase",
                        "1",
                        "--file",
                        "src/lib.rs",
                        "--lines",
                        "1-3",
                        "--description",
                        &description,
                    ]);
                    assert!(
                        out.status.success(),
                        "{description}: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            });
        }
    });
    let list = repo.evidence_json();
    assert_eq!(list.len(), PROCESSES * EACH);
    let ids: BTreeSet<&str> = list.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), PROCESSES * EACH, "no duplicates");
    let descriptions: BTreeSet<&str> = list
        .iter()
        .map(|e| e["description"].as_str().unwrap())
        .collect();
    assert_eq!(descriptions.len(), PROCESSES * EACH, "none lost");
    let report: serde_json::Value = serde_json::from_str(&repo.ok(&["verify", "--json"])).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["records"], PROCESSES * EACH);
}
