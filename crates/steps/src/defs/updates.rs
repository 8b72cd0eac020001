//! Conceptual checks of the declared update mechanisms (IXIT 7-UpdMech).

use iotmark_adapters::profile::{UpdateControl, UpdateDelivery, UpdateMechanism, UpdateVerifier};

use super::{step, StepDef};
use crate::world::{StepError, StepResult, World};

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(r"the manufacturer's declared update mechanisms", mechanisms),
        step!(r"at least one update mechanism is declared", at_least_one),
        step!(
            r"every update mechanism checks the authenticity and integrity of an update before it is installed",
            checks_updates
        ),
        step!(
            r"every update mechanism that fetches updates over a network does so over an encrypted channel",
            encrypted_channel
        ),
        step!(
            r"at least one update mechanism installs updates automatically",
            automatic
        ),
        step!(
            r"at least one update mechanism checks for updates after the device starts and at a declared interval",
            periodic_checks
        ),
        step!(
            r"every automatic update or notification function is enabled by default",
            on_by_default
        ),
        step!(
            r"the user can enable, disable and postpone each of them",
            user_control
        ),
        step!(
            r"every update mechanism names the signature algorithm its updates are checked with",
            algorithm_named
        ),
        step!(
            r"every named algorithm is one the harness accepts as current practice",
            algorithm_current
        ),
        step!(
            r"every update mechanism verifies an update's signature on the device before installing it",
            verified_on_device
        ),
    ]
}

/// The declared mechanisms, or INCONCLUSIVE when the table is empty.
fn declared(w: &World) -> Result<&[UpdateMechanism], StepError> {
    let list = &w.profile().ixit.update_mechanisms;
    if list.is_empty() {
        return Err(StepError::Inconclusive(
            "no update mechanism is declared in /ixit/update_mechanisms".into(),
        ));
    }
    Ok(list)
}

async fn mechanisms(w: &mut World, _: Vec<String>) -> StepResult {
    let n = w.profile().ixit.update_mechanisms.len();
    w.note(format!("{n} update mechanism(s) declared"));
    Ok(())
}

async fn at_least_one(w: &mut World, _: Vec<String>) -> StepResult {
    declared(w).map(|_| ())
}

async fn checks_updates(w: &mut World, _: Vec<String>) -> StepResult {
    let bad: Vec<String> = declared(w)?
        .iter()
        .filter(|m| m.verified_by == UpdateVerifier::None || m.signature_algorithm.is_none())
        .map(|m| m.id.clone())
        .collect();
    if !bad.is_empty() {
        return Err(StepError::Fail(format!(
            "update mechanism(s) {} install updates without checking a signature",
            bad.join(", ")
        )));
    }
    w.note("every update is signature-checked before installation");
    Ok(())
}

async fn encrypted_channel(w: &mut World, _: Vec<String>) -> StepResult {
    let mut clear = Vec::new();
    let mut unknown = Vec::new();
    for (i, m) in declared(w)?.iter().enumerate() {
        if m.delivery != UpdateDelivery::Network {
            continue;
        }
        match m.channel.map(|c| (c, c.is_current())) {
            Some((_, Some(true))) => {}
            Some((c, Some(false))) => clear.push(format!("{} ({c:?})", m.id)),
            Some((_, None)) => unknown.push(format!("{} (channel \"other\")", m.id)),
            None => unknown.push(format!("{} (/ixit/update_mechanisms/{i}/channel)", m.id)),
        }
    }
    if !clear.is_empty() {
        return Err(StepError::Fail(format!(
            "updates are fetched without current encryption by {}",
            clear.join(", ")
        )));
    }
    if !unknown.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "the protection of the update channel cannot be judged from the declaration: {}",
            unknown.join(", ")
        )));
    }
    Ok(())
}

async fn automatic(w: &mut World, _: Vec<String>) -> StepResult {
    match declared(w)?.iter().find(|m| m.automatic) {
        Some(m) => {
            let id = m.id.clone();
            w.note(format!("{id} installs updates automatically"));
            Ok(())
        }
        None => Err(StepError::Fail(
            "no declared update mechanism installs updates automatically".into(),
        )),
    }
}

async fn periodic_checks(w: &mut World, _: Vec<String>) -> StepResult {
    let found =
        declared(w)?
            .iter()
            .find_map(|m| match (m.checks_after_start, m.check_interval_hours) {
                (true, Some(h)) => Some((m.id.clone(), h)),
                _ => None,
            });
    match found {
        Some((id, h)) => {
            w.note(format!(
                "{id} checks for updates after start-up and every {h} hours"
            ));
            Ok(())
        }
        None => Err(StepError::Fail(
            "no declared update mechanism checks for updates both after start-up and at a declared interval".into(),
        )),
    }
}

/// Mechanisms that update automatically or notify the user.
fn auto_or_notify(w: &World) -> Result<Vec<(usize, &UpdateMechanism)>, StepError> {
    let list: Vec<(usize, &UpdateMechanism)> = declared(w)?
        .iter()
        .enumerate()
        .filter(|(_, m)| m.automatic || m.notifications)
        .collect();
    if list.is_empty() {
        return Err(StepError::Inconclusive(
            "condition 9 holds, but no declared update mechanism updates automatically or notifies the user".into(),
        ));
    }
    Ok(list)
}

async fn on_by_default(w: &mut World, _: Vec<String>) -> StepResult {
    let mut off = Vec::new();
    let mut unknown = Vec::new();
    for (i, m) in auto_or_notify(w)? {
        match m.enabled_by_default {
            Some(true) => {}
            Some(false) => off.push(m.id.clone()),
            None => unknown.push(format!(
                "{} (/ixit/update_mechanisms/{i}/enabled_by_default)",
                m.id
            )),
        }
    }
    if !off.is_empty() {
        return Err(StepError::Fail(format!(
            "{} ship(s) disabled",
            off.join(", ")
        )));
    }
    if !unknown.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "not declared whether enabled by default: {}",
            unknown.join(", ")
        )));
    }
    Ok(())
}

async fn user_control(w: &mut World, _: Vec<String>) -> StepResult {
    let mut lacking = Vec::new();
    for (_, m) in auto_or_notify(w)? {
        let missing: Vec<&str> = [
            (UpdateControl::Enable, "enable"),
            (UpdateControl::Disable, "disable"),
            (UpdateControl::Postpone, "postpone"),
        ]
        .iter()
        .filter(|(c, _)| !m.user_controls.contains(c))
        .map(|(_, n)| *n)
        .collect();
        if !missing.is_empty() {
            lacking.push(format!("{} (cannot {})", m.id, missing.join(" or ")));
        }
    }
    if !lacking.is_empty() {
        return Err(StepError::Fail(format!(
            "the user lacks control over {}",
            lacking.join(", ")
        )));
    }
    w.note("the user can enable, disable and postpone automatic updates and notifications");
    Ok(())
}

async fn algorithm_named(w: &mut World, _: Vec<String>) -> StepResult {
    let missing: Vec<String> = declared(w)?
        .iter()
        .enumerate()
        .filter(|(_, m)| m.signature_algorithm.is_none())
        .map(|(i, m)| format!("{} (/ixit/update_mechanisms/{i}/signature_algorithm)", m.id))
        .collect();
    if !missing.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "no signature algorithm declared for {}",
            missing.join(", ")
        )));
    }
    Ok(())
}

async fn algorithm_current(w: &mut World, _: Vec<String>) -> StepResult {
    let mut weak = Vec::new();
    let mut used = Vec::new();
    for m in declared(w)? {
        let Some(a) = m.signature_algorithm else {
            continue;
        };
        if a.is_current_practice() {
            used.push(format!("{a:?}"));
        } else {
            weak.push(format!("{} uses {a:?}", m.id));
        }
    }
    if !weak.is_empty() {
        return Err(StepError::Fail(format!(
            "not a current signature algorithm: {}",
            weak.join(", ")
        )));
    }
    used.dedup();
    w.note(format!("update signatures: {}", used.join(", ")));
    Ok(())
}

async fn verified_on_device(w: &mut World, _: Vec<String>) -> StepResult {
    let elsewhere: Vec<String> = declared(w)?
        .iter()
        .filter(|m| m.verified_by != UpdateVerifier::Device)
        .map(|m| format!("{} ({:?})", m.id, m.verified_by))
        .collect();
    if !elsewhere.is_empty() {
        return Err(StepError::Fail(format!(
            "update signatures are not checked on the device itself by {}",
            elsewhere.join(", ")
        )));
    }
    w.note("the device verifies every update itself");
    Ok(())
}
