//! A [`Device`] reached through protocol probes: the declared login
//! interfaces and web pages over real sockets, physical actions through a
//! [`PhysicalActions`]. Real units (`net:`) and simulated products (`sim:`)
//! differ only in their [`AddressBook`] and [`PhysicalActions`].
//!
//! Discovery of undeclared telnet logins (ports 23 and 2323) happens when the
//! device is opened: [`ProbedDevice::open`] (or [`ProbedDevice::new`] followed
//! by [`ProbedDevice::discover`]). A simulated product lists its ports, so
//! [`ProbedDevice::new`] alone finds them; a real unit is asked with a TCP
//! connect to each port, bounded by the connect timeout.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::Instant;

use tower::ServiceExt;

use crate::adapter::AdapterError;
use crate::calibration::LoginAnswer;
use crate::device::{
    AddressBook, Credential, Device, Discovered, LoginOutcome, LoginTarget, MqttReport,
    PhysicalActions, ProbeError, TlsReport, WebPage,
};
use crate::evidence::{Evidence, ProbeRecord};
use crate::probe::http::digest::{auth_login, challenges, AuthLogin};
use crate::probe::http::{
    form_shape, host_header, judge_form, DeviceConnections, FormValue, HttpRequest, LoginCheck, Url,
};
use crate::probe::layers::Recorded;
use crate::probe::mqtt::login::MqttLoginRequest;
use crate::probe::mqtt::MqttRequest;
use crate::probe::scan::PortScanRequest;
use crate::probe::ssh::SshLoginRequest;
use crate::probe::telnet::TelnetLoginRequest;
use crate::probe::{
    tls, HttpProbe, MqttLoginProbe, MqttProbe, ProbeConfig, ProbeStack, ScanProbe, SshProbe,
    TelnetProbe, TlsHelloProbe,
};
use crate::profile::{LoginMethod, Profile, Protocol};

/// Ports where an undeclared telnet login is looked for.
pub const TELNET_DISCOVERY_PORTS: [u16; 2] = [23, 2323];

/// Redirects [`Device::fetch`] follows before giving up.
pub const MAX_REDIRECTS: usize = 5;

#[derive(Debug)]
pub struct ProbedDevice {
    name: String,
    book: Arc<dyn AddressBook>,
    actions: Arc<dyn PhysicalActions>,
    config: ProbeConfig,
    targets: Vec<LoginTarget>,
    /// Device ports that declared login interfaces already cover.
    declared_login_ports: BTreeSet<u16>,
    /// Device ports of every declared interface.
    declared_ports: BTreeSet<u16>,
    device_ips: Vec<IpAddr>,
    http: HttpProbe,
    /// The device connections the HTTP probe keeps alive.
    kept: DeviceConnections,
    /// Whether the device's connections outlive its physical actions (see
    /// [`ProbedDevice::connections_survive_physical_actions`]).
    connections_survive_actions: bool,
    telnet: TelnetProbe,
    ssh: SshProbe,
    scan: ScanProbe,
    tls_hello: TlsHelloProbe,
    mqtt: MqttProbe,
    mqtt_login: MqttLoginProbe,
}

impl ProbedDevice {
    /// Build the probes and resolve the declared login interfaces; on a
    /// device that lists its ports, add undeclared telnet logins. Real units
    /// need [`ProbedDevice::discover`] (or use [`ProbedDevice::open`]).
    ///
    /// Interfaces whose port the address book cannot resolve are skipped
    /// with a warning.
    pub fn new(
        name: String,
        profile: &Profile,
        book: Arc<dyn AddressBook>,
        actions: Arc<dyn PhysicalActions>,
        config: ProbeConfig,
    ) -> Result<Self, AdapterError> {
        let stack = ProbeStack::new(config.clone()).map_err(|source| AdapterError::Config {
            spec: name.clone(),
            source,
        })?;
        let host = book.device_host();
        let mut targets = Vec::new();
        let mut declared_login_ports = BTreeSet::new();
        let declared_ports: BTreeSet<u16> =
            profile.ixit.interfaces.iter().map(|i| i.port).collect();
        for iface in profile.ixit.interfaces.iter().filter(|i| i.enabled) {
            let Some(method) = &iface.login else { continue };
            declared_login_ports.insert(iface.port);
            match book.device_addr(iface.port) {
                Some(addr) => targets.push(LoginTarget {
                    interface: iface.name.clone(),
                    method: method.clone(),
                    addr,
                    host: host.clone(),
                    tls: iface.protocol == Protocol::Https,
                }),
                None => tracing::warn!(
                    device = %name,
                    interface = %iface.name,
                    port = iface.port,
                    "declared login interface has no address on this device; skipped"
                ),
            }
        }
        let mut device_ips: Vec<IpAddr> = targets.iter().map(|t| t.addr.ip()).collect();
        if device_ips.is_empty() {
            let ports = book.known_ports().unwrap_or_default();
            device_ips.extend(
                ports
                    .iter()
                    .chain(&[80, 443])
                    .find_map(|p| book.device_addr(*p))
                    .map(|a| a.ip()),
            );
        }
        device_ips.sort();
        device_ips.dedup();
        let (http, kept) = stack
            .http_with_connections(Arc::clone(&book), device_ips.first().copied())
            .map_err(|source| AdapterError::Http {
                spec: name.clone(),
                source,
            })?;
        let telnet = stack.telnet();
        let mut device = ProbedDevice {
            ssh: stack.ssh(),
            scan: stack.port_scan(),
            tls_hello: stack.tls_hello(),
            mqtt: stack.mqtt(),
            mqtt_login: stack.mqtt_login(),
            name,
            book,
            actions,
            config,
            targets,
            declared_login_ports,
            declared_ports,
            device_ips,
            http,
            kept,
            connections_survive_actions: false,
            telnet,
        };
        if let Some(known) = device.book.known_ports() {
            for port in TELNET_DISCOVERY_PORTS {
                if known.contains(&port) {
                    device.add_discovered_telnet(port);
                }
            }
        }
        Ok(device)
    }

    /// [`ProbedDevice::new`], then [`ProbedDevice::discover`].
    pub async fn open(
        name: String,
        profile: &Profile,
        book: Arc<dyn AddressBook>,
        actions: Arc<dyn PhysicalActions>,
        config: ProbeConfig,
    ) -> Result<Self, AdapterError> {
        let mut device = ProbedDevice::new(name, profile, book, actions, config)?;
        device.discover().await;
        Ok(device)
    }

    /// On a device that does not list its ports (a real unit), try a TCP
    /// connect to each telnet discovery port no declared login covers; each
    /// port that accepts becomes an `undeclared-telnet-<port>` login target.
    /// Does nothing on a device that lists its ports (done in `new`).
    pub async fn discover(&mut self) {
        if self.book.known_ports().is_some() {
            return;
        }
        let limit = self.config.connect_timeout;
        let candidates: Vec<(u16, std::net::SocketAddr)> = TELNET_DISCOVERY_PORTS
            .iter()
            .filter(|p| !self.declared_login_ports.contains(p))
            .filter(|p| !self.has_target_on(**p))
            .filter_map(|p| self.book.device_addr(*p).map(|a| (*p, a)))
            .collect();
        let mut attempts = tokio::task::JoinSet::new();
        for (port, addr) in candidates {
            attempts.spawn(async move {
                let connect = tokio::net::TcpStream::connect(addr);
                (
                    port,
                    matches!(tokio::time::timeout(limit, connect).await, Ok(Ok(_))),
                )
            });
        }
        let mut open = Vec::new();
        while let Some(joined) = attempts.join_next().await {
            // A connect attempt cannot panic; a failed join means "not found".
            if let Ok((port, true)) = joined {
                open.push(port);
            }
        }
        open.sort_unstable();
        for port in open {
            self.add_discovered_telnet(port);
        }
    }

    fn has_target_on(&self, port: u16) -> bool {
        let name = format!("undeclared-telnet-{port}");
        self.targets.iter().any(|t| t.interface == name)
    }

    fn add_discovered_telnet(&mut self, port: u16) {
        if self.declared_login_ports.contains(&port) || self.has_target_on(port) {
            return;
        }
        if let Some(addr) = self.book.device_addr(port) {
            tracing::info!(device = %self.name, port, "undeclared telnet port found");
            self.targets.push(LoginTarget {
                interface: format!("undeclared-telnet-{port}"),
                method: LoginMethod::TelnetPrompt,
                addr,
                host: self.book.device_host(),
                tls: false,
            });
        }
    }

    pub fn config(&self) -> &ProbeConfig {
        &self.config
    }

    /// Keep HTTP connections to the device across physical actions. Only for
    /// a device whose reset and power cycle change its state without
    /// restarting its servers: a simulated product. A real unit drops its
    /// connections when it restarts, so by default they are forgotten after
    /// every physical action.
    pub fn connections_survive_physical_actions(mut self) -> Self {
        self.connections_survive_actions = true;
        self
    }

    /// Is this URL one of the device's own pages (its certificate is then
    /// accepted whatever it is, and recorded)?
    fn is_device_url(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        bare.eq_ignore_ascii_case(&self.book.device_host())
            || bare
                .parse::<IpAddr>()
                .is_ok_and(|ip| self.device_ips.contains(&ip))
    }

    async fn http_call(
        &self,
        ev: &Evidence,
        request: HttpRequest,
    ) -> Result<crate::probe::http::HttpResponse, ProbeError> {
        self.http.clone().oneshot(Recorded::new(ev, request)).await
    }

    fn target_url(target: &LoginTarget, path: &str) -> Result<Url, ProbeError> {
        let scheme = if target.tls { "https" } else { "http" };
        let text = format!("{scheme}://{}{path}", target.addr);
        Url::parse(&text).map_err(|e| ProbeError::Other {
            target: target.to_string(),
            detail: format!("cannot form a URL from {text:?}: {e}"),
        })
    }

    /// Identify what device port `port` speaks: a login target, a service
    /// that cannot be swept (`Err`), or nothing that takes credentials
    /// (`Ok(None)`), with a line saying what was seen.
    async fn identify(
        &self,
        ev: &Evidence,
        port: u16,
    ) -> (String, Result<Option<LoginTarget>, String>) {
        use crate::identify::{greeting, spoken, Greeting, Spoken};
        let Some(addr) = self.book.device_addr(port) else {
            return (format!("port {port}: no address"), Ok(None));
        };
        let host = self.book.device_host();
        let target = |kind: &str, method: LoginMethod, tls: bool| LoginTarget {
            interface: format!("undeclared-{kind}-{port}"),
            method,
            addr,
            host: host.clone(),
            tls,
        };
        let wait = self
            .config
            .read_window()
            .max(std::time::Duration::from_millis(1500));
        let started = Instant::now();
        let first = greeting(addr, self.config.connect_timeout, wait).await;
        let heard = match &first {
            Greeting::Silent => "silent".to_string(),
            Greeting::Gone => "closed at once".to_string(),
            Greeting::Bytes(b) => format!(
                "{:?}",
                crate::evidence::excerpt(&String::from_utf8_lossy(b), 120)
            ),
        };
        ev.record(ProbeRecord {
            probe: "identify-greeting".into(),
            target: format!("tcp://{addr}"),
            request: "connect and listen".into(),
            response: heard.clone(),
            outcome: "read".into(),
            duration: started.elapsed(),
        });
        match first {
            Greeting::Gone => (format!("port {port}: closed at once"), Ok(None)),
            Greeting::Bytes(bytes) => match spoken(&bytes) {
                Spoken::Ssh => (
                    format!("port {port}: SSH"),
                    Ok(Some(target("ssh", LoginMethod::SshPassword, false))),
                ),
                Spoken::Telnet => (
                    format!("port {port}: telnet"),
                    Ok(Some(target("telnet", LoginMethod::TelnetPrompt, false))),
                ),
                Spoken::Ftp => (
                    format!("port {port}: FTP"),
                    Err(format!(
                        "undeclared FTP service on port {port}: this build has no FTP login probe to sweep it"
                    )),
                ),
                Spoken::Unknown(line) => (
                    format!("port {port}: unidentified greeting {line:?}"),
                    Err(format!(
                        "undeclared service on port {port} greets with {line:?}, which no login probe reads"
                    )),
                ),
            },
            Greeting::Silent => {
                for tls in [false, true] {
                    if let Some(found) = self.identify_http(ev, port, addr, tls).await {
                        let scheme = if tls { "HTTPS" } else { "HTTP" };
                        return match found {
                            Some(method) => (
                                format!("port {port}: {scheme} with {}", method.kind()),
                                Ok(Some(target(
                                    if tls { "https" } else { "http" },
                                    method,
                                    tls,
                                ))),
                            ),
                            None => (format!("port {port}: {scheme} without a login"), Ok(None)),
                        };
                    }
                }
                match self
                    .mqtt
                    .clone()
                    .oneshot(Recorded::new(ev, MqttRequest { addr }))
                    .await
                {
                    Ok(MqttReport::Refused { code: 4 | 5, .. }) => (
                        format!("port {port}: MQTT asking for credentials"),
                        Ok(Some(target("mqtt", LoginMethod::MqttConnect, false))),
                    ),
                    Ok(MqttReport::Refused { code, reason }) => (
                        format!("port {port}: MQTT refusing ({code}: {reason})"),
                        Ok(None),
                    ),
                    Ok(MqttReport::Accepted { .. }) => (
                        format!("port {port}: MQTT open to anonymous clients"),
                        Ok(None),
                    ),
                    Err(_) => (format!("port {port}: silent, not identified"), Ok(None)),
                }
            }
        }
    }

    /// Does the port answer HTTP (over TLS when `tls`)? `None`: not HTTP;
    /// `Some(None)`: HTTP without a login; `Some(Some(method))`: the login
    /// it asks for (401 Basic or Digest, or a page with a login form, after
    /// at most one redirect on the same port).
    async fn identify_http(
        &self,
        ev: &Evidence,
        port: u16,
        addr: std::net::SocketAddr,
        tls: bool,
    ) -> Option<Option<LoginMethod>> {
        let scheme = if tls { "https" } else { "http" };
        let mut path = "/".to_string();
        for _ in 0..2 {
            let url = Url::parse(&format!("{scheme}://{addr}{path}")).ok()?;
            let mut request = HttpRequest::get(url.clone())
                .with_kind("identify-http")
                .with_host(host_header(&self.book.device_host(), port, tls));
            if tls {
                request = request.accept_any_device_certificate();
            }
            let answer = self.http_call(ev, request).await.ok()?;
            if answer.status == 401 {
                let offered = challenges(&answer);
                return Some(match (offered.basic, offered.digest.is_some()) {
                    (true, _) => Some(LoginMethod::HttpBasic { path }),
                    (false, true) => Some(LoginMethod::HttpDigest { path }),
                    (false, false) => None,
                });
            }
            if answer.is_redirect() {
                let next = answer.header("location").and_then(|l| url.join(l).ok())?;
                if next.port_or_known_default() != Some(port) {
                    return Some(None);
                }
                path = next.path().to_string();
                continue;
            }
            return Some(crate::identify::login_form(&answer.body_text(), &path));
        }
        Some(None)
    }

    /// An HTTP authentication login on `path` ([`auth_login`]).
    async fn http_auth_login(
        &self,
        ev: &Evidence,
        target: &LoginTarget,
        path: &str,
        credential: &Credential,
        digest_only: bool,
    ) -> Result<crate::probe::http::HttpResponse, ProbeError> {
        let url = Self::target_url(target, path)?;
        let login = AuthLogin {
            url,
            host: host_header(&target.host, target.addr.port(), target.tls),
            tls: target.tls,
            digest_only,
            target: target.to_string(),
        };
        auth_login(&self.http, ev, &login, credential).await
    }

    /// The form login request for `credential` on a form target (not judged).
    fn form_request(
        target: &LoginTarget,
        credential: &Credential,
    ) -> Result<HttpRequest, ProbeError> {
        let LoginMethod::HttpForm {
            path,
            username_field,
            password_field,
        } = &target.method
        else {
            return Err(ProbeError::Other {
                target: target.to_string(),
                detail: "not a form login".into(),
            });
        };
        let fields = vec![
            (
                username_field.clone(),
                FormValue::Text(credential.username.clone()),
            ),
            (
                password_field.clone(),
                FormValue::Secret(credential.password.clone()),
            ),
        ];
        let mut request = HttpRequest::post_form(Self::target_url(target, path)?, fields)
            .with_kind("http-form-login")
            .with_host(host_header(&target.host, target.addr.port(), target.tls));
        if target.tls {
            request = request.accept_any_device_certificate();
        }
        Ok(request)
    }

    /// The address that answers for device port `port`, or a connect error
    /// naming it.
    fn port_addr(&self, port: u16, what: &str) -> Result<std::net::SocketAddr, ProbeError> {
        self.book
            .device_addr(port)
            .ok_or_else(|| ProbeError::Connect {
                target: format!("{} port {port}", self.name),
                detail: format!("the device has no address for port {port} ({what})"),
            })
    }

    async fn operator(
        &self,
        ev: &Evidence,
        action: &str,
        result: impl std::future::Future<Output = Result<(), String>>,
    ) -> Result<(), ProbeError> {
        let started = Instant::now();
        let result = result.await;
        // A reset or restarted unit has dropped its connections: reusing one
        // would fail the next probe for nothing.
        if !self.connections_survive_actions {
            self.kept.forget();
        }
        let (outcome, response) = match &result {
            Ok(()) => ("done", "the action was carried out".to_string()),
            Err(detail) => ("failed", detail.clone()),
        };
        ev.record(ProbeRecord {
            probe: "operator".into(),
            target: self.name.clone(),
            request: action.to_string(),
            response,
            outcome: outcome.into(),
            duration: started.elapsed(),
        });
        result.map_err(|detail| ProbeError::Operator {
            action: action.to_string(),
            detail,
        })
    }
}

#[async_trait::async_trait]
impl Device for ProbedDevice {
    fn name(&self) -> &str {
        &self.name
    }

    fn login_targets(&self) -> Vec<LoginTarget> {
        self.targets.clone()
    }

    async fn try_login(
        &self,
        ev: &Evidence,
        target: &LoginTarget,
        credential: &Credential,
    ) -> Result<LoginOutcome, ProbeError> {
        let missing_verdict = || ProbeError::Other {
            target: target.to_string(),
            detail: "the login answer was not judged".into(),
        };
        match &target.method {
            LoginMethod::TelnetPrompt => {
                let request = TelnetLoginRequest {
                    interface: target.interface.clone(),
                    addr: target.addr,
                    credential: credential.clone(),
                };
                let reply = self
                    .telnet
                    .clone()
                    .oneshot(Recorded::new(ev, request))
                    .await?;
                Ok(reply.outcome)
            }
            LoginMethod::HttpBasic { path } => {
                let answer = self
                    .http_auth_login(ev, target, path, credential, false)
                    .await?;
                answer.login.ok_or_else(missing_verdict)
            }
            LoginMethod::HttpDigest { path } => {
                let answer = self
                    .http_auth_login(ev, target, path, credential, true)
                    .await?;
                answer.login.ok_or_else(missing_verdict)
            }
            LoginMethod::MqttConnect => {
                let request = MqttLoginRequest {
                    interface: target.interface.clone(),
                    addr: target.addr,
                    credential: credential.clone(),
                };
                let reply = self
                    .mqtt_login
                    .clone()
                    .oneshot(Recorded::new(ev, request))
                    .await?;
                Ok(reply.outcome)
            }
            LoginMethod::HttpForm {
                path,
                password_field,
                ..
            } => {
                let request = Self::form_request(target, credential)?.judged_as(LoginCheck::Form {
                    login_path: path.clone(),
                    password_field: password_field.clone(),
                });
                let answer = self.http_call(ev, request).await?;
                answer.login.ok_or_else(missing_verdict)
            }
            LoginMethod::SshPassword => {
                let request = SshLoginRequest {
                    interface: target.interface.clone(),
                    addr: target.addr,
                    credential: credential.clone(),
                };
                let reply = self.ssh.clone().oneshot(Recorded::new(ev, request)).await?;
                Ok(reply.outcome)
            }
        }
    }

    async fn login_answer(
        &self,
        ev: &Evidence,
        target: &LoginTarget,
        credential: &Credential,
    ) -> Result<LoginAnswer, ProbeError> {
        if let LoginMethod::HttpForm {
            path,
            password_field,
            ..
        } = &target.method
        {
            // Read by the fixed rules and shaped for the calibrated judge.
            let request = Self::form_request(target, credential)?;
            let answer = self.http_call(ev, request).await?;
            let read = judge_form(&answer, path, password_field, &target.to_string())
                .map_err(|e| e.to_string());
            return Ok(LoginAnswer {
                read,
                shape: Some(form_shape(&answer, password_field)),
            });
        }
        match self.try_login(ev, target, credential).await {
            Ok(outcome) => Ok(LoginAnswer::read_as(outcome)),
            Err(e @ ProbeError::Protocol { .. }) => Ok(LoginAnswer {
                read: Err(e.to_string()),
                shape: None,
            }),
            Err(e) => Err(e),
        }
    }

    async fn discover_logins(&self, ev: &Evidence) -> Result<Discovered, ProbeError> {
        let open = self.scan_tcp(ev, 1..=u16::MAX).await?;
        let known: BTreeSet<u16> = self
            .targets
            .iter()
            .filter(|t| t.interface.starts_with("undeclared-"))
            .map(|t| t.addr.port())
            .collect();
        let ports: Vec<u16> = open
            .into_iter()
            .filter(|p| !self.declared_ports.contains(p))
            .filter(|p| {
                self.book
                    .device_addr(*p)
                    .is_none_or(|a| !known.contains(&a.port()))
            })
            .collect();
        let found =
            futures_util::future::join_all(ports.iter().map(|p| self.identify(ev, *p))).await;
        let mut out = Discovered::default();
        for (seen, result) in found {
            out.seen.push(seen);
            match result {
                Ok(Some(t)) => out.targets.push(t),
                Ok(None) => {}
                Err(why) => out.unswept.push(why),
            }
        }
        Ok(out)
    }

    async fn fetch(&self, ev: &Evidence, url: &str) -> Result<WebPage, ProbeError> {
        let bad_url = |detail: String| ProbeError::Other {
            target: url.to_string(),
            detail,
        };
        let mut current = Url::parse(url).map_err(|e| bad_url(format!("not a URL: {e}")))?;
        if !matches!(current.scheme(), "http" | "https") {
            return Err(bad_url(format!(
                "only http and https pages can be fetched, not {}",
                current.scheme()
            )));
        }
        let mut redirects: Vec<String> = Vec::new();
        loop {
            let mut request = HttpRequest::get(current.clone());
            if self.is_device_url(&current) {
                request = request.accept_any_device_certificate();
            }
            let answer = self.http_call(ev, request).await?;
            if let (true, Some(location)) = (answer.is_redirect(), answer.header("location")) {
                let next = current.join(location).map_err(|e| ProbeError::Protocol {
                    target: current.to_string(),
                    detail: format!("redirect to an unreadable Location {location:?}: {e}"),
                })?;
                if !matches!(next.scheme(), "http" | "https") {
                    return Err(ProbeError::Protocol {
                        target: current.to_string(),
                        detail: format!("redirect to a non-web URL {next}"),
                    });
                }
                if redirects.len() >= MAX_REDIRECTS {
                    return Err(ProbeError::Protocol {
                        target: url.to_string(),
                        detail: format!(
                            "more than {MAX_REDIRECTS} redirects: {url} → {} → {next}",
                            redirects.join(" → ")
                        ),
                    });
                }
                redirects.push(next.to_string());
                current = next;
                continue;
            }
            return Ok(WebPage {
                requested: url.to_string(),
                url: answer.url.clone(),
                status: answer.status,
                content_type: answer.header("content-type").map(str::to_string),
                body: answer.body_text(),
                truncated: answer.truncated,
                redirects,
                auth_challenge: answer.status == 401 && answer.header("www-authenticate").is_some(),
            });
        }
    }

    async fn factory_reset(&self, ev: &Evidence) -> Result<(), ProbeError> {
        self.operator(ev, "factory_reset", self.actions.factory_reset())
            .await
    }

    async fn power_cycle(&self, ev: &Evidence) -> Result<(), ProbeError> {
        self.operator(ev, "power_cycle", self.actions.power_cycle())
            .await
    }

    /// A simulated product connects to the loopback address of each of its
    /// device ports in the range; a real unit to every port of the range.
    async fn scan_tcp(
        &self,
        ev: &Evidence,
        ports: RangeInclusive<u16>,
    ) -> Result<Vec<u16>, ProbeError> {
        let candidates: Vec<(u16, std::net::SocketAddr)> = match self.book.known_ports() {
            Some(known) => known
                .into_iter()
                .filter(|p| ports.contains(p))
                .filter_map(|p| self.book.device_addr(p).map(|a| (p, a)))
                .collect(),
            None => ports
                .clone()
                .filter(|p| *p != 0)
                .filter_map(|p| self.book.device_addr(p).map(|a| (p, a)))
                .collect(),
        };
        let request = PortScanRequest {
            host: self.book.device_host(),
            range: ports,
            candidates,
        };
        let report = self
            .scan
            .clone()
            .oneshot(Recorded::new(ev, request))
            .await?;
        Ok(report.open)
    }

    async fn api_call(
        &self,
        ev: &Evidence,
        call: &crate::endpoints::ApiCall,
    ) -> Result<crate::endpoints::ApiAnswer, ProbeError> {
        let addr = self.port_addr(call.port, "API")?;
        let request = crate::endpoints::http_request(call, addr, &self.book.device_host())?;
        let answer = self.http_call(ev, request).await?;
        Ok(crate::endpoints::ApiAnswer {
            status: answer.status,
            body: answer.body_text(),
            headers: answer.headers,
            truncated: answer.truncated,
        })
    }

    async fn cut_uplink(&self, ev: &Evidence) -> Result<(), ProbeError> {
        self.operator(ev, "cut_uplink", self.actions.cut_uplink())
            .await
    }

    async fn restore_uplink(&self, ev: &Evidence) -> Result<(), ProbeError> {
        self.operator(ev, "restore_uplink", self.actions.restore_uplink())
            .await
    }

    async fn redirect_cloud(
        &self,
        ev: &Evidence,
        target: std::net::SocketAddr,
    ) -> Result<(), ProbeError> {
        self.operator(ev, "redirect_cloud", self.actions.redirect_cloud(target))
            .await
    }

    async fn probe_tls(&self, ev: &Evidence, port: u16) -> Result<TlsReport, ProbeError> {
        let addr = self.port_addr(port, "TLS")?;
        tls::survey(&self.tls_hello, ev, addr, Some(self.book.device_host())).await
    }

    async fn mqtt_anonymous(&self, ev: &Evidence, port: u16) -> Result<MqttReport, ProbeError> {
        let addr = self.port_addr(port, "MQTT")?;
        self.mqtt
            .clone()
            .oneshot(Recorded::new(ev, MqttRequest { addr }))
            .await
    }
}
