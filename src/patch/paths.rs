//! Path rules for patches: which paths are safe to write at all, and which
//! are protected (never changed without a person deciding).

/// Why a path may not be written by a patch.
pub(crate) fn unsafe_reason(path: &[u8]) -> Option<String> {
    let shown = String::from_utf8_lossy(path);
    if path.is_empty() {
        return Some("an empty path".into());
    }
    if path.contains(&0) {
        return Some(format!("`{shown}` contains a NUL byte"));
    }
    if path.starts_with(b"/") {
        return Some(format!("`{shown}` is absolute"));
    }
    for component in path.split(|b| *b == b'/') {
        if component.is_empty() || component == b"." {
            return Some(format!("`{shown}` has an empty or `.` component"));
        }
        if component == b".." {
            return Some(format!("`{shown}` leaves the repository (`..`)"));
        }
        // `.git` in any case, and with the trailing dots or spaces some file
        // systems ignore, is git's own folder.
        let trimmed: &[u8] = {
            let mut c = component;
            while let [rest @ .., b'.' | b' '] = c {
                c = rest;
            }
            c
        };
        if trimmed.eq_ignore_ascii_case(b".git") {
            return Some(format!("`{shown}` writes into `.git/`"));
        }
    }
    None
}

/// Whether a symlink at `link` pointing to `target` stays inside the repository
/// (and out of `.git`).
pub(crate) fn symlink_escapes(link: &[u8], target: &[u8]) -> Option<String> {
    let shown = format!(
        "symlink `{}` -> `{}`",
        String::from_utf8_lossy(link),
        String::from_utf8_lossy(target)
    );
    if target.starts_with(b"/") {
        return Some(format!("{shown} points to an absolute path"));
    }
    let mut depth: Vec<&[u8]> = link.split(|b| *b == b'/').collect();
    depth.pop();
    for component in target.split(|b| *b == b'/') {
        match component {
            b"" | b"." => {}
            b".." => {
                if depth.pop().is_none() {
                    return Some(format!("{shown} points outside the repository"));
                }
            }
            other => depth.push(other),
        }
    }
    if depth.iter().any(|c| c.eq_ignore_ascii_case(b".git")) {
        return Some(format!("{shown} points into `.git/`"));
    }
    None
}

/// Matches `path` against a glob: `**` spans any number of folders, `*` and `?`
/// stay within one path component.
pub(crate) fn glob_matches(glob: &str, path: &str) -> bool {
    fn component(pattern: &[u8], text: &[u8]) -> bool {
        match (pattern.first(), text.first()) {
            (None, None) => true,
            (Some(b'*'), _) => {
                component(&pattern[1..], text)
                    || (!text.is_empty() && component(pattern, &text[1..]))
            }
            (Some(b'?'), Some(_)) => component(&pattern[1..], &text[1..]),
            (Some(p), Some(t)) if p == t => component(&pattern[1..], &text[1..]),
            _ => false,
        }
    }
    fn parts(globs: &[&str], names: &[&str]) -> bool {
        match (globs.first(), names.first()) {
            (None, None) => true,
            (Some(&"**"), _) => {
                parts(&globs[1..], names) || (!names.is_empty() && parts(globs, &names[1..]))
            }
            (Some(g), Some(n)) => {
                component(g.as_bytes(), n.as_bytes()) && parts(&globs[1..], &names[1..])
            }
            _ => false,
        }
    }
    let globs: Vec<&str> = glob.split('/').collect();
    let names: Vec<&str> = path.split('/').collect();
    parts(&globs, &names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths() {
        for bad in [
            &b"../x"[..],
            b"a/../../x",
            b"/etc/passwd",
            b".git/hooks/pre-commit",
            b"sub/.GIT/config",
            b".git./x",
            b"a//b",
            b"./a",
        ] {
            assert!(
                unsafe_reason(bad).is_some(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        for good in [
            &b"src/lib.rs"[..],
            b".github/x.yml",
            b"a/.gitignore",
            b"dir/..x",
        ] {
            assert!(
                unsafe_reason(good).is_none(),
                "{}",
                String::from_utf8_lossy(good)
            );
        }
    }

    #[test]
    fn symlinks() {
        assert!(symlink_escapes(b"a/link", b"../../etc").is_some());
        assert!(symlink_escapes(b"link", b"/etc/passwd").is_some());
        assert!(symlink_escapes(b"a/link", b"../.git/config").is_some());
        assert!(symlink_escapes(b"a/link", b"../b/file").is_none());
        assert!(symlink_escapes(b"a/b/link", b"../c").is_none());
    }

    #[test]
    fn globs() {
        assert!(glob_matches(
            ".github/workflows/**",
            ".github/workflows/ci.yml"
        ));
        assert!(glob_matches(
            ".github/workflows/**",
            ".github/workflows/a/b.yml"
        ));
        assert!(!glob_matches(
            ".github/workflows/**",
            ".github/dependabot.yml"
        ));
        assert!(glob_matches("**/*.pem", "server.pem"));
        assert!(glob_matches("**/*.pem", "deploy/keys/server.pem"));
        assert!(glob_matches("**/.env*", "app/.env.production"));
        assert!(glob_matches("**/id_ed25519*", "home/.ssh/id_ed25519.pub"));
        assert!(glob_matches(".auditops.toml", ".auditops.toml"));
        assert!(!glob_matches(".auditops.toml", "sub/.auditops.toml"));
        assert!(!glob_matches("*.rs", "src/lib.rs"));
        assert!(glob_matches("src/?ib.rs", "src/lib.rs"));
    }
}
