//! Conceptual checks of user data and user information: deletion functions
//! (IXIT 25-DelFunc), the privacy notice and the model designation (2-UserInfo).

use iotmark_adapters::profile::{DeletionScope, DesignationPlace};

use super::declaration::public_web_address;
use super::{step, StepDef};
use crate::world::{StepError, StepResult, World};

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(
            r"the manufacturer's declared deletion functions",
            deletion_functions
        ),
        step!(
            r"at least one deletion function (erases user data held on the device|removes personal data held by associated services)",
            deletion_scope
        ),
        step!(
            r"it gives a public web address for the privacy notice",
            privacy_notice
        ),
        step!(
            r"it names the model designation and where a user can read it on the product",
            model_designation
        ),
    ]
}

async fn deletion_functions(w: &mut World, _: Vec<String>) -> StepResult {
    let n = w.profile().ixit.deletion_functions.len();
    if n == 0 {
        return Err(StepError::Inconclusive(
            "no deletion function is declared in /ixit/deletion_functions".into(),
        ));
    }
    w.note(format!("{n} deletion function(s) declared"));
    Ok(())
}

async fn deletion_scope(w: &mut World, caps: Vec<String>) -> StepResult {
    let on_device = caps.first().is_some_and(|c| c.contains("on the device"));
    let scope = if on_device {
        DeletionScope::Device
    } else {
        DeletionScope::AssociatedServices
    };
    match w
        .profile()
        .ixit
        .deletion_functions
        .iter()
        .find(|f| f.scope == scope)
    {
        Some(f) => {
            let id = f.id.clone();
            w.note(format!("{id}: {:?}", scope));
            Ok(())
        }
        None => Err(StepError::Fail(format!(
            "no declared deletion function {}",
            if on_device {
                "erases user data on the device"
            } else {
                "removes personal data from associated services"
            }
        ))),
    }
}

async fn privacy_notice(w: &mut World, _: Vec<String>) -> StepResult {
    let Some(url) = w.profile().ixit.user_info.privacy_notice_url.clone() else {
        return Err(StepError::Inconclusive(
            "no privacy notice address is declared in /ixit/user_info/privacy_notice_url".into(),
        ));
    };
    public_web_address(&url).map_err(StepError::Fail)?;
    w.note(format!("privacy notice declared at {url}"));
    Ok(())
}

async fn model_designation(w: &mut World, _: Vec<String>) -> StepResult {
    let p = w.profile();
    let model = p.product.model.clone();
    let places = p.ixit.user_info.model_designation_shown_on.clone();
    if places.is_empty() {
        return Err(StepError::Inconclusive(
            "the declaration does not say where the model designation is shown (/ixit/user_info/model_designation_shown_on)".into(),
        ));
    }
    if !places
        .iter()
        .any(|p| matches!(p, DesignationPlace::Label | DesignationPlace::DeviceUi))
    {
        return Err(StepError::Fail(format!(
            "model {model} is shown only on {places:?}, not on the product's label or its own interface"
        )));
    }
    w.note(format!("model {model} is shown on {places:?}"));
    Ok(())
}
