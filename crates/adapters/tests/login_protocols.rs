//! The FTP, SNMP, RTSP and UDP discovery probes against real daemons from
//! Debian — vsftpd (a local user through PAM, in the clear or with TLS
//! forced), net-snmp's snmpd (read-only and read-write communities), an
//! RTSP camera on GStreamer's RTSP server (Basic or Digest) — each in a
//! vulnerable and a hardened configuration — and, for UDP discovery, snmpd,
//! tftpd-hpa and libcoap's coap-server; and against small servers of our own
//! for what no daemon here reproduces (SSDP, mDNS and WS-Discovery answers,
//! SNMP agents that answer wrong communities or any community, hostile
//! servers that never answer, flood or send garbage).
//!
//! Every daemon test runs inside a network and mount namespace of its own:
//! the test binary runs itself again under `unshare --net --mount` with
//! loopback brought up ([`isolated`]), so the daemons listen on their
//! standard ports (21, 161, 554…) on a loopback nobody else shares, and the
//! vsftpd user's `/etc/passwd` and `/etc/shadow` entries are bind-mounted
//! over the system's files only inside that namespace. Daemons are stopped
//! by PID. A machine without the daemons (or without the right to create
//! namespaces) skips with the reason printed, unless IOTMARK_REQUIRE_DAEMONS
//! is set (CI), where it fails.

// Test code: a panic is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use iotmark_adapters::device::{Credential, LoginOutcome, ProbeError};
use iotmark_adapters::probe::ftp::{self, FtpTls, TlsPolicy};
use iotmark_adapters::probe::rtsp::{self, RtspScheme};
use iotmark_adapters::probe::snmp::{SnmpJudge, SnmpVersion, WriteAccess};
use iotmark_adapters::probe::udp::{self, UdpService, UdpState};
use iotmark_adapters::probe::ProbeConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

/// Set in the copy of the test binary that runs inside the namespace.
const INSIDE: &str = "IOTMARK_LOGIN_PROTOCOLS_NETNS";

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Skip a test whose daemon or namespace is missing, unless
/// `IOTMARK_REQUIRE_DAEMONS` is set (CI), where that is a failure.
fn skip(test: &str, why: &str) {
    if std::env::var_os("IOTMARK_REQUIRE_DAEMONS").is_some() {
        panic!("{test}: {why}, and IOTMARK_REQUIRE_DAEMONS is set");
    }
    eprintln!("SKIPPED {test}: {why}");
}

/// `program` on the PATH or in the system folders.
fn find(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// True inside the namespace: run the test body. Outside, run this test
/// (`name`) again in a new network and mount namespace with loopback up,
/// assert that it ran and passed there, and return false.
fn isolated(name: &str, needs: &[&str]) -> bool {
    if std::env::var_os(INSIDE).is_some() {
        return true;
    }
    for program in needs.iter().chain(&["unshare", "ip"]) {
        if find(program).is_none() {
            skip(name, &format!("{program} is not installed"));
            return false;
        }
    }
    let probe = Command::new("unshare")
        .args(["--net", "--mount", "true"])
        .stderr(Stdio::null())
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        skip(
            name,
            "cannot create a network namespace here (unshare --net needs root or CAP_SYS_ADMIN)",
        );
        return false;
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("unshare")
        .args([
            "--net",
            "--mount",
            "--",
            "sh",
            "-c",
            "ip link set lo up && exec \"$0\" \"$@\"",
        ])
        .arg(&exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("--- {name} in its namespace ---\n{stdout}\n{stderr}");
    assert!(out.status.success(), "{name} failed in its namespace");
    assert!(
        stdout.contains("1 passed"),
        "{name} did not run in its namespace"
    );
    false
}

/// A daemon we started; killed (by PID) and reaped when dropped.
struct Daemon {
    name: &'static str,
    child: Child,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    fn start(name: &'static str, command: &mut Command) -> Daemon {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Daemon { name, child }
    }

    /// Wait until `ready` holds, failing if the daemon exits first.
    fn wait_until(&mut self, mut ready: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("{} exited before it was ready: {status}", self.name);
            }
            if ready() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{} is not ready after 15 s", self.name);
    }

    fn wait_tcp(&mut self, port: u16) {
        let addr = SocketAddr::new(LOOPBACK, port);
        self.wait_until(|| {
            std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
        });
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn config(timeout_secs: u64) -> ProbeConfig {
    ProbeConfig {
        timeout: Duration::from_secs(timeout_secs),
        connect_timeout: Duration::from_secs(2),
        ..ProbeConfig::default()
    }
}

fn mount_bind(from: &Path, onto: &str) {
    let status = Command::new("mount")
        .arg("--bind")
        .arg(from)
        .arg(onto)
        .status()
        .unwrap();
    assert!(status.success(), "mount --bind {} {onto}", from.display());
}

/// `service` under the layers the probe stack puts around every probe
/// (evidence, error mapping, timeout), as `ProbeStack` assembles them.
fn stacked<S, R>(
    service: S,
    timeout: Duration,
) -> tower::util::BoxCloneSyncService<
    iotmark_adapters::probe::layers::Recorded<R>,
    S::Response,
    ProbeError,
>
where
    S: tower::Service<R, Error = ProbeError> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Response: iotmark_adapters::probe::layers::DescribeResponse + Send + 'static,
    R: iotmark_adapters::probe::layers::DescribeRequest + Send + 'static,
{
    use iotmark_adapters::probe::layers::{EvidenceLayer, ProbeErrorLayer};
    tower::util::BoxCloneSyncService::new(
        tower::ServiceBuilder::new()
            .layer(EvidenceLayer)
            .layer(ProbeErrorLayer::new(timeout))
            .layer(tower::timeout::TimeoutLayer::new(timeout))
            .service(service),
    )
}

// ------------------------------------------------------------------ FTP

/// A camera's FTP default (`admin`/`admin`) and a unit-unique password.
const FTP_USER: &str = "admin";
const FTP_DEFAULT: &str = "admin";
const FTP_UNIT: &str = "Vq4nRz8kTw2mXc7p";

/// vsftpd with local user `admin` (password `password`) known to PAM through
/// passwd/shadow bind-mounted inside the namespace; `tls` adds a
/// certificate and forces TLS for local logins.
fn vsftpd(dir: &Path, password: &str, tls: bool) -> Daemon {
    let etc = dir.join("etc");
    let home = dir.join("home");
    let empty = dir.join("empty");
    for d in [&etc, &home, &empty] {
        std::fs::create_dir_all(d).unwrap();
    }
    let hash = Command::new("openssl")
        .args(["passwd", "-6", "-salt", "iotmarkftp", password])
        .output()
        .unwrap();
    assert!(hash.status.success());
    let hash = String::from_utf8(hash.stdout).unwrap();
    let mut passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    passwd.push_str(&format!(
        "{FTP_USER}:x:4242:4242:camera admin:{}:/bin/sh\n",
        home.display()
    ));
    let mut shadow = std::fs::read_to_string("/etc/shadow").unwrap_or_default();
    shadow.push_str(&format!("{FTP_USER}:{}:19000:0:99999:7:::\n", hash.trim()));
    std::fs::write(etc.join("passwd"), passwd).unwrap();
    std::fs::write(etc.join("shadow"), shadow).unwrap();
    mount_bind(&etc.join("passwd"), "/etc/passwd");
    mount_bind(&etc.join("shadow"), "/etc/shadow");

    let mut conf = format!(
        "listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\nlisten_port=21\n\
         background=NO\nanonymous_enable=NO\nlocal_enable=YES\nwrite_enable=NO\n\
         pam_service_name=vsftpd\nsecure_chroot_dir={}\nseccomp_sandbox=NO\n\
         xferlog_enable=NO\n",
        empty.display()
    );
    if tls {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["ftp.camera.test".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
        conf.push_str(&format!(
            "ssl_enable=YES\nrsa_cert_file={}\nrsa_private_key_file={}\n\
             force_local_logins_ssl=YES\nforce_local_data_ssl=YES\nssl_ciphers=HIGH\n\
             require_ssl_reuse=NO\n",
            dir.join("cert.pem").display(),
            dir.join("key.pem").display()
        ));
    }
    let path = dir.join("vsftpd.conf");
    std::fs::write(&path, conf).unwrap();
    let mut daemon = Daemon::start("vsftpd", Command::new(find("vsftpd").unwrap()).arg(&path));
    daemon.wait_tcp(21);
    daemon
}

#[test]
fn vsftpd_with_the_default_password_accepts_it_in_the_clear() {
    let name = "vsftpd_with_the_default_password_accepts_it_in_the_clear";
    if !isolated(name, &["vsftpd", "openssl", "mount"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let _daemon = vsftpd(dir.path(), FTP_DEFAULT, false);
    let addr = SocketAddr::new(LOOPBACK, 21);
    let cfg = config(10);
    runtime().block_on(async {
        let default = Credential::new(FTP_USER, FTP_DEFAULT);
        let login = ftp::login(addr, "127.0.0.1", &default, TlsPolicy::IfOffered, &cfg)
            .await
            .unwrap();
        eprintln!("default: {login:?}");
        assert_eq!(login.outcome, LoginOutcome::Accepted);
        assert!(login.password_in_cleartext);
        assert!(
            matches!(login.tls, FtpTls::Refused { .. }),
            "{:?}",
            login.tls
        );
        assert!(login.greeting.contains("vsFTPd"), "{}", login.greeting);

        let wrong = Credential::new(FTP_USER, "not-the-password");
        let login = ftp::login(addr, "127.0.0.1", &wrong, TlsPolicy::IfOffered, &cfg)
            .await
            .unwrap();
        eprintln!("wrong: {login:?}");
        assert_eq!(login.outcome, LoginOutcome::Rejected);
        assert!(
            login.decisive_reply.starts_with("530"),
            "{}",
            login.decisive_reply
        );
        // The short form agrees.
        assert_eq!(
            ftp::try_login(addr, "127.0.0.1", &default, &cfg)
                .await
                .unwrap(),
            LoginOutcome::Accepted
        );
        // Under the probe stack's layers: recorded, the password masked.
        let log = iotmark_adapters::evidence::EvidenceLog::in_memory();
        let ev = log.scope("5.1-1-2");
        let service = stacked(ftp::FtpLoginService::new(&cfg), cfg.timeout);
        let request = ftp::FtpLoginRequest {
            interface: "ftp".into(),
            addr,
            host: "127.0.0.1".into(),
            credential: Credential::new(FTP_USER, FTP_DEFAULT),
            tls: TlsPolicy::IfOffered,
        };
        let login = tower::ServiceExt::oneshot(
            service,
            iotmark_adapters::probe::layers::Recorded::new(&ev, request),
        )
        .await
        .unwrap();
        assert_eq!(login.outcome, LoginOutcome::Accepted);
        let records = log.records_for("5.1-1-2");
        assert_eq!(records.len(), 1, "{records:?}");
        let r = &records[0];
        assert_eq!(
            (r.probe.as_str(), r.outcome.as_str()),
            ("ftp-login", "accepted")
        );
        assert!(
            r.response.contains("password sent in the clear"),
            "{}",
            r.response
        );
        assert!(
            !r.request.contains(&format!("password {FTP_DEFAULT:?}"))
                && r.request.contains("<secret"),
            "{}",
            r.request
        );
    });
}

#[test]
fn vsftpd_hardened_refuses_the_default_and_takes_logins_only_over_tls() {
    let name = "vsftpd_hardened_refuses_the_default_and_takes_logins_only_over_tls";
    if !isolated(name, &["vsftpd", "openssl", "mount"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let _daemon = vsftpd(dir.path(), FTP_UNIT, true);
    let addr = SocketAddr::new(LOOPBACK, 21);
    let cfg = config(10);
    runtime().block_on(async {
        let host = "ftp.camera.test";
        let default = Credential::new(FTP_USER, FTP_DEFAULT);
        let login = ftp::login(addr, host, &default, TlsPolicy::IfOffered, &cfg)
            .await
            .unwrap();
        eprintln!("default: {login:?}");
        assert_eq!(login.outcome, LoginOutcome::Rejected);
        assert!(
            matches!(login.tls, FtpTls::Negotiated { .. }),
            "{:?}",
            login.tls
        );
        assert!(!login.password_in_cleartext);

        // Calibration the other way: the unit's own password is accepted.
        let unit = Credential::new(FTP_USER, FTP_UNIT);
        let login = ftp::login(addr, host, &unit, TlsPolicy::IfOffered, &cfg)
            .await
            .unwrap();
        eprintln!("unit: {login:?}");
        assert_eq!(login.outcome, LoginOutcome::Accepted);
        assert!(!login.password_in_cleartext);

        // A client that never asks for TLS is refused for that, which is
        // not a verdict on the credential.
        match ftp::login(addr, host, &unit, TlsPolicy::Never, &cfg).await {
            Err(ProbeError::Protocol { detail, .. }) => {
                assert!(detail.contains("without TLS"), "{detail}")
            }
            other => panic!("expected a protocol error, got {other:?}"),
        }
    });
}

/// Start a TCP server on loopback that runs `script` for each connection.
async fn tcp_server<F, Fut>(script: F) -> SocketAddr
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(script(s));
        }
    });
    addr
}

/// Write `bytes` forever (until the peer goes).
async fn flood(mut s: tokio::net::TcpStream, bytes: &'static [u8]) {
    while s.write_all(bytes).await.is_ok() {}
}

#[tokio::test]
async fn hostile_ftp_servers_end_in_bounded_errors() {
    let cfg = ProbeConfig {
        timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(1),
        max_response_bytes: 64 * 1024,
        ..ProbeConfig::default()
    };
    let cred = Credential::new("admin", "admin");
    let silent = tcp_server(|s| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(s);
    })
    .await;
    let endless_line = tcp_server(|s| flood(s, b"220 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")).await;
    let endless_reply = tcp_server(|s| flood(s, b"220-more\r\n")).await;
    let garbage = tcp_server(|mut s| async move {
        let _ = s.write_all(b"\x16\x03\x01\x00\x05hello\r\n").await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let hangs_after_user = tcp_server(|mut s| async move {
        let _ = s.write_all(b"220 ready\r\n500 no TLS here\r\n").await;
        let mut buf = [0u8; 256];
        let _ = s.read(&mut buf).await;
        let _ = s.write_all(b"331 pass\r\n").await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    for (what, addr, expect) in [
        ("silent", silent, "timeout"),
        ("endless line", endless_line, "protocol"),
        ("endless reply", endless_reply, "protocol"),
        ("garbage", garbage, "protocol"),
        ("hangs after USER", hangs_after_user, "timeout"),
    ] {
        let started = Instant::now();
        let got = ftp::login(addr, "127.0.0.1", &cred, TlsPolicy::IfOffered, &cfg).await;
        let took = started.elapsed();
        assert!(took < Duration::from_secs(4), "{what}: took {took:?}");
        let kind = match &got {
            Err(ProbeError::Timeout { .. }) => "timeout",
            Err(ProbeError::Protocol { .. } | ProbeError::TooLarge { .. }) => "protocol",
            _ => "other",
        };
        assert_eq!(kind, expect, "{what}: {got:?}");
    }
}

// ------------------------------------------------------------------ SNMP

/// snmpd answering on 127.0.0.1:161 for the communities given.
fn snmpd(dir: &Path, read_only: &str, read_write: &str) -> Daemon {
    let conf = dir.join("snmpd.conf");
    std::fs::write(
        &conf,
        format!(
            "agentAddress udp:127.0.0.1:161\n\
             rocommunity {read_only} 127.0.0.1\n\
             rwcommunity {read_write} 127.0.0.1\n\
             sysDescr iotmark loopback camera\n"
        ),
    )
    .unwrap();
    let mut daemon = Daemon::start(
        "snmpd",
        Command::new(find("snmpd").unwrap())
            .args(["-f", "-Lf", "/dev/null", "-C", "-c"])
            .arg(&conf)
            .args(["-M", "/nonexistent", "-p"])
            .arg(dir.join("snmpd.pid"))
            .env("SNMP_PERSISTENT_DIR", dir.join("persist"))
            .env("MIBS", ""),
    );
    // Ready when it answers the read-only community.
    daemon.wait_until(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            iotmark_adapters::probe::snmp::get(
                SocketAddr::new(LOOPBACK, 161),
                SnmpVersion::V2c,
                &iotmark_adapters::secret::Secret::new(read_only),
                &iotmark_adapters::probe::snmp::SYS_DESCR,
                &config(1),
            )
            .await
            .is_ok_and(|a| a.is_some())
        })
    });
    daemon
}

fn community(c: &str) -> Credential {
    Credential::new("", c)
}

const RO_UNIT: &str = "r7Kp2Qx9mZt4Wv8nLc3Hs6Bd";
const RW_UNIT: &str = "w3Nf8Yt2Jq6Rm9Xk4Pv7Gz5C";

#[test]
fn snmpd_with_public_and_private_communities_is_found_both_ways() {
    let name = "snmpd_with_public_and_private_communities_is_found_both_ways";
    if !isolated(name, &["snmpd"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let _daemon = snmpd(dir.path(), "public", "private");
    let addr = SocketAddr::new(LOOPBACK, 161);
    let cfg = config(4);
    runtime().block_on(async {
        for version in [SnmpVersion::V1, SnmpVersion::V2c] {
            let judge = SnmpJudge::calibrate(addr, version, &community("public"), &cfg)
                .await
                .unwrap();
            eprintln!("{version}: {:?}", judge.calibration());
            assert!(
                judge
                    .calibration()
                    .declared_answer
                    .contains("iotmark loopback camera"),
                "{:?}",
                judge.calibration()
            );
            assert_eq!(
                judge.try_login(&community("public")).await.unwrap(),
                LoginOutcome::Accepted
            );
            assert_eq!(
                judge.try_login(&community("private")).await.unwrap(),
                LoginOutcome::Accepted
            );
            assert_eq!(
                judge
                    .try_login(&community("secret-not-used"))
                    .await
                    .unwrap(),
                LoginOutcome::Rejected
            );
            // Read-only and read-write told apart.
            let ro = judge.write_access(&community("public")).await.unwrap();
            assert!(
                matches!(ro, WriteAccess::Denied { .. }),
                "{version} public: {ro:?}"
            );
            let rw = judge.write_access(&community("private")).await.unwrap();
            assert_eq!(rw, WriteAccess::Granted, "{version} private");
            let none = judge.write_access(&community("nope")).await.unwrap();
            assert_eq!(none, WriteAccess::NoRead, "{version} unknown community");
        }
    });
}

#[test]
fn snmpd_with_unit_communities_refuses_the_defaults() {
    let name = "snmpd_with_unit_communities_refuses_the_defaults";
    if !isolated(name, &["snmpd"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let _daemon = snmpd(dir.path(), RO_UNIT, RW_UNIT);
    let addr = SocketAddr::new(LOOPBACK, 161);
    let cfg = config(4);
    runtime().block_on(async {
        for version in [SnmpVersion::V1, SnmpVersion::V2c] {
            let judge = SnmpJudge::calibrate(addr, version, &community(RO_UNIT), &cfg)
                .await
                .unwrap();
            for default in ["public", "private", "admin"] {
                assert_eq!(
                    judge.try_login(&community(default)).await.unwrap(),
                    LoginOutcome::Rejected,
                    "{version} {default}"
                );
            }
            assert_eq!(
                judge.try_login(&community(RO_UNIT)).await.unwrap(),
                LoginOutcome::Accepted
            );
            let ro = judge.write_access(&community(RO_UNIT)).await.unwrap();
            assert!(
                matches!(ro, WriteAccess::Denied { .. }),
                "{version}: {ro:?}"
            );
            assert_eq!(
                judge.write_access(&community(RW_UNIT)).await.unwrap(),
                WriteAccess::Granted
            );
        }
    });
}

/// A UDP responder on loopback: `answer` is called with each datagram and
/// returns the datagrams to send back.
async fn udp_responder(
    bind: SocketAddr,
    answer: impl Fn(&[u8]) -> Vec<Vec<u8>> + Send + 'static,
) -> SocketAddr {
    let socket = UdpSocket::bind(bind).await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65536];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            for reply in answer(&buf[..n]) {
                let _ = socket.send_to(&reply, from).await;
            }
        }
    });
    addr
}

fn any_port() -> SocketAddr {
    SocketAddr::new(LOOPBACK, 0)
}

#[tokio::test]
async fn snmp_calibration_refuses_what_it_cannot_judge() {
    let cfg = ProbeConfig {
        timeout: Duration::from_secs(1),
        ..ProbeConfig::default()
    };
    let declared = community("public");
    // Nothing listens: the port is unreachable.
    let closed = {
        let s = std::net::UdpSocket::bind(any_port()).unwrap();
        s.local_addr().unwrap()
    };
    let got = SnmpJudge::calibrate(closed, SnmpVersion::V2c, &declared, &cfg).await;
    assert!(matches!(got, Err(ProbeError::Connect { .. })), "{got:?}");
    // Something listens and never answers: silence cannot be judged.
    let silent = udp_responder(any_port(), |_| Vec::new()).await;
    let started = Instant::now();
    let got = SnmpJudge::calibrate(silent, SnmpVersion::V2c, &declared, &cfg).await;
    match got {
        Err(ProbeError::Protocol { detail, .. }) => {
            assert!(detail.contains("no answer"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(3));
    // Garbage, flooded: an error, quickly.
    let garbage = udp_responder(any_port(), |_| {
        vec![b"\x30\x82\xff\xffnot ber".to_vec(); 100]
    })
    .await;
    let started = Instant::now();
    let got = SnmpJudge::calibrate(garbage, SnmpVersion::V2c, &declared, &cfg).await;
    assert!(matches!(got, Err(ProbeError::Protocol { .. })), "{got:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// How the fake agent below answers one community.
#[derive(Clone, Copy)]
enum Agent {
    Value,
    Error(u32),
    NoSuchObject,
    Silence,
}

/// A small v2c agent of our own for the agent behaviours net-snmp does not
/// have: `policy` says how each community is answered.
async fn fake_agent(policy: fn(&[u8]) -> Agent) -> SocketAddr {
    use rasn_snmp::{v2, v2c};
    udp_responder(any_port(), move |datagram| {
        let Ok(request) = rasn::ber::decode::<v2c::Message<v2::Pdus>>(datagram) else {
            return Vec::new();
        };
        let v2::Pdus::GetRequest(v2::GetRequest(mut pdu)) = request.data else {
            return Vec::new();
        };
        let value = match policy(&request.community) {
            Agent::Silence => return Vec::new(),
            Agent::Value => v2::VarBindValue::Value(rasn_smi::v2::ObjectSyntax::Simple(
                rasn_smi::v2::SimpleSyntax::String(b"fake camera agent".to_vec().into()),
            )),
            Agent::Error(status) => {
                pdu.error_status = status;
                pdu.error_index = 1;
                v2::VarBindValue::Unspecified
            }
            Agent::NoSuchObject => v2::VarBindValue::NoSuchObject,
        };
        pdu.variable_bindings[0].value = value;
        let answer = v2c::Message {
            version: request.version,
            community: request.community,
            data: v2::Pdus::Response(v2::Response(pdu)),
        };
        vec![rasn::ber::encode(&answer).unwrap()]
    })
    .await
}

#[tokio::test]
async fn snmp_judge_compares_answers_with_what_calibration_saw() {
    let cfg = ProbeConfig {
        timeout: Duration::from_secs(1),
        ..ProbeConfig::default()
    };
    let v2c = SnmpVersion::V2c;
    // An agent that answers an unknown community with authorizationError
    // instead of silence: that answer is its "rejected".
    let loud = fake_agent(|c| match c {
        b"unit-community" => Agent::Value,
        b"narrow-view" => Agent::NoSuchObject,
        _ => Agent::Error(16),
    })
    .await;
    let judge = SnmpJudge::calibrate(loud, v2c, &community("unit-community"), &cfg)
        .await
        .unwrap();
    assert_eq!(
        judge.try_login(&community("public")).await.unwrap(),
        LoginOutcome::Rejected
    );
    assert_eq!(
        judge.try_login(&community("unit-community")).await.unwrap(),
        LoginOutcome::Accepted
    );
    // Neither reference answer: no verdict.
    match judge.try_login(&community("narrow-view")).await {
        Err(ProbeError::Protocol { detail, .. }) => {
            assert!(detail.contains("unlike both"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
    // An agent that answers every community: nothing to tell apart.
    let any = fake_agent(|_| Agent::Value).await;
    match SnmpJudge::calibrate(any, v2c, &community("unit-community"), &cfg).await {
        Err(ProbeError::Protocol { detail, .. }) => {
            assert!(detail.contains("any community"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
    // The declared community itself gets no value: no calibration.
    let narrow = fake_agent(|_| Agent::NoSuchObject).await;
    assert!(matches!(
        SnmpJudge::calibrate(narrow, v2c, &community("unit-community"), &cfg).await,
        Err(ProbeError::Protocol { .. })
    ));
    // Silence for wrong communities, and an agent that goes quiet after
    // calibration: silence is then not taken for "rejected".
    static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let flaky = fake_agent(|c| {
        if QUIET.load(std::sync::atomic::Ordering::SeqCst) {
            Agent::Silence
        } else if c == b"unit-community" {
            Agent::Value
        } else {
            Agent::Silence
        }
    })
    .await;
    let judge = SnmpJudge::calibrate(flaky, v2c, &community("unit-community"), &cfg)
        .await
        .unwrap();
    assert_eq!(
        judge.try_login(&community("public")).await.unwrap(),
        LoginOutcome::Rejected
    );
    QUIET.store(true, std::sync::atomic::Ordering::SeqCst);
    match judge.try_login(&community("public")).await {
        Err(ProbeError::Protocol { detail, .. }) => {
            assert!(detail.contains("stopped answering"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
}

// ------------------------------------------------------------------ RTSP

const CAM_USER: &str = "admin";
const CAM_DEFAULT: &str = "12345";
const CAM_UNIT: &str = "Hx5tWq9Lm2Vz7Rc4";

fn rtsp_camera(dir: &Path, scheme: &str, password: &str) -> Daemon {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gst-rtsp-camera.py");
    let _ = dir;
    let mut daemon = Daemon::start(
        "gst-rtsp-server camera",
        Command::new("/usr/bin/python3").arg(script).args([
            "127.0.0.1",
            "554",
            scheme,
            CAM_USER,
            password,
        ]),
    );
    daemon.wait_tcp(554);
    daemon
}

/// Debian's GStreamer RTSP server and its Python bindings, or why not.
fn gst_rtsp_server() -> Result<(), String> {
    let ok = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer",
        ])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Ok(())
    } else {
        Err("GStreamer's RTSP server is not installed (Debian: python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good)".into())
    }
}

fn rtsp_case(name: &str, scheme: &str, password: &str, expect_default: LoginOutcome) {
    if let Err(why) = gst_rtsp_server() {
        return skip(name, &why);
    }
    if !isolated(name, &[]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let _daemon = rtsp_camera(dir.path(), scheme, password);
    let addr = SocketAddr::new(LOOPBACK, 554);
    let url = rtsp::stream_url("127.0.0.1", 554, "/stream");
    let cfg = config(5);
    let forced = if scheme == "basic" {
        RtspScheme::Basic
    } else {
        RtspScheme::Digest
    };
    runtime().block_on(async {
        let bare = rtsp::describe(addr, &url, &cfg).await.unwrap();
        assert_eq!(bare.status, 401, "{bare:?}");
        let default = Credential::new(CAM_USER, CAM_DEFAULT);
        let unit = Credential::new(CAM_USER, CAM_UNIT);
        let wrong = Credential::new(CAM_USER, "wrong-password");
        for (cred, expect) in [
            (&default, expect_default.clone()),
            (&wrong, LoginOutcome::Rejected),
        ] {
            let got = rtsp::login(addr, &url, cred, RtspScheme::Strongest, &cfg)
                .await
                .unwrap();
            eprintln!("{scheme}: {got:?}");
            assert_eq!(got.outcome, expect, "{:?}", got.answer);
            assert_eq!(got.password_in_cleartext, scheme == "basic");
            assert!(
                got.scheme.to_ascii_lowercase().starts_with(scheme),
                "{}",
                got.scheme
            );
        }
        // The device's own password, in the scheme it asks for.
        let own = if password == CAM_DEFAULT {
            &default
        } else {
            &unit
        };
        // Through the probe stack's layers, recorded as evidence.
        let log = iotmark_adapters::evidence::EvidenceLog::in_memory();
        let ev = log.scope("calibration");
        let service = stacked(rtsp::RtspLoginService::new(&cfg), cfg.timeout);
        let request = rtsp::RtspLoginRequest {
            interface: "camera stream".into(),
            addr,
            url: url.clone(),
            credential: own.clone(),
            scheme: forced,
        };
        let got = tower::ServiceExt::oneshot(
            service,
            iotmark_adapters::probe::layers::Recorded::new(&ev, request),
        )
        .await
        .unwrap();
        assert_eq!(got.outcome, LoginOutcome::Accepted, "{got:?}");
        let records = log.records_for("calibration");
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].probe, "rtsp-login");
        assert_eq!(records[0].outcome, "accepted");
        assert!(
            records[0].response.contains("200 OK"),
            "{}",
            records[0].response
        );
        // The other scheme is not offered: an error, not a verdict.
        let other = if forced == RtspScheme::Basic {
            RtspScheme::Digest
        } else {
            RtspScheme::Basic
        };
        assert!(matches!(
            rtsp::login(addr, &url, own, other, &cfg).await,
            Err(ProbeError::Protocol { .. })
        ));
        // A wrong path is no login to judge.
        let missing = rtsp::stream_url("127.0.0.1", 554, "/nothing-here");
        assert!(matches!(
            rtsp::login(addr, &missing, own, RtspScheme::Strongest, &cfg).await,
            Err(ProbeError::Protocol { .. })
        ));
    });
}

#[test]
fn gst_rtsp_camera_with_basic_and_the_default_password_accepts_it() {
    rtsp_case(
        "gst_rtsp_camera_with_basic_and_the_default_password_accepts_it",
        "basic",
        CAM_DEFAULT,
        LoginOutcome::Accepted,
    );
}

#[test]
fn gst_rtsp_camera_with_digest_and_a_unit_password_refuses_the_default() {
    rtsp_case(
        "gst_rtsp_camera_with_digest_and_a_unit_password_refuses_the_default",
        "digest",
        CAM_UNIT,
        LoginOutcome::Rejected,
    );
}

#[test]
fn gst_rtsp_camera_with_digest_and_the_default_password_accepts_it() {
    rtsp_case(
        "gst_rtsp_camera_with_digest_and_the_default_password_accepts_it",
        "digest",
        CAM_DEFAULT,
        LoginOutcome::Accepted,
    );
}

/// A camera that closes the connection after each answer: the answer to
/// its Basic challenge goes on a new connection.
#[tokio::test]
async fn rtsp_login_reconnects_when_the_camera_closes_after_the_challenge() {
    let cfg = config(3);
    let camera = tcp_server(|mut s| async move {
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
        let text = String::from_utf8_lossy(&request).to_string();
        let cseq = text
            .lines()
            .find_map(|l| l.strip_prefix("CSeq: "))
            .unwrap_or("0")
            .trim()
            .to_string();
        // "admin:admin" in base64.
        let answer = if text.contains("Authorization: Basic YWRtaW46YWRtaW4=") {
            format!("RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n")
        } else {
            format!("RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\nWWW-Authenticate: Basic realm=\"cam\"\r\n\r\n")
        };
        let _ = s.write_all(answer.as_bytes()).await;
        // and hang up
    })
    .await;
    let url = rtsp::stream_url("127.0.0.1", camera.port(), "/live");
    let login = rtsp::login(
        camera,
        &url,
        &Credential::new("admin", "admin"),
        RtspScheme::Strongest,
        &cfg,
    )
    .await
    .unwrap();
    assert_eq!(login.outcome, LoginOutcome::Accepted);
    assert!(login.password_in_cleartext);
    let login = rtsp::login(
        camera,
        &url,
        &Credential::new("admin", "12345"),
        RtspScheme::Strongest,
        &cfg,
    )
    .await
    .unwrap();
    assert_eq!(login.outcome, LoginOutcome::Rejected);
}

#[tokio::test]
async fn hostile_rtsp_servers_end_in_bounded_errors() {
    let cfg = ProbeConfig {
        timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(1),
        max_response_bytes: 64 * 1024,
        ..ProbeConfig::default()
    };
    let cred = Credential::new("admin", "admin");
    let silent = tcp_server(|s| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(s);
    })
    .await;
    let endless_headers = tcp_server(|s| flood(s, b"RTSP/1.0 401 Unauthorized\r\nX: y\r\n")).await;
    let garbage = tcp_server(|mut s| async move {
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf).await;
        let _ = s.write_all(b"\x00\x01\x02 not rtsp at all\r\n\r\n").await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let open_stream = tcp_server(|mut s| async move {
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf).await;
        let _ = s
            .write_all(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 0\r\n\r\n")
            .await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let wrong_cseq = tcp_server(|mut s| async move {
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf).await;
        let _ = s
            .write_all(b"RTSP/1.0 401 Unauthorized\r\nCSeq: 9\r\nWWW-Authenticate: Basic realm=\"x\"\r\n\r\n")
            .await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    for (what, addr, expect) in [
        ("silent", silent, "timeout"),
        ("endless headers", endless_headers, "protocol"),
        ("garbage", garbage, "protocol"),
        ("no login at all", open_stream, "protocol"),
        ("answer to another request", wrong_cseq, "protocol"),
    ] {
        let url = rtsp::stream_url("127.0.0.1", addr.port(), "/stream");
        let started = Instant::now();
        let got = rtsp::login(addr, &url, &cred, RtspScheme::Strongest, &cfg).await;
        let took = started.elapsed();
        assert!(took < Duration::from_secs(4), "{what}: took {took:?}");
        let kind = match &got {
            Err(ProbeError::Timeout { .. }) => "timeout",
            Err(ProbeError::Protocol { .. } | ProbeError::TooLarge { .. }) => "protocol",
            _ => "other",
        };
        assert_eq!(kind, expect, "{what}: {got:?}");
    }
}

// ------------------------------------------------------------------ UDP discovery

/// SSDP: answer an M-SEARCH like a UPnP camera.
fn ssdp_answer(request: &[u8]) -> Vec<Vec<u8>> {
    if !request.starts_with(b"M-SEARCH * HTTP/1.1\r\n") {
        return Vec::new();
    }
    vec![
        b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nST: upnp:rootdevice\r\n\
USN: uuid:4d696e69-cam0::upnp:rootdevice\r\nSERVER: Linux/4.9 UPnP/1.0 IPCam/2.1\r\n\
LOCATION: http://127.0.0.1:49152/rootDesc.xml\r\n\r\n"
            .to_vec(),
    ]
}

/// CoAP: acknowledge a confirmable GET of /.well-known/core with 2.05 and
/// a link-format payload, echoing message id and token.
fn coap_answer(request: &[u8]) -> Vec<Vec<u8>> {
    let Some(&first) = request.first() else {
        return Vec::new();
    };
    let tkl = usize::from(first & 0x0f);
    if first >> 6 != 1 || (first >> 4) & 3 != 0 || request.get(1) != Some(&0x01) {
        return Vec::new();
    }
    let Some(token) = request.get(4..4 + tkl) else {
        return Vec::new();
    };
    if !request.windows(4).any(|w| w == b"core") {
        return Vec::new();
    }
    let mut ack = vec![0x60 | first & 0x0f, 0x45, request[2], request[3]];
    ack.extend_from_slice(token);
    ack.extend_from_slice(&[0xC1, 0x28, 0xFF]); // Content-Format: link-format
    ack.extend_from_slice(b"</sensors/temp>;rt=\"temperature\",</actuators/relay>");
    vec![ack]
}

/// mDNS: answer a legacy unicast query with one PTR record, echoing the id
/// and the question.
fn mdns_answer(request: &[u8]) -> Vec<Vec<u8>> {
    if request.len() < 12 || request[2] & 0x80 != 0 {
        return Vec::new();
    }
    let mut r = request.to_vec();
    r[2] = 0x84; // response, authoritative
    r[3] = 0;
    r[6] = 0;
    r[7] = 1; // one answer
              // Clear the QU bit in the echoed question.
    let n = r.len();
    r[n - 2] &= 0x7f;
    r.extend_from_slice(&[0xc0, 12, 0, 12, 0, 1, 0, 0, 0, 10]);
    let target = b"\x05_rtsp\x04_tcp\x05local\x00";
    r.extend_from_slice(&(target.len() as u16).to_be_bytes());
    r.extend_from_slice(target);
    vec![r]
}

/// WS-Discovery: answer a Probe with ProbeMatches relating to its MessageID.
fn ws_discovery_answer(request: &[u8]) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(request);
    let Some(start) = text.find("MessageID>") else {
        return Vec::new();
    };
    let id: String = text[start + 10..]
        .chars()
        .take_while(|c| *c != '<')
        .collect();
    vec![format!(
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" \
xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" \
xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\" \
xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\"><s:Header>\
<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action>\
<a:RelatesTo>{id}</a:RelatesTo></s:Header><s:Body><d:ProbeMatches><d:ProbeMatch>\
<d:Types>dn:NetworkVideoTransmitter</d:Types>\
<d:XAddrs>http://127.0.0.1:8080/onvif/device_service</d:XAddrs>\
</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>"
    )
    .into_bytes()]
}

/// TFTP: answer a read request with ERROR 1 from a port of its own (a new
/// transfer id), as RFC 1350 servers do.
async fn tftp_server(bind: SocketAddr) {
    let socket = UdpSocket::bind(bind).await.unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 1024];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            if buf[..n].starts_with(&[0, 1]) {
                let transfer = UdpSocket::bind(any_port()).await.unwrap();
                let _ = transfer
                    .send_to(b"\x00\x05\x00\x01File not found\x00", from)
                    .await;
            }
        }
    });
}

#[test]
fn udp_discovery_names_snmpd_and_each_iot_responder() {
    let name = "udp_discovery_names_snmpd_and_each_iot_responder";
    if !isolated(name, &["snmpd"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let _snmpd = snmpd(dir.path(), "public", RW_UNIT);
    runtime().block_on(async {
        let on = |port| SocketAddr::new(LOOPBACK, port);
        udp_responder(on(1900), ssdp_answer).await;
        udp_responder(on(5683), coap_answer).await;
        udp_responder(on(5353), mdns_answer).await;
        udp_responder(on(3702), ws_discovery_answer).await;
        tftp_server(on(69)).await;
        let cfg = config(2);
        let found = udp::discover(LOOPBACK, &cfg).await;
        let expect = [
            (UdpService::Snmp, "iotmark loopback camera"),
            (UdpService::Ssdp, "IPCam/2.1"),
            (UdpService::Coap, "CoAP 2.05, 2 resource link(s)"),
            (UdpService::Mdns, "_services._dns-sd._udp.local"),
            (UdpService::Tftp, "error 1: File not found"),
            (UdpService::WsDiscovery, "NetworkVideoTransmitter"),
        ];
        for (finding, (service, text)) in found.iter().zip(expect) {
            let finding = finding.as_ref().unwrap();
            eprintln!("{finding:?}");
            assert_eq!(finding.service, service);
            match &finding.state {
                UdpState::Open { speaks } => assert!(speaks.contains(text), "{service}: {speaks}"),
                other => panic!("{service}: {other:?}"),
            }
        }
    });
}

/// Wait until `service` answers at `addr` in its own protocol.
fn wait_udp(daemon: &mut Daemon, service: UdpService, addr: SocketAddr) {
    daemon.wait_until(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(udp::probe(service, addr, &config(1)))
            .is_ok_and(|f| matches!(f.state, UdpState::Open { .. }))
    });
}

#[test]
fn udp_discovery_names_real_tftpd_hpa_and_libcoap_server() {
    let name = "udp_discovery_names_real_tftpd_hpa_and_libcoap_server";
    if !isolated(name, &["in.tftpd", "coap-server-notls"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // tftpd-hpa on every address of the namespace (only loopback here:
    // `--address 127.0.0.1` fails where loopback is the only interface,
    // its address lookup asking for configured addresses).
    let mut tftpd = Daemon::start(
        "tftpd-hpa",
        Command::new(find("in.tftpd").unwrap())
            .args([
                "--listen",
                "--foreground",
                "-4",
                "--user",
                "root",
                "--secure",
            ])
            .arg(dir.path()),
    );
    let mut coap = Daemon::start(
        "libcoap coap-server",
        Command::new(find("coap-server-notls").unwrap()).args(["-A", "127.0.0.1", "-p", "5683"]),
    );
    wait_udp(&mut tftpd, UdpService::Tftp, SocketAddr::new(LOOPBACK, 69));
    wait_udp(&mut coap, UdpService::Coap, SocketAddr::new(LOOPBACK, 5683));
    runtime().block_on(async {
        let cfg = config(2);
        let tftp = udp::probe(UdpService::Tftp, SocketAddr::new(LOOPBACK, 69), &cfg)
            .await
            .unwrap();
        eprintln!("{tftp:?}");
        assert_eq!(
            tftp.state,
            UdpState::Open {
                speaks: "TFTP server (error 1: File not found)".into()
            }
        );
        let coap = udp::probe(UdpService::Coap, SocketAddr::new(LOOPBACK, 5683), &cfg)
            .await
            .unwrap();
        eprintln!("{coap:?}");
        match &coap.state {
            UdpState::Open { speaks } => {
                assert!(speaks.starts_with("CoAP 2.05, "), "{speaks}");
                assert!(speaks.contains("</time>"), "{speaks}");
            }
            other => panic!("{other:?}"),
        }
        // Each on the other's port: neither listens there.
        let crossed = udp::probe(UdpService::Coap, SocketAddr::new(LOOPBACK, 69), &cfg)
            .await
            .unwrap();
        assert!(
            matches!(
                crossed.state,
                UdpState::Answered { .. } | UdpState::OpenFiltered
            ),
            "{crossed:?}"
        );
    });
}

#[test]
fn udp_discovery_tells_closed_from_silent_and_from_something_else() {
    let name = "udp_discovery_tells_closed_from_silent_and_from_something_else";
    if !isolated(name, &[]) {
        return;
    }
    runtime().block_on(async {
        let on = |port| SocketAddr::new(LOOPBACK, port);
        // 161 listens and never answers (an agent that does not know
        // `public`, or a filter); 1900 answers garbage; the rest are closed.
        udp_responder(on(161), |_| Vec::new()).await;
        udp_responder(on(1900), |_| vec![b"\x00\x01\x02 hello".to_vec()]).await;
        let cfg = config(2);
        let started = Instant::now();
        let found = udp::discover(LOOPBACK, &cfg).await;
        let took = started.elapsed();
        for finding in &found {
            let finding = finding.as_ref().unwrap();
            eprintln!("{finding:?}");
            match finding.service {
                UdpService::Snmp => assert_eq!(finding.state, UdpState::OpenFiltered),
                UdpService::Ssdp => {
                    assert!(
                        matches!(finding.state, UdpState::Answered { .. }),
                        "{finding:?}"
                    )
                }
                _ => assert_eq!(finding.state, UdpState::Closed, "{finding:?}"),
            }
        }
        // Two silent tries of 0.5 s each, one for the garbage port, the
        // closed ones at once.
        assert!(took < Duration::from_secs(4), "{took:?}");
    });
}
