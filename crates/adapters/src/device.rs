//! The device model the steps program against. A [`Device`] offers the
//! operations the test steps need, each returning a typed outcome or a
//! [`ProbeError`]; how the operation reaches the product (a simulated product on
//! loopback, a real unit on the bench network) is the adapter's business.

use std::fmt;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::time::Duration;

use serde::Serialize;

use crate::evidence::Evidence;
pub use crate::probe::mqtt::MqttReport;
pub use crate::probe::tls::TlsReport;
use crate::profile::LoginMethod;
use crate::secret::Secret;

/// A username and password to try on a login interface.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Credential {
    pub username: String,
    pub password: Secret,
}

impl Credential {
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credential {
            username: username.into(),
            password: Secret::new(password),
        }
    }
}

/// A declared interface with a login, resolved to the address to connect to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoginTarget {
    /// The interface name from the profile's IXIT.
    pub interface: String,
    pub method: LoginMethod,
    /// Where the probe connects.
    pub addr: SocketAddr,
    /// Host name to present (HTTP `Host`, TLS SNI).
    pub host: String,
    /// Whether the interface speaks TLS (https).
    pub tls: bool,
}

impl fmt::Display for LoginTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.method {
            LoginMethod::TelnetPrompt => "telnet login",
            LoginMethod::HttpBasic { .. } => "HTTP basic auth",
            LoginMethod::HttpDigest { .. } => "HTTP digest auth",
            LoginMethod::HttpForm { .. } => "HTTP form login",
            LoginMethod::SshPassword => "SSH password login",
            LoginMethod::MqttConnect => "MQTT login",
        };
        write!(f, "{kind} on {} ({})", self.interface, self.addr)
    }
}

/// What the device did with a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum LoginOutcome {
    Accepted,
    Rejected,
    /// The device refuses further attempts for now (HTTP 429, "too many
    /// attempts"). A credential tried while locked out proves nothing.
    LockedOut {
        detail: String,
    },
}

/// A fetched web page, trimmed to the size limit.
#[derive(Debug, Clone, Serialize)]
pub struct WebPage {
    /// The URL that was asked for.
    pub requested: String,
    /// The URL finally answered (after redirects).
    pub url: String,
    pub status: u16,
    pub content_type: Option<String>,
    /// Body decoded as UTF-8 (lossy), at most the size limit.
    pub body: String,
    /// True when the body was cut at the size limit.
    pub truncated: bool,
    /// Each redirect hop's target, in order.
    pub redirects: Vec<String>,
    /// The server asked for credentials (401 with `WWW-Authenticate`).
    pub auth_challenge: bool,
}

/// Why a probe produced no answer to judge. Every variant makes the affected
/// test case INCONCLUSIVE: never PASS, never FAIL.
#[derive(Debug, Clone, thiserror::Error, Serialize)]
#[serde(tag = "error", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ProbeError {
    #[error("{target}: no answer within {:.1} s", .after.as_secs_f64())]
    Timeout { target: String, after: Duration },
    #[error("{target}: cannot connect: {detail}")]
    Connect { target: String, detail: String },
    #[error("{target}: unexpected answer: {detail}")]
    Protocol { target: String, detail: String },
    #[error("{target}: answer larger than {limit} bytes")]
    TooLarge { target: String, limit: usize },
    #[error("{action}: {detail}")]
    Operator { action: String, detail: String },
    #[error("{what} is not supported by device adapter {adapter}")]
    Unsupported { adapter: String, what: String },
    #[error("{target}: {detail}")]
    Other { target: String, detail: String },
}

/// Logins found on ports the declaration does not name.
#[derive(Debug, Clone, Default)]
pub struct Discovered {
    /// Logins to sweep like declared ones (`undeclared-<kind>-<port>`).
    pub targets: Vec<LoginTarget>,
    /// Services that may take credentials but cannot be swept, with why.
    pub unswept: Vec<String>,
    /// What each undeclared open port was found to speak.
    pub seen: Vec<String>,
}

/// A product under test, reached through an adapter.
#[async_trait::async_trait]
pub trait Device: Send + Sync + fmt::Debug {
    /// The device spec it was opened with, e.g. `sim:good-camera`.
    fn name(&self) -> &str;

    /// Every enabled interface that declares a login, resolved for probing.
    fn login_targets(&self) -> Vec<LoginTarget>;

    /// Try one credential on one login interface.
    async fn try_login(
        &self,
        ev: &Evidence,
        target: &LoginTarget,
        credential: &Credential,
    ) -> Result<LoginOutcome, ProbeError>;

    /// Try one credential and return the answer as read, with its shape
    /// where the protocol's answers vary by device, for a judge calibrated
    /// on the device ([`crate::calibration::Calibration`]). An answer the
    /// probe's fixed rules cannot read is `Ok` with `read: Err(why)`; a
    /// probe that got no answer at all is `Err`.
    async fn login_answer(
        &self,
        ev: &Evidence,
        target: &LoginTarget,
        credential: &Credential,
    ) -> Result<crate::calibration::LoginAnswer, ProbeError> {
        match self.try_login(ev, target, credential).await {
            Ok(outcome) => Ok(crate::calibration::LoginAnswer::read_as(outcome)),
            Err(ProbeError::Protocol { target, detail }) => Ok(crate::calibration::LoginAnswer {
                read: Err(format!("{target}: unexpected answer: {detail}")),
                shape: None,
            }),
            Err(e) => Err(e),
        }
    }

    /// Scan every TCP port and identify what each open port the
    /// declaration does not name speaks; logins among them become targets.
    async fn discover_logins(&self, _ev: &Evidence) -> Result<Discovered, ProbeError> {
        Ok(Discovered::default())
    }

    /// Fetch a web page (the manufacturer's website, the device's own pages)
    /// without credentials, following redirects.
    async fn fetch(&self, ev: &Evidence, url: &str) -> Result<WebPage, ProbeError>;

    /// Return the unit to its factory-default state (a reset button on a real
    /// unit: the operator hook).
    async fn factory_reset(&self, ev: &Evidence) -> Result<(), ProbeError>;

    /// Power the unit off and on (clears lockouts and volatile state).
    async fn power_cycle(&self, ev: &Evidence) -> Result<(), ProbeError>;

    /// TCP connect scan of `ports` on the device: the device ports that
    /// accept a connection, ascending. Recorded as one evidence line.
    async fn scan_tcp(
        &self,
        _ev: &Evidence,
        _ports: RangeInclusive<u16>,
    ) -> Result<Vec<u16>, ProbeError> {
        Err(self.unsupported("a TCP port scan"))
    }

    /// Which TLS versions and weak cipher suites the TLS server on device
    /// port `port` accepts.
    async fn probe_tls(&self, _ev: &Evidence, _port: u16) -> Result<TlsReport, ProbeError> {
        Err(self.unsupported("the TLS prober"))
    }

    /// Connect to the MQTT broker on device port `port` without credentials
    /// and subscribe to every topic.
    async fn mqtt_anonymous(&self, _ev: &Evidence, _port: u16) -> Result<MqttReport, ProbeError> {
        Err(self.unsupported("the MQTT probe"))
    }

    /// Send one request to a declared API endpoint of the device (form
    /// fields, optional basic credentials), without following redirects.
    async fn api_call(
        &self,
        _ev: &Evidence,
        _call: &crate::endpoints::ApiCall,
    ) -> Result<crate::endpoints::ApiAnswer, ProbeError> {
        Err(self.unsupported("API calls"))
    }

    /// Disconnect the unit's upstream network (internet access), leaving the
    /// local network up.
    async fn cut_uplink(&self, _ev: &Evidence) -> Result<(), ProbeError> {
        Err(self.unsupported("cutting the uplink"))
    }

    /// Reconnect the unit's upstream network.
    async fn restore_uplink(&self, _ev: &Evidence) -> Result<(), ProbeError> {
        Err(self.unsupported("restoring the uplink"))
    }

    /// Send the unit's cloud connection to `target`, a stand-in for its
    /// cloud service that the harness runs, so what the unit sends can be
    /// observed. Only a simulation can be pointed elsewhere.
    async fn redirect_cloud(&self, _ev: &Evidence, _target: SocketAddr) -> Result<(), ProbeError> {
        Err(self.unsupported("redirecting the cloud connection"))
    }

    /// The error the default methods return.
    fn unsupported(&self, what: &str) -> ProbeError {
        ProbeError::Unsupported {
            adapter: self.name().to_string(),
            what: what.to_string(),
        }
    }
}

/// Where the product's declared ports and its manufacturer's website are
/// reached. A real unit answers on its own address; a simulated product answers
/// on loopback ports chosen when it started.
pub trait AddressBook: Send + Sync + fmt::Debug {
    /// The address that answers for the device's port `port`, if any.
    fn device_addr(&self, port: u16) -> Option<SocketAddr>;

    /// Host name to present to the device (HTTP `Host`, TLS SNI).
    fn device_host(&self) -> String;

    /// Every port the device is known to listen on, for discovery of
    /// undeclared login interfaces. Real devices return `None`: the caller then
    /// connects to the well-known ports it wants to check.
    fn known_ports(&self) -> Option<Vec<u16>>;

    /// Where to connect for a website host name instead of resolving it through
    /// DNS (a simulated manufacturer's website); `None` resolves normally.
    fn website_addr(&self, host: &str) -> Option<SocketAddr>;

    /// Extra root certificates (PEM) to trust for website TLS, beyond the
    /// system's (the simulated manufacturer's certificate authority).
    fn website_roots_pem(&self) -> Vec<String>;
}

/// Physical actions on the unit: pressing the reset button, pulling the plug.
#[async_trait::async_trait]
pub trait PhysicalActions: Send + Sync + fmt::Debug {
    async fn factory_reset(&self) -> Result<(), String>;
    async fn power_cycle(&self) -> Result<(), String>;

    /// Unplug the unit's upstream network (internet), keeping the local one.
    async fn cut_uplink(&self) -> Result<(), String> {
        Err("no way to cut the uplink is configured (operator hook cut_uplink)".into())
    }

    /// Plug the upstream network back in.
    async fn restore_uplink(&self) -> Result<(), String> {
        Err("no way to restore the uplink is configured (operator hook restore_uplink)".into())
    }

    /// Make the unit connect to `target` instead of its cloud service.
    async fn redirect_cloud(&self, _target: SocketAddr) -> Result<(), String> {
        Err("a real unit's cloud connection cannot be redirected to the harness".into())
    }
}
