//! The checks of `verify` that are about the history of the state rather than
//! one record: every transaction only adds to its parents (store's growth
//! check, remembered in the local cache so that a run checks only the
//! transactions written since the last clean one), and the segments follow the
//! layout rules of docs/state-format.md (every segment but the last full).

use super::cache::{self, VerifiedCache};
use crate::store::{self, Growth, HistoryFault, StateView, Store, layout::SEGMENT_RECORDS};

/// Checks the transactions reachable from the tip of `view`, skipping those
/// a clean earlier run vouched for; remembers the tip when all is well.
pub(super) fn check_growth(
    store: &Store<'_>,
    view: &StateView<'_>,
    cache: Option<&mut VerifiedCache>,
) -> store::Result<Growth> {
    let tip = view.commit;
    let Some(cache) = cache else {
        return store.check_growth(tip, |_| false);
    };
    let growth = store.check_growth(tip, |commit| cache.contains(&cache::growth_key(commit)))?;
    if growth.faults.is_empty() {
        // The tip stands for its whole history: the next run stops there.
        cache.insert(cache::growth_key(tip));
    }
    Ok(growth)
}

/// The segment-size rule, checked as the segments stream past.
pub(super) struct Layout {
    commit: crate::ids::CommitId,
    /// The previous segment of the log being read: its path and record count.
    previous: Option<(String, usize)>,
    /// What breaks the rules.
    pub faults: Vec<HistoryFault>,
}

impl Layout {
    pub fn new(view: &StateView<'_>) -> Self {
        Layout {
            commit: view.commit.into(),
            previous: None,
            faults: Vec::new(),
        }
    }

    fn fault(&mut self, reason: String) {
        self.faults.push(HistoryFault {
            commit: self.commit,
            parent: None,
            reason,
            dropped: Vec::new(),
        });
    }

    /// The next segment of the log: the one before it, not being last, must be full.
    pub fn segment(&mut self, log: &str, number: u64, data: &[u8]) {
        if let Some((path, count)) = self.previous.take()
            && count != SEGMENT_RECORDS
        {
            self.fault(format!(
                "{path} holds {count} records, but every segment except the last holds exactly {SEGMENT_RECORDS} (records were dropped or moved)"
            ));
        }
        let count = store::layout::count_lines(data);
        self.previous = Some((store::layout::segment_path(log, number), count));
    }

    /// The end of a log: its last segment holds 1 to 32 records.
    pub fn end_log(&mut self) {
        if let Some((path, count)) = self.previous.take()
            && !(1..=SEGMENT_RECORDS).contains(&count)
        {
            self.fault(format!(
                "{path} holds {count} records; the last segment of a log holds 1 to {SEGMENT_RECORDS}"
            ));
        }
    }
}
