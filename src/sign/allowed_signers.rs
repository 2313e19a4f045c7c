//! Parsing of the trust list: an `allowed_signers` file in the format of
//! ssh-keygen(1) (section ALLOWED SIGNERS).
//!
//! Trust is expressed in git's/OpenSSH's own format on purpose: a team that
//! already signs commits with `gpg.format=ssh` keeps its trusted keys in
//! `gpg.ssh.allowedSignersFile`, and can point us at that very file instead of
//! maintaining a second list that would drift from the first.
//!
//! Because the same file must mean the same thing to `ssh-keygen -Y verify` and
//! to us, the parser follows OpenSSH's rules (`sshsig.c`) rather than inventing
//! friendlier ones, and it is strict: any malformed line rejects the whole file.
//! Silently skipping a line we do not understand could drop a restriction
//! (for example a `valid-before`) that its author relied on.
//!
//! Where we deliberately differ from OpenSSH:
//! - Timestamps without a `Z`/`UTC` suffix are read as UTC, not local time
//!   (see [`AllowedSigner::valid_at`]).
//! - [`AllowedSigner::allows_namespace`] compares namespaces exactly, whereas
//!   OpenSSH treats the list as glob patterns. Exact matching never trusts more
//!   than OpenSSH would for a fixed, pattern-free namespace such as ours.
//! - Days that do not exist (`20230229`) and hours, minutes or seconds out of
//!   range are errors rather than being normalised by `mktime`.
//! - Quoting that OpenSSH would silently glue together (`"a b"c`, `al"ice`)
//!   is an error, and a leading UTF-8 BOM is ignored.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Key types OpenSSH can read from a public key line. Anything else in the key
/// position is treated as the options field, exactly as OpenSSH does.
const KEY_TYPES: &[&str] = &[
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-dss",
    "ssh-ed25519-cert-v01@openssh.com",
    "ssh-rsa-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ssh-dss-cert-v01@openssh.com",
];

const ED25519: &str = "ssh-ed25519";

/// One trusted key line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSigner {
    /// 1-based line number in the file.
    pub line: usize,
    /// Principal patterns as written (OpenSSH globs: `*`, `?`, leading `!`).
    /// Empty entries (`alice,,bob`) are dropped; they could only ever match an
    /// empty identity.
    pub principals: Vec<String>,
    pub cert_authority: bool,
    /// `None` = all namespaces. `Some(vec![])` (from `namespaces=""`) = none,
    /// which is also what OpenSSH makes of an empty list.
    pub namespaces: Option<Vec<String>>,
    /// Raw timestamp text as written, already validated by [`parse`].
    pub valid_after: Option<String>,
    pub valid_before: Option<String>,
    pub key_type: String,
    /// Decoded wire-format blob.
    pub key_blob: Vec<u8>,
}

impl AllowedSigner {
    /// The raw 32-byte ed25519 public key, when this line is a plain
    /// `ssh-ed25519` key: the blob is exactly u32-BE length + `"ssh-ed25519"` +
    /// u32-BE length 32 + 32 bytes, and its embedded type equals `key_type`.
    ///
    /// Returns `None` for `cert-authority` lines even when the key is ed25519:
    /// OpenSSH only accepts such a key as the issuer of a certificate, never as
    /// a direct signer, and handing it out here would make the obvious
    /// "compare the signing key" check trust it directly.
    #[must_use]
    pub fn ed25519_public_key(&self) -> Option<[u8; 32]> {
        if self.cert_authority || self.key_type != ED25519 {
            return None;
        }
        ed25519_from_blob(&self.key_blob)
    }

    /// Whether signatures in `namespace` may be trusted from this key: true
    /// when no `namespaces` option is present, else only on an exact match
    /// with one listed namespace (no glob patterns; see the module docs).
    #[must_use]
    pub fn allows_namespace(&self, namespace: &str) -> bool {
        match &self.namespaces {
            None => true,
            Some(list) => list.iter().any(|allowed| allowed == namespace),
        }
    }

    /// Whether the key is valid at `unix_seconds` (UTC) per `valid-after` /
    /// `valid-before`. Both bounds are inclusive, as in OpenSSH.
    ///
    /// Timestamps without a `Z` suffix are interpreted as UTC too. OpenSSH
    /// would use the verifier's local time zone, but we carry no time zone
    /// database, records carry UTC times, and a verdict that changes with the
    /// machine's `TZ` would make the audit trail non-reproducible. Write the
    /// `Z` to get identical results from ssh-keygen.
    ///
    /// A timestamp that does not parse (only possible when the struct was
    /// built by hand, since [`parse`] rejects them) makes the key invalid:
    /// failing closed is the only safe reading of a bound we cannot evaluate.
    #[must_use]
    pub fn valid_at(&self, unix_seconds: i64) -> bool {
        if let Some(after) = &self.valid_after {
            match parse_timestamp(after) {
                Ok(after) if unix_seconds >= after => {}
                _ => return false,
            }
        }
        if let Some(before) = &self.valid_before {
            match parse_timestamp(before) {
                Ok(before) if unix_seconds <= before => {}
                _ => return false,
            }
        }
        true
    }

    /// `valid-after` as unix seconds (UTC), e.g. for error messages.
    #[must_use]
    pub fn valid_after_unix(&self) -> Option<i64> {
        self.valid_after
            .as_deref()
            .and_then(|t| parse_timestamp(t).ok())
    }

    /// `valid-before` as unix seconds (UTC), e.g. for error messages.
    #[must_use]
    pub fn valid_before_unix(&self) -> Option<i64> {
        self.valid_before
            .as_deref()
            .and_then(|t| parse_timestamp(t).ok())
    }

    /// Whether `identity` is one of this line's principals, with OpenSSH's
    /// `match_pattern_list` semantics: patterns may use `*` and `?`, matching
    /// is case-sensitive, and a matching `!pattern` vetoes the line even when
    /// another pattern matches.
    #[must_use]
    pub fn matches_principal(&self, identity: &str) -> bool {
        let mut positive = false;
        for pattern in &self.principals {
            let (negated, pattern) = match pattern.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, pattern.as_str()),
            };
            if glob_match(identity, pattern) {
                if negated {
                    return false;
                }
                positive = true;
            }
        }
        positive
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// Parse the whole file. Any malformed line is an error naming its line
/// (bad base64, unknown option, unterminated quote, missing key, a blob whose
/// embedded key type disagrees with the keytype field, malformed timestamp).
///
/// # Errors
///
/// The first malformed line, as a [`ParseError`] carrying its 1-based line
/// number. Nothing is returned for the other lines: a partly understood trust
/// list is not something to act on.
pub fn parse(text: &str) -> Result<Vec<AllowedSigner>, ParseError> {
    // Editors on Windows like to prepend a BOM; it would otherwise become part
    // of the first principal and silently stop it from ever matching.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut signers = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        match parse_line(raw, line) {
            Ok(Some(signer)) => signers.push(signer),
            Ok(None) => {}
            Err(message) => return Err(ParseError { line, message }),
        }
    }
    Ok(signers)
}

/// OpenSSH splits these lines on space and tab only; `\r` is included so that
/// CRLF files (whose `\r` survives `str::lines` only in odd cases) and stray
/// carriage returns never end up inside a field.
fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r')
}

fn skip_ws(s: &str) -> &str {
    s.trim_start_matches(is_ws)
}

/// Split off the next whitespace-delimited token. Every split point is an
/// ASCII character, so slicing cannot land inside a multi-byte character.
fn next_token(s: &str) -> (&str, &str) {
    match s.find(is_ws) {
        Some(end) => (&s[..end], &s[end..]),
        None => (s, ""),
    }
}

fn is_key_type(token: &str) -> bool {
    KEY_TYPES.contains(&token)
}

fn parse_line(raw: &str, line: usize) -> Result<Option<AllowedSigner>, String> {
    let rest = skip_ws(raw);
    if rest.is_empty() || rest.starts_with('#') {
        return Ok(None);
    }

    let (principals_field, quoted, rest) = split_principals(rest)?;
    let principals: Vec<String> = principals_field
        .split(',')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    if principals.is_empty() {
        return Err("no principals".to_owned());
    }

    let rest = skip_ws(rest);
    if rest.is_empty() {
        return Err("missing key (only principals on this line)".to_owned());
    }

    // Like OpenSSH, decide whether an options field is present by whether the
    // next token is a key type; there is no other marker.
    let (token, _) = next_token(rest);
    let (options, rest) = if is_key_type(token) {
        (Options::default(), rest)
    } else {
        if !quoted && is_key_type(principals_field) {
            // The most common mistake: an authorized_keys / .pub line pasted
            // without the principals in front. Say so instead of reporting the
            // base64 as an unknown option.
            return Err(format!(
                "line starts with key type \"{principals_field}\"; \
                 expected principals before the key"
            ));
        }
        let (options_field, rest) = split_options(rest)?;
        let options = parse_options(options_field)?;
        let rest = skip_ws(rest);
        if rest.is_empty() {
            return Err("missing key after options".to_owned());
        }
        (options, rest)
    };

    let (key_type, rest) = next_token(rest);
    if !is_key_type(key_type) {
        return Err(format!("unknown key type \"{key_type}\""));
    }
    // Whatever follows the base64 is a free-form comment.
    let (encoded, _comment) = next_token(skip_ws(rest));
    if encoded.is_empty() {
        return Err(format!("missing key data after \"{key_type}\""));
    }
    let key_blob = STANDARD
        .decode(encoded)
        .map_err(|e| format!("invalid base64 key data: {e}"))?;
    check_blob(key_type, &key_blob)?;

    Ok(Some(AllowedSigner {
        line,
        principals,
        cert_authority: options.cert_authority,
        namespaces: options.namespaces,
        valid_after: options.valid_after,
        valid_before: options.valid_before,
        key_type: key_type.to_owned(),
        key_blob,
    }))
}

/// Returns (field, was it quoted, rest). Mirrors OpenSSH's `strdelimw`: a
/// leading `"` makes the field run to the next `"` with no escapes, so the
/// principals may contain spaces.
fn split_principals(s: &str) -> Result<(&str, bool, &str), String> {
    if let Some(inner) = s.strip_prefix('"') {
        let end = inner
            .find('"')
            .ok_or_else(|| "unterminated quote in principals".to_owned())?;
        let rest = &inner[end + 1..];
        // OpenSSH would glue `"a b"c` into the next field; that is almost
        // certainly a typo, so refuse it rather than guess.
        if !rest.is_empty() && !rest.starts_with(is_ws) {
            return Err("expected whitespace after quoted principals".to_owned());
        }
        Ok((&inner[..end], true, rest))
    } else {
        let (field, rest) = next_token(s);
        if field.contains('"') {
            return Err(
                "unexpected quote in principals (quote the whole field instead)".to_owned(),
            );
        }
        Ok((field, false, rest))
    }
}

/// Split off the options field, which ends at the first space or tab outside
/// double quotes (`\"` does not toggle quoting), as in OpenSSH's
/// `sshkey_advance_past_options`.
fn split_options(s: &str) -> Result<(&str, &str), String> {
    let bytes = s.as_bytes();
    let mut quoted = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if !quoted && matches!(b, b' ' | b'\t' | b'\r') {
            break;
        }
        if b == b'\\' && bytes.get(i + 1) == Some(&b'"') {
            i += 2;
            continue;
        }
        if b == b'"' {
            quoted = !quoted;
        }
        i += 1;
    }
    if quoted {
        return Err("unterminated quote in options".to_owned());
    }
    // `i` stops only on ASCII bytes or at the end, so it is a char boundary.
    Ok((&s[..i], &s[i..]))
}

#[derive(Default)]
struct Options {
    cert_authority: bool,
    namespaces: Option<Vec<String>>,
    valid_after: Option<String>,
    valid_before: Option<String>,
}

fn parse_options(field: &str) -> Result<Options, String> {
    let mut out = Options::default();
    // Parsed bounds, kept to check their order once all options are read.
    let mut after_secs = None;
    let mut before_secs = None;
    let mut rest = field;
    let mut first = true;
    loop {
        let name_end = rest.find(['=', ',']).unwrap_or(rest.len());
        let name = &rest[..name_end];
        rest = &rest[name_end..];
        if name.is_empty() {
            return Err("empty option".to_owned());
        }
        match name.to_ascii_lowercase().as_str() {
            "cert-authority" => {
                if rest.starts_with('=') {
                    return Err("option \"cert-authority\" takes no value".to_owned());
                }
                out.cert_authority = true;
            }
            lower @ ("namespaces" | "valid-after" | "valid-before") => {
                let Some(value_part) = rest.strip_prefix('=') else {
                    return Err(format!("option \"{lower}\" needs a quoted value"));
                };
                let (value, after_value) =
                    dequote(value_part).map_err(|m| format!("option \"{lower}\": {m}"))?;
                rest = after_value;
                // Duplicates are rejected (as OpenSSH does): silently keeping
                // one of two conflicting bounds would be a guess.
                let duplicate = || format!("option \"{lower}\" given more than once");
                if lower == "namespaces" {
                    if out.namespaces.is_some() {
                        return Err(duplicate());
                    }
                    out.namespaces = Some(
                        value
                            .split(',')
                            .filter(|ns| !ns.is_empty())
                            .map(str::to_owned)
                            .collect(),
                    );
                } else {
                    let secs = parse_timestamp(&value)
                        .map_err(|m| format!("invalid {lower} time \"{value}\": {m}"))?;
                    let (slot, secs_slot) = if lower == "valid-after" {
                        (&mut out.valid_after, &mut after_secs)
                    } else {
                        (&mut out.valid_before, &mut before_secs)
                    };
                    if slot.is_some() {
                        return Err(duplicate());
                    }
                    *slot = Some(value);
                    *secs_slot = Some(secs);
                }
            }
            _ => {
                // OpenSSH reads the options field only because the token was
                // not a key type, so a lone unknown word here is just as likely
                // an unsupported or misspelled key type.
                return Err(if first && rest.is_empty() {
                    format!("unknown option or key type \"{name}\"")
                } else {
                    format!("unknown option \"{name}\"")
                });
            }
        }
        first = false;
        if rest.is_empty() {
            break;
        }
        match rest.strip_prefix(',') {
            Some("") => return Err("trailing comma in options".to_owned()),
            Some(next) => rest = next,
            None => return Err(format!("unexpected text after option \"{name}\"")),
        }
    }
    if let (Some(after), Some(before)) = (after_secs, before_secs)
        && before <= after
    {
        return Err("valid-before must be later than valid-after".to_owned());
    }
    Ok(out)
}

/// Read a double-quoted option value (`\"` stands for a quote, as in OpenSSH's
/// `opt_dequote`); returns the value and what follows the closing quote.
fn dequote(s: &str) -> Result<(String, &str), String> {
    let Some(inner) = s.strip_prefix('"') else {
        return Err("value must be in double quotes".to_owned());
    };
    let mut value = String::new();
    let mut chars = inner.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &inner[i + 1..])),
            '\\' if inner[i + 1..].starts_with('"') => {
                chars.next();
                value.push('"');
            }
            _ => value.push(c),
        }
    }
    Err("unterminated quote".to_owned())
}

/// Read one SSH wire-format `string` (u32-BE length + bytes).
fn read_string(buf: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = buf.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
    if rest.len() < len {
        return None;
    }
    Some(rest.split_at(len))
}

fn ed25519_from_blob(blob: &[u8]) -> Option<[u8; 32]> {
    let (name, rest) = read_string(blob)?;
    if name != ED25519.as_bytes() {
        return None;
    }
    let (key, rest) = read_string(rest)?;
    if !rest.is_empty() {
        return None;
    }
    key.try_into().ok()
}

/// The key type field is just a label; the blob carries its own type, and a
/// line where the two disagree is corrupt (or an attempt to smuggle one key in
/// under another's name). Only ed25519 is checked in depth: it is the only type
/// we verify with, and a malformed one must not silently become "no key".
fn check_blob(key_type: &str, blob: &[u8]) -> Result<(), String> {
    let (embedded, _) =
        read_string(blob).ok_or_else(|| "key blob is too short to hold a key type".to_owned())?;
    if embedded != key_type.as_bytes() {
        return Err(format!(
            "key blob is of type \"{}\" but the line says \"{key_type}\"",
            String::from_utf8_lossy(embedded)
        ));
    }
    if key_type == ED25519 && ed25519_from_blob(blob).is_none() {
        return Err("malformed ssh-ed25519 key blob".to_owned());
    }
    Ok(())
}

/// `YYYYMMDD`, `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS`, optionally followed by `Z`
/// or `UTC` (case-insensitive, both accepted by OpenSSH), as unix seconds.
/// Always UTC; see [`AllowedSigner::valid_at`] for why.
fn parse_timestamp(text: &str) -> Result<i64, &'static str> {
    let bytes = text.as_bytes();
    let len = bytes.len();
    let digits = if len > 1 && bytes[len - 1].eq_ignore_ascii_case(&b'z') {
        &bytes[..len - 1]
    } else if len > 3 && bytes[len - 3..].eq_ignore_ascii_case(b"utc") {
        &bytes[..len - 3]
    } else {
        bytes
    };
    if !matches!(digits.len(), 8 | 12 | 14) || !digits.iter().all(u8::is_ascii_digit) {
        return Err("expected YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, optionally followed by Z");
    }
    let field = |from: usize, to: usize| -> i64 {
        digits
            .get(from..to)
            .unwrap_or_default()
            .iter()
            .fold(0, |acc, d| acc * 10 + i64::from(d - b'0'))
    };
    let (year, month, day) = (field(0, 4), field(4, 6), field(6, 8));
    let (hour, minute, second) = (field(8, 10), field(10, 12), field(12, 14));
    if !(1..=12).contains(&month) {
        return Err("month out of range");
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err("day out of range");
    }
    if hour > 23 {
        return Err("hour out of range");
    }
    if minute > 59 {
        return Err("minute out of range");
    }
    // No leap seconds: unix time has no representation for them anyway.
    if second > 59 {
        return Err("second out of range");
    }
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second)
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard
/// Hinnant's `days_from_civil`). Counting years from March puts the leap day
/// at the end of the year, which makes the day-of-year formula branch-free.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// OpenSSH's `match_pattern`: `*` matches any run, `?` any single character.
/// Iterative with single-star backtracking, so hostile patterns such as
/// `*a*a*a*a*b` cost O(n·m) rather than exponential time.
fn glob_match(text: &str, pattern: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    let (mut t, mut p) = (0, 0);
    // Position of the last `*` seen and the text position it currently covers.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real keys from `ssh-keygen -t ed25519|rsa|ecdsa -N ''`.
    const K1: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIAuW8BgDd/1FFL5EfQwAY1UMKN2OIuGILobkcHPJeAoA";
    const K1_RAW: [u8; 32] = [
        11, 150, 240, 24, 3, 119, 253, 69, 20, 190, 68, 125, 12, 0, 99, 85, 12, 40, 221, 142, 34,
        225, 136, 46, 134, 228, 112, 115, 201, 120, 10, 0,
    ];
    const K2: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIC1e0o7/3iMaqNea9mCJ5PBDgyARyaCI5LUwi8KK9VJ6";
    const RSA: &str = "AAAAB3NzaC1yc2EAAAADAQABAAABAQC5m8icrwVxlaRaROGMv6LeBnVj8itJPHkW/HC+vvVjx03V+WFI5h/W2OY678DuYzUgFh0bpy3WTeoNGpnQOOtm40wmbC+ncF0XAYG7qmEp7cuPu1NALakfRUmqsDdkLWS/VmNkw8WOqBcXPJKWk9OaSsjQ6avhmBwtxAThie50dx865YmKZ/WuBTz4ouXKOxQTATlEXsVRG4XkpCaZOXGmWoscu/DkCnIYxsh5L4sXmsW3Pgn9aUwEXr27EGURr42zJq9BXAzMSWEypHis9lP9sCH55rVsJarc7gEly1ZmSr1crHS8uBFCquNK+BMWxpOzrxml+RxBL02ohQxwCQOH";
    const ECDSA: &str = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBC45NUm0p7GN/smCugLBLPd4J9QdEo9CboLHwBwpnoYWud30cwGBXVITwnim8LljmnUznPdjVaDfjRhu/Hnkc6E=";

    fn one(text: &str) -> AllowedSigner {
        let mut signers = parse(text).expect("should parse");
        assert_eq!(signers.len(), 1, "{signers:?}");
        signers.remove(0)
    }

    fn err_at(text: &str, line: usize, needle: &str) {
        let err = parse(text).expect_err("should fail");
        assert_eq!(err.line, line, "{err}");
        assert!(err.message.contains(needle), "expected {needle:?} in {err}");
        assert!(err.to_string().starts_with(&format!("line {line}: ")));
    }

    fn wire_string(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend_from_slice(&u32::try_from(bytes.len()).unwrap().to_be_bytes());
        out.extend_from_slice(bytes);
    }

    #[test]
    fn parses_a_git_style_file() {
        let text = format!(
            "# allowed signers for the project\n\
             \n\
             alice@example.com ssh-ed25519 {K1} alice@laptop\n\
             \x20\x20  # indented comment\n\
             bob@example.com,bob@* namespaces=\"git,file\" ssh-ed25519 {K2}\n\
             carol@example.com ssh-rsa {RSA} carol\n\
             dave@example.com ecdsa-sha2-nistp256 {ECDSA}\n"
        );
        let signers = parse(&text).unwrap();
        assert_eq!(signers.len(), 4);

        let alice = &signers[0];
        assert_eq!(alice.line, 3);
        assert_eq!(alice.principals, ["alice@example.com"]);
        assert!(!alice.cert_authority);
        assert_eq!(alice.namespaces, None);
        assert_eq!(alice.key_type, "ssh-ed25519");
        assert_eq!(alice.key_blob.len(), 51);
        assert_eq!(alice.ed25519_public_key(), Some(K1_RAW));

        let bob = &signers[1];
        assert_eq!(bob.line, 5);
        assert_eq!(bob.principals, ["bob@example.com", "bob@*"]);
        assert_eq!(
            bob.namespaces,
            Some(vec!["git".to_owned(), "file".to_owned()])
        );
        assert!(bob.ed25519_public_key().is_some());
        assert_ne!(bob.ed25519_public_key(), alice.ed25519_public_key());

        let carol = &signers[2];
        assert_eq!((carol.line, carol.key_type.as_str()), (6, "ssh-rsa"));
        assert_eq!(carol.ed25519_public_key(), None);

        let dave = &signers[3];
        assert_eq!(dave.key_type, "ecdsa-sha2-nistp256");
        assert_eq!(dave.ed25519_public_key(), None);
    }

    #[test]
    fn empty_and_comment_only_files() {
        assert_eq!(parse("").unwrap(), []);
        assert_eq!(parse("\n\n   \n\t\n# x\n  #y\r\n").unwrap(), []);
    }

    #[test]
    fn crlf_tabs_trailing_space_and_bom() {
        let text = format!(
            "\u{feff}# c\r\n\talice@example.com\t\tssh-ed25519\t{K1}\t \r\nbob ssh-ed25519 {K2}   \r\n"
        );
        let signers = parse(&text).unwrap();
        assert_eq!(signers.len(), 2);
        assert_eq!(signers[0].line, 2);
        assert_eq!(signers[0].principals, ["alice@example.com"]);
        assert_eq!(signers[0].ed25519_public_key(), Some(K1_RAW));
        assert_eq!(signers[1].line, 3);
        assert_eq!(signers[1].principals, ["bob"]);
    }

    #[test]
    fn error_line_numbers_count_crlf_lines() {
        err_at(
            &format!("# a\r\n\r\nalice ssh-ed25519 {K1}\r\nbad\r\n"),
            4,
            "missing key",
        );
    }

    #[test]
    fn quoted_principals_may_contain_spaces() {
        let s = one(&format!(
            "\"Alice Example <alice@example.com>,alice@*\" ssh-ed25519 {K1}"
        ));
        assert_eq!(
            s.principals,
            ["Alice Example <alice@example.com>", "alice@*"]
        );
        let s = one(&format!("\"alice\"\tnamespaces=\"git\" ssh-ed25519 {K1}"));
        assert_eq!(s.principals, ["alice"]);
        assert_eq!(s.namespaces, Some(vec!["git".to_owned()]));
    }

    #[test]
    fn empty_principal_entries_are_dropped() {
        let s = one(&format!("alice,,bob, ssh-ed25519 {K1}"));
        assert_eq!(s.principals, ["alice", "bob"]);
        err_at(&format!("\"\" ssh-ed25519 {K1}"), 1, "no principals");
        err_at(&format!(", ssh-ed25519 {K1}"), 1, "no principals");
    }

    #[test]
    fn options_with_quoted_commas_and_spaces() {
        let s = one(&format!(
            "alice Cert-Authority,NAMESPACES=\"git, audit,file\",valid-after=\"20240101\",\
             valid-before=\"202412312359Z\" ssh-ed25519 {K1} comment with \"quotes\""
        ));
        assert!(s.cert_authority);
        assert_eq!(
            s.namespaces,
            Some(vec![
                "git".to_owned(),
                " audit".to_owned(),
                "file".to_owned()
            ])
        );
        assert_eq!(s.valid_after.as_deref(), Some("20240101"));
        assert_eq!(s.valid_before.as_deref(), Some("202412312359Z"));
        assert_eq!(s.valid_after_unix(), Some(1_704_067_200));
        assert_eq!(s.valid_before_unix(), Some(1_735_689_540));
    }

    #[test]
    fn option_value_with_escaped_quote() {
        let s = one(&format!("alice namespaces=\"a\\\"b,c d\" ssh-ed25519 {K1}"));
        assert_eq!(
            s.namespaces,
            Some(vec!["a\"b".to_owned(), "c d".to_owned()])
        );
    }

    #[test]
    fn empty_namespaces_allows_nothing() {
        let s = one(&format!("alice namespaces=\"\" ssh-ed25519 {K1}"));
        assert_eq!(s.namespaces, Some(vec![]));
        assert!(!s.allows_namespace("git"));
        assert!(!s.allows_namespace(""));
    }

    #[test]
    fn allows_namespace_is_exact() {
        let any = one(&format!("alice ssh-ed25519 {K1}"));
        assert!(any.allows_namespace("git-auditops"));
        assert!(any.allows_namespace("git"));

        let some = one(&format!(
            "alice namespaces=\"git,git-auditops\" ssh-ed25519 {K1}"
        ));
        assert!(some.allows_namespace("git"));
        assert!(some.allows_namespace("git-auditops"));
        assert!(!some.allows_namespace("file"));
        assert!(!some.allows_namespace("GIT"));
        assert!(!some.allows_namespace("git-audit"));

        let glob = one(&format!("alice namespaces=\"git*\" ssh-ed25519 {K1}"));
        assert!(!glob.allows_namespace("git-auditops"));
        assert!(glob.allows_namespace("git*"));
    }

    #[test]
    fn valid_at_boundaries_are_inclusive() {
        // 2024-01-01T00:00:00Z = 1704067200, 2024-01-02T00:00:00Z = 1704153600.
        let s = one(&format!(
            "alice valid-after=\"20240101Z\",valid-before=\"20240102000000\" ssh-ed25519 {K1}"
        ));
        assert!(!s.valid_at(1_704_067_199));
        assert!(s.valid_at(1_704_067_200));
        assert!(s.valid_at(1_704_100_000));
        assert!(s.valid_at(1_704_153_600));
        assert!(!s.valid_at(1_704_153_601));

        let open = one(&format!("alice ssh-ed25519 {K1}"));
        assert!(open.valid_at(i64::MIN));
        assert!(open.valid_at(i64::MAX));

        let after_only = one(&format!(
            "alice valid-after=\"202402291230utc\" ssh-ed25519 {K1}"
        ));
        assert!(!after_only.valid_at(1_709_209_799));
        assert!(after_only.valid_at(1_709_209_800));
        assert!(after_only.valid_at(i64::MAX));

        let before_only = one(&format!(
            "alice valid-before=\"19700101000001z\" ssh-ed25519 {K1}"
        ));
        assert!(before_only.valid_at(-5));
        assert!(before_only.valid_at(1));
        assert!(!before_only.valid_at(2));
    }

    #[test]
    fn valid_at_fails_closed_on_unparseable_bounds() {
        let mut s = one(&format!("alice ssh-ed25519 {K1}"));
        s.valid_after = Some("yesterday".to_owned());
        assert!(!s.valid_at(1_704_067_200));
        s.valid_after = None;
        s.valid_before = Some("20241301".to_owned());
        assert!(!s.valid_at(0));
    }

    #[test]
    fn civil_date_conversion() {
        let cases = [
            ("19700101", 0),
            ("20000301", 951_868_800),
            ("202402291230", 1_709_209_800),
            ("99991231235959Z", 253_402_300_799),
            ("00010101", -62_135_596_800),
            ("19000301", -2_203_891_200),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_timestamp(text), Ok(expected), "{text}");
        }
        for bad in [
            "",
            "Z",
            "2024010",
            "202401011",
            "2024-01-01",
            "20240101T",
            "20241301",
            "20240001",
            "20240230",
            "20230229",
            "19000229",
            "20240100",
            "202401012400",
            "202401012360",
            "20240101235960",
            "20240101ZZ",
            "٢٠٢٤٠١٠١",
            "2024010é",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(parse_timestamp("20000229").is_ok());
        assert!(parse_timestamp("20240229").is_ok());
    }

    #[test]
    fn cert_authority_key_is_not_a_direct_signer() {
        let ca = one(&format!("*@example.com cert-authority ssh-ed25519 {K1}"));
        assert!(ca.cert_authority);
        assert_eq!(ca.ed25519_public_key(), None);
    }

    #[test]
    fn other_valid_key_types_parse() {
        let mut sk = Vec::new();
        wire_string(&mut sk, b"sk-ssh-ed25519@openssh.com");
        wire_string(&mut sk, &[7; 32]);
        wire_string(&mut sk, b"ssh:");
        let s = one(&format!(
            "alice sk-ssh-ed25519@openssh.com {}",
            STANDARD.encode(&sk)
        ));
        assert_eq!(s.key_type, "sk-ssh-ed25519@openssh.com");
        assert_eq!(s.ed25519_public_key(), None);

        let mut cert = Vec::new();
        wire_string(&mut cert, b"ssh-ed25519-cert-v01@openssh.com");
        wire_string(&mut cert, &[1; 32]);
        let s = one(&format!(
            "alice ssh-ed25519-cert-v01@openssh.com {}",
            STANDARD.encode(&cert)
        ));
        assert_eq!(s.ed25519_public_key(), None);
    }

    #[test]
    fn hand_built_blob_mismatch_is_not_ed25519() {
        let mut s = one(&format!("alice ssh-ed25519 {K1}"));
        s.key_type = "ssh-rsa".to_owned();
        assert_eq!(s.ed25519_public_key(), None);
        s.key_type = "ssh-ed25519".to_owned();
        s.key_blob.push(0);
        assert_eq!(s.ed25519_public_key(), None);
    }

    #[test]
    fn matches_principal_follows_openssh_patterns() {
        let s = one(&format!(
            "alice@example.com,*@ops.example.com,!mallory@ops.example.com,b?b ssh-ed25519 {K1}"
        ));
        assert!(s.matches_principal("alice@example.com"));
        assert!(!s.matches_principal("Alice@example.com"));
        assert!(s.matches_principal("eve@ops.example.com"));
        assert!(!s.matches_principal("mallory@ops.example.com"));
        assert!(s.matches_principal("bob"));
        assert!(!s.matches_principal("boob"));
        assert!(!s.matches_principal("alice@example.com.evil"));
        assert!(!s.matches_principal(""));

        assert!(glob_match("", "*"));
        assert!(glob_match("abc", "a*c"));
        assert!(glob_match("aXbYc", "a*b*c"));
        assert!(!glob_match("aXbY", "a*b*c"));
        assert!(glob_match("ä", "?"));
        let long = "a".repeat(5_000);
        assert!(!glob_match(&long, "*a*a*a*a*a*a*a*a*b"));
    }

    #[test]
    fn error_bad_base64() {
        err_at(
            &format!("alice ssh-ed25519 {K1}\nbob ssh-ed25519 AAAA!!!!\n"),
            2,
            "invalid base64",
        );
        // Missing padding is not accepted: ssh-keygen always writes it.
        err_at(
            &format!(
                "\nalice ecdsa-sha2-nistp256 {}",
                ECDSA.trim_end_matches('=')
            ),
            2,
            "invalid base64",
        );
    }

    #[test]
    fn error_unknown_option() {
        err_at(
            &format!("# c\nalice no-touch-required ssh-ed25519 {K1}"),
            2,
            "unknown option",
        );
        err_at(
            &format!("alice cert-authority,permit-pty ssh-ed25519 {K1}"),
            1,
            "unknown option \"permit-pty\"",
        );
        err_at(
            &format!("alice cert-authority=\"yes\" ssh-ed25519 {K1}"),
            1,
            "takes no value",
        );
        err_at(
            &format!("alice namespaces=git ssh-ed25519 {K1}"),
            1,
            "double quotes",
        );
        err_at(
            &format!("alice namespaces ssh-ed25519 {K1}"),
            1,
            "needs a quoted value",
        );
        err_at(
            &format!("alice namespaces=\"a\"x ssh-ed25519 {K1}"),
            1,
            "unexpected text",
        );
        err_at(
            &format!("alice cert-authority, ssh-ed25519 {K1}"),
            1,
            "trailing comma",
        );
        err_at(
            &format!("alice ,cert-authority ssh-ed25519 {K1}"),
            1,
            "empty option",
        );
        err_at(
            &format!("alice namespaces=\"a\",namespaces=\"b\" ssh-ed25519 {K1}"),
            1,
            "more than once",
        );
    }

    #[test]
    fn error_unterminated_quote() {
        err_at(
            &format!("\n\n\"alice ssh-ed25519 {K1}"),
            3,
            "unterminated quote",
        );
        err_at(
            &format!("alice namespaces=\"git ssh-ed25519 {K1}"),
            1,
            "unterminated quote",
        );
        err_at(&format!("al\"ice ssh-ed25519 {K1}"), 1, "unexpected quote");
        err_at(&format!("\"alice\"x ssh-ed25519 {K1}"), 1, "whitespace");
    }

    #[test]
    fn error_missing_key() {
        err_at("alice@example.com", 1, "missing key");
        err_at("alice@example.com   \t", 1, "missing key");
        err_at("x ssh-ed25519 ", 1, "missing key");
        err_at("\"alice bob\"", 1, "missing key");
        err_at(
            &format!("a ssh-ed25519 {K1}\nalice namespaces=\"git\"\n"),
            2,
            "missing key",
        );
        err_at("alice ssh-ed25519", 1, "missing key data");
        err_at("alice cert-authority ssh-rsa\t", 1, "missing key data");
    }

    #[test]
    fn error_unknown_key_type() {
        err_at(
            &format!("alice ssh-ed448 {K1}"),
            1,
            "unknown option or key type \"ssh-ed448\"",
        );
        err_at(
            &format!("alice cert-authority SSH-ED25519 {K1}"),
            1,
            "unknown key type",
        );
        // An authorized_keys / .pub line pasted without principals.
        err_at(
            &format!("# c\nssh-ed25519 {K1} alice@laptop"),
            2,
            "expected principals",
        );
    }

    #[test]
    fn error_blob_type_mismatch() {
        err_at(
            &format!("alice ssh-ed25519 {K1}\n\nbob ssh-rsa {K2}"),
            3,
            "\"ssh-ed25519\" but the line says \"ssh-rsa\"",
        );
        err_at(&format!("alice ssh-ed25519 {RSA}"), 1, "but the line says");
        err_at(
            &format!("alice ssh-ed25519 {}", STANDARD.encode([0, 0, 0, 11, b's'])),
            1,
            "too short",
        );
        err_at(
            &format!("alice ssh-ed25519 {}", STANDARD.encode([0xff; 8])),
            1,
            "too short",
        );
    }

    #[test]
    fn error_malformed_ed25519_blob() {
        let mut short = Vec::new();
        wire_string(&mut short, b"ssh-ed25519");
        wire_string(&mut short, &[1; 31]);
        err_at(
            &format!("alice ssh-ed25519 {}", STANDARD.encode(&short)),
            1,
            "malformed ssh-ed25519",
        );
        let mut trailing = Vec::new();
        wire_string(&mut trailing, b"ssh-ed25519");
        wire_string(&mut trailing, &[1; 32]);
        trailing.push(0);
        err_at(
            &format!("alice ssh-ed25519 {}", STANDARD.encode(&trailing)),
            1,
            "malformed ssh-ed25519",
        );
    }

    #[test]
    fn error_malformed_timestamp() {
        err_at(
            &format!("a ssh-ed25519 {K1}\nalice valid-after=\"20241301\" ssh-ed25519 {K1}"),
            2,
            "month out of range",
        );
        err_at(
            &format!("alice valid-before=\"20230229Z\" ssh-ed25519 {K1}"),
            1,
            "day out of range",
        );
        err_at(
            &format!("alice valid-before=\"2024-01-01\" ssh-ed25519 {K1}"),
            1,
            "invalid valid-before time",
        );
        err_at(
            &format!("alice valid-after=\"202401012460\" ssh-ed25519 {K1}"),
            1,
            "hour out of range",
        );
        err_at(
            &format!("alice valid-after=\"20240102\",valid-before=\"20240102\" ssh-ed25519 {K1}"),
            1,
            "later than valid-after",
        );
        err_at(
            &format!("alice valid-after=\"20240101\",valid-after=\"20240102\" ssh-ed25519 {K1}"),
            1,
            "more than once",
        );
    }

    /// Cheap in-file fuzzing: every prefix of a busy line, and every position
    /// overwritten with an awkward character, must parse or fail, never panic.
    #[test]
    fn never_panics_on_mangled_lines() {
        let line = format!(
            "\"a b\",c namespaces=\"x\\\"y,z\",valid-after=\"20240101Z\",cert-authority \
             ssh-ed25519 {K1} cömment\r\n# ünïcode\n"
        );
        let awkward = [
            '"', '\\', ',', '=', ' ', '\t', '\r', '\n', '#', 'é', '\u{feff}', 'A',
        ];
        for (i, _) in line.char_indices() {
            let _ = parse(&line[..i]);
            let _ = parse(&line[i..]);
            for c in awkward {
                let mut mangled = line[..i].to_owned();
                mangled.push(c);
                mangled.push_str(&line[i..]);
                let _ = parse(&mangled);
                let mut replaced = line[..i].to_owned();
                replaced.push(c);
                replaced.extend(line[i..].chars().skip(1));
                let _ = parse(&replaced);
            }
        }
    }
}
