//! The ClientHello reader: any bytes parse or are refused, never a panic.
#![no_main]

use iotmark_steps::analysis::traffic::client_hello;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(h) = client_hello(data) {
        assert!(h.lowest_version <= h.best_version);
    }
});
