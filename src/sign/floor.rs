//! The cryptographic floor of `verify`, for the benchmark: the signature
//! checks of stored records prepared as `verify` prepares them (envelope
//! opened, trust planned, challenge hashed), so that timing
//! [`PreparedChecks::verify_all`] measures the batch routine `verify` uses and
//! nothing else (no reading, parsing or hashing). Not used by the tool itself.

use super::batch::{self, SignatureCheck};
use super::trust::{self, Plan};
use super::{TrustSet, open};

/// Signature checks of many records, in batches of `verify`'s size.
pub struct PreparedChecks {
    batches: Vec<Vec<SignatureCheck>>,
    records: usize,
}

impl PreparedChecks {
    /// Prepares the checks of `lines` (stored records) against `trust`, in
    /// batches of as many records as `verify` checks together; records that
    /// need no check are skipped.
    pub fn new<'l>(lines: impl IntoIterator<Item = &'l [u8]>, trust: &TrustSet) -> Self {
        let batch = crate::verify::BATCH;
        let mut batches: Vec<Vec<SignatureCheck>> = vec![Vec::new()];
        let mut in_batch = 0;
        let mut records = 0;
        for line in lines {
            let Ok(opened) = open(line) else { continue };
            let Plan::Check { checks, .. } =
                trust::plan(&opened.envelope, &opened.payload, trust, None)
            else {
                continue;
            };
            if in_batch == batch {
                batches.push(Vec::new());
                in_batch = 0;
            }
            batches
                .last_mut()
                .expect("one batch at least")
                .extend(checks);
            in_batch += 1;
            records += 1;
        }
        PreparedChecks { batches, records }
    }

    /// The records whose checks were prepared.
    pub fn records(&self) -> usize {
        self.records
    }

    /// Runs every batch through `verify`'s batch routine; returns how many
    /// signatures held.
    pub fn verify_all(&self) -> usize {
        self.batches
            .iter()
            .map(|checks| {
                let refs: Vec<&SignatureCheck> = checks.iter().collect();
                batch::verify_each(&refs)
                    .into_iter()
                    .filter(|ok| *ok)
                    .count()
            })
            .sum()
    }
}
