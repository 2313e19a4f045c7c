//! Sharing the state over git remotes: push without force, pull with verification.

use crate::config::Config;
use crate::error::Result;
use crate::sign::TrustSet;
use crate::store::{self, IntegrateOutcome, Store, remote};
use crate::verify::{Policy, Report, Verifier};

/// What `state pull` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Pulled {
    pub remote: String,
    /// `up_to_date`, `fast_forward`, `merged` or `remote_has_no_state`.
    pub outcome: &'static str,
    pub arrived: usize,
    pub state_commit: Option<String>,
    pub warnings: Vec<crate::verify::Finding>,
}

/// Fetches `remote`'s state, verifies what would arrive, then merges it.
/// On a verification failure nothing is merged and the report is returned in the error.
pub fn pull(
    repo: &gix::Repository,
    config: &Config,
    trust: &TrustSet,
    remote_name: Option<&str>,
) -> Result<std::result::Result<Pulled, Report>> {
    let remote_name = match remote_name {
        Some(name) => name.to_owned(),
        None => remote::default_remote(repo, "pull")?,
    };
    remote::check_remote(repo, &remote_name)?;
    let store = Store::new(repo, config.ref_name())?;
    let tracking = store::remote_tracking_ref(&remote_name);
    let Some(theirs) = remote::fetch(repo, &remote_name, config.ref_name(), &tracking)? else {
        return Ok(Ok(Pulled {
            remote: remote_name,
            outcome: "remote_has_no_state",
            arrived: 0,
            state_commit: store.tip()?.map(|c| c.to_string()),
            warnings: Vec::new(),
        }));
    };
    let mut report = None;
    let outcome = store.integrate(theirs, &remote_name, |incoming| {
        let mut verifier = Verifier::new(
            repo,
            Policy {
                trust,
                require_signed: config.trust.require_signed,
                missing_commit_fails: false,
                cache: None,
            },
        );
        for (location, record) in &incoming.records {
            verifier.check(location, &record.line);
        }
        let result = verifier.finish();
        let ok = result.ok;
        report = Some(result);
        ok
    });
    let warnings = report
        .as_ref()
        .map(|r| r.warnings.clone())
        .unwrap_or_default();
    let (outcome, arrived, commit) = match outcome {
        Ok(IntegrateOutcome::UpToDate) => ("up_to_date", 0, store.tip()?),
        Ok(IntegrateOutcome::FastForward { commit, arrived }) => {
            ("fast_forward", arrived, Some(commit))
        }
        Ok(IntegrateOutcome::Merged { commit, arrived }) => ("merged", arrived, Some(commit)),
        Err(store::StoreError::IncomingRejected { .. }) => {
            return Ok(Err(report.unwrap_or_default()));
        }
        Err(err) => return Err(err.into()),
    };
    Ok(Ok(Pulled {
        remote: remote_name,
        outcome,
        arrived,
        state_commit: commit.map(|c| c.to_string()),
        warnings,
    }))
}

/// What `state push` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Pushed {
    pub remote: String,
    /// `pushed` or `up_to_date`.
    pub outcome: &'static str,
    pub state_commit: String,
}

pub fn push(repo: &gix::Repository, config: &Config, remote_name: Option<&str>) -> Result<Pushed> {
    let remote_name = match remote_name {
        Some(name) => name.to_owned(),
        None => remote::default_remote(repo, "push")?,
    };
    remote::check_remote(repo, &remote_name)?;
    let store = Store::new(repo, config.ref_name())?;
    let Some(tip) = store.tip()? else {
        return Err(crate::error::Error::Usage(format!(
            "there is no state to push yet ({} does not exist); run `git auditops init`",
            config.ref_name()
        )));
    };
    let outcome = match remote::push(repo, &remote_name, config.ref_name())? {
        remote::PushOutcome::Pushed => "pushed",
        remote::PushOutcome::UpToDate => "up_to_date",
    };
    Ok(Pushed {
        remote: remote_name,
        outcome,
        state_commit: tip.to_string(),
    })
}
