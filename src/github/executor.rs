//! One sync run: read the outbox, check permissions, fold digests, carry out
//! each pending operation with retries, record every outcome, and stop early
//! (operations stay queued) when GitHub is unreachable, rate-limited, below
//! the quota floor or the circuit is open.

use super::api;
use super::backoff::Backoff;
use super::breaker::Breaker;
use super::client::{CallError, Client};
use super::digest;
use super::error::GithubError;
use super::files::Dirs;
use super::journal::Journal;
use super::perform::{self, Effect, Env, Failure, Job};
use super::permissions::{self, Access, Refusal};
use super::report::{OpReport, Stop, SyncReport};
use super::token;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::outbox::dedupe::{self, Duplicate};
use crate::outbox::records::{OutboxOutcome, OutcomeStatus, detail};
use crate::outbox::{Entry, OpKind, OpState, Outbox};
use crate::records::KeyedKind;
use crate::sign::{SigningKey, TrustSet, key};
use crate::store::Store;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

pub struct Executor<'r> {
    repo: &'r gix::Repository,
    config: &'r Config,
    store: Store<'r>,
    trust: TrustSet,
    key: Option<Option<SigningKey>>,
    pub dirs: Dirs,
    journal: Journal,
    run_id: String,
    dry_run: bool,
    /// The repository for operations that name none, or why there is none.
    default_repo: std::result::Result<String, GithubError>,
    backoff: Backoff,
    pub client: Option<Client>,
    outbox: Outbox,
    states: HashMap<String, OpState>,
    access: BTreeMap<String, Access>,
    pub report: SyncReport,
    /// Operations by outcome, for the metrics.
    pub counts: BTreeMap<String, u64>,
    /// Operations that waited on another operation during this pass.
    deferred: Vec<String>,
}

/// What an operation is about, in a few words: its title or its target.
fn describe(entry: &Entry) -> String {
    let payload = &entry.op.payload;
    if let Some(title) = payload["title"].as_str() {
        return format!("\"{title}\"");
    }
    if let Some(n) = payload["issue"].as_u64() {
        return format!("#{n}");
    }
    payload["issue_op"]
        .as_str()
        .map(|op| format!("the issue of op {op}"))
        .unwrap_or_default()
}

/// `GITHUB_RUN_ID` when running in GitHub Actions, else `local`.
pub fn run_id() -> String {
    std::env::var("GITHUB_RUN_ID")
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .unwrap_or_else(|| "local".into())
}

impl<'r> Executor<'r> {
    pub fn new(
        repo: &'r gix::Repository,
        config: &'r Config,
        trust: TrustSet,
        dry_run: bool,
    ) -> Result<Self> {
        let dirs = Dirs::new(repo);
        let run_id = run_id();
        Ok(Executor {
            repo,
            config,
            store: Store::new(repo, config.ref_name())?,
            trust,
            key: None,
            journal: Journal::new(dirs.github()),
            dirs,
            report: SyncReport::new(dry_run, &run_id, config.github.api_url()),
            run_id,
            dry_run,
            default_repo: super::repo::resolve(repo, config),
            backoff: Backoff::from_config(&config.github),
            client: None,
            outbox: Outbox::default(),
            states: HashMap::new(),
            access: BTreeMap::new(),
            counts: BTreeMap::new(),
            deferred: Vec::new(),
        })
    }

    /// Operations still open, for the report and the metrics.
    pub fn open_count(&self) -> usize {
        self.states.values().filter(|s| s.is_open()).count()
    }

    fn reload(&mut self) -> Result<()> {
        self.outbox = Outbox::load_tip(self.repo, self.config, &self.trust)?;
        self.states = self.outbox.states();
        Ok(())
    }

    fn default_repo(&self) -> Option<&str> {
        self.default_repo.as_deref().ok()
    }

    fn target(&self, entry: &Entry) -> Option<String> {
        entry
            .op
            .repo
            .clone()
            .or_else(|| self.default_repo().map(str::to_owned))
    }

    /// The signing key, loaded on first use (before any write is sent).
    fn signing_key(&mut self) -> Result<Option<&SigningKey>> {
        if self.key.is_none() {
            let loaded = key::for_recording(self.repo, self.config.trust.require_signed)?;
            self.key = Some(loaded);
        }
        Ok(self.key.as_ref().and_then(Option::as_ref))
    }

    /// Records `outcomes` in one transaction and updates the in-memory outbox.
    fn record(&mut self, outcomes: Vec<OutboxOutcome>, message: &str) -> Result<()> {
        if outcomes.is_empty() || self.dry_run {
            return Ok(());
        }
        let key = self.signing_key()?;
        let ops: Vec<_> = outcomes.iter().map(|o| o.put(key)).collect();
        self.store.write(&ops, message)?;
        for outcome in outcomes {
            if let Some(entry) = self
                .outbox
                .entries
                .iter_mut()
                .find(|e| e.op.op_id == outcome.op_id)
            {
                entry.outcomes.push(outcome);
            }
        }
        self.states = self.outbox.states();
        Ok(())
    }

    fn push_report(&mut self, entry: &Entry, repo: &str, result: &str) -> &mut OpReport {
        self.report.operations.push(OpReport {
            op_id: entry.op.op_id.clone(),
            kind: entry.op.kind,
            repo: repo.to_owned(),
            result: result.to_owned(),
            number: None,
            url: None,
            attempts: 0,
            error: None,
            note: None,
        });
        let last = self.report.operations.len() - 1;
        &mut self.report.operations[last]
    }

    fn count(&mut self, outcome: &str) {
        *self.counts.entry(outcome.to_owned()).or_default() += 1;
    }

    /// The run. Errors are local problems (store, key, templates, no token or
    /// repository); GitHub's refusals and outages end up in the report.
    pub async fn run(&mut self) -> Result<()> {
        self.reload()?;
        self.complete_folds()?;
        let work: Vec<Entry> = self
            .outbox
            .entries
            .iter()
            .filter(|e| {
                matches!(
                    self.states.get(&e.op.op_id),
                    Some(OpState::Pending { .. } | OpState::Proposed { .. })
                )
            })
            .cloned()
            .collect();
        if work.is_empty() {
            self.report.notes.push("nothing to do".into());
            return Ok(());
        }
        if work.iter().any(|e| e.op.repo.is_none()) && self.default_repo.is_err() {
            // Says which remote and URL were tried.
            super::repo::resolve(self.repo, self.config)?;
        }
        if !self.dry_run {
            // Before anything is sent: a key problem must not strand an effect.
            self.signing_key()?;
        }
        let api_url = self.config.github.api_url().to_owned();
        let Some((token, source)) = token::find(&api_url) else {
            if self.dry_run {
                self.report
                    .notes
                    .push("no GitHub token: permissions not checked".into());
                self.plan_without_network(&work);
                return Ok(());
            }
            return Err(GithubError::NoToken.into());
        };
        self.report.token_source = Some(source.to_string());
        let breaker = Breaker::load(
            self.dirs.github(),
            *self.config.github.breaker_threshold.get_ref(),
            self.config.github.breaker_cooldown(),
        );
        self.client = Some(Client::new(
            &api_url,
            &token,
            self.config.github.timeout(),
            self.config.github.write_interval(),
            breaker,
        )?);
        drop(token);

        let repos: BTreeSet<String> = work.iter().filter_map(|e| self.target(e)).collect();
        for repo in &repos {
            self.check_access(repo).await;
            if self.report.stopped.is_some() {
                return Ok(());
            }
        }
        for repo in &repos {
            self.fold_digest(repo)?;
        }
        let order: Vec<String> = {
            let mut ids: Vec<(bool, String)> = self
                .outbox
                .entries
                .iter()
                .filter_map(|e| match self.states.get(&e.op.op_id) {
                    Some(OpState::Pending { .. }) => Some((false, e.op.op_id.clone())),
                    Some(OpState::Proposed { .. }) => Some((true, e.op.op_id.clone())),
                    _ => None,
                })
                .collect();
            // Pending work first (oldest first), then proposals to follow up.
            ids.sort_by_key(|(follow_up, _)| *follow_up);
            ids.into_iter().map(|(_, id)| id).collect()
        };
        for op_id in order {
            if self.report.stopped.is_some() {
                break;
            }
            self.handle(&op_id).await?;
        }
        // Operations that waited on one done later in the run go again, as
        // long as each pass gets somewhere.
        loop {
            let deferred = std::mem::take(&mut self.deferred);
            let progress = deferred.iter().any(|id| {
                self.states
                    .get(id)
                    .is_some_and(|_| self.dependency_done(id))
            });
            if deferred.is_empty() || !progress || self.report.stopped.is_some() {
                break;
            }
            for op_id in deferred {
                self.report
                    .operations
                    .retain(|o| !(o.op_id == op_id && o.result == "waiting"));
                self.handle(&op_id).await?;
            }
        }
        self.complete_folds()?;
        Ok(())
    }

    /// Whether the operation `op_id` waits on (its `issue_op`) is done.
    fn dependency_done(&self, op_id: &str) -> bool {
        self.outbox
            .get(op_id)
            .and_then(|e| e.op.payload["issue_op"].as_str())
            .is_some_and(|dep| matches!(self.states.get(dep), Some(OpState::Done { .. })))
    }

    /// Dry run without a token: say what would be done.
    fn plan_without_network(&mut self, work: &[Entry]) {
        for entry in work {
            let repo = self.target(entry).unwrap_or_default();
            self.push_report(entry, &repo, "would_run").note = Some(describe(entry));
        }
    }

    /// Reads the repository's `permissions`: what may run there.
    async fn check_access(&mut self, repo: &str) {
        let max = *self.config.github.max_attempts.get_ref();
        let mut tries = 0;
        let result = loop {
            tries += 1;
            let Some(client) = self.client.as_mut() else {
                return;
            };
            match api::repository(client, repo).await {
                Err(err) if tries < max => match self.pause_before_retry(&err, tries) {
                    Some(wait) => tokio::time::sleep(wait).await,
                    None => break Err(err),
                },
                other => break other,
            }
        };
        let access = match result {
            Ok(found) => match found.permissions.as_ref() {
                Some(p) => Access {
                    repo: repo.to_owned(),
                    level: permissions::granted(p),
                    problem: None,
                },
                None => Access {
                    repo: repo.to_owned(),
                    level: None,
                    problem: Some(format!(
                        "GitHub did not say what the token may do on {repo} (is the token valid?)"
                    )),
                },
            },
            Err(CallError::NotFound { .. }) => Access {
                repo: repo.to_owned(),
                level: None,
                problem: Some(format!(
                    "no access to {repo}: GitHub answers 404 (the repository does not exist, or the token cannot see it)"
                )),
            },
            Err(CallError::Forbidden { status, message }) => Access {
                repo: repo.to_owned(),
                level: None,
                problem: Some(format!(
                    "the token was refused on {repo} ({status}: {message})"
                )),
            },
            Err(err) => {
                self.stop_for(&err);
                return;
            }
        };
        self.access.insert(repo.to_owned(), access);
    }

    /// How long to wait before retrying after `err` (retry number `tries`),
    /// or `None` when retrying within this run makes no sense.
    fn pause_before_retry(&self, err: &CallError, tries: u32) -> Option<Duration> {
        let breaker_open = self.client.as_ref().is_some_and(|c| c.breaker.is_open());
        match err {
            CallError::Transient { .. } | CallError::Malformed(_) if !breaker_open => {
                Some(self.backoff.delay(tries))
            }
            CallError::RateLimited {
                retry_after, reset, ..
            } => {
                let wait = retry_after.or_else(|| {
                    reset.map(|r| {
                        Duration::from_secs(
                            u64::try_from(r - jiff::Timestamp::now().as_second()).unwrap_or(0),
                        )
                    })
                })?;
                (wait <= self.config.github.max_retry_after()).then_some(wait)
            }
            _ => None,
        }
    }

    /// Ends the run because of `err`, if it is the kind that ends runs.
    fn stop_for(&mut self, err: &CallError) {
        let api_url = self.config.github.api_url();
        let stop = match err {
            CallError::Unreachable(message) => Stop {
                reason: "unreachable",
                message: format!("cannot reach {api_url}: {message}"),
                until: None,
            },
            CallError::Transient { message, .. } | CallError::Malformed(message) => {
                let open = self.client.as_ref().is_some_and(|c| c.breaker.is_open());
                Stop {
                    reason: if open { "circuit_open" } else { "unavailable" },
                    message: format!("{api_url} keeps failing: {message}"),
                    until: None,
                }
            }
            CallError::RateLimited {
                message,
                retry_after,
                reset,
            } => Stop {
                reason: "rate_limited",
                message: format!("GitHub rate-limits this token: {message}"),
                until: retry_after
                    .and_then(|d| {
                        jiff::Timestamp::now()
                            .checked_add(jiff::SignedDuration::try_from(d).ok()?)
                            .ok()
                    })
                    .map(|t| t.round(jiff::Unit::Second).unwrap_or(t).to_string())
                    .or_else(|| {
                        super::quota::Quota {
                            reset: *reset,
                            ..Default::default()
                        }
                        .reset_time()
                    }),
            },
            CallError::CircuitOpen { until } => Stop {
                reason: "circuit_open",
                message: format!(
                    "the circuit breaker is open after repeated failures of {api_url}"
                ),
                until: Some(until.clone()),
            },
            _ => return,
        };
        if self.report.stopped.is_none() {
            self.report.stopped = Some(stop);
        }
    }

    fn refuse(&mut self, entry: &Entry, repo: &str, reason: String) {
        self.report.refused.push(Refusal {
            op_id: entry.op.op_id.clone(),
            kind: entry.op.kind,
            repo: repo.to_owned(),
            needs: permissions::needed(&entry.op),
            reason: reason.clone(),
        });
        self.push_report(entry, repo, "refused").error = Some(reason);
        self.count("refused");
    }

    /// Folds `repo`'s pending issues into a digest when there are too many.
    fn fold_digest(&mut self, repo: &str) -> Result<()> {
        let max = digest::max_issues(self.config);
        let default_repo = self.default_repo().map(str::to_owned);
        let candidates: Vec<Entry> =
            digest::candidates(&self.outbox, &self.states, repo, default_repo.as_deref())
                .into_iter()
                .cloned()
                .collect();
        if candidates.len() as u64 <= max {
            return Ok(());
        }
        // The digest carries no labels: reading the repository is enough.
        let allowed = self.access.get(repo).is_some_and(|a| a.level.is_some());
        if !allowed {
            return Ok(());
        }
        if self.dry_run {
            self.report.notes.push(format!(
                "{} issues for {repo} exceed max_issues_per_run ({max}): they would be folded into one digest issue",
                candidates.len()
            ));
            for entry in &candidates {
                self.push_report(entry, repo, "would_fold");
            }
            return Ok(());
        }
        let refs: Vec<&Entry> = candidates.iter().collect();
        let run_id = self.run_id.clone();
        let workdir = self.repo.workdir().map(std::path::Path::to_owned);
        let key = self.signing_key()?;
        let (digest_id, ops) = digest::fold(workdir.as_deref(), &refs, repo, &run_id, max, key)?;
        self.store.write(
            &ops,
            &format!(
                "outbox: fold {} create_issue operations into digest {digest_id}",
                candidates.len()
            ),
        )?;
        for entry in &candidates {
            self.push_report(entry, repo, "folded").note =
                Some(format!("into digest op {digest_id}"));
            self.count("folded");
        }
        self.reload()
    }

    /// Marks folded operations done once their digest is.
    fn complete_folds(&mut self) -> Result<()> {
        if self.dry_run {
            return Ok(());
        }
        let pending: Vec<(String, OutboxOutcome)> = self
            .outbox
            .entries
            .iter()
            .filter(|e| !e.outcomes.iter().any(|o| o.status == OutcomeStatus::Done))
            .filter_map(|e| match self.states.get(&e.op.op_id) {
                Some(OpState::Done {
                    number,
                    url,
                    detail: Some(d),
                }) if d == detail::DIGEST => {
                    let mut o = OutboxOutcome::of(&e.op, OutcomeStatus::Done, &self.run_id);
                    o.number = *number;
                    o.url = url.clone();
                    o.detail = Some(d.clone());
                    o.repo = self.target(e);
                    Some((e.op.op_id.clone(), o))
                }
                _ => None,
            })
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        let n = pending.len();
        let number = pending[0].1.number.unwrap_or_default();
        self.record(
            pending.into_iter().map(|(_, o)| o).collect(),
            &format!("outbox: {n} operation(s) done in digest #{number}"),
        )
    }

    async fn handle(&mut self, op_id: &str) -> Result<()> {
        let Some(entry) = self.outbox.get(op_id).cloned() else {
            return Ok(());
        };
        let Some(repo) = self.target(&entry) else {
            return Ok(());
        };
        let job = match self.states.get(op_id) {
            Some(OpState::Pending { .. }) => Job::Perform,
            Some(OpState::Proposed { number, since, .. }) => Job::FollowUp {
                number: *number,
                since: since.clone(),
            },
            _ => return Ok(()),
        };
        if let Some(why) = self.access.get(&repo).and_then(|a| a.refuses(&entry.op)) {
            self.refuse(&entry, &repo, why);
            return Ok(());
        }
        if matches!(job, Job::Perform) {
            let default_repo = self.default_repo().map(str::to_owned);
            match dedupe::find(
                &self.outbox,
                &self.states,
                entry.op.kind,
                &repo,
                &entry.op.dedupe_key,
                default_repo.as_deref(),
                Some(&entry),
            ) {
                Some(Duplicate::Done { op_id, number, url }) => {
                    if self.dry_run {
                        self.push_report(&entry, &repo, "would_deduplicate");
                        return Ok(());
                    }
                    let effect = Effect {
                        number,
                        url,
                        detail: detail::DEDUPLICATED,
                        note: Some(format!("same key as op {op_id}")),
                    };
                    return self.record_effect(&entry, &repo, effect, 0);
                }
                Some(Duplicate::Pending { op_id }) => {
                    self.push_report(&entry, &repo, "waiting").note =
                        Some(format!("waits for op {op_id}, which has the same key"));
                    return Ok(());
                }
                None => {}
            }
        }
        if self.dry_run {
            let folded = self
                .report
                .operations
                .iter()
                .any(|o| o.op_id == entry.op.op_id && o.result == "would_fold");
            if folded {
                return Ok(());
            }
            let result = match job {
                Job::Perform => "would_run",
                Job::FollowUp { .. } => "would_check",
            };
            self.push_report(&entry, &repo, result).note = Some(describe(&entry));
            return Ok(());
        }
        self.attempt(&entry, &repo, job).await
    }

    fn quota_stop(&mut self) -> bool {
        let floor = self.config.github.quota_floor;
        let Some(client) = self.client.as_ref() else {
            return false;
        };
        if !client.quota.below(floor) {
            return false;
        }
        let quota = client.quota;
        let until = quota.reset_time();
        tracing::warn!(remaining = ?quota.remaining, floor, "GitHub API quota below the floor");
        self.report.stopped = Some(Stop {
            reason: "quota_floor",
            message: format!(
                "only {} GitHub API requests are left, below [github] quota_floor = {floor}{}",
                quota.remaining.unwrap_or_default(),
                until
                    .as_ref()
                    .map(|u| format!("; the quota resets at {u}"))
                    .unwrap_or_default()
            ),
            until,
        });
        true
    }

    /// Carries out one operation, retrying within the run as the failure allows.
    async fn attempt(&mut self, entry: &Entry, repo: &str, job: Job) -> Result<()> {
        let op_id = entry.op.op_id.clone();
        let (mut attempts, mut uncertain) = match self.states.get(&op_id) {
            Some(OpState::Pending {
                attempts,
                uncertain,
                ..
            }) => (*attempts, *uncertain),
            _ => (0, false),
        };
        let journaled = self.journal.is_marked(&op_id);
        uncertain |= journaled;
        let max = *self.config.github.max_attempts.get_ref();
        let mut tries = 0;
        let mut marked = journaled;
        loop {
            if self.quota_stop() {
                self.push_report(entry, repo, "stopped");
                return Ok(());
            }
            tries += 1;
            attempts += 1;
            if !marked {
                self.journal.mark(&op_id)?;
                marked = true;
            }
            let result = {
                let env = Env {
                    repo: self.repo,
                    config: self.config,
                    states: &self.states,
                };
                let Some(client) = self.client.as_mut() else {
                    return Ok(());
                };
                perform::run(client, &env, &entry.op, repo, uncertain, &job).await
            };
            let err = match result {
                Ok(effect) => return self.record_effect(entry, repo, effect, attempts),
                Err(failure @ (Failure::Waiting(_) | Failure::Deferred(_))) => {
                    if !uncertain {
                        self.journal.clear(&op_id)?;
                    }
                    let why = match failure {
                        Failure::Deferred(why) => {
                            self.deferred.push(op_id.clone());
                            why
                        }
                        Failure::Waiting(why) => why,
                        _ => String::new(),
                    };
                    self.push_report(entry, repo, "waiting").note = Some(why);
                    return Ok(());
                }
                Err(Failure::Invalid(why)) => {
                    return self.record_failure(entry, repo, attempts, why, false, uncertain);
                }
                Err(Failure::Fatal(err)) => return Err(err),
                Err(Failure::Call(err)) => err,
            };
            match &err {
                CallError::Transient { maybe_applied, .. } => uncertain |= *maybe_applied,
                CallError::Malformed(_) => uncertain = true,
                // Not sent, or refused before it was carried out.
                CallError::RateLimited { .. }
                | CallError::Unreachable(_)
                | CallError::CircuitOpen { .. }
                | CallError::Forbidden { .. } => attempts -= 1,
                _ => {}
            }
            match &err {
                CallError::Forbidden { status, message } => {
                    if !uncertain {
                        self.journal.clear(&op_id)?;
                    }
                    self.refuse(
                        entry,
                        repo,
                        format!("GitHub refused it ({status}: {message})"),
                    );
                    return Ok(());
                }
                CallError::NotFound { message } => {
                    return self.record_failure(
                        entry,
                        repo,
                        attempts,
                        format!("404: {message} (the issue or repository is gone)"),
                        false,
                        uncertain,
                    );
                }
                CallError::Rejected { status, message } => {
                    return self.record_failure(
                        entry,
                        repo,
                        attempts,
                        format!("{status}: {message}"),
                        false,
                        uncertain,
                    );
                }
                CallError::Local(message) => {
                    return Err(Error::Usage(format!(
                        "local state of the executor: {message}"
                    )));
                }
                _ => {}
            }
            if tries < max
                && let Some(wait) = self.pause_before_retry(&err, tries)
            {
                tracing::info!(op = %op_id, error = %err, ?wait, "retrying");
                tokio::time::sleep(wait).await;
                continue;
            }
            // Out of patience for this run.
            let ends_run = !matches!(err, CallError::Transient { .. } | CallError::Malformed(_))
                || self.client.as_ref().is_some_and(|c| c.breaker.is_open());
            if attempts > 0
                && (uncertain
                    || matches!(err, CallError::Transient { .. } | CallError::Malformed(_)))
            {
                self.record_failure(entry, repo, attempts, err.to_string(), true, uncertain)?;
            } else {
                if !uncertain {
                    self.journal.clear(&op_id)?;
                }
                self.push_report(entry, repo, "stopped").error = Some(err.to_string());
            }
            if ends_run {
                self.stop_for(&err);
            }
            return Ok(());
        }
    }

    fn record_effect(
        &mut self,
        entry: &Entry,
        repo: &str,
        effect: Effect,
        attempts: u32,
    ) -> Result<()> {
        let mut outcome = OutboxOutcome::of(&entry.op, OutcomeStatus::Done, &self.run_id);
        outcome.repo = Some(repo.to_owned());
        outcome.number = effect.number;
        outcome.url = effect.url.clone();
        outcome.detail = Some(effect.detail.to_owned());
        outcome.attempts = attempts;
        let at = effect.number.map(|n| format!(" #{n}")).unwrap_or_default();
        self.record(
            vec![outcome],
            &format!(
                "outbox: {} {} {}{at} in {repo}",
                entry.op.kind, entry.op.op_id, effect.detail
            ),
        )?;
        self.journal.clear(&entry.op.op_id)?;
        if let Some(note) = &effect.note {
            tracing::info!(op = %entry.op.op_id, "{note}");
        }
        let report = self.push_report(entry, repo, effect.detail);
        report.number = effect.number;
        report.url = effect.url;
        report.attempts = attempts;
        report.note = effect.note;
        self.count(effect.detail);
        if entry.op.kind == OpKind::CreateIssue && entry.op.payload.get("digest").is_some() {
            self.complete_folds()?;
        }
        Ok(())
    }

    fn record_failure(
        &mut self,
        entry: &Entry,
        repo: &str,
        attempts: u32,
        error: String,
        retryable: bool,
        uncertain: bool,
    ) -> Result<()> {
        let mut outcome = OutboxOutcome::of(&entry.op, OutcomeStatus::Failed, &self.run_id);
        outcome.repo = Some(repo.to_owned());
        outcome.error = Some(error.clone());
        outcome.attempts = attempts;
        outcome.retryable = retryable;
        outcome.uncertain = uncertain;
        let verdict = if retryable {
            "failed (will retry)"
        } else {
            "failed"
        };
        self.record(
            vec![outcome],
            &format!("outbox: {} {} {verdict}", entry.op.kind, entry.op.op_id),
        )?;
        self.journal.clear(&entry.op.op_id)?;
        let result = if retryable { "gave_up" } else { "failed" };
        let report = self.push_report(entry, repo, result);
        report.attempts = attempts;
        report.error = Some(error);
        self.count(result);
        Ok(())
    }
}
