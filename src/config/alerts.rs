//! `[alerts]`: when a category's failure rate raises an alert, and where
//! alerts go besides the state (docs/rules.md).

use crate::duration::Setting;
use serde::Deserialize;
use toml::Spanned;

/// `[alerts]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// Failure rate at or above which a category is critical (0.50).
    #[serde(default = "default_critical")]
    pub critical: Spanned<f64>,
    /// … high (0.30).
    #[serde(default = "default_high")]
    pub high: Spanned<f64>,
    /// … medium (0.15).
    #[serde(default = "default_medium")]
    pub medium: Spanned<f64>,
    /// The rolling window rates are computed over (24h).
    #[serde(default = "default_window")]
    pub window: Setting,
    /// Fewer runs than this in the window raise no alert (5): one failed
    /// run of one is not a trend.
    #[serde(default = "default_min_runs")]
    pub min_runs: usize,
    /// Queue one issue per alert in the outbox (default false).
    #[serde(default)]
    pub issues: bool,
    /// Post every alert to this URL, Slack-compatible JSON (`{"text": …}`).
    #[serde(default)]
    pub webhook: Option<Spanned<String>>,
}

fn spanned<T>(value: T) -> Spanned<T> {
    Spanned::new(0..0, value)
}
fn default_critical() -> Spanned<f64> {
    spanned(0.50)
}
fn default_high() -> Spanned<f64> {
    spanned(0.30)
}
fn default_medium() -> Spanned<f64> {
    spanned(0.15)
}
fn default_window() -> Setting {
    Setting::secs(24 * 3600)
}
fn default_min_runs() -> usize {
    5
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            critical: default_critical(),
            high: default_high(),
            medium: default_medium(),
            window: default_window(),
            min_runs: default_min_runs(),
            issues: false,
            webhook: None,
        }
    }
}

impl AlertsConfig {
    /// The webhook URL, when one is configured.
    pub fn webhook(&self) -> Option<&str> {
        self.webhook.as_ref().map(|w| w.get_ref().as_str())
    }
}

/// Thresholds are fractions with medium < high < critical; the webhook is an
/// http(s) URL. The span of the value at fault and why.
pub fn validate(alerts: &AlertsConfig) -> Result<(), (std::ops::Range<usize>, String)> {
    for (name, value) in [
        ("critical", &alerts.critical),
        ("high", &alerts.high),
        ("medium", &alerts.medium),
    ] {
        let v = *value.get_ref();
        if !(v > 0.0 && v <= 1.0) {
            return Err((
                value.span(),
                format!("{name} must be a fraction above 0 and at most 1"),
            ));
        }
    }
    if alerts.medium.get_ref() >= alerts.high.get_ref() {
        return Err((alerts.high.span(), "high must be above medium".into()));
    }
    if alerts.high.get_ref() >= alerts.critical.get_ref() {
        return Err((alerts.critical.span(), "critical must be above high".into()));
    }
    if let Some(url) = &alerts.webhook {
        let text = url.get_ref();
        if !(text.starts_with("https://") || text.starts_with("http://")) {
            return Err((url.span(), "webhook must be an http(s) URL".into()));
        }
    }
    Ok(())
}
