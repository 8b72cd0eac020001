//! Conceptual checks of the declared authentication mechanisms (IXIT
//! 1-AuthMech) beyond password uniqueness: cryptography, changing the
//! authentication value, and limits on guessing.

use iotmark_adapters::profile::{AuthFactor, BruteForceMethod, Protocol};

use super::{step, StepDef};
use crate::world::{StepError, StepResult, World};

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(
            r"the manufacturer's declared authentication mechanisms",
            mechanisms
        ),
        step!(
            r"every mechanism is offered only on interfaces that encrypt what they carry",
            encrypted_interfaces
        ),
        step!(
            r"every mechanism describes the cryptography it relies on",
            cryptography_described
        ),
        step!(
            r"every mechanism based on a password or PIN declares how its user changes the value",
            change_declared
        ),
        step!(
            r"every mechanism offered on a network interface declares how it limits repeated failures",
            limits_declared
        ),
        step!(
            r"none allows more than (\d+) consecutive failures before it locks out or slows down",
            limit_low_enough
        ),
    ]
}

async fn mechanisms(w: &mut World, _: Vec<String>) -> StepResult {
    let n = w.profile().ixit.auth_mechanisms.len();
    w.note(format!("{n} authentication mechanism(s) declared"));
    Ok(())
}

/// Does a protocol encrypt what it carries? `None` when the IXIT cannot say.
fn encrypts(p: Protocol) -> Option<bool> {
    p.cleartext().map(|clear| !clear)
}

async fn encrypted_interfaces(w: &mut World, _: Vec<String>) -> StepResult {
    let p = w.profile();
    let mut clear = Vec::new();
    let mut unknown = Vec::new();
    for m in &p.ixit.auth_mechanisms {
        for name in &m.interfaces {
            let Some(iface) = p.interface(name) else {
                continue;
            };
            match encrypts(iface.protocol) {
                Some(true) => {}
                Some(false) => clear.push(format!(
                    "{} on {name} ({:?}, port {})",
                    m.id, iface.protocol, iface.port
                )),
                None => unknown.push(format!("{} on {name}", m.id)),
            }
        }
    }
    if !clear.is_empty() {
        return Err(StepError::Fail(format!(
            "authentication values would cross the network unencrypted: {}",
            clear.join(", ")
        )));
    }
    if !unknown.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "the declared protocol does not say whether it encrypts: {}",
            unknown.join(", ")
        )));
    }
    w.note("every mechanism is offered only over encrypted protocols");
    Ok(())
}

async fn cryptography_described(w: &mut World, _: Vec<String>) -> StepResult {
    let missing: Vec<String> = w
        .profile()
        .ixit
        .auth_mechanisms
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            m.cryptographic_details
                .as_deref()
                .is_none_or(|d| d.split_whitespace().count() < 3)
        })
        .map(|(i, m)| format!("{} (/ixit/auth_mechanisms/{i}/cryptographic_details)", m.id))
        .collect();
    if !missing.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "no cryptographic details declared for {}",
            missing.join(", ")
        )));
    }
    Ok(())
}

async fn change_declared(w: &mut World, _: Vec<String>) -> StepResult {
    let mut missing = Vec::new();
    let mut n = 0;
    for (i, m) in w.profile().ixit.auth_mechanisms.iter().enumerate() {
        if !matches!(m.factor, AuthFactor::Password | AuthFactor::Pin) {
            continue;
        }
        n += 1;
        if m.change_mechanism
            .as_deref()
            .is_none_or(|d| d.trim().is_empty())
        {
            missing.push(format!(
                "{} (/ixit/auth_mechanisms/{i}/change_mechanism)",
                m.id
            ));
        }
    }
    if !missing.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "the declaration does not say how the user changes the value of {}",
            missing.join(", ")
        )));
    }
    w.note(format!(
        "{n} password or PIN mechanism(s) declare how the value is changed"
    ));
    Ok(())
}

async fn limits_declared(w: &mut World, _: Vec<String>) -> StepResult {
    let mut none = Vec::new();
    let mut missing = Vec::new();
    for (i, m) in w.profile().ixit.auth_mechanisms.iter().enumerate() {
        match &m.brute_force {
            Some(b) if b.method == BruteForceMethod::None => none.push(m.id.clone()),
            Some(_) => {}
            None => missing.push(format!("{} (/ixit/auth_mechanisms/{i}/brute_force)", m.id)),
        }
    }
    if !none.is_empty() {
        return Err(StepError::Fail(format!(
            "mechanism(s) {} are declared with no limit on repeated failures",
            none.join(", ")
        )));
    }
    if !missing.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "no structured brute-force limit declared for {}",
            missing.join(", ")
        )));
    }
    Ok(())
}

async fn limit_low_enough(w: &mut World, caps: Vec<String>) -> StepResult {
    let max: u32 = caps.first().and_then(|c| c.parse().ok()).unwrap_or(100);
    let mut high = Vec::new();
    let mut missing = Vec::new();
    for (i, m) in w.profile().ixit.auth_mechanisms.iter().enumerate() {
        let Some(b) = &m.brute_force else { continue };
        match b.max_consecutive_failures {
            Some(n) if n > max => high.push(format!("{} allows {n}", m.id)),
            Some(_) => {}
            None => missing.push(format!(
                "{} (/ixit/auth_mechanisms/{i}/brute_force/max_consecutive_failures)",
                m.id
            )),
        }
    }
    if !high.is_empty() {
        return Err(StepError::Fail(format!(
            "more than {max} consecutive failures are allowed: {}",
            high.join(", ")
        )));
    }
    if !missing.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "the number of failures allowed is not declared for {}",
            missing.join(", ")
        )));
    }
    w.note(format!(
        "every mechanism locks out or slows down within {max} failures"
    ));
    Ok(())
}
