//! The harness: what `iotmark run` does, as a library. Opens the device named
//! on the command line (`sim:<product>` starts a simulated product,
//! `net:<host>` reaches a real unit), runs a scheme's scenarios against it
//! through the steps crate, and writes the report folder; a fleet runs many
//! units of one product at once.
//!
//! The binary only parses arguments and prints; this crate sits above the
//! steps, the report, the simulated products and the adapters, and below the
//! binary.

pub mod fleet;
mod open;
pub mod pipeline;

pub use open::open_device;
pub use pipeline::{execute, execute_with, ProbeSettings, RunOutput, RunPlan};
