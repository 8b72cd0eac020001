//! Judgements on what a device sent to its cloud service: does the session
//! open with a TLS ClientHello, which protocol versions does it offer, and
//! is any value the harness knows readable in the bytes.

/// What the first bytes of a session say, when they are a TLS ClientHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// The highest version offered: the `supported_versions` extension's
    /// highest entry, or the legacy version field without one.
    pub best_version: u16,
    /// The lowest version offered.
    pub lowest_version: u16,
    /// The server name indication, if sent.
    pub server_name: Option<String>,
}

/// The name of a TLS protocol version number.
pub fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        other => format!("version 0x{other:04x}"),
    }
}

/// A cursor over untrusted bytes: every read is checked.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let out = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(out)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    fn u24(&mut self) -> Option<usize> {
        self.take(3)
            .map(|b| (usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2]))
    }
}

/// Parse the start of a session as a TLS handshake record holding a
/// ClientHello. `None` when it is anything else (plaintext, garbage, or too
/// short to tell).
pub fn client_hello(bytes: &[u8]) -> Option<ClientHello> {
    let mut r = Reader { bytes, at: 0 };
    if r.u8()? != 0x16 {
        return None;
    }
    let record_version = r.u16()?;
    if record_version >> 8 != 0x03 {
        return None;
    }
    let record_len = usize::from(r.u16()?);
    let record = r.take(record_len)?;
    let mut h = Reader {
        bytes: record,
        at: 0,
    };
    if h.u8()? != 0x01 {
        return None;
    }
    let body_len = h.u24()?;
    let body = h.take(body_len)?;
    let mut b = Reader { bytes: body, at: 0 };
    let legacy = b.u16()?;
    b.take(32)?;
    let sid = usize::from(b.u8()?);
    b.take(sid)?;
    let suites = usize::from(b.u16()?);
    b.take(suites)?;
    let comp = usize::from(b.u8()?);
    b.take(comp)?;
    let mut versions = Vec::new();
    let mut server_name = None;
    if let Some(ext_len) = b.u16() {
        let exts = b.take(usize::from(ext_len))?;
        let mut e = Reader { bytes: exts, at: 0 };
        while e.at < exts.len() {
            let kind = e.u16()?;
            let len = usize::from(e.u16()?);
            let data = e.take(len)?;
            let mut d = Reader { bytes: data, at: 0 };
            match kind {
                // supported_versions: a one-byte length, then two-byte versions.
                0x002b => {
                    let n = usize::from(d.u8()?);
                    let list = d.take(n)?;
                    versions.extend(
                        list.chunks_exact(2)
                            .map(|c| u16::from_be_bytes([c[0], c[1]]))
                            // GREASE values (0x?a?a) are not versions.
                            .filter(|v| v & 0x0f0f != 0x0a0a),
                    );
                }
                // server_name: list length, type 0 (host name), name length, name.
                0x0000 => {
                    d.u16()?;
                    if d.u8()? == 0 {
                        let n = usize::from(d.u16()?);
                        server_name = Some(String::from_utf8_lossy(d.take(n)?).into_owned());
                    }
                }
                _ => {}
            }
        }
    }
    if versions.is_empty() {
        versions.push(legacy);
    }
    Some(ClientHello {
        best_version: versions.iter().copied().max()?,
        lowest_version: versions.iter().copied().min()?,
        server_name,
    })
}

/// Which of `values` (label, value) appear in `bytes` as they are, or
/// percent-encoded as a form would carry them. Empty values never match.
pub fn readable<'a>(bytes: &[u8], values: &[(&'a str, &str)]) -> Vec<&'a str> {
    let text = String::from_utf8_lossy(bytes);
    values
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .filter(|(_, v)| {
            let encoded = form_encoded(v);
            text.contains(*v) || text.contains(&encoded)
        })
        .map(|(label, _)| *label)
        .collect()
}

/// `value` as an HTML form sends it (application/x-www-form-urlencoded).
fn form_encoded(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                char::from(b).to_string()
            }
            b' ' => "+".to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The first bytes, printable, for a reason or the evidence log.
pub fn preview(bytes: &[u8], n: usize) -> String {
    bytes
        .iter()
        .take(n)
        .map(|b| {
            if b.is_ascii_graphic() || *b == b' ' {
                char::from(*b).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect()
}

/// Is the series of connection times (milliseconds since the first) no
/// faster than a back-off that starts at `initial_ms` and doubles up to
/// `max_ms`? Each gap may be up to a fifth shorter than the declared wait
/// (timers are not exact). The first offending gap, if any: (index, gap,
/// declared wait).
pub fn backoff_violation(
    times_ms: &[u64],
    initial_ms: u64,
    max_ms: u64,
) -> Option<(usize, u64, u64)> {
    let mut wait = initial_ms.min(max_ms);
    for (i, pair) in times_ms.windows(2).enumerate() {
        let gap = pair[1].saturating_sub(pair[0]);
        if gap.saturating_mul(5) < wait.saturating_mul(4) {
            return Some((i + 1, gap, wait));
        }
        wait = wait.saturating_mul(2).min(max_ms);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ClientHello offering TLS 1.3 and 1.2, with a server name.
    fn hello() -> Vec<u8> {
        let mut ext = Vec::new();
        ext.extend_from_slice(&[0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03]);
        let name = b"cloud.example";
        ext.extend_from_slice(&[0x00, 0x00]);
        ext.extend_from_slice(&((name.len() + 5) as u16).to_be_bytes());
        ext.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
        ext.push(0);
        ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
        ext.extend_from_slice(name);
        let mut body = vec![0x03, 0x03];
        body.extend_from_slice(&[7; 32]);
        body.push(0);
        body.extend_from_slice(&[0x00, 0x02, 0x13, 0x01, 0x01, 0x00]);
        body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        body.extend_from_slice(&ext);
        let mut hs = vec![0x01, 0x00];
        hs.extend_from_slice(&(body.len() as u16).to_be_bytes());
        hs.extend_from_slice(&body);
        let mut rec = vec![0x16, 0x03, 0x01];
        rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        rec.extend_from_slice(&hs);
        rec
    }

    #[test]
    fn reads_a_client_hello() {
        let h = client_hello(&hello()).unwrap_or_else(|| panic!("not parsed"));
        assert_eq!(h.best_version, 0x0304);
        assert_eq!(h.lowest_version, 0x0303);
        assert_eq!(h.server_name.as_deref(), Some("cloud.example"));
    }

    #[test]
    fn plaintext_and_truncated_hellos_are_not_tls() {
        assert_eq!(client_hello(b"POST /v1/register HTTP/1.1\r\n"), None);
        let full = hello();
        for n in 0..full.len() {
            assert_eq!(client_hello(&full[..n]), None, "{n}");
        }
        assert_eq!(client_hello(&[]), None);
    }

    #[test]
    fn finds_values_plain_and_form_encoded() {
        let sent = b"key=a%2Bb%40c&email=x@example.net";
        assert_eq!(
            readable(
                sent,
                &[
                    ("key", "a+b@c"),
                    ("email", "x@example.net"),
                    ("none", ""),
                    ("other", "zz")
                ]
            ),
            vec!["key", "email"]
        );
    }

    #[test]
    fn backoff() {
        assert_eq!(
            backoff_violation(&[0, 100, 300, 700, 1500, 3100], 100, 1600),
            None
        );
        assert_eq!(backoff_violation(&[0, 5, 10], 100, 1600), Some((1, 5, 100)));
        assert_eq!(
            backoff_violation(&[0, 100, 150], 100, 1600),
            Some((2, 50, 200))
        );
    }
}
