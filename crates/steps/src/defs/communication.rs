//! Conceptual checks of the declared communication mechanisms (IXIT
//! 11-ComMech) and network interfaces (IXIT 15-Intf).

use iotmark_adapters::profile::{CommunicationMechanism, Payload};

use super::{step, StepDef};
use crate::world::{StepError, StepResult, World};

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(
            r"the manufacturer's declared communication mechanisms",
            mechanisms
        ),
        step!(
            r"every communication mechanism is protected by a current secure protocol version",
            all_current
        ),
        step!(
            r"every communication mechanism that carries (critical security parameters|personal data|sensitive personal data) encrypts (?:them|it) with a current secure protocol version",
            carrying_current
        ),
        step!(
            r"every remotely reachable communication mechanism that carries critical security parameters keeps them confidential",
            remote_csp_confidential
        ),
        step!(
            r"the manufacturer's declared network interfaces",
            interfaces
        ),
        step!(
            r"every enabled network interface is guarded by a declared authentication mechanism or explains why it serves without authentication",
            guarded_or_explained
        ),
        step!(
            r"every enabled network interface that can change security-relevant configuration is guarded by a declared authentication mechanism",
            configuration_guarded
        ),
        step!(
            r"every enabled network interface states the purpose it serves",
            purpose_stated
        ),
    ]
}

fn declared(w: &World) -> Result<&[CommunicationMechanism], StepError> {
    let list = &w.profile().ixit.communications;
    if list.is_empty() {
        return Err(StepError::Inconclusive(
            "no communication mechanism is declared in /ixit/communications".into(),
        ));
    }
    Ok(list)
}

async fn mechanisms(w: &mut World, _: Vec<String>) -> StepResult {
    let n = w.profile().ixit.communications.len();
    w.note(format!("{n} communication mechanism(s) declared"));
    Ok(())
}

/// Judge the protection of the given mechanisms: FAIL on any that is not
/// current, INCONCLUSIVE on any declared only as "other".
fn judge<'a>(
    list: impl Iterator<Item = &'a CommunicationMechanism>,
    what: &str,
) -> Result<usize, StepError> {
    let mut weak = Vec::new();
    let mut unknown = Vec::new();
    let mut n = 0;
    for m in list {
        n += 1;
        match m.protection.is_current() {
            Some(true) => {}
            Some(false) => weak.push(format!("{} ({:?})", m.id, m.protection)),
            None => unknown.push(m.id.clone()),
        }
    }
    if !weak.is_empty() {
        return Err(StepError::Fail(format!(
            "{what} without a current secure protocol: {}",
            weak.join(", ")
        )));
    }
    if !unknown.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "protection declared as \"other\" needs an assessor's judgement: {}",
            unknown.join(", ")
        )));
    }
    Ok(n)
}

async fn all_current(w: &mut World, _: Vec<String>) -> StepResult {
    let n = judge(declared(w)?.iter(), "communication")?;
    w.note(format!(
        "all {n} communication mechanism(s) use a current secure protocol"
    ));
    Ok(())
}

async fn carrying_current(w: &mut World, caps: Vec<String>) -> StepResult {
    let what = caps.first().cloned().unwrap_or_default();
    let wanted: &[Payload] = match what.as_str() {
        "critical security parameters" => &[Payload::CriticalSecurityParameters],
        "sensitive personal data" => &[Payload::SensitivePersonalData],
        _ => &[Payload::PersonalData, Payload::SensitivePersonalData],
    };
    let list = declared(w)?
        .iter()
        .filter(|m| m.carries.iter().any(|p| wanted.contains(p)));
    let n = judge(list, &format!("{what} sent"))?;
    w.note(format!("{n} mechanism(s) carry {what}, all encrypted"));
    Ok(())
}

async fn remote_csp_confidential(w: &mut World, _: Vec<String>) -> StepResult {
    let list = declared(w)?
        .iter()
        .filter(|m| m.remote && m.carries.contains(&Payload::CriticalSecurityParameters));
    let n = judge(list, "critical security parameters sent remotely")?;
    w.note(format!(
        "{n} remotely reachable mechanism(s) carry critical security parameters, all encrypted"
    ));
    Ok(())
}

async fn interfaces(w: &mut World, _: Vec<String>) -> StepResult {
    let enabled = w
        .profile()
        .ixit
        .interfaces
        .iter()
        .filter(|i| i.enabled)
        .count();
    w.note(format!("{enabled} enabled network interface(s) declared"));
    Ok(())
}

/// Is the interface named in some authentication mechanism?
pub(super) fn guarded(w: &World, name: &str) -> bool {
    w.profile()
        .ixit
        .auth_mechanisms
        .iter()
        .any(|m| m.interfaces.iter().any(|n| n == name))
}

async fn guarded_or_explained(w: &mut World, _: Vec<String>) -> StepResult {
    let open: Vec<String> = w
        .profile()
        .ixit
        .interfaces
        .iter()
        .enumerate()
        .filter(|(_, i)| i.enabled && !guarded(w, &i.name) && i.unauthenticated_use.is_none())
        .map(|(n, i)| format!("{} (/ixit/interfaces/{n})", i.name))
        .collect();
    if !open.is_empty() {
        return Err(StepError::Fail(format!(
            "enabled interface(s) with no authentication and no stated reason: {}",
            open.join(", ")
        )));
    }
    Ok(())
}

async fn configuration_guarded(w: &mut World, _: Vec<String>) -> StepResult {
    let mut open = Vec::new();
    let mut unknown = Vec::new();
    for (n, i) in w.profile().ixit.interfaces.iter().enumerate() {
        if !i.enabled || guarded(w, &i.name) {
            continue;
        }
        match i.changes_configuration {
            Some(true) => open.push(i.name.clone()),
            Some(false) => {}
            None => unknown.push(format!(
                "{} (/ixit/interfaces/{n}/changes_configuration)",
                i.name
            )),
        }
    }
    if !open.is_empty() {
        return Err(StepError::Fail(format!(
            "security-relevant configuration can be changed without authentication through {}",
            open.join(", ")
        )));
    }
    if !unknown.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "not declared whether these unauthenticated interfaces can change configuration: {}",
            unknown.join(", ")
        )));
    }
    w.note("every interface that can change configuration requires authentication");
    Ok(())
}

async fn purpose_stated(w: &mut World, _: Vec<String>) -> StepResult {
    let silent: Vec<String> = w
        .profile()
        .ixit
        .interfaces
        .iter()
        .enumerate()
        .filter(|(_, i)| i.enabled && i.description.as_deref().is_none_or(|d| d.trim().is_empty()))
        .map(|(n, i)| format!("{} (/ixit/interfaces/{n}/description)", i.name))
        .collect();
    if !silent.is_empty() {
        return Err(StepError::Fail(format!(
            "enabled interface(s) with no declared purpose, so presumably unused: {}",
            silent.join(", ")
        )));
    }
    Ok(())
}
