//! Reading a telnet login dialogue: which prompt the device shows, and what its
//! answer to a credential means. Pure functions over the text received since
//! our last line, so they are tested without a socket.

use crate::device::LoginOutcome;

/// Where the dialogue stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Connected; waiting for a login (or password) prompt.
    AwaitLogin,
    /// The user name was sent; waiting for the password prompt.
    AwaitPassword,
    /// The password was sent; waiting for the device's verdict.
    AwaitVerdict,
}

impl Phase {
    pub fn waiting_for(self) -> &'static str {
        match self {
            Phase::AwaitLogin => "a login prompt",
            Phase::AwaitPassword => "a password prompt",
            Phase::AwaitVerdict => "an answer to the password",
        }
    }
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    SendUser,
    SendPassword,
    Verdict(LoginOutcome),
    /// The device said something that rules out a login dialogue.
    Refuse(String),
}

const FAILURE_WORDS: &[&str] = &[
    "incorrect",
    "denied",
    "fail",
    "invalid",
    "wrong",
    "bad password",
    "unknown user",
    "not allowed",
    "refused",
];
const LOCKOUT_WORDS: &[&str] = &["too many", "locked", "try again later", "blocked"];

/// Does `word` start a word somewhere in `text` (so "unlocked" holds no
/// "locked")? Case-insensitive.
fn has_word(text: &str, word: &str) -> bool {
    let text = text.to_lowercase();
    text.match_indices(word).any(|(i, _)| {
        !text[..i]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
    })
}

/// The line holding the first lockout phrase, if any.
pub fn lockout(text: &str) -> Option<String> {
    text.split(['\r', '\n'])
        .find(|line| LOCKOUT_WORDS.iter().any(|w| has_word(line, w)))
        .map(|line| line.trim().to_string())
}

pub fn failure(text: &str) -> bool {
    FAILURE_WORDS.iter().any(|w| has_word(text, w))
}

/// The last line of the text, trimmed: where a prompt is.
fn last_line(text: &str) -> &str {
    let t = text.trim_end_matches(['\r', '\n', ' ', '\t', '\0']);
    t.rsplit(['\r', '\n']).next().unwrap_or("").trim()
}

/// A prompt line: short, ending in `:` or `>` (`Login:`, `User Name:`,
/// `Enter password >`, `Password for admin:`).
fn prompt_line(text: &str) -> Option<String> {
    let line = last_line(text);
    let asks = line.ends_with(':') || line.ends_with('>') || line.ends_with("?");
    (asks && line.chars().count() <= 60).then(|| line.to_lowercase())
}

const USER_WORDS: &[&str] = &["login", "user", "account", "name"];
const PASSWORD_WORDS: &[&str] = &["password", "passwd", "pass word", "passcode", "pin"];

/// A prompt for a user name, in any common wording.
pub fn login_prompt(text: &str) -> bool {
    prompt_line(text).is_some_and(|l| {
        USER_WORDS.iter().any(|w| has_word(&l, w))
            && !PASSWORD_WORDS.iter().any(|w| has_word(&l, w))
            && !l.starts_with("last login")
    })
}

/// A prompt for a password, in any common wording.
pub fn password_prompt(text: &str) -> bool {
    prompt_line(text).is_some_and(|l| PASSWORD_WORDS.iter().any(|w| l.contains(w)))
}

/// A shell prompt: the text ends in `# `, `$ `, `> ` or `% `, or in `#`,
/// `$`, `>` or `%` once trailing whitespace is trimmed (`WAP>`,
/// `[admin@router] >`, `RT-AX58U:/#`).
pub fn shell_prompt(text: &str) -> bool {
    let raw = text.trim_end_matches(['\r', '\n']);
    ["# ", "$ ", "> ", "% "].iter().any(|p| raw.ends_with(p))
        || text.trim_end().ends_with(['#', '$', '>', '%'])
}

/// Decide on the text received since our last line (echo already removed).
/// `None`: wait for more.
pub fn decide(phase: Phase, text: &str) -> Option<Decision> {
    match phase {
        Phase::AwaitLogin => {
            if login_prompt(text) {
                Some(Decision::SendUser)
            } else if password_prompt(text) {
                // Password-only consoles skip the user name.
                Some(Decision::SendPassword)
            } else if let Some(line) = lockout(text) {
                Some(Decision::Verdict(LoginOutcome::LockedOut { detail: line }))
            } else if shell_prompt(text) {
                Some(Decision::Refuse(
                    "the device offered a shell prompt without asking for a login".into(),
                ))
            } else if failure(text) {
                Some(Decision::Refuse(
                    "the device refused the connection before asking for a login".into(),
                ))
            } else {
                None
            }
        }
        Phase::AwaitPassword | Phase::AwaitVerdict => {
            if let Some(line) = lockout(text) {
                Some(Decision::Verdict(LoginOutcome::LockedOut { detail: line }))
            } else if failure(text) || login_prompt(text) {
                Some(Decision::Verdict(LoginOutcome::Rejected))
            } else if password_prompt(text) {
                Some(if phase == Phase::AwaitPassword {
                    Decision::SendPassword
                } else {
                    // Asked for the password again: this one was not taken.
                    Decision::Verdict(LoginOutcome::Rejected)
                })
            } else if shell_prompt(text) {
                Some(Decision::Verdict(LoginOutcome::Accepted))
            } else {
                None
            }
        }
    }
}

/// Remove our own line echoed back at the start of the text.
pub fn without_echo<'a>(text: &'a str, sent: Option<&str>) -> &'a str {
    let Some(sent) = sent.filter(|s| !s.is_empty()) else {
        return text;
    };
    let trimmed = text.trim_start();
    trimmed.strip_prefix(sent).unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::*;
    use LoginOutcome::*;
    use Phase::*;

    #[test]
    fn prompts() {
        assert_eq!(decide(AwaitLogin, "\r\n(none) login: "), Some(SendUser));
        assert_eq!(decide(AwaitLogin, "Username:"), Some(SendUser));
        assert_eq!(decide(AwaitLogin, "Password: "), Some(SendPassword));
        assert_eq!(decide(AwaitLogin, "Welcome to the cam"), None);
        assert_eq!(decide(AwaitPassword, "\r\nPassword: "), Some(SendPassword));
        assert!(matches!(decide(AwaitLogin, "~ # "), Some(Refuse(_))));
    }

    #[test]
    fn verdicts() {
        assert_eq!(
            decide(
                AwaitVerdict,
                "\r\n\r\nBusyBox v1.19 built-in shell (ash)\r\n~ # "
            ),
            Some(Verdict(Accepted))
        );
        assert_eq!(
            decide(AwaitVerdict, "\r\nuser@cam:~$"),
            Some(Verdict(Accepted))
        );
        assert_eq!(decide(AwaitVerdict, "\r\nCLI> "), Some(Verdict(Accepted)));
        assert_eq!(
            decide(AwaitVerdict, "\r\nLogin incorrect\r\n(none) login: "),
            Some(Verdict(Rejected))
        );
        assert_eq!(decide(AwaitVerdict, "\r\nlogin: "), Some(Verdict(Rejected)));
        assert_eq!(
            decide(AwaitVerdict, "Access denied\r\n# "),
            Some(Verdict(Rejected))
        );
        assert!(matches!(
            decide(AwaitVerdict, "\r\nToo many failed attempts, try later\r\n"),
            Some(Verdict(LockedOut { detail })) if detail.starts_with("Too many")
        ));
        assert_eq!(decide(AwaitVerdict, "\r\n"), None);
        assert_eq!(
            decide(AwaitVerdict, "Door unlocked. Welcome!\r\n~ # "),
            Some(Verdict(Accepted))
        );
        assert!(matches!(
            decide(AwaitVerdict, "Account LOCKED for 5 minutes\r\n"),
            Some(Verdict(LockedOut { .. }))
        ));
        assert_eq!(decide(AwaitVerdict, "Last login: today\r\n"), None);
    }

    #[test]
    fn prompts_in_other_words() {
        assert_eq!(decide(AwaitLogin, "\r\nUser Name:"), Some(SendUser));
        assert_eq!(decide(AwaitLogin, "Welcome\r\nlogin as: "), Some(SendUser));
        assert_eq!(decide(AwaitLogin, "Account:"), Some(SendUser));
        assert_eq!(decide(AwaitLogin, "Enter username >"), Some(SendUser));
        assert_eq!(
            decide(AwaitPassword, "\r\nroot@cam's Password:"),
            Some(SendPassword)
        );
        assert_eq!(decide(AwaitPassword, "Passcode:"), Some(SendPassword));
        // A vendor CLI after login.
        assert_eq!(decide(AwaitVerdict, "\r\nWAP>"), Some(Verdict(Accepted)));
        assert_eq!(
            decide(AwaitVerdict, "\r\n[admin@MikroTik] > "),
            Some(Verdict(Accepted))
        );
        assert_eq!(
            decide(AwaitVerdict, "\r\nWrong password!\r\nUser Name:"),
            Some(Verdict(Rejected))
        );
        assert_eq!(
            decide(AwaitVerdict, "\r\nLast login: Tue Dec  1 10:00:00 2026\r\n"),
            None
        );
    }

    #[test]
    fn echo_is_removed_only_at_the_start() {
        assert_eq!(
            without_echo("root\r\nPassword: ", Some("root")),
            "\r\nPassword: "
        );
        assert_eq!(
            without_echo("Login incorrect", Some("in")),
            "Login incorrect"
        );
        assert_eq!(without_echo("abc$\r\n", Some("abc$")), "\r\n");
    }
}
