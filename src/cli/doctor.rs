//! `doctor`: the setup checks, each problem with the command that fixes it.

use super::context::Context;
use super::output::{self, say};
use crate::doctor::Report;
use crate::error::{ExitCode, Result};
use clap::Args;

#[derive(Args)]
pub struct DoctorArgs {
    /// Also ask GitHub (one API call) what the token may do on the
    /// repository. Without it, doctor uses no network.
    #[arg(long)]
    online: bool,
}

pub fn run(ctx: &Context, args: DoctorArgs) -> Result<ExitCode> {
    let report = crate::doctor::run(ctx, args.online);
    output::report(ctx, &report);
    Ok(match report.ok {
        true => ExitCode::Success,
        false => ExitCode::Refused,
    })
}

impl output::Report for Report {
    fn text(&self) {
        let mut fixes_shown: Vec<(&str, String)> = Vec::new();
        for check in &self.checks {
            let verdict = if check.ok { "ok  " } else { "FAIL" };
            say!("{verdict}  {:<14} {}", check.name.as_str(), check.detail);
            let Some(fix) = &check.fix else { continue };
            // One fix often mends two checks (an untrusted key, an empty
            // trust file): say so rather than have it run twice.
            match fixes_shown.iter().find(|(shown, _)| *shown == fix.as_str()) {
                Some((_, first)) => say!("{:<20} fix: the same as for {first}", ""),
                None => {
                    say!("{:<20} fix: {fix}", "");
                    fixes_shown.push((fix, check.name.to_string()));
                }
            }
        }
        let problems = self.checks.iter().filter(|c| !c.ok).count();
        match problems {
            0 => say!("all {} checks passed", self.checks.len()),
            n => say!(
                "{n} problem(s): fix them in the order shown, then run `git auditops doctor` again"
            ),
        }
    }
}
