//! `rules propose|accept|reject|list|show`.

use super::context::Context;
use super::output::{self, Report, say};
use crate::error::{ExitCode, Result};
use crate::rules::{Acceptance, Listed, Proposal, RuleAction, Verdict};
use clap::{Subcommand, ValueEnum};

#[derive(Subcommand)]
pub enum RulesCommand {
    /// Recorded failures grouped by signature, most frequent first, with a confidence
    /// (high ≥ 10, medium 5–9, low < 5) and a suggested guidance and action.
    Propose {
        /// Only failures this recent (e.g. 30d, 24h).
        #[arg(long, value_name = "DURATION", default_value = "30d")]
        since: String,
        /// Only signatures seen at least N times.
        #[arg(long, value_name = "N", default_value_t = 1)]
        min: usize,
    },
    /// Accept a rule for a signature: guidance printed when it fails again, and an action.
    ///
    /// Without --guidance or --action, the proposal's suggestion is taken. `retry` is
    /// allowed only for infrastructure and dependencies failures, or with --flaky; `fix`
    /// needs --fix CMD, whose diff goes through the patch pipeline.
    Accept {
        /// The signature's sha256, or a unique prefix of at least 8 hex digits.
        sig: String,
        /// What to tell the developer when it fails so again.
        #[arg(long, value_name = "TEXT")]
        guidance: Option<String>,
        /// What to do when it fails so again.
        #[arg(long, value_enum)]
        action: Option<ActionArg>,
        /// The command a fix rule runs (e.g. `cargo fmt`).
        #[arg(long = "fix", value_name = "CMD")]
        fix: Option<String>,
        /// The check is flaky: a retry is allowed whatever its category.
        #[arg(long)]
        flaky: bool,
    },
    /// Reject a signature: it is not proposed again.
    Reject {
        /// The signature's sha256, or a unique prefix of at least 8 hex digits.
        sig: String,
        /// Why.
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// The decided rules, newest first.
    List,
    /// One rule, by id (`rule_<sha256>`), signature or a prefix of at least 8.
    Show {
        /// The rule's id or signature.
        id: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ActionArg {
    None,
    Retry,
    Fix,
}

pub fn run(ctx: &Context, command: RulesCommand) -> Result<ExitCode> {
    match command {
        RulesCommand::Propose { since, min } => {
            let proposals = crate::rules::propose(ctx, Some(&since), min)?;
            output::report(ctx, &Proposals(proposals));
        }
        RulesCommand::Accept {
            sig,
            guidance,
            action,
            fix,
            flaky,
        } => {
            let action = action.map(|a| match a {
                ActionArg::None => RuleAction::None,
                ActionArg::Retry => RuleAction::Retry,
                ActionArg::Fix => RuleAction::Fix,
            });
            let given = Acceptance {
                guidance,
                action,
                fix,
                flaky,
            };
            output::report(ctx, &crate::rules::accept(ctx, &sig, given)?);
        }
        RulesCommand::Reject { sig, reason } => {
            output::report(ctx, &crate::rules::reject(ctx, &sig, &reason)?);
        }
        RulesCommand::List => output::report(ctx, &Rules(crate::rules::list(ctx)?)),
        RulesCommand::Show { id } => output::report(ctx, &Shown(crate::rules::show(ctx, &id)?)),
    }
    Ok(ExitCode::Success)
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct Proposals(Vec<Proposal>);

impl Report for Proposals {
    fn text(&self) {
        if self.0.is_empty() {
            say!("no failures to learn from in the window");
            return;
        }
        for p in &self.0 {
            say!(
                "{}  {} ×{} ({} confidence){}  {} .. {}  gates: {}",
                p.sha256.short(),
                p.category,
                p.count,
                p.confidence,
                if p.flaky { ", flaky" } else { "" },
                p.first_seen,
                p.last_seen,
                p.gates.join(", ")
            );
            for line in p.signature.lines().skip(1) {
                say!("    {line}");
            }
            if let Some(s) = &p.suggestion {
                say!(
                    "    suggested ({}): {} [action {}]",
                    s.pattern,
                    s.guidance,
                    s.action
                );
            }
            say!("    accept: git auditops rules accept {}", p.sha256.short());
        }
    }
}

impl Report for Listed {
    fn text(&self) {
        let rule = &self.rule;
        match rule.verdict {
            Verdict::Accepted => say!(
                "accepted {} ({} action {}{})",
                rule.id,
                rule.category,
                rule.action,
                rule.fix
                    .as_deref()
                    .map(|f| format!(": `{f}`"))
                    .unwrap_or_default()
            ),
            Verdict::Rejected => say!("rejected {}: not proposed again", rule.id),
        }
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct Rules(Vec<Listed>);

impl Report for Rules {
    fn text(&self) {
        if self.0.is_empty() {
            say!("no rules yet (see `git auditops rules propose`)");
        }
        for listed in &self.0 {
            let r = &listed.rule;
            say!(
                "{}  {}  {}  action {}{}  {}",
                r.signature.short(),
                r.verdict,
                r.category,
                r.action,
                if r.flaky { " (flaky)" } else { "" },
                r.guidance.as_deref().or(r.reason.as_deref()).unwrap_or("")
            );
        }
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct Shown(Listed);

impl Report for Shown {
    fn text(&self) {
        let r = &self.0.rule;
        say!("rule      {}", r.id);
        say!("record    {}", self.0.record);
        say!("verdict   {}", r.verdict);
        say!("category  {}", r.category);
        say!(
            "action    {}{}",
            r.action,
            if r.flaky { " (flaky)" } else { "" }
        );
        if let Some(fix) = &r.fix {
            say!("fix       {fix}");
        }
        if let Some(g) = &r.guidance {
            say!("guidance  {g}");
        }
        if let Some(reason) = &r.reason {
            say!("reason    {reason}");
        }
        say!(
            "learned   {} failure(s), {} confidence",
            r.frequency,
            r.confidence
        );
        say!(
            "created   {}{}",
            r.created_at,
            r.keyid
                .as_deref()
                .map(|k| format!(" by {k}"))
                .unwrap_or_default()
        );
        say!("signature:");
        for line in r.signature_text.lines() {
            say!("    {line}");
        }
        for record in &r.learned_from {
            say!("from      {record}");
        }
    }
}
