//! The hooks and the state ref.

use super::{Check, CheckName};
use crate::error::chain;
use crate::hooks::{self, State};
use crate::store::{self, remote};
use crate::workspace::Workspace;
use gix::ObjectId;

/// The managed hooks: installed, current, and where git runs them.
pub(super) fn hooks(ws: &Workspace) -> Check {
    let name = CheckName::Hooks;
    let statuses = match hooks::status(ws.repo()) {
        Ok(statuses) => statuses,
        Err(err) => return Check::problem(name, chain(&err), None),
    };
    let mut details = Vec::new();
    let mut fix = None;
    for hook in &statuses.hooks {
        let mut detail = format!("{} {}", hook.hook, hook.state);
        if let Some(reason) = &hook.reason {
            detail.push_str(&format!(" ({reason})"));
        }
        if hook.chained {
            detail.push_str(", an earlier hook is kept and runs first");
        }
        details.push(detail);
        let hook_fix = match hook.state {
            State::Installed => continue,
            State::Bypassed
                if hook
                    .reason
                    .as_deref()
                    .is_some_and(|r| r.contains("executable")) =>
            {
                format!(
                    "chmod +x {}",
                    super::shell_word(&hook.path.to_string_lossy())
                )
            }
            State::Bypassed if statuses.location.outside => format!(
                "git auditops hooks install --force (writes into the shared folder {}), or git config --unset core.hooksPath",
                statuses.location.dir.display()
            ),
            State::Missing | State::Outdated | State::Foreign | State::Bypassed => {
                "git auditops hooks install".to_owned()
            }
        };
        fix.get_or_insert(hook_fix);
    }
    let detail = details.join("; ");
    match fix {
        None => Check::ok(name, detail),
        Some(fix) => Check::problem(name, detail, Some(fix)),
    }
}

/// The state ref: present, every record verifying (the verify cache is
/// used), and holding what its remote had at the last pull.
pub(super) fn state(ws: &Workspace) -> Check {
    let name = CheckName::State;
    let (store, view) = match ws.store().and_then(|store| Ok((store, ws.view()?))) {
        Ok(found) => found,
        Err(err) => return Check::problem(name, chain(&err), None),
    };
    let ref_name = store.ref_name().to_owned();
    let remote = remote::default_remote(ws.repo(), "pull").ok();
    let Some(view) = view else {
        let fix = match &remote {
            Some(remote) => format!(
                "git auditops state pull {remote} (if {remote} has one), else git auditops init"
            ),
            None => "git auditops init".to_owned(),
        };
        return Check::problem(name, format!("{ref_name} does not exist"), Some(fix));
    };
    let tip = view.commit;
    let report = match crate::verify::verify(ws, None, true, true) {
        Ok(report) => report,
        Err(err) => {
            return Check::problem(
                name,
                format!("{ref_name} cannot be verified: {}", chain(&err)),
                Some("git auditops verify".into()),
            );
        }
    };
    let at = format!("{ref_name} at {}", crate::ids::CommitId::from(tip).short());
    if !report.ok {
        return Check::problem(
            name,
            format!(
                "{at}: {} of {} record(s) fail verification",
                report.failures.len(),
                report.records
            ),
            Some("git auditops verify (names each failing record)".into()),
        );
    }
    let mut detail = format!("{at}: {} record(s) verify", report.records);
    let Some(remote) = remote else {
        return Check::ok(name, detail);
    };
    let tracking = store::remote_tracking_ref(&remote);
    let theirs = match store::read_ref(ws.repo(), &tracking) {
        Ok(Some(theirs)) => theirs,
        Ok(None) => {
            detail.push_str(&format!("; not pulled from {remote} yet"));
            return Check::ok(name, detail);
        }
        Err(err) => {
            return Check::problem(name, format!("{detail}; {tracking}: {}", chain(&err)), None);
        }
    };
    let compared =
        only_in(ws, theirs, tip).and_then(|behind| Ok((behind, only_in(ws, tip, theirs)?)));
    match compared {
        Err(err) => Check::problem(
            name,
            format!("{detail}; cannot compare with {tracking}: {}", chain(&err)),
            None,
        ),
        Ok((behind @ 1.., _)) => Check::problem(
            name,
            format!("{detail}; {behind} transaction(s) fetched from {remote} are not merged here"),
            Some(format!("git auditops state pull {remote}")),
        ),
        Ok((0, 0)) => {
            detail.push_str(&format!("; level with {remote} as last pulled"));
            Check::ok(name, detail)
        }
        Ok((0, ahead)) => {
            detail.push_str(&format!(
                "; {ahead} transaction(s) here that {remote} did not have at the last pull (git auditops state push shares them)"
            ));
            Check::ok(name, detail)
        }
    }
}

/// How many commits `from` reaches that `other` does not: the local history
/// alone, no network.
fn only_in(
    ws: &Workspace,
    from: ObjectId,
    other: ObjectId,
) -> Result<usize, crate::store::StoreError> {
    let walk = ws
        .repo()
        .rev_walk([from])
        .with_hidden([other])
        .all()
        .map_err(crate::store::StoreError::git)?;
    let mut count = 0;
    for commit in walk {
        commit.map_err(crate::store::StoreError::git)?;
        count += 1;
    }
    Ok(count)
}
