//! Who the state commits are by: git's configured identity, or a fallback.

use gix::actor::Signature;

const FALLBACK_NAME: &str = "git-auditops";
const FALLBACK_EMAIL: &str = "auditops@localhost";

/// git's precedence: `GIT_COMMITTER_*`, then `committer.*`, then `user.*`.
fn lookup(repo: &gix::Repository, env: &str, keys: [&str; 2]) -> Option<String> {
    std::env::var(env)
        .ok()
        .or_else(|| {
            let config = repo.config_snapshot();
            keys.iter()
                .find_map(|key| config.string(*key).map(|v| v.to_string()))
        })
        .filter(|v| !v.trim().is_empty())
}

/// The committer git would use, else a fixed fallback so that a machine without
/// `user.name` can still record state.
///
/// Read from config directly rather than through `Repository::committer`, which
/// resolves the local time zone by reading the whole zone database: a measurable
/// part of a short command. Transaction times are UTC.
pub fn signature(repo: &gix::Repository) -> Signature {
    let name = lookup(repo, "GIT_COMMITTER_NAME", ["committer.name", "user.name"]);
    let email = lookup(
        repo,
        "GIT_COMMITTER_EMAIL",
        ["committer.email", "user.email"],
    );
    let (name, email) = match (name, email) {
        (Some(name), Some(email)) => (name, email),
        _ => (FALLBACK_NAME.to_owned(), FALLBACK_EMAIL.to_owned()),
    };
    Signature {
        name: name.into(),
        email: email.into(),
        time: gix::date::Time::now_utc(),
    }
}
