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
//! telnet dialogue enforces its size limit as it reads. See [`layers`].

pub mod config;
pub mod http;
pub mod layers;
pub mod telnet;

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::timeout::TimeoutLayer;
use tower::util::BoxCloneSyncService;
use tower::ServiceBuilder;

pub use config::{ConfigError, ProbeConfig};

use crate::device::{AddressBook, ProbeError};
use http::{
    BodyLimitLayer, HttpRequest, HttpResponse, HttpSetupError, HttpTransport, LoginJudgeLayer,
};
use layers::{EvidenceLayer, PaceLayer, Pacer, ProbeErrorLayer, Recorded};
use telnet::{TelnetLogin, TelnetLoginReply, TelnetLoginRequest};

/// The futures our services return.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// An HTTP probe with all its layers.
pub type HttpProbe = BoxCloneSyncService<Recorded<HttpRequest>, HttpResponse, ProbeError>;

/// A telnet login probe with all its layers.
pub type TelnetProbe =
    BoxCloneSyncService<Recorded<TelnetLoginRequest>, TelnetLoginReply, ProbeError>;

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
        let transport = HttpTransport::new(book, &self.config, device_ip)?;
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
        Ok(BoxCloneSyncService::new(service))
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
