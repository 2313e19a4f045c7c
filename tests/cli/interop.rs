//! Our envelopes verify with securesystemslib, the reference DSSE implementation,
//! using a key built from nothing but the raw public key.
//!
//! Needs `python3` with `securesystemslib` (and `cryptography`). CI installs them
//! and sets AUDITOPS_REQUIRE_INTEROP=1, which turns a missing module into a failure.

use crate::support::Repo;

const SCRIPT: &str = r#"
import base64, hashlib, json, sys
from securesystemslib.dsse import Envelope
from securesystemslib.formats import encode_canonical
from securesystemslib.signer import SSlibKey

public_key = sys.argv[1]
raw = base64.b64decode(public_key.split()[1])[-32:]
keyval = {"public": raw.hex()}
keyid = hashlib.sha256(encode_canonical(
    {"keytype": "ed25519", "scheme": "ed25519", "keyval": keyval}).encode()).hexdigest()
key = SSlibKey(keyid, "ed25519", "ed25519", keyval)
verified = 0
for line in sys.stdin:
    envelope = Envelope.from_dict(json.loads(line))
    accepted = envelope.verify([key], 1)
    assert keyid in accepted, accepted
    statement = json.loads(envelope.pae().split(b" ", 4)[4])
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    verified += 1
print(keyid, verified)
"#;

fn python_has_securesystemslib() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import securesystemslib.dsse, cryptography"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn securesystemslib_verifies_our_envelopes() {
    if !python_has_securesystemslib() {
        assert!(
            std::env::var_os("AUDITOPS_REQUIRE_INTEROP").is_none(),
            "AUDITOPS_REQUIRE_INTEROP is set but python3 cannot import securesystemslib"
        );
        eprintln!("skipped: python3 -m pip install securesystemslib cryptography to run this test");
        return;
    }
    let repo = Repo::new();
    let key = repo.setup_trusted();
    repo.add_evidence("one");
    repo.add_evidence("two");
    let export = repo.ok(&["evidence", "export"]);
    let mut child = std::process::Command::new("python3")
        .args(["-c", SCRIPT, &key.public_key])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(export.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{} 2", key.keyid),
        "securesystemslib derives the same keyid and accepts both envelopes"
    );
}
