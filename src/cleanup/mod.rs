//! Cleaning up after the tool, behind an exact, signed approval.
//!
//! What the tool leaves behind (`auditops/patch/*` branches of resolved queue
//! items or of pull requests merged or closed, copies of the state fetched from remotes
//! that no longer exist, pooled worktrees nobody uses, logs past
//! `[cleanup] log_retention`) is deleted only through three steps, so that a deletion is never a surprise:
//! `cleanup plan` lists each action with the SHA-256 of what it would delete
//! and a **report id** (the SHA-256 of the canonical plan, with nothing
//! volatile in it, so the same situation always gives the same id);
//! `approve report:ID` signs that exact plan; `cleanup run ID` recomputes the
//! plan, refuses when its id differs or approvals are short, and otherwise
//! deletes, appending one signed audit record per action.
//!
//! Nothing the user's checkout holds is ever planned: a branch checked out in
//! any worktree is left alone, only the tool's own pooled worktrees are looked
//! at and never one in use or with changes, and refs are deleted only if they
//! still point where the plan saw them (a log only if its content is the same).

mod error;
mod logs;
mod plan;
mod pulls;
pub(crate) mod records;
mod run;
mod worktrees;

pub use error::CleanupError;
pub use plan::{Action, ActionKind, Plan, plan};
pub use run::{ApprovedReport, Executed, RunOutcome, approve, run};
