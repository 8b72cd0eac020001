//! The TLS prober's reading of a server's first flight. The first input
//! byte picks how the rest is cut into reads (a device chooses its segment
//! sizes); the parser must never panic, never take more than its budget,
//! and give the same answer however the bytes are split.
#![no_main]

use iotmark_adapters::probe::tls::parse::FlightParser;
use libfuzzer_sys::fuzz_target;

const BUDGET: usize = 64 * 1024;

fn run(data: &[u8], chunk: usize) -> String {
    let mut parser = FlightParser::new(BUDGET);
    for piece in data.chunks(chunk.max(1)) {
        match parser.feed(piece) {
            Ok(Some(answer)) => return format!("answer {answer:?}"),
            Ok(None) => {}
            Err(e) => return format!("not TLS: {e}"),
        }
    }
    format!("end {:?}", parser.finish())
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    if rest.len() > BUDGET {
        // Past the budget a single read is refused whole, whatever it holds.
        return;
    }
    let whole = run(rest, rest.len());
    let split = run(rest, usize::from(cut % 64) + 1);
    // An error may be found at a different point (and so worded
    // differently) when the bytes arrive in pieces; answers must agree.
    if whole.starts_with("answer") || split.starts_with("answer") {
        assert_eq!(whole, split, "split reads changed the answer");
    }
});
