//! Dictionary sweeps over login interfaces, with judges calibrated on the
//! device first.
//!
//! For each interface: the unit's declared credential and two random wrong
//! passwords are tried, and their answers become the judge's references
//! ([`Calibration`]). Then every dictionary entry is tried; each attempt ends
//! in a recognised acceptance or rejection, or is tried again up to
//! [`TRIES`] times and otherwise named in the result (interface and entry
//! index, never the password). A sweep passes only where the judge was fully
//! calibrated and every attempt was judged.

use iotmark_adapters::calibration::{Calibration, Judged, LoginAnswer};
use iotmark_adapters::device::{Credential, LoginOutcome, LoginTarget};

use crate::dictionary::DictionaryEntry;
use crate::world::{InterfaceSweep, SweepOutcome, World};

/// Tries of one credential before its answer is given up as unreadable.
pub const TRIES: usize = 3;

/// After this many credentials in a row could not be judged (each after
/// [`TRIES`] tries), the rest of the interface is not tried: it is dead or
/// unreadable, and the result is INCONCLUSIVE anyway.
const MAX_UNJUDGED_IN_A_ROW: usize = 3;

/// Credentials tried at once on one interface. The device's probe stack still
/// enforces its own concurrency and rate limits, so a real unit is never
/// flooded; this only lets a sweep use what those limits allow.
const PARALLEL_ATTEMPTS: usize = 8;

/// Unjudged attempts named one by one in a reason (the rest are counted).
const NAMED_UNJUDGED: usize = 5;

/// Power cycles made to clear lockouts, shared by concurrent attempts so one
/// lockout costs one power cycle however many attempts saw it.
#[derive(Debug, Default)]
pub struct PowerCycles {
    /// How many power cycles so far; an attempt that saw a lockout cycles the
    /// unit only if nobody has done so since it started.
    done: tokio::sync::Mutex<usize>,
}

impl PowerCycles {
    pub async fn count(&self) -> usize {
        *self.done.lock().await
    }
}

/// Try one credential and read the answer, power-cycling once if the device
/// is locked out.
pub async fn answer(
    w: &World,
    target: &LoginTarget,
    credential: &Credential,
    cycles: &PowerCycles,
) -> Result<LoginAnswer, String> {
    let device = &w.ctx.device;
    let seen = *cycles.done.lock().await;
    let first = device
        .login_answer(&w.ev, target, credential)
        .await
        .map_err(|e| e.to_string())?;
    let Ok(LoginOutcome::LockedOut { detail }) = &first.read else {
        return Ok(first);
    };
    {
        let mut done = cycles.done.lock().await;
        if *done == seen {
            device.power_cycle(&w.ev).await.map_err(|e| {
                format!(
                    "{target} locked us out ({detail}) and the unit could not be power-cycled: {e}"
                )
            })?;
            *done += 1;
        }
    }
    let second = device
        .login_answer(&w.ev, target, credential)
        .await
        .map_err(|e| e.to_string())?;
    if let Ok(LoginOutcome::LockedOut { detail }) = &second.read {
        return Err(format!(
            "{target} stays locked out even straight after a power cycle ({detail})"
        ));
    }
    Ok(second)
}

/// [`answer`], tried again up to [`TRIES`] times while the probe fails.
async fn answer_retried(
    w: &World,
    target: &LoginTarget,
    credential: &Credential,
    cycles: &PowerCycles,
) -> Result<LoginAnswer, String> {
    let mut last = String::new();
    for _ in 0..TRIES {
        match answer(w, target, credential, cycles).await {
            Ok(a) => return Ok(a),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// The unit's declared credential for an interface: the username of the
/// password mechanism guarding it and the unit's initial password, or why
/// there is none.
pub fn declared_credential(w: &World, interface: &str) -> Result<Credential, String> {
    let p = w.profile();
    let Some(mech) = p
        .password_mechanisms()
        .find(|m| m.interfaces.iter().any(|i| i == interface))
    else {
        return Err(format!(
            "no declared credential to calibrate with: no password mechanism in /ixit/auth_mechanisms guards {interface}"
        ));
    };
    let Some(unit) = p.units.get(w.ctx.unit) else {
        return Err(format!(
            "no declared credential to calibrate with: the unit under test, /units/{}, is not declared",
            w.ctx.unit
        ));
    };
    let Some(password) = unit.initial_password.clone() else {
        return Err(format!(
            "no declared credential to calibrate with: unit {} has no initial_password",
            unit.serial
        ));
    };
    Ok(Credential {
        username: mech.username.clone().unwrap_or_default(),
        password,
    })
}

/// Calibrate the judge of `target`: the declared credential, then two
/// random wrong passwords under the same user name.
pub async fn calibrate(
    w: &World,
    target: &LoginTarget,
    cycles: &PowerCycles,
) -> Result<Calibration, String> {
    let declared = declared_credential(w, &target.interface);
    let username = match &declared {
        Ok(c) => c.username.clone(),
        Err(_) => "root".to_string(),
    };
    let declared_answer = match &declared {
        Ok(c) => Ok(answer_retried(w, target, c, cycles)
            .await
            .map_err(|e| format!("the declared credential could not be tried: {e}"))?),
        Err(why) => Err(why.clone()),
    };
    let wrong = Credential::new(
        username.clone(),
        super::credentials::fresh_password("calibrate-1"),
    );
    let wrong_answer = answer_retried(w, target, &wrong, cycles)
        .await
        .map_err(|e| format!("a random wrong password could not be tried: {e}"))?;
    // A second wrong password shows whether the answer is stable, where
    // answers are compared by shape.
    let again = if wrong_answer.shape.is_some() {
        let wrong = Credential::new(username, super::credentials::fresh_password("calibrate-2"));
        Some(
            answer_retried(w, target, &wrong, cycles)
                .await
                .map_err(|e| format!("a second wrong password could not be tried: {e}"))?,
        )
    } else {
        None
    };
    Calibration::new(wrong_answer, again, declared_answer).map_err(|e| e.to_string())
}

/// One dictionary credential, judged: tried up to [`TRIES`] times while the
/// probe fails or the answer cannot be recognised.
async fn judged(
    w: &World,
    target: &LoginTarget,
    credential: &Credential,
    calibration: &Calibration,
    cycles: &PowerCycles,
) -> Result<bool, String> {
    let mut last = String::new();
    for _ in 0..TRIES {
        match answer(w, target, credential, cycles).await {
            Err(e) => last = e,
            Ok(a) => match calibration.judge(&a) {
                Judged::Accepted => return Ok(true),
                Judged::Rejected => return Ok(false),
                Judged::LockedOut { detail } => {
                    last = format!("locked out after a power cycle ({detail})")
                }
                Judged::Unrecognised { detail } => last = format!("unrecognised answer: {detail}"),
            },
        }
    }
    Err(last)
}

/// Short name of a login kind, for the coverage table.
pub fn kind(target: &LoginTarget) -> String {
    target.method.kind().to_string()
}

/// Sweep `entries` over `target`, adding to `out`.
pub async fn sweep_target(
    w: &World,
    target: &LoginTarget,
    entries: &[DictionaryEntry],
    cycles: &PowerCycles,
    out: &mut SweepOutcome,
) {
    let mut row = InterfaceSweep {
        interface: target.interface.clone(),
        kind: kind(target),
        entries: entries.len(),
        attempts: 0,
        calibration: String::new(),
        calibrated: false,
        accepted: 0,
        unjudged: 0,
    };
    let calibration = match calibrate(w, target, cycles).await {
        Ok(c) => c,
        Err(why) => {
            row.calibration = format!("not calibrated: {why}");
            out.unfinished.push(format!(
                "{target}: the judge could not be calibrated: {why}"
            ));
            out.interfaces.push(row);
            return;
        }
    };
    row.calibration = calibration.summary();
    row.calibrated = calibration.is_complete();
    let mut unjudged_in_a_row = 0;
    let mut unjudged: Vec<String> = Vec::new();
    let mut gave_up = None;
    'sweep: for (b, batch) in entries.chunks(PARALLEL_ATTEMPTS).enumerate() {
        let results = futures::future::join_all(
            batch
                .iter()
                .map(|e| judged(w, target, &e.credential, &calibration, cycles)),
        )
        .await;
        for (i, (entry, result)) in batch.iter().zip(results).enumerate() {
            let index = b * PARALLEL_ATTEMPTS + i + 1;
            row.attempts += 1;
            out.attempts += 1;
            match result {
                Ok(true) => {
                    unjudged_in_a_row = 0;
                    row.accepted += 1;
                    out.accepted.push(format!(
                        "{target} accepts {} / {} ({} dictionary, row {})",
                        entry.credential.username,
                        entry.credential.password.mask(),
                        entry.source,
                        entry.row
                    ));
                }
                Ok(false) => unjudged_in_a_row = 0,
                Err(e) => {
                    unjudged_in_a_row += 1;
                    row.unjudged += 1;
                    unjudged.push(format!(
                        "credential #{index} (dictionary row {}, user {:?}) not judged after {TRIES} tries: {e}",
                        entry.row, entry.credential.username
                    ));
                    if unjudged_in_a_row >= MAX_UNJUDGED_IN_A_ROW {
                        gave_up = Some(index);
                        break 'sweep;
                    }
                }
            }
        }
    }
    if !unjudged.is_empty() {
        let shown: Vec<&String> = unjudged.iter().take(NAMED_UNJUDGED).collect();
        let more = unjudged.len().saturating_sub(NAMED_UNJUDGED);
        let stop = match gave_up {
            Some(at) => format!(
                "; stopped after credential #{at} of {} ({MAX_UNJUDGED_IN_A_ROW} in a row could not be judged)",
                entries.len()
            ),
            None => String::new(),
        };
        out.unfinished.push(format!(
            "{target}: {} attempt(s) could not be judged: {}{}{stop}",
            unjudged.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        ));
    }
    if !calibration.is_complete() && row.accepted == 0 {
        out.unfinished.push(format!(
            "{target}: no credential was accepted, but the judge only knows this interface's refusal: {}",
            calibration.missing().unwrap_or("no acceptance reference")
        ));
    }
    out.interfaces.push(row);
}
