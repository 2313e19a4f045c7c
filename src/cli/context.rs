//! What every command starts from: the workspace, and how to print.

use crate::workspace::Workspace;

/// The workspace of the command, with the global output choice.
pub struct Context {
    /// The library's handle on the repository.
    pub ws: Workspace,
    /// `--json`: one JSON document on stdout instead of text.
    pub json: bool,
}

impl std::ops::Deref for Context {
    type Target = Workspace;

    fn deref(&self) -> &Workspace {
        &self.ws
    }
}
