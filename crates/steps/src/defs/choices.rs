//! Functional checks of choices the user makes on the product through its
//! declared endpoints: the automatic update switches (5.3-6) and consent
//! withdrawal (6-3). Each choice is made, then read back; a product that
//! answers "done" and keeps the old value fails.

use iotmark_adapters::endpoints::{ApiEndpoint, ApiFunction, ApiMethod, CallValue, FieldKind};
use iotmark_adapters::profile::UpdateControl;

use super::api::{call, with_function};
use super::{step, StepDef};
use crate::world::{StepError, StepResult, World};

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(r"the product in its factory-default state", factory_default),
        step!(
            r"automatic updates or update notifications are enabled",
            updates_enabled
        ),
        step!(
            r"the user can disable, enable and postpone them through the declared update settings endpoint",
            updates_controlled
        ),
        step!(
            r"the manufacturer's declared personal data processing",
            processing
        ),
        step!(
            r"every consent the declared consent endpoint lists can be withdrawn, and stays withdrawn after a power cut",
            consent_withdrawn
        ),
    ]
}

async fn factory_default(w: &mut World, _: Vec<String>) -> StepResult {
    w.ctx
        .device
        .factory_reset(&w.ev)
        .await
        .map_err(|e| StepError::Inconclusive(format!("the factory reset failed: {e}")))
}

/// The GET and POST endpoints of `function`.
fn pair(
    w: &World,
    function: ApiFunction,
    what: &str,
) -> Result<(ApiEndpoint, ApiEndpoint), StepError> {
    let all = with_function(w, function);
    let read = all.iter().find(|e| e.method == ApiMethod::Get).cloned();
    let write = all.iter().find(|e| e.method == ApiMethod::Post).cloned();
    match (read, write) {
        (Some(r), Some(wr)) => Ok((r, wr)),
        _ => Err(StepError::Inconclusive(format!(
            "no {what} endpoint pair (GET and POST with function {function:?}) is declared in /ixit/api_endpoints"
        ))),
    }
}

/// The JSON object `e` answers with now.
async fn read(w: &World, e: &ApiEndpoint, kind: &str) -> Result<serde_json::Value, StepError> {
    let a = call(w, e, true, Vec::new(), kind).await?;
    if !a.is_success() {
        return Err(StepError::Inconclusive(format!(
            "{} {} answered HTTP {}",
            e.method.as_str(),
            e.path,
            a.status
        )));
    }
    serde_json::from_str(&a.body)
        .map_err(|_| StepError::Inconclusive(format!("{} did not answer with JSON", e.path)))
}

/// A member of a JSON answer as text (`true`, `3`, `"x"` → `x`).
fn member(doc: &serde_json::Value, name: &str) -> Option<String> {
    match doc.get(name)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Set one field and read it back: the value the product now shows.
async fn set_and_read(
    w: &World,
    (get, post): (&ApiEndpoint, &ApiEndpoint),
    field: &str,
    value: &str,
    kind: &str,
) -> Result<(u16, Option<String>), StepError> {
    let a = call(
        w,
        post,
        true,
        vec![(field.to_string(), CallValue::Text(value.to_string()))],
        kind,
    )
    .await?;
    let doc = read(w, get, kind).await?;
    Ok((a.status, member(&doc, field)))
}

fn boolean_fields(e: &ApiEndpoint) -> Vec<String> {
    e.fields
        .iter()
        .filter(|f| f.kind == FieldKind::Boolean)
        .map(|f| f.name.clone())
        .collect()
}

async fn updates_enabled(w: &mut World, _: Vec<String>) -> StepResult {
    let (get, post) = pair(w, ApiFunction::UpdateSettings, "update settings")?;
    let doc = read(w, &get, "api-update-settings").await?;
    let switches = boolean_fields(&post);
    if switches.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "{} declares no boolean switch",
            post.path
        )));
    }
    let on: Vec<&String> = switches
        .iter()
        .filter(|f| member(&doc, f).as_deref() == Some("true"))
        .collect();
    if on.is_empty() {
        return Err(StepError::Fail(format!(
            "in the factory-default state {} shows every update switch off: {}",
            get.path,
            switches.join(", ")
        )));
    }
    w.note(format!(
        "after a factory reset {} shows {} on",
        get.path,
        on.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" and ")
    ));
    Ok(())
}

async fn updates_controlled(w: &mut World, _: Vec<String>) -> StepResult {
    let (get, post) = pair(w, ApiFunction::UpdateSettings, "update settings")?;
    let controls: Vec<UpdateControl> = w
        .profile()
        .ixit
        .update_mechanisms
        .iter()
        .flat_map(|m| m.user_controls.iter().copied())
        .collect();
    let mut problems = Vec::new();
    let mut done = Vec::new();
    // Off, then on again, as the user would; each must show.
    for field in boolean_fields(&post) {
        for value in ["false", "true"] {
            let (status, now) =
                set_and_read(w, (&get, &post), &field, value, "api-update-settings").await?;
            if !(200..300).contains(&status) {
                problems.push(format!(
                    "setting {field}={value} was refused (HTTP {status})"
                ));
            } else if now.as_deref() != Some(value) {
                problems.push(format!(
                    "{field}={value} was answered HTTP {status} but {} still shows {}",
                    get.path,
                    now.unwrap_or_else(|| "nothing".into())
                ));
            } else {
                done.push(format!("{field}={value}"));
            }
        }
    }
    if controls.contains(&UpdateControl::Postpone) {
        match post.fields.iter().find(|f| f.kind == FieldKind::Integer) {
            None => problems.push(format!(
                "postponing is declared but {} has no field for it",
                post.path
            )),
            Some(f) => {
                let value = f
                    .example
                    .clone()
                    .or_else(|| f.maximum.map(|m| m.to_string()))
                    .unwrap_or_else(|| "1".into());
                let (status, now) =
                    set_and_read(w, (&get, &post), &f.name, &value, "api-update-settings").await?;
                if now.as_deref() != Some(value.as_str()) {
                    problems.push(format!(
                        "postponing ({}={value}) was answered HTTP {status} but {} shows {}",
                        f.name,
                        get.path,
                        now.unwrap_or_else(|| "nothing".into())
                    ));
                } else {
                    done.push(format!("{}={value}", f.name));
                    // Put it back as it was.
                    let reset = f.minimum.unwrap_or(0).to_string();
                    set_and_read(w, (&get, &post), &f.name, &reset, "api-update-settings").await?;
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(StepError::Fail(format!(
            "the user's update choices do not take effect: {}",
            problems.join("; ")
        )));
    }
    if done.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "{} declares no switch to try",
            post.path
        )));
    }
    w.note(format!("{} took and showed {}", post.path, done.join(", ")));
    Ok(())
}

async fn processing(w: &mut World, _: Vec<String>) -> StepResult {
    if w.profile().ixit.personal_data.is_empty() {
        return Err(StepError::Inconclusive(
            "no personal data is declared in /ixit/personal_data".into(),
        ));
    }
    Ok(())
}

/// Giving consent `c` must show `true` on `get_path` before withdrawing it
/// can show anything: a product that ignores the choice and shows `false`
/// throughout has not been seen to withdraw.
fn consent_given(c: &str, get_path: &str, status: u16, now: Option<&str>) -> StepResult {
    if now == Some("true") {
        return Ok(());
    }
    Err(StepError::Inconclusive(format!(
        "giving {c} was answered HTTP {status} but {get_path} shows {}, so there is no consent to withdraw",
        now.unwrap_or("nothing")
    )))
}

async fn consent_withdrawn(w: &mut World, _: Vec<String>) -> StepResult {
    let (get, post) = pair(w, ApiFunction::Consent, "consent")?;
    let consents = boolean_fields(&post);
    if consents.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "{} declares no consent field",
            post.path
        )));
    }
    let before = read(w, &get, "api-consent").await?;
    let mut problems = Vec::new();
    let mut undecided = None;
    for c in &consents {
        // Withdrawing means something only once the consent was given.
        let (status, now) = set_and_read(w, (&get, &post), c, "true", "api-consent").await?;
        if let Err(e) = consent_given(c, &get.path, status, now.as_deref()) {
            undecided = Some(e);
            break;
        }
        let (status, now) = set_and_read(w, (&get, &post), c, "false", "api-consent").await?;
        if now.as_deref() != Some("false") {
            problems.push(format!(
                "withdrawing {c} was answered HTTP {status} but {} still shows {}",
                get.path,
                now.unwrap_or_else(|| "nothing".into())
            ));
        }
    }
    if problems.is_empty() && undecided.is_none() {
        w.ctx
            .device
            .power_cycle(&w.ev)
            .await
            .map_err(|e| StepError::Inconclusive(format!("the power cycle failed: {e}")))?;
        let after = read(w, &get, "api-consent").await?;
        for c in &consents {
            if member(&after, c).as_deref() != Some("false") {
                problems.push(format!("{c} is given again after a power cut"));
            }
        }
    }
    // Give back what was given, as the user had it.
    for c in &consents {
        if let Some(v) = member(&before, c) {
            set_and_read(w, (&get, &post), c, &v, "api-consent").await?;
        }
    }
    if !problems.is_empty() {
        return Err(StepError::Fail(format!(
            "consent cannot be withdrawn: {}",
            problems.join("; ")
        )));
    }
    if let Some(e) = undecided {
        return Err(e);
    }
    w.note(format!(
        "{} gave and then withdrew {} at once and they stayed withdrawn after a power cut",
        post.path,
        consents.join(", ")
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn consent_never_given_cannot_be_withdrawn() {
        assert_eq!(
            consent_given("analytics", "/api/consent", 200, Some("true")),
            Ok(())
        );
        for shown in [Some("false"), None] {
            assert!(matches!(
                consent_given("analytics", "/api/consent", 200, shown),
                Err(StepError::Inconclusive(_))
            ));
        }
    }
}
