//! The FTP login probe's reply reader: no panic, lines and replies bounded,
//! the same replies (and the same error) however the stream is cut into
//! reads.
#![no_main]

use iotmark_adapters::probe::ftp::{Reply, ReplyReader, MAX_LINE, MAX_LINES};
use libfuzzer_sys::fuzz_target;

fn run(data: &[u8], chunk: usize) -> (Vec<Reply>, bool) {
    let mut reader = ReplyReader::new();
    let mut replies = Vec::new();
    for piece in data.chunks(chunk.max(1)) {
        reader.feed(piece);
        loop {
            match reader.next_reply() {
                Ok(Some(r)) => replies.push(r),
                Ok(None) => break,
                Err(_) => return (replies, true),
            }
        }
    }
    (replies, false)
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let (whole, whole_err) = run(rest, rest.len());
    let (split, split_err) = run(rest, usize::from(cut % 16) + 1);
    assert_eq!(whole, split, "split reads changed the replies");
    assert_eq!(whole_err, split_err, "split reads changed the error");
    for r in &whole {
        assert!((100..600).contains(&r.code));
        assert!(r.text.lines().count() <= MAX_LINES + 1);
        assert!(r.text.len() <= (MAX_LINE + 1) * (MAX_LINES + 1));
    }
});
