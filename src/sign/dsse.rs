//! DSSE envelopes (https://github.com/secure-systems-lab/dsse), exactly to the spec:
//! signatures are over PAE(payloadType, payload), base64 is standard and padded, and
//! every signature names its keyid, so external verifiers (securesystemslib, in-toto)
//! accept what we write.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The payload type of in-toto statements.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// Pre-Authentication Encoding: `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`,
/// lengths as ASCII decimal byte counts.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = pae_header(payload_type, payload.len());
    out.reserve_exact(payload.len());
    out.extend_from_slice(payload);
    out
}

/// PAE up to the payload: what is signed is this followed by the payload itself,
/// which a verifier can hash without copying it next to the header.
pub fn pae_header(payload_type: &str, payload_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + 48);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_len.to_string().as_bytes());
    out.push(b' ');
    out
}

/// One signature. Fields borrow from the parsed line where they can (they hold
/// no escapes), so reading 100,000 records does not copy their signatures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature<'a> {
    /// The key that made it (see [`super::PublicKey::keyid`]).
    #[serde(borrow)]
    pub keyid: Cow<'a, str>,
    /// The signature, standard padded base64 of 64 bytes.
    #[serde(borrow)]
    pub sig: Cow<'a, str>,
}

/// A DSSE envelope. Unknown fields are refused: a stored record carries nothing
/// beside what is signed and the signatures. The field order is the canonical
/// (sorted) order, so serializing an envelope gives its canonical bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope<'a> {
    /// The payload, standard padded base64.
    #[serde(borrow)]
    pub payload: Cow<'a, str>,
    /// What the payload is ([`IN_TOTO_PAYLOAD_TYPE`]).
    #[serde(rename = "payloadType", borrow)]
    pub payload_type: Cow<'a, str>,
    /// The signatures over PAE(payloadType, payload).
    #[serde(borrow)]
    pub signatures: Vec<Signature<'a>>,
}

/// Why an envelope's encodings are broken.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    /// The payload is not standard padded base64.
    #[error("payload is not padded standard base64")]
    PayloadEncoding,
    /// A signature is not standard padded base64 of 64 bytes.
    #[error("signature by {keyid} is not padded standard base64 of 64 bytes")]
    SignatureEncoding {
        /// The key named by the signature.
        keyid: String,
    },
}

impl Envelope<'_> {
    /// An unsigned envelope of `payload`.
    pub fn new(payload_type: &str, payload: &[u8]) -> Envelope<'static> {
        Envelope {
            payload: Cow::Owned(STANDARD.encode(payload)),
            payload_type: Cow::Owned(payload_type.to_owned()),
            signatures: Vec::new(),
        }
    }

    /// The payload, decoded.
    pub fn payload_bytes(&self) -> Result<Vec<u8>, EnvelopeError> {
        STANDARD
            .decode(self.payload.as_bytes())
            .map_err(|_| EnvelopeError::PayloadEncoding)
    }

    /// Adds a signature by `keyid`.
    pub fn add_signature(&mut self, keyid: String, signature: &[u8; 64]) {
        self.signatures.push(Signature {
            keyid: Cow::Owned(keyid),
            sig: Cow::Owned(STANDARD.encode(signature)),
        });
    }
}

impl Signature<'_> {
    /// The signature's 64 bytes.
    pub fn bytes(&self) -> Result<[u8; 64], EnvelopeError> {
        STANDARD
            .decode(self.sig.as_bytes())
            .ok()
            .and_then(|raw| <[u8; 64]>::try_from(raw).ok())
            .ok_or_else(|| EnvelopeError::SignatureEncoding {
                keyid: self.keyid.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector of the DSSE specification (protocol.md).
    #[test]
    fn pae_matches_the_spec_test_vector() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn pae_counts_bytes_not_chars() {
        assert_eq!(pae("t", "é".as_bytes()), b"DSSEv1 1 t 2 \xc3\xa9".to_vec());
    }

    #[test]
    fn envelope_fields_use_spec_names() {
        let mut env = Envelope::new("t", b"hi");
        env.add_signature("k".into(), &[0u8; 64]);
        let json = String::from_utf8(crate::store::canonical_json(&env)).unwrap();
        assert!(json.starts_with(
            r#"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k","sig":""#
        ));
    }

    fn parse(line: &[u8]) -> Result<Envelope<'_>, serde_json::Error> {
        serde_json::from_slice(line)
    }

    #[test]
    fn unpadded_base64_is_rejected() {
        let env = Envelope {
            payload: "aGk".into(),
            payload_type: "t".into(),
            signatures: vec![],
        };
        assert_eq!(env.payload_bytes(), Err(EnvelopeError::PayloadEncoding));
        let env = parse(br#"{"payload":"aGk=","payloadType":"t","signatures":[]}"#).unwrap();
        assert_eq!(env.payload_bytes().unwrap(), b"hi");
    }

    #[test]
    fn unknown_envelope_fields_are_refused() {
        let err = parse(br#"{"payload":"","payloadType":"t","signatures":[],"x":1}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `x`"), "{err}");
        let err = parse(
            br#"{"payload":"","payloadType":"t","signatures":[{"keyid":"k","sig":"","note":1}]}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field `note`"), "{err}");
    }

    #[test]
    fn escaped_strings_still_parse() {
        let env = parse(br#"{"payload":"","payloadType":"a\u0041","signatures":[]}"#).unwrap();
        assert_eq!(env.payload_type, "aA");
    }
}
