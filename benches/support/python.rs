//! The external baseline for `verify`: securesystemslib (the reference DSSE
//! implementation in Python) verifying the same exported envelopes.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Verifies the first `limit` envelopes of a JSONL file with securesystemslib
/// and reports the CPU time of the verification loop only (not interpreter
/// start-up, imports or file reading), as JSON on stdout.
const VERIFY_SCRIPT: &str = r#"
import json, sys, time
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey

path, limit, keyid, public = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
key = SSlibKey(keyid, "ed25519", "ed25519", {"public": public})
with open(path, encoding="utf-8") as f:
    lines = [line for _, line in zip(range(limit), f)]
failed = 0
cpu0, wall0 = time.process_time(), time.perf_counter()
for line in lines:
    try:
        Envelope.from_dict(json.loads(line)).verify([key], 1)
    except Exception:
        failed += 1
cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
print(json.dumps({"checked": len(lines), "failed": failed, "cpu": cpu, "wall": wall}))
"#;

/// What securesystemslib did.
pub struct PythonRun {
    pub checked: u64,
    pub failed: u64,
    pub cpu: Duration,
    pub wall: Duration,
}

impl PythonRun {
    pub fn per_record_cpu(&self) -> Duration {
        self.cpu / u32::try_from(self.checked.max(1)).expect("subset fits u32")
    }
}

/// Whether `python3` can import securesystemslib (with its ed25519 backend).
pub fn available() -> bool {
    Command::new("python3")
        .args([
            "-c",
            "import securesystemslib.dsse, securesystemslib.signer, cryptography",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs the verification script on `jsonl`.
pub fn verify(jsonl: &Path, limit: u64, keyid: &str, public_hex: &str) -> PythonRun {
    let output = Command::new("python3")
        .arg("-c")
        .arg(VERIFY_SCRIPT)
        .arg(jsonl)
        .arg(limit.to_string())
        .arg(keyid)
        .arg(public_hex)
        .stdin(Stdio::null())
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "the securesystemslib script failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .expect("the securesystemslib script prints one JSON object");
    let number = |name: &str| {
        report[name]
            .as_f64()
            .unwrap_or_else(|| panic!("the script's report has no number `{name}`: {report}"))
    };
    PythonRun {
        checked: number("checked") as u64,
        failed: number("failed") as u64,
        cpu: Duration::from_secs_f64(number("cpu")),
        wall: Duration::from_secs_f64(number("wall")),
    }
}
