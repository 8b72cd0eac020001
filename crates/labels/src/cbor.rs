//! The small subset of CBOR (RFC 8949) that label claims use, written and read
//! in core deterministic encoding (§4.2.1) only.
//!
//! Why not a general CBOR library here: claims are signed bytes, so two encodings
//! of the same claims must not both verify. This reader accepts exactly one
//! encoding per value — definite lengths, shortest-form arguments — and checks
//! every length against the bytes actually present before it slices or
//! allocates, so hostile input cannot make it over-allocate or panic. No
//! nesting deeper than the claims need is ever followed, so there is no
//! recursion to exhaust.

use crate::error::ClaimsError;

pub(crate) const MAJOR_UINT: u8 = 0;
pub(crate) const MAJOR_NINT: u8 = 1;
pub(crate) const MAJOR_BYTES: u8 = 2;
pub(crate) const MAJOR_TEXT: u8 = 3;
pub(crate) const MAJOR_ARRAY: u8 = 4;
pub(crate) const MAJOR_MAP: u8 = 5;

/// Appends deterministic CBOR to a buffer.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    out: Vec<u8>,
}

impl Writer {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    /// The initial byte and argument, in the shortest form (§4.2.1).
    fn head(&mut self, major: u8, arg: u64) {
        let m = major << 5;
        if arg < 24 {
            // arg < 24 fits the 5 low bits.
            self.out.push(m | arg as u8);
        } else if let Ok(v) = u8::try_from(arg) {
            self.out.extend_from_slice(&[m | 24, v]);
        } else if let Ok(v) = u16::try_from(arg) {
            self.out.push(m | 25);
            self.out.extend_from_slice(&v.to_be_bytes());
        } else if let Ok(v) = u32::try_from(arg) {
            self.out.push(m | 26);
            self.out.extend_from_slice(&v.to_be_bytes());
        } else {
            self.out.push(m | 27);
            self.out.extend_from_slice(&arg.to_be_bytes());
        }
    }

    pub(crate) fn uint(&mut self, v: u64) {
        self.head(MAJOR_UINT, v);
    }

    pub(crate) fn int(&mut self, v: i64) {
        match u64::try_from(v) {
            Ok(u) => self.head(MAJOR_UINT, u),
            // A negative integer n is encoded as -1 - n, which is >= 0.
            Err(_) => self.head(MAJOR_NINT, (-1 - i128::from(v)) as u64),
        }
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.head(MAJOR_BYTES, b.len() as u64);
        self.out.extend_from_slice(b);
    }

    pub(crate) fn text(&mut self, s: &str) {
        self.head(MAJOR_TEXT, s.len() as u64);
        self.out.extend_from_slice(s.as_bytes());
    }

    pub(crate) fn array(&mut self, len: usize) {
        self.head(MAJOR_ARRAY, len as u64);
    }

    pub(crate) fn map(&mut self, len: usize) {
        self.head(MAJOR_MAP, len as u64);
    }
}

/// Reads deterministic CBOR from a slice, refusing anything else.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn malformed(&self, reason: &'static str) -> ClaimsError {
        ClaimsError::Malformed {
            offset: self.pos,
            reason,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ClaimsError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.buf.len())
            .ok_or_else(|| self.malformed("truncated"))?;
        let slice = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| self.malformed("truncated"))?;
        self.pos = end;
        Ok(slice)
    }

    /// Reads an initial byte and its argument, refusing indefinite lengths,
    /// reserved additional-information values and non-shortest arguments.
    pub(crate) fn head(&mut self) -> Result<(u8, u64), ClaimsError> {
        let start = self.pos;
        let initial = *self
            .take(1)?
            .first()
            .ok_or_else(|| self.malformed("truncated"))?;
        let major = initial >> 5;
        let info = initial & 0x1f;
        let non_canonical = |reason| ClaimsError::NonCanonical {
            offset: start,
            reason,
        };
        let arg = match info {
            0..=23 => u64::from(info),
            24 => {
                let v = u64::from(u8::from_be_bytes(be::<1>(self.take(1)?)));
                if v < 24 {
                    return Err(non_canonical("integer or length not in shortest form"));
                }
                v
            }
            25 => {
                let v = u64::from(u16::from_be_bytes(be::<2>(self.take(2)?)));
                if v <= 0xff {
                    return Err(non_canonical("integer or length not in shortest form"));
                }
                v
            }
            26 => {
                let v = u64::from(u32::from_be_bytes(be::<4>(self.take(4)?)));
                if v <= 0xffff {
                    return Err(non_canonical("integer or length not in shortest form"));
                }
                v
            }
            27 => {
                let v = u64::from_be_bytes(be::<8>(self.take(8)?));
                if v <= 0xffff_ffff {
                    return Err(non_canonical("integer or length not in shortest form"));
                }
                v
            }
            31 => return Err(non_canonical("indefinite length")),
            _ => {
                return Err(ClaimsError::Malformed {
                    offset: start,
                    reason: "reserved additional information value",
                })
            }
        };
        if major == 7 || major == 6 {
            // Floats, simple values and tags never appear in claims.
            return Err(ClaimsError::Malformed {
                offset: start,
                reason: "tags, floats and simple values are not used in claims",
            });
        }
        Ok((major, arg))
    }

    pub(crate) fn expect_uint(&mut self, field: &'static str) -> Result<u64, ClaimsError> {
        match self.head()? {
            (MAJOR_UINT, v) => Ok(v),
            _ => Err(ClaimsError::WrongType {
                field,
                expected: "an unsigned integer",
            }),
        }
    }

    pub(crate) fn expect_int(&mut self, field: &'static str) -> Result<i64, ClaimsError> {
        let out_of_range = || ClaimsError::InvalidField {
            field,
            reason: "integer out of range".to_owned(),
        };
        match self.head()? {
            (MAJOR_UINT, v) => i64::try_from(v).map_err(|_| out_of_range()),
            (MAJOR_NINT, v) => i64::try_from(v).map(|n| -1 - n).map_err(|_| out_of_range()),
            _ => Err(ClaimsError::WrongType {
                field,
                expected: "an integer",
            }),
        }
    }

    fn expect_len(
        &mut self,
        major: u8,
        field: &'static str,
        expected: &'static str,
        max: u64,
    ) -> Result<usize, ClaimsError> {
        let (m, len) = self.head()?;
        if m != major {
            return Err(ClaimsError::WrongType { field, expected });
        }
        if len > max {
            return Err(ClaimsError::TooLong { field, len, max });
        }
        usize::try_from(len).map_err(|_| ClaimsError::TooLong { field, len, max })
    }

    pub(crate) fn expect_text(
        &mut self,
        field: &'static str,
        max: u64,
    ) -> Result<&'a str, ClaimsError> {
        let len = self.expect_len(MAJOR_TEXT, field, "a text string", max)?;
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes).map_err(|_| ClaimsError::InvalidField {
            field,
            reason: "not valid UTF-8".to_owned(),
        })
    }

    /// An unsigned integer or a text string (at most `max` bytes), whichever
    /// comes: compact claims write a known scheme as a code, others as text.
    pub(crate) fn expect_uint_or_text(
        &mut self,
        field: &'static str,
        max: u64,
    ) -> Result<UintOrText<'a>, ClaimsError> {
        match self.head()? {
            (MAJOR_UINT, v) => Ok(UintOrText::Uint(v)),
            (MAJOR_TEXT, len) => {
                if len > max {
                    return Err(ClaimsError::TooLong { field, len, max });
                }
                let len =
                    usize::try_from(len).map_err(|_| ClaimsError::TooLong { field, len, max })?;
                let bytes = self.take(len)?;
                std::str::from_utf8(bytes)
                    .map(UintOrText::Text)
                    .map_err(|_| ClaimsError::InvalidField {
                        field,
                        reason: "not valid UTF-8".to_owned(),
                    })
            }
            _ => Err(ClaimsError::WrongType {
                field,
                expected: "an unsigned integer or a text string",
            }),
        }
    }

    pub(crate) fn expect_bytes(
        &mut self,
        field: &'static str,
        max: u64,
    ) -> Result<&'a [u8], ClaimsError> {
        let len = self.expect_len(MAJOR_BYTES, field, "a byte string", max)?;
        self.take(len)
    }

    pub(crate) fn expect_array(
        &mut self,
        field: &'static str,
        max: u64,
    ) -> Result<usize, ClaimsError> {
        self.expect_len(MAJOR_ARRAY, field, "an array", max)
    }

    pub(crate) fn expect_map(
        &mut self,
        field: &'static str,
        max: u64,
    ) -> Result<usize, ClaimsError> {
        self.expect_len(MAJOR_MAP, field, "a map", max)
    }
}

/// What [`Reader::expect_uint_or_text`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UintOrText<'a> {
    Uint(u64),
    Text(&'a str),
}

/// Copies a slice that `take` has already sized into an array.
fn be<const N: usize>(slice: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    // `take(N)` returned exactly N bytes; copy what is there regardless.
    for (o, b) in out.iter_mut().zip(slice) {
        *o = *b;
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn encode_int(v: i64) -> Vec<u8> {
        let mut w = Writer::new();
        w.int(v);
        w.into_bytes()
    }

    #[test]
    fn integers_round_trip_in_shortest_form() {
        let cases: &[(i64, &[u8])] = &[
            (0, &[0x00]),
            (23, &[0x17]),
            (24, &[0x18, 0x18]),
            (255, &[0x18, 0xff]),
            (256, &[0x19, 0x01, 0x00]),
            (65_536, &[0x1a, 0x00, 0x01, 0x00, 0x00]),
            (-1, &[0x20]),
            (-25, &[0x38, 0x18]),
            (
                i64::MIN,
                &[0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            ),
        ];
        for (v, bytes) in cases {
            assert_eq!(encode_int(*v), *bytes, "{v}");
            let mut r = Reader::new(bytes);
            assert_eq!(r.expect_int("x").unwrap(), *v);
            assert_eq!(r.remaining(), 0);
        }
    }

    #[test]
    fn non_shortest_and_indefinite_are_refused() {
        for bad in [
            &[0x18, 0x17][..],
            &[0x19, 0x00, 0xff],
            &[0x1a, 0, 0, 0xff, 0xff],
            &[0x5f, 0xff],
            &[0x1c],
        ] {
            assert!(Reader::new(bad).head().is_err(), "{bad:02x?}");
        }
    }

    #[test]
    fn lengths_are_checked_before_slicing() {
        // A byte string claiming 2^64-1 bytes in a 9-byte buffer.
        let bad = [0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert!(Reader::new(&bad).expect_bytes("b", u64::MAX).is_err());
        let short = [0x43, 0x01];
        assert!(matches!(
            Reader::new(&short).expect_bytes("b", 10),
            Err(ClaimsError::Malformed { .. })
        ));
    }
}
