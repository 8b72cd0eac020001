//! The simulated products over real sockets: every declared interface is
//! served, the profiles agree with the catalogue, and each product behaves as
//! its `behaviours()` say. Every network step is bounded by a timeout.

// Tests state what they expect by unwrapping (STYLE.md: unwrap/expect belong in tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use iotmark_adapters::device::{AddressBook, PhysicalActions};
use iotmark_adapters::profile::{GenerationInput, LoginMethod, Profile, Protocol};
use iotmark_sim::{self as sim, RunningSim, SimConfig, SimError, SimProduct, LOCKOUT_THRESHOLD};
use reqwest::header;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Bound on every network step.
const T: Duration = Duration::from_secs(10);

async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(T, fut).await {
        Ok(out) => out,
        Err(_) => panic!("{what}: no answer within {T:?}"),
    }
}

fn profiles_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/profiles")
}

fn profile(p: SimProduct) -> Profile {
    let path = profiles_dir().join(p.profile_file_name());
    Profile::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn start(p: SimProduct) -> RunningSim {
    start_unit(p, 0).await
}

async fn start_unit(p: SimProduct, unit: usize) -> RunningSim {
    within(
        "start",
        sim::start(
            p,
            SimConfig {
                unit,
                ..SimConfig::default()
            },
        ),
    )
    .await
    .unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// A client for the device's own interface: self-signed certificate accepted,
/// redirects not followed (the tests look at them), no cookie store.
fn device_client() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(T)
        .build()
        .unwrap()
}

/// A client for the manufacturer's website trusting only the simulation's CA,
/// with the website hosts resolved to the simulation.
fn website_client(sim: &RunningSim) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(sim.website_ca_pem().as_bytes()).unwrap();
    let mut b = reqwest::Client::builder()
        .add_root_certificate(ca)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(T);
    for host in sim.website_hosts() {
        b = b.resolve(host, sim.website_local());
    }
    b.build().unwrap()
}

/// `http(s)://127.0.0.1:<port><path>` for the device's admin interface.
fn admin_url(sim: &RunningSim, path: &str) -> String {
    let s = sim
        .services()
        .iter()
        .find(|s| matches!(s.protocol, Protocol::Http | Protocol::Https))
        .expect("an admin service");
    let scheme = if s.tls { "https" } else { "http" };
    format!("{scheme}://127.0.0.1:{}{path}", s.local.port())
}

fn label_password(p: SimProduct, unit: usize) -> String {
    profile(p).units[unit]
        .initial_password
        .as_ref()
        .expect("declared password")
        .expose()
        .to_string()
}

async fn basic_status(sim: &RunningSim, user: &str, pass: &str) -> reqwest::Response {
    within(
        "GET /api/status",
        device_client()
            .get(admin_url(sim, "/api/status"))
            .basic_auth(user, Some(pass))
            .send(),
    )
    .await
    .unwrap()
}

async fn form_login(sim: &RunningSim, user: &str, pass: &str) -> reqwest::Response {
    within(
        "POST /login",
        device_client()
            .post(admin_url(sim, "/login"))
            .form(&[("username", user), ("password", pass)])
            .send(),
    )
    .await
    .unwrap()
}

async fn change_password(sim: &RunningSim, old: &str, new: &str) -> reqwest::StatusCode {
    within(
        "POST /api/password",
        device_client()
            .post(admin_url(sim, "/api/password"))
            .basic_auth("admin", Some(old))
            .form(&[("new_password", new)])
            .send(),
    )
    .await
    .unwrap()
    .status()
}

async fn get_text(client: &reqwest::Client, url: &str) -> (u16, String, Option<String>) {
    let resp = within(url, client.get(url).send())
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = within(url, resp.text()).await.unwrap();
    (status, body, ctype)
}

// ---------------------------------------------------------------------------
// A tiny telnet client: skips IAC sequences, remembers the commands it saw.

struct Telnet {
    stream: TcpStream,
    text: String,
    commands: Vec<[u8; 2]>,
    state: u8, // 0 data, 1 IAC, 2 option, 3 SB, 4 SB IAC
    pending_cmd: u8,
}

impl Telnet {
    async fn connect(addr: std::net::SocketAddr) -> Telnet {
        let stream = within("telnet connect", TcpStream::connect(addr))
            .await
            .unwrap();
        Telnet {
            stream,
            text: String::new(),
            commands: Vec::new(),
            state: 0,
            pending_cmd: 0,
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.state = match (self.state, b) {
                (0, 255) => 1,
                (0, b) => {
                    self.text.push(char::from(b));
                    0
                }
                (1, 255) => {
                    self.text.push(char::from(255u8));
                    0
                }
                (1, 251..=254) => {
                    self.pending_cmd = b;
                    2
                }
                (1, 250) => 3,
                (1, _) => 0,
                (2, opt) => {
                    self.commands.push([self.pending_cmd, opt]);
                    0
                }
                (3, 255) => 4,
                (3, _) => 3,
                (4, 240) => 0,
                (4, _) => 3,
                _ => 0,
            };
        }
    }

    /// Read until `needle` appears; returns the text up to and including it.
    async fn read_until(&mut self, needle: &str) -> String {
        loop {
            if let Some(i) = self.text.find(needle) {
                let rest = self.text.split_off(i + needle.len());
                return std::mem::replace(&mut self.text, rest);
            }
            let mut buf = [0u8; 1024];
            let n = within(
                &format!("telnet waiting for {needle:?}"),
                self.stream.read(&mut buf),
            )
            .await
            .unwrap();
            assert!(
                n > 0,
                "connection closed before {needle:?}; got {:?}",
                self.text
            );
            self.feed(&buf[..n]);
        }
    }

    /// Read until the server closes; returns everything received.
    async fn read_to_end(&mut self) -> String {
        loop {
            let mut buf = [0u8; 1024];
            let n = within("telnet waiting for close", self.stream.read(&mut buf))
                .await
                .unwrap_or(0);
            if n == 0 {
                return std::mem::take(&mut self.text);
            }
            self.feed(&buf[..n]);
        }
    }

    async fn send_line(&mut self, line: &str) {
        within(
            "telnet write",
            self.stream.write_all(format!("{line}\r\n").as_bytes()),
        )
        .await
        .unwrap();
    }
}

// ---------------------------------------------------------------------------
// Catalogue and profiles

#[test]
fn catalogue_names_round_trip_and_document_the_psti_provisions() {
    assert_eq!(SimProduct::all().len(), 24);
    for &p in SimProduct::all() {
        assert_eq!(SimProduct::from_name(p.name()), Some(p));
        assert!(!p.summary().is_empty());
        for id in ["5.1-1", "5.1-2", "5.2-1", "5.3-13"] {
            assert!(
                p.behaviours()
                    .iter()
                    .any(|(prov, what)| *prov == id && !what.is_empty()),
                "{p} documents no behaviour for {id}"
            );
        }
    }
    assert_eq!(SimProduct::GoodCamera.summary(), "conformant");
    assert_eq!(SimProduct::from_name("sim:good-camera"), None);
    assert_eq!(SimProduct::from_name(""), None);
}

#[test]
fn every_example_profile_loads_and_agrees_with_the_catalogue() {
    for &p in SimProduct::all() {
        let prof = profile(p);
        let spec = p.spec();
        assert_eq!(prof.product.manufacturer, spec.manufacturer, "{p}");
        assert_eq!(
            prof.product.manufacturer_address, spec.manufacturer_address,
            "{p}"
        );
        assert_eq!(prof.product.model, spec.model, "{p}");
        assert_eq!(prof.product.product_type, spec.product_type, "{p}");
        assert_eq!(prof.product.firmware, spec.firmware, "{p}");
        let ui = &prof.ixit.user_info;
        assert_eq!(ui.manufacturer_website, spec.website_url("/"), "{p}");
        assert_eq!(
            ui.disclosure_policy_url,
            spec.website_url("/security/disclosure-policy"),
            "{p}"
        );
        assert_eq!(
            ui.support_period.url,
            spec.website_url(&spec.support_path()),
            "{p}"
        );
        assert_eq!(
            Some(ui.support_period.end_date),
            iotmark_adapters::profile::parse_date(spec.support_end),
            "{p}"
        );
        assert_eq!(prof.units.len(), 5, "{p}");
        assert_eq!(prof.units.len(), spec.units.len(), "{p}");
        for (u, s) in prof.units.iter().zip(spec.units) {
            assert_eq!(u.serial, s.serial, "{p}");
            assert_eq!(u.mac.as_deref(), Some(s.mac), "{p}");
            assert_eq!(
                u.initial_password.as_ref().map(|x| x.expose()),
                Some(s.label_password),
                "{p} {}",
                s.serial
            );
        }
        let mech = prof
            .password_mechanisms()
            .next()
            .expect("a password mechanism");
        assert_eq!(mech.username.as_deref(), Some(spec.admin_username), "{p}");
    }

    // No stray profiles: every example profile is a simulated product, but
    // the one declaring iotmark's own verification service (tests/serve.rs).
    for entry in std::fs::read_dir(profiles_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".json").filter(|s| *s != "iotmark-serve") {
            assert!(
                SimProduct::from_name(stem).is_some(),
                "{name} has no simulation"
            );
        }
    }

    // The declarations each flawed product's test relies on.
    let inputs = |p| {
        profile(p)
            .password_mechanisms()
            .next()
            .and_then(|m| m.password.clone())
            .map(|pw| pw.generation_inputs)
            .unwrap_or_default()
    };
    assert_eq!(
        inputs(SimProduct::CounterPasswordPlug),
        [GenerationInput::Counter]
    );
    assert_eq!(
        inputs(SimProduct::SerialPasswordRouter),
        [GenerationInput::Csprng]
    );
    assert!(
        profile(SimProduct::MiraiDvr)
            .ixit
            .interfaces
            .iter()
            .all(|i| i.port != 23),
        "the DVR's maker does not declare its telnet console"
    );
    assert!(profile(SimProduct::Tarpit)
        .ixit
        .interfaces
        .iter()
        .any(|i| i.port == 23 && i.login == Some(LoginMethod::TelnetPrompt)));
}

// ---------------------------------------------------------------------------
// Every product serves what its profile declares

#[tokio::test]
async fn every_declared_interface_is_served() {
    for &p in SimProduct::all() {
        let prof = profile(p);
        let sim = start(p).await;
        assert_eq!(sim.product(), p);
        assert_eq!(sim.device_host(), "127.0.0.1");
        let known = sim.known_ports().expect("a simulation knows its ports");
        for iface in prof.ixit.interfaces.iter().filter(|i| i.enabled) {
            let addr = sim
                .device_addr(iface.port)
                .unwrap_or_else(|| panic!("{p}: port {} not served", iface.port));
            assert!(known.contains(&iface.port), "{p}: {}", iface.port);
            let service = sim
                .services()
                .iter()
                .find(|s| s.device_port == iface.port)
                .unwrap();
            assert_eq!(service.protocol, iface.protocol, "{p} {}", iface.name);
            within("connect", TcpStream::connect(addr)).await.unwrap();
            if p.spec().hostile.is_some() {
                continue;
            }
            match &iface.login {
                Some(LoginMethod::HttpBasic { path }) => {
                    let resp = within(
                        "basic challenge",
                        device_client().get(admin_url(&sim, path)).send(),
                    )
                    .await
                    .unwrap();
                    assert_eq!(resp.status(), 401, "{p} {path}");
                    let challenge = resp.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
                    assert_eq!(challenge, format!("Basic realm=\"{}\"", prof.product.model));
                }
                Some(LoginMethod::HttpForm {
                    path,
                    username_field,
                    password_field,
                }) => {
                    let (status, body, _) =
                        get_text(&device_client(), &admin_url(&sim, path)).await;
                    assert_eq!(status, 200, "{p} {path}");
                    assert!(body.contains(&format!("name=\"{username_field}\"")), "{p}");
                    assert!(body.contains(&format!("name=\"{password_field}\"")), "{p}");
                }
                Some(
                    LoginMethod::TelnetPrompt
                    | LoginMethod::SshPassword
                    | LoginMethod::HttpDigest { .. }
                    | LoginMethod::MqttConnect,
                )
                | None => {}
            }
        }
        for host in sim.website_hosts() {
            assert_eq!(sim.website_addr(host), Some(sim.website_local()));
            assert_eq!(
                sim.website_addr(&host.to_uppercase()),
                Some(sim.website_local())
            );
        }
        assert_eq!(sim.website_addr("www.attacker.example"), None);
        assert_eq!(
            sim.website_roots_pem(),
            vec![sim.website_ca_pem().to_string()]
        );
        assert!(sim
            .website_ca_pem()
            .starts_with("-----BEGIN CERTIFICATE-----"));
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn sim_config_picks_the_unit() {
    let p = SimProduct::GoodCamera;
    let sim = start_unit(p, 2).await;
    assert_eq!(sim.unit_serial(), profile(p).units[2].serial);
    assert_eq!(
        basic_status(&sim, "admin", &label_password(p, 0))
            .await
            .status(),
        401
    );
    let resp = basic_status(&sim, "admin", &label_password(p, 2)).await;
    assert_eq!(resp.status(), 200);
    let json: serde_json::Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(json["serial"], profile(p).units[2].serial);
    match sim::start(
        p,
        SimConfig {
            unit: 5,
            ..SimConfig::default()
        },
    )
    .await
    {
        Err(SimError::NoSuchUnit {
            unit: 5, units: 5, ..
        }) => {}
        other => panic!("unit 5 of 5 started: {other:?}"),
    }
}

#[tokio::test]
async fn endpoints_json_tells_a_human_how_to_reach_everything() {
    let sim = start(SimProduct::GoodCamera).await;
    let j = sim.endpoints_json();
    assert_eq!(j["product"], "good-camera");
    assert_eq!(j["unit"]["serial"], sim.unit_serial());
    let services = j["services"].as_array().unwrap();
    assert_eq!(services.len(), sim.services().len());
    assert_eq!(services[0]["device_port"], 443);
    assert_eq!(services[0]["local"], sim.services()[0].local.to_string());
    let port = sim.website_local().port();
    let curls = j["website"]["curl"].as_array().unwrap();
    assert!(curls.iter().any(|c| c
        == &serde_json::json!(format!(
            "curl --cacert ca.pem --resolve www.goodcam.example:{port}:127.0.0.1 https://www.goodcam.example:{port}/.well-known/security.txt"
        ))));
    assert_eq!(j["website"]["ca_pem"], sim.website_ca_pem());
    assert!(format!("{sim:?}").contains("good-camera"));
}

#[tokio::test]
async fn shutdown_and_drop_stop_every_server() {
    let sim = start(SimProduct::MiraiDvr).await;
    let mut addrs: Vec<_> = sim.services().iter().map(|s| s.local).collect();
    addrs.push(sim.website_local());
    sim.shutdown().await;
    for addr in &addrs {
        assert!(
            within("connect after shutdown", TcpStream::connect(addr))
                .await
                .is_err(),
            "{addr} still accepts after shutdown"
        );
    }

    let sim = start(SimProduct::Tarpit).await;
    let addr = sim.services()[0].local;
    let held = within("connect", TcpStream::connect(addr)).await.unwrap();
    drop(sim);
    // Aborted tasks are dropped at the runtime's next turn.
    let mut refused = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "tarpit still listening after drop");
    drop(held);
}

// ---------------------------------------------------------------------------
// good-camera: the conformant reference

#[tokio::test]
async fn good_camera_basic_auth() {
    let p = SimProduct::GoodCamera;
    let sim = start(p).await;
    let resp = within(
        "no credentials",
        device_client().get(admin_url(&sim, "/api/status")).send(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.headers()[header::WWW_AUTHENTICATE],
        "Basic realm=\"GC-200\""
    );

    assert_eq!(basic_status(&sim, "admin", "password").await.status(), 401);
    assert_eq!(
        basic_status(&sim, "root", &label_password(p, 0))
            .await
            .status(),
        401
    );

    let resp = basic_status(&sim, "admin", &label_password(p, 0)).await;
    assert_eq!(resp.status(), 200);
    let json: serde_json::Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(json["model"], "GC-200");
    assert_eq!(json["firmware"], "2.4.1");
    assert_eq!(json["serial"], sim.unit_serial());
}

fn session_cookie(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[tokio::test]
async fn good_camera_form_login_and_session() {
    let p = SimProduct::GoodCamera;
    let sim = start(p).await;

    let resp = form_login(&sim, "admin", "letmein").await;
    assert_eq!(resp.status(), 200);
    assert!(session_cookie(&resp).is_none());
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("Invalid username or password"));

    let resp = form_login(&sim, "admin", &label_password(p, 0)).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()[header::LOCATION], "/dashboard");
    let cookie = session_cookie(&resp).expect("a session cookie");
    assert!(cookie.starts_with("session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Secure"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    assert!(pair.len() > "session=".len() + 16);

    let client = device_client();
    let resp = within(
        "dashboard",
        client
            .get(admin_url(&sim, "/dashboard"))
            .header(header::COOKIE, &pair)
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains(sim.unit_serial()));

    let resp = within(
        "dashboard without session",
        client.get(admin_url(&sim, "/dashboard")).send(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()[header::LOCATION], "/login");
    let forged = within(
        "dashboard with a forged session",
        client
            .get(admin_url(&sim, "/dashboard"))
            .header(header::COOKIE, "session=00000000000000000000000000000000")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(forged.status(), 303);
}

#[tokio::test]
async fn good_camera_locks_out_after_ten_failures_until_power_cycle() {
    let p = SimProduct::GoodCamera;
    let right = label_password(p, 0);
    let sim = start(p).await;
    // Basic and form failures share one counter.
    for i in 0..LOCKOUT_THRESHOLD {
        let status = if i % 2 == 0 {
            basic_status(&sim, "admin", &format!("guess-{i}"))
                .await
                .status()
        } else {
            form_login(&sim, "admin", &format!("guess-{i}"))
                .await
                .status()
        };
        assert!(
            status == 401 || status == 200,
            "failure {i} answered {status}"
        );
    }
    let resp = basic_status(&sim, "admin", &right).await;
    assert_eq!(resp.status(), 429, "right password during lockout");
    let retry: u64 = resp.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&retry));
    let resp = form_login(&sim, "admin", &right).await;
    assert_eq!(resp.status(), 429);
    assert!(session_cookie(&resp).is_none());
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("Too many failed attempts; try again later"));

    within("power cycle", sim.power_cycle()).await.unwrap();
    assert_eq!(basic_status(&sim, "admin", &right).await.status(), 200);
    assert_eq!(form_login(&sim, "admin", &right).await.status(), 303);
}

#[tokio::test]
async fn good_camera_factory_reset_restores_the_label_password() {
    let p = SimProduct::GoodCamera;
    let label = label_password(p, 0);
    let sim = start(p).await;
    assert_eq!(change_password(&sim, &label, "short").await, 422);
    assert_eq!(
        change_password(&sim, &label, "my own long passphrase").await,
        204
    );
    assert_eq!(basic_status(&sim, "admin", &label).await.status(), 401);
    assert_eq!(
        basic_status(&sim, "admin", "my own long passphrase")
            .await
            .status(),
        200
    );

    // Power cycling keeps the user's password.
    within("power cycle", sim.power_cycle()).await.unwrap();
    assert_eq!(
        basic_status(&sim, "admin", "my own long passphrase")
            .await
            .status(),
        200
    );

    within("factory reset", sim.factory_reset()).await.unwrap();
    assert_eq!(basic_status(&sim, "admin", &label).await.status(), 200);
    assert_eq!(
        basic_status(&sim, "admin", "my own long passphrase")
            .await
            .status(),
        401
    );
    assert_eq!(basic_status(&sim, "admin", "admin").await.status(), 401);
}

#[tokio::test]
async fn good_camera_security_txt_follows_rfc_9116() {
    let p = SimProduct::GoodCamera;
    let prof = profile(p);
    let sim = start(p).await;
    let client = website_client(&sim);
    let url = prof.ixit.user_info.security_txt_url();
    assert_eq!(url, "https://www.goodcam.example/.well-known/security.txt");
    let (status, body, ctype) = get_text(&client, &url).await;
    assert_eq!(status, 200);
    assert!(ctype.unwrap().starts_with("text/plain"));

    let field = |name: &str| -> Vec<String> {
        body.lines()
            .filter_map(|l| l.strip_prefix(&format!("{name}: ")))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        field("Contact"),
        [
            "mailto:security@goodcam.example",
            "https://www.goodcam.example/security/report"
        ]
    );
    assert_eq!(
        field("Policy"),
        [prof.ixit.user_info.disclosure_policy_url.as_str()]
    );
    assert_eq!(field("Preferred-Languages"), ["en"]);
    assert_eq!(field("Canonical"), [url.as_str()]);
    let expires = field("Expires");
    assert_eq!(expires.len(), 1);
    assert!(expires[0].ends_with('Z'), "{}", expires[0]);
    let expires =
        time::OffsetDateTime::parse(&expires[0], &time::format_description::well_known::Rfc3339)
            .unwrap();
    let now = time::OffsetDateTime::now_utc();
    assert!(expires > now + time::Duration::days(30), "{expires}");
    assert!(expires < now + time::Duration::days(366), "{expires}");

    // The web contact resolves.
    let (status, body, _) = get_text(&client, "https://www.goodcam.example/security/report").await;
    assert_eq!(status, 200);
    assert!(body.contains("security@goodcam.example"));
}

#[tokio::test]
async fn good_camera_policy_and_support_pages() {
    let p = SimProduct::GoodCamera;
    let prof = profile(p);
    let sim = start(p).await;
    let client = website_client(&sim);
    let ui = &prof.ixit.user_info;

    let (status, policy, ctype) = get_text(&client, &ui.disclosure_policy_url).await;
    assert_eq!(status, 200);
    assert!(ctype.unwrap().starts_with("text/html"));
    assert!(policy.contains("mailto:security@goodcam.example"));
    assert!(policy.contains("acknowledge your report within 5 working days"));
    assert!(policy.contains("status updates at least every 30 days until the issue is resolved"));
    assert!(policy.contains("lang=\"en\""));

    let (status, support, _) = get_text(&client, &ui.support_period.url).await;
    assert_eq!(status, 200);
    assert!(
        support.contains("Security updates for GC-200 are guaranteed until 31 December 2031."),
        "{support}"
    );

    let (status, home, _) = get_text(&client, &ui.manufacturer_website).await;
    assert_eq!(status, 200);
    assert!(home.contains("Goodcam Devices Ltd"));
    assert!(home.contains("/security/disclosure-policy"));

    let (status, _, _) = get_text(&client, "https://www.goodcam.example/support/gc-999").await;
    assert_eq!(status, 404);
    let (status, _, _) = get_text(&client, "https://www.goodcam.example/admin").await;
    assert_eq!(status, 404);

    // The website certificate verifies only against the simulation's CA.
    let untrusting = reqwest::Client::builder()
        .resolve("www.goodcam.example", sim.website_local())
        .timeout(T)
        .build()
        .unwrap();
    let err = within(
        "untrusted",
        untrusting.get(&ui.disclosure_policy_url).send(),
    )
    .await
    .expect_err("a client without the CA must refuse the certificate");
    assert!(err.is_connect() || err.is_request(), "{err}");
}

// ---------------------------------------------------------------------------
// mirai-dvr: the undeclared telnet console

fn telnet_addr(sim: &RunningSim) -> std::net::SocketAddr {
    sim.device_addr(23).expect("a telnet console on port 23")
}

#[tokio::test]
async fn mirai_dvr_telnet_accepts_root_xc3511() {
    let sim = start(SimProduct::MiraiDvr).await;
    assert!(sim.known_ports().unwrap().contains(&23));
    let mut t = Telnet::connect(telnet_addr(&sim)).await;
    let greeting = t.read_until("login: ").await;
    assert!(greeting.contains("kd-804h login: "), "{greeting:?}");
    // telnetd negotiates: it will echo and suppress go-ahead.
    assert!(t.commands.contains(&[251, 1]), "{:?}", t.commands);
    assert!(t.commands.contains(&[251, 3]), "{:?}", t.commands);
    // Options it does not support are refused: WONT terminal-type after DO,
    // DONT after WILL; the IAC bytes never reach the login prompt.
    within(
        "telnet write",
        t.stream
            .write_all(&[255, 253, 24, 255, 251, 24, b'r', b'o', 255, 241, b'o', b't']),
    )
    .await
    .unwrap();
    t.send_line("").await;
    t.read_until("Password: ").await;
    assert!(t.commands.contains(&[252, 24]), "{:?}", t.commands);
    assert!(t.commands.contains(&[254, 24]), "{:?}", t.commands);
    t.send_line("xc3511").await;
    let motd = t.read_until("# ").await;
    assert!(motd.contains("BusyBox"), "{motd:?}");
    t.send_line("id").await;
    let out = t.read_until("# ").await;
    assert!(out.contains("uid=0(root)"), "{out:?}");
    t.send_line("/bin/busybox MIRAI").await;
    let out = t.read_until("# ").await;
    assert!(out.contains("MIRAI: applet not found"), "{out:?}");
    t.send_line("exit").await;
    t.read_to_end().await;

    // The declared HTTPS admin still uses the unit's own password.
    let label = label_password(SimProduct::MiraiDvr, 0);
    assert_eq!(basic_status(&sim, "admin", &label).await.status(), 200);
    assert_eq!(basic_status(&sim, "root", "xc3511").await.status(), 401);
}

#[tokio::test]
async fn mirai_dvr_telnet_rejects_other_credentials_and_hangs_up_after_three() {
    let sim = start(SimProduct::MiraiDvr).await;
    let label = label_password(SimProduct::MiraiDvr, 0);
    let mut t = Telnet::connect(telnet_addr(&sim)).await;
    t.read_until("login: ").await;
    for (i, (user, pass)) in [
        ("admin", "admin"),
        ("root", "root"),
        ("admin", label.as_str()),
    ]
    .into_iter()
    .enumerate()
    {
        t.send_line(user).await;
        t.read_until("Password: ").await;
        t.send_line(pass).await;
        let out = t.read_until("Login incorrect").await;
        assert!(!out.contains('#'), "{out:?}");
        if i < 2 {
            t.read_until("login: ").await;
        }
    }
    let rest = t.read_to_end().await;
    assert!(!rest.contains("login: "), "{rest:?}");
}

// ---------------------------------------------------------------------------
// The flawed password schemes

#[tokio::test]
async fn counter_plug_passwords_follow_a_counter_over_plain_http() {
    let p = SimProduct::CounterPasswordPlug;
    let prof = profile(p);
    let numbers: Vec<u64> = prof
        .units
        .iter()
        .map(|u| {
            let pw = u.initial_password.as_ref().unwrap().expose();
            pw.strip_prefix("plug-").unwrap().parse().unwrap()
        })
        .collect();
    assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{numbers:?}");

    for unit in [0, 3] {
        let sim = start_unit(p, unit).await;
        assert!(admin_url(&sim, "/").starts_with("http://"));
        assert_eq!(sim.device_addr(443), None);
        assert!(sim.device_addr(80).is_some());
        assert_eq!(
            basic_status(&sim, "admin", &format!("plug-{}", numbers[unit]))
                .await
                .status(),
            200
        );
        // The neighbour's password, guessed from the counter, is not this unit's.
        assert_eq!(
            basic_status(&sim, "admin", &format!("plug-{}", numbers[unit] + 1))
                .await
                .status(),
            401
        );
        let resp = form_login(&sim, "admin", &format!("plug-{}", numbers[unit])).await;
        assert_eq!(resp.status(), 303);
        let cookie = session_cookie(&resp).unwrap();
        assert!(
            !cookie.contains("Secure"),
            "no Secure cookie over plain HTTP: {cookie}"
        );
    }
}

#[tokio::test]
async fn serial_router_password_is_the_mac_suffix() {
    let p = SimProduct::SerialPasswordRouter;
    let prof = profile(p);
    for unit in [0, 4] {
        let sim = start_unit(p, unit).await;
        // Derived from public information only: the MAC address.
        let mac = prof.units[unit].mac_bytes().unwrap();
        let derived = hex::encode(&mac[2..]);
        assert_eq!(basic_status(&sim, "admin", &derived).await.status(), 200);
        assert_eq!(form_login(&sim, "admin", &derived).await.status(), 303);
    }
    assert_eq!(
        hex::encode(&prof.units[0].mac_bytes().unwrap()[2..]),
        "2b3c4d5e"
    );
}

#[tokio::test]
async fn reset_default_hub_resets_to_admin_admin_on_every_unit() {
    let p = SimProduct::ResetDefaultHub;
    let a = start_unit(p, 1).await;
    let b = start_unit(p, 3).await;
    let label_a = label_password(p, 1);
    assert_eq!(basic_status(&a, "admin", &label_a).await.status(), 200);
    assert_eq!(basic_status(&a, "admin", "admin").await.status(), 401);

    within("factory reset", a.factory_reset()).await.unwrap();
    within("factory reset", b.factory_reset()).await.unwrap();
    for sim in [&a, &b] {
        assert_eq!(basic_status(sim, "admin", "admin").await.status(), 200);
        assert_eq!(form_login(sim, "admin", "admin").await.status(), 303);
    }
    assert_eq!(basic_status(&a, "admin", &label_a).await.status(), 401);

    // Until the user changes it.
    assert_eq!(
        change_password(&a, "admin", "hub owner's passphrase").await,
        204
    );
    assert_eq!(basic_status(&a, "admin", "admin").await.status(), 401);
    assert_eq!(
        basic_status(&a, "admin", "hub owner's passphrase")
            .await
            .status(),
        200
    );
}

// ---------------------------------------------------------------------------
// The flawed websites

#[tokio::test]
async fn no_contact_bulb_publishes_no_security_contact() {
    let p = SimProduct::NoContactBulb;
    let prof = profile(p);
    let sim = start(p).await;
    let client = website_client(&sim);
    let ui = &prof.ixit.user_info;
    assert_eq!(get_text(&client, &ui.security_txt_url()).await.0, 404);
    assert_eq!(get_text(&client, &ui.disclosure_policy_url).await.0, 404);
    assert_eq!(
        get_text(&client, "https://www.lumora.example/security/report")
            .await
            .0,
        404
    );
    let (status, home, _) = get_text(&client, &ui.manufacturer_website).await;
    assert_eq!(status, 200);
    assert!(!home.contains("security@"), "{home}");
    // Everything else is good.
    let (status, support, _) = get_text(&client, &ui.support_period.url).await;
    assert_eq!(status, 200);
    assert!(
        support.contains("guaranteed until 31 December 2029"),
        "{support}"
    );
    let label = label_password(p, 0);
    assert_eq!(basic_status(&sim, "admin", &label).await.status(), 200);
}

#[tokio::test]
async fn vague_speaker_support_page_has_no_end_date() {
    let p = SimProduct::VagueSupportSpeaker;
    let prof = profile(p);
    assert_eq!(
        iotmark_adapters::profile::format_date(prof.ixit.user_info.support_period.end_date),
        "2028-06-30"
    );
    let sim = start(p).await;
    let client = website_client(&sim);
    let (status, page, _) = get_text(&client, &prof.ixit.user_info.support_period.url).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("receives security updates for at least two years from purchase"),
        "{page}"
    );
    let year = regex::Regex::new(r"\b(19|20)\d\d\b").unwrap();
    assert!(!year.is_match(&page), "a year on the vague page: {page}");
    for month in [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ] {
        assert!(!page.contains(month), "{month} on the vague page");
    }
    let (status, home, _) = get_text(&client, &prof.ixit.user_info.manufacturer_website).await;
    assert_eq!(status, 200);
    assert!(!year.is_match(&home) && !home.contains("2028"));
    // The disclosure side is fine.
    assert_eq!(
        get_text(&client, &prof.ixit.user_info.security_txt_url())
            .await
            .0,
        200
    );
    assert_eq!(
        get_text(&client, &prof.ixit.user_info.disclosure_policy_url)
            .await
            .0,
        200
    );
}

// ---------------------------------------------------------------------------
// Hostile: the tarpit

#[tokio::test]
async fn tarpit_accepts_and_never_answers() {
    let sim = start(SimProduct::Tarpit).await;
    let mut targets: Vec<_> = sim.services().iter().map(|s| s.local).collect();
    targets.push(sim.website_local());
    assert_eq!(sim.known_ports(), Some(vec![23, 443]));

    let mut held = Vec::new();
    for addr in &targets {
        for _ in 0..5 {
            let mut s = within("connect", TcpStream::connect(addr)).await.unwrap();
            within("write", s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
                .await
                .unwrap();
            held.push(s);
        }
    }
    let mut readers = tokio::task::JoinSet::new();
    for mut s in held {
        readers.spawn(async move {
            let mut buf = [0u8; 16];
            s.read(&mut buf).await.map_err(|e| e.kind())
        });
    }
    let first = tokio::time::timeout(Duration::from_secs(1), readers.join_next()).await;
    assert!(first.is_err(), "the tarpit answered within 1 s: {first:?}");

    // A real HTTPS client gives up by its own timeout.
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = within(
        "client timeout",
        client.get(admin_url(&sim, "/api/status")).send(),
    )
    .await
    .expect_err("the tarpit never answers");
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
    // Dropping `sim` and `held` ends the test without waiting for anything.
}

// ---------------------------------------------------------------------------
// Hostile: garbage and slow clients do not hurt the servers

fn garbage(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

async fn send_garbage(addr: std::net::SocketAddr, bytes: &[u8]) {
    let Ok(mut s) = within("connect", TcpStream::connect(addr)).await else {
        panic!("{addr} refused a connection");
    };
    // The server may hang up half way; that is fine.
    let _ = within("garbage write", s.write_all(bytes)).await;
    let mut sink = vec![0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_millis(300), s.read(&mut sink)).await;
}

#[tokio::test]
async fn servers_survive_garbage_and_slow_clients() {
    let dvr = start(SimProduct::MiraiDvr).await;
    let hub = start(SimProduct::ResetDefaultHub).await;
    let https = dvr.device_addr(443).unwrap();
    let http = hub.device_addr(80).unwrap();

    // A slow client that sends half a request and then nothing.
    let mut slow = within("connect", TcpStream::connect(http)).await.unwrap();
    within(
        "write",
        slow.write_all(b"GET /api/status HTTP/1.1\r\nHost: x\r\n"),
    )
    .await
    .unwrap();

    for (i, addr) in [https, http, telnet_addr(&dvr), dvr.website_local()]
        .into_iter()
        .enumerate()
    {
        send_garbage(addr, &garbage(64 * 1024, i as u64 + 7)).await;
        // Telnet commands and sub-negotiations that never end.
        let mut iac = vec![255u8, 250, 31];
        iac.extend(std::iter::repeat_n(0u8, 4096));
        iac.extend_from_slice(&[255, 253, 200, 255, 251, 200, 255, 255, 0, 13]);
        send_garbage(addr, &iac).await;
    }

    // An oversized request head and an oversized body.
    let mut head = b"GET /login HTTP/1.1\r\nHost: x\r\nX-Fill: ".to_vec();
    head.extend(std::iter::repeat_n(b'a', 100 * 1024));
    head.extend_from_slice(b"\r\n\r\n");
    let mut s = within("connect", TcpStream::connect(http)).await.unwrap();
    let _ = within("write", s.write_all(&head)).await;
    let mut answer = Vec::new();
    let _ = within("read", s.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "{answer}"
    );
    let big = "x".repeat(1024 * 1024);
    let resp = within(
        "big form",
        device_client()
            .post(admin_url(&hub, "/login"))
            .form(&[("username", "admin"), ("password", big.as_str())])
            .send(),
    )
    .await;
    if let Ok(resp) = resp {
        assert_eq!(resp.status(), 413);
    }

    // Everything still answers, promptly, with the slow client still connected.
    let label = label_password(SimProduct::ResetDefaultHub, 0);
    assert_eq!(basic_status(&hub, "admin", &label).await.status(), 200);
    let label = label_password(SimProduct::MiraiDvr, 0);
    assert_eq!(basic_status(&dvr, "admin", &label).await.status(), 200);
    let mut t = Telnet::connect(telnet_addr(&dvr)).await;
    t.read_until("login: ").await;
    let (status, _, _) = get_text(
        &website_client(&dvr),
        "https://www.kestrel-dvr.example/.well-known/security.txt",
    )
    .await;
    assert_eq!(status, 200);
    drop(slow);
}

// ---------------------------------------------------------------------------
// Someone else's client: the curl commands `iotmark simulate` prints work
// (OpenSSL verifies the website chain; skipped where curl is not installed).

#[tokio::test]
async fn printed_curl_commands_work_with_curl() {
    let probe = tokio::process::Command::new("curl")
        .arg("--version")
        .output()
        .await;
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("curl not installed; skipping");
        return;
    }
    let sim = start(SimProduct::GoodCamera).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), sim.website_ca_pem()).unwrap();
    let j = sim.endpoints_json();
    let mut ran = 0;
    for cmd in j["website"]["curl"].as_array().unwrap() {
        let words: Vec<&str> = cmd.as_str().unwrap().split_whitespace().collect();
        assert_eq!(words[0], "curl");
        let out = within(
            "curl",
            tokio::process::Command::new("curl")
                .args(["--silent", "--show-error", "--fail", "--max-time", "5"])
                .args(&words[1..])
                .current_dir(dir.path())
                .kill_on_drop(true)
                .output(),
        )
        .await
        .unwrap();
        assert!(
            out.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        ran += 1;
    }
    assert_eq!(ran, 3);

    // The device's admin API, as printed, with the label password filled in.
    let label = j["unit"]["label_password"].as_str().unwrap();
    let admin = j["services"][0]["try"].as_str().unwrap();
    assert!(admin.contains("PASSWORD"), "{admin}");
    let url = admin.split_whitespace().last().unwrap();
    let out = within(
        "curl admin",
        tokio::process::Command::new("curl")
            .args(["--silent", "--fail", "--max-time", "5", "-k", "-u"])
            .arg(format!("admin:{label}"))
            .arg(url)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("GC-200"));
}

#[tokio::test]
async fn a_simulation_serves_on_the_address_it_is_given() {
    use iotmark_adapters::device::AddressBook;
    let bind = std::net::Ipv4Addr::new(127, 0, 0, 2);
    let sim = within(
        "start",
        sim::start(
            SimProduct::GoodCamera,
            SimConfig {
                bind,
                ..SimConfig::default()
            },
        ),
    )
    .await
    .unwrap();
    assert!(!sim.services().is_empty());
    for s in sim.services() {
        assert_eq!(s.local.ip(), std::net::IpAddr::V4(bind), "{s:?}");
        within("connect", tokio::net::TcpStream::connect(s.local))
            .await
            .unwrap();
    }
    assert_eq!(sim.website_local().ip(), std::net::IpAddr::V4(bind));
    assert_eq!(sim.device_host(), "127.0.0.2");
    let endpoints = sim.endpoints_json().to_string();
    assert!(endpoints.contains("127.0.0.2"), "{endpoints}");
    assert!(!endpoints.contains("127.0.0.1"), "{endpoints}");
}
