//! A simulated product opened as a [`Device`]: started on loopback and
//! wrapped in the same [`ProbedDevice`] a real unit gets, so the harness
//! talks to a simulation with exactly the protocol clients it uses for real
//! ones. Also the built-in profile of each product.

use std::sync::Arc;

use iotmark_adapters::adapter::AdapterError;
use iotmark_adapters::device::{AddressBook, Device, PhysicalActions};
use iotmark_adapters::probe::ProbeConfig;
use iotmark_adapters::probed::ProbedDevice;
use iotmark_adapters::profile::Profile;

use crate::{SimConfig, SimProduct};

/// The example profile of each simulated product, built in so `demo` and
/// tests need no source tree.
const SIM_PROFILES: &[(&str, &str)] = &[
    (
        "good-camera",
        include_str!("../../../examples/profiles/good-camera.json"),
    ),
    (
        "mirai-dvr",
        include_str!("../../../examples/profiles/mirai-dvr.json"),
    ),
    (
        "counter-password-plug",
        include_str!("../../../examples/profiles/counter-password-plug.json"),
    ),
    (
        "serial-password-router",
        include_str!("../../../examples/profiles/serial-password-router.json"),
    ),
    (
        "reset-default-hub",
        include_str!("../../../examples/profiles/reset-default-hub.json"),
    ),
    (
        "no-contact-bulb",
        include_str!("../../../examples/profiles/no-contact-bulb.json"),
    ),
    (
        "vague-support-speaker",
        include_str!("../../../examples/profiles/vague-support-speaker.json"),
    ),
    (
        "tarpit",
        include_str!("../../../examples/profiles/tarpit.json"),
    ),
    (
        "firehose",
        include_str!("../../../examples/profiles/firehose.json"),
    ),
    (
        "garbage",
        include_str!("../../../examples/profiles/garbage.json"),
    ),
    (
        "flapping",
        include_str!("../../../examples/profiles/flapping.json"),
    ),
    (
        "no-lockout-camera",
        include_str!("../../../examples/profiles/no-lockout-camera.json"),
    ),
    (
        "sticky-password-camera",
        include_str!("../../../examples/profiles/sticky-password-camera.json"),
    ),
    (
        "unsigned-update-camera",
        include_str!("../../../examples/profiles/unsigned-update-camera.json"),
    ),
    (
        "open-settings-camera",
        include_str!("../../../examples/profiles/open-settings-camera.json"),
    ),
    (
        "chatty-camera",
        include_str!("../../../examples/profiles/chatty-camera.json"),
    ),
    (
        "fragile-api-camera",
        include_str!("../../../examples/profiles/fragile-api-camera.json"),
    ),
    (
        "cloud-tethered-camera",
        include_str!("../../../examples/profiles/cloud-tethered-camera.json"),
    ),
    (
        "shallow-erase-camera",
        include_str!("../../../examples/profiles/shallow-erase-camera.json"),
    ),
    (
        "opaque-doorbell",
        include_str!("../../../examples/profiles/opaque-doorbell.json"),
    ),
    (
        "ignored-choices-camera",
        include_str!("../../../examples/profiles/ignored-choices-camera.json"),
    ),
    (
        "undocumented-camera",
        include_str!("../../../examples/profiles/undocumented-camera.json"),
    ),
    (
        "cleartext-cloud-camera",
        include_str!("../../../examples/profiles/cleartext-cloud-camera.json"),
    ),
    (
        "reconnect-storm-camera",
        include_str!("../../../examples/profiles/reconnect-storm-camera.json"),
    ),
];

/// The built-in profile of a simulated product.
pub fn sim_profile(product: &str) -> Option<&'static str> {
    SIM_PROFILES
        .iter()
        .find(|(name, _)| *name == product)
        .map(|(_, json)| *json)
}

/// Start simulated product `name` (the part after `sim:` in `spec`) as unit
/// `unit` of its catalogue entry, and open it as a device.
pub async fn open(
    spec: &str,
    name: &str,
    profile: &Profile,
    config: ProbeConfig,
    unit: usize,
) -> Result<Arc<dyn Device>, AdapterError> {
    let product = SimProduct::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = SimProduct::all().iter().map(|p| p.name()).collect();
        AdapterError::InvalidSpec {
            spec: spec.to_string(),
            detail: format!("no simulated product {name:?}; known: {}", known.join(", ")),
        }
    })?;
    let running = crate::start(
        product,
        SimConfig {
            unit,
            ..SimConfig::default()
        },
    )
    .await
    .map_err(|e| AdapterError::InvalidSpec {
        spec: spec.to_string(),
        detail: format!("cannot start the simulation: {e}"),
    })?;
    let running = Arc::new(running);
    let book: Arc<dyn AddressBook> = running.clone();
    let actions: Arc<dyn PhysicalActions> = running;
    // The simulation's reset and power cycle change its state without
    // restarting its servers, so its connections survive them.
    let device = ProbedDevice::open(spec.to_string(), profile, book, actions, config)
        .await?
        .connections_survive_physical_actions();
    Ok(Arc::new(device))
}
