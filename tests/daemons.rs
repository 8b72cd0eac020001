//! `net:` against real daemons from Debian, not our simulations: BusyBox
//! telnetd with a login program, Mosquitto with and without anonymous
//! access, and OpenSSL's `s_server` speaking TLS 1.0 with weak suites or TLS
//! 1.2 and later only. Each test starts its daemon on a free loopback port,
//! declares that port in a profile, and runs `iotmark run --device
//! net:127.0.0.1`, asserting the verdicts.
//!
//! The scenarios run are those of `tests/e2e/daemons/features/`, copied from
//! `features/` (checked here) so nothing reaches for a website on the
//! internet. A test whose daemon is not installed prints why and passes
//! without checking anything: `cargo test` on a bare machine. CI installs
//! `busybox-static` (Debian's plain `busybox` has no telnetd), `mosquitto`
//! and `openssl` and sets `IOTMARK_REQUIRE_DAEMONS=1`, so there they run for
//! real or fail.

// Test code: a panic is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod util;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use util::{case_verdicts, iotmark, repo};

/// A Mirai default (`reference/mirai-credentials.csv`).
const MIRAI_USER: &str = "root";
const MIRAI_PASSWORD: &str = "xc3511";
/// A unit-unique password no dictionary holds.
const UNIT_PASSWORD: &str = "Kq7vTx2mRp9wLc4z";

fn daemons_dir() -> PathBuf {
    repo().join("tests/e2e/daemons")
}

/// A daemon we started; killed and reaped when dropped.
struct Daemon {
    name: &'static str,
    child: Child,
    port: u16,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    /// Start `command` (which listens on `port`) and wait until the port
    /// accepts a connection.
    fn start(name: &'static str, mut command: Command, port: u16) -> Daemon {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let mut daemon = Daemon { name, child, port };
        daemon.wait_listening();
        daemon
    }

    fn wait_listening(&mut self) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("child status") {
                panic!("{} exited before listening: {status}", self.name);
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{} is not listening on {addr} after 10 s", self.name);
    }
}

/// A port nothing listens on right now (the system picks it).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// `program` on the PATH or in the usual system folders.
fn find(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// BusyBox with its telnetd applet, or why not.
fn busybox_telnetd() -> Result<PathBuf, String> {
    let busybox = find("busybox").ok_or("busybox is not installed")?;
    let applets = Command::new(&busybox)
        .arg("--list")
        .output()
        .map_err(|e| format!("busybox --list: {e}"))?;
    if String::from_utf8_lossy(&applets.stdout)
        .lines()
        .any(|l| l == "telnetd")
    {
        Ok(busybox)
    } else {
        Err("this busybox has no telnetd applet (Debian: install busybox-static)".into())
    }
}

/// Skip a test whose daemon is missing, unless `IOTMARK_REQUIRE_DAEMONS` is
/// set (CI sets it, so a missing package fails instead of passing quietly).
fn skip(test: &str, why: &str) {
    if std::env::var_os("IOTMARK_REQUIRE_DAEMONS").is_some() {
        panic!("{test}: {why}, and IOTMARK_REQUIRE_DAEMONS is set");
    }
    eprintln!("SKIPPED {test}: {why}");
}

/// Run the calling test inside a network namespace of its own, where
/// loopback holds only the daemons it starts (the sweep scans every port):
/// the test binary runs itself again under `unshare --net --mount` for this
/// one test. `true`: the caller returns at once (the child did the work and
/// passed, or the test was skipped).
fn in_own_netns(test: &str) -> bool {
    if std::env::var_os("IOTMARK_IN_NETNS").is_some() {
        return false;
    }
    let Some(unshare) = find("unshare") else {
        skip(test, "unshare is not installed (util-linux)");
        return true;
    };
    let probe = Command::new(&unshare)
        .args(["--net", "--mount", "true"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        skip(test, "cannot create a network namespace here (needs root)");
        return true;
    }
    let ip = if find("ip").is_some() {
        "ip link set lo up"
    } else {
        "busybox ip link set lo up"
    };
    let exe = std::env::current_exe().expect("the test binary");
    let status = Command::new(unshare)
        .args(["--net", "--mount", "--propagation", "private", "sh", "-c"])
        .arg(format!("{ip} && exec \"$0\" \"$@\""))
        .arg(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("IOTMARK_IN_NETNS", "1")
        .status()
        .expect("unshare runs");
    assert!(status.success(), "{test} failed in its network namespace");
    true
}

/// A minimal declaration of a product whose interfaces are `interfaces`
/// and whose password mechanism guards those with a login. Every website
/// address is a closed loopback port: nothing here reaches the internet.
fn profile(dir: &Path, interfaces: serde_json::Value) -> PathBuf {
    let guarded: Vec<serde_json::Value> = interfaces
        .as_array()
        .expect("interfaces")
        .iter()
        .filter(|i| i.get("login").is_some())
        .map(|i| i["name"].clone())
        .collect();
    profile_guarding(dir, interfaces, guarded)
}

/// As [`profile`], with the password mechanism guarding the interfaces named
/// in `guarded` (an MQTT broker has no login prompt, but may need a password).
fn profile_guarding(
    dir: &Path,
    interfaces: serde_json::Value,
    guarded: Vec<serde_json::Value>,
) -> PathBuf {
    profile_for(dir, interfaces, guarded, MIRAI_USER)
}

/// As [`profile_guarding`], with the mechanism's user name `username`; the
/// unit under test is declared with [`UNIT_PASSWORD`].
fn profile_for(
    dir: &Path,
    interfaces: serde_json::Value,
    guarded: Vec<serde_json::Value>,
    username: &str,
) -> PathBuf {
    let auth = if guarded.is_empty() {
        json!([])
    } else {
        json!([{
            "id": "AUTH-CONSOLE",
            "description": "Administrator login.",
            "factor": "password",
            "interfaces": guarded,
            "username": username,
            "password": {
                "kind": "unique-per-unit",
                "generation_mechanism": "16 characters drawn from the production line's hardware random number generator.",
                "generation_inputs": ["csprng"],
                "minimum_length": 16
            },
            "brute_force_prevention": "None declared."
        }])
    };
    let site = "https://127.0.0.1:1";
    let doc = json!({
        "profile_version": 1,
        "product": {
            "manufacturer": "Loopback Daemons Ltd",
            "manufacturer_address": "1 Test Street, Leeds LS1 1AA, United Kingdom",
            "model": "LD-1",
            "type": "test rig",
            "batch": "2025-01",
            "firmware": "1.0.0"
        },
        "conditions": {
            "passwords_used": !guarded.is_empty(),
            "preinstalled_passwords": !guarded.is_empty(),
            "constrained": false,
            "user_authentication": !guarded.is_empty(),
            "update_mechanism": false,
            "network_updates": false,
            "automatic_updates_or_notifications": false
        },
        "ics": {
            "5.1-1": {"support": "Y", "detail": "Each unit has its own console password."},
            "5.1-3": {"support": "Y", "detail": "Logins as declared in the interfaces."},
            "5.5-1": {"support": "Y", "detail": "TLS as declared in the interfaces."},
            "5.5-4": {"support": "Y", "detail": "Guarded interfaces as declared."}
        },
        "ixit": {
            "auth_mechanisms": auth,
            "user_info": {
                "manufacturer_website": format!("{site}/"),
                "disclosure_policy_url": format!("{site}/security"),
                "support_period": {"url": format!("{site}/support"), "end_date": "2030-06-30"}
            },
            "interfaces": interfaces
        },
        "units": [{"serial": "LD1-0001", "initial_password": UNIT_PASSWORD}]
    });
    let path = dir.join("profile.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    path
}

/// `iotmark run` on `net:127.0.0.1` with the daemons' scenarios; the test
/// case verdicts.
fn run(dir: &Path, profile: &Path) -> std::collections::BTreeMap<String, String> {
    run_scheme(dir, profile, "en303645")
}

/// [`run`] under another scheme (`en303645-full` for recommendations).
fn run_scheme(
    dir: &Path,
    profile: &Path,
    scheme: &str,
) -> std::collections::BTreeMap<String, String> {
    let out = dir.join("run");
    let features = daemons_dir().join("features");
    let r = iotmark([
        "run",
        "--profile",
        profile.to_str().unwrap(),
        "--device",
        "net:127.0.0.1",
        "--scheme",
        scheme,
        "--features",
        features.to_str().unwrap(),
        "--rate",
        "100",
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(
        matches!(r.code, 0 | 1 | 3),
        "iotmark run failed (exit {}):\n{}",
        r.code,
        r.stderr
    );
    let verdicts = case_verdicts(&r.json());
    eprintln!("verdicts: {verdicts:?} ({:.1} s)", r.elapsed.as_secs_f64());
    verdicts
}

/// A test case's reason from the written report.
fn reason(dir: &Path, case: &str) -> String {
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("run/report.json")).unwrap()).unwrap();
    report["provisions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["test_cases"].as_array().unwrap().iter())
        .find(|t| t["id"] == case)
        .map(|t| t["reason"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default()
}

fn telnetd(busybox: &Path, dir: &Path, user: &str, password: &str) -> Daemon {
    let script = std::fs::read_to_string(daemons_dir().join("login.sh"))
        .unwrap()
        .replace("@USER@", user)
        .replace("@PASSWORD@", password);
    let login = dir.join("login.sh");
    std::fs::write(&login, script).unwrap();
    let mut perms = std::fs::metadata(&login).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o700);
    std::fs::set_permissions(&login, perms).unwrap();
    let issue = dir.join("issue");
    std::fs::write(&issue, "\n").unwrap();
    let port = free_port();
    let mut cmd = Command::new(busybox);
    cmd.args([
        "telnetd",
        "-F",
        "-K",
        "-b",
        "127.0.0.1",
        "-p",
        &port.to_string(),
    ])
    .arg("-l")
    .arg(&login)
    .arg("-f")
    .arg(&issue);
    Daemon::start("busybox telnetd", cmd, port)
}

fn telnet_interfaces(port: u16) -> serde_json::Value {
    json!([{
        "name": "console",
        "protocol": "telnet",
        "port": port,
        "enabled": true,
        "login": {"kind": "telnet-prompt"},
        "description": "Service console"
    }])
}

#[test]
fn busybox_telnetd_with_a_mirai_default_fails_the_password_provisions() {
    if in_own_netns("busybox_telnetd_with_a_mirai_default_fails_the_password_provisions") {
        return;
    }
    let name = "busybox_telnetd_with_a_mirai_default_fails_the_password_provisions";
    let busybox = match busybox_telnetd() {
        Ok(b) => b,
        Err(why) => return skip(name, &why),
    };
    let dir = tempfile::tempdir().unwrap();
    let daemon = telnetd(&busybox, dir.path(), MIRAI_USER, MIRAI_PASSWORD);
    let profile = profile(dir.path(), telnet_interfaces(daemon.port));
    let verdicts = run(dir.path(), &profile);
    assert_eq!(verdicts["5.1-1-2"], "FAIL");
    let why = reason(dir.path(), "5.1-1-2");
    assert!(why.contains("root"), "the FAIL names the credential: {why}");
    // Telnet carries the password in the clear.
    assert_eq!(verdicts["5.1-3-2"], "FAIL");
    assert_eq!(verdicts["5.5-1-2"], "FAIL");
}

#[test]
fn busybox_telnetd_with_a_unit_password_passes_the_dictionary() {
    if in_own_netns("busybox_telnetd_with_a_unit_password_passes_the_dictionary") {
        return;
    }
    let name = "busybox_telnetd_with_a_unit_password_passes_the_dictionary";
    let busybox = match busybox_telnetd() {
        Ok(b) => b,
        Err(why) => return skip(name, &why),
    };
    let dir = tempfile::tempdir().unwrap();
    let daemon = telnetd(&busybox, dir.path(), MIRAI_USER, UNIT_PASSWORD);
    let profile = profile(dir.path(), telnet_interfaces(daemon.port));
    let verdicts = run(dir.path(), &profile);
    assert_eq!(
        verdicts["5.1-1-2"],
        "PASS",
        "{}",
        reason(dir.path(), "5.1-1-2")
    );
    // Still telnet: the password crosses the network in the clear.
    assert_eq!(verdicts["5.1-3-2"], "FAIL");
}

/// A self-signed RSA certificate and key for `s_server`.
fn certificate(openssl: &Path, dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = Command::new(openssl)
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "openssl req failed");
    (cert, key)
}

fn s_server(openssl: &Path, dir: &Path, protocol_args: &[&str]) -> Daemon {
    let (cert, key) = certificate(openssl, dir);
    let port = free_port();
    let mut cmd = Command::new(openssl);
    cmd.args(["s_server", "-accept", &format!("127.0.0.1:{port}"), "-www"])
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .args(protocol_args);
    Daemon::start("openssl s_server", cmd, port)
}

/// The TLS server declared as the product's HTTPS admin interface (with a
/// login, so 5.5-1-2 has a login to check for cleartext: it has none).
/// `s_server -www` answers every request with its status page, so the
/// dictionary sweep finds it open to anyone; that is not what these tests
/// are about, and 5.1-1-2 is not asserted.
fn tls_interfaces(port: u16) -> serde_json::Value {
    json!([{
        "name": "admin-web",
        "protocol": "https",
        "port": port,
        "enabled": true,
        "login": {"kind": "http-basic", "path": "/"},
        "description": "Web administration over TLS"
    }])
}

#[test]
fn openssl_s_server_accepting_tls_1_0_fails_5_5_1_2() {
    if in_own_netns("openssl_s_server_accepting_tls_1_0_fails_5_5_1_2") {
        return;
    }
    let name = "openssl_s_server_accepting_tls_1_0_fails_5_5_1_2";
    let Some(openssl) = find("openssl") else {
        return skip(name, "openssl is not installed");
    };
    let dir = tempfile::tempdir().unwrap();
    // OpenSSL 3 refuses TLS 1.0 below security level 0.
    let daemon = s_server(
        &openssl,
        dir.path(),
        &["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"],
    );
    let profile = profile(dir.path(), tls_interfaces(daemon.port));
    let verdicts = run(dir.path(), &profile);
    assert_eq!(verdicts["5.5-1-2"], "FAIL");
    let why = reason(dir.path(), "5.5-1-2");
    assert!(why.contains("TLS 1.0"), "the FAIL names TLS 1.0: {why}");
}

#[test]
fn openssl_s_server_with_tls_1_2_and_later_only_passes_5_5_1_2() {
    if in_own_netns("openssl_s_server_with_tls_1_2_and_later_only_passes_5_5_1_2") {
        return;
    }
    let name = "openssl_s_server_with_tls_1_2_and_later_only_passes_5_5_1_2";
    let Some(openssl) = find("openssl") else {
        return skip(name, "openssl is not installed");
    };
    let dir = tempfile::tempdir().unwrap();
    let daemon = s_server(
        &openssl,
        dir.path(),
        &[
            "-no_tls1",
            "-no_tls1_1",
            "-cipher",
            "ECDHE+AESGCM:ECDHE+CHACHA20",
        ],
    );
    let profile = profile(dir.path(), tls_interfaces(daemon.port));
    let verdicts = run(dir.path(), &profile);
    assert_eq!(
        verdicts["5.5-1-2"],
        "PASS",
        "{}",
        reason(dir.path(), "5.5-1-2")
    );
}

fn mosquitto(dir: &Path, conf: &str) -> Option<Daemon> {
    let text = std::fs::read_to_string(daemons_dir().join(conf)).unwrap();
    mosquitto_with(dir, conf, text)
}

/// Mosquitto with configuration `text` (the listener line is added),
/// written to `dir/name`.
fn mosquitto_with(dir: &Path, name: &str, mut text: String) -> Option<Daemon> {
    let binary = find("mosquitto")?;
    let port = free_port();
    text.push_str(&format!("listener {port} 127.0.0.1\n"));
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let mut cmd = Command::new(binary);
    cmd.arg("-c").arg(&path);
    Some(Daemon::start("mosquitto", cmd, port))
}

/// A profile for the broker on `port`, declared guarded by the password
/// mechanism: a client must not get in without credentials.
fn broker_profile(dir: &Path, port: u16) -> PathBuf {
    let interfaces = json!([{
        "name": "broker",
        "protocol": "mqtt",
        "port": port,
        "enabled": true,
        "description": "Local MQTT broker"
    }]);
    profile_guarding(dir, interfaces, vec![json!("broker")])
}

#[test]
fn mosquitto_allowing_anonymous_clients_fails_5_5_4_2() {
    if in_own_netns("mosquitto_allowing_anonymous_clients_fails_5_5_4_2") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(daemon) = mosquitto(dir.path(), "mosquitto-open.conf") else {
        return skip(
            "mosquitto_allowing_anonymous_clients_fails_5_5_4_2",
            "mosquitto is not installed",
        );
    };
    let profile = broker_profile(dir.path(), daemon.port);
    let verdicts = run_scheme(dir.path(), &profile, "en303645-full");
    assert_eq!(verdicts["5.5-4-2"], "FAIL", "{verdicts:?}");
    let why = reason(dir.path(), "5.5-4-2");
    assert!(
        why.contains(&format!("broker of broker (port {})", daemon.port))
            && why.contains("accepted it (CONNACK 0)")
            && why.contains("granted a subscription to every topic"),
        "{why}"
    );
}

#[test]
fn mosquitto_refusing_anonymous_clients_passes_5_5_4_2() {
    if in_own_netns("mosquitto_refusing_anonymous_clients_passes_5_5_4_2") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(daemon) = mosquitto(dir.path(), "mosquitto-closed.conf") else {
        return skip(
            "mosquitto_refusing_anonymous_clients_passes_5_5_4_2",
            "mosquitto is not installed",
        );
    };
    let profile = broker_profile(dir.path(), daemon.port);
    let verdicts = run_scheme(dir.path(), &profile, "en303645-full");
    let why = reason(dir.path(), "5.5-4-2");
    assert_eq!(verdicts["5.5-4-2"], "PASS", "{why}");
    assert!(
        why.contains("refused it (CONNACK 5: not authorised)"),
        "{why}"
    );
}

/// Every rule, scenario and step of the daemons' feature file is in
/// `features/`, word for word: the daemons run the suite's own steps.
#[test]
fn the_daemon_scenarios_are_the_suites_own() {
    let mut suite = String::new();
    for folder in ["features/psti", "features/en303645"] {
        for entry in std::fs::read_dir(repo().join(folder)).unwrap() {
            suite.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
        }
    }
    let suite_lines: std::collections::BTreeSet<&str> = suite.lines().map(str::trim).collect();
    let ours = std::fs::read_to_string(daemons_dir().join("features/daemons.feature")).unwrap();
    let mut checked = 0;
    for line in ours.lines().map(str::trim) {
        let step = ["Scenario:", "Rule:", "Given ", "When ", "Then ", "And "]
            .iter()
            .any(|k| line.starts_with(k));
        if step {
            assert!(suite_lines.contains(line), "not in features/: {line}");
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} lines checked");
}

/// `--fleet FILE` with two `net:` units (here the same loopback host twice):
/// one report per unit, in the folders the file names, and the summary.
#[test]
fn a_fleet_file_runs_every_real_unit() {
    if in_own_netns("a_fleet_file_runs_every_real_unit") {
        return;
    }
    let name = "a_fleet_file_runs_every_real_unit";
    let Some(openssl) = find("openssl") else {
        return skip(name, "openssl is not installed");
    };
    let dir = tempfile::tempdir().unwrap();
    let daemon = s_server(
        &openssl,
        dir.path(),
        &["-no_tls1", "-no_tls1_1", "-cipher", "ECDHE+AESGCM"],
    );
    let profile = profile(dir.path(), tls_interfaces(daemon.port));
    // Two declared units, one for each bench unit.
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&profile).unwrap()).unwrap();
    doc["units"] = json!([
        {"serial": "LD1-0001", "initial_password": UNIT_PASSWORD},
        {"serial": "LD1-0002", "initial_password": "Wd3nRv8sLq5xTz2k"}
    ]);
    std::fs::write(&profile, doc.to_string()).unwrap();
    let fleet = dir.path().join("fleet.json");
    let units = json!({
        "fleet_version": 1,
        "units": [
            {"device": "net:127.0.0.1", "name": "bench-a", "unit": 0},
            {"device": "net:127.0.0.1", "name": "bench-b", "unit": 1}
        ]
    });
    std::fs::write(&fleet, units.to_string()).unwrap();
    let out = dir.path().join("fleet-run");
    let features = daemons_dir().join("features");
    let r = iotmark([
        "run",
        "--profile",
        profile.to_str().unwrap(),
        "--fleet",
        fleet.to_str().unwrap(),
        "--scheme",
        "en303645",
        "--features",
        features.to_str().unwrap(),
        "--rate",
        "100",
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    // s_server -www lets anyone in, a random wrong password too: the
    // login judge cannot be calibrated, so 5.1-1-2 is INCONCLUSIVE on both.
    assert_eq!(r.code, 3, "{}", r.stderr);
    let summary = r.json();
    assert_eq!(summary["units"], 2);
    assert_eq!(summary["counts"]["inconclusive"], 2, "{summary}");
    for (i, unit) in ["bench-a", "bench-b"].iter().enumerate() {
        assert_eq!(summary["results"][i]["device"], "net:127.0.0.1");
        let report: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out.join("units").join(unit).join("report.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(case_verdicts(&report)["5.5-1-2"], "PASS", "{unit}");
    }
}

// The zoo: real daemons and firmware-style servers, each in a vulnerable
// configuration (a Mirai or well-known default works) and a hardened one
// (only the unit's own password works). Every login verdict is asserted;
// each run prints a `ZOO |` row (configuration, expected, verdict).

#[path = "daemons/firmware.rs"]
mod firmware;

/// A Mirai default that web and gateway consoles ship with.
const MIRAI_ADMIN: (&str, &str) = ("admin", "admin");
/// Another Mirai default, for daemons that hold one password per user.
const MIRAI_USER_USER: (&str, &str) = ("user", "user");

/// Print one row of the zoo table and check it.
fn zoo(
    config: &str,
    expected: &str,
    verdicts: &std::collections::BTreeMap<String, String>,
    dir: &Path,
) {
    let got = verdicts.get("5.1-1-2").cloned().unwrap_or_default();
    eprintln!("ZOO | {config} | {expected} | {got}");
    assert_eq!(got, expected, "{config}: {}", reason(dir, "5.1-1-2"));
}

/// lighttpd with HTTP authentication (`basic` or `digest`, with
/// `algorithm` for Digest) on `/`, accepting `users`.
fn lighttpd(
    dir: &Path,
    method: &str,
    algorithm: Option<&str>,
    users: &[(&str, &str)],
) -> Option<Daemon> {
    let binary = find("lighttpd")?;
    let root = dir.join("www");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("index.html"), "<h1>Camera</h1>").unwrap();
    let userfile = dir.join("users");
    let lines: Vec<String> = users.iter().map(|(u, p)| format!("{u}:{p}")).collect();
    std::fs::write(&userfile, lines.join("\n") + "\n").unwrap();
    let port = free_port();
    let algorithm = algorithm
        .map(|a| format!(", \"algorithm\" => \"{a}\""))
        .unwrap_or_default();
    let conf = format!(
        "server.document-root = \"{root}\"\nserver.bind = \"127.0.0.1\"\nserver.port = {port}\n\
         index-file.names = (\"index.html\")\n\
         server.modules = (\"mod_auth\", \"mod_authn_file\")\n\
         auth.backend = \"plain\"\nauth.backend.plain.userfile = \"{users}\"\n\
         auth.require = (\"/\" => (\"method\" => \"{method}\", \"realm\" => \"IPCamera\", \"require\" => \"valid-user\"{algorithm}))\n",
        root = root.display(),
        users = userfile.display(),
    );
    let path = dir.join("lighttpd.conf");
    std::fs::write(&path, conf).unwrap();
    let mut cmd = Command::new(binary);
    cmd.arg("-D").arg("-f").arg(&path);
    Some(Daemon::start("lighttpd", cmd, port))
}

fn web_interfaces(port: u16, login: serde_json::Value) -> serde_json::Value {
    json!([{
        "name": "admin-web",
        "protocol": "http",
        "port": port,
        "enabled": true,
        "login": login,
        "description": "Web administration"
    }])
}

/// A web zoo row: configuration, lighttpd auth method, Digest algorithm,
/// declared login, vulnerable, expected 5.1-1-2 verdict.
type WebCase = (
    &'static str,
    &'static str,
    Option<&'static str>,
    serde_json::Value,
    bool,
    &'static str,
);

#[test]
fn zoo_lighttpd_basic_and_digest() {
    let name = "zoo_lighttpd_basic_and_digest";
    if in_own_netns(name) {
        return;
    }
    let cases: [WebCase; 4] = [
        (
            "lighttpd Basic, user/user",
            "basic",
            None,
            json!({"kind": "http-basic", "path": "/index.html"}),
            true,
            "FAIL",
        ),
        (
            "lighttpd Basic, unit password",
            "basic",
            None,
            json!({"kind": "http-basic", "path": "/index.html"}),
            false,
            "PASS",
        ),
        // Declared as http-basic: the Digest-only challenge is answered.
        (
            "lighttpd Digest MD5 (declared http-basic), user/user",
            "digest",
            Some("MD5"),
            json!({"kind": "http-basic", "path": "/index.html"}),
            true,
            "FAIL",
        ),
        (
            "lighttpd Digest SHA-256, unit password",
            "digest",
            Some("SHA-256"),
            json!({"kind": "http-digest", "path": "/index.html"}),
            false,
            "PASS",
        ),
    ];
    for (config, method, algorithm, login, vulnerable, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut users = vec![(MIRAI_ADMIN.0, UNIT_PASSWORD)];
        if vulnerable {
            users.push(MIRAI_USER_USER);
        }
        let Some(daemon) = lighttpd(dir.path(), method, algorithm, &users) else {
            return skip(name, "lighttpd is not installed");
        };
        let guarded = vec![json!("admin-web")];
        let profile = profile_for(
            dir.path(),
            web_interfaces(daemon.port, login),
            guarded,
            MIRAI_ADMIN.0,
        );
        let verdicts = run(dir.path(), &profile);
        zoo(config, expected, &verdicts, dir.path());
        let why = reason(dir.path(), "5.1-1-2");
        assert!(
            why.contains("calibration: accepted reference: declared credential read as accepted"),
            "{why}"
        );
        if vulnerable {
            assert!(why.contains("accepts user / "), "{why}");
        }
        // Plain HTTP carries the password (or its digest) in the clear.
        assert_eq!(verdicts["5.1-3-2"], "FAIL");
        assert_eq!(verdicts["5.5-1-2"], "FAIL");
    }
}

/// BusyBox telnetd running `script` (a login program in
/// `tests/e2e/daemons/`) that accepts two pairs.
fn telnetd_with(
    busybox: &Path,
    dir: &Path,
    script: &str,
    first: (&str, &str),
    second: (&str, &str),
) -> Daemon {
    let text = std::fs::read_to_string(daemons_dir().join(script))
        .unwrap()
        .replace("@USER2@", second.0)
        .replace("@PASSWORD2@", second.1)
        .replace("@USER@", first.0)
        .replace("@PASSWORD@", first.1);
    let login = dir.join(script);
    std::fs::write(&login, text).unwrap();
    let mut perms = std::fs::metadata(&login).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o700);
    std::fs::set_permissions(&login, perms).unwrap();
    let issue = dir.join("issue");
    std::fs::write(&issue, "\n").unwrap();
    let port = free_port();
    let mut cmd = Command::new(busybox);
    cmd.args([
        "telnetd",
        "-F",
        "-K",
        "-b",
        "127.0.0.1",
        "-p",
        &port.to_string(),
    ])
    .arg("-l")
    .arg(&login)
    .arg("-f")
    .arg(&issue);
    Daemon::start("busybox telnetd", cmd, port)
}

#[test]
fn zoo_busybox_telnetd_gateway_console() {
    let name = "zoo_busybox_telnetd_gateway_console";
    if in_own_netns(name) {
        return;
    }
    let busybox = match busybox_telnetd() {
        Ok(b) => b,
        Err(why) => return skip(name, &why),
    };
    let unit = (MIRAI_ADMIN.0, UNIT_PASSWORD);
    for (config, second, expected) in [
        (
            "telnetd, gateway console (banner, pause, User Name:, WAP>), admin/admin",
            MIRAI_ADMIN,
            "FAIL",
        ),
        ("telnetd, gateway console, unit password", unit, "PASS"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let daemon = telnetd_with(&busybox, dir.path(), "login-wap.sh", unit, second);
        let guarded = vec![json!("console")];
        let profile = profile_for(
            dir.path(),
            telnet_interfaces(daemon.port),
            guarded,
            MIRAI_ADMIN.0,
        );
        let verdicts = run(dir.path(), &profile);
        zoo(config, expected, &verdicts, dir.path());
        assert_eq!(verdicts["5.1-3-2"], "FAIL");
        assert_eq!(verdicts["5.5-1-2"], "FAIL");
    }
}

#[test]
fn zoo_mosquitto_with_a_password_file() {
    let name = "zoo_mosquitto_with_a_password_file";
    if in_own_netns(name) {
        return;
    }
    let Some(passwd) = find("mosquitto_passwd") else {
        return skip(name, "mosquitto_passwd is not installed");
    };
    for (config, vulnerable, expected) in [
        ("mosquitto, password file with user/user", true, "FAIL"),
        (
            "mosquitto, password file with the unit password",
            false,
            "PASS",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("passwords");
        let mut users = vec![(MIRAI_ADMIN.0, UNIT_PASSWORD)];
        if vulnerable {
            users.push(MIRAI_USER_USER);
        }
        for (i, (u, p)) in users.iter().enumerate() {
            let mut cmd = Command::new(&passwd);
            if i == 0 {
                cmd.arg("-c");
            }
            let ok = cmd.arg("-b").arg(&file).args([u, p]).status().unwrap();
            assert!(ok.success(), "mosquitto_passwd");
        }
        let conf = format!(
            "allow_anonymous false\npersistence false\nlog_dest stderr\nuser root\npassword_file {}\n",
            file.display()
        );
        let Some(daemon) = mosquitto_with(dir.path(), "mosquitto-passwords.conf", conf) else {
            return skip(name, "mosquitto is not installed");
        };
        let interfaces = json!([{
            "name": "broker",
            "protocol": "mqtt",
            "port": daemon.port,
            "enabled": true,
            "login": {"kind": "mqtt-connect"},
            "description": "Local MQTT broker"
        }]);
        let profile = profile_for(dir.path(), interfaces, vec![json!("broker")], MIRAI_ADMIN.0);
        let verdicts = run(dir.path(), &profile);
        zoo(config, expected, &verdicts, dir.path());
        // One cleartext rule: an MQTT password in the clear fails both.
        assert_eq!(verdicts["5.1-3-2"], "FAIL");
        assert_eq!(verdicts["5.5-1-2"], "FAIL");
        assert!(reason(dir.path(), "5.5-1-2").contains("MQTT login on broker"));
    }
}

#[test]
fn zoo_firmware_form_logins() {
    let name = "zoo_firmware_form_logins";
    if in_own_netns(name) {
        return;
    }
    let unit = (MIRAI_ADMIN.0.to_string(), UNIT_PASSWORD.to_string());
    let mirai = (MIRAI_ADMIN.0.to_string(), MIRAI_ADMIN.1.to_string());
    for (style, path, label) in [
        (
            firmware::Style::ChangePasswordPage,
            "/login",
            "form, success page holds a change-password form",
        ),
        (
            firmware::Style::ErrorRedirect,
            "/cgi-bin/login.cgi",
            "form, failure redirects to /login.html?error=1",
        ),
        (
            firmware::Style::JsonToken,
            "/api/login",
            "form, JSON token answer without a cookie",
        ),
    ] {
        for (vulnerable, expected) in [(true, "FAIL"), (false, "PASS")] {
            let dir = tempfile::tempdir().unwrap();
            let mut accepted = vec![unit.clone()];
            if vulnerable {
                accepted.push(mirai.clone());
            }
            let server = firmware::start(style, accepted);
            let port = server.port;
            let login = json!({"kind": "http-form", "path": path, "username_field": "username", "password_field": "password"});
            let profile = profile_for(
                dir.path(),
                web_interfaces(port, login),
                vec![json!("admin-web")],
                MIRAI_ADMIN.0,
            );
            let verdicts = run(dir.path(), &profile);
            let config = format!(
                "{label}, {}",
                if vulnerable {
                    "admin/admin"
                } else {
                    "unit password"
                }
            );
            zoo(&config, expected, &verdicts, dir.path());
        }
    }
}

#[test]
fn zoo_an_unreadable_answer_to_the_accepted_credential_is_inconclusive() {
    let name = "zoo_an_unreadable_answer_to_the_accepted_credential_is_inconclusive";
    if in_own_netns(name) {
        return;
    }
    let unit = (MIRAI_ADMIN.0.to_string(), UNIT_PASSWORD.to_string());
    let mirai = (MIRAI_USER.to_string(), MIRAI_PASSWORD.to_string());
    let dir = tempfile::tempdir().unwrap();
    // root/xc3511 works, but its answer is a 500 with garbage.
    let server = firmware::start(firmware::Style::UnreadableSuccess, vec![unit, mirai]);
    let port = server.port;
    let login = json!({"kind": "http-basic", "path": "/"});
    let profile = profile_for(
        dir.path(),
        web_interfaces(port, login),
        vec![json!("admin-web")],
        MIRAI_ADMIN.0,
    );
    let verdicts = run(dir.path(), &profile);
    zoo(
        "Basic, root/xc3511 answered with an unreadable 500",
        "INCONCLUSIVE",
        &verdicts,
        dir.path(),
    );
    let why = reason(dir.path(), "5.1-1-2");
    assert!(
        why.contains("admin-web") && why.contains("could not be judged"),
        "{why}"
    );
    assert!(why.contains("credential #"), "names the entry: {why}");
    assert!(!why.contains(MIRAI_PASSWORD), "never the password: {why}");
    let evidence = std::fs::read_to_string(dir.path().join("run/evidence.jsonl")).unwrap();
    assert!(!evidence.contains(MIRAI_PASSWORD), "nor in the evidence");
}

#[test]
fn zoo_an_authenticated_protocol_that_cannot_be_swept_is_inconclusive() {
    let name = "zoo_an_authenticated_protocol_that_cannot_be_swept_is_inconclusive";
    if in_own_netns(name) {
        return;
    }
    let busybox = match busybox_telnetd() {
        Ok(b) => b,
        Err(why) => return skip(name, &why),
    };
    let dir = tempfile::tempdir().unwrap();
    let unit = (MIRAI_ADMIN.0, UNIT_PASSWORD);
    let daemon = telnetd_with(&busybox, dir.path(), "login-wap.sh", unit, unit);
    // An RTSP service guarded by the password: no probe sweeps it.
    let rtsp = TcpListener::bind("127.0.0.1:0").unwrap();
    let rtsp_port = rtsp.local_addr().unwrap().port();
    let mut interfaces = telnet_interfaces(daemon.port);
    interfaces.as_array_mut().unwrap().push(json!({
        "name": "video", "protocol": "rtsp", "port": rtsp_port, "enabled": true,
        "description": "Video stream"
    }));
    let profile = profile_for(
        dir.path(),
        interfaces,
        vec![json!("console"), json!("video")],
        MIRAI_ADMIN.0,
    );
    let verdicts = run(dir.path(), &profile);
    zoo(
        "hardened telnet + password-guarded RTSP",
        "INCONCLUSIVE",
        &verdicts,
        dir.path(),
    );
    let why = reason(dir.path(), "5.1-1-2");
    assert!(why.contains("not swept: video (rtsp"), "{why}");
    drop(rtsp);
}

#[test]
fn zoo_an_undeclared_web_admin_is_swept() {
    let name = "zoo_an_undeclared_web_admin_is_swept";
    if in_own_netns(name) {
        return;
    }
    let busybox = match busybox_telnetd() {
        Ok(b) => b,
        Err(why) => return skip(name, &why),
    };
    let dir = tempfile::tempdir().unwrap();
    let unit = (MIRAI_ADMIN.0, UNIT_PASSWORD);
    let daemon = telnetd_with(&busybox, dir.path(), "login-wap.sh", unit, unit);
    let web_dir = dir.path().join("web");
    std::fs::create_dir_all(&web_dir).unwrap();
    let Some(web) = lighttpd(&web_dir, "basic", None, &[MIRAI_USER_USER]) else {
        return skip(name, "lighttpd is not installed");
    };
    let profile = profile_for(
        dir.path(),
        telnet_interfaces(daemon.port),
        vec![json!("console")],
        MIRAI_ADMIN.0,
    );
    let verdicts = run(dir.path(), &profile);
    zoo(
        "hardened telnet + undeclared lighttpd Basic user/user",
        "FAIL",
        &verdicts,
        dir.path(),
    );
    let why = reason(dir.path(), "5.1-1-2");
    assert!(
        why.contains(&format!("undeclared-http-{}", web.port)),
        "{why}"
    );
}

/// OpenSSH's sshd on a free loopback port, with the accounts `accounts`
/// (user, password) in place of the host's: inside the test's own mount
/// namespace, /etc/passwd and /etc/shadow are bind-mounted over by copies
/// holding them. `keyboard_interactive`: passwords only through PAM's
/// keyboard-interactive, password authentication off.
fn sshd(
    dir: &Path,
    accounts: &[(&str, &str)],
    keyboard_interactive: bool,
) -> Result<Daemon, String> {
    let sshd = find("sshd").ok_or("openssh-server is not installed")?;
    let keygen = find("ssh-keygen").ok_or("ssh-keygen is not installed")?;
    let openssl = find("openssl").ok_or("openssl is not installed")?;
    let key = dir.join("host_ed25519");
    let made = Command::new(keygen)
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .map_err(|e| e.to_string())?;
    assert!(made.success(), "ssh-keygen");
    let mut passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let mut shadow = String::new();
    for line in passwd.lines() {
        let user = line.split(':').next().unwrap_or("");
        if !accounts.iter().any(|(u, _)| *u == user) {
            shadow.push_str(&format!("{user}:*:19000:0:99999:7:::\n"));
        }
    }
    for (i, (user, password)) in accounts.iter().enumerate() {
        let hash = Command::new(&openssl)
            .args(["passwd", "-6", password])
            .output()
            .unwrap();
        let hash = String::from_utf8(hash.stdout).unwrap().trim().to_string();
        shadow.push_str(&format!("{user}:{hash}:19000:0:99999:7:::\n"));
        if !passwd.lines().any(|l| l.starts_with(&format!("{user}:"))) {
            passwd.push_str(&format!(
                "{user}:x:{}:{}::/tmp:/bin/sh\n",
                4000 + i,
                4000 + i
            ));
        }
    }
    let passwd_file = dir.join("passwd");
    let shadow_file = dir.join("shadow");
    std::fs::write(&passwd_file, passwd).unwrap();
    std::fs::write(&shadow_file, shadow).unwrap();
    for (file, over) in [(&passwd_file, "/etc/passwd"), (&shadow_file, "/etc/shadow")] {
        let bound = Command::new("mount")
            .arg("--bind")
            .arg(file)
            .arg(over)
            .status()
            .map_err(|e| e.to_string())?;
        if !bound.success() {
            return Err(format!("cannot bind-mount over {over}"));
        }
    }
    std::fs::create_dir_all("/run/sshd").ok();
    let port = free_port();
    let (password, kbd, pam) = if keyboard_interactive {
        ("no", "yes", "yes")
    } else {
        ("yes", "no", "no")
    };
    let conf = dir.join("sshd_config");
    std::fs::write(
        &conf,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile none\nPermitRootLogin yes\n\
             PasswordAuthentication {password}\nKbdInteractiveAuthentication {kbd}\nUsePAM {pam}\n\
             PubkeyAuthentication no\nMaxStartups 64\nLogLevel ERROR\n",
            key.display()
        ),
    )
    .unwrap();
    let mut cmd = Command::new(sshd);
    cmd.arg("-D").arg("-e").arg("-f").arg(&conf);
    Ok(Daemon::start("sshd", cmd, port))
}

#[test]
fn zoo_openssh_password_and_keyboard_interactive() {
    let name = "zoo_openssh_password_and_keyboard_interactive";
    if in_own_netns(name) {
        return;
    }
    for (config, keyboard_interactive, vulnerable, expected) in [
        (
            "sshd, password authentication, admin/admin",
            false,
            true,
            "FAIL",
        ),
        (
            "sshd, password authentication, unit password",
            false,
            false,
            "PASS",
        ),
        (
            "sshd, keyboard-interactive only (PAM), admin/admin",
            true,
            true,
            "FAIL",
        ),
        (
            "sshd, keyboard-interactive only (PAM), unit password",
            true,
            false,
            "PASS",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut accounts = vec![(MIRAI_USER, UNIT_PASSWORD)];
        if vulnerable {
            accounts.push(MIRAI_ADMIN);
        }
        let daemon = match sshd(dir.path(), &accounts, keyboard_interactive) {
            Ok(d) => d,
            Err(why) => return skip(name, &why),
        };
        let interfaces = json!([{
            "name": "ssh",
            "protocol": "ssh",
            "port": daemon.port,
            "enabled": true,
            "login": {"kind": "ssh-password"},
            "description": "Maintenance shell"
        }]);
        let profile = profile_for(dir.path(), interfaces, vec![json!("ssh")], MIRAI_USER);
        let verdicts = run(dir.path(), &profile);
        zoo(config, expected, &verdicts, dir.path());
        // SSH encrypts: no cleartext login.
        assert_eq!(
            verdicts["5.5-1-2"],
            "PASS",
            "{}",
            reason(dir.path(), "5.5-1-2")
        );
        drop(daemon);
        for over in ["/etc/passwd", "/etc/shadow"] {
            let _ = Command::new("umount").arg(over).status();
        }
    }
}
