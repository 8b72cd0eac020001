//! `iotmark run --capture FILE`: the cloud-traffic test cases judged from a
//! packet capture of the device's upstream traffic. The captures are written
//! here with the pcap writer from synthesized Ethernet/IPv4/TCP frames (the
//! good opening is a real ClientHello made by rustls): a good one, flawed ones
//! (plaintext with the password, TLS 1.0 only, a reconnect storm) and hostile
//! files (truncated, random bytes, oversized, a foreign link type).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod util;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::DataLink;
use sha2::{Digest, Sha256};
use util::*;

const CASES: [&str; 5] = ["5.5-6-2", "5.5-7-2", "5.8-1-2", "5.8-2-2", "5.9-3-2"];
const DEVICE: [u8; 4] = [127, 0, 0, 1];
const CLOUD: [u8; 4] = [192, 0, 2, 10];
const MARKER: &str = "householder@example.net";

/// One captured frame: time since the capture began, and its bytes.
type Frame = (Duration, Vec<u8>);

fn tcp(from_device: bool, port: u16, seq: u32, flags: &str, ack: u32, payload: &[u8]) -> Vec<u8> {
    let (src, dst, sp, dp) = if from_device {
        (DEVICE, CLOUD, port, 443)
    } else {
        (CLOUD, DEVICE, 443, port)
    };
    let mut b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(src, dst, 64)
        .tcp(sp, dp, seq, 64240);
    for f in flags.chars() {
        b = match f {
            'S' => b.syn(),
            'R' => b.rst(),
            'F' => b.fin(),
            'P' => b.psh(),
            'A' => b.ack(ack),
            _ => b,
        };
    }
    let mut out = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut out, payload).unwrap();
    out
}

/// A connection attempt at `at` ms from client port `port`: refused (RST)
/// or accepted, the opening sent in two segments out of order, and the
/// session held for `hold` ms.
fn attempt(frames: &mut Vec<Frame>, at: u64, port: u16, opening: Option<&[u8]>, hold: u64) {
    let t = |ms: u64| Duration::from_millis(at + ms);
    let isn = 1000 + u32::from(port);
    frames.push((t(0), tcp(true, port, isn, "S", 0, &[])));
    let Some(opening) = opening else {
        frames.push((t(1), tcp(false, port, 0, "RA", isn + 1, &[])));
        return;
    };
    frames.push((t(1), tcp(false, port, 5000, "SA", isn + 1, &[])));
    frames.push((t(2), tcp(true, port, isn + 1, "A", 5001, &[])));
    let half = opening.len() / 2;
    let second = u32::try_from(half).unwrap();
    frames.push((
        t(3),
        tcp(true, port, isn + 1 + second, "PA", 5001, &opening[half..]),
    ));
    frames.push((t(3), tcp(true, port, isn + 1, "PA", 5001, &opening[..half])));
    // A retransmission of the first half changes nothing.
    frames.push((t(4), tcp(true, port, isn + 1, "PA", 5001, &opening[..half])));
    frames.push((
        t(hold),
        tcp(
            true,
            port,
            isn + 1 + u32::try_from(opening.len()).unwrap(),
            "FA",
            5001,
            &[],
        ),
    ));
}

/// Refused attempts on the declared back-off (100 ms doubling to 1.6 s),
/// then a kept session opening with `opening`.
fn backed_off(opening: &[u8]) -> Vec<Frame> {
    let mut frames = Vec::new();
    for (i, at) in [0u64, 100, 300, 700, 1500].into_iter().enumerate() {
        attempt(&mut frames, at, 40000 + i as u16, None, 0);
    }
    attempt(&mut frames, 3100, 40010, Some(opening), 2500);
    frames
}

fn storm(opening: &[u8]) -> Vec<Frame> {
    let mut frames = Vec::new();
    for i in 0..60u16 {
        attempt(&mut frames, u64::from(i) * 5, 41000 + i, None, 0);
    }
    attempt(&mut frames, 400, 42000, Some(opening), 2500);
    frames
}

fn write_pcap(path: &Path, frames: &[Frame], link: DataLink) {
    let file = std::fs::File::create(path).unwrap();
    let header = PcapHeader {
        datalink: link,
        ..PcapHeader::default()
    };
    let mut w = PcapWriter::with_header(file, header).unwrap();
    let base = Duration::from_secs(1_790_000_000);
    for (at, data) in frames {
        w.write_packet(&PcapPacket::new(base + *at, data.len() as u32, data))
            .unwrap();
    }
}

fn write_pcapng(path: &Path, frames: &[Frame]) {
    let file = std::fs::File::create(path).unwrap();
    let mut w = PcapNgWriter::new(file).unwrap();
    w.write_pcapng_block(InterfaceDescriptionBlock {
        linktype: DataLink::ETHERNET,
        snaplen: 0,
        options: vec![],
    })
    .unwrap();
    let base = Duration::from_secs(1_790_000_000);
    for (at, data) in frames {
        w.write_pcapng_block(EnhancedPacketBlock {
            interface_id: 0,
            timestamp: base + *at,
            original_len: data.len() as u32,
            data: std::borrow::Cow::Borrowed(data),
            options: vec![],
        })
        .unwrap();
    }
}

/// A TLS 1.2/1.3 ClientHello as rustls writes it.
fn modern_hello() -> Vec<u8> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("cloud.goodcam.example").unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out).unwrap();
    }
    out
}

/// A ClientHello offering only TLS 1.0 (no supported_versions extension).
fn tls10_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x01];
    body.extend_from_slice(&[9; 32]);
    body.push(0);
    body.extend_from_slice(&[0x00, 0x04, 0x00, 0x2f, 0x00, 0x35, 0x01, 0x00]);
    let mut hs = vec![0x01, 0x00];
    hs.extend_from_slice(&(body.len() as u16).to_be_bytes());
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, 0x03, 0x01];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

fn unit_password() -> String {
    let p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(profile("good-camera")).unwrap()).unwrap();
    p["units"][0]["initial_password"]
        .as_str()
        .unwrap()
        .to_string()
}

fn plaintext() -> Vec<u8> {
    let body = format!(
        "serial=GC-1&device_key={}&email={}",
        unit_password(),
        MARKER.replace('@', "%40")
    );
    format!(
        "POST /v1/register HTTP/1.1\r\nHost: cloud.goodcam.example\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The good camera's profile with a personal-data marker declared, and a
/// features folder holding only the feature files with the cloud cases.
fn setup(dir: &Path) -> (PathBuf, PathBuf) {
    let prof = edited_profile("good-camera", dir, "profile.json", |p| {
        p["ixit"]["cloud_link"]["personal_data_markers"] = serde_json::json!([MARKER]);
    });
    let features = dir.join("features");
    std::fs::create_dir_all(&features).unwrap();
    for f in [
        "5.5-communication.feature",
        "5.8-personal-data.feature",
        "5.9-resilience.feature",
    ] {
        std::fs::copy(repo().join("features/en303645").join(f), features.join(f)).unwrap();
    }
    (prof, features)
}

struct Judged {
    verdicts: BTreeMap<String, String>,
    reasons: BTreeMap<String, String>,
    evidence: String,
    code: i32,
}

fn run_with(dir: &Path, device: &str, capture: &Path) -> Judged {
    let (prof, features) = setup(dir);
    let out = dir.join("out");
    let r = iotmark([
        "run",
        "--profile",
        prof.to_str().unwrap(),
        "--device",
        device,
        "--scheme",
        "en303645-full",
        "--features",
        features.to_str().unwrap(),
        "--capture",
        capture.to_str().unwrap(),
        "--rate",
        "200",
        "--timeout",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(matches!(r.code, 0 | 1 | 3), "exit {}: {}", r.code, r.stderr);
    let report = r.json();
    assert_schema_valid("report.schema.json", &report);
    let mut reasons = BTreeMap::new();
    for p in report["provisions"].as_array().unwrap() {
        for t in p["test_cases"].as_array().unwrap() {
            reasons.insert(
                t["id"].as_str().unwrap().to_string(),
                t["reason"].as_str().unwrap_or_default().to_string(),
            );
        }
    }
    Judged {
        verdicts: case_verdicts(&report),
        reasons,
        evidence: std::fs::read_to_string(out.join("evidence.jsonl")).unwrap(),
        code: r.code,
    }
}

fn expect(j: &Judged, want: [&str; 5], what: &str) {
    for (case, v) in CASES.iter().zip(want) {
        assert_eq!(
            j.verdicts.get(*case).map(String::as_str),
            Some(v),
            "{what} {case}: {}",
            j.reasons.get(*case).cloned().unwrap_or_default()
        );
    }
}

fn sha256(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn a_good_capture_passes_every_cloud_case_with_its_hash_in_the_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("good.pcapng");
    write_pcapng(&cap, &backed_off(&modern_hello()));
    let j = run_with(dir.path(), "sim:good-camera", &cap);
    expect(&j, ["PASS"; 5], "good capture");
    assert!(
        j.reasons["5.5-7-2"].contains("offering TLS 1.3 to TLS 1.2"),
        "{}",
        j.reasons["5.5-7-2"]
    );
    assert!(j.reasons["5.8-1-2"].contains("none of a declared personal-data marker was readable"));
    assert!(
        j.reasons["5.9-3-2"].contains("tried 6 time(s)"),
        "{}",
        j.reasons["5.9-3-2"]
    );
    assert!(j.evidence.contains("cloud-capture"));
    assert!(j.evidence.contains(&sha256(&cap)));
    assert!(!j.evidence.contains(&unit_password()));
}

#[test]
fn a_good_capture_judges_a_net_device_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("good.pcap");
    write_pcap(&cap, &backed_off(&modern_hello()), DataLink::ETHERNET);
    let j = run_with(dir.path(), "net:127.0.0.1", &cap);
    expect(&j, ["PASS"; 5], "net: good capture");
    // The same capture seen from another device holds none of its traffic.
    let other_dir = dir.path().join("other");
    std::fs::create_dir_all(&other_dir).unwrap();
    let other = run_with(&other_dir, "net:127.0.0.9", &cap);
    expect(&other, ["INCONCLUSIVE"; 5], "net: other device");
    assert!(other.reasons["5.5-6-2"].contains("holds no session"));
    assert_ne!(other.code, 0);
}

#[test]
fn flawed_captures_fail_what_they_show() {
    let dir = tempfile::tempdir().unwrap();
    let flawed: [(&str, Vec<Frame>, [&str; 5]); 3] = [
        (
            "plaintext.pcap",
            backed_off(&plaintext()),
            ["FAIL", "FAIL", "FAIL", "FAIL", "PASS"],
        ),
        (
            "tls10.pcap",
            backed_off(&tls10_hello()),
            ["PASS", "FAIL", "PASS", "FAIL", "PASS"],
        ),
        (
            "storm.pcap",
            storm(&modern_hello()),
            ["PASS", "PASS", "PASS", "PASS", "FAIL"],
        ),
    ];
    for (name, frames, want) in flawed {
        let sub = dir.path().join(name.replace('.', "-"));
        std::fs::create_dir_all(&sub).unwrap();
        let cap = sub.join(name);
        write_pcap(&cap, &frames, DataLink::ETHERNET);
        let j = run_with(&sub, "sim:good-camera", &cap);
        expect(&j, want, name);
        // Mandatory failures make the run not conformant (exit 1). The storm
        // fails only a recommendation, so the assessor-only cases of these
        // feature files, left without attestations here, decide: exit 3.
        let want_code = if name == "storm.pcap" { 3 } else { 1 };
        assert_eq!(j.code, want_code, "{name}");
        assert!(!j.evidence.contains(&unit_password()), "{name}");
        if name == "plaintext.pcap" {
            assert!(j.reasons["5.5-6-2"].contains("opened without TLS"));
            assert!(j.reasons["5.5-6-2"].contains("readable in the capture: the unit's password"));
            assert!(!j.reasons["5.5-6-2"].contains(&unit_password()));
            assert!(j.reasons["5.8-1-2"].contains("a declared personal-data marker"));
        }
        if name == "tls10.pcap" {
            assert!(j.reasons["5.5-7-2"].contains("TLS 1.0"));
        }
        if name == "storm.pcap" {
            assert!(j.reasons["5.9-3-2"].contains("declared back-off waits at least"));
        }
    }
}

#[test]
fn hostile_captures_are_inconclusive_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.pcap");
    write_pcap(&good, &backed_off(&modern_hello()), DataLink::ETHERNET);
    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.path().join("truncated.pcap");
    std::fs::write(&truncated, &bytes[..bytes.len() - 7]).unwrap();
    let random = dir.path().join("random.pcap");
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let noise: Vec<u8> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(&random, &noise).unwrap();
    // A valid pcap header followed by noise.
    let garbage = dir.path().join("garbage.pcap");
    let mut g = bytes[..24].to_vec();
    g.extend_from_slice(&noise);
    std::fs::write(&garbage, &g).unwrap();
    let huge = dir.path().join("huge.pcap");
    let f = std::fs::File::create(&huge).unwrap();
    f.set_len(100 * 1024 * 1024).unwrap();
    drop(f);
    let foreign = dir.path().join("usb.pcap");
    write_pcap(&foreign, &backed_off(&modern_hello()), DataLink::USB_LINUX);
    let missing = dir.path().join("missing.pcap");
    for (cap, says) in [
        (&truncated, "truncated"),
        (&random, "not a pcap or pcapng capture"),
        (&garbage, "damaged"),
        (&huge, "more than the"),
        (&foreign, "link type"),
        (&missing, "cannot read the capture"),
    ] {
        let name = cap.file_name().unwrap().to_str().unwrap().to_string();
        let sub = dir.path().join(format!("run-{name}"));
        std::fs::create_dir_all(&sub).unwrap();
        let started = std::time::Instant::now();
        let j = run_with(&sub, "sim:good-camera", cap);
        expect(&j, ["INCONCLUSIVE"; 5], &name);
        let reason = &j.reasons["5.5-6-2"];
        assert!(reason.contains(&name), "{name}: {reason}");
        assert!(reason.contains(says), "{name}: {reason}");
        assert!(started.elapsed() < Duration::from_secs(120), "{name}");
    }
}
