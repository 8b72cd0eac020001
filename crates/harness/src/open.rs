//! Opening the device named on the command line.

use std::sync::Arc;

use iotmark_adapters::adapter::{open_net, AdapterError};
use iotmark_adapters::device::Device;
use iotmark_adapters::probe::ProbeConfig;
use iotmark_adapters::profile::Profile;

/// Open `sim:<product>` (started on loopback) or `net:<host>` (a real unit
/// on the bench network). `unit` picks which declared unit a simulated
/// product plays. Both end up as the same probed device.
pub async fn open_device(
    spec: &str,
    profile: &Profile,
    config: ProbeConfig,
    unit: usize,
) -> Result<Arc<dyn Device>, AdapterError> {
    if let Some(name) = spec.strip_prefix("sim:") {
        return iotmark_sim::open(spec, name, profile, config, unit).await;
    }
    if spec.starts_with("net:") {
        return Ok(Arc::new(open_net(spec, profile, config).await?));
    }
    Err(AdapterError::InvalidSpec {
        spec: spec.to_string(),
        detail: "a device is sim:<product> or net:<host>".into(),
    })
}
