//! Noticing a pull request from a fork: GitHub gives its jobs no secrets, so
//! there is no CI key, and `ci run` should run the gates and report rather
//! than fail on the missing key.

/// Why this job looks like a pull request from a fork, if it does.
///
/// GitHub Actions sets `GITHUB_EVENT_NAME` and `GITHUB_EVENT_PATH` (the event's
/// JSON). A `pull_request` event whose head repository differs from its base
/// repository (or is marked `fork`) is from a fork. When the event file cannot
/// be read, a `pull_request` event without a key is taken to be one: there is
/// nothing else it could be.
pub fn detect() -> Option<String> {
    let event = std::env::var("GITHUB_EVENT_NAME").ok()?;
    if event != "pull_request" {
        return None;
    }
    let fallback = || Some("a pull_request event without a signing key".to_owned());
    let Some(path) = std::env::var_os("GITHUB_EVENT_PATH") else {
        return fallback();
    };
    let Ok(text) = std::fs::read(&path) else {
        return fallback();
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&text) else {
        return fallback();
    };
    let pr = &json["pull_request"];
    let head = pr["head"]["repo"]["full_name"].as_str();
    let base = pr["base"]["repo"]["full_name"].as_str();
    let fork = pr["head"]["repo"]["fork"].as_bool() == Some(true);
    match (head, base) {
        (Some(head), Some(base)) if head != base || fork => Some(format!(
            "a pull request from the fork {head} (GitHub gives its jobs no secrets)"
        )),
        (Some(_), Some(_)) => None,
        _ => fallback(),
    }
}
