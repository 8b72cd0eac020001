//! What an open port speaks, so a login found beyond the declaration is
//! swept like a declared one.
//!
//! One bounded look per port: what the server says first (an SSH banner,
//! telnet negotiation or a prompt, an FTP or SMTP greeting); if it says
//! nothing, an HTTP request, then the same over TLS, then an MQTT CONNECT.
//! An HTTP answer that asks for credentials (401 with Basic or Digest, or a
//! page holding a password field in a form) becomes a login target; so do
//! SSH, telnet and an MQTT broker that refuses anonymous clients. A service
//! that takes credentials but that iotmark cannot sweep is named, so the
//! sweep's result says it was left out.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::profile::LoginMethod;

/// What the server sent first, or that it stayed silent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Greeting {
    Silent,
    Bytes(Vec<u8>),
    /// The connection could not be made or was closed at once.
    Gone,
}

/// Most bytes of a greeting kept.
const GREETING_LIMIT: usize = 2048;

/// Connect and read what the server says on its own within `wait`.
pub async fn greeting(addr: SocketAddr, connect: Duration, wait: Duration) -> Greeting {
    let Ok(Ok(mut stream)) = tokio::time::timeout(connect, TcpStream::connect(addr)).await else {
        return Greeting::Gone;
    };
    let mut buf = vec![0u8; GREETING_LIMIT];
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => break,
            Ok(Ok(0)) | Ok(Err(_)) => {
                if got.is_empty() {
                    return Greeting::Gone;
                }
                break;
            }
            Ok(Ok(n)) => {
                got.extend_from_slice(&buf[..n]);
                if got.len() >= GREETING_LIMIT {
                    break;
                }
                // Answer telnet negotiation with refusals so the prompt comes.
                if got.first() == Some(&0xFF) {
                    let _ = stream.write_all(&refuse_options(&buf[..n])).await;
                }
            }
        }
    }
    let _ = stream.shutdown().await;
    if got.is_empty() {
        Greeting::Silent
    } else {
        Greeting::Bytes(got)
    }
}

/// WONT/DONT for every DO/WILL in a telnet negotiation chunk.
fn refuse_options(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 2 < bytes.len() {
        if bytes[i] == 0xFF {
            let (cmd, opt) = (bytes[i + 1], bytes[i + 2]);
            match cmd {
                0xFD => out.extend_from_slice(&[0xFF, 0xFC, opt]), // DO -> WONT
                0xFB => out.extend_from_slice(&[0xFF, 0xFE, opt]), // WILL -> DONT
                _ => {}
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    out
}

/// What a server-first greeting says the port speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spoken {
    Ssh,
    Telnet,
    Ftp,
    /// Something that greets first but that no probe reads (SMTP, POP3,
    /// a proprietary console…), with its first line.
    Unknown(String),
}

/// Read a greeting.
pub fn spoken(greeting: &[u8]) -> Spoken {
    let text = String::from_utf8_lossy(greeting);
    let first_line: String = text
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect();
    if text.starts_with("SSH-") {
        return Spoken::Ssh;
    }
    if greeting.first() == Some(&0xFF) {
        return Spoken::Telnet;
    }
    let stripped: String = text
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect();
    if crate::probe::telnet::judge::login_prompt(&stripped)
        || crate::probe::telnet::judge::password_prompt(&stripped)
    {
        return Spoken::Telnet;
    }
    if text.starts_with("220") && text.to_ascii_lowercase().contains("ftp") {
        return Spoken::Ftp;
    }
    Spoken::Unknown(first_line)
}

/// The login form of an HTML page, if it has one: the form's action (or
/// `page_path`), the user name field (the first text or e-mail input before
/// the password) and the password field.
pub fn login_form(html: &str, page_path: &str) -> Option<LoginMethod> {
    let input = regex::Regex::new(r#"(?is)<input\b[^>]*>"#).ok()?;
    let attr = |tag: &str, name: &str| -> Option<String> {
        let re = regex::Regex::new(&format!(
            r#"(?is)\b{name}\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"#
        ))
        .ok()?;
        let c = re.captures(tag)?;
        c.get(1)
            .or_else(|| c.get(2))
            .or_else(|| c.get(3))
            .map(|m| m.as_str().to_string())
    };
    let mut user = None;
    let mut password = None;
    for m in input.find_iter(html) {
        let tag = m.as_str();
        let kind = attr(tag, "type")
            .unwrap_or_else(|| "text".into())
            .to_lowercase();
        let Some(name) = attr(tag, "name") else {
            continue;
        };
        match kind.as_str() {
            "password" if password.is_none() => password = Some(name),
            "text" | "email" if password.is_none() && user.is_none() => user = Some(name),
            _ => {}
        }
    }
    let password_field = password?;
    let form = regex::Regex::new(r#"(?is)<form\b[^>]*>"#).ok()?;
    let action = form
        .find(html)
        .and_then(|f| attr(f.as_str(), "action"))
        .filter(|a| a.starts_with('/'))
        .unwrap_or_else(|| page_path.to_string());
    Some(LoginMethod::HttpForm {
        path: action,
        username_field: user.unwrap_or_else(|| "username".into()),
        password_field,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn greetings() {
        assert_eq!(spoken(b"SSH-2.0-dropbear_2022.83\r\n"), Spoken::Ssh);
        assert_eq!(
            spoken(&[0xFF, 0xFD, 0x01, 0xFF, 0xFB, 0x03]),
            Spoken::Telnet
        );
        assert_eq!(spoken(b"\r\nRT-N12 login: "), Spoken::Telnet);
        assert_eq!(spoken(b"220 (vsFTPd 3.0.3)\r\n"), Spoken::Ftp);
        assert_eq!(spoken(b"220 FTP server ready\r\n"), Spoken::Ftp);
        assert!(matches!(spoken(b"+OK POP3\r\n"), Spoken::Unknown(_)));
        assert_eq!(
            refuse_options(&[0xFF, 0xFD, 0x18, 0xFF, 0xFB, 0x01]),
            vec![0xFF, 0xFC, 0x18, 0xFF, 0xFE, 0x01]
        );
        assert!(refuse_options(&[0xFF]).is_empty());
        assert!(refuse_options(&[]).is_empty());
    }

    #[test]
    fn forms() {
        let page = r#"<form method=post action="/cgi-bin/login.cgi"><input type=text name=user><input name='pass' type='password'></form>"#;
        assert_eq!(
            login_form(page, "/"),
            Some(LoginMethod::HttpForm {
                path: "/cgi-bin/login.cgi".into(),
                username_field: "user".into(),
                password_field: "pass".into()
            })
        );
        assert_eq!(login_form("<h1>Status</h1>", "/"), None);
        let no_action =
            r#"<form><input name="username"><input type="password" name="password"></form>"#;
        assert!(
            matches!(login_form(no_action, "/login"), Some(LoginMethod::HttpForm { path, .. }) if path == "/login")
        );
    }
}
