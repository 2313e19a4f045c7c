//! `status`: one screen on the state, the phases, the review queue, the outbox
//! and the hooks. Also sweeps worktrees that dead processes left behind.

use super::context::Context;
use super::output;
use super::output::say;
use crate::error::{ExitCode, Result};
use crate::phase::status::Reader;
use crate::sign::{key, trust};
use crate::store::Store;

pub fn run(ctx: &Context) -> Result<ExitCode> {
    let swept = crate::worktree::sweep_pool(ctx.repo());
    let config = ctx.config()?;
    let trust = trust::load(ctx.repo(), config.allowed_signers(), None)?;
    let store = Store::new(ctx.repo(), config.ref_name())?;
    let view = store.view()?;
    let reader = Reader {
        config,
        view: view.as_ref(),
        trust: &trust,
    };
    let states = reader.states()?;
    let complete = states
        .iter()
        .filter(|(s, _)| *s == crate::phase::status::PhaseState::Complete)
        .count();
    let active = reader
        .active_of(&states)
        .map(|p| (*p.id.get_ref(), p.name.clone()));
    let entries = match &view {
        Some(view) => crate::patch::queue::entries(view, &trust, config.trust.require_signed)?,
        None => Vec::new(),
    };
    let metrics =
        crate::patch::queue::metrics(&entries, &config.queue, jiff::Timestamp::now().as_second());
    let mut outbox: std::collections::BTreeMap<&'static str, usize> = Default::default();
    if let Some(view) = &view {
        let loaded = crate::outbox::read::Outbox::load(view, &trust, config.trust.require_signed)?;
        for state in loaded.states().values() {
            *outbox.entry(state.name()).or_default() += 1;
        }
    }
    let hooks = crate::hooks::status(ctx.repo())
        .map(|s| s.hooks)
        .unwrap_or_default();
    let signing_key = key::locate(ctx.repo()).ok().map(|(path, source)| {
        serde_json::json!({ "path": path.display().to_string(), "source": source })
    });
    if ctx.json {
        output::json(&serde_json::json!({
            "state": { "ref": store.ref_name(), "tip": view.as_ref().map(|v| v.commit.to_string()) },
            "phases": {
                "configured": config.phases.len(),
                "complete": complete,
                "active": active.as_ref().map(|(id, name)| serde_json::json!({ "id": id, "name": name })),
            },
            "queue": metrics,
            "outbox": outbox,
            "hooks": hooks,
            "signing_key": signing_key,
            "trust": trust.source,
            "worktrees_swept": swept,
        }));
        return Ok(ExitCode::Success);
    }
    match &view {
        Some(view) => say!(
            "state:    {} at {}",
            store.ref_name(),
            &view.commit.to_string()[..12]
        ),
        None => say!(
            "state:    {} does not exist yet (git auditops init)",
            store.ref_name()
        ),
    }
    match (&active, config.phases.len()) {
        (_, 0) => say!("phases:   none configured"),
        (Some((id, name)), n) => {
            say!("phases:   {complete} of {n} complete; active: {id} ({name})")
        }
        (None, n) => say!("phases:   all {n} complete"),
    }
    say!(
        "queue:    {} pending, health {}",
        metrics.pending,
        metrics.health.name()
    );
    let counts: Vec<String> = outbox
        .iter()
        .map(|(state, n)| format!("{n} {state}"))
        .collect();
    match counts.is_empty() {
        true => say!("outbox:   empty"),
        false => say!("outbox:   {}", counts.join(", ")),
    }
    for hook in &hooks {
        say!("hook:     {} {}", hook.hook, hook.state);
    }
    match &signing_key {
        Some(k) => say!("key:      {}", k["path"].as_str().unwrap_or("?")),
        None => say!("key:      none found (git auditops key generate)"),
    }
    say!("trust:    {}", trust.source);
    if swept > 0 {
        say!("swept {swept} worktree(s) left by a process that died");
    }
    Ok(ExitCode::Success)
}
