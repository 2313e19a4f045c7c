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
//! ordinary code is blanked out is useless as evidence. Each rule's file
//! documents where it draws that line.
//!
//! The whole `evidence add` call has a budget of a few milliseconds, process
//! start included, so nothing here costs what the text does not need: the
//! credential formats are `regex`es compiled lazily, one rule at a time, when
//! an Aho-Corasick scan for their keywords says they can match (see
//! [`formats`]); the context rules are linear byte scans.
//!
//! All rules report byte spans. Overlapping spans are merged before the text is
//! rewritten, so no fragment of a secret survives between two markers. Every
//! rule declines to fire on text that is already a `[REDACTED:…]` marker, and
//! the one rule that reads context (assignments) reads the other rules'
//! findings as the markers they will become; together that keeps `redact`
//! idempotent.
//!
//! One file per rule family: [`pem`], [`formats`], [`urls`], [`blobs`],
//! [`entropy`] and [`assignment`]. This file runs them and rewrites the
//! text. A test of one family sits in that family's file; tests that span
//! families (overlap, idempotence) are here, and the corpora in `corpus.rs`.

mod assignment;
mod blobs;
#[cfg(test)]
mod corpus;
mod entropy;
mod formats;
mod pem;
mod urls;

use std::borrow::Cow;

use assignment::assignments;
use blobs::base64_blobs;
use entropy::high_entropy_strings;
use formats::format_tokens;
use pem::private_keys;
use urls::url_credentials;

const MARKER_OPEN: &str = "[REDACTED:";

/// What a redaction removed; the slug is what readers see in the marker.
///
/// Declaration order is the label priority when detections overlap: the most
/// specific description of what was removed wins (a GitHub token that is also
/// the value of `GITHUB_TOKEN=` is reported as `github-token`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    PrivateKey,
    /// A provider's credential format; the slug names the provider.
    Token(&'static str),
    BearerToken,
    Jwt,
    AwsSecretKey,
    UrlCredentials,
    Base64Blob,
    Assignment,
    HighEntropy,
}

impl Kind {
    fn slug(self) -> &'static str {
        match self {
            Kind::PrivateKey => "private-key",
            Kind::Token(slug) => slug,
            Kind::BearerToken => "bearer-token",
            Kind::Jwt => "jwt",
            Kind::AwsSecretKey => "aws-secret-key",
            Kind::UrlCredentials => "url-credentials",
            Kind::Base64Blob => "base64-blob",
            Kind::Assignment => "assignment",
            Kind::HighEntropy => "high-entropy",
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
/// `<kind>` names the rule that fired: a provider's format (`github-token`,
/// `stripe-key`, `aws-access-key-id`, … see docs/security.md), or
/// `private-key`, `jwt`, `bearer-token`, `aws-secret-key`, `url-credentials`,
/// `base64-blob`, `assignment`, `high-entropy`.
/// Returns `Cow::Borrowed` when nothing matched. Idempotent:
/// `redact(&redact(x)) == redact(x)`.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut spans = Vec::new();
    private_keys(text, &mut spans);
    format_tokens(text, &mut spans);
    url_credentials(text, &mut spans);
    base64_blobs(text, &mut spans);
    high_entropy_strings(text, &mut spans);
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

#[cfg(test)]
mod tests {
    use super::pem::tests::{PEM_BODY, pem};
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
}
