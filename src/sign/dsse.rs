//! DSSE envelopes (https://github.com/secure-systems-lab/dsse), exactly to the spec:
//! signatures are over PAE(payloadType, payload), base64 is standard and padded, and
//! every signature names its keyid, so external verifiers (securesystemslib, in-toto)
//! accept what we write.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// The payload type of in-toto statements.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// Pre-Authentication Encoding: `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`,
/// lengths as ASCII decimal byte counts.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + payload.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub keyid: String,
    pub sig: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub payload: String,
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    pub signatures: Vec<Signature>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    #[error("not a DSSE envelope: {0}")]
    Shape(String),
    #[error("payload is not padded standard base64")]
    PayloadEncoding,
    #[error("signature by {keyid} is not padded standard base64 of 64 bytes")]
    SignatureEncoding { keyid: String },
}

impl Envelope {
    pub fn new(payload_type: &str, payload: &[u8]) -> Self {
        Envelope {
            payload: STANDARD.encode(payload),
            payload_type: payload_type.to_owned(),
            signatures: Vec::new(),
        }
    }

    pub fn parse(line: &[u8]) -> Result<Self, EnvelopeError> {
        serde_json::from_slice(line).map_err(|e| EnvelopeError::Shape(e.to_string()))
    }

    pub fn payload_bytes(&self) -> Result<Vec<u8>, EnvelopeError> {
        STANDARD
            .decode(&self.payload)
            .map_err(|_| EnvelopeError::PayloadEncoding)
    }

    /// The bytes every signature of this envelope covers.
    pub fn signed_bytes(&self) -> Result<Vec<u8>, EnvelopeError> {
        Ok(pae(&self.payload_type, &self.payload_bytes()?))
    }

    pub fn add_signature(&mut self, keyid: String, signature: &[u8; 64]) {
        self.signatures.push(Signature {
            keyid,
            sig: STANDARD.encode(signature),
        });
    }
}

impl Signature {
    pub fn bytes(&self) -> Result<[u8; 64], EnvelopeError> {
        STANDARD
            .decode(&self.sig)
            .ok()
            .and_then(|raw| <[u8; 64]>::try_from(raw).ok())
            .ok_or_else(|| EnvelopeError::SignatureEncoding {
                keyid: self.keyid.clone(),
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

    #[test]
    fn unpadded_base64_is_rejected() {
        let env = Envelope {
            payload: "aGk".into(),
            payload_type: "t".into(),
            signatures: vec![],
        };
        assert_eq!(env.payload_bytes(), Err(EnvelopeError::PayloadEncoding));
    }
}
