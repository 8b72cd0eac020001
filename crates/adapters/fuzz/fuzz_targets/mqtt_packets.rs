//! The MQTT probe's decoder of what a broker sends: bounded packets, never a
//! panic, the same packets however the stream is cut into reads.
#![no_main]

use iotmark_adapters::probe::mqtt::codec::{Decoder, Packet};
use libfuzzer_sys::fuzz_target;

const MAX_PACKET: usize = 4096;

fn run(data: &[u8], chunk: usize) -> (Vec<Packet>, bool) {
    let mut decoder = Decoder::new(MAX_PACKET);
    let mut packets = Vec::new();
    for piece in data.chunks(chunk.max(1)) {
        decoder.feed(piece);
        loop {
            match decoder.next_packet() {
                Ok(Some(p)) => packets.push(p),
                Ok(None) => break,
                Err(_) => return (packets, true),
            }
        }
    }
    (packets, false)
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let (whole, whole_err) = run(rest, rest.len());
    let (split, split_err) = run(rest, usize::from(cut % 32) + 1);
    assert_eq!(whole, split, "split reads changed the packets");
    assert_eq!(whole_err, split_err, "split reads changed the error");
});
