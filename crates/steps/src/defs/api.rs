//! Functional checks through the device's declared API endpoints (IXIT
//! 28-ExtAPI, 13-SoftServ): what answers without authentication (5.5-4,
//! 5.5-5), what it gives away (5.6-2), how it treats hostile input (5.13-1).
//! The functions here are shared with the other functional step files.

use std::sync::LazyLock;

use iotmark_adapters::device::Credential;
use iotmark_adapters::endpoints::{
    ApiAnswer, ApiCall, ApiEndpoint, ApiFunction, ApiMethod, CallValue, FieldKind,
};
use iotmark_adapters::profile::Protocol;
use iotmark_adapters::secret::Secret;
use regex::Regex;

use super::{step, StepDef};
use crate::world::{StepError, StepResult, World};

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(r"the manufacturer's declared API endpoints", declared),
        step!(
            r"no endpoint declared to need authentication answers without it",
            no_open_endpoints
        ),
        step!(
            r"no endpoint that changes configuration accepts a change without authentication, and the settings stay as they were",
            no_open_changes
        ),
        step!(
            r"nothing the product returns without authentication discloses a software version or a secret",
            no_disclosure
        ),
        step!(
            r"every declared input field refuses malformed, oversized and injection values, and the product keeps working",
            input_validation
        ),
    ]
}

async fn declared(w: &mut World, _: Vec<String>) -> StepResult {
    let n = w.profile().ixit.api_endpoints.len();
    if n == 0 {
        return Err(StepError::Inconclusive(
            "no API endpoint is declared in /ixit/api_endpoints, so none can be exercised".into(),
        ));
    }
    w.note(format!("{n} API endpoint(s) declared"));
    Ok(())
}

/// The credential that opens `interface`: the username of the password
/// mechanism guarding it and the password of the unit under test.
pub(super) fn credential_for(w: &World, interface: &str) -> Option<Credential> {
    let p = w.profile();
    let mech = p
        .password_mechanisms()
        .find(|m| m.interfaces.iter().any(|i| i == interface))?;
    let password = p.units.get(w.ctx.unit)?.initial_password.clone()?;
    Some(Credential {
        username: mech.username.clone()?,
        password,
    })
}

/// The request for endpoint `e` with `fields`, authenticated with
/// `credential` when given.
pub(super) fn call_for(
    w: &World,
    e: &ApiEndpoint,
    credential: Option<Credential>,
    fields: Vec<(String, CallValue)>,
    kind: &str,
) -> Result<ApiCall, StepError> {
    let i = w.profile().interface(&e.interface).ok_or_else(|| {
        StepError::Inconclusive(format!(
            "endpoint {} names interface {}, which is not declared",
            e.id, e.interface
        ))
    })?;
    Ok(ApiCall {
        port: i.port,
        tls: matches!(i.protocol, Protocol::Https | Protocol::Tls),
        method: e.method,
        path: e.path.clone(),
        credential,
        fields,
        kind: kind.to_string(),
    })
}

/// Send a request; a probe error is INCONCLUSIVE.
pub(super) async fn send(w: &World, call: &ApiCall) -> Result<ApiAnswer, StepError> {
    w.ctx.device.api_call(&w.ev, call).await.map_err(|e| {
        StepError::Inconclusive(format!(
            "{} {} could not be sent: {e}",
            call.method.as_str(),
            call.path
        ))
    })
}

/// Call endpoint `e`, authenticated when `authenticate` (with the unit's
/// declared password), with `fields`.
pub(super) async fn call(
    w: &World,
    e: &ApiEndpoint,
    authenticate: bool,
    fields: Vec<(String, CallValue)>,
    kind: &str,
) -> Result<ApiAnswer, StepError> {
    let credential = if authenticate && e.authenticated {
        Some(credential_for(w, &e.interface).ok_or_else(|| {
            StepError::Inconclusive(format!(
                "no declared password mechanism and unit password open interface {} for {}",
                e.interface, e.id
            ))
        })?)
    } else {
        None
    };
    call_as(w, e, credential, fields, kind).await
}

/// Call endpoint `e` with `credential` (or none) and `fields`.
pub(super) async fn call_as(
    w: &World,
    e: &ApiEndpoint,
    credential: Option<Credential>,
    fields: Vec<(String, CallValue)>,
    kind: &str,
) -> Result<ApiAnswer, StepError> {
    let request = call_for(w, e, credential, fields, kind)?;
    send(w, &request).await
}

/// A valid value for a field: its declared example, or one of its kind.
pub(super) fn valid_value(f: &iotmark_adapters::endpoints::ApiField) -> String {
    if let Some(x) = &f.example {
        return x.clone();
    }
    match f.kind {
        FieldKind::Integer => f.minimum.unwrap_or(0).to_string(),
        FieldKind::Boolean => "false".into(),
        FieldKind::Name | FieldKind::Text => "iotmark".into(),
        FieldKind::Password => "iotmark-Probe-7391".into(),
        FieldKind::Base64 => "AAAA".into(),
    }
}

/// Every field of `e` with a valid value.
pub(super) fn valid_fields(e: &ApiEndpoint) -> Vec<(String, CallValue)> {
    e.fields
        .iter()
        .map(|f| (f.name.clone(), CallValue::Text(valid_value(f))))
        .collect()
}

/// The endpoints with function `f`.
pub(super) fn with_function(w: &World, f: ApiFunction) -> Vec<ApiEndpoint> {
    w.profile()
        .ixit
        .api_endpoints
        .iter()
        .filter(|e| e.function == f)
        .cloned()
        .collect()
}

/// Is the product's status endpoint answering (authenticated)? `None` when
/// no status endpoint is declared.
pub(super) async fn healthy(w: &World) -> Option<Result<(), String>> {
    let e = w
        .profile()
        .ixit
        .api_endpoints
        .iter()
        .find(|e| e.function == ApiFunction::Status && e.method == ApiMethod::Get)
        .cloned()?;
    Some(match call(w, &e, true, Vec::new(), "api-health").await {
        Ok(a) if a.is_success() => Ok(()),
        Ok(a) => Err(format!("{} answered HTTP {}", e.path, a.status)),
        Err(StepError::Inconclusive(m) | StepError::Fail(m) | StepError::NotApplicable(m)) => {
            Err(m)
        }
    })
}

fn short(body: &str) -> String {
    let text: String = body.chars().take(80).collect();
    format!("{text:?}")
}

/// The endpoints declared to need authentication; INCONCLUSIVE when there
/// are none, since then nothing can be tried without it.
fn needing_authentication(declared: &[ApiEndpoint]) -> Result<Vec<ApiEndpoint>, StepError> {
    let endpoints: Vec<ApiEndpoint> = declared
        .iter()
        .filter(|e| e.authenticated)
        .cloned()
        .collect();
    if endpoints.is_empty() {
        return Err(StepError::Inconclusive(
            "no endpoint in /ixit/api_endpoints is declared to need authentication, so none can be tried without it"
                .into(),
        ));
    }
    Ok(endpoints)
}

async fn no_open_endpoints(w: &mut World, _: Vec<String>) -> StepResult {
    let endpoints = needing_authentication(&w.profile().ixit.api_endpoints)?;
    let mut open = Vec::new();
    for e in &endpoints {
        let a = call(w, e, false, valid_fields(e), "api-unauthenticated").await?;
        if a.is_success() {
            open.push(format!(
                "{} {} ({}) answered HTTP {} without credentials: {}",
                e.method.as_str(),
                e.path,
                e.id,
                a.status,
                short(&a.body)
            ));
        }
    }
    if !open.is_empty() {
        return Err(StepError::Fail(format!(
            "functions declared to need authentication are open: {}",
            open.join("; ")
        )));
    }
    w.note(format!(
        "all {} endpoint(s) declared to need authentication refused a request without credentials",
        endpoints.len()
    ));
    Ok(())
}

async fn no_open_changes(w: &mut World, _: Vec<String>) -> StepResult {
    let changing: Vec<ApiEndpoint> = w
        .profile()
        .ixit
        .api_endpoints
        .iter()
        .filter(|e| e.changes_configuration)
        .cloned()
        .collect();
    if changing.is_empty() {
        return Err(StepError::Inconclusive(
            "no endpoint is declared to change configuration".into(),
        ));
    }
    let readers: Vec<ApiEndpoint> = with_function(w, ApiFunction::Settings)
        .into_iter()
        .filter(|e| e.method == ApiMethod::Get)
        .collect();
    if readers.is_empty() {
        return Err(StepError::Inconclusive(
            "no settings GET endpoint is declared, so whether the settings stay as they were cannot be read".into(),
        ));
    }
    let mut before = Vec::new();
    for r in &readers {
        let a = call(w, r, true, Vec::new(), "api-settings-read").await?;
        settings_readable(r, &a)?;
        before.push(a);
    }
    let mut accepted = Vec::new();
    for e in &changing {
        let a = call(w, e, false, valid_fields(e), "api-unauthenticated-change").await?;
        if a.is_success() {
            accepted.push(format!(
                "{} {} ({}) accepted a change without credentials (HTTP {})",
                e.method.as_str(),
                e.path,
                e.id,
                a.status
            ));
        }
    }
    let mut unread = None;
    for (r, old) in readers.iter().zip(&before) {
        let now = call(w, r, true, Vec::new(), "api-settings-read").await?;
        if let Err(e) = settings_readable(r, &now) {
            unread.get_or_insert(e);
        } else if now.body != old.body {
            accepted.push(format!(
                "the settings read from {} changed from {} to {}",
                r.path,
                short(&old.body),
                short(&now.body)
            ));
        }
    }
    if !accepted.is_empty() {
        return Err(StepError::Fail(format!(
            "configuration can be changed without authentication: {}",
            accepted.join("; ")
        )));
    }
    if let Some(e) = unread {
        return Err(e);
    }
    w.note(format!(
        "{} configuration-changing endpoint(s) refused unauthenticated changes; the settings were unchanged",
        changing.len()
    ));
    Ok(())
}

/// Did reading the settings from `r` give something to compare? Anything
/// but 2xx leaves "the settings stay as they were" undecided.
fn settings_readable(r: &ApiEndpoint, a: &ApiAnswer) -> StepResult {
    if a.is_success() {
        return Ok(());
    }
    Err(StepError::Inconclusive(format!(
        "the settings could not be read from {} (HTTP {}), so whether they changed is unknown",
        r.path, a.status
    )))
}

/// Software names whose version a banner must not give away.
const SOFTWARE: &str = r"(?i)\b(busybox|openssl|lighttpd|nginx|apache|boa|goahead|mini_httpd|micro_httpd|dropbear|openssh|linux|uclibc|jetty|thttpd)\b[ /:_-]*v?\d+(\.\d+)+";
/// A labelled version or build number.
const LABELLED_VERSION: &str =
    r#"(?i)\b(firmware|fw_version|version|build)\b"?\s*[:=]\s*"?v?\d+(\.\d+)+"#;
/// A labelled secret.
const LABELLED_SECRET: &str = r#"(?i)\b(token|secret|passwd|password|api[_-]?key|private[_ ]key)\b"?\s*[:=]\s*"?[A-Za-z0-9+/_-]{4,}"#;

/// What each disclosure pattern finds, and the pattern.
const DISCLOSURE_PATTERNS: [(&str, &str); 3] = [
    ("software version", SOFTWARE),
    ("version number", LABELLED_VERSION),
    ("secret", LABELLED_SECRET),
];

/// The disclosure patterns, compiled once; the error names any that does
/// not compile, so no pattern is ever silently left out.
static DISCLOSURE_RES: LazyLock<Result<Vec<(&'static str, Regex)>, String>> = LazyLock::new(|| {
    DISCLOSURE_PATTERNS
        .iter()
        .map(|(what, pattern)| {
            Regex::new(pattern)
                .map(|re| (*what, re))
                .map_err(|e| format!("the {what} pattern does not compile: {e}"))
        })
        .collect()
});

/// What `text` gives away: versions and secrets, each named. An error when
/// the patterns could not be compiled (then nothing can be judged).
pub(crate) fn disclosures(
    text: &str,
    firmware: &str,
    secrets: &[&str],
) -> Result<Vec<String>, String> {
    let patterns = DISCLOSURE_RES.as_ref().map_err(Clone::clone)?;
    let mut found = Vec::new();
    for (what, re) in patterns {
        if let Some(m) = re.find(text) {
            found.push(format!("{what} {:?}", m.as_str()));
        }
    }
    if !firmware.is_empty() && crate::analysis::text::names_whole(text, firmware) {
        found.push(format!("the firmware version {firmware}"));
    }
    for s in secrets {
        if !s.is_empty() && text.contains(s) {
            found.push("the unit's password".into());
        }
    }
    Ok(found)
}

async fn no_disclosure(w: &mut World, _: Vec<String>) -> StepResult {
    let firmware = w.profile().product.firmware.clone();
    let password = w
        .profile()
        .units
        .get(w.ctx.unit)
        .and_then(|u| u.initial_password.clone());
    let secrets: Vec<&str> = password.iter().map(Secret::expose).collect();
    let mut surfaces: Vec<(String, ApiCall)> = Vec::new();
    for e in w.profile().ixit.api_endpoints.iter() {
        let label = format!("{} {}", e.method.as_str(), e.path);
        surfaces.push((
            label,
            call_for(w, e, None, Vec::new(), "api-unauthenticated-read")?,
        ));
    }
    // The declared web login pages, as anyone sees them.
    for t in w.ctx.device.login_targets() {
        if let iotmark_adapters::profile::LoginMethod::HttpForm { path, .. } = &t.method {
            if let Some(i) = w.profile().interface(&t.interface) {
                surfaces.push((
                    format!("GET {path}"),
                    ApiCall {
                        port: i.port,
                        tls: t.tls,
                        method: ApiMethod::Get,
                        path: path.clone(),
                        credential: None,
                        fields: Vec::new(),
                        kind: "api-unauthenticated-read".into(),
                    },
                ));
            }
        }
    }
    let mut leaks = Vec::new();
    let n = surfaces.len();
    for (label, request) in surfaces {
        let a = send(w, &request).await?;
        let mut text = a.body.clone();
        for (name, value) in &a.headers {
            text.push_str(&format!("\n{name}: {value}"));
        }
        let found = disclosures(&text, &firmware, &secrets).map_err(StepError::Inconclusive)?;
        if !found.is_empty() {
            leaks.push(format!(
                "{label} (HTTP {}) shows {}",
                a.status,
                found.join(", ")
            ));
        }
    }
    if !leaks.is_empty() {
        return Err(StepError::Fail(format!(
            "security-relevant information is disclosed without authentication: {}",
            leaks.join("; ")
        )));
    }
    w.note(format!(
        "{n} unauthenticated answer(s) (bodies and headers) show no software version and no secret"
    ));
    Ok(())
}

/// Values of a field's kind that must be refused: (what, value).
fn bad_values(f: &iotmark_adapters::endpoints::ApiField) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |what: &str, v: String| out.push((what.to_string(), v));
    match f.kind {
        FieldKind::Integer => {
            add("a non-number", "abc".into());
            add("a command injection", "1; reboot".into());
            add("a 20-digit number", "99999999999999999999".into());
            if let Some(min) = f.minimum {
                add(
                    "a value below the minimum",
                    (min.saturating_sub(1)).to_string(),
                );
            }
            if let Some(max) = f.maximum {
                add(
                    "a value above the maximum",
                    (max.saturating_add(1)).to_string(),
                );
            }
        }
        FieldKind::Boolean => {
            add("a non-boolean", "yes".into());
            add("a command injection", "true; reboot".into());
        }
        FieldKind::Name => {
            add("an SQL injection", "'; DROP TABLE users; --".into());
            add("a shell injection", "$(reboot)".into());
            add("a path traversal", "../../../../etc/passwd".into());
            add("a script injection", "<script>alert(1)</script>".into());
            add("an empty value", String::new());
        }
        FieldKind::Text | FieldKind::Password => {
            add("a NUL byte", "abc\0def-ghi".into());
            add("a header injection", "abc\r\nSet-Cookie: x=1".into());
        }
        FieldKind::Base64 => add("a value that is not base64", "!!!not base64!!!".into()),
    }
    if let Some(max) = f.max_length {
        let max = max as usize;
        add(
            &format!("{} bytes (limit {max})", max + 1),
            "A".repeat(max + 1),
        );
        if max + 1 < 4096 {
            add("4096 bytes", "A".repeat(4096));
        }
    }
    out
}

/// A hostile value got no answer (`m`): the product stopped answering only
/// when the follow-up health check confirms it is down; otherwise what went
/// wrong stays INCONCLUSIVE.
fn lost_answer(
    label: &str,
    m: String,
    health: Option<Result<(), String>>,
) -> Result<String, StepError> {
    match health {
        Some(Err(why)) => Ok(format!(
            "stopped answering after {label}: {m}; then the status check failed: {why}"
        )),
        Some(Ok(())) => Err(StepError::Inconclusive(format!(
            "{label} got no answer ({m}), though the product still answers its status check"
        ))),
        None => Err(StepError::Inconclusive(format!(
            "{label} got no answer: {m}"
        ))),
    }
}

async fn input_validation(w: &mut World, _: Vec<String>) -> StepResult {
    let endpoints: Vec<ApiEndpoint> = w
        .profile()
        .ixit
        .api_endpoints
        .iter()
        .filter(|e| e.method == ApiMethod::Post && !e.fields.is_empty())
        .cloned()
        .collect();
    if endpoints.is_empty() {
        return Err(StepError::Inconclusive(
            "no declared endpoint takes input fields".into(),
        ));
    }
    match healthy(w).await {
        Some(Ok(())) => {}
        Some(Err(why)) => {
            return Err(StepError::Inconclusive(format!(
                "the product was not answering before the input was sent: {why}"
            )))
        }
        None => {
            return Err(StepError::Inconclusive(
                "no status endpoint is declared, so the product's health cannot be checked".into(),
            ))
        }
    }
    let mut problems = Vec::new();
    let mut sent = 0;
    'endpoints: for e in &endpoints {
        for f in &e.fields {
            for (what, value) in bad_values(f) {
                let mut fields = valid_fields(e);
                for (name, v) in fields.iter_mut() {
                    if *name == f.name {
                        *v = CallValue::Text(value.clone());
                    }
                }
                sent += 1;
                let label = format!("{what} in {} of {} {}", f.name, e.method.as_str(), e.path);
                match call(w, e, true, fields, "api-hostile-input").await {
                    Ok(a) if a.is_success() => {
                        problems.push(format!("accepted {label} (HTTP {})", a.status))
                    }
                    Ok(a) if a.status >= 500 => {
                        problems.push(format!("answered HTTP {} to {label}", a.status))
                    }
                    Ok(_) => {}
                    Err(StepError::Inconclusive(m)) => {
                        let health = healthy(w).await;
                        if problems.is_empty() {
                            problems.push(lost_answer(&label, m, health)?);
                        } else if let Ok(p) = lost_answer(&label, m, health) {
                            problems.push(p);
                        }
                        break 'endpoints;
                    }
                    Err(other) => return Err(other),
                }
                if let Some(Err(why)) = healthy(w).await {
                    problems.push(format!("stopped working after {label}: {why}"));
                    break 'endpoints;
                }
            }
        }
    }
    if !problems.is_empty() {
        // Bring the product back for the test cases after this one.
        let _ = w.ctx.device.power_cycle(&w.ev).await;
        return Err(StepError::Fail(format!(
            "hostile input is not refused: {}",
            problems.join("; ")
        )));
    }
    w.note(format!(
        "{sent} malformed, oversized or injection value(s) to {} endpoint(s) were all refused with HTTP 4xx, and the product kept answering",
        endpoints.len()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_secrets_are_found() {
        let leaky =
            r#"{"build":"2.4.1 (BusyBox v1.24.1, OpenSSL 1.0.2k)","debug_token":"dbg-7f3a9c21"}"#;
        let found = disclosures(leaky, "2.4.1", &[]).unwrap();
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            disclosures("Server: lighttpd/1.4.35", "", &[]).unwrap()[0].contains("lighttpd/1.4.35")
        );
        let clean = r#"{"model":"GC-200","setup_complete":true} <input name="password" type="password" autocomplete="current-password">"#;
        assert!(disclosures(clean, "2.4.1", &["k7Rq#vX2"])
            .unwrap()
            .is_empty());
        assert!(disclosures("version 12.4.10", "2.4.1", &[])
            .unwrap()
            .is_empty());
        assert_eq!(
            disclosures("pw k7Rq#vX2", "", &["k7Rq#vX2"]).unwrap().len(),
            1
        );
    }

    #[test]
    fn every_disclosure_pattern_compiles() {
        let compiled = DISCLOSURE_RES.as_ref().unwrap();
        assert_eq!(compiled.len(), DISCLOSURE_PATTERNS.len());
        for (what, pattern) in DISCLOSURE_PATTERNS {
            assert!(Regex::new(pattern).is_ok(), "{what}");
        }
    }

    fn endpoint(id: &str, authenticated: bool) -> ApiEndpoint {
        serde_json::from_value(serde_json::json!({
            "id": id, "interface": "admin-api", "method": "GET",
            "path": format!("/api/{id}"), "authenticated": authenticated,
        }))
        .unwrap()
    }

    fn answer(status: u16, body: &str) -> ApiAnswer {
        ApiAnswer {
            status,
            headers: Vec::new(),
            body: body.into(),
            truncated: false,
        }
    }

    #[test]
    fn no_endpoint_needing_authentication_is_inconclusive() {
        assert!(matches!(
            needing_authentication(&[]),
            Err(StepError::Inconclusive(_))
        ));
        assert!(matches!(
            needing_authentication(&[endpoint("info", false)]),
            Err(StepError::Inconclusive(_))
        ));
        let found =
            needing_authentication(&[endpoint("info", false), endpoint("status", true)]).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, "status");
    }

    #[test]
    fn unreadable_settings_are_inconclusive() {
        let r = endpoint("settings", true);
        assert_eq!(settings_readable(&r, &answer(200, "{}")), Ok(()));
        for status in [401, 404, 500] {
            assert!(matches!(
                settings_readable(&r, &answer(status, "")),
                Err(StepError::Inconclusive(_))
            ));
        }
    }

    #[test]
    fn a_lost_answer_fails_only_when_the_product_is_down() {
        let m = || "timed out".to_string();
        assert!(lost_answer("x", m(), Some(Err("refused".into())))
            .unwrap()
            .contains("stopped answering"));
        assert!(matches!(
            lost_answer("x", m(), Some(Ok(()))),
            Err(StepError::Inconclusive(_))
        ));
        assert!(matches!(
            lost_answer("x", m(), None),
            Err(StepError::Inconclusive(_))
        ));
    }
}
