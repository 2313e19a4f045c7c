//! Opening a stored line: the one reading of envelope, payload and statement
//! that `verify`, the evidence listing and typed reads share, so that they agree
//! on what a well-formed record is. Nothing here checks a signature;
//! [`super::trust`] does that with what this returns.

use super::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use super::statement::{STATEMENT_TYPE, Statement};
use serde_json::error::Category;

/// A stored line, read: the envelope (borrowing from the line), its decoded
/// payload and the statement in it.
pub struct Opened<'a> {
    /// The envelope, borrowing from the line.
    pub envelope: Envelope<'a>,
    /// Its payload, decoded.
    pub payload: Vec<u8>,
    /// The statement the payload holds.
    pub statement: Statement,
}

/// Why a stored line is not a well-formed record.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The line is not JSON.
    #[error("not JSON")]
    NotJson(#[source] serde_json::Error),
    /// The JSON is not a DSSE envelope.
    #[error("not a DSSE envelope")]
    NotEnvelope(#[source] serde_json::Error),
    /// The envelope is not in canonical form.
    #[error("not canonical JSON (edited by hand?)")]
    NotCanonical,
    /// The payload is not an in-toto statement by its type.
    #[error("payload type `{0}` is not in-toto")]
    PayloadType(String),
    /// The payload's base64 is broken.
    #[error("payload is not padded standard base64")]
    PayloadEncoding,
    /// The payload does not parse as a statement.
    #[error("payload is not an in-toto statement")]
    NotStatement(#[source] serde_json::Error),
    /// The statement is not in-toto v1.
    #[error("statement type `{0}` is not in-toto v1")]
    StatementType(String),
}

/// Reads `line` as a record: canonical JSON, a DSSE envelope of an in-toto
/// statement.
pub fn open(line: &[u8]) -> Result<Opened<'_>, OpenError> {
    let envelope: Envelope<'_> =
        serde_json::from_slice(line).map_err(|err| match err.classify() {
            Category::Data => OpenError::NotEnvelope(err),
            _ => OpenError::NotJson(err),
        })?;
    // The envelope's fields are declared in sorted order, so writing it back
    // gives its canonical form; compared as it is written, without a copy.
    let mut same = SameBytes::new(line);
    if serde_json::to_writer(&mut same, &envelope).is_err() || !same.is_whole() {
        return Err(OpenError::NotCanonical);
    }
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(OpenError::PayloadType(envelope.payload_type.to_string()));
    }
    let payload = envelope
        .payload_bytes()
        .map_err(|_| OpenError::PayloadEncoding)?;
    let statement: Statement = serde_json::from_slice(&payload).map_err(OpenError::NotStatement)?;
    if statement.type_ != STATEMENT_TYPE {
        return Err(OpenError::StatementType(statement.type_));
    }
    Ok(Opened {
        envelope,
        payload,
        statement,
    })
}

/// A writer that only notes whether what it is given equals `expected`.
struct SameBytes<'a> {
    expected: &'a [u8],
    written: usize,
    same: bool,
}

impl<'a> SameBytes<'a> {
    fn new(expected: &'a [u8]) -> Self {
        SameBytes {
            expected,
            written: 0,
            same: true,
        }
    }

    fn is_whole(&self) -> bool {
        self.same && self.written == self.expected.len()
    }
}

impl std::io::Write for SameBytes<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let end = self.written + buf.len();
        self.same = self.same && self.expected.get(self.written..end) == Some(buf);
        self.written = end;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::{Statement, Subject, seal};

    fn line() -> Vec<u8> {
        let statement = Statement::new(
            vec![Subject::new("x", "sha256", "00")],
            "https://auditops.dev/evidence/v1".into(),
            serde_json::json!({"b": 1, "a": "é\n"}),
        );
        seal(&statement, None)
    }

    #[test]
    fn a_sealed_line_opens() {
        let line = line();
        let opened = open(&line).unwrap();
        assert_eq!(opened.statement.predicate.get(), r#"{"a":"é\n","b":1}"#);
        assert_eq!(opened.envelope.payload_type, IN_TOTO_PAYLOAD_TYPE);
    }

    #[test]
    fn anything_but_the_canonical_bytes_is_refused() {
        let line = String::from_utf8(line()).unwrap();
        let not_canonical =
            |line: &str| matches!(open(line.as_bytes()), Err(OpenError::NotCanonical));
        let spaced = line.replacen(":", ": ", 1);
        assert!(not_canonical(&spaced));
        let reordered = line.replacen("{\"payload\"", "{\"signatures\":[],\"payload\"", 1);
        let reordered = reordered.replacen(",\"signatures\":[]}", "}", 1);
        assert!(not_canonical(&reordered));
        let escaped = line.replacen("application/", "application\\/", 1);
        assert!(not_canonical(&escaped));
        assert!(not_canonical(&format!("{line} ")));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert!(matches!(open(b"{\"payload\""), Err(OpenError::NotJson(_))));
        assert!(matches!(open(b"[1]"), Err(OpenError::NotEnvelope(_))));
        let other_type = br#"{"payload":"","payloadType":"text/plain","signatures":[]}"#;
        assert!(matches!(
            open(other_type),
            Err(OpenError::PayloadType(t)) if t == "text/plain"
        ));
        let not_statement =
            br#"{"payload":"aGk=","payloadType":"application/vnd.in-toto+json","signatures":[]}"#;
        assert!(matches!(
            open(not_statement),
            Err(OpenError::NotStatement(_))
        ));
    }
}
