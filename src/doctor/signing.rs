//! The signing key and the trust file.

use super::{Check, CheckName, committed, shell_word};
use crate::error::chain;
use crate::sign::{KeySource, SignError, key};
use crate::workspace::Workspace;

/// The command that adds this clone's key to the trust file and commits it
/// (creating the file's folder first when it is missing).
fn trust_my_key(ws: &Workspace, allowed_signers: &str) -> String {
    let file = shell_word(allowed_signers);
    let parent = std::path::Path::new(allowed_signers)
        .parent()
        .filter(|p| !p.as_os_str().is_empty());
    let missing_dir = parent.filter(|dir| {
        ws.repo()
            .workdir()
            .is_some_and(|root| !root.join(dir).is_dir())
    });
    let mkdir = missing_dir
        .map(|dir| format!("mkdir -p {} && ", shell_word(&dir.to_string_lossy())))
        .unwrap_or_default();
    format!(
        "{mkdir}git auditops key show --signers-line >> {file} && git add {file} && git commit -m \"auditops: trust my key\""
    )
}

fn commit_it(allowed_signers: &str) -> String {
    let file = shell_word(allowed_signers);
    format!("git add {file} && git commit -m \"auditops: trusted keys\"")
}

/// The signing key: found (where, and by which setting), readable without its
/// passphrase, and trusted by the list committed at HEAD.
pub(super) fn key(ws: &Workspace) -> Check {
    let name = CheckName::Key;
    let require_signed = ws.require_signed().unwrap_or(true);
    let found = match key::find_public(ws.repo()) {
        Ok(found) => found,
        Err(SignError::NoKey { .. }) if !require_signed => {
            return Check::ok(
                name,
                "no signing key found; records are made unsigned (require_signed = false)",
            );
        }
        Err(err @ SignError::NoKey { .. }) => {
            return Check::problem(name, chain(&err), Some("git auditops key generate".into()));
        }
        Err(err) => {
            // Found, but not usable: the fix depends on which setting named it.
            let fix = match key::locate(ws.repo()) {
                Ok((_, KeySource::Environment)) => {
                    "put the whole text of an OpenSSH ed25519 private key in AUDITOPS_SIGNING_KEY, \
                     or unset it"
                }
                Ok((_, KeySource::AuditopsSigningKey)) => {
                    "point `git config auditops.signingKey` at an ed25519 private key, or \
                     `git config --unset auditops.signingKey && git auditops key generate`"
                }
                _ => {
                    "git auditops key generate --out ~/.ssh/auditops_ed25519 && \
                     git config auditops.signingKey ~/.ssh/auditops_ed25519"
                }
            };
            return Check::problem(name, chain(&err), Some(fix.into()));
        }
    };
    let public = found.public;
    let found = format!("{} (via {})", found.path.display(), found.source.describe());
    let keyid = public.keyid();
    let Ok(trust) = ws.trust() else {
        return Check::problem(
            name,
            format!("{found}; whether it is trusted is known once the trust list can be read"),
            None,
        );
    };
    match trust.principals_of(&keyid) {
        Some(principals) => Check::ok(
            name,
            format!("{found}, trusted at HEAD as {}", principals.join(", ")),
        ),
        None => {
            let allowed_signers = ws
                .config()
                .map(|c| c.allowed_signers().to_owned())
                .unwrap_or_default();
            Check::problem(
                name,
                format!(
                    "{found}, {}, is not trusted by {allowed_signers} as committed at HEAD",
                    public.fingerprint()
                ),
                Some(trust_my_key(ws, &allowed_signers)),
            )
        }
    }
}

/// The trust file: committed at HEAD (where it is read from), parseable,
/// trusting at least one key, and not edited since it was committed.
pub(super) fn trust(ws: &Workspace) -> Check {
    let name = CheckName::Trust;
    let Ok(config) = ws.config() else {
        return Check::problem(name, "not checked: the config is broken", None);
    };
    let path = config.allowed_signers();
    let in_worktree = ws
        .repo()
        .workdir()
        .and_then(|root| std::fs::read(root.join(path)).ok());
    let at_head = match committed(ws, path) {
        Ok(at_head) => at_head,
        Err(err) => return Check::problem(name, err, None),
    };
    let Some(at_head) = at_head else {
        return match in_worktree {
            Some(_) => Check::problem(
                name,
                format!(
                    "{path} is not committed: trust is read as committed at HEAD, so nobody is trusted"
                ),
                Some(commit_it(path)),
            ),
            None => Check::problem(
                name,
                format!("{path} does not exist at HEAD: nobody is trusted"),
                Some(trust_my_key(ws, path)),
            ),
        };
    };
    let trust = match ws.trust() {
        Ok(trust) => trust,
        Err(err) => {
            return Check::problem(
                name,
                chain(&err),
                Some(format!(
                    "fix the line named in {path}, then {}",
                    commit_it(path)
                )),
            );
        }
    };
    if trust.is_empty() {
        return Check::problem(
            name,
            format!(
                "{} trusts no ed25519 key for the `auditops` namespace ({} line(s) skipped)",
                trust.source, trust.skipped
            ),
            Some(trust_my_key(ws, path)),
        );
    }
    if in_worktree.is_some_and(|text| text != at_head) {
        return Check::problem(
            name,
            format!(
                "{path} has changes that are not committed: verify reads it as committed at HEAD"
            ),
            Some(commit_it(path)),
        );
    }
    Check::ok(
        name,
        format!("{}: {} key(s) trusted", trust.source, trust.len()),
    )
}
