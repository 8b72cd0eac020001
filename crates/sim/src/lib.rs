//! Simulated products: real servers on 127.0.0.1 ephemeral ports, speaking
//! real protocols (HTTPS with a self-signed device certificate, plain HTTP,
//! telnet with option negotiation), plus the manufacturer's website over HTTPS
//! with its own certificate authority.
//!
//! Each product simulates one unit of its example profile
//! (`examples/profiles/<name>.json`; the first unit unless [`SimConfig::unit`]
//! picks another) and documents one behaviour per PSTI-relevant provision
//! ([`SimProduct::behaviours`]). The flawed products each break exactly one
//! PSTI requirement; the hostile products (tarpit, firehose, garbage,
//! flapping) break the harness's assumptions instead (see `hostile.rs`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), iotmark_sim::SimError> {
//! use iotmark_sim::{start, SimConfig, SimProduct};
//! let sim = start(SimProduct::GoodCamera, SimConfig::default()).await?;
//! println!("{}", sim.endpoints_json());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

pub mod catalog;
mod device_api;
mod hostile;
mod http_admin;
mod open;
mod page;
mod serve;
mod state;
mod tarpit;
mod telnet;
mod tls;
pub mod update;
mod uplink;
mod website;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use serde::Serialize;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use iotmark_adapters::device::{AddressBook, PhysicalActions};
use iotmark_adapters::profile::Protocol;

pub use catalog::{ProductSpec, UnitSpec};
pub use hostile::Hostile;
pub use open::{open, sim_profile};
pub use state::{LOCKOUT_DURATION, LOCKOUT_THRESHOLD};

use catalog::{AdminTransport, ResetPassword, TelnetConsole};
use state::UnitState;

/// The simulated products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimProduct {
    GoodCamera,
    MiraiDvr,
    CounterPasswordPlug,
    SerialPasswordRouter,
    ResetDefaultHub,
    NoContactBulb,
    VagueSupportSpeaker,
    Tarpit,
    Firehose,
    Garbage,
    Flapping,
    NoLockoutCamera,
    StickyPasswordCamera,
    UnsignedUpdateCamera,
    OpenSettingsCamera,
    ChattyCamera,
    FragileApiCamera,
    CloudTetheredCamera,
    ShallowEraseCamera,
    OpaqueDoorbell,
    IgnoredChoicesCamera,
    UndocumentedCamera,
    CleartextCloudCamera,
    ReconnectStormCamera,
}

impl SimProduct {
    pub fn all() -> &'static [SimProduct] {
        &[
            SimProduct::GoodCamera,
            SimProduct::MiraiDvr,
            SimProduct::CounterPasswordPlug,
            SimProduct::SerialPasswordRouter,
            SimProduct::ResetDefaultHub,
            SimProduct::NoContactBulb,
            SimProduct::VagueSupportSpeaker,
            SimProduct::Tarpit,
            SimProduct::Firehose,
            SimProduct::Garbage,
            SimProduct::Flapping,
            SimProduct::NoLockoutCamera,
            SimProduct::StickyPasswordCamera,
            SimProduct::UnsignedUpdateCamera,
            SimProduct::OpenSettingsCamera,
            SimProduct::ChattyCamera,
            SimProduct::FragileApiCamera,
            SimProduct::CloudTetheredCamera,
            SimProduct::ShallowEraseCamera,
            SimProduct::OpaqueDoorbell,
            SimProduct::IgnoredChoicesCamera,
            SimProduct::UndocumentedCamera,
            SimProduct::CleartextCloudCamera,
            SimProduct::ReconnectStormCamera,
        ]
    }

    /// The product named `name` (`good-camera`, `mirai-dvr`, …).
    pub fn from_name(name: &str) -> Option<SimProduct> {
        SimProduct::all().iter().copied().find(|p| p.name() == name)
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// One line: what it does wrong, or "conformant".
    pub fn summary(self) -> &'static str {
        self.spec().summary
    }

    /// One documented behaviour per provision it touches: (provision, behaviour).
    pub fn behaviours(self) -> &'static [(&'static str, &'static str)] {
        self.spec().behaviours
    }

    /// The catalogue entry: identity, unit table, what is served.
    pub fn spec(self) -> &'static ProductSpec {
        catalog::spec(self)
    }

    /// File name of its example profile in `examples/profiles/`.
    pub fn profile_file_name(self) -> String {
        format!("{}.json", self.name())
    }
}

impl fmt::Display for SimProduct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which unit to simulate, and where.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Index into the product's unit table (the profile's `units`).
    pub unit: usize,
    /// The address every server binds (on ports the system picks).
    pub bind: Ipv4Addr,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            unit: 0,
            bind: Ipv4Addr::LOCALHOST,
        }
    }
}

/// One of the device's listening ports.
#[derive(Debug, Clone, Serialize)]
pub struct SimService {
    /// The port a real unit would use (443, 80, 23…).
    pub device_port: u16,
    pub protocol: Protocol,
    /// Where the simulation actually listens.
    pub local: SocketAddr,
    pub tls: bool,
}

/// Why a simulated product could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    #[error("{product} has {units} units; there is no unit {unit}")]
    NoSuchUnit {
        product: &'static str,
        unit: usize,
        units: usize,
    },
    #[error("cannot listen on a loopback port for {what}: {source}")]
    Bind {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot make the {what}: {detail}")]
    Certificate { what: &'static str, detail: String },
    #[error("TLS server configuration: {detail}")]
    Tls { detail: String },
    #[error("catalogue entry for {product} is invalid: {detail}")]
    Catalog {
        product: &'static str,
        detail: String,
    },
}

/// Server tasks, aborted when dropped (which also drops their connections).
#[derive(Default)]
struct Tasks(Vec<JoinHandle<()>>);

impl Tasks {
    fn spawn<F: std::future::Future<Output = ()> + Send + 'static>(&mut self, fut: F) {
        self.0.push(tokio::spawn(fut));
    }
}

impl Drop for Tasks {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

/// A started simulated product. Dropping it (or [`RunningSim::shutdown`])
/// stops every server.
pub struct RunningSim {
    product: SimProduct,
    unit_index: usize,
    unit: &'static UnitSpec,
    state: Arc<UnitState>,
    services: Vec<SimService>,
    website_local: SocketAddr,
    website_hosts: Vec<String>,
    ca_pem: String,
    /// The address the servers are bound to.
    host: Ipv4Addr,
    /// Where the unit's cloud connection goes.
    cloud: uplink::CloudTarget,
    tasks: Tasks,
}

impl fmt::Debug for RunningSim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningSim")
            .field("product", &self.product.name())
            .field("unit", &self.unit.serial)
            .field("services", &self.services)
            .field("website_local", &self.website_local)
            .field("website_hosts", &self.website_hosts)
            .finish_non_exhaustive()
    }
}

async fn bind(ip: Ipv4Addr, what: impl Into<String>) -> Result<TcpListener, SimError> {
    TcpListener::bind((ip, 0))
        .await
        .map_err(|source| SimError::Bind {
            what: what.into(),
            source,
        })
}

fn local_addr(listener: &TcpListener, what: &str) -> Result<SocketAddr, SimError> {
    listener.local_addr().map_err(|source| SimError::Bind {
        what: what.to_string(),
        source,
    })
}

/// The same TLS configuration offering only HTTP/1.1 (the firehose speaks
/// HTTP/1.1 by hand after the handshake).
fn http1_only(config: Arc<rustls::ServerConfig>) -> Arc<rustls::ServerConfig> {
    let mut config = (*config).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// Start `product` as real servers on loopback.
pub async fn start(product: SimProduct, config: SimConfig) -> Result<RunningSim, SimError> {
    let spec = product.spec();
    let unit = spec.units.get(config.unit).ok_or(SimError::NoSuchUnit {
        product: spec.name,
        unit: config.unit,
        units: spec.units.len(),
    })?;
    let support_end = iotmark_adapters::profile::parse_date(spec.support_end).ok_or_else(|| {
        SimError::Catalog {
            product: spec.name,
            detail: format!("support end {:?} is not a date", spec.support_end),
        }
    })?;
    let factory_password = match spec.reset_password {
        ResetPassword::Label => unit.label_password,
        ResetPassword::Universal(p) => p,
    };
    let state = Arc::new(UnitState::with_firmware(
        spec.admin_username,
        unit.label_password,
        factory_password,
        spec.firmware,
    ));
    let website_hosts = vec![spec.website_host.to_string()];
    let pki = tls::website_pki(spec.manufacturer, &website_hosts)?;

    let mut tasks = Tasks::default();
    let mut services = Vec::new();

    // The device's administration interface.
    let admin_port = spec.admin.port();
    let https = spec.admin == AdminTransport::Https;
    let listener = bind(config.bind, format!("device port {admin_port}")).await?;
    services.push(SimService {
        device_port: admin_port,
        protocol: if https {
            Protocol::Https
        } else {
            Protocol::Http
        },
        local: local_addr(&listener, "device admin")?,
        tls: https,
    });
    if let Some(kind) = spec.hostile {
        let acceptor = if https {
            Some(TlsAcceptor::from(http1_only(tls::device_tls(
                spec.hostname,
                spec.model,
                unit.serial,
            )?)))
        } else {
            None
        };
        tasks.spawn(hostile::serve(kind, listener, acceptor));
    } else {
        let router = http_admin::router(spec, unit.serial, state.clone(), https);
        let acceptor = if https {
            Some(TlsAcceptor::from(tls::device_tls(
                spec.hostname,
                spec.model,
                unit.serial,
            )?))
        } else {
            None
        };
        tasks.spawn(serve::serve_http(listener, router, acceptor));
    }

    // A telnet console on 23: the hostile products declare one, the DVR
    // hides one.
    let telnet_console = match spec.telnet {
        TelnetConsole::Backdoor { username, password } => Some(telnet::Console {
            hostname: spec.hostname,
            banner: format!("{} {} (Linux 3.10.0)", spec.model, spec.product_type),
            username,
            password,
        }),
        TelnetConsole::None => None,
    };
    if spec.hostile.is_some() || telnet_console.is_some() {
        let listener = bind(config.bind, "device port 23").await?;
        services.push(SimService {
            device_port: 23,
            protocol: Protocol::Telnet,
            local: local_addr(&listener, "device telnet")?,
            tls: false,
        });
        match (spec.hostile, telnet_console) {
            (Some(kind), _) => tasks.spawn(hostile::serve(kind, listener, None)),
            (None, Some(console)) => tasks.spawn(telnet::serve(listener, console)),
            (None, None) => {}
        }
    }

    // The manufacturer's website.
    let listener = bind(config.bind, "the manufacturer's website").await?;
    let website_local = local_addr(&listener, "website")?;
    if let Some(kind) = spec.hostile {
        let acceptor = TlsAcceptor::from(http1_only(pki.server_config));
        tasks.spawn(hostile::serve(kind, listener, Some(acceptor)));
    } else {
        let router = website::router(website::Site::new(spec, support_end));
        let acceptor = TlsAcceptor::from(pki.server_config);
        tasks.spawn(serve::serve_http(listener, router, Some(acceptor)));
    }

    // The unit's connection to its cloud service, once the harness names one.
    let cloud = uplink::CloudTarget::new();
    if spec.hostile.is_none() {
        tasks.spawn(uplink::run(spec, unit.serial, state.clone(), cloud.clone()));
    }

    tracing::info!(
        product = spec.name,
        unit = unit.serial,
        "simulated product started"
    );
    Ok(RunningSim {
        product,
        host: config.bind,
        unit_index: config.unit,
        unit,
        state,
        services,
        website_local,
        website_hosts,
        ca_pem: pki.ca_pem,
        cloud,
        tasks,
    })
}

impl RunningSim {
    pub fn product(&self) -> SimProduct {
        self.product
    }

    /// Index of the simulated unit in the product's unit table.
    pub fn unit_index(&self) -> usize {
        self.unit_index
    }

    /// Serial number of the simulated unit.
    pub fn unit_serial(&self) -> &str {
        self.unit.serial
    }

    /// The device's own listening ports, by the port a real unit would use.
    pub fn services(&self) -> &[SimService] {
        &self.services
    }

    /// The manufacturer's website (HTTPS).
    pub fn website_local(&self) -> SocketAddr {
        self.website_local
    }

    pub fn website_hosts(&self) -> &[String] {
        &self.website_hosts
    }

    /// The CA that signed the website certificate.
    pub fn website_ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// What `iotmark simulate` prints: the product, the unit (with the
    /// password printed on its label: this is a simulation and the same value
    /// is in the example profile), every service and the website, with
    /// commands a human can paste.
    pub fn endpoints_json(&self) -> serde_json::Value {
        let spec = self.product.spec();
        let user = spec.admin_username;
        let ip = self.host;
        let services: Vec<serde_json::Value> = self
            .services
            .iter()
            .map(|s| {
                let port = s.local.port();
                let try_it = match s.protocol {
                    Protocol::Telnet => format!("telnet {ip} {port}"),
                    Protocol::Https => {
                        format!("curl -k -u '{user}:PASSWORD' https://{ip}:{port}/api/status")
                    }
                    _ => format!("curl -u '{user}:PASSWORD' http://{ip}:{port}/api/status"),
                };
                let scheme = if s.tls { "https" } else { "http" };
                let url = match s.protocol {
                    Protocol::Telnet => format!("telnet://{ip}:{port}"),
                    _ => format!("{scheme}://{ip}:{port}/login"),
                };
                serde_json::json!({
                    "device_port": s.device_port,
                    "protocol": s.protocol,
                    "local": s.local.to_string(),
                    "tls": s.tls,
                    "url": url,
                    "try": try_it,
                })
            })
            .collect();
        let port = self.website_local.port();
        let curl = |host: &str, path: &str| {
            format!("curl --cacert ca.pem --resolve {host}:{port}:{ip} https://{host}:{port}{path}")
        };
        let host = spec.website_host;
        serde_json::json!({
            "product": spec.name,
            "summary": spec.summary,
            "manufacturer": spec.manufacturer,
            "model": spec.model,
            "firmware": spec.firmware,
            "unit": {
                "index": self.unit_index,
                "serial": self.unit.serial,
                "mac": self.unit.mac,
                "username": user,
                "label_password": self.unit.label_password,
            },
            "services": services,
            "website": {
                "hosts": self.website_hosts,
                "local": self.website_local.to_string(),
                "ca_pem": self.ca_pem,
                "save_ca": "write website.ca_pem to ca.pem, then run the commands below",
                "curl": [
                    curl(host, "/.well-known/security.txt"),
                    curl(host, "/security/disclosure-policy"),
                    curl(host, &spec.support_path()),
                ],
            },
            "behaviours": spec.behaviours.iter().map(|(id, what)| {
                serde_json::json!({ "provision": id, "behaviour": what })
            }).collect::<Vec<_>>(),
        })
    }

    /// Stop every server and wait until they are gone.
    pub async fn shutdown(mut self) {
        let tasks = std::mem::take(&mut self.tasks.0);
        for t in &tasks {
            t.abort();
        }
        for t in tasks {
            let _ = t.await;
        }
    }
}

impl AddressBook for RunningSim {
    fn device_addr(&self, port: u16) -> Option<SocketAddr> {
        self.services
            .iter()
            .find(|s| s.device_port == port)
            .map(|s| s.local)
    }

    fn device_host(&self) -> String {
        self.host.to_string()
    }

    fn known_ports(&self) -> Option<Vec<u16>> {
        let mut ports: Vec<u16> = self.services.iter().map(|s| s.device_port).collect();
        ports.sort_unstable();
        ports.dedup();
        Some(ports)
    }

    fn website_addr(&self, host: &str) -> Option<SocketAddr> {
        let host = host.trim_end_matches('.');
        self.website_hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(host))
            .then_some(self.website_local)
    }

    fn website_roots_pem(&self) -> Vec<String> {
        vec![self.ca_pem.clone()]
    }
}

#[async_trait::async_trait]
impl PhysicalActions for RunningSim {
    async fn factory_reset(&self) -> Result<(), String> {
        self.state.factory_reset();
        tracing::info!(product = self.product.name(), "simulated factory reset");
        Ok(())
    }

    async fn power_cycle(&self) -> Result<(), String> {
        self.state.power_cycle();
        tracing::info!(product = self.product.name(), "simulated power cycle");
        Ok(())
    }

    async fn cut_uplink(&self) -> Result<(), String> {
        self.state.set_uplink(false);
        tracing::info!(product = self.product.name(), "simulated uplink cut");
        Ok(())
    }

    async fn restore_uplink(&self) -> Result<(), String> {
        self.state.set_uplink(true);
        tracing::info!(product = self.product.name(), "simulated uplink restored");
        Ok(())
    }

    async fn redirect_cloud(&self, target: SocketAddr) -> Result<(), String> {
        if self.product.spec().hostile.is_some() {
            return Err("this simulated product has no cloud connection".into());
        }
        self.cloud.redirect(target);
        tracing::info!(product = self.product.name(), %target, "cloud connection redirected");
        Ok(())
    }
}
