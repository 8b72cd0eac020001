//! Conceptual checks that read the manufacturer's declaration (the IXIT).

use iotmark_adapters::profile::{AuthFactor, PasswordKind};

use super::{step, StepDef};
use crate::world::{StepError, StepResult, World};

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(
            r"the manufacturer's declared password-based authentication mechanisms",
            password_mechanisms
        ),
        step!(
            r"every password mechanism is declared unique per unit or defined by the user",
            unique_or_user_defined
        ),
        step!(
            r"every password mechanism says how its passwords come about",
            generation_described
        ),
        step!(
            r"no pre-installed password is declared to come from a counter, a product identifier, public information or a fixed value",
            no_predictable_inputs
        ),
        step!(
            r"every declared minimum password length is at least (\d+) characters",
            minimum_length
        ),
        step!(
            r"the manufacturer's declared user information",
            user_information
        ),
        step!(
            r"it gives a public web address for the vulnerability disclosure policy",
            policy_address
        ),
        step!(
            r"it gives a public web address for the support period and a specific end date",
            support_address
        ),
    ]
}

async fn password_mechanisms(w: &mut World, _: Vec<String>) -> StepResult {
    let n = w.profile().password_mechanisms().count();
    if n == 0 {
        return Err(StepError::Fail(
            "the declaration says passwords are used (condition 1) but lists no password mechanism in /ixit/auth_mechanisms".into(),
        ));
    }
    w.note(format!("{n} password mechanism(s) declared"));
    Ok(())
}

async fn unique_or_user_defined(w: &mut World, _: Vec<String>) -> StepResult {
    let universal: Vec<String> = w
        .profile()
        .password_mechanisms()
        .filter(|m| {
            m.password
                .as_ref()
                .is_some_and(|p| p.kind == PasswordKind::Universal)
        })
        .map(|m| m.id.clone())
        .collect();
    if !universal.is_empty() {
        return Err(StepError::Fail(format!(
            "mechanism(s) {} are declared with a universal password",
            universal.join(", ")
        )));
    }
    w.note("every password is declared unique per unit or user-defined");
    Ok(())
}

async fn generation_described(w: &mut World, _: Vec<String>) -> StepResult {
    for m in w.profile().password_mechanisms() {
        let described = m
            .password
            .as_ref()
            .is_some_and(|p| p.generation_mechanism.split_whitespace().count() >= 3);
        if !described {
            return Err(StepError::Fail(format!(
                "mechanism {} does not describe how its passwords are generated",
                m.id
            )));
        }
    }
    Ok(())
}

async fn no_predictable_inputs(w: &mut World, _: Vec<String>) -> StepResult {
    let mut problems = Vec::new();
    let mut undeclared = Vec::new();
    for m in w.profile().ixit.auth_mechanisms.iter() {
        if m.factor != AuthFactor::Password {
            continue;
        }
        let Some(p) = &m.password else { continue };
        if p.kind == PasswordKind::UserDefined {
            continue;
        }
        if p.kind == PasswordKind::Universal {
            problems.push(format!("{}: a universal pre-installed password", m.id));
            continue;
        }
        if p.generation_inputs.is_empty() {
            undeclared.push(m.id.clone());
        }
        let bad: Vec<String> = p
            .generation_inputs
            .iter()
            .filter(|i| i.is_predictable())
            .map(|i| format!("{i:?}"))
            .collect();
        if !bad.is_empty() {
            problems.push(format!(
                "{}: generated from {} (predictable across the device class)",
                m.id,
                bad.join(", ")
            ));
        }
    }
    if !problems.is_empty() {
        return Err(StepError::Fail(problems.join("; ")));
    }
    if !undeclared.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "mechanism(s) {} declare no generation_inputs; declare them or supply an assessor attestation",
            undeclared.join(", ")
        )));
    }
    w.note("declared generation inputs are unpredictable");
    Ok(())
}

async fn minimum_length(w: &mut World, caps: Vec<String>) -> StepResult {
    let min: u32 = caps.first().and_then(|c| c.parse().ok()).unwrap_or(8);
    for m in w.profile().password_mechanisms() {
        if let Some(len) = m.password.as_ref().and_then(|p| p.minimum_length) {
            if len < min {
                return Err(StepError::Fail(format!(
                    "mechanism {} declares a minimum length of {len}, below {min}",
                    m.id
                )));
            }
        }
    }
    Ok(())
}

async fn user_information(w: &mut World, _: Vec<String>) -> StepResult {
    let site = w.profile().ixit.user_info.manufacturer_website.clone();
    w.note(format!("manufacturer website {site}"));
    Ok(())
}

pub(super) fn public_web_address(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{url} is not a web address"))?;
    let host = rest.split(['/', ':', '?']).next().unwrap_or_default();
    if host.is_empty() || host == "localhost" || host.parse::<std::net::IpAddr>().is_ok() {
        return Err(format!("{url} is not a public web address (host {host:?})"));
    }
    Ok(())
}

async fn policy_address(w: &mut World, _: Vec<String>) -> StepResult {
    let url = w.profile().ixit.user_info.disclosure_policy_url.clone();
    public_web_address(&url).map_err(StepError::Fail)?;
    w.note(format!("policy declared at {url}"));
    Ok(())
}

async fn support_address(w: &mut World, _: Vec<String>) -> StepResult {
    let sp = w.profile().ixit.user_info.support_period.clone();
    public_web_address(&sp.url).map_err(StepError::Fail)?;
    w.note(format!(
        "support period declared to end {} at {}",
        iotmark_adapters::profile::format_date(sp.end_date),
        sp.url
    ));
    Ok(())
}
