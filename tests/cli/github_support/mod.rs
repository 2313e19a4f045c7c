//! What the GitHub tests share: a repository configured for the fake GitHub,
//! running `sync` with the fake's token, queueing operations through the
//! library, and reading outcomes back.

use crate::fake_github::{FakeGitHub, TOKEN};
use crate::support::{Repo, STATE_REF};
use git_auditops::outbox::{OpKind, OpRequest, queue_op};
use git_auditops::store::Store;
use std::process::Output;

/// Settings that keep the tests fast: tiny waits, short timeouts.
pub const FAST: &str = r#"write_interval = "1ms"
backoff_base = "20ms"
backoff_max = "100ms"
max_retry_after = "2s"
breaker_cooldown = "1s"
"#;

pub struct Project {
    pub repo: Repo,
    pub fake: FakeGitHub,
}

impl Project {
    /// A repository whose `[github]` section points at a fresh fake, with
    /// unsigned records allowed (signing is tested elsewhere) and `extra`
    /// appended to the `[github]` section.
    pub fn new(extra: &str) -> Self {
        let fake = FakeGitHub::start();
        let repo = Repo::new();
        let url = fake.url.clone();
        Project::configure(&repo, &url, extra);
        Project { repo, fake }
    }

    pub fn configure(repo: &Repo, api_url: &str, extra: &str) {
        let timeout = if extra.contains("timeout =") {
            ""
        } else {
            "timeout = \"2s\"\n"
        };
        repo.write(
            ".auditops.toml",
            format!(
                "version = 1\n\n[trust]\nrequire_signed = false\n\n[github]\nrepo = \"octo/demo\"\napi_url = \"{api_url}\"\n{FAST}{timeout}{extra}"
            ),
        );
        repo.commit_all("auditops config");
        repo.ok(&["init", "--no-hooks"]);
    }

    /// Our binary with the fake's token in the environment.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.repo.cmd();
        cmd.env("GITHUB_TOKEN", TOKEN)
            .env_remove("GH_TOKEN")
            .env_remove("GITHUB_RUN_ID")
            .env_remove("MAX_ISSUES_PER_RUN")
            .env("GH_CONFIG_DIR", self.repo.home.path().join("no-gh"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.args(args).output().expect("run git-auditops")
    }

    /// Runs and expects `code`; returns stdout.
    pub fn expect(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "git-auditops {args:?}:\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn sync(&self) -> serde_json::Value {
        serde_json::from_str(&self.expect(&["sync", "--json"], 0)).expect("sync json")
    }

    /// `sync --json` expecting `code`; the report.
    pub fn sync_code(&self, code: i32) -> serde_json::Value {
        serde_json::from_str(&self.expect(&["sync", "--json"], code)).expect("sync json")
    }

    pub fn issue_new(&self, title: &str, extra: &[&str]) -> serde_json::Value {
        let mut args = vec![
            "issue",
            "new",
            "--title",
            title,
            "--body",
            "found by a test",
            "--json",
        ];
        args.extend_from_slice(extra);
        serde_json::from_str(&self.repo.ok(&args)).expect("issue new json")
    }

    /// Queues `request` through the library, as the patch feature does.
    pub fn queue(&self, kind: OpKind, key: &str, payload: serde_json::Value) -> String {
        queue_in(&self.repo, kind, key, payload)
    }

    pub fn outbox(&self) -> Vec<serde_json::Value> {
        serde_json::from_str(&self.repo.ok(&["outbox", "list", "--json"])).expect("outbox json")
    }

    pub fn op(&self, op_id: &str) -> serde_json::Value {
        self.outbox()
            .into_iter()
            .find(|o| o["op_id"] == op_id)
            .unwrap_or_else(|| panic!("op {op_id} not in the outbox"))
    }

    pub fn states(&self) -> Vec<String> {
        self.outbox()
            .iter()
            .map(|o| o["state"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Every record of the state ref, with DSSE payloads decoded, as text.
    pub fn state_text(&self) -> String {
        state_text(&self.repo)
    }
}

pub fn queue_in(repo: &Repo, kind: OpKind, key: &str, payload: serde_json::Value) -> String {
    let git = gix::open(repo.path()).expect("open repo");
    let store = Store::new(&git, STATE_REF).expect("store");
    let request = OpRequest {
        kind,
        dedupe_key: key.to_owned(),
        repo: None,
        payload,
    };
    request.validate().expect("valid request");
    let (op_id, op) = queue_op(&request, None);
    store.write(&[op], "test: queue").expect("write");
    op_id
}

pub fn state_text(repo: &Repo) -> String {
    use base64::Engine;
    let objects = repo.git(&["rev-list", "--objects", STATE_REF]);
    let mut text = String::new();
    for line in objects.lines() {
        let id = line.split_whitespace().next().unwrap_or_default();
        if repo.git(&["cat-file", "-t", id]) != "blob" {
            continue;
        }
        let blob = repo.git(&["cat-file", "-p", id]);
        for record in blob.lines() {
            text.push_str(record);
            text.push('\n');
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(record)
                && let Some(payload) = value["payload"].as_str()
                && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(payload)
            {
                text.push_str(&String::from_utf8_lossy(&bytes));
                text.push('\n');
            }
        }
    }
    text
}

/// A loopback URL on which nothing listens.
pub fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

pub fn marker(op_id: &str) -> String {
    format!("<!-- auditops:op={op_id} -->")
}
