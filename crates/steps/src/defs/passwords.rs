//! Passwords: dictionary sweeps over the login interfaces, and the analysis of
//! the declared units' pre-installed passwords.

use std::collections::BTreeSet;

use iotmark_adapters::profile::{AuthFactor, LoginMethod};
use iotmark_adapters::secret::Secret;

use super::sweep::{self, PowerCycles};
use super::{step, StepDef};
use crate::analysis::passwords::{self as pw, UnitPassword};
use crate::world::{StepError, StepResult, SweepOutcome, World};

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(
            r"the product's network login interfaces, including undeclared telnet consoles",
            login_interfaces
        ),
        step!(
            r"every credential of the default-credential dictionary is tried on each of them",
            sweep
        ),
        step!(
            r"none of the logins accepts any of those credentials",
            none_accepted
        ),
        step!(
            r"the pre-installed passwords declared for a sample of units",
            declared_units
        ),
        step!(
            r"the unit under test accepts the password declared for it",
            unit_accepts_declared
        ),
        step!(r"no two units share a password", distinct),
        step!(
            r"the passwords do not follow an incremental counter",
            no_counter
        ),
        step!(
            r"no password is derived from its unit's serial number or MAC address",
            not_derived
        ),
        step!(
            r"no password is a common password and each is strong enough to resist guessing",
            strong
        ),
        step!(
            r"the unit has been reset to its factory settings",
            factory_reset
        ),
    ]
}

/// Enabled interfaces that authenticate (a declared login, or guarded by a
/// password or PIN mechanism) but have no login target to sweep, with why.
fn unswept(w: &World) -> Vec<String> {
    let p = w.profile();
    let swept: BTreeSet<&str> = w.targets.iter().map(|t| t.interface.as_str()).collect();
    let mut out = Vec::new();
    for i in p.ixit.interfaces.iter().filter(|i| i.enabled) {
        if swept.contains(i.name.as_str()) {
            continue;
        }
        let guard = p.ixit.auth_mechanisms.iter().find(|m| {
            matches!(m.factor, AuthFactor::Password | AuthFactor::Pin)
                && m.interfaces.iter().any(|n| n == &i.name)
        });
        let protocol = serde_json::to_value(i.protocol)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        match (&i.login, guard) {
            (Some(_), _) => out.push(format!(
                "{} ({protocol}, port {}) declares a login, but the device has no address for it",
                i.name, i.port
            )),
            (None, Some(m)) => out.push(format!(
                "{} ({protocol}, port {}) is guarded by {} but declares no login iotmark can sweep (protocol {protocol} has no login kind{})",
                i.name,
                i.port,
                m.id,
                match LoginMethod::kinds_for(i.protocol) {
                    [] => String::new(),
                    kinds => format!("; declare /ixit/interfaces/.../login as one of {}", kinds.join(", ")),
                }
            )),
            (None, None) => {}
        }
    }
    out
}

async fn login_interfaces(w: &mut World, _: Vec<String>) -> StepResult {
    w.targets = w.ctx.device.login_targets();
    w.unswept = unswept(w);
    // Every open port beyond the declaration: identified, and swept when it
    // is a login.
    match w.ctx.device.discover_logins(&w.ev).await {
        Ok(found) => {
            if !found.seen.is_empty() {
                w.note(format!("undeclared open ports: {}", found.seen.join("; ")));
            }
            for t in found.targets {
                if !w.targets.iter().any(|k| k.addr == t.addr) {
                    w.targets.push(t);
                }
            }
            w.unswept.extend(found.unswept);
        }
        Err(e) => w.unswept.push(format!(
            "the scan for undeclared login services failed: {e}"
        )),
    }
    if w.targets.is_empty() {
        let mut why =
            "no login interface was declared or discovered, so none could be tried".to_string();
        if !w.unswept.is_empty() {
            why = format!("{why}; not swept: {}", w.unswept.join("; "));
        }
        return Err(StepError::Inconclusive(why));
    }
    let names: Vec<String> = w.targets.iter().map(|t| t.to_string()).collect();
    w.note(format!("login interfaces: {}", names.join(", ")));
    Ok(())
}

async fn sweep(w: &mut World, _: Vec<String>) -> StepResult {
    let mut out = SweepOutcome {
        dictionary: w.ctx.dictionary.describe(),
        ..SweepOutcome::default()
    };
    let targets = w.targets.clone();
    let manufacturer = w.profile().product.manufacturer.clone();
    let cycles = PowerCycles::default();
    let world: &World = w;
    for target in &targets {
        let entries = world
            .ctx
            .dictionary
            .for_interface(target.method.kind(), &manufacturer);
        sweep::sweep_target(world, target, &entries, &cycles, &mut out).await;
    }
    out.power_cycles = cycles.count().await;
    for row in &out.interfaces {
        w.ev.note("sweep", &row.to_string());
    }
    w.sweep = Some(out);
    Ok(())
}

/// The coverage table: each interface swept, its kind, attempts and the
/// judge's calibration.
fn coverage(out: &SweepOutcome) -> String {
    let rows: Vec<String> = out.interfaces.iter().map(|r| r.to_string()).collect();
    format!(
        "dictionary: {}; {}",
        out.dictionary,
        if rows.is_empty() {
            "no interface swept".to_string()
        } else {
            rows.join(" | ")
        }
    )
}

async fn none_accepted(w: &mut World, _: Vec<String>) -> StepResult {
    let Some(out) = w.sweep.take() else {
        return Err(StepError::Inconclusive("no sweep was run".into()));
    };
    if !out.accepted.is_empty() {
        return Err(StepError::Fail(format!(
            "a well-known default credential is accepted: {} [{}]",
            out.accepted.join("; "),
            coverage(&out)
        )));
    }
    let mut unfinished = out.unfinished.clone();
    unfinished.extend(w.unswept.iter().map(|u| format!("not swept: {u}")));
    if !unfinished.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "{} [{}]",
            unfinished.join("; "),
            coverage(&out)
        )));
    }
    w.note(format!(
        "{} attempts over {} interface(s), none accepted{} [{}]",
        out.attempts,
        out.interfaces.len(),
        if out.power_cycles > 0 {
            format!(" ({} power cycles to clear lockouts)", out.power_cycles)
        } else {
            String::new()
        },
        coverage(&out)
    ));
    Ok(())
}

/// The declared units that carry a password, as analysis input.
fn unit_passwords(w: &World) -> Vec<(String, Option<[u8; 6]>, Secret)> {
    w.profile()
        .units
        .iter()
        .filter_map(|u| {
            u.initial_password
                .clone()
                .map(|p| (u.serial.clone(), u.mac_bytes(), p))
        })
        .collect()
}

fn as_analysis(units: &[(String, Option<[u8; 6]>, Secret)]) -> Vec<UnitPassword<'_>> {
    units
        .iter()
        .map(|(serial, mac, p)| UnitPassword {
            serial,
            mac: *mac,
            password: p.expose(),
        })
        .collect()
}

async fn declared_units(w: &mut World, _: Vec<String>) -> StepResult {
    let units = unit_passwords(w);
    if units.len() < 2 {
        return Err(StepError::Inconclusive(format!(
            "the profile declares {} unit password(s) in /units; at least two are needed to judge uniqueness",
            units.len()
        )));
    }
    w.ev.note(
        "declared-units",
        &format!(
            "{} unit passwords analysed: {}",
            units.len(),
            units
                .iter()
                .map(|(s, _, p)| format!("{s}={}", p.mask()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    w.note(format!("{} declared unit passwords analysed", units.len()));
    Ok(())
}

async fn unit_accepts_declared(w: &mut World, _: Vec<String>) -> StepResult {
    let profile = w.profile();
    let index = w.ctx.unit;
    let Some(unit) = profile.units.get(index) else {
        return Err(StepError::Inconclusive(format!(
            "the unit under test, /units/{index}, is not declared"
        )));
    };
    if unit.initial_password.is_none() {
        return Err(StepError::Inconclusive(format!(
            "unit {} has no declared initial_password",
            unit.serial
        )));
    }
    let serial = unit.serial.clone();
    let Some(mech) = profile.password_mechanisms().next() else {
        return Err(StepError::Inconclusive(
            "no password mechanism is declared".into(),
        ));
    };
    let names = mech.interfaces.clone();
    let Some(target) = w
        .ctx
        .device
        .login_targets()
        .into_iter()
        .find(|t| names.contains(&t.interface))
    else {
        return Err(StepError::Inconclusive(format!(
            "none of the interfaces of mechanism {} could be reached",
            mech.id
        )));
    };
    let calibration = sweep::calibrate(w, &target, &PowerCycles::default())
        .await
        .map_err(|why| {
            StepError::Inconclusive(format!(
                "the login judge of {target} could not be calibrated: {why}"
            ))
        })?;
    if calibration.is_complete() {
        w.note(format!(
            "unit {serial} accepts its declared password on {target} ({})",
            calibration.summary()
        ));
        return Ok(());
    }
    if calibration.declared_refused() {
        return Err(StepError::Fail(format!(
            "unit {serial} rejects the password declared for it on {target}: the declaration does not describe this unit ({})",
            calibration.summary()
        )));
    }
    Err(StepError::Inconclusive(format!(
        "whether unit {serial} accepts its declared password on {target} could not be told: {}",
        calibration.summary()
    )))
}

async fn distinct(w: &mut World, _: Vec<String>) -> StepResult {
    let units = unit_passwords(w);
    let shared = pw::shared_passwords(&as_analysis(&units));
    if let Some((a, b)) = shared.first() {
        return Err(StepError::Fail(format!(
            "units {} and {} share the same password ({} pair(s) in all)",
            units[*a].0,
            units[*b].0,
            shared.len()
        )));
    }
    Ok(())
}

async fn no_counter(w: &mut World, _: Vec<String>) -> StepResult {
    let units = unit_passwords(w);
    // Reasons quote the pattern, so mask the passwords in it.
    if let Some(how) = pw::counter_pattern(&as_analysis(&units)) {
        let masked = units
            .iter()
            .fold(how, |acc, (_, _, p)| acc.replace(p.expose(), &p.mask()));
        return Err(StepError::Fail(format!(
            "the unit passwords follow an incremental counter: {masked}"
        )));
    }
    Ok(())
}

async fn not_derived(w: &mut World, _: Vec<String>) -> StepResult {
    let units = unit_passwords(w);
    let found: Vec<String> = as_analysis(&units)
        .iter()
        .filter_map(|u| {
            pw::derived_from_identifier(u)
                .map(|why| format!("unit {}: the password {why}", u.serial))
        })
        .collect();
    if !found.is_empty() {
        return Err(StepError::Fail(found.join("; ")));
    }
    Ok(())
}

async fn strong(w: &mut World, _: Vec<String>) -> StepResult {
    let units = unit_passwords(w);
    let product = &w.profile().product;
    let mut public: Vec<String> = vec![
        product.manufacturer.clone(),
        product.model.clone(),
        product.product_type.clone(),
    ];
    public.extend(w.profile().units.iter().map(|u| u.serial.clone()));
    let public: Vec<&str> = public.iter().map(String::as_str).collect();
    let mut problems = Vec::new();
    let mut weakest = f64::INFINITY;
    for (serial, _, password) in &units {
        if w.ctx.dictionary.passwords().any(|p| p == password.expose()) {
            problems.push(format!(
                "unit {serial}: the password is in the default-credential dictionary"
            ));
            continue;
        }
        let s = pw::strength(password.expose(), &public);
        weakest = weakest.min(s.guesses_log10);
        if let Some(word) = s.common {
            let _ = word; // the word itself would reveal the password
            problems.push(format!(
                "unit {serial}: the password is (mostly) a common password"
            ));
        } else if s.score < pw::MIN_SCORE {
            problems.push(format!(
                "unit {serial}: the password is too easy to guess (strength {}/4, about 10^{:.1} guesses; at least {} is required)",
                s.score,
                s.guesses_log10,
                pw::MIN_SCORE
            ));
        }
    }
    if !problems.is_empty() {
        return Err(StepError::Fail(problems.join("; ")));
    }
    w.note(format!(
        "every password resists guessing (weakest about 10^{weakest:.1} guesses)"
    ));
    Ok(())
}

async fn factory_reset(w: &mut World, _: Vec<String>) -> StepResult {
    match w.ctx.device.factory_reset(&w.ev).await {
        Ok(()) => {
            w.note("the unit was reset to factory settings");
            Ok(())
        }
        Err(e) => Err(StepError::Inconclusive(format!(
            "the unit could not be reset to factory settings: {e}"
        ))),
    }
}
