//! Functional checks of authentication values on the product: changing the
//! password works (5.1-4), and guessing is locked out or slowed (5.1-5).

use std::time::{Duration, Instant};

use iotmark_adapters::device::{Credential, LoginOutcome, LoginTarget};
use iotmark_adapters::endpoints::{ApiFunction, CallValue, FieldKind};
use iotmark_adapters::secret::Secret;
use sha2::Digest;

use super::api::{call_for, credential_for, send, with_function};
use super::{step, StepDef};
use crate::world::{StepError, StepResult, World};

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(
            r"the password is changed through the declared password change function",
            change_password
        ),
        step!(
            r"the product accepts the new password and refuses the old one",
            new_password_works
        ),
        step!(
            r"repeated wrong passwords on every login interface are locked out or slowed down within the declared number of failures",
            guessing_limited
        ),
    ]
}

/// A password nobody has used before: 24 hex digits of a hash of the clock,
/// with the classes a password rule may ask for.
pub(super) fn fresh_password(tag: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let digest = sha2::Sha256::digest(format!("{tag}{now}").as_bytes());
    format!("Iq-{}!", &hex::encode(digest)[..20])
}

/// The login targets on the interfaces the change endpoint's mechanism guards.
fn targets_of(w: &World, interface: &str) -> Vec<LoginTarget> {
    let p = w.profile();
    let Some(mech) = p
        .password_mechanisms()
        .find(|m| m.interfaces.iter().any(|i| i == interface))
    else {
        return Vec::new();
    };
    w.ctx
        .device
        .login_targets()
        .into_iter()
        .filter(|t| mech.interfaces.contains(&t.interface))
        .collect()
}

/// Change the password from `old` to `new` through endpoint `e`.
async fn change(
    w: &World,
    e: &iotmark_adapters::endpoints::ApiEndpoint,
    old: &Credential,
    new: &Secret,
) -> Result<iotmark_adapters::endpoints::ApiAnswer, StepError> {
    let field = e
        .fields
        .iter()
        .find(|f| f.kind == FieldKind::Password)
        .ok_or_else(|| {
            StepError::Inconclusive(format!(
                "the password change endpoint {} declares no password field",
                e.id
            ))
        })?;
    let request = call_for(
        w,
        e,
        Some(old.clone()),
        vec![(field.name.clone(), CallValue::Secret(new.clone()))],
        "api-password-change",
    )?;
    send(w, &request).await
}

async fn change_password(w: &mut World, _: Vec<String>) -> StepResult {
    // Everything is checked in the Then step, which must restore the password.
    if with_function(w, ApiFunction::PasswordChange).is_empty() {
        return Err(StepError::Inconclusive(
            "no password change endpoint is declared in /ixit/api_endpoints".into(),
        ));
    }
    fresh_start(w).await
}

/// Power cycle the unit so no lockout left by an earlier test case remains.
async fn fresh_start(w: &World) -> StepResult {
    w.ctx.device.power_cycle(&w.ev).await.map_err(|e| {
        StepError::Inconclusive(format!(
            "the power cycle that clears earlier lockouts failed: {e}"
        ))
    })
}

async fn login(w: &World, t: &LoginTarget, c: &Credential) -> Result<LoginOutcome, StepError> {
    w.ctx
        .device
        .try_login(&w.ev, t, c)
        .await
        .map_err(|e| StepError::Inconclusive(format!("login on {t} failed: {e}")))
}

async fn new_password_works(w: &mut World, _: Vec<String>) -> StepResult {
    let e = with_function(w, ApiFunction::PasswordChange)
        .into_iter()
        .next()
        .ok_or_else(|| StepError::Inconclusive("no password change endpoint".into()))?;
    let old = credential_for(w, &e.interface).ok_or_else(|| {
        StepError::Inconclusive(format!(
            "no password mechanism and unit password are declared for {}",
            e.interface
        ))
    })?;
    let targets = targets_of(w, &e.interface);
    if targets.is_empty() {
        return Err(StepError::Inconclusive(
            "no login interface of the mechanism could be reached".into(),
        ));
    }
    let new = Secret::new(fresh_password("5.1-4"));
    let answer = change(w, &e, &old, &new).await?;
    if !answer.is_success() {
        return Err(StepError::Fail(format!(
            "the declared password change {} {} refused a valid new password (HTTP {})",
            e.method.as_str(),
            e.path,
            answer.status
        )));
    }
    let new_credential = Credential {
        username: old.username.clone(),
        password: new.clone(),
    };
    let mut problems = Vec::new();
    let mut checked = Vec::new();
    let mut new_works = false;
    for t in &targets {
        let with_new = login(w, t, &new_credential).await?;
        let with_old = login(w, t, &old).await?;
        if matches!(with_new, LoginOutcome::LockedOut { .. })
            || matches!(with_old, LoginOutcome::LockedOut { .. })
        {
            return Err(StepError::Inconclusive(format!(
                "{t} was locked out during the check"
            )));
        }
        if with_new == LoginOutcome::Accepted {
            new_works = true;
        } else {
            problems.push(format!("{t} refuses the new password"));
        }
        if with_old == LoginOutcome::Accepted {
            problems.push(format!("{t} still accepts the old password"));
        }
        checked.push(t.interface.clone());
    }
    // Put the declared password back for the test cases that follow.
    if new_works {
        let back = change(w, &e, &new_credential, &old.password).await?;
        if !back.is_success() {
            return Err(StepError::Inconclusive(format!(
                "the password could not be changed back (HTTP {})",
                back.status
            )));
        }
    }
    if !problems.is_empty() {
        return Err(StepError::Fail(format!(
            "the password change answered HTTP {} but did not take effect: {}",
            answer.status,
            problems.join("; ")
        )));
    }
    w.note(format!(
        "after {} {} the new password opened and the old one was refused on {}; the declared password was then restored",
        e.method.as_str(),
        e.path,
        checked.join(", ")
    ));
    Ok(())
}

/// Most wrong attempts a run makes on one interface.
const MAX_ATTEMPTS: u32 = 105;
/// An attempt this much slower than the first ones counts as slowed down.
const SLOWDOWN: Duration = Duration::from_secs(1);
/// Attempts whose median is the baseline.
const BASELINE: usize = 3;
/// Consecutive slowed attempts it takes to count as slowed down, so one
/// slow reply (network jitter) is not mistaken for protection.
const SLOWED_IN_A_ROW: usize = 3;

/// The attempt (1-based) from which the replies in `times` have slowed
/// down: the last [`SLOWED_IN_A_ROW`] each at least [`SLOWDOWN`] over the
/// median of the first [`BASELINE`], none of them in the baseline.
fn slowed_from(times: &[Duration]) -> Option<usize> {
    if times.len() < BASELINE + SLOWED_IN_A_ROW {
        return None;
    }
    let mut base: Vec<Duration> = times[..BASELINE].to_vec();
    base.sort();
    let threshold = base[BASELINE / 2] + SLOWDOWN;
    let from = times.len() - SLOWED_IN_A_ROW;
    times[from..]
        .iter()
        .all(|t| *t >= threshold)
        .then_some(from + 1)
}

/// Does a stop hold against the right password? `locked` when the stop
/// was a lockout. The text to add to the note, or the problem.
fn lockout_holds(locked: bool, right_now: &LoginOutcome) -> Result<&'static str, &'static str> {
    match (locked, right_now) {
        (true, LoginOutcome::Accepted) => Err("yet the right password was accepted straight after"),
        (true, _) => Ok(", the right password refused too"),
        (false, _) => Ok(""),
    }
}

async fn guessing_limited(w: &mut World, _: Vec<String>) -> StepResult {
    fresh_start(w).await?;
    let p = w.profile().clone();
    let mut found = Vec::new();
    let mut problems = Vec::new();
    let mut tested = 0;
    for mech in p.password_mechanisms() {
        let declared = mech
            .brute_force
            .as_ref()
            .and_then(|b| b.max_consecutive_failures)
            .unwrap_or(100);
        let limit = declared.saturating_add(5).min(MAX_ATTEMPTS);
        let Some(right) = credential_for(w, mech.interfaces.first().map_or("", |s| s)) else {
            continue;
        };
        let targets: Vec<LoginTarget> = w
            .ctx
            .device
            .login_targets()
            .into_iter()
            .filter(|t| mech.interfaces.contains(&t.interface))
            .collect();
        for t in targets {
            tested += 1;
            let started = Instant::now();
            let mut times = Vec::new();
            let mut stopped: Option<(u32, String)> = None;
            for n in 1..=limit {
                let wrong = Credential::new(right.username.clone(), format!("iotmark-wrong-{n}"));
                let at = Instant::now();
                let outcome = login(w, &t, &wrong).await?;
                let took = at.elapsed();
                times.push(took);
                match outcome {
                    LoginOutcome::LockedOut { detail } => {
                        stopped = Some((n, format!("locked out ({detail})")));
                        break;
                    }
                    LoginOutcome::Accepted => {
                        return Err(StepError::Fail(format!("{t} accepted a wrong password")))
                    }
                    LoginOutcome::Rejected => {
                        if let Some(from) = slowed_from(&times) {
                            let at = u32::try_from(from).unwrap_or(n);
                            stopped = Some((
                                at,
                                format!(
                                    "slowed down to {:.1} s per attempt for {SLOWED_IN_A_ROW} attempts in a row",
                                    took.as_secs_f64()
                                ),
                            ));
                            break;
                        }
                    }
                }
            }
            let elapsed = started.elapsed().as_secs_f64();
            match stopped {
                Some((n, how)) if n <= declared.saturating_add(1) => {
                    // While locked out the right password must be refused
                    // too, or the lockout stops nobody who guesses it; a
                    // slowed-down interface may still take it, after the delay.
                    let locked = how.starts_with("locked out");
                    let right_now = login(w, &t, &right).await?;
                    match lockout_holds(locked, &right_now) {
                        Ok(also) => found.push(format!(
                            "{t}: {how} at attempt {n} after {elapsed:.1} s{also}"
                        )),
                        Err(why) => problems.push(format!("{t}: {how} at attempt {n}, {why}")),
                    }
                }
                Some((n, how)) => problems.push(format!(
                    "{t}: {how} only at attempt {n}, beyond the declared {declared} failures"
                )),
                None => problems.push(format!(
                    "{t}: {limit} wrong passwords in {elapsed:.1} s, none locked out or slowed down (declared: {declared})"
                )),
            }
            // End any lockout before the next interface and test case.
            w.ctx.device.power_cycle(&w.ev).await.map_err(|e| {
                StepError::Inconclusive(format!("the power cycle after the attempts failed: {e}"))
            })?;
        }
    }
    if !problems.is_empty() {
        return Err(StepError::Fail(format!(
            "guessing passwords over the network is not limited: {}",
            problems.join("; ")
        )));
    }
    if tested == 0 {
        return Err(StepError::Inconclusive(
            "no login interface of a password mechanism could be reached".into(),
        ));
    }
    w.note(found.join("; "));
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn ms(list: &[u64]) -> Vec<Duration> {
        list.iter().map(|m| Duration::from_millis(*m)).collect()
    }

    #[test]
    fn one_slow_reply_is_not_a_slowdown() {
        // A single reply a second and more slower than the first: jitter.
        assert_eq!(slowed_from(&ms(&[20, 25, 22, 1300, 24, 23])), None);
        assert_eq!(slowed_from(&ms(&[20, 25, 22, 1300, 1400, 23])), None);
        // A slow first reply does not lower the bar for the rest.
        assert_eq!(slowed_from(&ms(&[900, 25, 22, 30, 26])), None);
        assert_eq!(slowed_from(&ms(&[20, 1100])), None);
    }

    #[test]
    fn a_lasting_slowdown_is_found_where_it_began() {
        let times = ms(&[20, 25, 22, 24, 1100, 2100, 4100]);
        assert_eq!(slowed_from(&times), Some(5));
        // Only the baseline window counts as "before".
        assert_eq!(slowed_from(&ms(&[20, 25, 22, 1100, 1100, 1100])), Some(4));
    }

    #[test]
    fn a_lockout_must_refuse_the_right_password_too() {
        assert!(lockout_holds(true, &LoginOutcome::Accepted).is_err());
        assert!(lockout_holds(true, &LoginOutcome::Rejected).is_ok());
        assert!(lockout_holds(
            true,
            &LoginOutcome::LockedOut {
                detail: "HTTP 429".into()
            }
        )
        .is_ok());
        assert_eq!(lockout_holds(false, &LoginOutcome::Accepted), Ok(""));
    }
}
