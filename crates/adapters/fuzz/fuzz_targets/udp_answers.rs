//! The UDP discovery's readers of what a service answers (SNMP through
//! rasn, SSDP through httparse, and the hand-written CoAP, DNS, TFTP and
//! WS-Discovery readers): no panic on any datagram, a bounded description.
#![no_main]

use iotmark_adapters::probe::rtsp::parse_response;
use iotmark_adapters::probe::udp::{Question, UdpService};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, datagram)) = data.split_first() else {
        return;
    };
    let id = u32::from(selector).wrapping_mul(0x0101_0101);
    for service in UdpService::ALL {
        if let Ok(text) = Question::with_id(service, id).identify(datagram) {
            assert!(text.len() < 4096, "{service}: {} bytes", text.len());
        }
    }
    // The RTSP probe's answer reader: it consumes no more than it was given.
    if let Ok((_, used)) = parse_response(datagram) {
        assert!(used <= datagram.len());
    }
});
