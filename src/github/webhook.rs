//! `post_webhook`: an alert posted to the `[alerts] webhook` as Slack's
//! `{"text": …}` (with the operation's id, so a receiver can drop repeats).
//!
//! Its own unauthenticated client: the GitHub token never goes to the
//! webhook's host. The URL (whose path is the webhook's secret) is read from
//! the configuration when sending and never logged or recorded. A webhook
//! cannot be asked whether an earlier attempt arrived, so after an attempt
//! whose answer was lost the post is not sent again: at most once, never
//! duplicated.

use super::client::CallError;
use super::perform::{Effect, Env, Failure};
use crate::outbox::Detail;
use crate::outbox::payload::WebhookPayload;
use crate::outbox::records::OutboxOp;
use octocrab::Octocrab;

fn effect(detail: Detail, note: Option<String>) -> Effect {
    Effect {
        number: None,
        url: None,
        detail,
        note,
    }
}

/// Posts `payload`; `uncertain`: an earlier attempt may have arrived.
pub(crate) async fn post(
    env: &Env<'_>,
    op: &OutboxOp,
    payload: &WebhookPayload,
    uncertain: bool,
) -> Result<Effect, Failure> {
    let Some(url) = env.config.alerts.webhook() else {
        return Err(Failure::Invalid(
            "no [alerts] webhook is configured any more".into(),
        ));
    };
    if uncertain {
        return Ok(effect(
            Detail::Adopted,
            Some("an earlier attempt may have been delivered: not posted again".into()),
        ));
    }
    let timeout = env.config.github.timeout();
    let octo = Octocrab::builder()
        .add_retry_config(octocrab::service::middleware::retry::RetryConfig::None)
        .set_connect_timeout(Some(timeout))
        .set_read_timeout(Some(timeout))
        .build()
        .map_err(|err| Failure::Fatal(crate::github::GithubError::Client(err).into()))?;
    let body = serde_json::json!({ "text": payload.text, "auditops_op": op.op_id.to_string() });
    let sent = tokio::time::timeout(timeout, octo._post(url, Some(&body))).await;
    let lost = |message: &str| {
        Failure::Call(CallError::Transient {
            message: format!("webhook: {message}"),
            maybe_applied: true,
        })
    };
    match sent {
        Err(_elapsed) => Err(lost("no answer in time")),
        // The error's text may hold the URL: it is not repeated.
        Ok(Err(_)) => Err(lost("the request failed or the connection dropped")),
        Ok(Ok(response)) if response.status().is_success() => Ok(effect(Detail::Created, None)),
        Ok(Ok(response)) if response.status().is_server_error() => {
            Err(Failure::Call(CallError::Transient {
                message: format!("webhook answered {}", response.status()),
                maybe_applied: false,
            }))
        }
        Ok(Ok(response)) => Err(Failure::Invalid(format!(
            "webhook answered {}",
            response.status()
        ))),
    }
}
