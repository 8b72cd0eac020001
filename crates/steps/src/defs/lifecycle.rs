//! Functional checks of what happens to the product over its life: software
//! updates offered to it (5.3-2, 5.3-10), losing its upstream network and
//! power (5.9-2), and erasing the user's data (5.11-1).

use iotmark_adapters::device::{Credential, LoginOutcome};
use iotmark_adapters::endpoints::{
    base64_decode, base64_encode, foreign_signed_image, refused_images, ApiAnswer, ApiEndpoint,
    ApiFunction, ApiMethod, CallValue, FieldKind, TestImage,
};
use iotmark_adapters::profile::{UpdateDelivery, UpdateVerifier};
use iotmark_adapters::secret::Secret;

use super::api::{call, call_as, call_for, credential_for, send, valid_fields, with_function};
use super::{step, StepDef};
use crate::world::{StepError, StepResult, World};

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(
            r"the product refuses an unsigned and an altered update image and keeps running its current software",
            refuses_bad_images
        ),
        step!(
            r"the product installs the correctly signed test image",
            installs_test_image
        ),
        step!(
            r"every network update mechanism is checked on the device against a current signature algorithm",
            trust_declared
        ),
        step!(
            r"the product refuses an update image signed with a key outside the trust relationship",
            refuses_foreign_image
        ),
        step!(
            r"the manufacturer's declared resilience mechanisms",
            resilience
        ),
        step!(r"the product's upstream network is cut", cut_uplink),
        step!(
            r"the declared local functions keep working",
            local_functions_work
        ),
        step!(
            r"after a power cut with the network restored the declared local functions work",
            after_power_cut
        ),
        step!(
            r"user data stored on the product is gone after the declared erase function, and the user's password is back to the factory one",
            erase_erases
        ),
        step!(
            r"the answer to the declared erase function tells the user their data was deleted, and it was",
            erase_confirmed
        ),
    ]
}

/// The declared test image, its endpoint and the decoded bytes.
fn test_image(w: &World) -> Result<(TestImage, ApiEndpoint, Vec<u8>), StepError> {
    let p = w.profile();
    let image = p
        .ixit
        .update_mechanisms
        .iter()
        .find_map(|m| m.test_image.clone())
        .ok_or_else(|| {
            StepError::Inconclusive(
                "no update mechanism declares a signed test image (/ixit/update_mechanisms/*/test_image)"
                    .into(),
            )
        })?;
    let endpoint = p
        .ixit
        .api_endpoints
        .iter()
        .find(|e| e.id == image.endpoint)
        .cloned()
        .ok_or_else(|| StepError::Inconclusive(format!("no endpoint {}", image.endpoint)))?;
    let bytes = base64_decode(&image.image_base64)
        .ok_or_else(|| StepError::Inconclusive("the declared test image is not base64".into()))?;
    Ok((image, endpoint, bytes))
}

/// Offer `bytes` to the update endpoint. A gap in the declaration is an
/// error; the inner result is what the product answered, or why nothing
/// came back.
async fn offer(
    w: &World,
    e: &ApiEndpoint,
    bytes: &[u8],
) -> Result<Result<ApiAnswer, String>, StepError> {
    let field = e
        .fields
        .iter()
        .find(|f| f.kind == FieldKind::Base64)
        .ok_or_else(|| {
            StepError::Inconclusive(format!("endpoint {} declares no base64 field", e.id))
        })?;
    let credential = if e.authenticated {
        Some(credential_for(w, &e.interface).ok_or_else(|| {
            StepError::Inconclusive(format!(
                "no declared password mechanism and unit password open interface {} for {}",
                e.interface, e.id
            ))
        })?)
    } else {
        None
    };
    let encoded = base64_encode(bytes);
    let request = call_for(
        w,
        e,
        credential,
        vec![(field.name.clone(), CallValue::Text(encoded))],
        "api-update-image",
    )?;
    Ok(w.ctx
        .device
        .api_call(&w.ev, &request)
        .await
        .map_err(|e| e.to_string()))
}

/// What an answer to an image that must be refused shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ImageAnswer {
    /// 2xx: taken.
    Installed,
    /// A 4xx that judges the request itself.
    Refused,
    /// 401, 403, 404 or 405: the image never reached whatever checks it.
    NotReached,
    /// 5xx, anything else, or no answer: only the status can tell.
    Unclear,
}

fn image_answer(answer: &Result<u16, String>) -> ImageAnswer {
    match answer {
        Ok(s) if (200..300).contains(s) => ImageAnswer::Installed,
        Ok(401 | 403 | 404 | 405) => ImageAnswer::NotReached,
        Ok(s) if (400..500).contains(s) => ImageAnswer::Refused,
        _ => ImageAnswer::Unclear,
    }
}

fn described(answer: &Result<u16, String>) -> String {
    match answer {
        Ok(s) => format!("HTTP {s}"),
        Err(m) => format!("no answer ({m})"),
    }
}

/// The verdict on images offered to `endpoint` that must be refused: each
/// (what, answer), and the product's status read before and after. A
/// refusal is a 4xx that judges the image, with the status unchanged; an
/// error answer or none counts only when the status shows nothing was
/// installed. The PASS note on success.
fn judge_refusals(
    endpoint: &str,
    offered: &[(String, Result<u16, String>)],
    before: &str,
    after: Result<String, StepError>,
) -> Result<String, StepError> {
    let of = |kind: ImageAnswer| -> Vec<String> {
        offered
            .iter()
            .filter(|(_, a)| image_answer(a) == kind)
            .map(|(what, a)| format!("{what} ({})", described(a)))
            .collect()
    };
    let installed = of(ImageAnswer::Installed);
    if !installed.is_empty() {
        return Err(StepError::Fail(format!(
            "the update mechanism {endpoint} installed {}",
            installed.join(" and ")
        )));
    }
    let after = after?;
    if after != before {
        return Err(StepError::Fail(format!(
            "the product's status changed after images it should refuse: {before:?} became {after:?}"
        )));
    }
    let not_reached = of(ImageAnswer::NotReached);
    if !not_reached.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "{endpoint} did not judge {}: the request was turned away before any image check",
            not_reached.join(" and ")
        )));
    }
    let mut note = format!("{endpoint} refused ");
    let refused = of(ImageAnswer::Refused);
    let unclear = of(ImageAnswer::Unclear);
    if !refused.is_empty() {
        note.push_str(&refused.join(" and "));
    }
    if !unclear.is_empty() {
        if !refused.is_empty() {
            note.push_str(", and ");
        }
        note.push_str(&format!(
            "gave {} without a refusal, but the status read back shows nothing was installed",
            unclear.join(" and ")
        ));
    }
    note.push_str("; the status was unchanged");
    Ok(note)
}

/// What the status endpoint says now (the software version is in it).
async fn status_text(w: &World) -> Result<String, StepError> {
    let e = with_function(w, ApiFunction::Status)
        .into_iter()
        .find(|e| e.authenticated && e.method == ApiMethod::Get)
        .ok_or_else(|| {
            StepError::Inconclusive("no authenticated status endpoint is declared".into())
        })?;
    let a = call(w, &e, true, Vec::new(), "api-status").await?;
    if !a.is_success() {
        return Err(StepError::Inconclusive(format!(
            "{} answered HTTP {}",
            e.path, a.status
        )));
    }
    Ok(a.body)
}

async fn refuses_bad_images(w: &mut World, _: Vec<String>) -> StepResult {
    let (image, e, bytes) = test_image(w)?;
    let before = status_text(w).await?;
    let mut offered = Vec::new();
    let variants = refused_images(&bytes, image.signature_length as usize);
    if variants.is_empty() {
        return Err(StepError::Inconclusive(
            "the test image is shorter than its declared signature".into(),
        ));
    }
    for (what, variant) in &variants {
        let a = offer(w, &e, variant).await?;
        offered.push((what.to_string(), a.map(|a| a.status)));
    }
    let after = status_text(w).await;
    let label = format!("{} {}", e.method.as_str(), e.path);
    let note = judge_refusals(&label, &offered, &before, after)?;
    w.note(note);
    Ok(())
}

async fn installs_test_image(w: &mut World, _: Vec<String>) -> StepResult {
    let (image, e, bytes) = test_image(w)?;
    let a = offer(w, &e, &bytes).await?.map_err(|m| {
        StepError::Inconclusive(format!("the signed test image got no answer: {m}"))
    })?;
    if !a.is_success() {
        return Err(StepError::Fail(format!(
            "the correctly signed test image was refused (HTTP {}): {}",
            a.status,
            a.body.chars().take(120).collect::<String>()
        )));
    }
    let now = status_text(w).await?;
    if !now.contains(&image.version) {
        return Err(StepError::Fail(format!(
            "after installing the test image the product does not report version {}: {now:?}",
            image.version
        )));
    }
    w.note(format!(
        "the signed test image was installed and the product reports version {}",
        image.version
    ));
    Ok(())
}

async fn trust_declared(w: &mut World, _: Vec<String>) -> StepResult {
    let mut problems = Vec::new();
    let mut n = 0;
    for m in w.profile().ixit.update_mechanisms.iter() {
        if m.delivery != UpdateDelivery::Network {
            continue;
        }
        n += 1;
        if m.verified_by != UpdateVerifier::Device {
            problems.push(format!("{} is not verified on the device", m.id));
        }
        match m.signature_algorithm {
            Some(a) if a.is_current_practice() => {}
            Some(a) => problems.push(format!("{} relies on {a:?}", m.id)),
            None => problems.push(format!("{} names no signature algorithm", m.id)),
        }
    }
    if n == 0 {
        return Err(StepError::NotApplicable(
            "no update mechanism delivers updates over a network".into(),
        ));
    }
    if !problems.is_empty() {
        return Err(StepError::Fail(format!(
            "no trust relationship checked on the device: {}",
            problems.join("; ")
        )));
    }
    Ok(())
}

async fn refuses_foreign_image(w: &mut World, _: Vec<String>) -> StepResult {
    let (image, e, bytes) = test_image(w)?;
    let foreign =
        foreign_signed_image(&bytes, image.signature_length as usize).ok_or_else(|| {
            StepError::Inconclusive(format!(
                "a {}-byte signature is not Ed25519; an image signed with another key cannot be made",
                image.signature_length
            ))
        })?;
    let before = status_text(w).await?;
    let a = offer(w, &e, &foreign).await?;
    let offered = [(
        "an image signed with a fresh Ed25519 key the manufacturer never held".to_string(),
        a.map(|a| a.status),
    )];
    let after = status_text(w).await;
    let label = format!("{} {}", e.method.as_str(), e.path);
    let note = judge_refusals(&label, &offered, &before, after)?;
    w.note(note);
    Ok(())
}

async fn resilience(w: &mut World, _: Vec<String>) -> StepResult {
    let Some(r) = &w.profile().ixit.resilience else {
        return Err(StepError::Inconclusive(
            "no resilience mechanism is declared (/ixit/resilience)".into(),
        ));
    };
    if r.local_functions.is_empty() {
        return Err(StepError::Inconclusive(
            "no local function is declared to keep working offline".into(),
        ));
    }
    Ok(())
}

async fn cut_uplink(w: &mut World, _: Vec<String>) -> StepResult {
    w.ctx
        .device
        .cut_uplink(&w.ev)
        .await
        .map_err(|e| StepError::Inconclusive(format!("the uplink could not be cut: {e}")))
}

/// Call every declared local function; the ones that did not answer 2xx.
async fn failing_local_functions(w: &World) -> Result<(Vec<String>, usize), StepError> {
    let ids = w
        .profile()
        .ixit
        .resilience
        .as_ref()
        .map(|r| r.local_functions.clone())
        .unwrap_or_default();
    let mut failing = Vec::new();
    for id in &ids {
        let Some(e) = w
            .profile()
            .ixit
            .api_endpoints
            .iter()
            .find(|e| &e.id == id)
            .cloned()
        else {
            continue;
        };
        let a = call(w, &e, true, valid_fields(&e), "api-local-function").await?;
        if !a.is_success() {
            failing.push(format!(
                "{} {} answered HTTP {}: {}",
                e.method.as_str(),
                e.path,
                a.status,
                a.body.chars().take(60).collect::<String>()
            ));
        }
    }
    Ok((failing, ids.len()))
}

async fn local_functions_work(w: &mut World, _: Vec<String>) -> StepResult {
    let result = failing_local_functions(w).await;
    // Whatever happened, give the product its network back.
    let restored = w.ctx.device.restore_uplink(&w.ev).await;
    let (failing, n) = result?;
    restored
        .map_err(|e| StepError::Inconclusive(format!("the uplink could not be restored: {e}")))?;
    if !failing.is_empty() {
        return Err(StepError::Fail(format!(
            "declared local functions stop without the upstream network: {}",
            failing.join("; ")
        )));
    }
    w.note(format!(
        "all {n} declared local function(s) answered while the uplink was cut"
    ));
    Ok(())
}

async fn after_power_cut(w: &mut World, _: Vec<String>) -> StepResult {
    w.ctx
        .device
        .power_cycle(&w.ev)
        .await
        .map_err(|e| StepError::Inconclusive(format!("the power cycle failed: {e}")))?;
    let (failing, n) = failing_local_functions(w).await?;
    if !failing.is_empty() {
        return Err(StepError::Fail(format!(
            "declared local functions do not come back after a power cut: {}",
            failing.join("; ")
        )));
    }
    w.note(format!(
        "after a power cut all {n} declared local function(s) answered again"
    ));
    Ok(())
}

/// What one erase round found.
#[derive(Debug)]
struct Erased {
    answer: ApiAnswer,
    erase: ApiEndpoint,
    /// What remains that should not.
    problems: Vec<String>,
    /// What was checked and found as it should be.
    checked: Vec<String>,
    /// A check the step needs that could not be made, and why.
    unchecked: Option<String>,
}

/// Store user data and a user password, erase through the declared
/// function, and look: the erase answer, the endpoint, and what remains.
async fn erase_round(w: &World) -> Result<Erased, StepError> {
    let p = w.profile().clone();
    let erase = p
        .ixit
        .deletion_functions
        .iter()
        .filter(|d| d.scope == iotmark_adapters::profile::DeletionScope::Device)
        .find_map(|d| d.endpoint.clone())
        .and_then(|id| p.ixit.api_endpoints.iter().find(|e| e.id == id).cloned())
        .ok_or_else(|| {
            StepError::Inconclusive(
                "no device deletion function names an endpoint that performs it".into(),
            )
        })?;
    let store = with_function(w, ApiFunction::UserData)
        .into_iter()
        .find(|e| e.method == ApiMethod::Post)
        .ok_or_else(|| StepError::Inconclusive("no endpoint to store user data".into()))?;
    let list = with_function(w, ApiFunction::UserData)
        .into_iter()
        .find(|e| e.method == ApiMethod::Get)
        .ok_or_else(|| StepError::Inconclusive("no endpoint to list user data".into()))?;
    let change = with_function(w, ApiFunction::PasswordChange)
        .into_iter()
        .next()
        .ok_or_else(|| StepError::Inconclusive("no password change endpoint".into()))?;
    let factory = credential_for(w, &erase.interface)
        .ok_or_else(|| StepError::Inconclusive("no unit password is declared".into()))?;

    // The user's own password and data.
    let user_password = Secret::new(super::credentials::fresh_password("5.11-1"));
    let field = change
        .fields
        .iter()
        .find(|f| f.kind == FieldKind::Password)
        .map(|f| f.name.clone())
        .unwrap_or_default();
    let set = call_for(
        w,
        &change,
        Some(factory.clone()),
        vec![(field, CallValue::Secret(user_password.clone()))],
        "api-password-change",
    )?;
    let a = send(w, &set).await?;
    if !a.is_success() {
        return Err(StepError::Inconclusive(format!(
            "the user's own password could not be set (HTTP {})",
            a.status
        )));
    }
    let mut user = Credential {
        username: factory.username.clone(),
        password: user_password,
    };
    // A product whose password change does not take effect (5.1-4) still
    // has its erase judged, with the factory password throughout.
    let opens = call_as(
        w,
        &list,
        Some(user.clone()),
        Vec::new(),
        "api-user-data-list",
    )
    .await?;
    let own_password = opens.is_success();
    if !own_password {
        user = factory.clone();
    }
    let marker = format!(
        "iotmark erase check {}",
        &super::credentials::fresh_password("marker")[3..15]
    );
    let text_field = store
        .fields
        .iter()
        .find(|f| matches!(f.kind, FieldKind::Text | FieldKind::Name))
        .map(|f| f.name.clone())
        .unwrap_or_default();
    let mut fields = valid_fields(&store);
    for (n, v) in fields.iter_mut() {
        if *n == text_field {
            *v = CallValue::Text(marker.clone());
        }
    }
    let a = call_as(w, &store, Some(user.clone()), fields, "api-user-data-store").await?;
    let listed = call_as(
        w,
        &list,
        Some(user.clone()),
        Vec::new(),
        "api-user-data-list",
    )
    .await?;
    if !a.is_success() || !listed.body.contains(&marker) {
        return Err(StepError::Inconclusive(format!(
            "user data could not be stored and read back (HTTP {} then {})",
            a.status, listed.status
        )));
    }

    // Erase.
    let answer = call_as(
        w,
        &erase,
        Some(user.clone()),
        valid_fields(&erase),
        "api-erase-user-data",
    )
    .await?;
    if !answer.is_success() {
        return Err(StepError::Fail(format!(
            "the declared erase function {} {} answered HTTP {}",
            erase.method.as_str(),
            erase.path,
            answer.status
        )));
    }

    let mut problems = Vec::new();
    let mut checked = Vec::new();
    let mut unchecked = None;
    if !own_password {
        checked.push(
            "the user's own password never took effect, so the factory password was used throughout"
                .to_string(),
        );
    } else if let Some(t) = w.ctx.device.login_targets().first().cloned() {
        let old = w
            .ctx
            .device
            .try_login(&w.ev, &t, &user)
            .await
            .map_err(|e| StepError::Inconclusive(format!("login on {t} failed: {e}")))?;
        if old == LoginOutcome::Accepted {
            problems.push(format!("{t} still accepts the user's password"));
        } else {
            checked.push(format!("{t} refused the user's password"));
        }
    } else {
        unchecked = Some(
            "no login interface is declared, so whether the user's password still opens the product could not be tried"
                .to_string(),
        );
    }
    let after = call_as(
        w,
        &list,
        Some(factory.clone()),
        Vec::new(),
        "api-user-data-list",
    )
    .await?;
    if !after.is_success() {
        return Err(StepError::Fail(format!(
            "after the erase the factory password does not open {} (HTTP {})",
            list.path, after.status
        )));
    }
    if after.body.contains(&marker) {
        problems.push(format!(
            "{} still lists the stored item {marker:?}",
            list.path
        ));
    } else {
        checked.insert(0, format!("the stored item was gone from {}", list.path));
    }
    checked.push(format!("the factory password opens {} again", list.path));
    Ok(Erased {
        answer,
        erase,
        problems,
        checked,
        unchecked,
    })
}

/// The verdict of 5.11-1 on an erase round: what remains fails; a needed
/// check that could not run is INCONCLUSIVE; the PASS note says only what
/// was checked.
fn erase_verdict(e: &Erased) -> Result<String, StepError> {
    if !e.problems.is_empty() {
        return Err(StepError::Fail(format!(
            "the erase function answered HTTP {} but user data remains: {}",
            e.answer.status,
            e.problems.join("; ")
        )));
    }
    if let Some(why) = &e.unchecked {
        return Err(StepError::Inconclusive(format!(
            "after {} {}: {why}",
            e.erase.method.as_str(),
            e.erase.path
        )));
    }
    Ok(format!(
        "after {} {}: {}",
        e.erase.method.as_str(),
        e.erase.path,
        e.checked.join("; ")
    ))
}

async fn erase_erases(w: &mut World, _: Vec<String>) -> StepResult {
    let round = erase_round(w).await?;
    let note = erase_verdict(&round)?;
    w.note(note);
    Ok(())
}

/// Words that tell a user their data is gone.
const CONFIRMATIONS: &[&str] = &["deleted", "erased", "removed"];

async fn erase_confirmed(w: &mut World, _: Vec<String>) -> StepResult {
    let Erased {
        answer,
        erase,
        problems,
        ..
    } = erase_round(w).await?;
    let body = answer.body.to_lowercase();
    let Some(word) = CONFIRMATIONS.iter().find(|c| body.contains(*c)) else {
        return Err(StepError::Fail(format!(
            "the answer to {} {} does not tell the user their data was deleted: {:?}",
            erase.method.as_str(),
            erase.path,
            answer.body.chars().take(120).collect::<String>()
        )));
    };
    if !problems.is_empty() {
        return Err(StepError::Fail(format!(
            "the answer to {} says the data was {word}, which is untrue: {}",
            erase.path,
            problems.join("; ")
        )));
    }
    w.note(format!(
        "the answer to {} says the data was {word}, and it was",
        erase.path
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn offered(answers: &[Result<u16, &str>]) -> Vec<(String, Result<u16, String>)> {
        answers
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("image {i}"), a.map_err(str::to_string)))
            .collect()
    }

    fn judge(answers: &[Result<u16, &str>], after: &str) -> Result<String, StepError> {
        judge_refusals(
            "POST /api/update",
            &offered(answers),
            "v1",
            Ok(after.into()),
        )
    }

    #[test]
    fn only_a_4xx_that_judges_the_image_with_the_status_unchanged_is_a_refusal() {
        assert!(judge(&[Ok(400), Ok(422)], "v1").is_ok());
        for turned_away in [401, 403, 404, 405] {
            assert!(
                matches!(
                    judge(&[Ok(400), Ok(turned_away)], "v1"),
                    Err(StepError::Inconclusive(_))
                ),
                "{turned_away}"
            );
        }
        assert!(matches!(
            judge(&[Ok(400), Ok(200)], "v1"),
            Err(StepError::Fail(_))
        ));
        assert!(matches!(judge(&[Ok(400)], "v2"), Err(StepError::Fail(_))));
    }

    #[test]
    fn an_error_answer_counts_only_when_the_status_shows_nothing_installed() {
        let note = judge(&[Ok(500), Err("timed out")], "v1").unwrap();
        assert!(note.contains("nothing was installed"), "{note}");
        assert!(matches!(judge(&[Ok(500)], "v2"), Err(StepError::Fail(_))));
        let unread = judge_refusals(
            "POST /api/update",
            &offered(&[Ok(500)]),
            "v1",
            Err(StepError::Inconclusive("no status".into())),
        );
        assert!(matches!(unread, Err(StepError::Inconclusive(_))));
    }

    fn erased(checked: &[&str], unchecked: Option<&str>, problems: &[&str]) -> Erased {
        Erased {
            answer: ApiAnswer {
                status: 200,
                headers: Vec::new(),
                body: "{}".into(),
                truncated: false,
            },
            erase: serde_json::from_value(serde_json::json!({
                "id": "erase", "interface": "admin-api", "method": "POST",
                "path": "/api/erase", "authenticated": true,
            }))
            .unwrap(),
            problems: problems.iter().map(|s| s.to_string()).collect(),
            checked: checked.iter().map(|s| s.to_string()).collect(),
            unchecked: unchecked.map(str::to_string),
        }
    }

    #[test]
    fn the_erase_note_claims_only_what_was_checked() {
        let note = erase_verdict(&erased(
            &[
                "the item is gone",
                "the user's own password never took effect",
            ],
            None,
            &[],
        ))
        .unwrap();
        assert!(!note.contains("refused"), "{note}");
        assert!(note.contains("never took effect"), "{note}");
        assert!(matches!(
            erase_verdict(&erased(
                &["the item is gone"],
                Some("no login interface"),
                &[]
            )),
            Err(StepError::Inconclusive(_))
        ));
        assert!(matches!(
            erase_verdict(&erased(&[], Some("no login interface"), &["item remains"])),
            Err(StepError::Fail(_))
        ));
    }
}
