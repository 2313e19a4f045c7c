//! What a contributor sends: a plain diff, or `git format-patch`/mbox mail (one
//! patch or a series). Mail keeps each commit's author, date and message; they
//! are read by `git mailinfo`, which knows every encoding git writes. A plain
//! diff takes its author and message from the command line, or falls back.

use super::error::PatchError;
use super::git_cli::Scratch;
use super::id::PatchId;
use serde::{Deserialize, Serialize};

/// The form the patch came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputForm {
    /// A plain unified diff (`git diff` output).
    Diff,
    /// `git format-patch` or mbox mail: one patch or a series.
    Mbox,
}

/// A commit's author as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The name.
    pub name: String,
    /// The email address.
    pub email: String,
}

impl std::fmt::Display for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} <{}>", self.name, self.email)
    }
}

impl Person {
    /// Reads `NAME <EMAIL>` (the form of `--author`).
    pub fn parse(text: &str) -> Result<Person, PatchError> {
        let bad = || PatchError::BadAuthor(text.to_owned());
        let (name, rest) = text.trim().split_once('<').ok_or_else(bad)?;
        let email = rest.strip_suffix('>').ok_or_else(bad)?.trim();
        let name = name.trim();
        if name.is_empty() || email.is_empty() || email.contains(['<', '>']) {
            return Err(bad());
        }
        Ok(Person {
            name: name.to_owned(),
            email: email.to_owned(),
        })
    }
}

/// One commit's worth of the input.
#[derive(Debug, Clone)]
pub struct Part {
    /// Its author (mail: `From:`; a diff: `--author`).
    pub author: Option<Person>,
    /// Its author date: seconds since the epoch and the offset in minutes.
    pub date: Option<(i64, i32)>,
    /// Its subject line (mail: `Subject:` without `[PATCH n/m]`).
    pub subject: Option<String>,
    /// The rest of its message, if any.
    pub body: Option<String>,
    /// The diff.
    pub diff: Vec<u8>,
}

impl Part {
    /// The whole commit message: subject, a blank line, body.
    pub fn message(&self) -> Option<String> {
        let subject = self.subject.as_deref()?;
        Some(match self.body.as_deref() {
            Some(body) => format!("{subject}\n\n{body}\n"),
            None => format!("{subject}\n"),
        })
    }
}

/// The input, read.
#[derive(Debug, Clone)]
pub struct Input {
    /// Its form.
    pub form: InputForm,
    /// Its commits, in order (one for a plain diff).
    pub parts: Vec<Part>,
}

/// Whether `bytes` is mail rather than a bare diff: a `From ` line first, or a
/// mail header before the first diff line.
fn is_mail(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]);
    if text.starts_with("From ") {
        return true;
    }
    text.lines()
        .take_while(|l| !l.starts_with("diff --git") && !l.starts_with("--- "))
        .any(|l| l.starts_with("From: ") || l.starts_with("Subject: "))
}

/// The mails of an mbox: each starts at a `From ` line that opens the input or
/// follows a blank line.
fn split(bytes: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut at = 0;
    let mut previous_blank = true;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if previous_blank && line.starts_with(b"From ") {
            starts.push(at);
        }
        previous_blank = line == b"\n" || line == b"\r\n";
        at += line.len();
    }
    if starts.first() != Some(&0) {
        starts.insert(0, 0);
    }
    starts.push(bytes.len());
    starts
        .windows(2)
        .map(|w| &bytes[w[0]..w[1]])
        .filter(|m| !m.iter().all(u8::is_ascii_whitespace))
        .collect()
}

/// An RFC 2822 date as seconds and offset minutes.
fn mail_date(text: &str) -> Option<(i64, i32)> {
    let zoned = jiff::fmt::rfc2822::parse(text.trim()).ok()?;
    Some((zoned.timestamp().as_second(), zoned.offset().seconds() / 60))
}

/// One mail read by `git mailinfo`.
fn mail_part(scratch: &Scratch, mail: &[u8], n: usize) -> Result<Part, PatchError> {
    let msg = scratch.path().join(format!("msg-{n}"));
    let patch = scratch.path().join(format!("patch-{n}"));
    let (msg_arg, patch_arg) = (msg.to_string_lossy(), patch.to_string_lossy());
    let info = scratch.git_ok(
        "read the mail (git mailinfo)",
        &["mailinfo", "-u", &msg_arg, &patch_arg],
        mail,
        None,
    )?;
    let info = String::from_utf8_lossy(&info).into_owned();
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|source| PatchError::Scratch {
            path: path.to_owned(),
            source,
        })
    };
    let body = String::from_utf8_lossy(&read(&msg)?).trim().to_owned();
    let author = match (field("Author"), field("Email")) {
        (Some(name), Some(email)) => Some(Person { name, email }),
        (None, Some(email)) => Some(Person {
            name: email.clone(),
            email,
        }),
        _ => None,
    };
    Ok(Part {
        author,
        date: field("Date").as_deref().and_then(mail_date),
        subject: field("Subject"),
        body: Some(body).filter(|b| !b.is_empty()),
        diff: read(&patch)?,
    })
}

/// Reads `bytes`: mail is split and read commit by commit; a plain diff is one
/// part with `author` and `message` (first line the subject) as given.
pub(crate) fn read(
    scratch: &Scratch,
    bytes: &[u8],
    author: Option<&Person>,
    message: Option<&str>,
) -> Result<Input, PatchError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(PatchError::Malformed("the patch is empty".into()));
    }
    if is_mail(bytes) {
        let parts = split(bytes)
            .into_iter()
            .enumerate()
            .map(|(n, mail)| mail_part(scratch, mail, n))
            .collect::<Result<Vec<_>, _>>()?;
        let parts: Vec<Part> = parts
            .into_iter()
            .map(|mut p| {
                // `--author`/`--message` do not override what the mail says,
                // but fill what it lacks.
                p.author = p.author.or_else(|| author.cloned());
                p
            })
            .collect();
        return Ok(Input {
            form: InputForm::Mbox,
            parts,
        });
    }
    let (subject, body) = match message.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => match m.split_once('\n') {
            Some((s, b)) => (Some(s.trim().to_owned()), Some(b.trim().to_owned())),
            None => (Some(m.to_owned()), None),
        },
        None => (None, None),
    };
    Ok(Input {
        form: InputForm::Diff,
        parts: vec![Part {
            author: author.cloned(),
            date: None,
            subject,
            body: body.filter(|b| !b.is_empty()),
            diff: bytes.to_vec(),
        }],
    })
}

/// git's stable patch id of the whole input (every part's diff together); for
/// input git finds no change in, the SHA-256 of the bytes.
pub(crate) fn patch_id(
    scratch: &Scratch,
    input: &Input,
    bytes: &[u8],
) -> Result<PatchId, PatchError> {
    let diffs: Vec<u8> = input.parts.iter().flat_map(|p| p.diff.clone()).collect();
    let out = scratch.git_ok(
        "compute the patch id (git patch-id --stable)",
        &["patch-id", "--stable"],
        &diffs,
        None,
    )?;
    let text = String::from_utf8_lossy(&out);
    let ids: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    Ok(match ids.as_slice() {
        [one] => PatchId::parse(one).unwrap_or_else(|_| PatchId::of_bytes(bytes)),
        [] => PatchId::of_bytes(bytes),
        many => PatchId::of_bytes(many.join("\n").as_bytes()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_is_told_from_a_diff() {
        assert!(is_mail(
            b"From 123 Mon Sep 17 00:00:00 2001\nFrom: A <a@b>\n"
        ));
        assert!(is_mail(b"Subject: [PATCH] x\n\n---\ndiff --git a/x b/x\n"));
        assert!(!is_mail(b"diff --git a/x b/x\n--- a/x\n+++ b/x\n"));
    }

    #[test]
    fn a_series_splits_at_from_lines() {
        let mbox = b"From 1 Mon\nSubject: a\n\nbody\nFrom here on\n\nFrom 2 Mon\nSubject: b\n";
        let mails = split(mbox);
        assert_eq!(mails.len(), 2, "{mails:?}");
        assert!(mails[1].starts_with(b"From 2"));
    }

    #[test]
    fn authors_are_name_and_email() {
        let p = Person::parse("Ada Lovelace <ada@example.org>").unwrap();
        assert_eq!(p.to_string(), "Ada Lovelace <ada@example.org>");
        for bad in ["ada@example.org", "<a@b>", "Ada <>", "Ada <a@b"] {
            assert!(Person::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mail_dates_keep_their_offset() {
        assert_eq!(
            mail_date("Thu, 29 Feb 2024 05:34:00 -0500"),
            Some((1_709_202_840, -300))
        );
    }
}
