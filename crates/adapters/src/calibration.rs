//! Judges calibrated on the device under test.
//!
//! A probe's fixed rules (a shell prompt is a login, HTTP 401 is a refusal)
//! hold for most devices, not all: a form login may answer success with a
//! page that holds a password field (a change-password form), or refuse with
//! a redirect somewhere else. Before a dictionary sweep counts, the device's
//! own two answers are taken: its declared credential (accepted) and a random
//! wrong password (rejected). [`Calibration`] keeps them and judges every
//! later answer against them; an answer that matches neither reference and
//! that the fixed rules cannot read is [`Judged::Unrecognised`], never a
//! guess.

use std::fmt;

use serde::Serialize;

use crate::device::LoginOutcome;

/// The comparable features of a login answer (status, redirect target,
/// cookie names, body kind…), for protocols whose answers vary by device
/// (HTTP form logins). Values are never secrets: cookie values, tokens and
/// free text are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerShape(pub Vec<(String, String)>);

impl fmt::Display for AnswerShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        write!(f, "{}", parts.join(", "))
    }
}

/// One login answer as a probe read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginAnswer {
    /// What the probe's fixed rules make of it, or why they cannot tell.
    pub read: Result<LoginOutcome, String>,
    /// The answer's shape, where the protocol's answers vary by device;
    /// `None` where the fixed reading is the whole answer (a telnet shell
    /// prompt, an SSH or MQTT result code).
    pub shape: Option<AnswerShape>,
}

impl LoginAnswer {
    pub fn read_as(outcome: LoginOutcome) -> Self {
        LoginAnswer {
            read: Ok(outcome),
            shape: None,
        }
    }

    /// A short description for reasons and evidence.
    pub fn describe(&self) -> String {
        let read = match &self.read {
            Ok(LoginOutcome::Accepted) => "read as accepted".to_string(),
            Ok(LoginOutcome::Rejected) => "read as rejected".to_string(),
            Ok(LoginOutcome::LockedOut { detail }) => format!("read as locked out ({detail})"),
            Err(why) => format!("unreadable by fixed rules ({why})"),
        };
        match &self.shape {
            Some(shape) => format!("{read}; answer {shape}"),
            None => read,
        }
    }

    fn locked_out(&self) -> Option<&str> {
        match &self.read {
            Ok(LoginOutcome::LockedOut { detail }) => Some(detail),
            _ => None,
        }
    }
}

/// What a calibrated judge makes of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judged {
    Accepted,
    Rejected,
    LockedOut {
        detail: String,
    },
    /// Neither reference nor the fixed rules account for the answer.
    Unrecognised {
        detail: String,
    },
}

/// Why a judge could not be calibrated on an interface.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalibrationError {
    /// A wrong password was not recognised as rejected.
    #[error("a random wrong password was not recognised as rejected: {seen}")]
    RejectionUnrecognised { seen: String },
    /// Two wrong passwords gave different answers: the answer holds
    /// something that changes on its own, so no reference is stable.
    #[error("two random wrong passwords gave different answers ({first} / {second})")]
    RejectionUnstable { first: String, second: String },
}

/// The reference answers of one interface.
#[derive(Debug, Clone)]
pub struct Calibration {
    rejected: LoginAnswer,
    /// The declared credential's answer, when it was recognised as an
    /// acceptance; `None` when there was no credential to calibrate with, or
    /// it was refused (`missing` says which).
    accepted: Option<LoginAnswer>,
    missing: Option<String>,
    /// The declared credential was positively seen refused (its answer is
    /// the wrong password's, or the fixed rules read a refusal).
    declared_refused: bool,
}

impl Calibration {
    /// Calibrate from the answers to two random wrong passwords (`wrong`,
    /// `wrong_again`: both must read the same, as a rejection) and, where a
    /// credential is declared, its answer (`declared`: `Err(why)` when there
    /// is none to try).
    pub fn new(
        wrong: LoginAnswer,
        wrong_again: Option<LoginAnswer>,
        declared: Result<LoginAnswer, String>,
    ) -> Result<Calibration, CalibrationError> {
        if let Some(again) = &wrong_again {
            if again.shape != wrong.shape || again.read != wrong.read {
                return Err(CalibrationError::RejectionUnstable {
                    first: wrong.describe(),
                    second: again.describe(),
                });
            }
        }
        let rejection_ok = match (&wrong.shape, &wrong.read) {
            // A varying protocol: a random password is wrong by
            // construction, so its answer is the rejection reference
            // whatever the fixed rules read (a refusal may redirect
            // elsewhere than the login page), unless it is a lockout.
            (Some(_), _) => true,
            (None, Ok(LoginOutcome::Rejected)) => true,
            (None, _) => false,
        };
        if !rejection_ok || wrong.locked_out().is_some() {
            return Err(CalibrationError::RejectionUnrecognised {
                seen: wrong.describe(),
            });
        }
        let mut declared_refused = false;
        let (accepted, missing) = match declared {
            Err(why) => (None, Some(why)),
            Ok(answer) => {
                let is_acceptance = match &answer.shape {
                    // A varying protocol: the declared credential's answer
                    // is the acceptance reference when it differs from the
                    // wrong password's (whatever the fixed rules read: a
                    // success page may hold a change-password form).
                    Some(shape) => {
                        Some(shape) != wrong.shape.as_ref() && answer.locked_out().is_none()
                    }
                    None => answer.read == Ok(LoginOutcome::Accepted),
                };
                if is_acceptance {
                    (Some(answer), None)
                } else if answer.shape.is_some() && answer.shape == wrong.shape {
                    declared_refused = true;
                    let why = format!(
                        "the declared credential's answer cannot be told apart from a wrong password's ({})",
                        answer.describe()
                    );
                    (None, Some(why))
                } else {
                    declared_refused =
                        answer.shape.is_none() && answer.read == Ok(LoginOutcome::Rejected);
                    let why = format!(
                        "the declared credential was not recognised as accepted ({})",
                        answer.describe()
                    );
                    (None, Some(why))
                }
            }
        };
        Ok(Calibration {
            rejected: wrong,
            accepted,
            missing,
            declared_refused,
        })
    }

    /// Both references were taken: a sweep without an acceptance can pass.
    pub fn is_complete(&self) -> bool {
        self.accepted.is_some()
    }

    /// The declared credential was seen refused, as a wrong password is.
    pub fn declared_refused(&self) -> bool {
        self.declared_refused
    }

    /// Why only the rejection is calibrated, if so.
    pub fn missing(&self) -> Option<&str> {
        self.missing.as_deref()
    }

    /// One line for reasons: what each reference looked like.
    pub fn summary(&self) -> String {
        let accepted = match (&self.accepted, &self.missing) {
            (Some(a), _) => format!("accepted reference: declared credential {}", a.describe()),
            (None, Some(why)) => format!("no accepted reference: {why}"),
            (None, None) => "no accepted reference".into(),
        };
        format!(
            "{accepted}; rejected reference: wrong password {}",
            self.rejected.describe()
        )
    }

    /// Judge one answer against the references.
    pub fn judge(&self, answer: &LoginAnswer) -> Judged {
        if let Some(detail) = answer.locked_out() {
            return Judged::LockedOut {
                detail: detail.to_string(),
            };
        }
        match &answer.shape {
            Some(shape) => {
                if Some(shape) == self.rejected.shape.as_ref() {
                    return Judged::Rejected;
                }
                if let Some(accepted) = &self.accepted {
                    if Some(shape) == accepted.shape.as_ref() {
                        return Judged::Accepted;
                    }
                }
                // Neither reference: believe the fixed rules only for an
                // acceptance the references cannot contradict (no
                // acceptance reference was taken).
                match (&answer.read, &self.accepted) {
                    (Ok(LoginOutcome::Accepted), None) => Judged::Accepted,
                    _ => Judged::Unrecognised {
                        detail: format!(
                            "the answer ({}) matches neither reference ({})",
                            answer.describe(),
                            self.summary()
                        ),
                    },
                }
            }
            None => match &answer.read {
                Ok(LoginOutcome::Accepted) => Judged::Accepted,
                Ok(LoginOutcome::Rejected) => Judged::Rejected,
                Ok(LoginOutcome::LockedOut { detail }) => Judged::LockedOut {
                    detail: detail.clone(),
                },
                Err(why) => Judged::Unrecognised {
                    detail: why.clone(),
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn shaped(read: Result<LoginOutcome, String>, pairs: &[(&str, &str)]) -> LoginAnswer {
        LoginAnswer {
            read,
            shape: Some(AnswerShape(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )),
        }
    }

    #[test]
    fn change_password_success_page_reads_as_accepted() {
        // Success: 200 with a password field (change it now) and a cookie;
        // the fixed rules read both answers as refusals.
        let ok = shaped(
            Ok(LoginOutcome::Rejected),
            &[
                ("status", "200"),
                ("cookies", "sid"),
                ("password-field", "yes"),
            ],
        );
        let wrong = shaped(
            Ok(LoginOutcome::Rejected),
            &[
                ("status", "200"),
                ("cookies", ""),
                ("password-field", "yes"),
            ],
        );
        let cal = Calibration::new(wrong.clone(), Some(wrong.clone()), Ok(ok.clone())).unwrap();
        assert!(cal.is_complete());
        assert_eq!(cal.judge(&ok), Judged::Accepted);
        assert_eq!(cal.judge(&wrong), Judged::Rejected);
    }

    #[test]
    fn an_answer_matching_neither_reference_is_unrecognised() {
        let wrong = shaped(
            Ok(LoginOutcome::Rejected),
            &[("status", "302"), ("redirect", "/login?error")],
        );
        let ok = shaped(
            Ok(LoginOutcome::Accepted),
            &[("status", "302"), ("redirect", "/home")],
        );
        let cal = Calibration::new(wrong.clone(), Some(wrong.clone()), Ok(ok.clone())).unwrap();
        assert_eq!(cal.judge(&wrong), Judged::Rejected);
        assert_eq!(cal.judge(&ok), Judged::Accepted);
        let odd = shaped(
            Ok(LoginOutcome::Accepted),
            &[("status", "302"), ("redirect", "/setup")],
        );
        assert!(matches!(cal.judge(&odd), Judged::Unrecognised { .. }));
    }

    #[test]
    fn references_that_look_alike_are_not_a_calibration() {
        let same = shaped(
            Err("unclear".into()),
            &[("status", "200"), ("body", "json:ok")],
        );
        let cal = Calibration::new(same.clone(), None, Ok(same.clone())).unwrap();
        assert!(!cal.is_complete());
        assert!(cal.missing().unwrap().contains("cannot be told apart"));
        let other = shaped(
            Err("unclear".into()),
            &[("status", "200"), ("body", "json:token")],
        );
        assert!(matches!(
            Calibration::new(same, Some(other), Err("none".into())),
            Err(CalibrationError::RejectionUnstable { .. })
        ));
    }

    #[test]
    fn fixed_protocols_need_both_readings() {
        let rejected = LoginAnswer::read_as(LoginOutcome::Rejected);
        let accepted = LoginAnswer::read_as(LoginOutcome::Accepted);
        let cal = Calibration::new(rejected.clone(), None, Ok(accepted.clone())).unwrap();
        assert!(cal.is_complete());
        assert!(Calibration::new(accepted.clone(), None, Ok(accepted.clone())).is_err());
        let half = Calibration::new(rejected.clone(), None, Ok(rejected.clone())).unwrap();
        assert!(!half.is_complete());
        assert!(half
            .missing()
            .unwrap()
            .contains("not recognised as accepted"));
        let unreadable = LoginAnswer {
            read: Err("saw garbage".into()),
            shape: None,
        };
        assert!(matches!(
            cal.judge(&unreadable),
            Judged::Unrecognised { .. }
        ));
    }
}
