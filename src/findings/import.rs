//! `findings import`: SARIF files in, one transaction out: a `scan` record per
//! tool and automation id, a `finding` record for each finding whose state
//! changed, and the issue operations those changes call for.

use super::FindingsError;
use super::fingerprint::{self, Occurrences};
use super::read::latest_findings;
use super::records::{Counts, Coverage, Finding, FindingLocation, FindingState, Scan};
use super::sarif::{self, Level, Run};
use crate::error::Result;
use crate::evidence::{redact, snippet};
use crate::git::{self, Committed};
use crate::ids::{CommitId, Sha256};
use crate::records::KeyedKind;
use crate::sign::key;
use crate::time::Timestamp;
use crate::workspace::Workspace;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// At most this many locations are kept per finding.
const MAX_LOCATIONS: usize = 10;

/// One SARIF input: its name (a path, or `-`) and its bytes.
pub struct Input {
    /// As given on the command line.
    pub name: String,
    /// The file's content.
    pub bytes: Vec<u8>,
}

/// What an import did (`findings import --json`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Imported {
    /// The scan records written, one per tool and automation id.
    pub scans: Vec<String>,
    /// Findings seen for the first time.
    pub new: u64,
    /// Open findings seen again.
    pub unchanged: u64,
    /// Open findings gone from a scan that covered their file.
    pub resolved: u64,
    /// Resolved findings seen again.
    pub reopened: u64,
    /// Results read.
    pub total: u64,
    /// The commit the scans are about.
    pub commit: Option<CommitId>,
    /// Scans that changed nothing and repeat the last scan of their tool at
    /// the same commit: not recorded again.
    pub already_imported: Vec<String>,
    /// Outbox operations queued (issues, comments, proposals).
    pub queued: Vec<String>,
    /// The level of every result read (all open in these scans), for a
    /// gate's `fail_on`.
    #[serde(skip)]
    pub open_levels: Vec<Level>,
}

/// One result ready to be compared with the state.
struct Prepared {
    fingerprint: Sha256,
    rule: String,
    level: Level,
    message: String,
    locations: Vec<FindingLocation>,
}

/// The runs of one tool and automation id.
struct Stream {
    tool: String,
    tool_version: Option<String>,
    automation_id: String,
    coverage: Coverage,
    results: Vec<Prepared>,
}

/// Reads a SARIF `uri` as a repository-relative path.
fn repo_path(uri: &str, workdir: Option<&std::path::Path>) -> String {
    let uri = uri.strip_prefix("file://").unwrap_or(uri);
    let decoded = percent_decode(uri);
    let mut path = decoded.as_str();
    let prefix = workdir.map(|w| w.to_string_lossy().trim_end_matches('/').to_owned() + "/");
    if let Some(prefix) = &prefix
        && let Some(rest) = path.strip_prefix(prefix.as_str())
    {
        path = rest;
    }
    while let Some(rest) = path.strip_prefix("./") {
        path = rest;
    }
    path.to_owned()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Redacted, then cut to 1,000 characters: what a record may hold of a tool's text.
fn clean(text: &str) -> String {
    snippet::truncate(&redact(text))
}

/// Files read at the scanned commit, each once.
struct Files<'a> {
    repo: &'a gix::Repository,
    commit: CommitId,
    lines: HashMap<String, Option<Vec<String>>>,
}

impl Files<'_> {
    /// Lines `start..=end` of `path` at the commit, if the file has them.
    fn region(&mut self, path: &str, start: u64, end: u64) -> Result<Option<String>> {
        if !self.lines.contains_key(path) {
            let lines = match git::read_committed(self.repo, self.commit.object_id(), path)? {
                Committed::File(bytes) => Some(
                    String::from_utf8_lossy(&bytes)
                        .lines()
                        .map(str::to_owned)
                        .collect(),
                ),
                Committed::Missing | Committed::NotAFile => None,
            };
            self.lines.insert(path.to_owned(), lines);
        }
        let Some(lines) = &self.lines[path] else {
            return Ok(None);
        };
        let (start, end) = (start.max(1) as usize, end.max(start) as usize);
        if start > lines.len() {
            return Ok(None);
        }
        Ok(Some(lines[start - 1..end.min(lines.len())].join("\n")))
    }
}

fn prepare_run(
    run: &Run,
    tool: &str,
    files: &mut Files<'_>,
    workdir: Option<&std::path::Path>,
    seen: &mut Occurrences,
    out: &mut Vec<Prepared>,
) -> Result<()> {
    for result in &run.results {
        let rule = run.rule_id(result);
        let level = run.level(result, &rule);
        let mut locations = Vec::new();
        let mut region_text = None;
        for location in &result.locations {
            let Some(physical) = &location.physical_location else {
                continue;
            };
            let Some(uri) = physical
                .artifact_location
                .as_ref()
                .and_then(|a| a.uri.as_deref())
            else {
                continue;
            };
            let path = repo_path(uri, workdir);
            let region = physical.region.as_ref();
            let start = region.and_then(|r| r.start_line);
            let end = region.and_then(|r| r.end_line).or(start);
            let text = match (start, end) {
                (Some(s), Some(e)) => files.region(&path, s, e)?,
                _ => None,
            };
            let text = text.or_else(|| region?.snippet.as_ref()?.text.clone());
            if locations.is_empty() {
                region_text = Some(text.clone().unwrap_or_default());
            }
            if locations.len() < MAX_LOCATIONS {
                locations.push(FindingLocation {
                    path,
                    start_line: start,
                    end_line: end.filter(|e| Some(*e) != start),
                    snippet: text.map(|t| clean(&t)).filter(|t| !t.is_empty()),
                });
            }
        }
        let message = result.message.text();
        let base = if !result.partial_fingerprints.is_empty() {
            fingerprint::from_partial(tool, &rule, &result.partial_fingerprints)
        } else {
            let path = locations
                .first()
                .map(|l| l.path.as_str())
                .unwrap_or_default();
            let text = region_text.filter(|t| !t.trim().is_empty());
            fingerprint::from_content(tool, &rule, path, text.as_deref().unwrap_or(message))
        };
        out.push(Prepared {
            fingerprint: seen.next(base),
            rule,
            level,
            message: clean(message),
            locations,
        });
    }
    Ok(())
}

fn coverage_of(run: &Run, workdir: Option<&std::path::Path>) -> Coverage {
    if run.invocations.iter().any(|i| !i.execution_successful) {
        return Coverage::Nothing;
    }
    match &run.artifacts {
        Some(artifacts) if !artifacts.is_empty() => {
            let mut paths: Vec<String> = artifacts
                .iter()
                .filter_map(|a| a.location.as_ref()?.uri.as_deref())
                .map(|uri| repo_path(uri, workdir))
                .collect();
            paths.sort();
            paths.dedup();
            Coverage::Paths { paths }
        }
        _ => Coverage::All,
    }
}

fn union(a: Coverage, b: Coverage) -> Coverage {
    match (a, b) {
        (Coverage::All, _) | (_, Coverage::All) => Coverage::All,
        (Coverage::Nothing, other) | (other, Coverage::Nothing) => other,
        (Coverage::Paths { mut paths }, Coverage::Paths { paths: more }) => {
            paths.extend(more);
            paths.sort();
            paths.dedup();
            Coverage::Paths { paths }
        }
    }
}

/// The run id recorded with a scan: `GITHUB_RUN_ID`, else `local`.
pub fn run_id() -> String {
    std::env::var("GITHUB_RUN_ID")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "local".to_owned())
}

/// Reads every input (any malformed one refuses the whole import).
fn parse_all(inputs: &[Input]) -> std::result::Result<Vec<sarif::Log>, FindingsError> {
    if inputs.is_empty() {
        return Err(FindingsError::NoFiles);
    }
    inputs
        .iter()
        .map(|input| {
            sarif::parse(&input.bytes).map_err(|source| FindingsError::Malformed {
                file: input.name.clone(),
                source,
            })
        })
        .collect()
}

/// What one stream changes: new finding revisions, and the counts.
fn compare(
    stream: &Stream,
    current: &HashMap<Sha256, Finding>,
    scan_id: &str,
    commit: CommitId,
    now: Timestamp,
) -> (Vec<Finding>, Counts) {
    let mut counts = Counts {
        total: stream.results.len() as u64,
        ..Counts::default()
    };
    let mut changed = Vec::new();
    let mut present = std::collections::HashSet::new();
    for result in &stream.results {
        present.insert(result.fingerprint);
        let record = |state, revision, first_seen| Finding {
            schema_version: 1,
            fingerprint: result.fingerprint,
            revision,
            tool: stream.tool.clone(),
            automation_id: stream.automation_id.clone(),
            rule: result.rule.clone(),
            level: result.level,
            message: result.message.clone(),
            locations: result.locations.clone(),
            state,
            scan: scan_id.to_owned(),
            commit,
            first_seen,
            last_seen: now,
        };
        match current.get(&result.fingerprint) {
            None => {
                counts.new += 1;
                changed.push(record(FindingState::Open, 0, now));
            }
            Some(old) if old.state.is_open() => counts.unchanged += 1,
            Some(old) => {
                counts.reopened += 1;
                changed.push(record(
                    FindingState::Reopened,
                    old.revision + 1,
                    old.first_seen,
                ));
            }
        }
    }
    let mut gone: Vec<&Finding> = current
        .values()
        .filter(|f| f.state.is_open() && !present.contains(&f.fingerprint))
        .filter(|f| f.tool.eq_ignore_ascii_case(&stream.tool))
        .filter(|f| f.automation_id == stream.automation_id)
        .filter(|f| f.locations.iter().any(|l| stream.coverage.covers(&l.path)))
        .collect();
    gone.sort_by_key(|f| f.fingerprint);
    for old in gone {
        counts.resolved += 1;
        let mut resolved = old.clone();
        resolved.revision += 1;
        resolved.state = FindingState::Resolved;
        resolved.scan = scan_id.to_owned();
        resolved.commit = commit;
        resolved.last_seen = now;
        changed.push(resolved);
    }
    (changed, counts)
}

/// Imports `inputs` as scans of the commit `rev` names (default HEAD), in one
/// transaction; `tool` overrides the tools' own names.
pub fn import(
    ws: &Workspace,
    inputs: &[Input],
    tool: Option<&str>,
    rev: Option<&str>,
) -> Result<Imported> {
    import_in(ws, inputs, tool, rev, None)
}

/// [`import`] of files a tool wrote while running in `root` (a gate's
/// worktree) rather than in the repository's working tree: absolute paths
/// under `root` are read as repository paths.
pub(crate) fn import_in(
    ws: &Workspace,
    inputs: &[Input],
    tool: Option<&str>,
    rev: Option<&str>,
    root: Option<&std::path::Path>,
) -> Result<Imported> {
    let logs = parse_all(inputs)?;
    let repo = ws.repo();
    let config = ws.config()?;
    let commit = CommitId::from(git::resolve_commit(repo, rev.unwrap_or("HEAD"))?);
    let workdir = root
        .or(repo.workdir())
        .map(|w| w.canonicalize().unwrap_or_else(|_| w.to_owned()));
    let workdir = workdir.as_deref();
    let mut files = Files {
        repo,
        commit,
        lines: HashMap::new(),
    };

    let mut streams: BTreeMap<(String, String), Stream> = BTreeMap::new();
    let mut occurrences: HashMap<(String, String), Occurrences> = HashMap::new();
    for run in logs.iter().flat_map(|log| &log.runs) {
        let name = tool.unwrap_or(&run.tool.driver.name).to_owned();
        let key = (name.to_lowercase(), run.automation_id());
        let stream = streams.entry(key.clone()).or_insert_with(|| Stream {
            tool: name.clone(),
            tool_version: run.tool_version(),
            automation_id: run.automation_id(),
            coverage: Coverage::Nothing,
            results: Vec::new(),
        });
        let seen = occurrences.entry(key).or_default();
        prepare_run(run, &name, &mut files, workdir, seen, &mut stream.results)?;
        let coverage = std::mem::replace(&mut stream.coverage, Coverage::Nothing);
        stream.coverage = union(coverage, coverage_of(run, workdir));
    }

    let view = ws.view()?;
    let trust = ws.trust()?;
    let require_signed = ws.require_signed()?;
    let mut current = match &view {
        Some(view) => latest_findings(view, trust, require_signed)?,
        None => HashMap::new(),
    };
    let scans: Vec<Scan> = match &view {
        Some(view) => crate::records::read_all::<Scan>(view, trust)?
            .into_iter()
            .filter(|r| r.counts(require_signed))
            .map(|r| r.record)
            .collect(),
        None => Vec::new(),
    };
    let sarif_sha256 = Sha256::of(
        inputs
            .iter()
            .map(|i| Sha256::of(&i.bytes).to_hex())
            .collect::<Vec<_>>()
            .join(","),
    );

    let key = key::for_recording(ws)?;
    let now = Timestamp::now();
    let mut imported = Imported {
        commit: Some(commit),
        ..Imported::default()
    };
    let mut ops = Vec::new();
    let mut changed_all = Vec::new();
    let mut recorded_scans = Vec::new();
    for stream in streams.values() {
        let mut scan = Scan {
            schema_version: 1,
            scan_id: String::new(),
            tool: stream.tool.clone(),
            tool_version: stream.tool_version.clone(),
            automation_id: stream.automation_id.clone(),
            commit,
            run_id: run_id(),
            sarif_sha256,
            coverage: stream.coverage.clone(),
            counts: Counts::default(),
            timestamp: now,
        };
        scan.scan_id = scan.implied_id();
        let (changed, counts) = compare(stream, &current, &scan.scan_id, commit, now);
        imported.total += counts.total;
        imported.new += counts.new;
        imported.unchanged += counts.unchanged;
        imported.resolved += counts.resolved;
        imported.reopened += counts.reopened;
        imported
            .open_levels
            .extend(stream.results.iter().map(|r| r.level));
        let repeat = scans
            .iter()
            .filter(|s| s.tool.eq_ignore_ascii_case(&stream.tool))
            .filter(|s| s.automation_id == stream.automation_id)
            .max_by_key(|s| (s.timestamp, s.scan_id.clone()))
            .filter(|last| {
                changed.is_empty() && last.commit == commit && last.counts.total == counts.total
            });
        if let Some(last) = repeat {
            imported.already_imported.push(last.scan_id.clone());
            continue;
        }
        scan.counts = counts;
        scan.scan_id = scan.implied_id();
        let changed: Vec<Finding> = changed
            .into_iter()
            .map(|mut f| {
                f.scan = scan.scan_id.clone();
                f
            })
            .collect();
        ops.extend(crate::records::put_all(&changed, key.as_ref()));
        for finding in &changed {
            current.insert(finding.fingerprint, finding.clone());
        }
        ops.push(scan.put(key.as_ref()));
        imported.scans.push(scan.scan_id.clone());
        changed_all.extend(changed);
        recorded_scans.push(scan);
    }
    if ops.is_empty() {
        return Ok(imported);
    }
    if config.findings.issues {
        let queued =
            super::issues::plan(ws, &changed_all, &current, &recorded_scans, key.as_ref())?;
        imported.queued = queued.op_ids;
        ops.extend(queued.ops);
    }
    let tools: Vec<&str> = recorded_scans.iter().map(|s| s.tool.as_str()).collect();
    ws.write(
        &ops,
        &format!(
            "findings: import {} ({} new, {} resolved, {} reopened)",
            tools.join(", "),
            imported.new,
            imported.resolved,
            imported.reopened
        ),
    )?;
    Ok(imported)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_become_repository_paths() {
        let root = std::path::Path::new("/work/repo");
        assert_eq!(repo_path("src/a%20b.rs", Some(root)), "src/a b.rs");
        assert_eq!(repo_path("file:///work/repo/app.py", Some(root)), "app.py");
        assert_eq!(repo_path("./app.py", None), "app.py");
    }

    fn open_finding(path: &str, n: u8) -> Finding {
        Finding {
            schema_version: 1,
            fingerprint: Sha256::of([n]),
            revision: 0,
            tool: "Bandit".into(),
            automation_id: String::new(),
            rule: "B101".into(),
            level: Level::Note,
            message: "m".into(),
            locations: vec![FindingLocation {
                path: path.into(),
                start_line: Some(1),
                end_line: None,
                snippet: None,
            }],
            state: FindingState::Open,
            scan: "s".into(),
            commit: CommitId::from(gix::ObjectId::null(gix::hash::Kind::Sha1)),
            first_seen: Timestamp::now(),
            last_seen: Timestamp::now(),
        }
    }

    #[test]
    fn a_partial_scan_resolves_only_what_it_covered() {
        let current: HashMap<Sha256, Finding> = [open_finding("a.py", 1), open_finding("b.py", 2)]
            .into_iter()
            .map(|f| (f.fingerprint, f))
            .collect();
        let stream = |coverage, tool: &str, automation: &str| Stream {
            tool: tool.into(),
            tool_version: None,
            automation_id: automation.into(),
            coverage,
            results: Vec::new(),
        };
        let commit = CommitId::from(gix::ObjectId::null(gix::hash::Kind::Sha1));
        let now = Timestamp::now();
        let only_a = Coverage::Paths {
            paths: vec!["a.py".into()],
        };
        let (changed, counts) = compare(&stream(only_a, "bandit", ""), &current, "x", commit, now);
        assert_eq!(counts.resolved, 1);
        assert_eq!(changed[0].path(), "a.py");
        assert_eq!(changed[0].state, FindingState::Resolved);
        assert_eq!(changed[0].revision, 1);
        let (_, counts) = compare(
            &stream(Coverage::Nothing, "bandit", ""),
            &current,
            "x",
            commit,
            now,
        );
        assert_eq!(counts.resolved, 0);
        let (_, counts) = compare(
            &stream(Coverage::All, "bandit", "nightly/"),
            &current,
            "x",
            commit,
            now,
        );
        assert_eq!(counts.resolved, 0, "another automation id resolves nothing");
        let (_, counts) = compare(
            &stream(Coverage::All, "semgrep", ""),
            &current,
            "x",
            commit,
            now,
        );
        assert_eq!(counts.resolved, 0, "another tool resolves nothing");
        let (_, counts) = compare(
            &stream(Coverage::All, "bandit", ""),
            &current,
            "x",
            commit,
            now,
        );
        assert_eq!(counts.resolved, 2);
    }

    #[test]
    fn coverage_unions() {
        let paths = |p: &[&str]| Coverage::Paths {
            paths: p.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(union(paths(&["b"]), paths(&["a"])), paths(&["a", "b"]));
        assert_eq!(union(Coverage::Nothing, paths(&["a"])), paths(&["a"]));
        assert_eq!(union(Coverage::All, paths(&["a"])), Coverage::All);
        assert!(!Coverage::Nothing.covers("a"));
    }
}
