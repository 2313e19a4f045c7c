//! `[daemon]`: whether the hooks start the per-repository daemon, what it does
//! after a commit and after a push, when it gives up, and how gently it runs
//! (docs/daemon.md).

use crate::duration::Setting;
use serde::Deserialize;

/// `[daemon] gates`: when the daemon runs gates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DaemonGates {
    /// After each commit, on the new HEAD's tree (the default).
    #[default]
    OnCommit,
    /// Never: gates run only by `gate run` (or the pre-push hook).
    Off,
}

/// `[daemon] sync`: when the daemon carries out the outbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DaemonSync {
    /// After each push, retrying while GitHub is unavailable (the default).
    #[default]
    AfterPush,
    /// Never: the pre-push hook starts a detached `sync` as without a daemon.
    Off,
}

/// `[daemon]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonConfig {
    /// The hooks start the daemon when none is running (default true).
    #[serde(default = "default_autostart")]
    pub autostart: bool,
    /// When gates run by themselves.
    #[serde(default)]
    pub gates: DaemonGates,
    /// When the outbox is carried out.
    #[serde(default)]
    pub sync: DaemonSync,
    /// The daemon exits after this long with nothing to do (default 30m).
    #[serde(default = "default_idle_exit")]
    pub idle_exit: Setting,
    /// The niceness of the daemon and the gates it runs (default 10, 0 to 19).
    #[serde(default = "default_nice")]
    pub nice: u8,
}

fn default_autostart() -> bool {
    true
}
fn default_idle_exit() -> Setting {
    Setting::secs(30 * 60)
}
fn default_nice() -> u8 {
    10
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            autostart: default_autostart(),
            gates: DaemonGates::default(),
            sync: DaemonSync::default(),
            idle_exit: default_idle_exit(),
            nice: default_nice(),
        }
    }
}

/// `[policy] wait_for_gates`'s default: how long the pre-push hook waits for
/// gates the daemon is running on the pushed tree.
pub fn default_wait_for_gates() -> Setting {
    Setting::secs(10 * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_values_parse() {
        let c: DaemonConfig = toml::from_str("").unwrap();
        assert!(c.autostart);
        assert_eq!(c.gates, DaemonGates::OnCommit);
        assert_eq!(c.sync, DaemonSync::AfterPush);
        assert_eq!(c.idle_exit, Setting::secs(1800));
        assert_eq!(c.nice, 10);
        let c: DaemonConfig = toml::from_str(
            "autostart = false\ngates = \"off\"\nsync = \"off\"\nidle_exit = \"2s\"\nnice = 0\n",
        )
        .unwrap();
        assert!(!c.autostart);
        assert_eq!(c.gates, DaemonGates::Off);
        assert_eq!(c.sync, DaemonSync::Off);
        assert_eq!(c.idle_exit, Setting::secs(2));
        assert!(toml::from_str::<DaemonConfig>("gates = \"always\"").is_err());
        assert!(toml::from_str::<DaemonConfig>("nonsense = 1").is_err());
    }
}
