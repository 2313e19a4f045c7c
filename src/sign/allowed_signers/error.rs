//! What can be wrong with a line of the file, as values: each variant carries
//! the text at fault, and its message is the one users read after `line N: `.

/// A line of the file that cannot be read: where, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct ParseError {
    /// 1-based line number in the file.
    pub line: usize,
    /// What is wrong with it.
    pub problem: LineError,
}

/// Why one line of an allowed_signers file is rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// The principals field is empty, or only commas.
    #[error("no principals")]
    NoPrincipals,
    /// Nothing follows the principals.
    #[error("missing key (only principals on this line)")]
    OnlyPrincipals,
    /// The line begins with a key type: a public key line pasted without the
    /// principals in front.
    #[error("line starts with key type \"{key_type}\"; expected principals before the key")]
    KeyTypeFirst {
        /// The key type found where the principals belong.
        key_type: String,
    },
    /// Nothing follows the options field.
    #[error("missing key after options")]
    NothingAfterOptions,
    /// The token in the key type position is not one.
    #[error("unknown key type \"{key_type}\"")]
    UnknownKeyType {
        /// The token.
        key_type: String,
    },
    /// The key type is not followed by the key.
    #[error("missing key data after \"{key_type}\"")]
    MissingKeyData {
        /// The key type.
        key_type: String,
    },
    /// The key data is not base64.
    #[error("invalid base64 key data: {error}")]
    Base64 {
        /// Where the decoding failed (part of the message, not a separate cause).
        error: base64::DecodeError,
    },
    /// A quoted principals field has no closing quote.
    #[error("unterminated quote in principals")]
    UnterminatedPrincipals,
    /// Text is glued to the closing quote of the principals (`"a b"c`).
    #[error("expected whitespace after quoted principals")]
    TextAfterQuotedPrincipals,
    /// A quote inside an unquoted principals field (`al"ice`).
    #[error("unexpected quote in principals (quote the whole field instead)")]
    QuoteInPrincipals,
    /// The options field has an unbalanced quote.
    #[error("unterminated quote in options")]
    UnterminatedOptions,
    /// Two commas in a row, or one at the start of the options.
    #[error("empty option")]
    EmptyOption,
    /// `cert-authority=…`: the option is a flag.
    #[error("option \"cert-authority\" takes no value")]
    CertAuthorityValue,
    /// `namespaces`, `valid-after` or `valid-before` without `=`.
    #[error("option \"{option}\" needs a quoted value")]
    MissingValue {
        /// The option, lowercased.
        option: String,
    },
    /// The value of an option is not properly quoted.
    #[error("option \"{option}\": {problem}")]
    BadValue {
        /// The option, lowercased.
        option: String,
        /// What is wrong with the quoting.
        problem: QuoteError,
    },
    /// The same option twice: keeping either would be a guess.
    #[error("option \"{option}\" given more than once")]
    Duplicate {
        /// The option, lowercased.
        option: String,
    },
    /// A `valid-after` or `valid-before` value that is not a timestamp.
    #[error("invalid {option} time \"{value}\": {problem}")]
    BadTime {
        /// `valid-after` or `valid-before`.
        option: String,
        /// The value as written.
        value: String,
        /// What is wrong with it.
        problem: TimestampError,
    },
    /// A lone unknown word where the options or the key type belong: either
    /// could have been meant.
    #[error("unknown option or key type \"{name}\"")]
    UnknownOptionOrKeyType {
        /// The word.
        name: String,
    },
    /// An option we do not know (OpenSSH's `authorized_keys` options included).
    #[error("unknown option \"{name}\"")]
    UnknownOption {
        /// The option as written.
        name: String,
    },
    /// The options field ends with a comma.
    #[error("trailing comma in options")]
    TrailingComma,
    /// Text follows an option's value without a comma.
    #[error("unexpected text after option \"{name}\"")]
    TextAfterOption {
        /// The option as written.
        name: String,
    },
    /// The validity window is empty.
    #[error("valid-before must be later than valid-after")]
    EmptyWindow,
    /// The key blob cannot even hold its own key type.
    #[error("key blob is too short to hold a key type")]
    BlobTooShort,
    /// The blob is a key of another type than the line says.
    #[error("key blob is of type \"{embedded}\" but the line says \"{key_type}\"")]
    BlobTypeMismatch {
        /// The type inside the blob (lossily decoded).
        embedded: String,
        /// The type the line gives.
        key_type: String,
    },
    /// An `ssh-ed25519` blob that is not exactly one 32-byte key.
    #[error("malformed ssh-ed25519 key blob")]
    MalformedEd25519,
}

/// Why an option value is not a double-quoted string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    /// It does not start with `"`.
    #[error("value must be in double quotes")]
    NotQuoted,
    /// It has no closing `"`.
    #[error("unterminated quote")]
    Unterminated,
}

/// Why a `valid-after`/`valid-before` value is not a timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// Not 8, 12 or 14 digits with an optional `Z`/`UTC`.
    #[error("expected YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, optionally followed by Z")]
    Format,
    /// No such month.
    #[error("month out of range")]
    Month,
    /// No such day in that month.
    #[error("day out of range")]
    Day,
    /// Hour above 23.
    #[error("hour out of range")]
    Hour,
    /// Minute above 59.
    #[error("minute out of range")]
    Minute,
    /// Second above 59 (no leap seconds).
    #[error("second out of range")]
    Second,
}

#[cfg(test)]
mod tests {
    use super::{LineError, ParseError, QuoteError, TimestampError};
    use base64::Engine as _;

    /// The messages are read by people and matched by tests elsewhere: they
    /// are the texts the parser has always produced, word for word.
    #[test]
    fn messages_are_unchanged() {
        let s = |v: &str| v.to_owned();
        let base64 = base64::engine::general_purpose::STANDARD
            .decode("AAAA!!!!")
            .unwrap_err();
        let cases = [
            (LineError::NoPrincipals, s("no principals")),
            (
                LineError::OnlyPrincipals,
                s("missing key (only principals on this line)"),
            ),
            (
                LineError::KeyTypeFirst {
                    key_type: s("ssh-ed25519"),
                },
                s("line starts with key type \"ssh-ed25519\"; expected principals before the key"),
            ),
            (
                LineError::NothingAfterOptions,
                s("missing key after options"),
            ),
            (
                LineError::UnknownKeyType { key_type: s("x") },
                s("unknown key type \"x\""),
            ),
            (
                LineError::MissingKeyData { key_type: s("x") },
                s("missing key data after \"x\""),
            ),
            (
                LineError::Base64 {
                    error: base64.clone(),
                },
                format!("invalid base64 key data: {base64}"),
            ),
            (
                LineError::UnterminatedPrincipals,
                s("unterminated quote in principals"),
            ),
            (
                LineError::TextAfterQuotedPrincipals,
                s("expected whitespace after quoted principals"),
            ),
            (
                LineError::QuoteInPrincipals,
                s("unexpected quote in principals (quote the whole field instead)"),
            ),
            (
                LineError::UnterminatedOptions,
                s("unterminated quote in options"),
            ),
            (LineError::EmptyOption, s("empty option")),
            (
                LineError::CertAuthorityValue,
                s("option \"cert-authority\" takes no value"),
            ),
            (
                LineError::MissingValue {
                    option: s("namespaces"),
                },
                s("option \"namespaces\" needs a quoted value"),
            ),
            (
                LineError::BadValue {
                    option: s("namespaces"),
                    problem: QuoteError::NotQuoted,
                },
                s("option \"namespaces\": value must be in double quotes"),
            ),
            (
                LineError::BadValue {
                    option: s("valid-after"),
                    problem: QuoteError::Unterminated,
                },
                s("option \"valid-after\": unterminated quote"),
            ),
            (
                LineError::Duplicate {
                    option: s("valid-before"),
                },
                s("option \"valid-before\" given more than once"),
            ),
            (
                LineError::BadTime {
                    option: s("valid-after"),
                    value: s("2024"),
                    problem: TimestampError::Format,
                },
                s(
                    "invalid valid-after time \"2024\": expected YYYYMMDD, YYYYMMDDHHMM or \
                   YYYYMMDDHHMMSS, optionally followed by Z",
                ),
            ),
            (
                LineError::UnknownOptionOrKeyType {
                    name: s("ssh-ed448"),
                },
                s("unknown option or key type \"ssh-ed448\""),
            ),
            (
                LineError::UnknownOption {
                    name: s("permit-pty"),
                },
                s("unknown option \"permit-pty\""),
            ),
            (LineError::TrailingComma, s("trailing comma in options")),
            (
                LineError::TextAfterOption {
                    name: s("namespaces"),
                },
                s("unexpected text after option \"namespaces\""),
            ),
            (
                LineError::EmptyWindow,
                s("valid-before must be later than valid-after"),
            ),
            (
                LineError::BlobTooShort,
                s("key blob is too short to hold a key type"),
            ),
            (
                LineError::BlobTypeMismatch {
                    embedded: s("ssh-ed25519"),
                    key_type: s("ssh-rsa"),
                },
                s("key blob is of type \"ssh-ed25519\" but the line says \"ssh-rsa\""),
            ),
            (
                LineError::MalformedEd25519,
                s("malformed ssh-ed25519 key blob"),
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
        for (error, message) in [
            (TimestampError::Month, "month out of range"),
            (TimestampError::Day, "day out of range"),
            (TimestampError::Hour, "hour out of range"),
            (TimestampError::Minute, "minute out of range"),
            (TimestampError::Second, "second out of range"),
        ] {
            assert_eq!(error.to_string(), message);
        }
        let at = ParseError {
            line: 3,
            problem: LineError::EmptyOption,
        };
        assert_eq!(at.to_string(), "line 3: empty option");
    }
}
