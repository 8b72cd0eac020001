//! The mutable state of one simulated unit: its current password, the failed
//! login counter and lockout, and the open web sessions.
//!
//! Every interface of the unit shares one [`UnitState`], as the admin API and
//! the admin web pages of a real device share one account database.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Consecutive failed logins that trigger a lockout.
pub const LOCKOUT_THRESHOLD: u32 = 10;
/// How long a lockout lasts.
pub const LOCKOUT_DURATION: Duration = Duration::from_secs(5 * 60);
/// Sessions kept per unit; the oldest is forgotten beyond this.
const MAX_SESSIONS: usize = 64;
/// Longest password the unit stores (a real device has a fixed-size field).
pub const MAX_PASSWORD_LEN: usize = 64;
/// Shortest password the unit accepts when the user changes it.
pub const MIN_PASSWORD_LEN: usize = 8;

/// What the unit did with one login attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginVerdict {
    Accepted,
    Rejected,
    /// Too many failures: refused without looking at the credential.
    LockedOut {
        retry_after: Duration,
    },
}

/// Why a password change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordChangeError {
    TooShort,
    TooLong,
    Unchanged,
    ControlCharacter,
}

#[derive(Debug)]
struct Inner {
    password: String,
    failures: u32,
    locked_until: Option<Instant>,
    sessions: VecDeque<String>,
    /// The software version running.
    firmware: String,
    /// Device settings (name, night vision level, remote access).
    settings: Settings,
    /// Titles of the user's stored recordings.
    clips: Vec<String>,
    /// Whether the upstream network is connected.
    uplink: bool,
    /// The admin service crashed and answers nothing useful until a power cycle.
    crashed: bool,
    /// The automatic update and notification switches.
    updates: UpdateSettings,
    /// The user's consents.
    consents: Consents,
}

/// The automatic update switches of a unit: on by default.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UpdateSettings {
    pub automatic_updates: String,
    pub update_notifications: String,
    /// Days the next automatic update is put off (0 to 30).
    pub postpone_days: String,
}

impl Default for UpdateSettings {
    fn default() -> Self {
        UpdateSettings {
            automatic_updates: "true".into(),
            update_notifications: "true".into(),
            postpone_days: "0".into(),
        }
    }
}

/// The consents a user gives at set-up: both asked for, both given.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Consents {
    pub cloud_recording: String,
    pub usage_statistics: String,
}

impl Default for Consents {
    fn default() -> Self {
        Consents {
            cloud_recording: "true".into(),
            usage_statistics: "true".into(),
        }
    }
}

/// The user-visible settings of a unit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Settings {
    pub device_name: String,
    pub night_vision_level: String,
    pub remote_access: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            device_name: "Camera".into(),
            night_vision_level: "1".into(),
            remote_access: "false".into(),
        }
    }
}

/// Recordings kept per unit; the oldest is dropped beyond this.
pub const MAX_CLIPS: usize = 100;

/// One unit's account and its volatile login state.
#[derive(Debug)]
pub struct UnitState {
    username: String,
    /// The password after a factory reset.
    factory_password: String,
    inner: Mutex<Inner>,
}

impl UnitState {
    #[cfg(test)]
    pub fn new(username: &str, initial_password: &str, factory_password: &str) -> Self {
        UnitState::with_firmware(username, initial_password, factory_password, "")
    }

    pub fn with_firmware(
        username: &str,
        initial_password: &str,
        factory_password: &str,
        firmware: &str,
    ) -> Self {
        UnitState {
            username: username.to_string(),
            factory_password: factory_password.to_string(),
            inner: Mutex::new(Inner {
                password: initial_password.to_string(),
                failures: 0,
                locked_until: None,
                sessions: VecDeque::new(),
                firmware: firmware.to_string(),
                settings: Settings::default(),
                clips: Vec::new(),
                uplink: true,
                crashed: false,
                updates: UpdateSettings::default(),
                consents: Consents::default(),
            }),
        }
    }

    /// The state lock. A panic while holding it cannot leave the fields
    /// half-updated in a way that matters (each update is a plain assignment),
    /// so a poisoned lock is simply taken over.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Judge one login attempt with no lockout at all (a flawed product).
    pub fn attempt_unlimited(&self, username: &str, password: &str) -> LoginVerdict {
        let s = self.lock();
        if username == self.username && password == s.password {
            LoginVerdict::Accepted
        } else {
            LoginVerdict::Rejected
        }
    }

    /// The current password (the flawed cloud client sends it as its key).
    pub fn password(&self) -> String {
        self.lock().password.clone()
    }

    pub fn update_settings(&self) -> UpdateSettings {
        self.lock().updates.clone()
    }

    pub fn set_update_settings(&self, updates: UpdateSettings) {
        self.lock().updates = updates;
    }

    pub fn consents(&self) -> Consents {
        self.lock().consents.clone()
    }

    pub fn set_consents(&self, consents: Consents) {
        self.lock().consents = consents;
    }

    pub fn firmware(&self) -> String {
        self.lock().firmware.clone()
    }

    pub fn install(&self, version: &str) {
        self.lock().firmware = version.to_string();
    }

    pub fn settings(&self) -> Settings {
        self.lock().settings.clone()
    }

    pub fn set_settings(&self, settings: Settings) {
        self.lock().settings = settings;
    }

    pub fn clips(&self) -> Vec<String> {
        self.lock().clips.clone()
    }

    pub fn add_clip(&self, title: String) {
        let mut s = self.lock();
        if s.clips.len() >= MAX_CLIPS {
            s.clips.remove(0);
        }
        s.clips.push(title);
    }

    /// Erase the user's data: recordings, settings, and the password back
    /// to the factory one. `keep_clips` is the flawed erase that leaves the
    /// recordings behind.
    pub fn erase_user_data(&self, keep_clips: bool) {
        let mut s = self.lock();
        if !keep_clips {
            s.clips.clear();
        }
        s.settings = Settings::default();
        s.updates = UpdateSettings::default();
        s.consents = Consents::default();
        s.password = self.factory_password.clone();
        s.sessions.clear();
    }

    pub fn uplink(&self) -> bool {
        self.lock().uplink
    }

    pub fn set_uplink(&self, up: bool) {
        self.lock().uplink = up;
    }

    pub fn crashed(&self) -> bool {
        self.lock().crashed
    }

    pub fn crash(&self) {
        self.lock().crashed = true;
    }

    /// Judge one login attempt and update the failure counter and lockout.
    pub fn attempt(&self, username: &str, password: &str) -> LoginVerdict {
        let now = Instant::now();
        let mut s = self.lock();
        if let Some(until) = s.locked_until {
            if now < until {
                return LoginVerdict::LockedOut {
                    retry_after: until - now,
                };
            }
            s.locked_until = None;
            s.failures = 0;
        }
        if username == self.username && password == s.password {
            s.failures = 0;
            LoginVerdict::Accepted
        } else {
            s.failures = s.failures.saturating_add(1);
            if s.failures >= LOCKOUT_THRESHOLD {
                s.locked_until = Some(now + LOCKOUT_DURATION);
            }
            LoginVerdict::Rejected
        }
    }

    /// Remember a new session token.
    pub fn add_session(&self, token: String) {
        let mut s = self.lock();
        if s.sessions.len() >= MAX_SESSIONS {
            s.sessions.pop_front();
        }
        s.sessions.push_back(token);
    }

    pub fn has_session(&self, token: &str) -> bool {
        !token.is_empty() && self.lock().sessions.iter().any(|t| t == token)
    }

    pub fn end_session(&self, token: &str) {
        self.lock().sessions.retain(|t| t != token);
    }

    /// The rules a new password must meet, whatever the current one is.
    fn password_rules(new_password: &str) -> Result<(), PasswordChangeError> {
        if new_password.chars().count() < MIN_PASSWORD_LEN {
            return Err(PasswordChangeError::TooShort);
        }
        if new_password.len() > MAX_PASSWORD_LEN {
            return Err(PasswordChangeError::TooLong);
        }
        if new_password.chars().any(char::is_control) {
            return Err(PasswordChangeError::ControlCharacter);
        }
        Ok(())
    }

    /// Would `new_password` be accepted? (The flawed product checks, answers
    /// success and keeps the old one.)
    pub fn check_new_password(&self, new_password: &str) -> Result<(), PasswordChangeError> {
        Self::password_rules(new_password)?;
        if self.lock().password == new_password {
            return Err(PasswordChangeError::Unchanged);
        }
        Ok(())
    }

    /// Replace the password (the user defining their own). Ends all sessions.
    pub fn change_password(&self, new_password: &str) -> Result<(), PasswordChangeError> {
        Self::password_rules(new_password)?;
        let mut s = self.lock();
        if s.password == new_password {
            return Err(PasswordChangeError::Unchanged);
        }
        s.password = new_password.to_string();
        s.sessions.clear();
        Ok(())
    }

    /// The reset button: factory password, no failures, no sessions.
    pub fn factory_reset(&self) {
        let mut s = self.lock();
        s.password = self.factory_password.clone();
        s.clips.clear();
        s.settings = Settings::default();
        s.updates = UpdateSettings::default();
        s.consents = Consents::default();
        s.failures = 0;
        s.locked_until = None;
        s.sessions.clear();
    }

    /// Pulling the plug: volatile state (failures, lockout, sessions) is lost,
    /// the stored password is kept.
    pub fn power_cycle(&self) {
        let mut s = self.lock();
        s.crashed = false;
        s.failures = 0;
        s.locked_until = None;
        s.sessions.clear();
    }
}

/// A fresh random session token: 128 bits, hex.
pub fn session_token() -> Option<String> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut bytes).ok()?;
    Some(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_after_ten_failures_even_for_the_right_password() {
        let u = UnitState::new("admin", "right-password", "right-password");
        for _ in 0..LOCKOUT_THRESHOLD {
            assert_eq!(u.attempt("admin", "wrong"), LoginVerdict::Rejected);
        }
        assert!(matches!(
            u.attempt("admin", "right-password"),
            LoginVerdict::LockedOut { .. }
        ));
        u.power_cycle();
        assert_eq!(u.attempt("admin", "right-password"), LoginVerdict::Accepted);
    }

    #[test]
    fn success_resets_the_counter() {
        let u = UnitState::new("admin", "pw-123456", "pw-123456");
        for _ in 0..LOCKOUT_THRESHOLD - 1 {
            u.attempt("admin", "wrong");
        }
        assert_eq!(u.attempt("admin", "pw-123456"), LoginVerdict::Accepted);
        assert_eq!(u.attempt("admin", "wrong"), LoginVerdict::Rejected);
        assert_eq!(u.attempt("admin", "pw-123456"), LoginVerdict::Accepted);
    }

    #[test]
    fn reset_and_change() {
        let u = UnitState::new("admin", "label-pass", "admin");
        assert_eq!(
            u.change_password("short"),
            Err(PasswordChangeError::TooShort)
        );
        assert_eq!(
            u.change_password("label-pass"),
            Err(PasswordChangeError::Unchanged)
        );
        u.change_password("my-own-password").ok();
        assert_eq!(
            u.attempt("admin", "my-own-password"),
            LoginVerdict::Accepted
        );
        u.factory_reset();
        assert_eq!(u.attempt("admin", "admin"), LoginVerdict::Accepted);
        assert!(session_token().is_some_and(|t| t.len() == 32));
    }
}
