//! Reporting security issues: the disclosure policy and security.txt.

use super::{step, StepDef};
use crate::analysis::{security_txt, text};
use crate::world::{StepError, StepResult, World};

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(
            r"it gives a way to contact the manufacturer about a security issue",
            contact
        ),
        step!(
            r"it is a valid RFC 9116 file with a contact and an expiry date within the coming year",
            valid_security_txt
        ),
        step!(
            r"it says when a reporter will receive an acknowledgement",
            acknowledgement
        ),
        step!(
            r"it says when a reporter will receive status updates until the issue is resolved",
            status_updates
        ),
    ]
}

/// The fetched page's visible text, requiring a successful fetch.
fn page_text(w: &World) -> Result<(String, String, String), StepError> {
    let Some((what, page)) = w.page.as_ref() else {
        return Err(StepError::Inconclusive("no page was fetched".into()));
    };
    if !(200..300).contains(&page.status) {
        return Err(StepError::Fail(format!(
            "the {what} is not available (HTTP {} at {})",
            page.status, page.url
        )));
    }
    Ok((
        what.clone(),
        page.body.clone(),
        text::visible_text(&page.body, page.content_type.as_deref()),
    ))
}

async fn contact(w: &mut World, _: Vec<String>) -> StepResult {
    let (what, body, visible) = page_text(w)?;
    match text::contact_in(&body, &visible) {
        Some(c) => {
            w.note(format!("contact: {c}"));
            Ok(())
        }
        None => Err(StepError::Fail(format!(
            "the {what} gives no e-mail address or reporting link"
        ))),
    }
}

async fn valid_security_txt(w: &mut World, _: Vec<String>) -> StepResult {
    let Some((_, page)) = w.page.as_ref() else {
        return Err(StepError::Inconclusive(
            "security.txt was not fetched".into(),
        ));
    };
    if (500..600).contains(&page.status) {
        return Err(StepError::Inconclusive(format!(
            "the server failed (HTTP {}) at {}",
            page.status, page.url
        )));
    }
    match security_txt::check(page, w.ctx.now) {
        Ok(summary) => {
            w.note(format!(
                "security.txt valid: Contact {}; Expires {}",
                summary.contacts.join(", "),
                summary.expires
            ));
            Ok(())
        }
        Err(problems) => Err(StepError::Fail(format!(
            "security.txt at {}: {}",
            page.requested,
            problems.join("; ")
        ))),
    }
}

async fn acknowledgement(w: &mut World, _: Vec<String>) -> StepResult {
    let (what, _, visible) = page_text(w)?;
    match text::acknowledgement_promise(&visible) {
        Some(s) => {
            w.note(format!("acknowledgement: \"{s}\""));
            Ok(())
        }
        None => Err(StepError::Fail(format!(
            "the {what} does not say when a reporter receives an acknowledgement"
        ))),
    }
}

async fn status_updates(w: &mut World, _: Vec<String>) -> StepResult {
    let (what, _, visible) = page_text(w)?;
    match text::status_update_promise(&visible) {
        Some(s) => {
            w.note(format!("status updates: \"{s}\""));
            Ok(())
        }
        None => Err(StepError::Fail(format!(
            "the {what} does not say when a reporter receives status updates"
        ))),
    }
}
