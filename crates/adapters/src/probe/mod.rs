//! Protocol probes as tower services.
//!
//! Each probe is a small service (an HTTP exchange, a telnet login dialogue)
//! wrapped in the same layers, assembled with `ServiceBuilder` in
//! [`ProbeStack`] so the order is visible in one place:
//!
//! ```text
//! concurrency limit ─ pace (rate) ─ evidence ─ error mapping ─ timeout ─ protocol service
//!   shared by every probe on the device     records each probe   a hung device → Timeout
//! ```
//!
//! HTTP adds a login judge and the body size limit inside the timeout; the
//! telnet dialogue, the TLS prober and the MQTT probe enforce their size
//! limits as they read. See [`layers`].
//!
//! The port scan is one probe as far as the shared limits and the evidence
//! log are concerned; inside it, its own bound (`scan_concurrency`) limits the
//! connects in flight, and its timeout is long enough for the whole range
//! ([`ProbeConfig::scan_deadline`]).

pub mod config;
pub mod ftp;
pub mod http;
pub mod layers;
pub mod mqtt;
pub mod rtsp;
pub mod scan;
pub mod snmp;
pub mod ssh;
pub mod syn;
pub mod telnet;
pub mod tls;
pub mod udp;

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::timeout::TimeoutLayer;
use tower::util::BoxCloneSyncService;
use tower::ServiceBuilder;

pub use config::{ConfigError, HostOverride, ProbeConfig};

use crate::device::{AddressBook, ProbeError};
use http::{
    BodyLimitLayer, DeviceConnections, HttpRequest, HttpResponse, HttpSetupError, HttpTransport,
    LoginJudgeLayer,
};
use layers::{EvidenceLayer, PaceLayer, Pacer, ProbeErrorLayer, Recorded};
use mqtt::{MqttProbeService, MqttReport, MqttRequest};
use scan::{PortScan, PortScanReport, PortScanRequest};
use ssh::{SshLogin, SshLoginReply, SshLoginRequest};
use telnet::{TelnetLogin, TelnetLoginReply, TelnetLoginRequest};
use tls::{TlsHello, TlsHelloReply, TlsHelloRequest};

/// The futures our services return.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// An HTTP probe with all its layers.
pub type HttpProbe = BoxCloneSyncService<Recorded<HttpRequest>, HttpResponse, ProbeError>;

/// A telnet login probe with all its layers.
pub type TelnetProbe =
    BoxCloneSyncService<Recorded<TelnetLoginRequest>, TelnetLoginReply, ProbeError>;

/// A TCP connect port scan with all its layers.
pub type ScanProbe = BoxCloneSyncService<Recorded<PortScanRequest>, PortScanReport, ProbeError>;

/// One hand-written TLS ClientHello with all its layers.
pub type TlsHelloProbe = BoxCloneSyncService<Recorded<TlsHelloRequest>, TlsHelloReply, ProbeError>;

/// An anonymous MQTT connect and subscribe with all its layers.
pub type MqttProbe = BoxCloneSyncService<Recorded<MqttRequest>, MqttReport, ProbeError>;

/// An MQTT login (CONNECT with a user name and password) with all its layers.
pub type MqttLoginProbe = BoxCloneSyncService<
    Recorded<mqtt::login::MqttLoginRequest>,
    mqtt::login::MqttLoginReply,
    ProbeError,
>;

/// An SSH password login with all its layers.
pub type SshProbe = BoxCloneSyncService<Recorded<SshLoginRequest>, SshLoginReply, ProbeError>;

/// Ports in a full scan: the deadline of the scan probe is sized for it.
pub const ALL_PORTS: usize = 65535;

/// The limits every probe on one device shares: one semaphore for
/// concurrency, one pacer for rate.
#[derive(Debug, Clone)]
pub struct ProbeStack {
    config: ProbeConfig,
    in_flight: Arc<Semaphore>,
    pacer: Option<Pacer>,
}

impl ProbeStack {
    /// Refuses a configuration that could not work (see [`ProbeConfig::check`]).
    pub fn new(config: ProbeConfig) -> Result<Self, ConfigError> {
        config.check()?;
        Ok(ProbeStack {
            in_flight: Arc::new(Semaphore::new(config.concurrency)),
            pacer: config.probe_interval().map(Pacer::new),
            config,
        })
    }

    pub fn config(&self) -> &ProbeConfig {
        &self.config
    }

    /// The HTTP probe: shared limits, evidence, timeout, login judge, body
    /// size limit, transport.
    pub fn http(
        &self,
        book: Arc<dyn AddressBook>,
        device_ip: Option<IpAddr>,
    ) -> Result<HttpProbe, HttpSetupError> {
        Ok(self.http_with_connections(book, device_ip)?.0)
    }

    /// [`ProbeStack::http`], and the handle on the connections it keeps to
    /// the device (to drop them after a physical action).
    pub fn http_with_connections(
        &self,
        book: Arc<dyn AddressBook>,
        device_ip: Option<IpAddr>,
    ) -> Result<(HttpProbe, DeviceConnections), HttpSetupError> {
        let transport = HttpTransport::new(book, &self.config, device_ip)?;
        let connections = transport.device_connections();
        let service = ServiceBuilder::new()
            .layer(GlobalConcurrencyLimitLayer::with_semaphore(Arc::clone(
                &self.in_flight,
            )))
            .option_layer(self.pacer.clone().map(PaceLayer::new))
            .layer(EvidenceLayer)
            .layer(ProbeErrorLayer::new(self.config.timeout))
            .layer(TimeoutLayer::new(self.config.timeout))
            .layer(LoginJudgeLayer)
            .layer(BodyLimitLayer::new(self.config.max_response_bytes))
            .service(transport);
        Ok((BoxCloneSyncService::new(service), connections))
    }

    /// The telnet login probe: shared limits, evidence, timeout, dialogue
    /// (which counts what it reads against the size limit).
    pub fn telnet(&self) -> TelnetProbe {
        let service = ServiceBuilder::new()
            .layer(GlobalConcurrencyLimitLayer::with_semaphore(Arc::clone(
                &self.in_flight,
            )))
            .option_layer(self.pacer.clone().map(PaceLayer::new))
            .layer(EvidenceLayer)
            .layer(ProbeErrorLayer::new(self.config.timeout))
            .layer(TimeoutLayer::new(self.config.timeout))
            .service(TelnetLogin::new(&self.config));
        BoxCloneSyncService::new(service)
    }
}

impl ProbeStack {
    /// Shared limits, evidence and a timeout of `timeout` around `service`.
    fn layered<S, R>(
        &self,
        timeout: std::time::Duration,
        service: S,
    ) -> BoxCloneSyncService<Recorded<R>, S::Response, ProbeError>
    where
        S: tower::Service<R, Error = ProbeError> + Clone + Send + Sync + 'static,
        S::Future: Send + 'static,
        S::Response: layers::DescribeResponse + Send + 'static,
        R: layers::DescribeRequest + Send + 'static,
    {
        let service = ServiceBuilder::new()
            .layer(GlobalConcurrencyLimitLayer::with_semaphore(Arc::clone(
                &self.in_flight,
            )))
            .option_layer(self.pacer.clone().map(PaceLayer::new))
            .layer(EvidenceLayer)
            .layer(ProbeErrorLayer::new(timeout))
            .layer(TimeoutLayer::new(timeout))
            .service(service);
        BoxCloneSyncService::new(service)
    }

    /// The TCP connect port scan: shared limits (the scan counts as one
    /// probe), one summary evidence line, a deadline sized for all 65535
    /// ports, the scan itself (`scan_concurrency` connects in flight).
    pub fn port_scan(&self) -> ScanProbe {
        self.layered(
            self.config.scan_deadline(ALL_PORTS),
            PortScan::new(&self.config),
        )
    }

    /// One TLS ClientHello: shared limits, evidence, timeout, the hello and
    /// a bounded read of the server's first flight.
    pub fn tls_hello(&self) -> TlsHelloProbe {
        self.layered(self.config.timeout, TlsHello::new(&self.config))
    }

    /// Anonymous MQTT: shared limits, evidence, timeout, connect, subscribe
    /// and a listening window shorter than the timeout.
    pub fn mqtt(&self) -> MqttProbe {
        self.layered(self.config.timeout, MqttProbeService::new(&self.config))
    }

    /// MQTT login: shared limits, evidence, timeout, CONNECT and CONNACK.
    pub fn mqtt_login(&self) -> MqttLoginProbe {
        self.layered(
            self.config.timeout,
            mqtt::login::MqttLogin::new(&self.config),
        )
    }

    /// SSH password login: shared limits, evidence, timeout, the SSH client.
    pub fn ssh(&self) -> SshProbe {
        self.layered(self.config.timeout, SshLogin::new(&self.config))
    }
}

/// An error and its sources, joined with `: `.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}
