//! Telnet option negotiation (IAC, subnegotiation, NUL stripping) and the
//! login judge on the text it leaves: no panic, answers bounded (at most one
//! three-byte answer per byte read), the same text and answers however the
//! stream is cut into reads.
#![no_main]

use iotmark_adapters::probe::telnet::codec::TelnetDecoder;
use iotmark_adapters::probe::telnet::judge::{decide, without_echo, Phase};
use libfuzzer_sys::fuzz_target;

fn run(data: &[u8], chunk: usize) -> (Vec<u8>, Vec<u8>, bool) {
    let mut decoder = TelnetDecoder::default();
    let (mut text, mut replies) = (Vec::new(), Vec::new());
    for piece in data.chunks(chunk.max(1)) {
        if decoder.feed(piece, &mut text, &mut replies).is_err() {
            return (text, replies, true);
        }
    }
    (text, replies, false)
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let whole = run(rest, rest.len());
    let split = run(rest, usize::from(cut % 16) + 1);
    assert_eq!(whole, split, "split reads changed the negotiation");
    let (text, replies, _) = whole;
    assert!(text.len() <= rest.len());
    assert!(replies.len() <= rest.len() * 3);
    let text = String::from_utf8_lossy(&text);
    for phase in [Phase::AwaitLogin, Phase::AwaitPassword, Phase::AwaitVerdict] {
        let _ = decide(phase, &text);
        let _ = decide(phase, without_echo(&text, Some("root")));
    }
});
