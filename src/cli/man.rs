//! `man`: the manual pages, rendered from the command-line definitions with
//! clap_mangen, so that they cannot drift from `--help`.
//!
//! `git-auditops(1)` lists the commands; each command has a page of its own
//! (`git-auditops-evidence(1)`, named as git names subcommands' pages), and a
//! command group's page describes each of its subcommands with its options.

use super::output::{self, Report, say};
use crate::error::{ExitCode, Result};
use crate::manpages::{Installed, Page, Setup};
use clap::{Args, CommandFactory};
use clap_mangen::Man;
use clap_mangen::roff::Roff;
use std::path::PathBuf;

#[derive(Args)]
pub struct ManArgs {
    /// Write every page where `man` finds them (so `git auditops --help`
    /// works), replacing older ones. Without it, print git-auditops(1) on
    /// stdout (`git auditops man | man -l -`).
    #[arg(long)]
    install: bool,
    /// The folder to write the pages to [default: ~/.local/share/man/man1].
    #[arg(long, value_name = "DIR", requires = "install")]
    dir: Option<PathBuf>,
}

pub fn run(json: bool, args: ManArgs) -> Result<ExitCode> {
    let mut pages = pages();
    match args.install {
        true => output::print(
            json,
            &crate::manpages::install(args.dir.as_deref(), &pages)?,
        ),
        false => output::print(json, &pages.swap_remove(0)),
    }
    Ok(ExitCode::Success)
}

impl Report for Installed {
    fn text(&self) {
        for file in &self.files {
            say!("wrote {}", file.display());
        }
        if let Some(root) = &self.add_to_manpath {
            say!(
                "man does not search {}: add it to MANPATH, e.g. in your shell's profile: \
export MANPATH=\"{}:$MANPATH\"",
                root.display(),
                root.display()
            );
        }
    }
}

impl Report for Page {
    fn text(&self) {
        output::raw(&self.roff);
    }
}

/// The one line `init` prints about the manual, or its warning on stderr;
/// nothing when the pages were already there.
pub fn report_setup(setup: &Setup) {
    match setup {
        Setup::Present { .. } => {}
        Setup::Installed(installed) => {
            let hint = match &installed.add_to_manpath {
                Some(root) => format!("; add {} to MANPATH", root.display()),
                None => String::new(),
            };
            say!(
                "installed the manual in {} (git auditops --help){hint}",
                installed.dir.display()
            );
        }
        Setup::Failed { reason } => {
            eprintln!(
                "warning: manual not installed: {reason} (git auditops man --install --dir DIR)"
            )
        }
    }
}

/// Every manual page: `git-auditops.1` first, then one per command.
pub fn pages() -> Vec<Page> {
    let mut cli = super::Cli::command().disable_help_subcommand(true);
    cli.build();
    let mut pages = vec![render(&cli, |man, out| man.render(out))];
    for command in cli.get_subcommands().filter(|c| !c.is_hide_set()) {
        pages.push(render(command, |man, out| {
            match command.has_subcommands() {
                false => man.render(out),
                true => render_group(man, command, out),
            }
        }));
    }
    pages
}

/// A page of `command`, drawn by `draw`.
fn render(
    command: &clap::Command,
    draw: impl FnOnce(&Man, &mut Vec<u8>) -> std::io::Result<()>,
) -> Page {
    let name = command
        .get_display_name()
        .unwrap_or_else(|| command.get_name());
    let man = Man::new(command.clone())
        .title(name.to_uppercase())
        .manual("git-auditops Manual")
        .source(concat!("git-auditops ", env!("CARGO_PKG_VERSION")));
    let mut roff = Vec::new();
    draw(&man, &mut roff).expect("writing to memory cannot fail");
    Page {
        file_name: man.get_filename(),
        roff: String::from_utf8(roff).expect("roff from UTF-8 help is UTF-8"),
    }
}

/// A command group's page: its own sections, then a section on each
/// subcommand (its synopsis, description and options) instead of clap_mangen's
/// list of further pages.
fn render_group(man: &Man, group: &clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    Roff::new().control("SH", ["COMMANDS"]).to_writer(out)?;
    for command in group.get_subcommands().filter(|c| !c.is_hide_set()) {
        render_subcommand(command, out)?;
    }
    Ok(())
}

fn render_subcommand(command: &clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    let name = command.get_bin_name().unwrap_or_else(|| command.get_name());
    // The global options are on the group's page; the help flag goes without saying.
    let own = command
        .clone()
        .mut_args(|arg| match arg.is_global_set() || arg.get_id() == "help" {
            true => arg.hide(true),
            false => arg,
        });
    let has_options = own.get_arguments().any(|arg| !arg.is_hide_set());
    let man = Man::new(own);
    let mut roff = Roff::new().control("SS", [name]).to_roff();
    roff.push_str(&body(|w| man.render_synopsis_section(w)));
    roff.push_str(".PP\n");
    roff.push_str(&body(|w| man.render_description_section(w)));
    if has_options {
        roff.push_str(&body(|w| man.render_options_section(w)));
    }
    out.extend_from_slice(roff.as_bytes());
    for nested in command.get_subcommands().filter(|c| !c.is_hide_set()) {
        render_subcommand(nested, out)?;
    }
    Ok(())
}

/// A section as clap_mangen renders it, without its heading (and without the
/// preamble every rendering starts with), to go under another heading.
fn body(render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    render(&mut out).expect("writing to memory cannot fail");
    let text = String::from_utf8(out).expect("roff from UTF-8 help is UTF-8");
    let preamble = Roff::new().render();
    let text = text.strip_prefix(&preamble).unwrap_or(&text);
    // The first line is the `.SH` heading.
    text.split_once('\n')
        .map_or(String::new(), |(_, rest)| rest.to_owned())
}
