//! Telnet option negotiation the way a simple client does it (RFC 854/855):
//! the server may echo and suppress go-ahead; everything else is refused. IAC
//! sequences are stripped from the text; answers are produced once per change
//! of mind, so a server repeating itself cannot start a negotiation loop.

pub const IAC: u8 = 255;
pub const DONT: u8 = 254;
pub const DO: u8 = 253;
pub const WONT: u8 = 252;
pub const WILL: u8 = 251;
pub const SB: u8 = 250;
pub const SE: u8 = 240;
pub const OPT_ECHO: u8 = 1;
pub const OPT_SGA: u8 = 3;

/// Longest subnegotiation accepted. We refuse every option that uses one, so a
/// long one means the stream is not telnet at all.
pub const MAX_SUBNEGOTIATION: usize = 512;

/// The byte stream cannot be telnet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a telnet subnegotiation ran past {MAX_SUBNEGOTIATION} bytes; this is not a telnet stream")]
pub struct NotTelnet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Data,
    Iac,
    Verb(u8),
    Sub,
    SubIac,
}

/// Splits received bytes into text and negotiation, and answers negotiation.
#[derive(Debug, Clone)]
pub struct TelnetDecoder {
    state: State,
    sub_len: usize,
    /// Our last answer about each option on the server's side (DO = true).
    remote: [Option<bool>; 256],
    /// Our last answer about each option on our side (WILL = true).
    local: [Option<bool>; 256],
}

impl Default for TelnetDecoder {
    fn default() -> Self {
        TelnetDecoder {
            state: State::Data,
            sub_len: 0,
            remote: [None; 256],
            local: [None; 256],
        }
    }
}

impl TelnetDecoder {
    /// Feed received bytes: text goes to `text` (without NULs), answers to
    /// send back go to `replies`. Sequences split across reads are handled.
    pub fn feed(
        &mut self,
        input: &[u8],
        text: &mut Vec<u8>,
        replies: &mut Vec<u8>,
    ) -> Result<(), NotTelnet> {
        for &b in input {
            self.state = match self.state {
                State::Data => match b {
                    IAC => State::Iac,
                    0 => State::Data,
                    _ => {
                        text.push(b);
                        State::Data
                    }
                },
                State::Iac => match b {
                    IAC => {
                        text.push(IAC);
                        State::Data
                    }
                    WILL | WONT | DO | DONT => State::Verb(b),
                    SB => {
                        self.sub_len = 0;
                        State::Sub
                    }
                    // NOP, GA, DM, AYT and the other two-byte commands.
                    _ => State::Data,
                },
                State::Verb(verb) => {
                    self.answer(verb, b, replies);
                    State::Data
                }
                State::Sub => {
                    self.sub_len += 1;
                    if self.sub_len > MAX_SUBNEGOTIATION {
                        return Err(NotTelnet);
                    }
                    if b == IAC {
                        State::SubIac
                    } else {
                        State::Sub
                    }
                }
                State::SubIac => match b {
                    SE => State::Data,
                    _ => State::Sub,
                },
            };
        }
        Ok(())
    }

    fn answer(&mut self, verb: u8, option: u8, replies: &mut Vec<u8>) {
        let slot = usize::from(option);
        match verb {
            // The server offers to do something: let it echo and suppress
            // go-ahead; refuse the rest.
            WILL | WONT => {
                let want = verb == WILL && matches!(option, OPT_ECHO | OPT_SGA);
                if self.remote[slot] != Some(want) {
                    self.remote[slot] = Some(want);
                    replies.extend_from_slice(&[IAC, if want { DO } else { DONT }, option]);
                }
            }
            // The server asks us to do something: suppress go-ahead, nothing
            // else. Not even ECHO: a client that echoed would send the
            // server's own output back to it.
            _ => {
                let want = verb == DO && option == OPT_SGA;
                if self.local[slot] != Some(want) {
                    self.local[slot] = Some(want);
                    replies.extend_from_slice(&[IAC, if want { WILL } else { WONT }, option]);
                }
            }
        }
    }
}

/// `line` + CR LF, with IAC bytes doubled as telnet requires (UTF-8 text
/// never holds one, but the rule costs nothing).
pub fn encode_line(line: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len() + 2);
    for &b in line.as_bytes() {
        out.push(b);
        if b == IAC {
            out.push(IAC);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAWS: u8 = 31;
    const TTYPE: u8 = 24;

    #[test]
    fn busybox_greeting() {
        let mut d = TelnetDecoder::default();
        let (mut text, mut replies) = (Vec::new(), Vec::new());
        let greeting = [
            IAC, DO, OPT_ECHO, IAC, DO, NAWS, IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA,
        ];
        d.feed(&greeting, &mut text, &mut replies).unwrap();
        d.feed(b"\r\n(none) login: ", &mut text, &mut replies)
            .unwrap();
        assert_eq!(text, b"\r\n(none) login: ");
        assert_eq!(
            replies,
            [IAC, WONT, OPT_ECHO, IAC, WONT, NAWS, IAC, DO, OPT_ECHO, IAC, DO, OPT_SGA]
        );
        // Repeats get no second answer.
        replies.clear();
        d.feed(&greeting, &mut text, &mut replies).unwrap();
        assert!(replies.is_empty());
    }

    #[test]
    fn split_sequences_and_subnegotiation() {
        let mut d = TelnetDecoder::default();
        let (mut text, mut replies) = (Vec::new(), Vec::new());
        let stream = [
            b'a', IAC, SB, TTYPE, 1, IAC, IAC, IAC, SE, b'b', IAC, IAC, b'c', 0, IAC, WILL, TTYPE,
        ];
        for chunk in stream.chunks(1) {
            d.feed(chunk, &mut text, &mut replies).unwrap();
        }
        assert_eq!(text, [b'a', b'b', IAC, b'c']);
        assert_eq!(replies, [IAC, DONT, TTYPE]);
    }

    #[test]
    fn endless_subnegotiation_is_not_telnet() {
        let mut d = TelnetDecoder::default();
        let (mut text, mut replies) = (Vec::new(), Vec::new());
        let mut junk = vec![IAC, SB];
        junk.extend(std::iter::repeat_n(7u8, MAX_SUBNEGOTIATION + 1));
        assert_eq!(d.feed(&junk, &mut text, &mut replies), Err(NotTelnet));
    }

    #[test]
    fn random_streams_decode_the_same_however_they_are_split() {
        // xorshift: deterministic, no dependency. Bytes drawn mostly from
        // the negotiation alphabet so IAC sequences are common.
        let mut x: u64 = 0x1234_5678_9ABC_DEF1;
        let alphabet = [
            IAC, DO, DONT, WILL, WONT, SB, SE, OPT_ECHO, OPT_SGA, 0, b'a', b'\r',
        ];
        for round in 0..5_000 {
            let len = round % 200 + 1;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let r = x.to_le_bytes();
                    if r[1] < 200 {
                        alphabet[usize::from(r[0]) % alphabet.len()]
                    } else {
                        r[0]
                    }
                })
                .collect();
            let decode = |chunk: usize| {
                let mut d = TelnetDecoder::default();
                let (mut text, mut replies) = (Vec::new(), Vec::new());
                let mut failed = false;
                for piece in bytes.chunks(chunk) {
                    if d.feed(piece, &mut text, &mut replies).is_err() {
                        failed = true;
                        break;
                    }
                }
                (text, replies, failed)
            };
            let whole = decode(bytes.len());
            assert_eq!(whole, decode(1 + round % 7), "round {round}");
            assert!(whole.0.len() <= bytes.len());
            assert!(whole.1.len() <= 3 * bytes.len());
        }
    }

    #[test]
    fn lines_end_in_cr_lf() {
        assert_eq!(encode_line("root"), b"root\r\n");
    }
}
