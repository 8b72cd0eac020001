//! Functional checks of what the manufacturer publishes for users: the
//! sensor documentation (5.8-3) and the privacy notice (6-1), fetched from
//! the declared addresses and compared with the declaration.

use iotmark_adapters::endpoints::PersonalData;

use super::{step, StepDef};
use crate::analysis::text;
use crate::world::{StepError, StepResult, World};

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(
            r"the manufacturer's declared external sensing capabilities",
            sensors
        ),
        step!(
            r"the published sensor documentation names every declared sensor",
            sensors_documented
        ),
        step!(
            r"the published privacy notice names each declared kind of personal data with its purpose and who processes it",
            privacy_documented
        ),
        step!(
            r"the published deletion instructions name the user action of every declared deletion function",
            deletion_documented
        ),
        step!(
            r"the published secure set-up guidance names every declared set-up step",
            setup_documented
        ),
        step!(
            r"the published set-up checks name every declared check, and the product shows each one at its secure value",
            checks_documented
        ),
        step!(r"the manufacturer's declared telemetry data", telemetry),
        step!(
            r"the published telemetry information names each declared kind of telemetry with its purpose and who processes it",
            telemetry_documented
        ),
    ]
}

async fn sensors(w: &mut World, _: Vec<String>) -> StepResult {
    let n = w.profile().ixit.sensors.len();
    if n == 0 {
        return Err(StepError::Inconclusive(
            "no sensing capability is declared in /ixit/sensors".into(),
        ));
    }
    w.note(format!("{n} sensing capability(ies) declared"));
    Ok(())
}

/// The visible text of a public page, or why it cannot be judged.
async fn public_text(w: &World, what: &str, url: Option<&String>) -> Result<String, StepError> {
    let url = url
        .ok_or_else(|| StepError::Fail(format!("no public address is declared for the {what}")))?;
    let page = w.ctx.device.fetch(&w.ev, url).await.map_err(|e| {
        StepError::Inconclusive(format!("the {what} at {url} could not be fetched: {e}"))
    })?;
    if page.auth_challenge || !(200..300).contains(&page.status) {
        return Err(StepError::Fail(format!(
            "the {what} at {url} is not publicly readable (HTTP {})",
            page.status
        )));
    }
    Ok(text::visible_text(&page.body, page.content_type.as_deref()).to_lowercase())
}

async fn sensors_documented(w: &mut World, _: Vec<String>) -> StepResult {
    let url = w.profile().ixit.user_info.sensors_url.clone();
    let page = public_text(w, "sensor documentation", url.as_ref()).await?;
    let declared: Vec<String> = w
        .profile()
        .ixit
        .sensors
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let missing: Vec<&String> = declared
        .iter()
        .filter(|s| !text::names_whole(&page, s))
        .collect();
    if !missing.is_empty() {
        return Err(StepError::Fail(format!(
            "the sensor documentation at {} does not mention: {}",
            url.unwrap_or_default(),
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    w.note(format!(
        "the sensor documentation names every declared sensor: {}",
        declared.join(", ")
    ));
    Ok(())
}

async fn privacy_documented(w: &mut World, _: Vec<String>) -> StepResult {
    let items = w.profile().ixit.personal_data.clone();
    if items.is_empty() {
        return Err(StepError::Inconclusive(
            "no personal data is declared in /ixit/personal_data".into(),
        ));
    }
    let url = w.profile().ixit.user_info.privacy_notice_url.clone();
    data_documented(w, "privacy notice", url, &items, "kinds of personal data").await
}

/// Does the page at `url` name each item's data, purpose and processor?
async fn data_documented(
    w: &mut World,
    what: &str,
    url: Option<String>,
    items: &[PersonalData],
    kinds: &str,
) -> StepResult {
    let page = public_text(w, what, url.as_ref()).await?;
    let mut missing = Vec::new();
    for d in items {
        for (what, term) in [
            ("data", &d.data),
            ("purpose", &d.purpose),
            ("processor", &d.processor),
        ] {
            if !text::names_whole(&page, term) {
                missing.push(format!("the {what} {term:?} of {:?}", d.data));
            }
        }
    }
    if !missing.is_empty() {
        return Err(StepError::Fail(format!(
            "the {what} at {} leaves out {}",
            url.unwrap_or_default(),
            missing.join(", ")
        )));
    }
    w.note(format!(
        "the {what} names all {} declared {kinds} with purpose and processor",
        items.len()
    ));
    Ok(())
}

/// FAIL naming the declared `terms` the page at `url` leaves out.
async fn names_all(
    w: &mut World,
    what: &str,
    url: Option<String>,
    terms: &[String],
    kinds: &str,
) -> StepResult {
    if terms.is_empty() {
        return Err(StepError::Inconclusive(format!("no {kinds} are declared")));
    }
    let page = public_text(w, what, url.as_ref()).await?;
    let missing: Vec<&str> = terms
        .iter()
        .filter(|t| !text::names_whole(&page, t))
        .map(|t| t.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(StepError::Fail(format!(
            "the {what} at {} does not mention: {}",
            url.unwrap_or_default(),
            missing.join(", ")
        )));
    }
    w.note(format!(
        "the {what} names every declared {}: {}",
        kinds.trim_end_matches('s'),
        terms.join(", ")
    ));
    Ok(())
}

async fn deletion_documented(w: &mut World, _: Vec<String>) -> StepResult {
    let p = w.profile();
    let url = p.ixit.user_info.deletion_instructions_url.clone();
    let unnamed: Vec<String> = p
        .ixit
        .deletion_functions
        .iter()
        .filter(|d| d.user_action.is_none())
        .map(|d| d.id.clone())
        .collect();
    if !unnamed.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "deletion function(s) {} declare no user action (/ixit/deletion_functions/*/user_action) to look for",
            unnamed.join(", ")
        )));
    }
    let actions: Vec<String> = p
        .ixit
        .deletion_functions
        .iter()
        .filter_map(|d| d.user_action.clone())
        .collect();
    names_all(
        w,
        "deletion instructions",
        url,
        &actions,
        "deletion actions",
    )
    .await
}

async fn setup_documented(w: &mut World, _: Vec<String>) -> StepResult {
    let p = w.profile();
    let url = p.ixit.user_info.secure_setup_url.clone();
    let steps = p
        .ixit
        .secure_setup
        .as_ref()
        .map(|s| s.steps.clone())
        .unwrap_or_default();
    names_all(w, "secure set-up guidance", url, &steps, "set-up steps").await
}

async fn checks_documented(w: &mut World, _: Vec<String>) -> StepResult {
    let Some(setup) = w.profile().ixit.secure_setup.clone() else {
        return Err(StepError::Inconclusive(
            "no secure set-up is declared (/ixit/secure_setup)".into(),
        ));
    };
    let names: Vec<String> = setup.checks.iter().map(|c| c.name.clone()).collect();
    names_all(
        w,
        "set-up checking guidance",
        setup.check_url.clone(),
        &names,
        "checks",
    )
    .await?;
    // Each check must be readable on the product, at its secure value on a
    // product set up as the guidance says (the factory state here).
    let mut problems = Vec::new();
    for c in &setup.checks {
        let Some(e) = w
            .profile()
            .ixit
            .api_endpoints
            .iter()
            .find(|e| e.id == c.endpoint)
            .cloned()
        else {
            continue;
        };
        let a = super::api::call(w, &e, true, Vec::new(), "api-setup-check").await?;
        let shown = serde_json::from_str::<serde_json::Value>(&a.body)
            .ok()
            .and_then(|d| d.get(&c.field).cloned())
            .map(|v| match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            });
        match shown {
            Some(v) if v == c.secure_value => {}
            Some(v) => problems.push(format!(
                "{} shows {} = {v}, not the secure {}",
                e.path, c.field, c.secure_value
            )),
            None => problems.push(format!(
                "{} (HTTP {}) does not show {} for the check {:?}",
                e.path, a.status, c.field, c.name
            )),
        }
    }
    if !problems.is_empty() {
        return Err(StepError::Fail(format!(
            "the set-up cannot be checked as the guidance says: {}",
            problems.join("; ")
        )));
    }
    w.note(format!(
        "and the product shows each at its secure value ({} check(s))",
        setup.checks.len()
    ));
    Ok(())
}

async fn telemetry(w: &mut World, _: Vec<String>) -> StepResult {
    match &w.profile().ixit.telemetry {
        Some(t) if !t.items.is_empty() => Ok(()),
        _ => Err(StepError::Inconclusive(
            "no telemetry is declared in /ixit/telemetry".into(),
        )),
    }
}

async fn telemetry_documented(w: &mut World, _: Vec<String>) -> StepResult {
    let Some(t) = w.profile().ixit.telemetry.clone() else {
        return Err(StepError::Inconclusive(
            "no telemetry is declared in /ixit/telemetry".into(),
        ));
    };
    data_documented(
        w,
        "telemetry information",
        Some(t.url.clone()),
        &t.items,
        "kinds of telemetry",
    )
    .await
}
