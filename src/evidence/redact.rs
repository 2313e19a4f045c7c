//! Redaction of probable secrets in evidence snippets.
//!
//! Evidence records copy lines of source into a signed, append-only ref that is
//! pushed and shared. A secret that lands there cannot be withdrawn without
//! rewriting history that others have already verified, so every
//! `code_snippet` goes through [`redact`] before it is stored. The caller
//! computes the sha256 of the evidence *before* redaction, so anyone holding the
//! original file can still verify the record even though the stored snippet
//! differs from it.
//!
//! Missing a secret is worse than over-redacting, but a snippet in which
//! ordinary code is blanked out is useless as evidence. Each rule below
//! documents where it draws that line.
//!
//! The whole `evidence add` call has a budget of about 3 ms, process start
//! included, so nothing here has a set-up cost: no regex is compiled (even a
//! small `regex::Regex` takes about 0.15 ms to build, and an alternation of the
//! token formats about 0.5 ms). Every rule is a linear byte scan with cheap
//! first-byte dispatch; a 1000-character snippet takes a few microseconds.
//!
//! All rules report byte spans. Overlapping spans are merged before the text is
//! rewritten, so no fragment of a secret survives between two markers. Every
//! rule declines to fire on text that is already a `[REDACTED:…]` marker, and
//! the one rule that reads context (assignments) reads the other rules'
//! findings as the markers they will become; together that keeps `redact`
//! idempotent.

use std::borrow::Cow;

const MARKER_OPEN: &str = "[REDACTED:";

/// What a redaction removed; the slug is what readers see in the marker.
///
/// Declaration order is the label priority when detections overlap: the most
/// specific description of what was removed wins (a GitHub token that is also
/// the value of `GITHUB_TOKEN=` is reported as `github-token`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    PrivateKey,
    GithubToken,
    GitlabToken,
    NpmToken,
    GoogleApiKey,
    AwsAccessKeyId,
    SlackToken,
    SlackWebhook,
    Jwt,
    AwsSecretKey,
    BearerToken,
    UrlCredentials,
    Base64Blob,
    Assignment,
}

impl Kind {
    fn slug(self) -> &'static str {
        match self {
            Kind::PrivateKey => "private-key",
            Kind::GithubToken => "github-token",
            Kind::GitlabToken => "gitlab-token",
            Kind::NpmToken => "npm-token",
            Kind::GoogleApiKey => "google-api-key",
            Kind::AwsAccessKeyId => "aws-access-key-id",
            Kind::SlackToken => "slack-token",
            Kind::SlackWebhook => "slack-webhook",
            Kind::Jwt => "jwt",
            Kind::AwsSecretKey => "aws-secret-key",
            Kind::BearerToken => "bearer-token",
            Kind::UrlCredentials => "url-credentials",
            Kind::Base64Blob => "base64-blob",
            Kind::Assignment => "assignment",
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Span {
    start: usize,
    end: usize,
    kind: Kind,
}

/// Returns `text` with every probable secret replaced by `[REDACTED:<kind>]`.
///
/// `<kind>` names the rule that fired (`github-token`, `aws-access-key-id`,
/// `aws-secret-key`, `private-key`, `slack-token`, `slack-webhook`, `jwt`,
/// `bearer-token`, `url-credentials`, `base64-blob`, `assignment`, …).
/// Returns `Cow::Borrowed` when nothing matched. Idempotent:
/// `redact(&redact(x)) == redact(x)`.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut spans = Vec::new();
    private_keys(text, &mut spans);
    format_tokens(text, &mut spans);
    url_credentials(text, &mut spans);
    base64_blobs(text, &mut spans);
    // The assignment rule reads context around each separator. It reads the
    // other rules' findings as the markers they will become, so that a second
    // pass over the output sees exactly the same context.
    let mut assigned = Vec::new();
    assignments(text, &spans, &mut assigned);
    spans.append(&mut assigned);
    match rewrite(text, spans) {
        Some(owned) => Cow::Owned(owned),
        None => Cow::Borrowed(text),
    }
}

/// Replaces the union of `spans` with markers; `None` when there is nothing to
/// replace.
fn rewrite(text: &str, mut spans: Vec<Span>) -> Option<String> {
    for span in &mut spans {
        // Every rule cuts at ASCII bytes, so this never moves anything; it is
        // here so that a rule bug can only widen a redaction, never panic.
        span.start = floor_char_boundary(text, span.start);
        span.end = ceil_char_boundary(text, span.end);
    }
    spans.retain(|s| s.start < s.end);
    if spans.is_empty() {
        return None;
    }
    spans.sort_unstable_by_key(|s| s.start);
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.start < last.end => {
                last.end = last.end.max(span.end);
                last.kind = last.kind.min(span.kind);
            }
            _ => merged.push(span),
        }
    }
    let mut out = String::with_capacity(text.len() + 24 * merged.len());
    let mut pos = 0;
    for span in merged {
        out.push_str(&text[pos..span.start]);
        out.push_str(MARKER_OPEN);
        out.push_str(span.kind.slug());
        out.push(']');
        pos = span.end;
    }
    out.push_str(&text[pos..]);
    Some(out)
}

fn floor_char_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

// ---------------------------------------------------------------------------
// PEM private keys

const PEM_BEGIN: &str = "-----BEGIN ";
const PEM_END: &str = "-----END ";

/// Redacts armoured private keys (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP, plain
/// PKCS#8) from the BEGIN line through the END line.
///
/// Snippets are line ranges, so they often cut a key in half. A BEGIN without
/// END is redacted to the end of the text, and an END without BEGIN back to
/// the start of the text (or to the previous redacted block): on that side of
/// the armour line everything is key body. Certificates and public keys are
/// left alone.
fn private_keys(text: &str, spans: &mut Vec<Span>) {
    if !text.contains("-----") {
        return;
    }
    let mut pos = 0;
    loop {
        let begin = find_private_armour(text, pos, PEM_BEGIN);
        let end = find_private_armour(text, pos, PEM_END);
        let (start, stop) = match (begin, end) {
            (_, Some((end_at, end_line_end))) if begin.is_none_or(|(b, _)| end_at < b) => {
                (pos, end_line_end)
            }
            (Some((begin_at, header_end)), _) => {
                let stop =
                    find_private_armour(text, header_end, PEM_END).map_or(text.len(), |(_, e)| e);
                (begin_at, stop)
            }
            _ => break,
        };
        spans.push(Span {
            start,
            end: stop,
            kind: Kind::PrivateKey,
        });
        pos = stop;
    }
}

/// Finds the next armour line starting with `marker` whose label names a
/// private key. Returns where the line starts and where its closing dashes end
/// (or the end of the line, when they are missing).
fn find_private_armour(text: &str, from: usize, marker: &str) -> Option<(usize, usize)> {
    let mut pos = from;
    while let Some(rel) = text.get(pos..)?.find(marker) {
        let start = pos + rel;
        let label_start = start + marker.len();
        let rest = &text[label_start..];
        let line = rest.find(['\n', '\r']).map_or(rest, |n| &rest[..n]);
        let (label, line_end) = match line.find("-----") {
            Some(d) => (&line[..d], label_start + d + "-----".len()),
            None => (line, label_start + line.len()),
        };
        if label.contains("PRIVATE KEY") {
            return Some((start, line_end));
        }
        pos = label_start;
    }
    None
}

// ---------------------------------------------------------------------------
// Fixed-format tokens

fn alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

fn alnum_underscore(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn base64url(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

fn alnum_dash(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

fn upper_digit(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

/// A vendor token: a literal prefix, the class of the body characters after
/// it, the minimum body length, and what to call it.
type TokenFormat = (&'static [u8], fn(u8) -> bool, usize, Kind);

#[rustfmt::skip]
const TOKEN_FORMATS: &[TokenFormat] = &[
    // GitHub classic tokens are 36 base62 characters; accept a little less
    // so a token cut at the snippet edge still goes.
    (b"ghp_", alnum, 30, Kind::GithubToken),
    (b"gho_", alnum, 30, Kind::GithubToken),
    (b"ghs_", alnum, 30, Kind::GithubToken),
    (b"ghu_", alnum, 30, Kind::GithubToken),
    (b"ghr_", alnum, 30, Kind::GithubToken),
    (b"github_pat_", alnum_underscore, 20, Kind::GithubToken),
    (b"glpat-", base64url, 20, Kind::GitlabToken),
    (b"npm_", alnum, 36, Kind::NpmToken),
    (b"AIza", base64url, 35, Kind::GoogleApiKey),
    (b"AKIA", upper_digit, 16, Kind::AwsAccessKeyId),
    (b"ASIA", upper_digit, 16, Kind::AwsAccessKeyId),
    (b"AGPA", upper_digit, 16, Kind::AwsAccessKeyId),
    (b"AIDA", upper_digit, 16, Kind::AwsAccessKeyId),
    (b"AROA", upper_digit, 16, Kind::AwsAccessKeyId),
    (b"ANPA", upper_digit, 16, Kind::AwsAccessKeyId),
    (b"ANVA", upper_digit, 16, Kind::AwsAccessKeyId),
    (b"AIPA", upper_digit, 16, Kind::AwsAccessKeyId),
    (b"A3T", upper_digit, 17, Kind::AwsAccessKeyId),
    (b"xoxa-", alnum_dash, 10, Kind::SlackToken),
    (b"xoxb-", alnum_dash, 10, Kind::SlackToken),
    (b"xoxo-", alnum_dash, 10, Kind::SlackToken),
    (b"xoxp-", alnum_dash, 10, Kind::SlackToken),
    (b"xoxr-", alnum_dash, 10, Kind::SlackToken),
    (b"xoxs-", alnum_dash, 10, Kind::SlackToken),
    (b"xapp-", alnum_dash, 10, Kind::SlackToken),
];

/// Finds vendor tokens, JWTs, bearer tokens and Slack webhooks.
///
/// These are fixed formats, which a regex would express neatly, but building
/// even a small `regex::Regex` costs about 0.15 ms and the alternation of all
/// of them about 0.5 ms, a sixth of the command's budget. A byte scan that
/// dispatches on the first byte of each prefix costs nothing to set up and
/// a few microseconds per kilobyte.
fn format_tokens(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // Dispatch on the first two bytes; most bytes of a snippet start
        // no candidate at all.
        let found = match (b[i], b.get(i + 1).copied().unwrap_or(0)) {
            (b'g', b'h' | b'i' | b'l')
            | (b'n', b'p')
            | (b'A', b'K' | b'S' | b'G' | b'I' | b'R' | b'N' | b'3')
            | (b'x', b'o' | b'a') => prefixed_token(b, i),
            (b'e', b'y') => jwt(b, i),
            (b'h', b'o') => slack_webhook(b, i),
            (b'b' | b'B', b'e' | b'E') => bearer_token(b, i),
            _ => None,
        };
        match found {
            Some(span) => {
                i = span.end.max(i + 1);
                spans.push(span);
            }
            None => i += 1,
        }
    }
}

/// Grows a token span over adjacent letters and digits: a token glued to
/// other word characters is still a token, and taking the whole word leaves
/// no stub of it behind.
fn whole_word(b: &[u8], mut start: usize, mut end: usize, kind: Kind) -> Span {
    while start > 0 && b[start - 1].is_ascii_alphanumeric() {
        start -= 1;
    }
    while end < b.len() && b[end].is_ascii_alphanumeric() {
        end += 1;
    }
    Span { start, end, kind }
}

fn run(b: &[u8], from: usize, class: fn(u8) -> bool) -> usize {
    b[from..]
        .iter()
        .position(|&c| !class(c))
        .map_or(b.len(), |p| from + p)
}

fn prefixed_token(b: &[u8], i: usize) -> Option<Span> {
    TOKEN_FORMATS
        .iter()
        .find_map(|&(prefix, class, min_body, kind)| {
            if !b[i..].starts_with(prefix) {
                return None;
            }
            let body = i + prefix.len();
            let end = run(b, body, class);
            (end - body >= min_body).then(|| whole_word(b, i, end, kind))
        })
}

/// `eyJ…` (base64url of `{"`) `.` payload `.` signature, which may be empty.
fn jwt(b: &[u8], i: usize) -> Option<Span> {
    if !b[i..].starts_with(b"eyJ") {
        return None;
    }
    let header_end = run(b, i, base64url);
    if header_end - i < 7 || b.get(header_end) != Some(&b'.') {
        return None;
    }
    let payload_end = run(b, header_end + 1, base64url);
    if payload_end - header_end - 1 < 4 || b.get(payload_end) != Some(&b'.') {
        return None;
    }
    let end = run(b, payload_end + 1, base64url);
    Some(whole_word(b, i, end, Kind::Jwt))
}

/// The ids after `hooks.slack.com/services/`; host and route stay.
fn slack_webhook(b: &[u8], i: usize) -> Option<Span> {
    let rest = b[i..].strip_prefix(b"hooks.slack.com/")?;
    let route = [&b"services/"[..], b"workflows/", b"triggers/"]
        .into_iter()
        .find(|r| rest.starts_with(r))?;
    let start = i + b"hooks.slack.com/".len() + route.len();
    let end = run(b, start, |c| {
        c.is_ascii_alphanumeric() || b"/_-".contains(&c)
    });
    (end - start >= 8).then_some(Span {
        start,
        end,
        kind: Kind::SlackWebhook,
    })
}

/// The token after `Bearer ` (any case). The scheme word stays, so
/// `Authorization: Bearer [REDACTED:…]` still says what the header was.
fn bearer_token(b: &[u8], i: usize) -> Option<Span> {
    if b.len() - i < 6 || !b[i..i + 6].eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    let start = i
        + 6
        + b[i + 6..]
            .iter()
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count();
    if start == i + 6 {
        return None;
    }
    let body_end = run(b, start, |c| {
        c.is_ascii_alphanumeric() || b"._~+/-".contains(&c)
    });
    let end = run(b, body_end, |c| c == b'=');
    let token = &b[start..body_end];
    // Real tokens contain digits or are long mixed-case strings; English words
    // after "Bearer" in comments and docs do not.
    let plausible = token.len() >= 8
        && (token.iter().any(u8::is_ascii_digit)
            || (token.len() >= 16
                && token.iter().any(u8::is_ascii_uppercase)
                && token.iter().any(u8::is_ascii_lowercase)));
    plausible.then_some(Span {
        start,
        end,
        kind: Kind::BearerToken,
    })
}

// ---------------------------------------------------------------------------
// Passwords in URLs

/// Redacts the password of `scheme://user:password@host`. The user name and
/// host stay: they say which account was configured without granting access.
fn url_credentials(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    for (i, _) in text.match_indices("://") {
        let authority_start = i + 3;
        let mut j = authority_start;
        // `?` and `#` are deliberately not terminators: an unencoded one in a
        // password would otherwise cut the authority short and leak the rest.
        let limit = floor_char_boundary(text, authority_start + 512);
        while j < limit
            && !b[j].is_ascii_whitespace()
            && !matches!(b[j], b'/' | b'"' | b'\'' | b'`' | b'<' | b'>')
        {
            j += 1;
        }
        let authority = &text[authority_start..j];
        let Some(at) = authority.rfind('@') else {
            continue;
        };
        let userinfo = &authority[..at];
        // A marker has a colon of its own; text around one is already handled.
        let Some(colon) = userinfo
            .find(':')
            .filter(|_| !userinfo.contains(MARKER_OPEN))
        else {
            continue;
        };
        let password = &userinfo[colon + 1..];
        if password.is_empty() || is_template_only(password) {
            continue;
        }
        spans.push(Span {
            start: authority_start + colon + 1,
            end: authority_start + at,
            kind: Kind::UrlCredentials,
        });
    }
}

// ---------------------------------------------------------------------------
// Long base64 blobs

/// Redacts runs of 40+ base64 characters (plus `=` padding) that look random.
///
/// The heuristic, in order:
/// - at least 40 characters of `[A-Za-z0-9+/]`: shorter runs are mostly
///   words, and 40 is the length of an AWS secret key;
/// - at least one digit, one upper- and one lower-case letter: this spares
///   hex digests and SHA-1 commit ids (no upper case), constants (no lower
///   case) and long identifiers without digits;
/// - not "word-like": if the run has no `+` and every `/`-separated piece is
///   lower case, all caps, or camelCase with few digit groups (see
///   [`is_wordlike`]), the run is a path or an identifier
///   (`src/main/java/com/example/v2/App`, `AbstractFactoryBean2Handler`).
///   Random base64 rarely has that shape: a capital is soon followed by
///   another one or ends a short hump, and digits are scattered. Measured on
///   random 40-character strings, fewer than 1 in 10,000 pass for a path.
fn base64_blobs(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !is_base64_byte(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_base64_byte(b[i]) {
            i += 1;
        }
        let core_end = i;
        while i < b.len() && i - core_end < 2 && b[i] == b'=' {
            i += 1;
        }
        if core_end - start >= 40 && looks_random(&b[start..core_end]) {
            spans.push(Span {
                start,
                end: i,
                kind: Kind::Base64Blob,
            });
        }
    }
}

fn is_base64_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'+' || c == b'/'
}

fn looks_random(run: &[u8]) -> bool {
    if !(run.iter().any(u8::is_ascii_digit)
        && run.iter().any(u8::is_ascii_uppercase)
        && run.iter().any(u8::is_ascii_lowercase))
    {
        return false;
    }
    if run.contains(&b'+') {
        return true;
    }
    !run.split(|&c| c == b'/')
        .filter(|piece| !piece.is_empty())
        .all(is_wordlike)
}

/// Lower case (a word, a hex digest), all caps, or camelCase with an
/// optional leading acronym (`HTTPServer2Config`), humps averaging at least
/// 2.5 characters and at most two groups of digits.
fn is_wordlike(piece: &[u8]) -> bool {
    let upper = piece.iter().any(u8::is_ascii_uppercase);
    let lower = piece.iter().any(u8::is_ascii_lowercase);
    if !upper || !lower {
        return true;
    }
    let digit_groups = piece
        .iter()
        .enumerate()
        .filter(|&(k, c)| c.is_ascii_digit() && (k == 0 || !piece[k - 1].is_ascii_digit()))
        .count();
    if digit_groups > 2 {
        return false;
    }
    let acronym = piece.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let (mut humps, rest) = match acronym {
        0 => (1, 0),
        1 => (0, 0),
        // The acronym's last capital starts the next hump (`HTTPServer`).
        n if piece.get(n).is_some_and(u8::is_ascii_lowercase) => (1, n - 1),
        n => (1, n),
    };
    for (k, &c) in piece.iter().enumerate().skip(rest) {
        if c.is_ascii_uppercase() {
            match piece.get(k + 1) {
                Some(n) if n.is_ascii_lowercase() || n.is_ascii_digit() => humps += 1,
                _ => return false,
            }
        }
    }
    2 * piece.len() >= 5 * humps
}

// ---------------------------------------------------------------------------
// Assignments to secret-sounding names

/// Redacts the value assigned to a key whose name suggests a credential:
/// `password = "x"`, `"apiKey": "x"`, `DB_PASSWORD=x`, `token := "x"`,
/// `'secret' => 'x'`, `const API_KEY: &str = "x"`, `<password>x</password>`.
/// Key and separator stay, so the evidence still shows what was configured.
///
/// The scan visits every `=`, `:` and `>` rather than using a regex, because
/// deciding whether the right-hand side is a literal or code needs context on
/// both sides of the separator. How strong the key name is decides how much
/// a literal has to look like a secret (see [`key_name`] and [`KeyName`]).
///
/// - Quoted values are literals and are redacted unless they are empty,
///   pure templates (`"${TOKEN}"`, `f"Bearer {token}"`), a bare auth scheme
///   (`"Bearer "`), an endpoint URL, or the *name* of a secret
///   (`"GITHUB_TOKEN"`, `"X-Api-Key"`, `"access_token"`).
/// - Unquoted values are redacted unless they read as code: a call, index,
///   generic or macro (`getenv(…)`, `os.environ[…]`, `Option<…>`, `env!(…)`),
///   a field path (`self.token`, `args.key`), a file path or URL, a keyword
///   or type (`None`, `String`, `&str`, `impl …`), a number in a declaration
///   or a short one, a variable named like the key or like a secret
///   (`token=token`, `key: api_key`), or a bare identifier in a declaration,
///   dict literal, argument list, generic or statement (`let k = v;`,
///   `{"token": tok}`, `f(token=tok, …)`, `token = Name`). A literal wrapped
///   in `Some("…")`, `String::from("…")` and similar is redacted inside the
///   call.
/// - A key at the start of a line (YAML, `.env`, INI) owns the rest of the
///   line minus a trailing comment, since such values may contain spaces.
/// - A plain word followed by a sentence is prose, not a value
///   (`# Keep Authorization: headers on a redirect.`, a docstring's
///   `api_key: The key used to …`).
/// - A key inside a string whose closing quote follows the separator
///   (`prompt("Password: ")`) is prose, not an assignment.
fn assignments(text: &str, others: &[Span], spans: &mut Vec<Span>) {
    let opaque = Opaque::new(others);
    let b = text.as_bytes();
    let mut line = Line {
        begin: 0,
        open: [false; 3],
    };
    let mut next_range = 0;
    for (i, &c) in b.iter().enumerate() {
        // Text inside other findings is a marker to a second pass: no
        // separators, quotes or line breaks.
        while opaque.0.get(next_range).is_some_and(|&(_, end)| end <= i) {
            next_range += 1;
        }
        if opaque
            .0
            .get(next_range)
            .is_some_and(|&(start, _)| start <= i)
        {
            continue;
        }
        let found = match c {
            b'\n' => {
                line = Line {
                    begin: i + 1,
                    open: [false; 3],
                };
                None
            }
            b'"' | b'\'' | b'`' => {
                if is_delimiter(b, &opaque, i) {
                    line.open[quote_index(c)] ^= true;
                }
                None
            }
            b'=' | b':' => assignment_at(text, &opaque, &line, i),
            b'>' => xml_element_at(text, &opaque, i),
            _ => None,
        };
        spans.extend(found);
    }
}

/// The line being scanned: where it starts, and which kinds of quote are
/// open at the scan position.
struct Line {
    begin: usize,
    open: [bool; 3],
}

fn quote_index(q: u8) -> usize {
    match q {
        b'"' => 0,
        b'\'' => 1,
        _ => 2,
    }
}

/// Whether the quote at `k` opens or closes a string: not escaped, and for
/// `'` not an apostrophe between letters (`don't`). Neighbours inside opaque
/// ranges count as the brackets of the marker they become.
fn is_delimiter(b: &[u8], opaque: &Opaque, k: usize) -> bool {
    let neighbour = |at: Option<usize>, bracket: u8| {
        at.filter(|&a| a < b.len()).map(|a| {
            if opaque.overlapping(a, a + 1).is_empty() {
                b[a]
            } else {
                bracket
            }
        })
    };
    let prev = neighbour(k.checked_sub(1), b']');
    let next = neighbour(Some(k + 1), b'[');
    let apostrophe = b[k] == b'\''
        && prev.is_some_and(|c| c.is_ascii_alphanumeric())
        && next.is_some_and(|c| c.is_ascii_alphanumeric());
    prev != Some(b'\\') && !apostrophe
}

/// The other rules' findings as sorted, disjoint ranges: text that a second
/// pass will see as markers.
struct Opaque(Vec<(usize, usize)>);

impl Opaque {
    fn new(spans: &[Span]) -> Self {
        let mut ranges: Vec<(usize, usize)> = spans.iter().map(|s| (s.start, s.end)).collect();
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
        for (start, end) in ranges {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        Opaque(merged)
    }

    /// The ranges that overlap `lo..hi`, in order.
    fn overlapping(&self, lo: usize, hi: usize) -> &[(usize, usize)] {
        let first = self.0.partition_point(|&(_, end)| end <= lo);
        let last = self.0.partition_point(|&(start, _)| start < hi);
        &self.0[first..last.max(first)]
    }
}

/// `<password>hunter2</password>` (Maven `settings.xml`, .NET config): the
/// element's text, judged like a quoted value.
fn xml_element_at(text: &str, opaque: &Opaque, i: usize) -> Option<Span> {
    let b = text.as_bytes();
    let mut k = i;
    while k > 0 && is_key_byte(b[k - 1]) {
        k -= 1;
    }
    if k == i || k == 0 || b[k - 1] != b'<' {
        return None;
    }
    let key = &text[k..i];
    let name = key_name(key)?;
    let start = i + 1;
    let end = start + b[start..].iter().position(|&c| c == b'<' || c == b'\n')?;
    let closes = b[end..].starts_with(b"</") && b[end + 2..].starts_with(key.as_bytes());
    let content = &text[start..end];
    let touches_marker = !opaque.overlapping(k, i).is_empty();
    (closes && !touches_marker && quoted_is_secret(content, key) && accepts(name, content))
        .then_some(Span {
            start,
            end,
            kind: Kind::Assignment,
        })
}

/// How strongly a key name suggests a credential, weakest first.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum KeyName {
    /// `key`, `my_key`: as often a map key as a credential. Only values that
    /// look like key material are redacted.
    Ambiguous,
    /// `api_key`, `GITHUB_TOKEN`, `auth`: real values are generated, so a
    /// value that is a compound name (`"NextMarker"`, `"SYMMETRIC_DEFAULT"`)
    /// is a reference or a setting, not the token.
    Token,
    /// `password`, `secret`, `credentials`: humans choose these, so any
    /// literal is redacted.
    Password,
}

/// Whether a literal `value` is redacted under a key of strength `name`.
fn accepts(name: KeyName, value: &str) -> bool {
    match name {
        KeyName::Password => true,
        KeyName::Token => !is_compound_name(value) && !is_setting(value),
        KeyName::Ambiguous => looks_like_key_material(value),
    }
}

/// Words that configure how a token is used rather than being one:
/// `id-token: write` (GitHub Actions permissions), `auth: required`.
fn is_setting(value: &str) -> bool {
    #[rustfmt::skip]
    const SETTINGS: &[&str] = &[
        "read", "write", "all", "allow", "deny", "enabled", "disabled", "enable", "disable",
        "required", "optional", "auto", "default", "inherit", "public", "private", "oauth",
        "oauth2", "jwt", "saml", "oidc", "ldap", "kerberos", "ntlm", "hmac", "sha256", "none",
    ];
    SETTINGS.iter().any(|w| value.eq_ignore_ascii_case(w))
}

/// Everything the value heuristics need to know about the left-hand side.
struct Lhs<'a> {
    key: &'a str,
    opaque: &'a Opaque,
    name: KeyName,
    /// `"password": …`, `['token'] = …`: keys of dict literals and maps.
    quoted: bool,
    /// The separator is a plain `:` (YAML, JSON, struct fields, types).
    colon: bool,
    /// `token = x` rather than `TOKEN=x`: code style, not shell style.
    spaced_eq: bool,
    /// `const KEY: u32 = …`: the separator followed a type annotation.
    typed: bool,
    /// Only indentation, `- ` or `export ` precede the key on its line.
    line_start: bool,
    /// A keyword such as `let` or `const` precedes the key.
    declaration: bool,
}

impl Lhs<'_> {
    fn accepts_literal(&self, content: &str) -> bool {
        quoted_is_secret(content, self.key) && self.accepts_value(content)
    }

    fn accepts_value(&self, value: &str) -> bool {
        accepts(self.name, value)
    }
}

/// Words that declare the name after them; a bare identifier assigned there
/// is a variable (`let token = tok;`). Only keywords count, never other
/// words: a word that is itself redacted must not change how a second pass
/// reads the line.
const DECLARATION_KEYWORDS: &[&str] = &[
    "let", "mut", "const", "var", "val", "auto", "final", "static", "my", "our", "trait", "type",
    "impl",
];

/// `line` describes the line holding `i` up to `i`.
fn assignment_at(text: &str, opaque: &Opaque, line: &Line, i: usize) -> Option<Span> {
    let b = text.as_bytes();
    if !opaque.overlapping(i, i + 1).is_empty() {
        return None;
    }
    let (sep_start, mut value_start, mut colon) = separator_at(b, i)?;
    let (mut key_start, key_end, mut quoted, spaced) = key_before(b, sep_start)?;
    // The key cannot reach into a marker-to-be.
    let mut clamped = false;
    if let Some(&(_, end)) = opaque.overlapping(key_start, key_end).last() {
        if end >= key_end {
            return None;
        }
        key_start = end;
        quoted = false;
        clamped = true;
        while key_start < key_end && matches!(b[key_start], b'-' | b'.') {
            key_start += 1;
        }
        if key_start == key_end {
            return None;
        }
    }
    if colon && spaced && !quoted {
        // `a ? key : b`, `x[key : n]`, labels: not key-value syntax.
        return None;
    }
    if colon && !clamped && key_start > 0 && b[key_start - 1] == b':' {
        // `urn:ietf:params:oauth:…`: a colon-separated name, not a key.
        return None;
    }
    let key = &text[key_start..key_end];
    // In `self.api_key` or `db.password` the last segment names the value.
    let name = key_name(key.rsplit('.').next().unwrap_or(key))?;
    let mut spaced_eq = !colon && i > 0 && b[i - 1] == b' ';
    let mut typed = false;
    if colon && let Some(after_eq) = typed_declaration(text, opaque, value_start) {
        // `const API_KEY: &str = "…"`: the value follows the `=`.
        value_start = after_eq;
        colon = false;
        spaced_eq = true;
        typed = true;
    }
    // What precedes the key on its line. Only the last few dozen bytes are
    // looked at, so that a long minified line costs linear time.
    let lhs_start = key_start - usize::from(quoted);
    let mut window = floor_char_boundary(text, lhs_start.saturating_sub(64)).max(line.begin);
    if let Some(&(start, _)) = opaque.overlapping(window, window + 1).first() {
        window = start.max(line.begin);
    }
    // Deep indentation is not a truncated line.
    let truncated = window > line.begin
        && !b[line.begin..window]
            .iter()
            .all(|&c| c == b' ' || c == b'\t');
    let outer = as_markers(text, opaque, window, lhs_start);
    let head = outer.trim_end_matches(['"', '\'', '`', '[']).trim_end();
    let word_start = head.rfind([' ', '\t']).map_or(0, |p| p + 1);
    let last_word = if truncated && word_start == 0 {
        ""
    } else {
        &head[word_start..]
    };
    let doc_field = last_word
        .strip_prefix([':', '@'])
        .is_some_and(|w| !w.is_empty() && w.bytes().all(|c| c.is_ascii_lowercase()));
    if doc_field {
        // `:param token: …`, `@param key …`: documentation fields.
        return None;
    }
    let lhs = Lhs {
        key,
        opaque,
        name,
        quoted,
        colon,
        spaced_eq,
        typed,
        line_start: !truncated && matches!(head.trim_start(), "" | "-" | "export"),
        declaration: DECLARATION_KEYWORDS.contains(&last_word),
    };

    let vs = skip_blanks(b, value_start);
    if vs >= b.len() || matches!(b[vs], b'\n' | b'\r') || text[vs..].starts_with(MARKER_OPEN) {
        return None;
    }
    let closes_string = matches!(b[vs], b'"' | b'\'' | b'`') && {
        let q = b[vs];
        let mut open = line.open[quote_index(q)];
        for k in lhs_start..i {
            if b[k] == q && is_delimiter(b, opaque, k) {
                open = !open;
            }
        }
        open
    };
    if closes_string {
        // `prompt("Password: ")`: the quote closes the string the key is in.
        return None;
    }
    let (start, end) = match string_literal_at(b, vs) {
        Some(open) => {
            let (cs, ce) = literal_content(b, open);
            if !lhs.accepts_literal(&text[cs..ce]) {
                return None;
            }
            (cs, ce)
        }
        None => unquoted_value(text, &lhs, vs)?,
    };
    let lower = key.to_ascii_lowercase();
    let kind = if lower.contains("aws") && lower.contains("secret") {
        Kind::AwsSecretKey
    } else {
        Kind::Assignment
    };
    Some(Span { start, end, kind })
}

/// `text[begin..end]` with opaque ranges shown as markers, as a second pass
/// would see it.
fn as_markers<'t>(text: &'t str, opaque: &Opaque, begin: usize, end: usize) -> Cow<'t, str> {
    let inside = opaque.overlapping(begin, end);
    if inside.is_empty() {
        return Cow::Borrowed(&text[begin..end]);
    }
    let mut out = String::new();
    let mut pos = begin;
    for &(start, stop) in inside {
        out.push_str(&text[pos..start.max(pos)]);
        out.push_str("[REDACTED:x]");
        pos = stop;
    }
    if pos < end {
        out.push_str(&text[pos..end]);
    }
    Cow::Owned(out)
}

/// Recognises an assignment separator at `i`. Returns where the separator
/// starts (the key ends before it), where the value starts, and whether it is
/// a plain `:`.
fn separator_at(b: &[u8], i: usize) -> Option<(usize, usize, bool)> {
    let prev = i.checked_sub(1).map(|p| b[p]);
    let next = b.get(i + 1).copied();
    match b[i] {
        b'=' => {
            if matches!(next, Some(b'=' | b'~')) {
                return None;
            }
            match prev {
                // Comparisons and compound operators; `:=` is handled at the `:`.
                Some(
                    b'=' | b'!' | b'<' | b'>' | b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'|'
                    | b'&' | b'~' | b':',
                ) => None,
                // Makefile `TOKEN ?= …`.
                Some(b'?') => Some((i - 1, i + 1, false)),
                _ if next == Some(b'>') => Some((i, i + 2, false)),
                _ => Some((i, i + 1, false)),
            }
        }
        b':' => {
            if prev == Some(b':') || next == Some(b':') {
                return None;
            }
            if next == Some(b'=') {
                return Some((i, i + 2, false));
            }
            if next == Some(b'/') && b.get(i + 2) == Some(&b'/') {
                return None;
            }
            Some((i, i + 1, true))
        }
        _ => None,
    }
}

/// Finds the key that ends just before `sep_start`. Returns its byte range,
/// whether it is enclosed in quotes, and whether blanks separate it from the
/// separator.
fn key_before(b: &[u8], sep_start: usize) -> Option<(usize, usize, bool, bool)> {
    let mut j = sep_start;
    while j > 0 && matches!(b[j - 1], b' ' | b'\t') {
        j -= 1;
    }
    let spaced = j < sep_start;
    let subscript = j > 0 && b[j - 1] == b']';
    if subscript {
        j -= 1;
    }
    let closing = (j > 0 && matches!(b[j - 1], b'"' | b'\'' | b'`')).then(|| b[j - 1]);
    if closing.is_some() {
        j -= 1;
    } else if subscript {
        // `cache[key] = …` indexes with a variable, it does not name a secret.
        return None;
    }
    let end = j;
    while j > 0 && is_key_byte(b[j - 1]) {
        j -= 1;
    }
    if j > 0 && j < end && closing.is_none() {
        match b[j - 1] {
            // `"\npassword: …"`: the letter after a backslash belongs to the
            // escape.
            b'\\' => j += 1,
            // `$name:ident` is a macro fragment, not a key.
            b'$' if b[sep_start] == b':' => return None,
            _ => {}
        }
    }
    while j < end && matches!(b[j], b'-' | b'.') {
        // `--password=…` flags; `-----END …-----password` runs.
        j += 1;
    }
    if j == end {
        return None;
    }
    let quoted = closing.is_some_and(|q| j > 0 && b[j - 1] == q);
    if subscript && !(quoted && j > 1 && b[j - 2] == b'[') {
        // Only `map["password"]` names a key; `[`text`]: …` is Markdown.
        return None;
    }
    Some((j, end, quoted, spaced))
}

fn is_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')
}

/// Recognises `: Type =` after a key and returns the index after the `=`.
/// Requires a blank before the `=` and something type-shaped, so that YAML
/// such as `password: abc=def` is not mistaken for a declaration.
fn typed_declaration(text: &str, opaque: &Opaque, after_colon: usize) -> Option<usize> {
    let b = text.as_bytes();
    let ty_start = skip_blanks(b, after_colon);
    let mut j = ty_start;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b"_&'<>[]:;,*.|? \t".contains(&b[j])) {
        j += 1;
    }
    if b.get(j) != Some(&b'=') || matches!(b.get(j + 1), Some(b'=' | b'>')) {
        return None;
    }
    let raw = &text[ty_start..j];
    let ty = raw.trim_end();
    // A redacted "type" was a value; the second pass must not read a marker
    // as a type either.
    if ty.is_empty()
        || ty.len() == raw.len()
        || ty.contains(MARKER_OPEN)
        || !opaque.overlapping(ty_start, j).is_empty()
    {
        return None;
    }
    let first = ty.as_bytes()[0];
    let type_shaped = matches!(first, b'&' | b'[' | b'*')
        || first.is_ascii_uppercase()
        || ty.contains(['<', '[', ':', '.', '|', '?'])
        || is_keyword(ty);
    type_shaped.then_some(j + 1)
}

fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

/// Where a string literal opens.
#[derive(Clone, Copy)]
struct Open {
    /// Index of the opening quote.
    quote: usize,
    /// The literal is itself escaped (`\"x\"`, JSON inside a string).
    escaped: bool,
}

/// If a string literal starts at `i` (allowing Python/Rust prefixes such as
/// `f"`, `rb'`, `r#"`, and escaped quotes), returns where it opens.
fn string_literal_at(b: &[u8], i: usize) -> Option<Open> {
    let is_quote = |k: usize| k < b.len() && matches!(b[k], b'"' | b'\'' | b'`');
    if b.get(i) == Some(&b'\\') && is_quote(i + 1) {
        return Some(Open {
            quote: i + 1,
            escaped: true,
        });
    }
    let mut k = i;
    while k < b.len() && k < i + 2 && b"rbfuRBFU".contains(&b[k]) {
        k += 1;
    }
    if k > i {
        while k < b.len() && b[k] == b'#' {
            k += 1;
        }
    }
    is_quote(k).then_some(Open {
        quote: k,
        escaped: false,
    })
}

/// Content range of a string literal.
///
/// An unterminated literal runs to the end of its line (or of the text, for
/// backticks and triple quotes, which may span lines): a snippet cut mid-string
/// must not leak the part it kept.
fn literal_content(b: &[u8], open: Open) -> (usize, usize) {
    let q = open.quote;
    let quote = b[q];
    let line_end = |from: usize| {
        b[from..]
            .iter()
            .position(|&c| c == b'\n' || c == b'\r')
            .map_or(b.len(), |p| from + p)
    };
    if open.escaped {
        let start = q + 1;
        let end = b[start..]
            .windows(2)
            .position(|w| w[0] == b'\\' && w[1] == quote)
            .map_or_else(|| line_end(start), |p| start + p);
        return (start, end.min(line_end(start)));
    }
    if quote != b'`' && b.get(q + 1) == Some(&quote) && b.get(q + 2) == Some(&quote) {
        let start = q + 3;
        let close = [quote; 3];
        let end = b[start..]
            .windows(3)
            .position(|w| w == close)
            .map_or(b.len(), |p| start + p);
        return (start, end);
    }
    let start = q + 1;
    let mut k = start;
    while k < b.len() {
        match b[k] {
            b'\\' => k += 2,
            c if c == quote => return (start, k),
            b'\n' | b'\r' if quote != b'`' => return (start, k),
            _ => k += 1,
        }
    }
    (start, b.len())
}

/// Whether the content of a quoted value is worth redacting.
fn quoted_is_secret(content: &str, key: &str) -> bool {
    let t = content.trim();
    !(t.is_empty()
        || t.contains(MARKER_OPEN)
        || is_template_only(t)
        || is_auth_scheme(t)
        || matches!(
            t.to_ascii_lowercase().as_str(),
            "none" | "null" | "nil" | "true" | "false" | "undefined" | "yes" | "no" | "on" | "off"
        )
        || !t.bytes().any(|c| c.is_ascii_alphanumeric())
        || is_colour(t)
        // An endpoint; a password in it is the URL rule's business.
        || (t.contains("://") && !t.contains('@'))
        || same_name(t, key)
        || is_secret_name(t))
}

/// `#fff`, `#d8dee9`: style sheets keyed by token types.
fn is_colour(t: &str) -> bool {
    t.strip_prefix('#').is_some_and(|h| {
        matches!(h.len(), 3 | 4 | 6 | 8) && h.bytes().all(|c| c.is_ascii_hexdigit())
    })
}

/// Key material has no blanks, is not made of words, and is long or mixes
/// letters and digits.
fn looks_like_key_material(v: &str) -> bool {
    let b = v.as_bytes();
    !b.iter().any(u8::is_ascii_whitespace)
        && !v.contains('\\')
        && !is_compound_name(v)
        && (b.len() >= 16
            || (b.len() >= 8
                && b.iter().any(u8::is_ascii_digit)
                && b.iter().any(u8::is_ascii_alphabetic)))
}

/// An identifier-shaped name of two or more words, without digits or blanks:
/// `NextMarker`, `StreamingDistributionList.NextMarker`, `SYMMETRIC_DEFAULT`.
fn is_compound_name(v: &str) -> bool {
    v.is_ascii()
        && !v
            .bytes()
            .any(|c| c.is_ascii_digit() || c.is_ascii_whitespace())
        && words(v).len() >= 2
        && v.split(|c: char| !c.is_ascii_alphanumeric())
            .all(|piece| is_wordlike(piece.as_bytes()))
}

/// `"GITHUB_TOKEN"`, `"X-Api-Key"`, `"access_token"`: strings that name a
/// secret (an environment variable, a header, a field) rather than contain one.
fn is_secret_name(t: &str) -> bool {
    if !t.bytes().all(is_key_byte) || !names_a_secret(t) {
        return false;
    }
    // Identifiers made of words are names; generated secrets have digits.
    !t.bytes().any(|c| c.is_ascii_digit()) || !t.bytes().any(|c| c.is_ascii_lowercase())
}

/// Outcome of looking at the first word of an unquoted value.
enum Verdict {
    Secret,
    Code,
    /// A string literal inside a wrapper call: `Some("…")`.
    Literal(usize, usize),
}

/// Span of an unquoted value starting at `vs`, or `None` if it reads as code.
fn unquoted_value(text: &str, lhs: &Lhs, vs: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let mut vs = vs;
    let mut first_end = run_end(b, vs);
    if is_auth_scheme(&text[vs..first_end]) {
        // `Authorization: Basic dXNl…`: the credential is the next word.
        let next = skip_blanks(b, first_end);
        if next == first_end || next >= b.len() || text[next..].starts_with(MARKER_OPEN) {
            return None;
        }
        vs = next;
        first_end = run_end(b, vs);
    }
    if first_end == vs {
        return None;
    }
    // A value that a quote or bracket cut short is part of a larger
    // expression; only blank-separated words extend to the end of the line.
    let extend = lhs.line_start && b.get(first_end).is_none_or(|&c| !b"\"'`)}]".contains(&c));
    let end = if extend {
        line_value_end(b, vs).max(first_end)
    } else {
        first_end
    };
    let region = &text[vs..end];
    if region.contains(MARKER_OPEN) || is_template_only(region) {
        return None;
    }
    match classify_unquoted(text, lhs, vs, first_end) {
        Verdict::Secret => {}
        Verdict::Code => return None,
        Verdict::Literal(s, e) => return Some((s, e)),
    }
    // `# Keep Authorization: headers on a redirect.`, `api_key: The key used
    // to …`: a plain word followed by a sentence. A first word with digits or
    // odd capitals is still redacted, whatever follows it.
    let first = &text[vs..first_end];
    let plain_word = first.bytes().skip(1).all(|c| c.is_ascii_lowercase())
        && first.bytes().all(|c| c.is_ascii_alphabetic());
    if (plain_word && is_prose(sentence(text, lhs.opaque, vs, first_end)))
        || !lhs.accepts_value(region)
    {
        return None;
    }
    Some((vs, end))
}

/// The words after an unquoted value's start, for prose detection: up to the
/// end of the line, at most 200 bytes, and before anything another finding
/// could rewrite (a separator, a quote, another rule's span), so that the
/// second pass reads the same sentence.
fn sentence<'t>(text: &'t str, opaque: &Opaque, vs: usize, first_end: usize) -> &'t str {
    let b = text.as_bytes();
    let mut end = line_value_end(&b[..floor_char_boundary(text, vs + 200)], vs);
    let from = first_end.min(end);
    if let Some(p) = b[from..end].iter().position(|c| b"=:>\"'`".contains(c)) {
        end = from + p;
    }
    if let Some(&(start, _)) = opaque.overlapping(vs, end).first() {
        end = start.max(vs);
    }
    &text[vs..end]
}

/// End of an unquoted run: the characters that end a value in code, URLs and
/// config alike.
fn run_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && !is_run_terminator(b[i]) {
        i += 1;
    }
    i
}

fn is_run_terminator(c: u8) -> bool {
    c.is_ascii_whitespace() || b",;)}]&\"'`".contains(&c)
}

/// End of a line-start value: the rest of the line without a trailing
/// ` # comment` or ` // comment`, blanks, `,` or `;`.
fn line_value_end(b: &[u8], vs: usize) -> usize {
    let mut end = vs;
    while end < b.len() && b[end] != b'\n' {
        end += 1;
    }
    if let Some(c) = (vs..end).find(|&k| {
        b[k].is_ascii_whitespace()
            && (b[k + 1..].starts_with(b"#") || b[k + 1..].starts_with(b"//"))
    }) {
        end = c;
    }
    while end > vs && (b[end - 1].is_ascii_whitespace() || matches!(b[end - 1], b',' | b';')) {
        end -= 1;
    }
    end
}

fn classify_unquoted(text: &str, lhs: &Lhs, vs: usize, first_end: usize) -> Verdict {
    let b = text.as_bytes();
    let first = &text[vs..first_end];
    // Structures, references, YAML tags/anchors/block scalars, SQL and
    // template placeholders, comments.
    if b"([{<&*!|>~@#%?:\\".contains(&b[vs]) {
        return Verdict::Code;
    }
    if is_keyword(first) || is_stopword(first) || is_number(first) {
        let literal_number =
            is_number(first) && !is_short_number(first) && !lhs.declaration && !lhs.typed;
        return if literal_number {
            Verdict::Secret
        } else {
            Verdict::Code
        };
    }
    if first.contains("://")
        || (first.starts_with(['/', '.', '~']) && !looks_random(first.as_bytes()))
    {
        // A URL (credentials in it are the URL rule's business) or a path.
        return Verdict::Code;
    }
    let (head_end, segments) = identifier_path_end(b, vs);
    if segments == 0 {
        return Verdict::Secret;
    }
    let rest = &text[head_end..];
    if rest.starts_with('(') {
        return wrapped_literal(text, lhs, vs, head_end, head_end + 1);
    }
    if let Some(after_bang) = rest.strip_prefix('!') {
        let arg = skip_blanks(b, head_end + 1);
        if after_bang.trim_start().starts_with(['(', '[', '{']) {
            return wrapped_literal(text, lhs, vs, head_end, arg + 1);
        }
    }
    if rest.starts_with(['[', '{', '<']) || rest.starts_with("::<") || rest.starts_with("..") {
        return Verdict::Code;
    }
    let next = b.get(head_end).copied();
    let at_word_end = next.is_none_or(is_run_terminator);
    if segments > 1 {
        // `self.token`, `config.api_key`, `process.env.API_KEY!`.
        return if at_word_end || matches!(next, Some(b'?' | b'!')) {
            Verdict::Code
        } else {
            Verdict::Secret
        };
    }
    if next == Some(b'>') {
        // `Stream<Token = u8>`: an associated type, inside generics.
        return Verdict::Code;
    }
    if !at_word_end {
        return Verdict::Secret;
    }
    let ident = &text[vs..head_end];
    let variable = is_keyword(ident)
        || same_name(ident, lhs.key)
        || names_a_secret(ident)
        || lhs.declaration
        || (lhs.quoted && lhs.colon)
        // `token = Name` is Python; `TOKEN=abc` is shell. A spaced `=` with a
        // digit-free identifier reads as a variable (INI files lose here).
        || (lhs.spaced_eq && !ident.bytes().any(|c| c.is_ascii_digit()))
        || matches!(next, Some(b',' | b')'))
        || (next == Some(b';') && (lhs.colon || lhs.spaced_eq));
    if variable {
        Verdict::Code
    } else {
        Verdict::Secret
    }
}

/// `head(` or `head!(` was found. Wrappers that only box a literal
/// (`Some("…")`, `String::from("…")`, `SecretString::new("…")`) still assign
/// that literal, so it is redacted; any other call computes the value.
fn wrapped_literal(text: &str, lhs: &Lhs, vs: usize, head_end: usize, arg: usize) -> Verdict {
    let head = &text[vs..head_end];
    let last = head.rsplit(['.', ':']).next().unwrap_or(head);
    let wrapper = match last {
        "Some" | "Ok" | "String" | "Secret" | "SecretString" | "SecretStr" | "SecretBytes"
        | "SecretBox" | "str" | "bytes" | "Box" | "Arc" | "Rc" => true,
        // `String::from("…")`, `SecretString::new("…")`; not `ffi.new("…")`.
        "from" | "new" => head.contains("::"),
        _ => false,
    };
    if !wrapper {
        return Verdict::Code;
    }
    let b = text.as_bytes();
    match string_literal_at(b, skip_blanks(b, arg)) {
        Some(open) => {
            let (cs, ce) = literal_content(b, open);
            if lhs.accepts_literal(&text[cs..ce]) {
                Verdict::Literal(cs, ce)
            } else {
                Verdict::Code
            }
        }
        None => Verdict::Code,
    }
}

/// End of an identifier path (`a`, `a.b`, `a::b`, `a->b`, `a?.b`, `t.0`)
/// starting at `start`, and its number of segments (0 when none starts there).
fn identifier_path_end(b: &[u8], start: usize) -> (usize, usize) {
    let is_start = |c: u8| c.is_ascii_alphabetic() || c == b'_' || c == b'$';
    let is_cont = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
    let mut j = start;
    let mut segments = 0;
    while j < b.len() && (is_start(b[j]) || (segments > 0 && b[j].is_ascii_digit())) {
        j += 1;
        while j < b.len() && is_cont(b[j]) {
            j += 1;
        }
        segments += 1;
        let rest = &b[j..];
        let sep = if rest.starts_with(b"::") || rest.starts_with(b"->") || rest.starts_with(b"?.") {
            2
        } else if rest.starts_with(b".") {
            1
        } else {
            break;
        };
        match b.get(j + sep) {
            Some(&c) if is_start(c) || c.is_ascii_digit() => j += sep,
            _ => break,
        }
    }
    (j, segments)
}

/// Values that are language keywords, null/boolean literals or type names.
fn is_keyword(s: &str) -> bool {
    #[rustfmt::skip]
    const KEYWORDS: &[&str] = &[
        "None", "none", "null", "NULL", "Null", "nil", "Nil", "true", "false", "True", "False",
        "TRUE", "FALSE", "yes", "no", "on", "off", "Yes", "No", "On", "Off", "undefined", "NaN",
        "self", "Self", "this", "super", "crate", "new", "await", "async", "lambda", "function",
        "fn", "move", "mut", "ref", "impl", "dyn", "extern", "const", "static", "struct",
        "enum", "type", "where", "unsafe", "not", "typeof", "default", "required", "optional",
        "str", "String", "string", "bool", "boolean", "Boolean", "char", "byte", "bytes",
        "Bytes", "int", "integer", "Integer", "long", "float", "Float", "double", "number",
        "Number", "object", "Object", "any", "Any", "unknown", "void", "dict", "list", "u8",
        "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32",
        "f64",
    ];
    KEYWORDS.contains(&s)
}

/// Function words: a value made of them is a sentence, not a credential.
fn is_stopword(word: &str) -> bool {
    #[rustfmt::skip]
    const STOPWORDS: &[&str] = &[
        "the", "a", "an", "to", "of", "for", "is", "are", "be", "used", "use", "in", "with",
        "from", "this", "that", "your", "if", "or", "and", "when", "which", "will", "by", "as",
        "see", "it", "its",
    ];
    let w = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    STOPWORDS.iter().any(|s| w.eq_ignore_ascii_case(s))
}

fn is_prose(region: &str) -> bool {
    region.split_ascii_whitespace().nth(1).is_some()
        && region.split_ascii_whitespace().any(is_stopword)
}

/// Decimal, hex, octal or binary integer or decimal fraction.
fn is_number(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let radix = ["0x", "0X", "0o", "0b"]
        .iter()
        .find_map(|p| digits.strip_prefix(p));
    match radix {
        Some(r) => !r.is_empty() && r.bytes().all(|c| c.is_ascii_hexdigit() || c == b'_'),
        None => {
            digits.as_bytes().first().is_some_and(u8::is_ascii_digit)
                && digits
                    .bytes()
                    .all(|c| c.is_ascii_digit() || c == b'.' || c == b'_')
        }
    }
}

/// Numbers shorter than four characters, and decimals, are counts, limits and
/// versions; longer integers could be PINs or numeric passwords.
fn is_short_number(s: &str) -> bool {
    s.len() < 4 || s.contains('.')
}

fn is_auth_scheme(s: &str) -> bool {
    ["bearer", "basic", "token", "digest", "negotiate", "apikey"]
        .iter()
        .any(|w| s.eq_ignore_ascii_case(w))
}

/// Whether `s` consists only of template or placeholder expressions
/// (`${X}`, `$X`, `$(cmd)`, `{{ x }}`, `#{x}`, `{x}`, `%s`, `%(x)s`, `<x>`)
/// plus letters and light punctuation: such a value refers to a secret held
/// elsewhere. Digits or other symbols outside the templates count as content.
fn is_template_only(s: &str) -> bool {
    let b = s.as_bytes();
    let mut had_template = false;
    let mut i = 0;
    while i < b.len() {
        let skip_to = match b[i] {
            b'$' => match b.get(i + 1) {
                Some(b'{' | b'(') => closing(b, i + 1),
                Some(c) if c.is_ascii_alphanumeric() || *c == b'_' => {
                    let mut j = i + 1;
                    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                        j += 1;
                    }
                    Some(j)
                }
                _ => None,
            },
            b'{' => closing(b, i),
            b'#' if b.get(i + 1) == Some(&b'{') => closing(b, i + 1),
            b'%' => match b.get(i + 1) {
                Some(b'(') => closing(b, i + 1).map(|j| (j + 1).min(b.len())),
                Some(c) if c.is_ascii_alphabetic() => Some(i + 2),
                _ => None,
            },
            b'<' => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b"_- ".contains(&b[j])) {
                    j += 1;
                }
                (j > i + 1 && b.get(j) == Some(&b'>')).then_some(j + 1)
            }
            _ => None,
        };
        match skip_to {
            Some(j) => {
                had_template = true;
                i = j;
            }
            None if b[i].is_ascii_alphabetic() || b" \t:_./-".contains(&b[i]) => i += 1,
            None => return false,
        }
    }
    had_template
}

/// Index just past the bracket matching the one at `open` (`{` or `(`).
fn closing(b: &[u8], open: usize) -> Option<usize> {
    let (o, c) = if b[open] == b'{' {
        (b'{', b'}')
    } else {
        (b'(', b')')
    };
    let mut depth = 0usize;
    for (k, &x) in b.iter().enumerate().skip(open) {
        if x == o {
            depth += 1;
        } else if x == c {
            depth -= 1;
            if depth == 0 {
                return Some(k + 1);
            }
        }
    }
    None
}

/// Whether two names denote the same variable, ignoring case, `_`/`-` and a
/// `self.`-style qualifier on the key: `token=token`, `this.apiKey = api_key`.
fn same_name(value: &str, key: &str) -> bool {
    let norm = |s: &str| -> String {
        s.bytes()
            .filter(|c| !matches!(c, b'_' | b'-'))
            .map(|c| c.to_ascii_lowercase() as char)
            .collect()
    };
    let v = norm(value);
    let last = key.rsplit('.').next().unwrap_or(key);
    !v.is_empty() && (v == norm(key) || v == norm(last))
}

/// Identifier words that make a *variable* name secret-sounding
/// (`api_key`, `newToken`, `db_password`).
fn names_a_secret(ident: &str) -> bool {
    #[rustfmt::skip]
    const SECRET_WORDS: &[&str] = &[
        "token", "tokens", "key", "keys", "secret", "secrets", "password", "passwords",
        "passwd", "pwd", "pass", "auth", "credential", "credentials", "apikey", "passphrase",
        "authorization",
    ];
    words(ident)
        .iter()
        .any(|w| SECRET_WORDS.contains(&w.as_str()))
}

/// Classifies a key name, or `None` if it does not suggest a credential.
///
/// The name is split into words (`_`, `-`, `.` and camelCase boundaries).
/// A word containing `passw`, `passphrase`, `secret` or `credential`, ending
/// in `pwd`, or `pass` as the last of several words (`DB_PASS`) makes a
/// [`KeyName::Password`]; one containing `token` or `auth` a
/// [`KeyName::Token`]. Look-alikes do not count (`author…`, `keyword`,
/// `tokenizer`, …).
///
/// `key` is weaker: the word (or a word ending in it) is a token only with a
/// qualifier such as `api`, `secret`, `private`, `access`, `signing`
/// (`api_key`, `SigningKey`, `apikey`); with `primary`, `sort`, `cache`,
/// `map`, `public`, … it is a data-structure or public key and does not
/// count; otherwise (`key`, `my_key`, `hotkey`) it is ambiguous.
///
/// Also:
/// - metadata about a secret is not the secret: a last word such as `type`,
///   `url`, `path`, `file`, `name`, `len`, `header`, `env`, `ttl`, `max` or a
///   first word such as `max`, `num`, `is`, `use` (`token_type`, `auth_url`,
///   `key_path`, `max_tokens`, `use_auth`).
fn key_name(key: &str) -> Option<KeyName> {
    // Most keys in code name nothing secret; skip splitting them into words.
    let hint = |root: &[u8]| {
        key.as_bytes()
            .windows(root.len())
            .any(|w| w.eq_ignore_ascii_case(root))
    };
    if ![
        &b"key"[..],
        b"token",
        b"secret",
        b"pass",
        b"pwd",
        b"auth",
        b"credential",
    ]
    .into_iter()
    .any(hint)
    {
        return None;
    }
    #[rustfmt::skip]
    const PASSWORD_ROOTS: &[&str] = &[
        "passw", "passphrase", "secret", "credential",
    ];
    #[rustfmt::skip]
    const TOKEN_ROOTS: &[&str] = &[
        "token", "auth",
    ];
    #[rustfmt::skip]
    const LOOKALIKES: &[&str] = &[
        "author", "keyboard", "keyword", "keyframe", "keypress", "keydown", "keyup", "keycode",
        "keymap", "keystroke", "monkey", "donkey", "turkey", "hockey", "jockey", "whiskey",
        "tokeniz",
    ];
    #[rustfmt::skip]
    const STRONG_QUALIFIERS: &[&str] = &[
        "api", "private", "priv", "secret", "access", "signing", "sign", "encryption",
        "encrypt", "decryption", "master", "client", "app", "license", "licence", "ssh", "gpg",
        "pgp", "hmac", "aes", "rsa", "jwt", "session", "service", "account", "admin", "deploy",
        "shared", "crypto", "cipher", "auth", "subscription", "ingest", "webhook", "consumer",
        "storage", "server", "mac", "symmetric", "wrapping", "kms", "x", "live", "prod", "pass",
        "enc", "stripe", "openai", "google", "aws", "azure", "gcp", "github", "slack",
        "sendgrid", "twilio", "mailgun",
    ];
    #[rustfmt::skip]
    const DATA_QUALIFIERS: &[&str] = &[
        "primary", "foreign", "sort", "cache", "partition", "range", "lookup", "map", "dict",
        "row", "unique", "composite", "group", "order", "index", "dedup", "idempotency",
        "translation", "i18n", "message", "label", "public", "pub", "hash", "match", "search",
        "query", "object", "entry", "item", "field", "column", "table", "sequence",
    ];
    #[rustfmt::skip]
    const META_LAST: &[&str] = &[
        "type", "kind", "url", "uri", "endpoint", "path", "file", "filename", "dir",
        "directory", "name", "len", "length", "size", "count", "header", "field", "env", "var",
        "prefix", "suffix", "format", "alg", "algorithm", "ttl", "timeout", "expiry", "expires",
        "expiration", "lifetime", "at", "index", "idx", "column", "mode", "method", "scheme",
        "version", "bits", "max", "min", "start", "end", "range", "hint", "hdr", "state",
        "status", "spec", "number", "num", "offset", "pos", "position", "line", "policy",
        "rule", "rules", "config", "settings", "options", "strength", "store", "manager",
    ];
    #[rustfmt::skip]
    const META_FIRST: &[&str] = &[
        "max", "min", "num", "total", "is", "has", "use", "enable", "enabled", "should",
        "allow", "require", "skip",
    ];
    let ws = words(key);
    let (first, last) = (ws.first()?, ws.last()?);
    if ws.len() > 1 && (META_LAST.contains(&last.as_str()) || META_FIRST.contains(&first.as_str()))
    {
        return None;
    }
    let mut name = None;
    let mut raise = |to: KeyName| name = name.max(Some(to));
    for (n, w) in ws.iter().enumerate() {
        let lookalike = LOOKALIKES.iter().any(|l| w.starts_with(l))
            && !w.starts_with("authoriz")
            && !w.starts_with("authoris");
        if lookalike {
            continue;
        }
        let stem = w.strip_suffix('s').unwrap_or(w);
        if let Some(fused) = stem.strip_suffix("key") {
            // `apikey` carries its qualifier; `api_key` has it as the
            // previous word.
            let qualifier = if fused.is_empty() {
                n.checked_sub(1).map(|p| ws[p].as_str())
            } else {
                Some(fused)
            };
            match qualifier {
                Some(q) if STRONG_QUALIFIERS.contains(&q) => raise(KeyName::Token),
                Some(q) if DATA_QUALIFIERS.contains(&q) => {}
                _ => raise(KeyName::Ambiguous),
            }
        } else if PASSWORD_ROOTS.iter().any(|r| w.contains(r))
            || w.ends_with("pwd")
            || (w == "pass" && n > 0 && n + 1 == ws.len())
        {
            raise(KeyName::Password);
        } else if TOKEN_ROOTS.iter().any(|r| w.contains(r)) {
            raise(KeyName::Token);
        }
    }
    name
}

/// Lower-cased words of an identifier, split at non-alphanumerics and at
/// camelCase boundaries (`APIKey` → `api`, `key`).
fn words(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut current = String::new();
    for (k, &c) in b.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let prev = b[k - 1];
            let next_lower = b.get(k + 1).is_some_and(u8::is_ascii_lowercase);
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push(std::mem::take(&mut current));
            }
        }
        current.push(c.to_ascii_lowercase() as char);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Fake secrets in real formats. They are assembled at run time so that
    // the source holds no string a secret scanner would flag.

    fn ghp() -> String {
        ["gh", "p_FAKE0123456789abcdefFAKE0123456789ab"].concat()
    }

    fn gho() -> String {
        ["gh", "o_FAKEfakeFAKEfake0123456789FAKEfake01"].concat()
    }

    fn ghs() -> String {
        ["gh", "s_0123456789FAKEfakeFAKEfakeFAKEfake99"].concat()
    }

    fn github_pat() -> String {
        let tail = "FAKEfakeFAKEfake0123456789abcdefFAKEfakeFAKEfake0123456789abc";
        ["github_", "pat_11FAKE0123456789abcdef_", tail].concat()
    }

    fn aws_key_id() -> String {
        ["AK", "IAFAKE0123456789XY"].concat()
    }

    fn aws_secret() -> String {
        ["wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYFAKEFAKEKE"].concat()
    }

    fn slack_bot() -> String {
        ["xo", "xb-123456789012-1234567890123-FAKEfakeFAKEfake0000"].concat()
    }

    fn npm() -> String {
        ["np", "m_FAKEfake0123456789FAKEfake0123456789"].concat()
    }

    fn google() -> String {
        ["AI", "zaSyFAKE0123456789fakeFAKEfake0123456"].concat()
    }

    fn gitlab() -> String {
        ["gl", "pat-FAKEfake0123456789xy"].concat()
    }

    fn jwt() -> String {
        let header = ["ey", "JhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"].concat();
        let payload = ["ey", "JzdWIiOiJmYWtlLXVzZXIiLCJpYXQiOjE1MTYyMzkwMjJ9"].concat();
        format!("{header}.{payload}.FAKEsig_0123456789-FAKEsignatureFAKE")
    }

    /// base64 of "Base64FAKEblobForTesting0123456789".
    const BLOB: &str = "QmFzZTY0RkFLRWJsb2JGb3JUZXN0aW5nMDEyMzQ1Njc4OQ==";

    const PEM_BODY: [&str; 3] = [
        "MIIEpAIBAAKCAQEAFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfake",
        "FAKEKEYMATERIALfake0123456789abcdefFAKEfakeFAKEfakeFAKEfake+/AB",
        "3xYzFAKEtailFAKE0123==",
    ];

    fn pem(label: &str) -> String {
        let [a, b, c] = PEM_BODY;
        let (begin, end) = ("-----BEGIN", "-----END");
        format!("{begin} {label}PRIVATE KEY-----\n{a}\n{b}\n{c}\n{end} {label}PRIVATE KEY-----")
    }

    /// (line, secret that must not survive, kind that must be named). In
    /// the template, `{}` stands for the secret.
    fn secret_corpus() -> Vec<(String, String, &'static str)> {
        let cases: Vec<(&str, String, &str)> = vec![
            // Python, shell, YAML, Rust, JS with vendor tokens.
            ("GITHUB_TOKEN = \"{}\"", ghp(), "github-token"),
            ("export GH_TOKEN={}", gho(), "github-token"),
            ("  token: {}", ghs(), "github-token"),
            (
                "git clone https://x-access-token:{}@github.com/o/r.git",
                ghs(),
                "github-token",
            ),
            ("let pat = \"{}\";", github_pat(), "github-token"),
            ("AWS_ACCESS_KEY_ID={}", aws_key_id(), "aws-access-key-id"),
            ("aws_secret_access_key = {}", aws_secret(), "aws-secret-key"),
            (
                "    \"aws_secret_access_key\": \"{}\",",
                aws_secret(),
                "aws-secret-key",
            ),
            ("cfg = Config(blob=\"{}\")", aws_secret(), "base64-blob"),
            ("SLACK_BOT_TOKEN: {}", slack_bot(), "slack-token"),
            ("ENV NPM_TOKEN={}", npm(), "npm-token"),
            ("const key = \"{}\";", google(), "google-api-key"),
            ("gitlab_token: {}", gitlab(), "gitlab-token"),
            ("payload = \"{}\"", BLOB.into(), "base64-blob"),
            // Webhooks, JWTs and bearer tokens (HTTP headers, curl, requests).
            (
                "url = \"https://hooks.slack.com/services/{}\"",
                "T00FAKE00/B00FAKE00/FAKEfakeFAKEfake00000000".into(),
                "slack-webhook",
            ),
            ("const jwt = \"{}\";", jwt(), "jwt"),
            (
                "Authorization: Bearer {}",
                "abcDEF123456FAKEtoken".into(),
                "bearer-token",
            ),
            (
                "curl -H \"Authorization: Bearer {}\" https://api.example.com/me",
                jwt(),
                "bearer-token",
            ),
            (
                "r = requests.get(u, headers={\"Authorization\": \"Bearer {}\"})",
                jwt(),
                "bearer-token",
            ),
            (
                "Authorization: Basic {}",
                "dXNlcjpGQUtFcGFzcw".into(),
                "assignment",
            ),
            ("X-Api-Key: {}", "FAKEapikey0123456789".into(), "assignment"),
            // Assignments in many syntaxes.
            (
                "let password = \"{}\";",
                "hunter2-FAKE".into(),
                "assignment",
            ),
            ("  \"password\": \"{}\",", "hunter2".into(), "assignment"),
            ("DB_PASSWORD={}", "s3cr3t-FAKE".into(), "assignment"),
            (
                "client-secret: {}",
                "FAKEclientSECRET42".into(),
                "assignment",
            ),
            ("apiKey := \"{}\"", "FAKE-api-key-1234".into(), "assignment"),
            (
                "    'password' => '{}',",
                "hunter2fake".into(),
                "assignment",
            ),
            ("$password = \"{}\";", "FAKEphp".into(), "assignment"),
            ("api_key = \"{}\"", "supersecret".into(), "assignment"),
            (
                "pub const API_KEY: &str = \"{}\";",
                "FAKE-key-0123456789".into(),
                "assignment",
            ),
            (
                "    api_key: str = \"{}\"",
                "FAKE-key-9876543210".into(),
                "assignment",
            ),
            (
                "password: correct {} staple",
                "horse battery".into(),
                "assignment",
            ),
            (
                "      POSTGRES_PASSWORD: {}",
                "FAKEpostgres".into(),
                "assignment",
            ),
            (
                "client = Client(api_key=\"{}\", timeout=30)",
                "FAKE-sk-0123".into(),
                "assignment",
            ),
            (
                "    password: Some(\"{}\".into()),",
                "FAKEhunter2".into(),
                "assignment",
            ),
            (
                "fetch(\"https://api.example.com/items?api_key={}&q=x\")",
                "FAKE0123".into(),
                "assignment",
            ),
            (
                "settings['db_password'] = '{}'",
                "FAKEpw!42".into(),
                "assignment",
            ),
            (
                "<add name=\"db\" connectionString=\"Server=db;Password={};\" />",
                "FAKEpw123".into(),
                "assignment",
            ),
            ("TOKEN ?= {}", "FAKEmake0123".into(), "assignment"),
            ("./deploy --password={}", "FAKEcli0123".into(), "assignment"),
            (
                "    <password>{}</password>",
                "FAKEmaven".into(),
                "assignment",
            ),
            (
                "SECRET_KEY = \"{}\"",
                "django-insecure-FAKE".into(),
                "assignment",
            ),
            ("# password: {}", "FAKEold1".into(), "assignment"),
            (
                "{\"auth\": {\"token\": \"{}\"}}",
                "FAKEtok3n".into(),
                "assignment",
            ),
            (
                "DATABASE_URL=postgres://admin:{}@db.example.com:5432/app",
                "FAKEpassw0rd".into(),
                "url-credentials",
            ),
        ];
        let mut corpus: Vec<(String, String, &'static str)> = cases
            .into_iter()
            .map(|(template, secret, kind)| (template.replacen("{}", &secret, 1), secret, kind))
            .collect();
        let [a, b, _] = PEM_BODY;
        for label in ["RSA ", "EC ", "OPENSSH ", "DSA ", "ENCRYPTED ", ""] {
            corpus.push((pem(label), a.into(), "private-key"));
            corpus.push((
                format!("key = '''\n{}\n'''", pem(label)),
                b.into(),
                "private-key",
            ));
        }
        let yaml = pem("OPENSSH ").replace('\n', "\n  ");
        corpus.push((
            format!("ssh_key: |\n  {yaml}\nname: deploy"),
            a.into(),
            "private-key",
        ));
        let json = pem("").replace('\n', "\\n");
        corpus.push((
            format!("{{\"private_key\": \"{json}\\n\"}}"),
            b.into(),
            "private-key",
        ));
        corpus
    }

    /// Ordinary code and config that must come through untouched.
    const CLEAN_CORPUS: &[&str] = &[
        // Commit ids, digests, identifiers, paths and URLs.
        "commit 2f4e8c1d9a7b6e5f4c3d2b1a0f9e8d7c6b5a4f3e",
        "git checkout 2f4e8c1d9a7b6e5f4c3d2b1a0f9e8d7c6b5a4f3e -- src/lib.rs",
        "// see https://github.com/rwf2/Rocket/commit/c74bcfd40a47b35330db6cafb88e4f3da83e0d17",
        "checksum = \"f020237b6c8eed93db2e2cb53c00c60a8e1bc73da7d073199a1180401450218d\"",
        "sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "let thisIsAVeryLongCamelCaseIdentifierNameInCode = compute();",
        "AbstractSingletonProxyFactoryBean2Handler::new()",
        "import src/main/java/com/example/v2/MyController.java",
        "https://github.com/rust-lang/regex/blob/master/src/lib.rs",
        "https://docs.rs/regex/latest/regex/struct.Regex.html#method.find_at",
        "https://example.com/login?next=/home&lang=en",
        "git@github.com:owner/repo.git",
        "-----BEGIN CERTIFICATE-----",
        "use sha2::{Digest, Sha256};",
        // Secret-sounding names bound to code, not literals.
        "let key = map.get(k);",
        "token = self.next_token()",
        "secret = os.environ[\"SECRET\"]",
        "password = None",
        "    key: String,",
        "    pub token: Token,",
        "    api_key: Option<String>,",
        "    secret: [u8; 32],",
        "api_key = getenv(\"API_KEY\")",
        "if key == other {",
        "if token != \"\" && key === value {",
        "password = \"\"",
        "fn sign(&self, key: &SigningKey) -> Signature {",
        "pub fn new(api_key: &str) -> Self {",
        "fn parse<I: Stream<Token = u8>>(input: I) -> Self {",
        "for (key, value) in map.iter() {",
        "let (key, value) = pair;",
        "sorted(items, key=lambda x: x[1])",
        "self.api_key = api_key",
        "this.apiKey = options.apiKey;",
        "headers[\"X-Api-Key\"] = api_key",
        "const apiKey = process.env.API_KEY;",
        "let token = std::env::var(\"GITHUB_TOKEN\")?;",
        "let signing_key = SigningKey::<Sha256>::new(private_key);",
        "let tokens = quote! { #name };",
        "($tokens:ident) => {}",
        "let key_range = key_start..value_range.end;",
        "const SECRET_FILE_PERMS: u32 = 0o600;",
        "password_hash = bcrypt.hashpw(pw, salt)",
        "password = getpass.getpass(prompt=\"Password: \")",
        "KeyPair { secret: sk, public: pk }",
        "Some(key) => cache.insert(key, value),",
        "client = Client(token=token, timeout=30)",
        "key := m[k]",
        "\tToken string `json:\"token\"`",
        "println!(\"{key}: {value}\");",
        "x = a ? key : fallback;",
        "if token is None:",
        "primary_key=True",
        "let sum: u64 = values.iter().sum();",
        // Templates, references and placeholders.
        "        token: ${{ secrets.GITHUB_TOKEN }}",
        "export GITHUB_TOKEN=\"$(gh auth token)\"",
        "headers = {\"Authorization\": f\"Bearer {token}\"}",
        "headers[\"Authorization\"] = \"Bearer \" + token",
        "key = f\"user:{user_id}\"",
        "          secretKeyRef:\n            key: password",
        // Settings and metadata about secrets.
        "max_tokens: 4096",
        "password_file: /run/secrets/db",
        "token_type: bearer",
        "auth: none",
        "      persist-credentials: false",
        "    permissions:\n      id-token: write",
        "needless_pass_by_value = \"allow\"",
        "\"input_token\": \"NextMarker\",",
        "  \"author\": \"Jane Doe <jane@example.com>\",",
        "keywords = [\"git\", \"audit\"]",
        "key = \"value\"",
        "<key>name</key>",
        "    Token: '#d8dee9',",
        // Prose and documentation.
        "    Args:\n        api_key: The API key used to authenticate requests.",
        "    :param token: the token to revoke",
        "# Use Bearer authentication for every request.",
        "# First pass: determine the maximum length",
        "# Keep Authorization: headers on a redirect.",
    ];

    #[test]
    fn secrets_are_redacted_with_their_kind() {
        for (line, secret, kind) in secret_corpus() {
            let out = redact(&line);
            assert!(
                !out.contains(&secret),
                "secret survived in {out:?} (from {line:?})"
            );
            let label = format!("[REDACTED:{kind}]");
            assert!(
                out.contains(&label),
                "expected {label} in {out:?} (from {line:?})"
            );
        }
    }

    #[test]
    fn ordinary_code_is_unchanged() {
        for &line in CLEAN_CORPUS {
            let out = redact(line);
            assert!(
                matches!(out, Cow::Borrowed(_)),
                "false positive: {line:?} -> {out:?}"
            );
        }
    }

    #[test]
    fn keys_and_separators_survive() {
        let cases = [
            (
                "password = \"hunter2\"",
                "password = \"[REDACTED:assignment]\"",
            ),
            (
                "\"apiKey\": \"abc123\",",
                "\"apiKey\": \"[REDACTED:assignment]\",",
            ),
            ("DB_PASSWORD=hunter2", "DB_PASSWORD=[REDACTED:assignment]"),
            (
                "Authorization: Bearer abcDEF123456",
                "Authorization: Bearer [REDACTED:bearer-token]",
            ),
            (
                "postgres://admin:pw123@db/app",
                "postgres://admin:[REDACTED:url-credentials]@db/app",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input), expected);
        }
    }

    #[test]
    fn overlapping_matches_leave_no_fragment() {
        let line = format!("GITHUB_TOKEN=\"xx{}\" # Bearer {}", ghp(), jwt());
        let out = redact(&line);
        let expected = "GITHUB_TOKEN=\"[REDACTED:github-token]\" # Bearer [REDACTED:bearer-token]";
        assert_eq!(out, expected);
        for part in jwt().split('.') {
            assert!(!out.contains(part), "{out:?} kept {part:?}");
        }
    }

    #[test]
    fn pem_without_end_is_redacted_to_end_of_text() {
        let [a, b, _] = PEM_BODY;
        let begin = ["-----BEGIN", " RSA PRIVATE KEY-----"].concat();
        let text = format!("fn load() {{\n    let k = r\"{begin}\n{a}\n{b}");
        assert_eq!(
            redact(&text),
            "fn load() {\n    let k = r\"[REDACTED:private-key]"
        );
    }

    #[test]
    fn pem_without_begin_is_redacted_from_start_of_text() {
        let [a, b, c] = PEM_BODY;
        let end = ["-----END", " PRIVATE KEY-----"].concat();
        let text = format!("{a}\n{b}\n{c}\n{end}\n\"\"\")\nprint(key)");
        assert_eq!(redact(&text), "[REDACTED:private-key]\n\"\"\")\nprint(key)");
    }

    #[test]
    fn whole_pem_block_becomes_one_marker() {
        let text = format!("before\n{}\nafter", pem("EC "));
        assert_eq!(redact(&text), "before\n[REDACTED:private-key]\nafter");
    }

    #[test]
    fn redaction_is_idempotent() {
        let mut inputs: Vec<String> = secret_corpus().into_iter().map(|(l, _, _)| l).collect();
        inputs.extend(CLEAN_CORPUS.iter().map(|&l| String::from(l)));
        inputs.push(inputs.join("\n"));
        // Deterministic pseudo-random splices exercise interactions between
        // rules that no hand-written case covers.
        let pieces = inputs.clone();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..500 {
            let mut s = String::new();
            for _ in 0..4 {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let p = &pieces[(seed >> 33) as usize % pieces.len()];
                let cut = floor_char_boundary(p, (seed >> 13) as usize % (p.len() + 1));
                s.push_str(if seed & 1 == 0 { &p[..cut] } else { &p[cut..] });
                s.push_str(["", " ", "\n", "=", ": ", "\""][(seed >> 7) as usize % 6]);
            }
            inputs.push(s);
        }
        for input in &inputs {
            let once = redact(input).into_owned();
            assert_eq!(redact(&once), once, "not idempotent for {input:?}");
        }
    }

    #[test]
    fn unicode_input_is_handled() {
        let text = "password = \"pässwörd✓\" // ключ\ntoken: 秘密の値";
        let expected = "password = \"[REDACTED:assignment]\" // ключ\ntoken: [REDACTED:assignment]";
        assert_eq!(redact(text), expected);
    }
}
