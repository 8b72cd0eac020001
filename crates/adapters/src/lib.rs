//! The device model, protocol probes as tower services, and simulated products.
//!
//! Steps reach a product only through a [`device::Device`]. Adapters know
//! nothing of Gherkin: they connect, probe, and record evidence.

pub mod adapter;
pub mod calibration;
pub mod device;
pub mod endpoints;
pub mod evidence;
pub mod hooks;
pub mod identify;
pub mod net;
pub mod probe;
pub mod probed;
pub mod profile;
pub mod secret;
