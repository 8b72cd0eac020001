//! Capture reading: any bytes become a reading or an error, never a panic,
//! and what is kept stays within its bounds.
#![no_main]

use std::net::IpAddr;

use iotmark_steps::capture::{parse, Endpoint, STREAM_MAX};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ep = Endpoint {
        device: vec![IpAddr::from([127, 0, 0, 1]), IpAddr::from([10, 0, 0, 5])],
        port: 443,
        server: None,
    };
    if let Ok(r) = parse("fuzz.pcap", data, &ep) {
        assert!(r.sessions.iter().all(|s| s.bytes.len() <= STREAM_MAX));
    }
});
