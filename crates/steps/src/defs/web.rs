//! Fetching the manufacturer's published pages, and the checks that apply to
//! any page a consumer must be able to read.

use std::sync::OnceLock;

use regex::Regex;

use super::{step, StepDef};
use crate::analysis::text;
use crate::world::{StepError, StepResult, World};

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(
            r"the declared (vulnerability disclosure policy|support-period page) is fetched without credentials",
            fetch_declared
        ),
        step!(
            r"the manufacturer's security.txt is fetched without credentials",
            fetch_security_txt
        ),
        step!(
            r"the page is served without a login, a payment or a request for personal data",
            openly_served
        ),
    ]
}

pub(super) async fn fetch(w: &mut World, what: &str, url: &str) -> StepResult {
    match w.ctx.device.fetch(&w.ev, url).await {
        Ok(page) => {
            w.page = Some((what.to_string(), page));
            Ok(())
        }
        Err(e) => Err(StepError::Inconclusive(format!(
            "the {what} could not be fetched: {e}"
        ))),
    }
}

async fn fetch_declared(w: &mut World, caps: Vec<String>) -> StepResult {
    let what = caps.first().cloned().unwrap_or_default();
    let info = &w.profile().ixit.user_info;
    let url = if what.starts_with("support") {
        info.support_period.url.clone()
    } else {
        info.disclosure_policy_url.clone()
    };
    fetch(w, &what, &url).await
}

async fn fetch_security_txt(w: &mut World, _: Vec<String>) -> StepResult {
    let url = w.profile().ixit.user_info.security_txt_url();
    fetch(w, "security.txt", &url).await
}

/// A form asking for name, e-mail or phone, on a page with little else.
fn personal_data_gate(body: &str, visible: &str) -> bool {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let asks = RE
        .get_or_init(|| {
            Regex::new(r#"(?i)<input[^>]*(type\s*=\s*["']?(email|tel)|name\s*=\s*["']?(e-?mail|phone|full_?name|name)\b)"#).ok()
        })
        .as_ref()
        .is_some_and(|re| re.is_match(body));
    asks && visible.len() < 600
}

async fn openly_served(w: &mut World, _: Vec<String>) -> StepResult {
    let Some((what, page)) = w.page.as_ref() else {
        return Err(StepError::Inconclusive("no page was fetched".into()));
    };
    let at = &page.url;
    match page.status {
        200..=299 => {}
        401 | 403 | 407 => {
            return Err(StepError::Fail(format!(
                "the {what} at {at} asks for credentials (HTTP {})",
                page.status
            )))
        }
        402 => {
            return Err(StepError::Fail(format!(
                "the {what} at {at} asks for payment (HTTP 402)"
            )))
        }
        300..=399 => {
            return Err(StepError::Inconclusive(format!(
                "the {what} at {at} kept redirecting (HTTP {})",
                page.status
            )))
        }
        400..=499 => {
            return Err(StepError::Fail(format!(
                "the {what} is not published: {} answers HTTP {}",
                page.requested, page.status
            )))
        }
        _ => {
            return Err(StepError::Inconclusive(format!(
                "the server of the {what} failed (HTTP {} at {at})",
                page.status
            )))
        }
    }
    if text::has_password_field(&page.body) {
        return Err(StepError::Fail(format!(
            "the {what} at {at} is behind a login form"
        )));
    }
    let visible = text::visible_text(&page.body, page.content_type.as_deref());
    if personal_data_gate(&page.body, &visible) {
        return Err(StepError::Fail(format!(
            "the {what} at {at} asks for personal data before showing anything"
        )));
    }
    if visible.chars().count() < 40 {
        return Err(StepError::Fail(format!(
            "the {what} at {at} has almost no text ({} characters)",
            visible.chars().count()
        )));
    }
    let note = format!("the {what} is openly served at {at}");
    w.note(note);
    Ok(())
}
