//! The external baseline for `verify`: securesystemslib (the reference DSSE
//! implementation in Python) verifying the same exported envelopes.

use std::path::{Path, PathBuf};
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

/// Whether `python` can import securesystemslib (with its ed25519 backend).
fn can_import(python: &Path) -> bool {
    Command::new(python)
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

/// A Python that imports securesystemslib: `python3` when it does, else one
/// of a scratch virtual environment in `dir` that `pip` installs it into
/// (when `install` allows: not offline, not in a smoke run). Why not, as the
/// error.
pub fn interpreter(dir: &Path, install: bool) -> Result<PathBuf, String> {
    let system = PathBuf::from("python3");
    if can_import(&system) {
        return Ok(system);
    }
    if !install {
        return Err("python3 cannot import securesystemslib, and installing is off".to_owned());
    }
    let venv = dir.join("sslib-venv");
    let run = |cmd: &mut Command, what: &str| -> Result<(), String> {
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|err| format!("{what}: {err}"))?;
        match out.status.success() {
            true => Ok(()),
            false => Err(format!(
                "{what} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )),
        }
    };
    run(
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
        "python3 -m venv",
    )?;
    let python = venv.join("bin/python");
    run(
        Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "-q",
            "securesystemslib",
            "cryptography",
        ]),
        "pip install securesystemslib cryptography",
    )?;
    match can_import(&python) {
        true => Ok(python),
        false => Err("securesystemslib was installed but does not import".to_owned()),
    }
}

/// Runs the verification script on `jsonl` with `python`.
pub fn verify(python: &Path, jsonl: &Path, limit: u64, keyid: &str, public_hex: &str) -> PythonRun {
    let output = Command::new(python)
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
