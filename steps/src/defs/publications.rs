//! Functional checks of what the manufacturer publishes for users: the
//! sensor documentation (5.8-3) and the privacy notice (6-1), fetched from
//! the declared addresses and compared with the declaration.

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

/// Does `text` (lower case) name `term` as whole words?
fn names(text: &str, term: &str) -> bool {
    let needle = term.to_lowercase();
    !needle.trim().is_empty()
        && text.match_indices(&needle).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + needle.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
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
    let missing: Vec<&String> = declared.iter().filter(|s| !names(&page, s)).collect();
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
    let page = public_text(w, "privacy notice", url.as_ref()).await?;
    let mut missing = Vec::new();
    for d in &items {
        for (what, term) in [
            ("data", &d.data),
            ("purpose", &d.purpose),
            ("processor", &d.processor),
        ] {
            if !names(&page, term) {
                missing.push(format!("the {what} {term:?} of {:?}", d.data));
            }
        }
    }
    if !missing.is_empty() {
        return Err(StepError::Fail(format!(
            "the privacy notice at {} leaves out {}",
            url.unwrap_or_default(),
            missing.join(", ")
        )));
    }
    w.note(format!(
        "the privacy notice names all {} declared kinds of personal data with purpose and processor",
        items.len()
    ));
    Ok(())
}
