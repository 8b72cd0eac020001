//! The ClientHello we write by hand: any version from SSL 3.0 to TLS 1.2 and
//! any list of cipher suites, which no maintained TLS library will send.

use super::suites::TlsVersion;

/// Signature algorithms offered in a TLS 1.2 hello (RFC 5246 7.4.1.4.1 and
/// RFC 8446 4.2.3 code points), SHA-1 included so old servers can answer.
const SIGNATURE_ALGORITHMS: &[u16] = &[
    0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201, 0x0202,
];
/// x25519, secp256r1, secp384r1, secp521r1.
const GROUPS: &[u16] = &[0x001D, 0x0017, 0x0018, 0x0019];
/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV: some servers refuse hellos without it.
const RENEGOTIATION_SCSV: u16 = 0x00FF;

fn push_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn push_u24(out: &mut Vec<u8>, v: usize) {
    let v = u32::try_from(v).unwrap_or(u32::MAX).min(0x00FF_FFFF);
    out.extend_from_slice(&v.to_be_bytes()[1..]);
}

/// `len` as a two-byte length prefix. Our own vectors are far below 64 KiB.
fn len16(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

fn extension(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
    push_u16(out, kind);
    push_u16(out, len16(body.len()));
    out.extend_from_slice(body);
}

/// One complete ClientHello record offering `version` and `suites`. `sni` is
/// sent when it is a host name (not an IP address literal).
pub fn client_hello(
    version: TlsVersion,
    suites: &[u16],
    sni: Option<&str>,
    random: [u8; 32],
) -> Vec<u8> {
    let mut body = Vec::with_capacity(512);
    push_u16(&mut body, version.0);
    body.extend_from_slice(&random);
    body.push(0); // no session id
    push_u16(&mut body, len16((suites.len() + 1) * 2));
    for s in suites {
        push_u16(&mut body, *s);
    }
    push_u16(&mut body, RENEGOTIATION_SCSV);
    body.extend_from_slice(&[1, 0]); // compression: null only

    let mut ext = Vec::new();
    if let Some(host) = sni.filter(|h| h.parse::<std::net::IpAddr>().is_err() && !h.is_empty()) {
        let name = host.as_bytes();
        let mut list = Vec::new();
        push_u16(&mut list, len16(name.len() + 3));
        list.push(0); // host_name
        push_u16(&mut list, len16(name.len()));
        list.extend_from_slice(name);
        extension(&mut ext, 0x0000, &list);
    }
    let mut groups = Vec::new();
    push_u16(&mut groups, len16(GROUPS.len() * 2));
    for g in GROUPS {
        push_u16(&mut groups, *g);
    }
    extension(&mut ext, 0x000A, &groups);
    extension(&mut ext, 0x000B, &[1, 0]); // ec_point_formats: uncompressed
    if version >= TlsVersion::TLS12 {
        let mut algs = Vec::new();
        push_u16(&mut algs, len16(SIGNATURE_ALGORITHMS.len() * 2));
        for a in SIGNATURE_ALGORITHMS {
            push_u16(&mut algs, *a);
        }
        extension(&mut ext, 0x000D, &algs);
    }
    if version > TlsVersion::SSL3 {
        push_u16(&mut body, len16(ext.len()));
        body.extend_from_slice(&ext);
    }

    let mut handshake = Vec::with_capacity(body.len() + 4);
    handshake.push(1); // client_hello
    push_u24(&mut handshake, body.len());
    handshake.extend_from_slice(&body);

    let mut record = Vec::with_capacity(handshake.len() + 5);
    record.push(22); // handshake
                     // The record layer says TLS 1.0 whatever the hello offers, as browsers
                     // did: some old servers drop hellos whose record version is higher.
    push_u16(&mut record, TlsVersion::TLS10.0.min(version.0));
    push_u16(&mut record, len16(handshake.len()));
    record.extend_from_slice(&handshake);
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_lengths_are_consistent() {
        let r = client_hello(
            TlsVersion::TLS12,
            &[0x0005, 0xC02F],
            Some("cam.lan"),
            [7; 32],
        );
        assert_eq!(r[0], 22);
        let rec_len = usize::from(u16::from_be_bytes([r[3], r[4]]));
        assert_eq!(rec_len, r.len() - 5);
        assert_eq!(r[5], 1);
        let hs_len = (usize::from(r[6]) << 16) | (usize::from(r[7]) << 8) | usize::from(r[8]);
        assert_eq!(hs_len, r.len() - 9);
        assert_eq!(&r[9..11], &[3, 3]);
        // IP literals are not sent as SNI.
        let ip = client_hello(TlsVersion::TLS10, &[0x0005], Some("127.0.0.1"), [0; 32]);
        assert!(!ip.windows(9).any(|w| w == b"127.0.0.1"));
    }
}
