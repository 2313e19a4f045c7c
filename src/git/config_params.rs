//! `git -c KEY=VALUE` as git hands it to the commands it runs: the
//! `GIT_CONFIG_PARAMETERS` environment variable. gix reads every configuration
//! file (system, `GIT_CONFIG_GLOBAL`, the repository's, their includes) and
//! `GIT_CONFIG_COUNT`/`_KEY_n`/`_VALUE_n`, but not this variable, so without this
//! module `git -c auditops.signingKey=K auditops …` would sign with another key.
//!
//! The format is git's (`config.c`, `parse_config_env_list`): items separated by
//! whitespace, each either `'key'='value'` (git ≥ 2.31), `'key'` (an implicit
//! `true`) or the older `'key=value'`, quoted as a shell would single-quote them:
//! a `'` inside is written `'\''` and a `!` may be written `'\!'`.

use gix::bstr::{BString, ByteSlice};

/// The variable git sets for `git -c`.
const VARIABLE: &str = "GIT_CONFIG_PARAMETERS";

/// Why `GIT_CONFIG_PARAMETERS` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigParamsError {
    /// Not in git's quoting format.
    #[error(
        "GIT_CONFIG_PARAMETERS is not in git's format ({reason} at byte {at}): it holds `git -c` settings; unset it or pass the settings with `git -c KEY=VALUE`"
    )]
    Format {
        /// What was wrong.
        reason: &'static str,
        /// Where, counted from 0.
        at: usize,
    },
    /// An item whose key git would not accept.
    #[error(
        "GIT_CONFIG_PARAMETERS sets `{key}`, which is not a configuration key (keys look like section.name or section.subsection.name)"
    )]
    Key {
        /// The key as given.
        key: String,
    },
    /// An `include.path` it sets could not be read.
    #[error("GIT_CONFIG_PARAMETERS includes a configuration file that could not be read")]
    Include(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// gix refused to merge the settings into the configuration.
    #[error("the `git -c` settings could not be added to the configuration")]
    Apply(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// One `git -c` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parameter {
    /// `section.name` or `section.subsection.name`, as given.
    pub key: BString,
    /// The value, verbatim; `None` for a bare key, which git reads as `true`.
    pub value: Option<BString>,
}

/// Applies the `git -c` settings in the environment to `repo`'s configuration,
/// after (so above) every other source, as git does. Nothing happens, and nothing
/// is copied, when the variable is unset.
pub(crate) fn apply_from_env(repo: &mut gix::Repository) -> Result<(), ConfigParamsError> {
    let Some(raw) = std::env::var_os(VARIABLE) else {
        return Ok(());
    };
    let params = parse(raw.as_encoded_bytes())?;
    if params.is_empty() {
        return Ok(());
    }
    let mut file = cli_file();
    for param in &params {
        push(&mut file, param)?;
    }
    // `git -c include.path=FILE` includes FILE, as in a configuration file.
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    file.resolve_includes(gix::config::file::init::Options {
        includes: gix::config::file::includes::Options::follow_without_conditional(home.as_deref()),
        ..Default::default()
    })
    .map_err(|err| ConfigParamsError::Include(Box::new(err)))?;
    let mut config = repo.config_snapshot_mut();
    config
        .append(file)
        .map_err(|err| ConfigParamsError::Apply(Box::new(err)))?;
    config
        .commit()
        .map_err(|err| ConfigParamsError::Apply(Box::new(err)))?;
    Ok(())
}

/// An empty configuration marked as coming from the command line.
fn cli_file() -> gix::config::File {
    gix::config::File::new(gix::config::file::Metadata::from(gix::config::Source::Cli))
}

/// Adds `param` to `file`, refusing a key git would refuse.
fn push(file: &mut gix::config::File, param: &Parameter) -> Result<(), ConfigParamsError> {
    let bad_key = || ConfigParamsError::Key {
        key: param.key.to_str_lossy().into_owned(),
    };
    let key = gix::config::KeyRef::parse_unvalidated(param.key.as_bstr())
        .filter(|key| !key.section_name.is_empty() && !key.value_name.is_empty())
        .ok_or_else(bad_key)?;
    let value = param.value.as_ref().map(|v| v.as_bstr());
    file.section_mut_or_create_new(key.section_name, key.subsection_name)
        .map_err(|_| bad_key())?
        .push(key.value_name, value)
        .map_err(|_| bad_key())?;
    Ok(())
}

/// Parses the variable's value exactly as git does.
pub(crate) fn parse(input: &[u8]) -> Result<Vec<Parameter>, ConfigParamsError> {
    let bogus = |reason, at| ConfigParamsError::Format { reason, at };
    let mut params = Vec::new();
    let mut at = skip_space(input, 0);
    while at < input.len() {
        let (key, next) = dequote(input, at).ok_or_else(|| bogus("not a quoted item", at))?;
        let next = match next {
            // Old style: 'key=value', or 'key' alone.
            None => {
                params.push(old_style(key, at)?);
                None
            }
            Some(n) if input[n].is_ascii_whitespace() => {
                params.push(old_style(key, at)?);
                Some(n)
            }
            // New style: 'key'='value', or 'key'= (an implicit true).
            Some(n) if input[n] == b'=' => {
                let start = n + 1;
                let (value, next) = match input.get(start) {
                    Some(b'\'') => {
                        let (value, next) = dequote(input, start)
                            .ok_or_else(|| bogus("an unterminated value", start))?;
                        if let Some(n) = next.filter(|&n| !input[n].is_ascii_whitespace()) {
                            return Err(bogus("text after a quoted value", n));
                        }
                        (Some(value), next)
                    }
                    None => (None, None),
                    Some(c) if c.is_ascii_whitespace() => (None, Some(start)),
                    Some(_) => return Err(bogus("an unquoted value", start)),
                };
                params.push(checked(key, value, at)?);
                next
            }
            Some(n) => return Err(bogus("text after a quoted key", n)),
        };
        at = skip_space(input, next.unwrap_or(input.len()));
    }
    Ok(params)
}

/// `'key=value'`: the key is what comes before the first `=`, trimmed; the value
/// is the rest, verbatim (empty after a trailing `=`, absent without one).
fn old_style(item: BString, at: usize) -> Result<Parameter, ConfigParamsError> {
    let (key, value) = match item.find_byte(b'=') {
        Some(eq) => (item[..eq].trim(), Some(BString::from(&item[eq + 1..]))),
        None => (item.trim(), None),
    };
    checked(BString::from(key), value, at)
}

/// Refuses an empty key, as git does.
fn checked(
    key: BString,
    value: Option<BString>,
    at: usize,
) -> Result<Parameter, ConfigParamsError> {
    match key.is_empty() {
        true => Err(ConfigParamsError::Format {
            reason: "an empty key",
            at,
        }),
        false => Ok(Parameter { key, value }),
    }
}

fn skip_space(input: &[u8], mut at: usize) -> usize {
    while input.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// git's `sq_dequote_step`: the single-quoted word starting at `at`, and where
/// the text after it starts (`None` at the end of the input). `None` when there
/// is no quoted word there or it is not terminated.
fn dequote(input: &[u8], at: usize) -> Option<(BString, Option<usize>)> {
    if input.get(at) != Some(&b'\'') {
        return None;
    }
    let mut out = Vec::new();
    let mut i = at + 1;
    loop {
        let c = *input.get(i)?;
        if c != b'\'' {
            out.push(c);
            i += 1;
            continue;
        }
        // Out of the quotes: `\'` or `\!` and a new quote continue the word.
        let after = i + 1;
        match input.get(after) {
            None => return Some((out.into(), None)),
            Some(b'\\')
                if matches!(input.get(after + 1), Some(b'\'' | b'!'))
                    && input.get(after + 2) == Some(&b'\'') =>
            {
                out.push(input[after + 1]);
                i = after + 3;
            }
            Some(_) => return Some((out.into(), Some(after))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> Vec<(String, Option<String>)> {
        parse(input.as_bytes())
            .unwrap_or_else(|err| panic!("{input}: {err}"))
            .iter()
            .map(|p| (p.key.to_string(), p.value.as_ref().map(|v| v.to_string())))
            .collect()
    }

    fn pair(key: &str, value: Option<&str>) -> (String, Option<String>) {
        (key.to_owned(), value.map(str::to_owned))
    }

    /// What `git -c` writes (git's `sq_quote_buf`).
    fn git_quote(text: &str) -> String {
        format!("'{}'", text.replace('\'', "'\\''").replace('!', "'\\!'"))
    }

    #[test]
    fn new_style_items_with_quotes_and_spaces() {
        let value = "/home/a b/it's here!/key";
        let input = format!(
            "{}={} {}={}",
            git_quote("auditops.signingKey"),
            git_quote(value),
            git_quote("user.name"),
            git_quote("  Ann  O'Neil ")
        );
        assert_eq!(
            ok(&input),
            [
                pair("auditops.signingKey", Some(value)),
                pair("user.name", Some("  Ann  O'Neil "))
            ]
        );
    }

    #[test]
    fn what_git_writes() {
        // git 2.47 for: -c "a.b=x y'!z" -c c.d -c e.f=
        assert_eq!(
            ok(r#"'a.b'='x y'\'''\!'z' 'c.d'= 'e.f'=''"#),
            [
                pair("a.b", Some("x y'!z")),
                pair("c.d", None),
                pair("e.f", Some(""))
            ]
        );
    }

    #[test]
    fn empty_values_and_implicit_true() {
        assert_eq!(ok("'a.b'=''"), [pair("a.b", Some(""))]);
        assert_eq!(ok("'a.b'="), [pair("a.b", None)]);
        assert_eq!(ok("'a.b'= 'c.d'"), [pair("a.b", None), pair("c.d", None)]);
        assert_eq!(ok("'a.b'"), [pair("a.b", None)]);
    }

    #[test]
    fn old_style_items_split_at_the_first_equals_sign() {
        assert_eq!(
            ok("'user.signingKey=/k=1' 'core.bare' ' x.y =v '"),
            [
                pair("user.signingKey", Some("/k=1")),
                pair("core.bare", None),
                pair("x.y", Some("v ")),
            ]
        );
        assert_eq!(ok("'a.b='"), [pair("a.b", Some(""))]);
    }

    #[test]
    fn subsections_keep_dots_and_case() {
        assert_eq!(
            ok("'url.https://Example.com/.insteadOf'='gh:'"),
            [pair("url.https://Example.com/.insteadOf", Some("gh:"))]
        );
    }

    #[test]
    fn whitespace_around_items_is_ignored() {
        assert_eq!(ok(""), []);
        assert_eq!(ok("  \t"), []);
        assert_eq!(
            ok(" 'a.b'='1'\t\n'c.d'='2' "),
            [pair("a.b", Some("1")), pair("c.d", Some("2"))]
        );
    }

    #[test]
    fn malformed_input_is_refused_with_its_position() {
        for (input, at) in [
            ("a.b=c", 0),
            ("'a.b", 0),
            ("'a.b'='c", 6),
            ("'a.b'=c", 6),
            ("'a.b'='c'd", 9),
            ("'a.b'x", 5),
            ("'a.b'='1''c.d'", 9),
            ("''='x'", 0),
            ("'=x'", 0),
        ] {
            match parse(input.as_bytes()) {
                Err(ConfigParamsError::Format { at: got, .. }) => {
                    assert_eq!(got, at, "{input}")
                }
                other => panic!("{input}: {other:?}"),
            }
        }
    }

    #[test]
    fn values_reach_the_configuration_verbatim() {
        let value = "  /a b/'q' ; # \"x\"\\ ";
        let params =
            parse(format!("'a.b'={} 'C.Sub.Name'", git_quote(value)).as_bytes()).expect("parse");
        let mut file = cli_file();
        for param in &params {
            push(&mut file, param).expect("push");
        }
        assert_eq!(file.string("a.b").expect("a.b").to_string(), value);
        assert_eq!(file.boolean("c.Sub.name").ok().flatten(), Some(true));
    }

    #[test]
    fn keys_without_a_section_or_name_are_refused() {
        for key in ["nodot", ".name", "section."] {
            let param = Parameter {
                key: key.into(),
                value: None,
            };
            assert!(
                matches!(
                    push(&mut cli_file(), &param),
                    Err(ConfigParamsError::Key { .. })
                ),
                "{key}"
            );
        }
    }
}
