//! A BusyBox-style telnet console: option negotiation as `telnetd` does it, a
//! `login:` / `Password:` prompt, and after success a root shell that answers a
//! handful of commands.
//!
//! Client input goes through [`TelnetDecoder`], which strips IAC sequences
//! (answering option requests we do not support with WONT / DONT, once per
//! option) and bounds sub-negotiation length. Lines are bounded too; a session
//! ends after an idle timeout, a lifetime cap, three failed logins, or `exit`.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::serve::accept_loop;

const IAC: u8 = 255;
const DONT: u8 = 254;
const DO: u8 = 253;
const WONT: u8 = 252;
const WILL: u8 = 251;
const SB: u8 = 250;
const SE: u8 = 240;
const OPT_ECHO: u8 = 1;
const OPT_SGA: u8 = 3;
const OPT_NAWS: u8 = 31;

/// What telnetd sends on connect: it wants the client's window size, and it
/// will echo and suppress go-ahead itself (character-at-a-time mode).
const GREETING: [u8; 12] = [
    IAC, DO, OPT_ECHO, IAC, DO, OPT_NAWS, IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA,
];

/// Longest line kept; the rest of a longer line is dropped.
const MAX_LINE: usize = 256;
/// Longest sub-negotiation kept track of before it is abandoned.
const MAX_SB: usize = 64;
/// A session with no input for this long is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// No session lasts longer than this.
const SESSION_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Simultaneous sessions.
const MAX_SESSIONS: usize = 32;
/// Failed logins before the connection is closed.
const MAX_FAILURES: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DecodeState {
    Data,
    Iac,
    /// After IAC WILL/WONT/DO/DONT, waiting for the option byte.
    Option(u8),
    Sub(usize),
    SubIac(usize),
}

/// Strips telnet commands from a byte stream and produces the replies.
#[derive(Debug)]
pub struct TelnetDecoder {
    state: DecodeState,
    /// Options already refused (WONT after DO, DONT after WILL), so each
    /// request is answered at most once and negotiation cannot loop.
    refused_do: [bool; 256],
    refused_will: [bool; 256],
}

impl Default for TelnetDecoder {
    fn default() -> Self {
        TelnetDecoder {
            state: DecodeState::Data,
            refused_do: [false; 256],
            refused_will: [false; 256],
        }
    }
}

impl TelnetDecoder {
    /// Feed received bytes; data bytes go to `data`, negotiation answers to
    /// `replies`.
    pub fn feed(&mut self, input: &[u8], data: &mut Vec<u8>, replies: &mut Vec<u8>) {
        for &b in input {
            self.state = match self.state {
                DecodeState::Data if b == IAC => DecodeState::Iac,
                DecodeState::Data => {
                    data.push(b);
                    DecodeState::Data
                }
                DecodeState::Iac => match b {
                    IAC => {
                        data.push(IAC);
                        DecodeState::Data
                    }
                    WILL | WONT | DO | DONT => DecodeState::Option(b),
                    SB => DecodeState::Sub(0),
                    // NOP, GA, AYT, IP, … : nothing to do.
                    _ => DecodeState::Data,
                },
                DecodeState::Option(cmd) => {
                    self.answer(cmd, b, replies);
                    DecodeState::Data
                }
                DecodeState::Sub(n) if b == IAC => DecodeState::SubIac(n),
                DecodeState::Sub(n) if n >= MAX_SB => DecodeState::Data,
                DecodeState::Sub(n) => DecodeState::Sub(n + 1),
                DecodeState::SubIac(_) if b == SE => DecodeState::Data,
                DecodeState::SubIac(n) => DecodeState::Sub(n + 1),
            };
        }
    }

    fn answer(&mut self, cmd: u8, opt: u8, replies: &mut Vec<u8>) {
        let ours = matches!(opt, OPT_ECHO | OPT_SGA);
        let theirs = matches!(opt, OPT_NAWS | OPT_ECHO);
        let (reply, refused) = match cmd {
            DO if !ours => (WONT, &mut self.refused_do),
            WILL if !theirs => (DONT, &mut self.refused_will),
            _ => return,
        };
        let slot = &mut refused[usize::from(opt)];
        if !*slot {
            *slot = true;
            replies.extend_from_slice(&[IAC, reply, opt]);
        }
    }
}

/// One connection: the socket, the decoder and the line being assembled.
struct Session {
    stream: TcpStream,
    decoder: TelnetDecoder,
    pending: std::collections::VecDeque<u8>,
    /// A CR was the last line end: swallow a following LF or NUL.
    after_cr: bool,
    deadline: Instant,
}

impl Session {
    async fn send(&mut self, bytes: &[u8]) -> Option<()> {
        tokio::time::timeout(IDLE_TIMEOUT, self.stream.write_all(bytes))
            .await
            .ok()?
            .ok()
    }

    /// Read one line (without its end), echoing it when `echo` is set. `None`
    /// when the client leaves, idles out or the session reaches its lifetime.
    async fn read_line(&mut self, echo: bool) -> Option<String> {
        let mut line: Vec<u8> = Vec::new();
        loop {
            while let Some(b) = self.pending.pop_front() {
                let after_cr = std::mem::replace(&mut self.after_cr, false);
                match b {
                    b'\n' | 0 if after_cr => {}
                    b'\r' | b'\n' => {
                        self.after_cr = b == b'\r';
                        if echo {
                            self.send(b"\r\n").await?;
                        }
                        return Some(String::from_utf8_lossy(&line).into_owned());
                    }
                    0x08 | 0x7f => {
                        let erased = line.pop().is_some();
                        if erased && echo {
                            self.send(b"\x08 \x08").await?;
                        }
                    }
                    0x20..=0x7e | 0x80..=0xfe if line.len() < MAX_LINE => {
                        line.push(b);
                        if echo && b.is_ascii() {
                            self.send(&[b]).await?;
                        }
                    }
                    _ => {}
                }
            }
            let mut buf = [0u8; 512];
            let wait = IDLE_TIMEOUT.min(self.deadline.saturating_duration_since(Instant::now()));
            let n = tokio::time::timeout(wait, self.stream.read(&mut buf))
                .await
                .ok()?
                .ok()?;
            if n == 0 {
                return None;
            }
            let mut data = Vec::new();
            let mut replies = Vec::new();
            self.decoder.feed(&buf[..n], &mut data, &mut replies);
            if !replies.is_empty() {
                self.send(&replies).await?;
            }
            self.pending.extend(data);
        }
    }
}

/// What the console accepts and how it introduces itself.
#[derive(Debug, Clone)]
pub struct Console {
    pub hostname: &'static str,
    pub banner: String,
    pub username: &'static str,
    pub password: &'static str,
}

/// Serve the console on `listener` until the task is aborted.
pub async fn serve(listener: TcpListener, console: Console) {
    accept_loop(listener, MAX_SESSIONS, move |stream| {
        let console = console.clone();
        async move {
            let _ = stream.set_nodelay(true);
            let mut session = Session {
                stream,
                decoder: TelnetDecoder::default(),
                pending: Default::default(),
                after_cr: false,
                deadline: Instant::now() + SESSION_LIFETIME,
            };
            let _ = run_session(&mut session, &console).await;
            let _ = session.stream.shutdown().await;
        }
    })
    .await
}

async fn run_session(s: &mut Session, console: &Console) -> Option<()> {
    s.send(&GREETING).await?;
    s.send(format!("\r\n{}\r\n\r\n", console.banner).as_bytes())
        .await?;
    let mut failures = 0;
    loop {
        s.send(format!("{} login: ", console.hostname).as_bytes())
            .await?;
        let user = s.read_line(true).await?;
        if user.trim().is_empty() {
            continue;
        }
        s.send(b"Password: ").await?;
        let pass = s.read_line(false).await?;
        s.send(b"\r\n").await?;
        if user.trim() == console.username && pass == console.password {
            return shell(s, console).await;
        }
        failures += 1;
        s.send(b"Login incorrect\r\n").await?;
        if failures >= MAX_FAILURES {
            return Some(());
        }
    }
}

async fn shell(s: &mut Session, console: &Console) -> Option<()> {
    s.send(
        b"\r\nBusyBox v1.20.2 (2016-03-01 10:32:17 CST) built-in shell (ash)\r\n\
          Enter 'help' for a list of built-in commands.\r\n\r\n",
    )
    .await?;
    loop {
        s.send(b"# ").await?;
        let line = s.read_line(true).await?;
        let line = line.trim();
        let mut words = line.split_whitespace();
        let reply = match (words.next(), words.next()) {
            (None, _) => String::new(),
            (Some("exit" | "logout"), _) => return Some(()),
            (Some("id"), _) => "uid=0(root) gid=0(root) groups=0(root)\r\n".into(),
            (Some("whoami"), _) => "root\r\n".into(),
            (Some("pwd"), _) => "/\r\n".into(),
            (Some("hostname"), _) => format!("{}\r\n", console.hostname),
            (Some("uname"), _) => format!(
                "Linux {} 3.10.0 #1 SMP PREEMPT armv7l GNU/Linux\r\n",
                console.hostname
            ),
            (Some("ls"), _) => {
                "bin   dev   etc   home  lib   mnt   proc  root  sys   tmp   usr   var\r\n".into()
            }
            // Mirai's loader sends these to escape vendor shells; ash ignores them.
            (Some("enable" | "system" | "shell" | "sh"), _) => String::new(),
            (Some("help"), _) => "Built-in commands:\r\n------------------\r\n\
                 \t. : [ [[ cd echo exit export help id ls pwd uname\r\n"
                .into(),
            (Some("echo"), _) => {
                let rest = line.strip_prefix("echo").unwrap_or_default().trim();
                format!("{}\r\n", printable(rest))
            }
            (Some("busybox" | "/bin/busybox"), Some(applet)) => {
                format!("{}: applet not found\r\n", printable(applet))
            }
            (Some(cmd), _) => format!("-sh: {}: not found\r\n", printable(cmd)),
        };
        if !reply.is_empty() {
            s.send(reply.as_bytes()).await?;
        }
    }
}

/// The printable ASCII of `text`, so nothing a client typed is replayed as a
/// terminal control sequence.
fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(MAX_LINE)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let mut d = TelnetDecoder::default();
        let (mut data, mut replies) = (Vec::new(), Vec::new());
        d.feed(input, &mut data, &mut replies);
        (data, replies)
    }

    #[test]
    fn strips_negotiation_and_refuses_unknown_options_once() {
        let input = [
            IAC, DO, 24, b'r', IAC, WILL, OPT_NAWS, b'o', IAC, SB, OPT_NAWS, 0, 80, 0, 24, IAC, SE,
            b'o', IAC, IAC, b't', IAC, DO, 24, IAC, WILL, 39,
        ];
        let (data, replies) = decode(&input);
        assert_eq!(data, [b'r', b'o', b'o', IAC, b't']);
        assert_eq!(replies, [IAC, WONT, 24, IAC, DONT, 39]);
    }

    #[test]
    fn garbage_never_panics_and_long_subnegotiation_ends() {
        let mut d = TelnetDecoder::default();
        let (mut data, mut replies) = (Vec::new(), Vec::new());
        let garbage: Vec<u8> = (0..20_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        d.feed(&garbage, &mut data, &mut replies);
        let mut long_sb = vec![IAC, SB];
        long_sb.extend(std::iter::repeat_n(7u8, 1000));
        long_sb.extend_from_slice(b"ok");
        let mut d = TelnetDecoder::default();
        let mut data = Vec::new();
        d.feed(&long_sb, &mut data, &mut replies);
        assert!(data.ends_with(b"ok"));
        assert!(replies.len() <= 256 * 3 * 2);
    }
}
