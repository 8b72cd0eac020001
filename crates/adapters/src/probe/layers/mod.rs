//! The layers every probe passes through, outermost first:
//!
//! 1. a concurrency limit shared by every probe on the device
//!    (`tower::limit::GlobalConcurrencyLimitLayer` over one semaphore);
//! 2. [`PaceLayer`]: a rate limit shared by every probe on the device;
//! 3. [`EvidenceLayer`]: records the probe, its answer or its error;
//! 4. [`ProbeErrorLayer`]: turns the timeout's error back into a [`ProbeError`];
//! 5. `tower::timeout::TimeoutLayer`: a hung device becomes a timeout;
//! 6. per protocol, a size limit enforced while reading (for HTTP
//!    [`crate::probe::http::BodyLimitLayer`]; the telnet dialogue counts what it
//!    reads itself, because it reads in turns).
//!
//! The evidence layer sits inside the limits so the duration it records is the
//! device's time, not time spent queueing, and outside the timeout so a
//! timeout is recorded too.
//!
//! [`ProbeError`]: crate::device::ProbeError

mod errors;
mod evidence;
mod pace;

pub use errors::{into_probe_error, ProbeErrorLayer, ProbeErrors};
pub use evidence::{
    outcome_word, scrub, scrub_error, DescribeRequest, DescribeResponse, EvidenceLayer,
    EvidenceService, Recorded,
};
pub use pace::{PaceLayer, Paced, Pacer};
