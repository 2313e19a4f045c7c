//! The format table: one entry per credential format a provider publishes.
//!
//! Each rule names the literal pieces its pattern cannot match without
//! (`keywords`, matched case-sensitively), so that [`super`] compiles only
//! the rules whose keywords occur in the text. A rule with no keywords has no
//! literal to wait for and is compiled for every text; there are few of
//! them, and their patterns are small.
//!
//! Patterns are `regex` syntax with ASCII classes spelled out (`\w` would
//! be Unicode). Where a format's body is a fixed length the pattern says so;
//! where the prefix alone is decisive the body has a minimum only, so a
//! token cut at the edge of a snippet still goes, and `word` grows the match
//! over adjacent letters and digits so that no stub of a token glued to
//! other text survives. Sources: the providers' own documentation of their
//! token formats (GitHub, GitLab, Slack, Stripe, Twilio, …) and the rules of
//! widely used scanners (gitleaks, TruffleHog) where a provider documents
//! only a prefix.

use super::super::Kind;
use super::checksum::{github_body_checksum_holds, plausible_bearer};

/// One credential format.
pub(in crate::evidence::redact) struct Rule {
    /// Shown in the marker (`[REDACTED:<slug>]`) through `kind`.
    pub kind: Kind,
    /// Literal substrings one of which every match contains; empty: always run.
    pub keywords: &'static [&'static str],
    /// The pattern.
    pub pattern: &'static str,
    /// The capture group holding the secret; 0 is the whole match.
    pub group: usize,
    /// Grow the match over adjacent ASCII letters and digits.
    pub word: bool,
    /// A further test of the secret (a checksum, a plausibility test).
    pub check: Option<fn(&str) -> bool>,
}

const fn token(
    slug: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
) -> Rule {
    Rule {
        kind: Kind::Token(slug),
        keywords,
        pattern,
        group: 0,
        word: true,
        check: None,
    }
}

/// A format that needs word boundaries of its own (no literal prefix that
/// is decisive on its own, or a body that ends in `-`), so no word growth.
const fn bounded(
    slug: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
) -> Rule {
    Rule {
        word: false,
        ..token(slug, keywords, pattern)
    }
}

/// A format whose secret is one capture group of a larger match.
const fn captured(kind: Kind, keywords: &'static [&'static str], pattern: &'static str) -> Rule {
    Rule {
        kind,
        keywords,
        pattern,
        group: 1,
        word: false,
        check: None,
    }
}

const GITLAB_PREFIXES: &[&str] = &[
    "glpat-",
    "gldt-",
    "glptt-",
    "glcbt-",
    "glft-",
    "glimt-",
    "glagent-",
    "gloas-",
    "glsoat-",
    "glrt-",
    "glrtr-",
    "GR1348941",
];

const AWS_PREFIXES: &[&str] = &[
    "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA", "A3T",
];

/// Every format, most specific first within a provider.
#[rustfmt::skip]
pub(in crate::evidence::redact) const RULES: &[Rule] = &[
    // GitHub: classic tokens are 30 base62 characters and a 6-character
    // base62 CRC32 of them; fine-grained tokens are `github_pat_` 22 `_` 59.
    token("github-token", &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], r"gh[pousr]_[A-Za-z0-9]{30,}"),
    token("github-token", &["github_pat_"], r"github_pat_[A-Za-z0-9_]{20,}"),
    // A 36-character base62 word whose last six characters are the CRC32 of
    // the first thirty: a GitHub or npm token body that lost its prefix
    // (`"gh" + "p_…"`). One random word in 2^32 passes the checksum.
    Rule {
        check: Some(github_body_checksum_holds),
        ..bounded("github-token", &[], r"(?-u:\b)[A-Za-z0-9]{36}(?-u:\b)")
    },
    token("gitlab-token", GITLAB_PREFIXES, r"(?:gl(?:pat|dt|ptt|cbt|ft|imt|agent|oas|soat|rt|rtr)-|GR1348941)[A-Za-z0-9_.-]{20,}"),
    token("npm-token", &["npm_"], r"npm_[A-Za-z0-9]{36,}"),
    token("google-api-key", &["AIza"], r"AIza[A-Za-z0-9_-]{35}"),
    token("aws-access-key-id", AWS_PREFIXES, r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}"),
    captured(Kind::Token("azure-storage-key"), &["AccountKey="], r"AccountKey=([A-Za-z0-9+/]{86}==)"),
    // Slack: bot, user, app, refresh and configuration tokens; webhooks.
    token("slack-token", &["xoxa-", "xoxb-", "xoxo-", "xoxp-", "xoxr-", "xoxs-", "xoxe-", "xoxe.", "xapp-"],
        r"(?:xox[abposre]|xoxe\.xox[bp]|xapp)-[A-Za-z0-9-]{10,}"),
    captured(Kind::Token("slack-webhook"), &["hooks.slack.com/"],
        r"hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9/_-]{8,})"),
    captured(Kind::Token("discord-webhook"), &["/api/webhooks/"],
        r"discord(?:app)?\.com/api/webhooks/([0-9]+/[A-Za-z0-9_-]{20,})"),
    // Discord bot tokens: base64 of the bot's id, a timestamp, an HMAC.
    bounded("discord-bot-token", &[], r"(?-u:\b)[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}"),
    bounded("telegram-bot-token", &[":A"], r"(?-u:\b)[0-9]{5,16}:A[A-Za-z0-9_-]{34}"),
    // Payments.
    token("stripe-key", &["sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_", "rk_prod_"],
        r"[sr]k_(?:live|test|prod)_[A-Za-z0-9]{10,}"),
    token("stripe-webhook-secret", &["whsec_"], r"whsec_[A-Za-z0-9+/=]{24,}"),
    token("square-token", &["EAAA"], r"EAAA[A-Za-z0-9_-]{60}"),
    token("square-token", &["sq0atp-"], r"sq0atp-[A-Za-z0-9_-]{22}"),
    token("square-secret", &["sq0csp-"], r"sq0csp-[A-Za-z0-9_-]{43}"),
    token("shippo-token", &["shippo_"], r"shippo_(?:live|test)_[a-f0-9]{40}"),
    bounded("flutterwave-key", &["FLWSECK"], r"FLWSECK(?:_TEST)?-[a-h0-9]{32}-X"),
    // Messaging and mail.
    bounded("twilio-api-key", &["SK"], r"(?-u:\b)SK[0-9a-fA-F]{32}(?-u:\b)"),
    bounded("twilio-account-sid", &["AC"], r"(?-u:\b)AC[0-9a-f]{32}(?-u:\b)"),
    bounded("sendgrid-key", &["SG."], r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"),
    bounded("mailgun-key", &["key-"], r"(?-u:\b)key-[0-9a-f]{32}(?-u:\b)"),
    bounded("mailchimp-key", &["-us"], r"(?-u:\b)[0-9a-f]{32}-us[0-9]{1,2}(?-u:\b)"),
    token("brevo-key", &["xkeysib-", "xsmtpsib-"], r"x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}"),
    // Cloud and hosting.
    captured(Kind::Token("azure-client-secret"), &["Q~"],
        r#"(?m)(?:^|[\\'"`\s>=:(,)/])([A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})(?:$|[\\'"`\s<),;&/])"#),
    token("digitalocean-token", &["dop_v1_", "doo_v1_", "dor_v1_"], r"do[opr]_v1_[a-f0-9]{64}"),
    token("heroku-key", &["HRKU-"], r"HRKU-AA[A-Za-z0-9_-]{58}"),
    captured(Kind::Token("heroku-key"), &["heroku", "HEROKU", "Heroku"],
        r#"(?i)heroku[a-z0-9_.-]{0,20}["']?\s*(?:=|:|:=|=>|,)?\s*["']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"#),
    token("shopify-token", &["shpat_", "shpca_", "shppa_", "shpss_"], r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),
    token("databricks-token", &["dapi"], r"dapi[a-f0-9]{32}(?:-[0-9]+)?"),
    token("alibaba-key-id", &["LTAI"], r"LTAI[A-Za-z0-9]{20}"),
    token("cloudflare-origin-ca-key", &["v1.0-"], r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}"),
    token("vault-token", &["hvs.", "hvb."], r"hv[sb]\.[A-Za-z0-9_-]{24,}"),
    token("terraform-token", &[".atlasv1."], r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}"),
    token("doppler-token", &["dp."], r"dp\.(?:pt|st|sa|ct|scim|audit)\.(?:[a-z0-9_-]{2,35}\.)?[A-Za-z0-9]{40,44}"),
    token("pulumi-token", &["pul-"], r"pul-[a-f0-9]{40}"),
    token("fly-token", &["fo1_"], r"fo1_[A-Za-z0-9_-]{43}"),
    token("netlify-token", &["nfp_"], r"nfp_[A-Za-z0-9]{36}"),
    token("supabase-token", &["sbp_"], r"sbp_[a-f0-9]{40}"),
    token("planetscale-token", &["pscale_"], r"pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_=.-]{32,64}"),
    token("docker-hub-token", &["dckr_pat_", "dckr_oat_"], r"dckr_(?:pat|oat)_[A-Za-z0-9_-]{27}"),
    token("grafana-token", &["glsa_"], r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"),
    token("grafana-token", &["glc_"], r"glc_[A-Za-z0-9+/]{32,}={0,2}"),
    token("grafana-token", &["eyJrIjoi"], r"eyJrIjoi[A-Za-z0-9+/]{70,}={0,2}"),
    token("new-relic-key", &["NRAK-"], r"NRAK-[A-Z0-9]{27}"),
    token("dynatrace-token", &["dt0c01."], r"dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}"),
    token("sentry-token", &["sntrys_"], r"sntrys_eyJ[A-Za-z0-9+/=_-]{60,}"),
    token("sentry-token", &["sntryu_"], r"sntryu_[a-f0-9]{64}"),
    token("mapbox-token", &["sk.eyJ"], r"sk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}"),
    // AI services.
    token("openai-key", &["sk-proj-", "sk-svcacct-", "sk-admin-"], r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}"),
    token("openai-key", &["T3BlbkFJ"], r"sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}"),
    token("anthropic-key", &["sk-ant-"], r"sk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{80,}"),
    bounded("huggingface-token", &["hf_"], r"(?-u:\b)hf_[A-Za-z]{34}(?-u:\b)"),
    bounded("huggingface-token", &["api_org_"], r"(?-u:\b)api_org_[A-Za-z]{34}(?-u:\b)"),
    // Developer tools and registries.
    token("pypi-token", &["pypi-AgEIcHlwaS5vcmc"], r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"),
    token("rubygems-key", &["rubygems_"], r"rubygems_[a-f0-9]{48}"),
    token("clojars-token", &["CLOJARS_"], r"CLOJARS_[a-z0-9]{60}"),
    token("artifactory-key", &["AKCp"], r"AKCp[A-Za-z0-9]{69}"),
    token("atlassian-token", &["ATATT3"], r"ATATT3[A-Za-z0-9_=-]{100,}"),
    token("postman-key", &["PMAK-"], r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}"),
    token("linear-key", &["lin_api_"], r"lin_api_[A-Za-z0-9]{40}"),
    token("buildkite-token", &["bkua_"], r"bkua_[a-f0-9]{40}"),
    token("contentful-token", &["CFPAT-"], r"CFPAT-[A-Za-z0-9_-]{43}"),
    token("readme-key", &["rdme_"], r"rdme_[a-z0-9]{70}"),
    token("prefect-key", &["pnu_"], r"pnu_[A-Za-z0-9]{36}"),
    token("figma-token", &["figd_"], r"figd_[A-Za-z0-9_-]{40}"),
    token("airtable-token", &["pat"], r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}"),
    token("notion-token", &["ntn_"], r"ntn_[0-9]{11}[A-Za-z0-9]{35}"),
    token("notion-token", &["secret_"], r"secret_[A-Za-z0-9]{43}"),
    token("onepassword-token", &["ops_eyJ"], r"ops_eyJ[A-Za-z0-9+/=_-]{100,}"),
    token("facebook-token", &["EAACEdEose0cBA"], r"EAACEdEose0cBA[A-Za-z0-9]{20,}"),
    bounded("age-secret-key", &["AGE-SECRET-KEY-1"], r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"),
    // Generic shapes: JWTs and the token after `Bearer`.
    Rule { kind: Kind::Jwt, ..token("jwt", &["eyJ"], r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*") },
    Rule {
        check: Some(plausible_bearer),
        ..captured(Kind::BearerToken, &["bearer", "Bearer", "BEARER"], r"(?i:bearer)[ \t]+([A-Za-z0-9._~+/-]+=*)")
    },
];
