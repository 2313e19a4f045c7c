//! `completions`: shell completion scripts, generated from the command-line
//! definitions with clap_complete.
//!
//! The scripts complete the `git-auditops` command; for bash the script also
//! defines `_git_auditops`, the function git's own completion calls for
//! `git auditops <TAB>`. zsh's git completion calls `_git-auditops`, which is
//! the generated function's name; fish's git completion completes `git auditops`
//! with the `git-auditops` completions.

use super::output::{self, Report};
use crate::error::{ExitCode, Result};
use clap::{Args, CommandFactory, ValueEnum};

#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    shell: Shell,
}

/// The shells with completion scripts.
#[derive(Clone, Copy, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// A completion script, as `completions` prints it.
#[derive(serde::Serialize)]
struct Script {
    shell: Shell,
    script: String,
}

/// The bin name the scripts complete: the program on PATH.
const BIN: &str = "git-auditops";

/// Adapts git's bash completion to the generated function: git calls
/// `_git_auditops` with no arguments and its own `words`/`cword` (the whole
/// `git [-C DIR] auditops ...` line; `__git_cmd_idx` is where `auditops` is),
/// and expects a space after each finished word, as its `complete -o nospace`
/// does not add one.
const GIT_BASH: &str = r#"
# git's bash completion calls this for `git auditops <TAB>`.
_git_auditops() {
    local idx=${__git_cmd_idx:-1} at
    local -a line
    if [[ -n ${words+set} ]]; then
        line=("${words[@]}") at=$cword
    else
        line=("${COMP_WORDS[@]}") at=$COMP_CWORD
    fi
    local -a COMP_WORDS=(git-auditops "${line[@]:idx+1}")
    local COMP_CWORD=$((at - idx))
    _git__auditops git-auditops "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    local i
    for i in "${!COMPREPLY[@]}"; do
        [[ -d ${COMPREPLY[i]} ]] || COMPREPLY[i]+=" "
    done
}
"#;

pub fn run(json: bool, args: CompletionsArgs) -> Result<ExitCode> {
    let mut command = super::Cli::command();
    let mut script = Vec::new();
    let generator = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(generator, &mut command, BIN, &mut script);
    let mut script = String::from_utf8(script).expect("scripts from UTF-8 help are UTF-8");
    if let Shell::Bash = args.shell {
        // clap_complete names the top-level case `git__auditops` (`-` as `__`)
        // but the subcommands' cases `git__subcmd__auditops__subcmd__…` (`-`
        // as its subcommand separator), so no subcommand would complete.
        script = script.replace("git__subcmd__auditops", "git__auditops");
        script.push_str(GIT_BASH);
    }
    output::print(
        json,
        &Script {
            shell: args.shell,
            script,
        },
    );
    Ok(ExitCode::Success)
}

impl Report for Script {
    fn text(&self) {
        output::raw(&self.script);
    }
}
