//! The hook managers the pre-push decision is shown beside: lefthook (npm) and
//! pre-commit (PyPI), installed into the scratch directory for the run, each
//! with an empty pre-push configuration.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// One installed hook manager.
pub struct Tool {
    pub name: &'static str,
    pub version: String,
    /// The tool's own executable (lefthook's Go binary, not npm's node wrapper;
    /// pre-commit's console script in its virtual environment).
    pub bin: PathBuf,
}

/// Installs a tool into a directory; `Err` says why it could not.
pub type Installer = fn(&Path) -> Result<Tool, String>;

/// The last line of a failed command's output, for a one-line reason.
fn last_line(output: &Output) -> String {
    let text = [&output.stderr, &output.stdout]
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect::<Vec<_>>()
        .join("\n");
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no output")
        .trim();
    line.chars().take(200).collect()
}

/// Runs an installation step; `Err` (a one-line reason) if it cannot start or fails.
fn step(cmd: &mut Command, what: &str) -> Result<Output, String> {
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("{what}: cannot run {:?}: {err}", cmd.get_program()))?;
    if !output.status.success() {
        return Err(format!(
            "{what} failed ({}): {}",
            output.status,
            last_line(&output)
        ));
    }
    Ok(output)
}

/// `bin arg`'s last word (run in `dir`, never in the caller's repository).
fn version(bin: &Path, arg: &str, dir: &Path) -> String {
    Command::new(bin)
        .arg(arg)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|v| v.split_whitespace().last().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

/// `npm install --prefix DIR --ignore-scripts lefthook`; the binary is the
/// platform package's (`node_modules/lefthook-<os>-<arch>/bin/lefthook`).
///
/// `--ignore-scripts` matters: lefthook's postinstall script runs
/// `lefthook install` in the directory npm was started from, which would put
/// its hooks and a `lefthook.yml` into whatever repository that is. npm runs
/// in `dir` as well, for the same reason.
pub fn install_lefthook(dir: &Path) -> Result<Tool, String> {
    std::fs::create_dir_all(dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    step(
        Command::new("npm")
            .args([
                "install",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--no-update-notifier",
                "--prefix",
            ])
            .arg(dir)
            .arg("lefthook")
            .current_dir(dir),
        "npm install lefthook",
    )?;
    let modules = dir.join("node_modules");
    let platform_bin = std::fs::read_dir(&modules)
        .map_err(|err| format!("{}: {err}", modules.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("lefthook-"))
        .map(|e| e.path().join("bin/lefthook"))
        .find(|p| p.is_file());
    let bin = platform_bin
        .ok_or_else(|| "npm installed no lefthook binary for this platform".to_owned())?;
    Ok(Tool {
        name: "lefthook",
        version: version(&bin, "version", dir),
        bin,
    })
}

/// `python3 -m venv DIR/venv`, then `pip install pre-commit` into it.
pub fn install_pre_commit(dir: &Path) -> Result<Tool, String> {
    std::fs::create_dir_all(dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    let venv = dir.join("venv");
    step(
        Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .current_dir(dir),
        "python3 -m venv",
    )?;
    step(
        Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "install", "-q", "pre-commit"])
            .current_dir(dir),
        "pip install pre-commit",
    )?;
    let bin = venv.join("bin/pre-commit");
    Ok(Tool {
        name: "pre-commit",
        version: version(&bin, "--version", dir),
        bin,
    })
}

/// Gives `repo` an empty pre-push configuration for `tool` and installs its
/// hook in `.git/hooks/pre-push`.
pub fn configure(tool: &Tool, repo: &Path) -> Result<(), String> {
    match tool.name {
        "lefthook" => {
            // An empty `pre-push:` section: lefthook runs, finds nothing to do.
            std::fs::write(repo.join("lefthook.yml"), "pre-push:\n")
                .map_err(|err| format!("write lefthook.yml: {err}"))?;
            step(
                Command::new(&tool.bin).arg("install").current_dir(repo),
                "lefthook install",
            )?;
        }
        "pre-commit" => {
            std::fs::write(repo.join(".pre-commit-config.yaml"), "repos: []\n")
                .map_err(|err| format!("write .pre-commit-config.yaml: {err}"))?;
            step(
                Command::new(&tool.bin)
                    .args(["install", "--hook-type", "pre-push"])
                    .current_dir(repo),
                "pre-commit install",
            )?;
        }
        other => unreachable!("unknown hook manager {other}"),
    }
    Ok(())
}

/// The tool's own pre-push run, called directly (not through the hook script):
/// `lefthook run pre-push` or `pre-commit run --hook-stage pre-push`.
pub fn direct_run(tool: &Tool, repo: &Path) -> Command {
    let mut cmd = Command::new(&tool.bin);
    cmd.current_dir(repo);
    match tool.name {
        "lefthook" => cmd.args(["run", "pre-push"]),
        _ => cmd.args(["run", "--hook-stage", "pre-push"]),
    };
    cmd
}
