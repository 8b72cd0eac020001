//! The Gherkin side of iotmark: the catalogue derived from the feature files,
//! the step definitions, the runner that turns scenarios into verdicts, and the
//! reports a run writes.

pub mod analysis;
pub mod attestation;
pub mod capture;
pub mod catalogue;
pub mod defs;
pub mod dictionary;
pub mod report;
pub mod runner;
pub mod verdict;
pub mod world;
