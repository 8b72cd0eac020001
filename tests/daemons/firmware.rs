//! Small HTTP servers for firmware login styles no Debian daemon reproduces:
//! a change-password page on success, a refusal that redirects back to the
//! login page with `?error=1`, a JSON token answer without a cookie, and an
//! answer the harness cannot read for the one credential that works. Each
//! runs on a thread, on a loopback port, until the test process ends (they
//! live in the test's own network namespace).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// How the server answers logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// POST /login: success is 200 with a change-password form (a password
    /// field) and a session cookie; failure is the login page again.
    ChangePasswordPage,
    /// POST /cgi-bin/login.cgi: success 302 to /index.html with a cookie;
    /// failure 302 to /login.html?error=1.
    ErrorRedirect,
    /// POST /api/login: 200 JSON either way, a token on success, no cookie.
    JsonToken,
    /// GET / with Basic: the declared credential 200, any other accepted
    /// credential a 500 with garbage, others 401.
    UnreadableSuccess,
}

/// A running server; it stops listening when dropped.
pub struct Server {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A firmware-style login server accepting `accepted` (user, password) pairs;
/// the first is the unit's declared one.
pub fn start(style: Style, accepted: Vec<(String, String)>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("bound").port();
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener");
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    std::thread::spawn(move || {
        while !stopped.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((stream, _)) => {
                    let _ = stream.set_nonblocking(false);
                    let accepted = accepted.clone();
                    std::thread::spawn(move || serve(stream, style, &accepted));
                }
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
            }
        }
    });
    Server { port, stop }
}

struct Request {
    method: String,
    authorization: Option<String>,
    body: String,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let _path = parts.next()?;
    let mut length = 0usize;
    let mut authorization = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "authorization" => authorization = Some(value.trim().to_string()),
            _ => {}
        }
    }
    let mut body = vec![0u8; length.min(64 * 1024)];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        authorization,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn form_value(body: &str, name: &str) -> String {
    url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn basic(authorization: Option<&str>) -> Option<(String, String)> {
    use base64::Engine;
    let encoded = authorization?.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

fn respond(stream: &mut TcpStream, status: &str, headers: &[String], body: &str) {
    let mut text = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for h in headers {
        text.push_str(h);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text.push_str(body);
    let _ = stream.write_all(text.as_bytes());
}

const LOGIN_PAGE: &str = "<html><head><title>Camera login</title></head><body>\
<form method=post action=/login><input name=username><input type=password name=password></form></body></html>";

fn serve(stream: TcpStream, style: Style, accepted: &[(String, String)]) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut stream = stream;
    let mut n = 0u64;
    while let Some(request) = read_request(&mut reader) {
        n += 1;
        let pair = match style {
            Style::UnreadableSuccess => basic(request.authorization.as_deref()),
            _ if request.method == "POST" => Some((
                form_value(&request.body, "username"),
                form_value(&request.body, "password"),
            )),
            _ => None,
        };
        let index = pair
            .as_ref()
            .and_then(|p| accepted.iter().position(|a| a == p));
        let token = format!("{:016x}", std::process::id() as u64 * 7919 + n * 104_729);
        match (style, index) {
            (_, _) if request.method == "GET" && style != Style::UnreadableSuccess => respond(
                &mut stream,
                "200 OK",
                &["Content-Type: text/html".into()],
                LOGIN_PAGE,
            ),
            (Style::ChangePasswordPage, Some(_)) => respond(
                &mut stream,
                "200 OK",
                &[
                    "Content-Type: text/html".into(),
                    format!("Set-Cookie: SID={token}; Path=/"),
                ],
                "<html><head><title>Change the default password</title></head><body>\
                 <form method=post action=/setpw><input type=password name=newpass>\
                 <input type=password name=confirm></form></body></html>",
            ),
            (Style::ChangePasswordPage, None) => respond(
                &mut stream,
                "200 OK",
                &["Content-Type: text/html".into()],
                LOGIN_PAGE,
            ),
            (Style::ErrorRedirect, Some(_)) => respond(
                &mut stream,
                "302 Found",
                &[
                    "Location: /index.html".into(),
                    format!("Set-Cookie: session={token}; Path=/"),
                ],
                "",
            ),
            (Style::ErrorRedirect, None) => respond(
                &mut stream,
                "302 Found",
                &[format!(
                    "Location: /login.html?error=1&user={}",
                    pair.map(|p| p.0).unwrap_or_default()
                )],
                "",
            ),
            (Style::JsonToken, Some(_)) => respond(
                &mut stream,
                "200 OK",
                &["Content-Type: application/json".into()],
                &format!(r#"{{"code":0,"result":"ok","token":"{token}{token}"}}"#),
            ),
            (Style::JsonToken, None) => respond(
                &mut stream,
                "200 OK",
                &["Content-Type: application/json".into()],
                r#"{"code":-1,"result":"error","msg":"Invalid user name or password"}"#,
            ),
            (Style::UnreadableSuccess, Some(0)) => {
                respond(&mut stream, "200 OK", &[], "<h1>Status</h1>")
            }
            (Style::UnreadableSuccess, Some(_)) => respond(
                &mut stream,
                "500 Internal Server Error",
                &[],
                "\u{1}\u{2}oops",
            ),
            (Style::UnreadableSuccess, None) => respond(
                &mut stream,
                "401 Unauthorized",
                &[r#"WWW-Authenticate: Basic realm="cam""#.into()],
                "",
            ),
        }
    }
}
