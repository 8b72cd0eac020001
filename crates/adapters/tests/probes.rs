//! The protocol probes and the probed device against small loopback servers
//! written here: a BusyBox-like telnetd, an HTTP device with basic and form
//! logins (plain and with a self-signed certificate), a manufacturer website
//! behind a private CA, and hostile servers that never answer, answer
//! forever, send garbage or reset. Every network wait is bounded.

// Test servers and fixtures fail loudly; the code under test never unwraps.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use iotmark_adapters::adapter::{open_net, AdapterError};
use iotmark_adapters::device::{
    AddressBook, Credential, Device, LoginOutcome, LoginTarget, PhysicalActions, ProbeError,
};
use iotmark_adapters::evidence::{verify_chain, EvidenceLog, EvidenceRecord};
use iotmark_adapters::hooks::{HookActions, HookError, PhysicalAction};
use iotmark_adapters::net::NetAddressBook;
use iotmark_adapters::probe::ProbeConfig;
use iotmark_adapters::probed::ProbedDevice;
use iotmark_adapters::profile::{Hook, LoginMethod, OperatorHooks, Profile};
use iotmark_adapters::secret::mask;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// Bound on every test's network activity.
const BOUND: Duration = Duration::from_secs(30);

async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(BOUND, fut).await {
        Ok(out) => out,
        Err(_) => panic!("{what}: not done within {BOUND:?}"),
    }
}

const USER: &str = "admin";
const PASS: &str = "Corr3ct-Horse!battery";
const WRONG: &str = "xc3511-Wrong-Guess";

/// The outcome of a login that must not fail.
#[track_caller]
fn ok(result: Result<LoginOutcome, ProbeError>) -> LoginOutcome {
    result.unwrap_or_else(|e| panic!("login probe failed: {e}"))
}

fn good() -> Credential {
    Credential::new(USER, PASS)
}

fn bad() -> Credential {
    Credential::new(USER, WRONG)
}

// ---------------------------------------------------------------------------
// Profiles and address books
// ---------------------------------------------------------------------------

/// The example camera profile with the given interfaces and operator hooks.
fn profile_with(interfaces: Value, hooks: Value) -> Profile {
    let mut v: Value =
        serde_json::from_str(include_str!("../../../examples/profiles/good-camera.json")).unwrap();
    let names: Vec<Value> = interfaces
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].clone())
        .collect();
    v["ixit"]["interfaces"] = interfaces;
    v["ixit"]["auth_mechanisms"][0]["interfaces"] = Value::Array(names);
    v["operator_hooks"] = hooks;
    Profile::from_bytes(
        &serde_json::to_vec(&v).unwrap(),
        Path::new("probes-test.json"),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// The lab device: every kind of login, each on its own device port.
fn lab_profile() -> Profile {
    profile_with(
        json!([
            {"name": "telnet-admin", "protocol": "telnet", "port": 23, "enabled": true,
             "login": {"kind": "telnet-prompt"}},
            {"name": "api", "protocol": "http", "port": 80, "enabled": true,
             "login": {"kind": "http-basic", "path": "/api/status"}},
            {"name": "web", "protocol": "http", "port": 8080, "enabled": true,
             "login": {"kind": "http-form", "path": "/login",
                       "username_field": "username", "password_field": "password"}},
            {"name": "api-tls", "protocol": "https", "port": 443, "enabled": true,
             "login": {"kind": "http-basic", "path": "/api/status"}},
            {"name": "locked-api", "protocol": "http", "port": 81, "enabled": true,
             "login": {"kind": "http-basic", "path": "/locked/status"}},
            {"name": "locked-web", "protocol": "http", "port": 82, "enabled": true,
             "login": {"kind": "http-form", "path": "/locked/login",
                       "username_field": "username", "password_field": "password"}},
            {"name": "old-admin", "protocol": "http", "port": 8081, "enabled": false,
             "login": {"kind": "http-basic", "path": "/api/status"}},
            {"name": "mqtt", "protocol": "mqtt", "port": 1883, "enabled": true}
        ]),
        json!({}),
    )
}

#[derive(Debug, Default, Clone)]
struct TestBook {
    ports: HashMap<u16, SocketAddr>,
    /// `Some` behaves like a simulated product, `None` like a real unit.
    known: Option<Vec<u16>>,
    sites: HashMap<String, SocketAddr>,
    roots: Vec<String>,
}

impl AddressBook for TestBook {
    fn device_addr(&self, port: u16) -> Option<SocketAddr> {
        self.ports.get(&port).copied()
    }
    fn device_host(&self) -> String {
        "127.0.0.1".into()
    }
    fn known_ports(&self) -> Option<Vec<u16>> {
        self.known.clone()
    }
    fn website_addr(&self, host: &str) -> Option<SocketAddr> {
        self.sites.get(host).copied()
    }
    fn website_roots_pem(&self) -> Vec<String> {
        self.roots.clone()
    }
}

#[derive(Debug)]
struct NoHands;

#[async_trait::async_trait]
impl PhysicalActions for NoHands {
    async fn factory_reset(&self) -> Result<(), String> {
        Ok(())
    }
    async fn power_cycle(&self) -> Result<(), String> {
        Err("the plug is not wired in this test".into())
    }
}

fn quick_config() -> ProbeConfig {
    ProbeConfig {
        timeout: Duration::from_secs(4),
        connect_timeout: Duration::from_secs(2),
        ..ProbeConfig::default()
    }
}

struct Lab {
    book: TestBook,
    telnet: TelnetServer,
    device_cert_sha256: String,
}

/// Start the lab device's servers; `book.known` left `None`.
async fn start_lab() -> Lab {
    let telnet = TelnetServer::start(TelnetMode::default()).await;
    let http = http_server(None).await;
    let tls = device_tls();
    let https = http_server(Some(tls.acceptor)).await;
    let mut book = TestBook::default();
    book.ports.insert(23, telnet.addr);
    for port in [80, 8080, 81, 82] {
        book.ports.insert(port, http);
    }
    book.ports.insert(443, https);
    Lab {
        book,
        telnet,
        device_cert_sha256: tls.der_sha256,
    }
}

fn device(book: TestBook, profile: &Profile, config: ProbeConfig) -> ProbedDevice {
    ProbedDevice::new(
        "test:lab".into(),
        profile,
        Arc::new(book),
        Arc::new(NoHands),
        config,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn target(device: &ProbedDevice, interface: &str) -> LoginTarget {
    device
        .login_targets()
        .into_iter()
        .find(|t| t.interface == interface)
        .unwrap_or_else(|| panic!("no login target {interface}"))
}

fn telnet_target(addr: SocketAddr) -> LoginTarget {
    LoginTarget {
        interface: "adhoc-telnet".into(),
        method: LoginMethod::TelnetPrompt,
        addr,
        host: "127.0.0.1".into(),
        tls: false,
    }
}

fn records(path: &Path) -> Vec<EvidenceRecord> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

// ---------------------------------------------------------------------------
// A BusyBox-like telnetd
// ---------------------------------------------------------------------------

const IAC: u8 = 255;
const DONT: u8 = 254;
const DO: u8 = 253;
const WONT: u8 = 252;
const WILL: u8 = 251;
const ECHO: u8 = 1;
const SGA: u8 = 3;
const NAWS: u8 = 31;

#[derive(Debug, Clone, Default)]
struct TelnetMode {
    /// Echo the password back (a flawed device), to test evidence scrubbing.
    echo_password: bool,
    /// After this many failures, answer every attempt with a lockout.
    lock_after: Option<usize>,
}

struct TelnetServer {
    addr: SocketAddr,
    /// Negotiation bytes (IAC sequences) the client sent.
    negotiation: Arc<Mutex<Vec<u8>>>,
}

impl TelnetServer {
    async fn start(mode: TelnetMode) -> TelnetServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let negotiation = Arc::new(Mutex::new(Vec::new()));
        let failures = Arc::new(AtomicUsize::new(0));
        let log = Arc::clone(&negotiation);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (mode, log, failures) = (mode.clone(), Arc::clone(&log), Arc::clone(&failures));
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(
                        Duration::from_secs(15),
                        busybox_session(stream, mode, log, failures),
                    )
                    .await;
                });
            }
        });
        TelnetServer { addr, negotiation }
    }
}

/// Read one line from the client, setting IAC sequences aside.
async fn read_client_line(stream: &mut TcpStream, log: &Mutex<Vec<u8>>) -> Option<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        if byte[0] == IAC {
            let mut rest = [0u8; 2];
            stream.read_exact(&mut rest).await.ok()?;
            log.lock()
                .unwrap()
                .extend_from_slice(&[IAC, rest[0], rest[1]]);
            continue;
        }
        if byte[0] == b'\n' {
            let text = String::from_utf8_lossy(&line)
                .trim_end_matches('\r')
                .to_string();
            return Some(text);
        }
        line.push(byte[0]);
    }
}

async fn busybox_session(
    mut s: TcpStream,
    mode: TelnetMode,
    log: Arc<Mutex<Vec<u8>>>,
    failures: Arc<AtomicUsize>,
) -> Option<()> {
    // What BusyBox telnetd sends first.
    s.write_all(&[
        IAC, DO, ECHO, IAC, DO, NAWS, IAC, WILL, ECHO, IAC, WILL, SGA,
    ])
    .await
    .ok()?;
    s.write_all(b"\r\n(none) login: ").await.ok()?;
    let user = read_client_line(&mut s, &log).await?;
    s.write_all(format!("{user}\r\nPassword: ").as_bytes())
        .await
        .ok()?;
    let pass = read_client_line(&mut s, &log).await?;
    if mode.echo_password {
        s.write_all(pass.as_bytes()).await.ok()?;
    }
    s.write_all(b"\r\n").await.ok()?;
    if mode
        .lock_after
        .is_some_and(|n| failures.load(Ordering::SeqCst) >= n)
    {
        s.write_all(b"\r\nToo many failed login attempts; try again in 300 seconds\r\n")
            .await
            .ok()?;
        return Some(());
    }
    if user == USER && pass == PASS {
        s.write_all(b"\r\n\r\nBusyBox v1.30.1 (2019-06-01) built-in shell (ash)\r\n\r\n~ # ")
            .await
            .ok()?;
    } else {
        failures.fetch_add(1, Ordering::SeqCst);
        // BusyBox login pauses after a failure before saying so.
        tokio::time::sleep(Duration::from_millis(400)).await;
        s.write_all(b"\r\nLogin incorrect\r\n(none) login: ")
            .await
            .ok()?;
    }
    // Hold the line until the client hangs up.
    let mut sink = [0u8; 256];
    while s.read(&mut sink).await.ok()? > 0 {}
    Some(())
}

// ---------------------------------------------------------------------------
// A hand-rolled HTTP device and website
// ---------------------------------------------------------------------------

struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

async fn read_request<S: AsyncRead + Unpin>(s: &mut S) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 1 << 20 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut text = format!("HTTP/1.1 {status} Test\r\n");
    for (n, v) in headers {
        text.push_str(&format!("{n}: {v}\r\n"));
    }
    text.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    text.into_bytes()
}

const LOGIN_FORM: &str = "<html><body><p>Wrong user name or password.</p>\
<form method=post action=/login><input name=\"username\">\
<input name=\"password\" type=\"password\"><button>Log in</button></form></body></html>";

fn basic_ok(req: &Request) -> bool {
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASS}"));
    req.headers.get("authorization") == Some(&format!("Basic {expected}"))
}

fn route(req: &Request) -> Vec<u8> {
    let path = req.path.as_str();
    match (req.method.as_str(), path) {
        ("GET", "/api/status") if basic_ok(req) => response(200, &[], "status: ok"),
        ("GET", "/api/status") => response(
            401,
            &[("WWW-Authenticate", "Basic realm=\"camera\"")],
            "unauthorised",
        ),
        ("GET", "/locked/status") | ("POST", "/locked/login") => {
            response(429, &[("Retry-After", "300")], "too many attempts")
        }
        ("POST", "/login") => {
            let form: HashMap<String, String> = url::form_urlencoded::parse(&req.body)
                .into_owned()
                .collect();
            let ok = form.get("username").map(String::as_str) == Some(USER)
                && form.get("password").map(String::as_str) == Some(PASS);
            if ok {
                response(
                    303,
                    &[
                        ("Location", "/dashboard"),
                        ("Set-Cookie", "sid=9f8e7d6c5b4a; HttpOnly; Path=/"),
                    ],
                    "",
                )
            } else {
                response(200, &[("Content-Type", "text/html")], LOGIN_FORM)
            }
        }
        ("GET", "/a") => response(302, &[("Location", "/b")], ""),
        ("GET", "/b") => response(301, &[("Location", "/c")], ""),
        ("GET", "/c") => response(200, &[("Content-Type", "text/plain")], "the end"),
        ("GET", "/private") => {
            response(401, &[("WWW-Authenticate", "Basic realm=\"private\"")], "")
        }
        ("GET", "/.well-known/security.txt") => response(
            200,
            &[("Content-Type", "text/plain")],
            "Contact: mailto:security@maker.example\n",
        ),
        ("GET", p) if p.starts_with("/loop/") => {
            let n: u32 = p["/loop/".len()..].parse().unwrap_or(0);
            response(302, &[("Location", &format!("/loop/{}", n + 1))], "")
        }
        _ => response(404, &[], "not found"),
    }
}

async fn serve_one<S: AsyncRead + AsyncWrite + Unpin>(mut s: S) {
    let Ok(Some(req)) = tokio::time::timeout(Duration::from_secs(10), read_request(&mut s)).await
    else {
        return;
    };
    if req.path == "/slow" {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let _ = s.write_all(&route(&req)).await;
    let _ = s.shutdown().await;
}

async fn http_server(tls: Option<TlsAcceptor>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let tls = tls.clone();
            tokio::spawn(async move {
                match tls {
                    Some(acceptor) => {
                        let accepted =
                            tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp));
                        if let Ok(Ok(stream)) = accepted.await {
                            serve_one(stream).await;
                        }
                    }
                    None => serve_one(tcp).await,
                }
            });
        }
    });
    addr
}

struct Tls {
    acceptor: TlsAcceptor,
    der_sha256: String,
}

fn acceptor(chain: Vec<rustls::pki_types::CertificateDer<'static>>, key: Vec<u8>) -> TlsAcceptor {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, rustls::pki_types::PrivateKeyDer::Pkcs8(key.into()))
        .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

/// A self-signed device certificate, as a camera makes on first boot.
fn device_tls() -> Tls {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["camera.local".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let der_sha256 = hex::encode(Sha256::digest(cert.der()));
    Tls {
        acceptor: acceptor(vec![cert.der().clone()], key.serialize_der()),
        der_sha256,
    }
}

/// A private CA and a website certificate for `host` signed by it.
fn website_tls(host: &str) -> (Tls, String) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec![host.to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let der_sha256 = hex::encode(Sha256::digest(leaf.der()));
    let tls = Tls {
        acceptor: acceptor(vec![leaf.der().clone()], leaf_key.serialize_der()),
        der_sha256,
    };
    (tls, ca.pem())
}

// ---------------------------------------------------------------------------
// Hostile servers
// ---------------------------------------------------------------------------

/// Accepts and never says a word (holds each connection for a minute).
async fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(60)).await;
                drop(s);
            });
        }
    });
    addr
}

/// Answers any request with a body that never ends; counts what it wrote.
async fn endless_server(http_head: bool) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let written = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&written);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                if http_head {
                    let _ =
                        tokio::time::timeout(Duration::from_secs(5), read_request(&mut s)).await;
                    let head = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n";
                    if s.write_all(head).await.is_err() {
                        return;
                    }
                }
                let block = vec![b'A'; 64 * 1024];
                let deadline = Instant::now() + Duration::from_secs(20);
                while Instant::now() < deadline {
                    if s.write_all(&block).await.is_err() {
                        return;
                    }
                    count.fetch_add(block.len(), Ordering::SeqCst);
                }
            });
        }
    });
    (addr, written)
}

/// Pseudo-random bytes (with IAC bytes among them) that end in no prompt.
fn garbage(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x2545_f491;
    let mut out: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 11) as u8
        })
        .collect();
    out.extend_from_slice(&[0x01, 0x02, 0x7f, 0x01]);
    out
}

/// Sends garbage at once, then holds the line (or closes it).
async fn garbage_server(then_close: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = s.write_all(&garbage(4096)).await;
                if !then_close {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                }
            });
        }
    });
    addr
}

/// Accepts and resets each connection at once.
async fn reset_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            let _ = s.set_zero_linger();
            drop(s);
        }
    });
    addr
}

// ---------------------------------------------------------------------------
// Logins
// ---------------------------------------------------------------------------

#[tokio::test]
async fn telnet_login_like_busybox() {
    within("telnet", async {
        let lab = start_lab().await;
        let device = device(lab.book.clone(), &lab_profile(), quick_config());
        let log = EvidenceLog::in_memory();
        let ev = log.scope("5.1-1-2");
        let t = target(&device, "telnet-admin");

        assert_eq!(
            ok(device.try_login(&ev, &t, &good()).await),
            LoginOutcome::Accepted
        );
        assert_eq!(
            ok(device.try_login(&ev, &t, &bad()).await),
            LoginOutcome::Rejected
        );

        // Negotiated like a simple client: NAWS and echo-by-us refused, the
        // server's echo and go-ahead suppression accepted.
        let sent = lab.telnet.negotiation.lock().unwrap().clone();
        let has = |seq: [u8; 3]| sent.windows(3).any(|w| w == seq);
        assert!(has([IAC, WONT, NAWS]), "{sent:?}");
        assert!(has([IAC, WONT, ECHO]), "{sent:?}");
        assert!(has([IAC, DO, ECHO]), "{sent:?}");
        assert!(has([IAC, DO, SGA]), "{sent:?}");
        assert!(!has([IAC, DONT, SGA]), "{sent:?}");

        let recs = log.records_for("5.1-1-2");
        let outcomes: Vec<&str> = recs.iter().map(|r| r.outcome.as_str()).collect();
        assert_eq!(outcomes, ["accepted", "rejected"]);
        assert!(
            recs[1].response.contains("Login incorrect"),
            "{}",
            recs[1].response
        );
        assert_eq!(recs[0].probe, "telnet-login");
    })
    .await;
}

#[tokio::test]
async fn telnet_lockout_is_reported() {
    within("telnet lockout", async {
        let server = TelnetServer::start(TelnetMode {
            lock_after: Some(1),
            ..TelnetMode::default()
        })
        .await;
        let mut book = TestBook::default();
        book.ports.insert(23, server.addr);
        let device = device(book, &lab_profile(), quick_config());
        let ev = EvidenceLog::in_memory().scope("5.1-5");
        let t = target(&device, "telnet-admin");
        assert_eq!(ok(device.try_login(&ev, &t, &bad()).await), LoginOutcome::Rejected);
        let locked = device.try_login(&ev, &t, &good()).await;
        assert!(
            matches!(&locked, Ok(LoginOutcome::LockedOut { detail }) if detail.contains("Too many")),
            "{locked:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn http_basic_and_form_logins() {
    within("http logins", async {
        let lab = start_lab().await;
        let device = device(lab.book.clone(), &lab_profile(), quick_config());
        let log = EvidenceLog::in_memory();
        let ev = log.scope("5.1-1-2");
        for iface in ["api", "web"] {
            let t = target(&device, iface);
            assert_eq!(ok(device.try_login(&ev, &t, &good()).await), LoginOutcome::Accepted,
                "{iface}"
            );
            assert_eq!(ok(device.try_login(&ev, &t, &bad()).await), LoginOutcome::Rejected,
                "{iface}"
            );
        }
        for iface in ["locked-api", "locked-web"] {
            let t = target(&device, iface);
            let outcome = device.try_login(&ev, &t, &good()).await;
            assert!(
                matches!(&outcome, Ok(LoginOutcome::LockedOut { detail }) if detail.contains("300")),
                "{iface}: {outcome:?}"
            );
        }
        let outcomes: Vec<String> = log
            .records_for("5.1-1-2")
            .into_iter()
            .map(|r| format!("{} {}", r.probe, r.outcome))
            .collect();
        assert_eq!(
            outcomes,
            [
                "http-basic-login 200 accepted",
                "http-basic-login 401 rejected",
                "http-form-login 303 accepted",
                "http-form-login 200 rejected",
                "http-basic-login 429 locked-out",
                "http-form-login 429 locked-out",
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn https_login_accepts_a_self_signed_device_certificate() {
    within("https login", async {
        let lab = start_lab().await;
        let device = device(lab.book.clone(), &lab_profile(), quick_config());
        let log = EvidenceLog::in_memory();
        let ev = log.scope("5.5-1");
        let t = target(&device, "api-tls");
        assert!(t.tls);
        assert_eq!(
            ok(device.try_login(&ev, &t, &good()).await),
            LoginOutcome::Accepted
        );
        assert_eq!(
            ok(device.try_login(&ev, &t, &bad()).await),
            LoginOutcome::Rejected
        );
        let recs = log.records_for("5.5-1");
        assert!(
            recs[0].target.starts_with("https://127.0.0.1:"),
            "{}",
            recs[0].target
        );
        assert!(
            recs[0].response.contains(&format!(
                "tls-certificate-sha256: {}",
                lab.device_cert_sha256
            )),
            "{}",
            recs[0].response
        );
    })
    .await;
}

// ---------------------------------------------------------------------------
// Evidence
// ---------------------------------------------------------------------------

#[tokio::test]
async fn every_probe_is_recorded_chained_and_without_passwords() {
    within("evidence", async {
        let lab = start_lab().await;
        // A second telnetd that echoes the password back, as a flawed device might.
        let echoing = TelnetServer::start(TelnetMode {
            echo_password: true,
            ..TelnetMode::default()
        })
        .await;
        let device = device(lab.book.clone(), &lab_profile(), quick_config());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evidence.jsonl");
        let log = EvidenceLog::create(&path).unwrap();
        let ev = log.scope("5.1-1-2");

        let mut probes = 0;
        for iface in ["telnet-admin", "api", "web", "api-tls"] {
            let t = target(&device, iface);
            for c in [good(), bad()] {
                device.try_login(&ev, &t, &c).await.unwrap();
                probes += 1;
            }
        }
        for c in [good(), bad()] {
            let outcome = device
                .try_login(&ev, &telnet_target(echoing.addr), &c)
                .await;
            assert!(outcome.is_ok(), "{outcome:?}");
            probes += 1;
        }
        let silent = silent_server().await;
        let short = device_with_timeout(Duration::from_secs(1));
        let _ = short.try_login(&ev, &telnet_target(silent), &good()).await;
        probes += 1;

        let (head, count) = verify_chain(&path).unwrap();
        assert_eq!(count, probes);
        assert_eq!(head, log.head());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(PASS),
            "the right password leaked into evidence"
        );
        assert!(
            !text.contains(WRONG),
            "a tried password leaked into evidence"
        );
        assert!(text.contains(&mask(PASS)));
        assert!(text.contains(&mask(WRONG)));
        let recs = records(&path);
        assert!(recs
            .iter()
            .all(|r| !r.request.is_empty() && !r.outcome.is_empty()));
        assert_eq!(recs.last().map(|r| r.outcome.as_str()), Some("timeout"));
    })
    .await;
}

fn device_with_timeout(timeout: Duration) -> ProbedDevice {
    device(
        TestBook::default(),
        &lab_profile(),
        ProbeConfig {
            timeout,
            connect_timeout: Duration::from_secs(1),
            ..ProbeConfig::default()
        },
    )
}

// ---------------------------------------------------------------------------
// Hostile devices
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_device_that_never_answers_times_out() {
    within("silent", async {
        let silent = silent_server().await;
        let timeout = Duration::from_secs(1);
        let device = device_with_timeout(timeout);
        let log = EvidenceLog::in_memory();
        let ev = log.scope("t");

        let started = Instant::now();
        let fetched = device.fetch(&ev, &format!("http://{silent}/")).await;
        let took = started.elapsed();
        assert!(
            matches!(fetched, Err(ProbeError::Timeout { .. })),
            "{fetched:?}"
        );
        assert!(took < timeout + Duration::from_secs(2), "took {took:?}");

        let started = Instant::now();
        let login = device.try_login(&ev, &telnet_target(silent), &good()).await;
        let took = started.elapsed();
        assert!(
            matches!(login, Err(ProbeError::Timeout { .. })),
            "{login:?}"
        );
        assert!(took < timeout + Duration::from_secs(2), "took {took:?}");

        let outcomes: Vec<String> = log
            .records_for("t")
            .into_iter()
            .map(|r| r.outcome)
            .collect();
        assert_eq!(outcomes, ["timeout", "timeout"]);
    })
    .await;
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_size_limit() {
    within("endless", async {
        let (addr, written) = endless_server(true).await;
        let limit = 64 * 1024;
        let timeout = Duration::from_secs(5);
        let device = device(
            TestBook::default(),
            &lab_profile(),
            ProbeConfig {
                timeout,
                max_response_bytes: limit,
                ..ProbeConfig::default()
            },
        );
        let log = EvidenceLog::in_memory();
        let ev = log.scope("t");
        let started = Instant::now();
        let page = device
            .fetch(&ev, &format!("http://{addr}/big"))
            .await
            .unwrap();
        assert!(started.elapsed() < timeout, "took {:?}", started.elapsed());
        assert!(page.truncated);
        assert_eq!(page.body.len(), limit);
        assert!(written.load(Ordering::SeqCst) >= limit);
        let recs = log.records_for("t");
        assert!(
            recs[0].response.contains("truncated at the size limit"),
            "{}",
            recs[0].response
        );
        assert!(
            recs[0].response.len() < 4096,
            "evidence keeps an excerpt only"
        );
    })
    .await;
}

#[tokio::test]
async fn an_endless_telnet_stream_is_too_large() {
    within("endless telnet", async {
        let (addr, _) = endless_server(false).await;
        let device = device(
            TestBook::default(),
            &lab_profile(),
            ProbeConfig {
                max_response_bytes: 32 * 1024,
                ..quick_config()
            },
        );
        let ev = EvidenceLog::in_memory().scope("t");
        let login = device.try_login(&ev, &telnet_target(addr), &good()).await;
        assert!(
            matches!(login, Err(ProbeError::TooLarge { limit: 32768, .. })),
            "{login:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn garbage_is_a_protocol_error() {
    within("garbage", async {
        let config = quick_config();
        let device = device(TestBook::default(), &lab_profile(), config.clone());
        let log = EvidenceLog::in_memory();
        let ev = log.scope("t");
        for then_close in [false, true] {
            let addr = garbage_server(then_close).await;
            let started = Instant::now();
            let login = device.try_login(&ev, &telnet_target(addr), &good()).await;
            assert!(
                matches!(&login, Err(ProbeError::Protocol { detail, .. }) if detail.contains("saw")),
                "close={then_close}: {login:?}"
            );
            assert!(started.elapsed() < config.timeout, "took {:?}", started.elapsed());
            let fetched = device.fetch(&ev, &format!("http://{addr}/")).await;
            assert!(
                matches!(fetched, Err(ProbeError::Protocol { .. })),
                "close={then_close}: {fetched:?}"
            );
        }
        assert!(log
            .records_for("t")
            .iter()
            .all(|r| r.outcome == "protocol-error"));
    })
    .await;
}

#[tokio::test]
async fn a_reset_is_an_error_not_a_verdict() {
    within("reset", async {
        let addr = reset_server().await;
        let device = device(TestBook::default(), &lab_profile(), quick_config());
        let ev = EvidenceLog::in_memory().scope("t");
        let started = Instant::now();
        let login = device.try_login(&ev, &telnet_target(addr), &good()).await;
        assert!(
            matches!(
                login,
                Err(ProbeError::Connect { .. } | ProbeError::Protocol { .. })
            ),
            "{login:?}"
        );
        let fetched = device.fetch(&ev, &format!("http://{addr}/")).await;
        assert!(
            matches!(
                fetched,
                Err(ProbeError::Connect { .. } | ProbeError::Protocol { .. })
            ),
            "{fetched:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(3));

        // Nothing listening at all: a connect error.
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gone = closed.local_addr().unwrap();
        drop(closed);
        let refused = device.try_login(&ev, &telnet_target(gone), &good()).await;
        assert!(
            matches!(refused, Err(ProbeError::Connect { .. })),
            "{refused:?}"
        );
    })
    .await;
}

// ---------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_rate_limit_spaces_probes() {
    within("rate", async {
        let lab = start_lab().await;
        let rate = 4u32;
        let n = 5u32;
        let device = Arc::new(device(
            lab.book.clone(),
            &lab_profile(),
            ProbeConfig {
                rate_per_second: Some(rate),
                ..quick_config()
            },
        ));
        let log = EvidenceLog::in_memory();
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..n {
            let device = Arc::clone(&device);
            let ev = log.scope("rate");
            // Mix protocols: one limit covers every probe on the device.
            let iface = if i % 2 == 0 { "api" } else { "web" };
            tasks.spawn(async move {
                let t = target(&device, iface);
                device.try_login(&ev, &t, &bad()).await
            });
        }
        while let Some(done) = tasks.join_next().await {
            assert_eq!(ok(done.unwrap()), LoginOutcome::Rejected);
        }
        let took = started.elapsed();
        let floor = Duration::from_secs(1) * (n - 1) / rate;
        assert!(
            took >= floor,
            "{n} probes at {rate}/s took {took:?} < {floor:?}"
        );
        assert_eq!(log.records_for("rate").len(), n as usize);
    })
    .await;
}

#[tokio::test]
async fn the_concurrency_limit_holds_probes_back() {
    within("concurrency", async {
        let http = http_server(None).await;
        let url = format!("http://{http}/slow");
        for (concurrency, at_least, below) in [(1, 1200, 10_000), (4, 300, 1000)] {
            let device = Arc::new(device(
                TestBook::default(),
                &lab_profile(),
                ProbeConfig {
                    concurrency,
                    ..quick_config()
                },
            ));
            let log = EvidenceLog::in_memory();
            let started = Instant::now();
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..4 {
                let (device, ev, url) = (Arc::clone(&device), log.scope("c"), url.clone());
                tasks.spawn(async move { device.fetch(&ev, &url).await.map(|p| p.status) });
            }
            while let Some(done) = tasks.join_next().await {
                assert_eq!(done.unwrap().unwrap(), 404);
            }
            let took = started.elapsed();
            assert!(
                took >= Duration::from_millis(at_least) && took < Duration::from_millis(below),
                "4 slow probes, {concurrency} at a time, took {took:?}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn settings_that_cannot_work_are_refused() {
    let zero = ProbeConfig {
        rate_per_second: Some(0),
        ..ProbeConfig::default()
    };
    let err = ProbedDevice::new(
        "test:zero".into(),
        &lab_profile(),
        Arc::new(TestBook::default()),
        Arc::new(NoHands),
        zero,
    )
    .unwrap_err();
    assert!(matches!(err, AdapterError::Config { .. }), "{err}");
    assert!(err.to_string().contains("test:zero"));
}

// ---------------------------------------------------------------------------
// Web pages
// ---------------------------------------------------------------------------

#[tokio::test]
async fn redirects_are_followed_and_each_hop_recorded() {
    within("redirects", async {
        let http = http_server(None).await;
        let device = device(TestBook::default(), &lab_profile(), quick_config());
        let log = EvidenceLog::in_memory();
        let ev = log.scope("r");

        let page = device.fetch(&ev, &format!("http://{http}/a")).await.unwrap();
        assert_eq!(page.status, 200);
        assert_eq!(page.body, "the end");
        assert_eq!(page.url, format!("http://{http}/c"));
        assert_eq!(page.content_type.as_deref(), Some("text/plain"));
        assert_eq!(
            page.redirects,
            [format!("http://{http}/b"), format!("http://{http}/c")]
        );
        assert_eq!(log.records_for("r").len(), 3);

        let endless = device.fetch(&ev, &format!("http://{http}/loop/0")).await;
        assert!(
            matches!(&endless, Err(ProbeError::Protocol { detail, .. }) if detail.contains("more than 5 redirects")),
            "{endless:?}"
        );

        let private = device.fetch(&ev, &format!("http://{http}/private")).await.unwrap();
        assert!(private.auth_challenge);
        let missing = device.fetch(&ev, &format!("http://{http}/nothing")).await.unwrap();
        assert_eq!(missing.status, 404);
        assert!(!missing.auth_challenge);

        let not_web = device.fetch(&ev, "ftp://example.org/").await;
        assert!(matches!(not_web, Err(ProbeError::Other { .. })), "{not_web:?}");
    })
    .await;
}

#[tokio::test]
async fn websites_resolve_through_the_address_book_and_trust_its_roots() {
    within("website", async {
        let host = "www.maker.example";
        let (tls, ca_pem) = website_tls(host);
        let site = http_server(Some(tls.acceptor)).await;
        let impostor = http_server(Some(device_tls().acceptor)).await;
        let mut book = TestBook::default();
        book.sites.insert(host.into(), site);
        book.sites.insert("www.impostor.example".into(), impostor);
        book.roots.push(ca_pem);
        let device = device(book, &lab_profile(), quick_config());
        let log = EvidenceLog::in_memory();
        let ev = log.scope("5.2-1");

        let page = device
            .fetch(&ev, &format!("https://{host}/.well-known/security.txt"))
            .await
            .unwrap();
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Contact: mailto:security@maker.example"));
        assert!(log.records_for("5.2-1")[0]
            .response
            .contains(&tls.der_sha256));

        // A self-signed certificate is not accepted from a website.
        let bad = device
            .fetch(&ev, "https://www.impostor.example/.well-known/security.txt")
            .await;
        assert!(matches!(bad, Err(ProbeError::Connect { .. })), "{bad:?}");
    })
    .await;
}

#[tokio::test]
async fn unusable_extra_roots_are_refused() {
    let book = TestBook {
        roots: vec!["not a certificate".into()],
        ..TestBook::default()
    };
    let err = ProbedDevice::new(
        "test:roots".into(),
        &lab_profile(),
        Arc::new(book),
        Arc::new(NoHands),
        ProbeConfig::default(),
    )
    .unwrap_err();
    assert!(matches!(err, AdapterError::Http { .. }), "{err}");
}

// ---------------------------------------------------------------------------
// Login targets and discovery
// ---------------------------------------------------------------------------

fn names(device: &ProbedDevice) -> Vec<String> {
    device
        .login_targets()
        .into_iter()
        .map(|t| t.interface)
        .collect()
}

#[tokio::test]
async fn declared_targets_resolve_and_undeclared_telnet_is_discovered() {
    within("targets", async {
        let lab = start_lab().await;
        let extra = TelnetServer::start(TelnetMode::default()).await;

        // Like a simulated product: the ports are listed.
        let mut sim_like = lab.book.clone();
        sim_like.ports.insert(2323, extra.addr);
        sim_like.known = Some(vec![23, 80, 81, 82, 443, 2323, 8080]);
        let d = device(sim_like, &lab_profile(), quick_config());
        assert_eq!(
            names(&d),
            [
                "telnet-admin",
                "api",
                "web",
                "api-tls",
                "locked-api",
                "locked-web",
                "undeclared-telnet-2323"
            ]
        );
        let found = target(&d, "undeclared-telnet-2323");
        assert_eq!(found.addr, extra.addr);
        let ev = EvidenceLog::in_memory().scope("5.1-1-2");
        assert_eq!(
            ok(d.try_login(&ev, &found, &good()).await),
            LoginOutcome::Accepted
        );

        // Like a real unit: found by connecting.
        let mut real_like = lab.book.clone();
        real_like.ports.insert(2323, extra.addr);
        let d = ProbedDevice::open(
            "test:real".into(),
            &lab_profile(),
            Arc::new(real_like),
            Arc::new(NoHands),
            quick_config(),
        )
        .await
        .unwrap();
        assert!(names(&d).contains(&"undeclared-telnet-2323".to_string()));
        assert!(!names(&d).contains(&"undeclared-telnet-23".to_string()));

        // Nothing listening on 2323: nothing found.
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gone = closed.local_addr().unwrap();
        drop(closed);
        let mut nothing = lab.book.clone();
        nothing.ports.insert(2323, gone);
        let d = ProbedDevice::open(
            "test:real".into(),
            &lab_profile(),
            Arc::new(nothing),
            Arc::new(NoHands),
            quick_config(),
        )
        .await
        .unwrap();
        assert!(!names(&d).iter().any(|n| n.starts_with("undeclared")));

        // An interface the address book cannot place is skipped.
        let mut partial = lab.book.clone();
        partial.ports.remove(&8080);
        let d = device(partial, &lab_profile(), quick_config());
        assert!(!names(&d).contains(&"web".to_string()));
        assert_eq!(names(&d).len(), 5);
    })
    .await;
}

#[tokio::test]
async fn net_addresses_parse_and_resolve() {
    within("net", async {
        let t = Duration::from_secs(3);
        let v4 = NetAddressBook::resolve("127.0.0.1", t).await.unwrap();
        assert_eq!(v4.device_addr(80), Some("127.0.0.1:80".parse().unwrap()));
        assert_eq!(v4.known_ports(), None);
        assert_eq!(v4.website_addr("www.example.com"), None);
        assert!(v4.website_roots_pem().is_empty());
        let v6 = NetAddressBook::resolve("[::1]", t).await.unwrap();
        assert_eq!(v6.device_addr(23), Some("[::1]:23".parse().unwrap()));
        assert_eq!(v6.device_host(), "::1");
        let named = NetAddressBook::resolve("localhost", t).await.unwrap();
        assert!(named.ip().is_loopback());
        assert_eq!(named.device_host(), "localhost");
        for bad in ["cam:80", "http://cam", "[::1", "[nope]", "a b"] {
            let err = NetAddressBook::resolve(bad, t).await.unwrap_err();
            assert!(
                matches!(err, AdapterError::InvalidSpec { .. }),
                "{bad}: {err}"
            );
            assert!(err.to_string().contains(bad), "{err}");
        }

        let device = open_net(
            "net:127.0.0.1",
            &lab_profile(),
            ProbeConfig {
                connect_timeout: Duration::from_millis(500),
                ..ProbeConfig::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(device.name(), "net:127.0.0.1");
        let api = target(&device, "api");
        assert_eq!(api.addr, "127.0.0.1:80".parse().unwrap());
        assert_eq!(api.host, "127.0.0.1");
        assert!(target(&device, "api-tls").tls);
    })
    .await;
}

// ---------------------------------------------------------------------------
// Operator hooks
// ---------------------------------------------------------------------------

fn command(argv: &[&str], timeout_seconds: Option<u64>) -> Option<Hook> {
    Some(Hook::Command {
        command: argv.iter().map(|s| s.to_string()).collect(),
        timeout_seconds,
    })
}

#[tokio::test]
async fn command_hooks_run_fail_and_time_out() {
    within("hooks", async {
        let hooks = OperatorHooks {
            factory_reset: command(&["sh", "-c", "echo reset done; echo note >&2"], None),
            power_cycle: command(&["sleep", "10"], Some(1)),
            cut_uplink: command(&["sh", "-c", "echo relay stuck >&2; exit 3"], None),
            restore_uplink: command(&["/nonexistent/iotmark-hook"], None),
        };
        let actions = HookActions::from_profile(&hooks).interactive(false);

        let report = actions.perform(PhysicalAction::FactoryReset).await.unwrap();
        assert_eq!(report.output, "reset done\nnote");

        let started = Instant::now();
        let timed_out = actions.perform(PhysicalAction::PowerCycle).await;
        assert!(
            matches!(timed_out, Err(HookError::Timeout { .. })),
            "{timed_out:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{:?}",
            started.elapsed()
        );

        let failed = actions
            .perform(PhysicalAction::CutUplink)
            .await
            .unwrap_err();
        assert!(matches!(failed, HookError::Failed { .. }), "{failed}");
        assert!(failed.to_string().contains("relay stuck"), "{failed}");

        let missing = actions
            .perform(PhysicalAction::RestoreUplink)
            .await
            .unwrap_err();
        assert!(matches!(missing, HookError::Spawn { .. }), "{missing}");

        // Through the device: recorded as operator evidence.
        let device = ProbedDevice::new(
            "test:hooks".into(),
            &lab_profile(),
            Arc::new(TestBook::default()),
            Arc::new(actions),
            quick_config(),
        )
        .unwrap();
        let log = EvidenceLog::in_memory();
        let ev = log.scope("5.4-2");
        device.factory_reset(&ev).await.unwrap();
        let err = device.power_cycle(&ev).await.unwrap_err();
        assert!(matches!(err, ProbeError::Operator { .. }), "{err}");
        let recs = log.records_for("5.4-2");
        let seen: Vec<(&str, &str, &str)> = recs
            .iter()
            .map(|r| (r.probe.as_str(), r.request.as_str(), r.outcome.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("operator", "factory_reset", "done"),
                ("operator", "power_cycle", "failed")
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn a_missing_or_prompt_hook_in_a_non_interactive_run_says_why() {
    within("no hooks", async {
        let actions = HookActions::from_profile(&OperatorHooks::default()).interactive(false);
        let err = actions.factory_reset().await.unwrap_err();
        assert_eq!(
            err,
            "no operator hook for factory_reset in the profile; run interactively or add one"
        );

        let prompt = OperatorHooks {
            power_cycle: Some(Hook::Prompt {
                prompt: "Pull the plug and put it back.".into(),
            }),
            ..OperatorHooks::default()
        };
        let actions = HookActions::from_profile(&prompt).interactive(false);
        let err = actions.power_cycle().await.unwrap_err();
        assert!(err.contains("not interactive"), "{err}");

        let device = ProbedDevice::new(
            "test:nohooks".into(),
            &lab_profile(),
            Arc::new(TestBook::default()),
            Arc::new(HookActions::from_profile(&OperatorHooks::default()).interactive(false)),
            quick_config(),
        )
        .unwrap();
        let err = device
            .factory_reset(&EvidenceLog::in_memory().scope("x"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ProbeError::Operator { action, detail }
                if action == "factory_reset" && detail.contains("no operator hook")),
            "{err}"
        );
    })
    .await;
}
