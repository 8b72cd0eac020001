//! Opening a device from its spec. `net:<host>` lives here; the `sim:` opener
//! builds a [`ProbedDevice`] the same way from a simulated product's address
//! book and physical actions.

use std::sync::Arc;

use crate::hooks::HookActions;
use crate::net::NetAddressBook;
use crate::probe::http::HttpSetupError;
use crate::probe::{ConfigError, ProbeConfig};
use crate::probed::ProbedDevice;
use crate::profile::Profile;

/// Why a device could not be opened. Each variant names the device spec.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdapterError {
    #[error("device {spec}: {detail}")]
    InvalidSpec { spec: String, detail: String },
    #[error("device {spec}: cannot resolve host {host}: {detail}")]
    Resolve {
        spec: String,
        host: String,
        detail: String,
    },
    #[error("device {spec}: unusable probe settings")]
    Config {
        spec: String,
        #[source]
        source: ConfigError,
    },
    #[error("device {spec}: cannot set up HTTP probes")]
    Http {
        spec: String,
        #[source]
        source: HttpSetupError,
    },
}

/// Open a real device at `host` (a host name, an IPv4 address or an
/// `[IPv6]` address; a leading `net:` is accepted): resolve it once, build the
/// probes for the interfaces the profile declares, discover undeclared telnet
/// logins, and run the profile's operator hooks for physical actions.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::path::Path;
/// use iotmark_adapters::adapter::open_net;
/// use iotmark_adapters::device::{Credential, Device};
/// use iotmark_adapters::evidence::EvidenceLog;
/// use iotmark_adapters::probe::ProbeConfig;
/// use iotmark_adapters::profile::Profile;
///
/// let profile = Profile::load(Path::new("examples/profiles/good-camera.json"))?;
/// // A real unit: probe gently.
/// let config = ProbeConfig { rate_per_second: Some(2), ..ProbeConfig::default() };
/// let device = open_net("192.168.1.20", &profile, config).await?;
/// let log = EvidenceLog::create(Path::new("evidence.jsonl"))?;
/// let ev = log.scope("5.1-1-2");
/// for target in device.login_targets() {
///     let outcome = device.try_login(&ev, &target, &Credential::new("admin", "admin")).await;
///     println!("{target}: {outcome:?}");
/// }
/// # Ok(())
/// # }
/// ```
pub async fn open_net(
    host: &str,
    profile: &Profile,
    config: ProbeConfig,
) -> Result<ProbedDevice, AdapterError> {
    let host = host.strip_prefix("net:").unwrap_or(host);
    let book = NetAddressBook::resolve(host, config.connect_timeout).await?;
    let actions =
        HookActions::from_profile(&profile.operator_hooks).for_device(&format!("net:{host}"));
    ProbedDevice::open(
        format!("net:{host}"),
        profile,
        Arc::new(book),
        Arc::new(actions),
        config,
    )
    .await
}
