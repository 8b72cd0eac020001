//! Functional checks of the connection the device opens to its cloud
//! service (IXIT 11-ComMech, `/ixit/cloud_link`): what travels on it (5.5-6,
//! 5.5-7, 5.8-1, 5.8-2) and how the device comes back after the service
//! goes away (5.9-3).
//!
//! The harness stands in for the cloud: it listens on loopback and has the
//! device's cloud connection sent there ([`Device::redirect_cloud`]), so it
//! sees the first bytes of each session and when each connection attempt
//! arrives. A simulated product can be redirected; a real unit's cloud
//! traffic cannot be observed this way. Given a capture of the unit's
//! upstream traffic recorded on the lab network (`--capture`), the same
//! judgements are made from the sessions it holds ([`crate::capture`]);
//! without one a real unit's cases are INCONCLUSIVE.
//!
//! [`Device::redirect_cloud`]: iotmark_adapters::device::Device::redirect_cloud

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use iotmark_adapters::endpoints::{ApiFunction, ApiMethod, CallValue, CloudLink, FieldKind};
use iotmark_adapters::evidence::ProbeRecord;
use iotmark_adapters::profile::Payload;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

use super::api::{call, valid_fields, with_function};
use super::{step, StepDef};
use crate::analysis::traffic::{self, ClientHello};
use crate::capture::{CaptureReading, CaptureSource, Endpoint};
use crate::world::{StepError, StepResult, World};

/// Most bytes of a session's opening the harness keeps.
const OPENING_MAX: usize = 16 * 1024;
/// The opening is complete when nothing more arrives for this long.
const OPENING_IDLE: Duration = Duration::from_millis(800);
/// Longest the harness reads one opening, however the bytes trickle in.
const OPENING_TOTAL: Duration = Duration::from_secs(5);
/// Most connection attempts counted in an outage window.
const ATTEMPTS_MAX: usize = 1000;
/// TLS 1.2, the oldest version a session may offer.
const TLS12: u16 = 0x0303;

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(
            r"the cloud traffic of every mechanism that carries critical security parameters is encrypted from its first byte and shows none of them",
            csp_encrypted
        ),
        step!(
            r"nothing the product sends over its remote cloud connection reveals a critical security parameter, and it offers only TLS 1.2 or later",
            csp_remote
        ),
        step!(
            r"the cloud traffic of every mechanism that carries personal data is encrypted from its first byte and shows none of it",
            personal_encrypted
        ),
        step!(
            r"the traffic to the associated services that carries sensitive personal data is encrypted from its first byte, offers only TLS 1.2 or later and shows none of it",
            sensitive_encrypted
        ),
        step!(
            r"after its cloud service drops its sessions the product retries no faster than its declared back-off, and reconnects once the service is back",
            orderly_reconnect
        ),
    ]
}

/// The declared cloud connection, or why none can be observed.
fn cloud_link(w: &World) -> Result<CloudLink, StepError> {
    w.profile().ixit.cloud_link.clone().ok_or_else(|| {
        StepError::Inconclusive(
            "no cloud connection is declared (/ixit/cloud_link), so its traffic cannot be observed"
                .into(),
        )
    })
}

/// A stand-in cloud the device has been pointed at.
async fn stand_in(w: &World, link: &CloudLink) -> Result<TcpListener, StepError> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| {
        StepError::Inconclusive(format!("cannot listen on loopback for the cloud: {e}"))
    })?;
    let addr = listener.local_addr().map_err(|e| {
        StepError::Inconclusive(format!("cannot listen on loopback for the cloud: {e}"))
    })?;
    w.ctx.device.redirect_cloud(&w.ev, addr).await.map_err(|e| {
        StepError::Inconclusive(format!(
            "the harness cannot stand in for the cloud service at {}:{} ({e}); the traffic of a real unit needs a capture on the lab network, assessed by a person",
            link.host, link.port
        ))
    })?;
    Ok(listener)
}

/// How long to wait for the device's next attempt: its longest declared
/// back-off and some slack.
fn patience(link: &CloudLink) -> Duration {
    Duration::from_millis(u64::from(link.max_delay_ms)) + Duration::from_secs(3)
}

/// Read what the device sends first: until a whole ClientHello, the size
/// limit, a pause, or [`OPENING_TOTAL`].
async fn opening(stream: &mut TcpStream) -> Vec<u8> {
    opening_within(stream, OPENING_TOTAL).await
}

/// [`opening`] with an overall deadline of `total`.
async fn opening_within(stream: &mut TcpStream, total: Duration) -> Vec<u8> {
    let deadline = tokio::time::Instant::now() + total;
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    while bytes.len() < OPENING_MAX && traffic::client_hello(&bytes).is_none() {
        let wait = deadline
            .saturating_duration_since(tokio::time::Instant::now())
            .min(OPENING_IDLE);
        if wait.is_zero() {
            break;
        }
        match tokio::time::timeout(wait, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => bytes.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    bytes.truncate(OPENING_MAX);
    bytes
}

/// Why an opening that is no readable ClientHello still does not show a
/// session without TLS: nothing was sent, or it starts as a TLS handshake
/// record (0x16 0x03) the harness could not read whole (a ClientHello split
/// across records, or cut short). `None` when it plainly is not TLS.
fn undecided_opening(bytes: &[u8]) -> Option<String> {
    match bytes {
        [] => Some(format!(
            "the session sent nothing within {} ms",
            OPENING_TOTAL.as_millis()
        )),
        [0x16, 0x03, ..] => Some(format!(
            "the session opened with a TLS handshake record, but {} byte(s) do not hold a ClientHello the harness can read in one record",
            bytes.len()
        )),
        _ => None,
    }
}

/// The labels of the `which` values the harness looks for; INCONCLUSIVE
/// when there is none (nothing was planted or declared to look for), since
/// then "none was readable" says nothing.
fn looked_for(values: &[(&'static str, String)], which: &[&str]) -> Result<String, StepError> {
    let mut labels: Vec<&str> = values
        .iter()
        .filter(|(l, v)| which.contains(l) && !v.is_empty())
        .map(|(l, _)| *l)
        .collect();
    labels.dedup();
    if labels.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "the harness has none of {} to look for (no unit password declared, no recording title stored, no personal-data marker declared), so what the traffic shows cannot be judged",
            which.join(", ")
        )));
    }
    Ok(labels.join(", "))
}

/// What the harness saw of one cloud session, with the values it looked for.
struct Observation {
    bytes: Vec<u8>,
    hello: Option<ClientHello>,
    /// (what it is, value) the device must not send readably.
    values: Vec<(&'static str, String)>,
}

impl Observation {
    fn readable(&self, which: &[&str]) -> Vec<&'static str> {
        let values: Vec<(&'static str, &str)> = self
            .values
            .iter()
            .filter(|(label, _)| which.contains(label))
            .map(|(l, v)| (*l, v.as_str()))
            .collect();
        traffic::readable(&self.bytes, &values)
    }
}

const UNIT_PASSWORD: &str = "the unit's password";
const STORED_TITLE: &str = "a recording title the harness stored";
const PERSONAL_MARKER: &str = "a declared personal-data marker";
/// A session that lasted this long was accepted by the service: the
/// back-off may start over after it.
const HEALTHY_SESSION: Duration = Duration::from_secs(1);

/// Store a recording with a title only the harness knows, so personal data
/// on the wire can be recognised. `None` when no such endpoint is declared.
async fn plant_title(w: &World) -> Result<Option<String>, StepError> {
    let Some(store) = with_function(w, ApiFunction::UserData)
        .into_iter()
        .find(|e| e.method == ApiMethod::Post)
    else {
        return Ok(None);
    };
    let Some(field) = store
        .fields
        .iter()
        .find(|f| matches!(f.kind, FieldKind::Text | FieldKind::Name))
        .map(|f| f.name.clone())
    else {
        return Ok(None);
    };
    let title = format!(
        "iotmark cloud check {}",
        &super::credentials::fresh_password("cloud")[3..15]
    );
    let mut fields = valid_fields(&store);
    for (n, v) in fields.iter_mut() {
        if *n == field {
            *v = CallValue::Text(title.clone());
        }
    }
    let a = call(w, &store, true, fields, "api-user-data-store").await?;
    Ok(a.is_success().then_some(title))
}

/// Mechanisms that carry any of `payloads` (remote ones only when asked);
/// the declared cloud connection must be one of them, and the others are
/// named as unobserved.
fn mechanisms(
    w: &World,
    payloads: &[Payload],
    remote_only: bool,
    what: &str,
) -> Result<(CloudLink, Vec<String>), StepError> {
    let carrying: Vec<String> = w
        .profile()
        .ixit
        .communications
        .iter()
        .filter(|m| m.carries.iter().any(|p| payloads.contains(p)))
        .filter(|m| !remote_only || m.remote)
        .map(|m| m.id.clone())
        .collect();
    if carrying.is_empty() {
        return Err(StepError::NotApplicable(format!(
            "no declared communication mechanism carries {what}"
        )));
    }
    let link = cloud_link(w)?;
    if !carrying.contains(&link.communication) {
        return Err(StepError::Inconclusive(format!(
            "{} carry {what}, but the declared cloud connection is {}; their traffic cannot be observed",
            carrying.join(", "),
            link.communication
        )));
    }
    let others = carrying
        .into_iter()
        .filter(|id| *id != link.communication)
        .collect();
    Ok((link, others))
}

/// Point the device at a stand-in cloud and read the opening of one session.
async fn observe(w: &World, link: &CloudLink) -> Result<Observation, StepError> {
    let mut values: Vec<(&'static str, String)> = Vec::new();
    if let Some(p) = w
        .profile()
        .units
        .get(w.ctx.unit)
        .and_then(|u| u.initial_password.clone())
    {
        values.push((UNIT_PASSWORD, p.expose().to_string()));
    }
    if let Some(title) = plant_title(w).await? {
        values.push((STORED_TITLE, title));
    }
    for m in &link.personal_data_markers {
        values.push((PERSONAL_MARKER, m.clone()));
    }
    let listener = stand_in(w, link).await?;
    let started = Instant::now();
    let (mut stream, _) = tokio::time::timeout(patience(link), listener.accept())
        .await
        .map_err(|_| {
            StepError::Inconclusive(format!(
                "the product did not connect to its cloud service within {} s",
                patience(link).as_secs()
            ))
        })?
        .map_err(|e| StepError::Inconclusive(format!("accepting the cloud session failed: {e}")))?;
    let bytes = opening(&mut stream).await;
    drop(stream);
    let hello = traffic::client_hello(&bytes);
    // The evidence shows the opening with every value the harness knows masked.
    let mut shown = traffic::preview(&bytes, 300);
    for (label, v) in &values {
        if !v.is_empty() {
            shown = shown.replace(v.as_str(), &format!("[{label}]"));
        }
    }
    w.ev.record(ProbeRecord {
        probe: "cloud-session".into(),
        target: format!("{}:{}", link.host, link.port),
        request: "accept the device's cloud session and read its opening".into(),
        response: shown,
        outcome: if hello.is_some() {
            "tls-client-hello".into()
        } else {
            "not-tls".into()
        },
        duration: started.elapsed(),
    });
    Ok(Observation {
        bytes,
        hello,
        values,
    })
}

/// The common judgement: TLS from the first byte, none of `which` readable,
/// and (when `modern`) nothing older than TLS 1.2 offered.
async fn judge(
    w: &mut World,
    payloads: &[Payload],
    remote_only: bool,
    what: &str,
    which: &[&str],
    modern: bool,
) -> StepResult {
    let (link, others) = mechanisms(w, payloads, remote_only, what)?;
    let ctx = Arc::clone(&w.ctx);
    if let Some(source) = &ctx.capture {
        let reading = from_capture(w, source, &link).await?;
        return judge_capture(w, &reading, &link, &others, what, which, modern);
    }
    let seen = observe(w, &link).await?;
    let readable = seen.readable(which);
    let Some(hello) = &seen.hello else {
        if let (Some(why), true) = (undecided_opening(&seen.bytes), readable.is_empty()) {
            return Err(StepError::Inconclusive(format!(
                "{} ({}:{}): {why}",
                link.communication, link.host, link.port
            )));
        }
        let detail = if readable.is_empty() {
            String::new()
        } else {
            format!("; readable in it: {}", readable.join(", "))
        };
        return Err(StepError::Fail(format!(
            "{} ({}:{}) carries {what} but the session opened without TLS: {:?}{detail}",
            link.communication,
            link.host,
            link.port,
            traffic::preview(&seen.bytes, 40)
        )));
    };
    if !readable.is_empty() {
        return Err(StepError::Fail(format!(
            "{} shows {} in its opening bytes",
            link.communication,
            readable.join(", ")
        )));
    }
    if modern && hello.lowest_version < TLS12 {
        return Err(StepError::Fail(format!(
            "{} offers {}, older than TLS 1.2",
            link.communication,
            traffic::version_name(hello.lowest_version)
        )));
    }
    if !others.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "{} opened with a TLS ClientHello, but {} also carry {what} and were not observed",
            link.communication,
            others.join(", ")
        )));
    }
    let looked = looked_for(&seen.values, which)?;
    w.note(format!(
        "{} opened with a TLS ClientHello offering {} to {}{}; none of {} was readable",
        link.communication,
        traffic::version_name(hello.best_version),
        traffic::version_name(hello.lowest_version),
        hello
            .server_name
            .as_deref()
            .map(|n| format!(" for {n}"))
            .unwrap_or_default(),
        looked
    ));
    Ok(())
}

async fn csp_encrypted(w: &mut World, _: Vec<String>) -> StepResult {
    judge(
        w,
        &[Payload::CriticalSecurityParameters],
        false,
        "critical security parameters",
        &[UNIT_PASSWORD],
        false,
    )
    .await
}

async fn csp_remote(w: &mut World, _: Vec<String>) -> StepResult {
    judge(
        w,
        &[Payload::CriticalSecurityParameters],
        true,
        "critical security parameters remotely",
        &[UNIT_PASSWORD],
        true,
    )
    .await
}

async fn personal_encrypted(w: &mut World, _: Vec<String>) -> StepResult {
    judge(
        w,
        &[Payload::PersonalData, Payload::SensitivePersonalData],
        false,
        "personal data",
        &[STORED_TITLE, PERSONAL_MARKER],
        false,
    )
    .await
}

async fn sensitive_encrypted(w: &mut World, _: Vec<String>) -> StepResult {
    judge(
        w,
        &[Payload::SensitivePersonalData],
        true,
        "sensitive personal data to associated services",
        &[STORED_TITLE, PERSONAL_MARKER],
        true,
    )
    .await
}

/// Accept and close every connection for `window`: the times of the
/// attempts, in milliseconds from the first.
async fn outage(listener: &TcpListener, window: Duration, first_within: Duration) -> Vec<u64> {
    let mut times = Vec::new();
    let mut first: Option<Instant> = None;
    let start = Instant::now();
    loop {
        let deadline = match first {
            Some(f) => f + window,
            None => start + first_within,
        };
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        match tokio::time::timeout(left, listener.accept()).await {
            Ok(Ok((stream, _))) => {
                let now = Instant::now();
                let f = *first.get_or_insert(now);
                times.push(u64::try_from(now.duration_since(f).as_millis()).unwrap_or(u64::MAX));
                drop(stream);
                if times.len() >= ATTEMPTS_MAX {
                    break;
                }
            }
            Ok(Err(_)) => continue,
            Err(_) => break,
        }
    }
    times
}

async fn orderly_reconnect(w: &mut World, _: Vec<String>) -> StepResult {
    let link = cloud_link(w)?;
    let ctx = Arc::clone(&w.ctx);
    if let Some(source) = &ctx.capture {
        let reading = from_capture(w, source, &link).await?;
        return reconnect_capture(w, &reading, &link);
    }
    let listener = stand_in(w, &link).await?;
    // Long enough for several doublings of the declared first wait.
    let window = Duration::from_millis((u64::from(link.initial_delay_ms) * 25).clamp(1000, 10_000));
    let started = Instant::now();
    let times = outage(&listener, window, patience(&link)).await;
    w.ev.record(ProbeRecord {
        probe: "cloud-outage".into(),
        target: format!("{}:{}", link.host, link.port),
        request: format!(
            "accept and drop every cloud session for {} ms",
            window.as_millis()
        ),
        response: format!(
            "{} attempt(s) at {:?} ms",
            times.len(),
            times.iter().take(20).collect::<Vec<_>>()
        ),
        outcome: format!("{} attempts", times.len()),
        duration: started.elapsed(),
    });
    if times.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "the product did not connect to its cloud service within {} s",
            patience(&link).as_secs()
        )));
    }
    if let Some((i, gap, wait)) = traffic::backoff_violation(
        &times,
        u64::from(link.initial_delay_ms),
        u64::from(link.max_delay_ms),
    ) {
        return Err(StepError::Fail(format!(
            "while its cloud service dropped every session the product tried {} times in {} ms; attempt {} came {gap} ms after the one before, where the declared back-off waits at least {wait} ms",
            times.len(),
            window.as_millis(),
            i + 1
        )));
    }
    // The service is back: the next session is accepted and kept.
    let back = Instant::now();
    let accepted = tokio::time::timeout(patience(&link), listener.accept()).await;
    let after = back.elapsed();
    let Ok(Ok((mut stream, _))) = accepted else {
        return Err(StepError::Fail(format!(
            "the product did not reconnect within {} s of its cloud service coming back",
            patience(&link).as_secs()
        )));
    };
    let opened = opening(&mut stream).await;
    drop(stream);
    w.note(format!(
        "while the cloud dropped its sessions the product tried {} time(s) in {} ms with gaps of {:?} ms (declared back-off from {} ms to {} ms), and reconnected {} ms after the service came back ({} bytes opened the session)",
        times.len(),
        window.as_millis(),
        times.windows(2).map(|p| p[1].saturating_sub(p[0])).collect::<Vec<_>>(),
        link.initial_delay_ms,
        link.max_delay_ms,
        after.as_millis(),
        opened.len()
    ));
    Ok(())
}

/// The device's addresses on the lab network and the declared cloud
/// endpoint: which sessions of a capture are the device's cloud traffic.
async fn capture_endpoint(w: &World, link: &CloudLink) -> Result<Endpoint, StepError> {
    let device = match w.ctx.device.name().strip_prefix("net:") {
        Some(host) => {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            match host.parse::<IpAddr>() {
                Ok(ip) => vec![ip],
                Err(_) => tokio::net::lookup_host((host, 0))
                    .await
                    .map(|addrs| addrs.map(|a| a.ip()).collect())
                    .map_err(|e| {
                        StepError::Inconclusive(format!(
                            "cannot resolve the device {host} to find its traffic in the capture: {e}"
                        ))
                    })?,
            }
        }
        // A simulation answers on loopback.
        None => vec![Ipv4Addr::LOCALHOST.into(), Ipv6Addr::LOCALHOST.into()],
    };
    Ok(Endpoint {
        device,
        port: link.port,
        server: link.host.parse().ok(),
    })
}

/// Read the run's capture (once per run), recording what was read.
async fn from_capture(
    w: &World,
    source: &CaptureSource,
    link: &CloudLink,
) -> Result<Arc<CaptureReading>, StepError> {
    let ep = capture_endpoint(w, link).await?;
    let started = Instant::now();
    let read = source.read(&ep).await;
    let (response, outcome) = match &read {
        Ok(r) => (r.summary(&ep), format!("{} session(s)", r.sessions.len())),
        Err(e) => (e.to_string(), "unusable".into()),
    };
    w.ev.record(ProbeRecord {
        probe: "cloud-capture".into(),
        target: format!("{}:{}", link.host, link.port),
        request: format!(
            "read the capture {} for the device's sessions to port {}",
            source.path.display(),
            link.port
        ),
        response,
        outcome,
        duration: started.elapsed(),
    });
    read.map_err(|e| StepError::Inconclusive(e.to_string()))
}

/// The capture named in a reason: its file and the start of its hash.
fn named(r: &CaptureReading) -> String {
    format!(
        "the capture {} (sha256 {})",
        r.path,
        r.sha256.get(..16).unwrap_or(&r.sha256)
    )
}

/// The values looked for in a capture: the unit's password and the
/// declared personal-data markers.
fn capture_values(w: &World, link: &CloudLink) -> Vec<(&'static str, String)> {
    let mut values: Vec<(&'static str, String)> = Vec::new();
    if let Some(p) = w
        .profile()
        .units
        .get(w.ctx.unit)
        .and_then(|u| u.initial_password.clone())
    {
        values.push((UNIT_PASSWORD, p.expose().to_string()));
    }
    for m in &link.personal_data_markers {
        values.push((PERSONAL_MARKER, m.clone()));
    }
    values
}

/// [`judge`] from a capture: every captured session opens with a TLS
/// ClientHello, none of `which` is readable in any client bytes, and (when
/// `modern`) nothing older than TLS 1.2 is offered.
fn judge_capture(
    w: &mut World,
    reading: &CaptureReading,
    link: &CloudLink,
    others: &[String],
    what: &str,
    which: &[&str],
    modern: bool,
) -> StepResult {
    let values: Vec<(&'static str, String)> = capture_values(w, link)
        .into_iter()
        .filter(|(l, _)| which.contains(l))
        .collect();
    let pairs: Vec<(&'static str, &str)> = values.iter().map(|(l, v)| (*l, v.as_str())).collect();
    let opened: Vec<_> = reading.opened().filter(|s| !s.bytes.is_empty()).collect();
    if opened.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "{} holds no session from the device to {}:{} with its opening bytes ({} session(s) in all)",
            named(reading),
            link.host,
            link.port,
            reading.sessions.len()
        )));
    }
    let mut readable: Vec<&'static str> = Vec::new();
    for s in &reading.sessions {
        for found in traffic::readable(&s.bytes, &pairs) {
            if !readable.contains(&found) {
                readable.push(found);
            }
        }
    }
    let mut hellos = Vec::new();
    let mut undecided = None;
    for s in &opened {
        let Some(hello) = traffic::client_hello(&s.bytes) else {
            if let Some(why) = undecided_opening(&s.bytes) {
                undecided.get_or_insert(format!(
                    "in {} the session from {} to {}: {why}",
                    named(reading),
                    s.client,
                    s.server
                ));
                continue;
            }
            let detail = if readable.is_empty() {
                String::new()
            } else {
                format!("; readable in the capture: {}", readable.join(", "))
            };
            let mut shown = traffic::preview(&s.bytes, 40);
            for (label, v) in &values {
                if !v.is_empty() {
                    shown = shown.replace(v.as_str(), &format!("[{label}]"));
                }
            }
            return Err(StepError::Fail(format!(
                "in {} the session from {} to {} ({}) carries {what} but opened without TLS: {shown:?}{detail}",
                named(reading),
                s.client,
                s.server,
                link.communication,
            )));
        };
        hellos.push(hello);
    }
    if !readable.is_empty() {
        return Err(StepError::Fail(format!(
            "in {} {} shows {}",
            named(reading),
            link.communication,
            readable.join(", ")
        )));
    }
    if let Some(why) = undecided {
        return Err(StepError::Inconclusive(why));
    }
    let lowest = hellos
        .iter()
        .map(|h| h.lowest_version)
        .min()
        .unwrap_or(TLS12);
    let best = hellos.iter().map(|h| h.best_version).max().unwrap_or(TLS12);
    if modern && lowest < TLS12 {
        return Err(StepError::Fail(format!(
            "in {} {} offers {}, older than TLS 1.2",
            named(reading),
            link.communication,
            traffic::version_name(lowest)
        )));
    }
    if !others.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "in {} {} opened with a TLS ClientHello, but {} also carry {what} and were not observed",
            named(reading),
            link.communication,
            others.join(", ")
        )));
    }
    let looked = looked_for(&values, which)?;
    let names: Vec<String> = {
        let mut n: Vec<String> = hellos
            .iter()
            .filter_map(|h| h.server_name.clone())
            .collect();
        n.sort();
        n.dedup();
        n
    };
    w.note(format!(
        "in {} each of the {} session(s) of {} opened with a TLS ClientHello offering {} to {}{}; none of {looked} was readable",
        named(reading),
        opened.len(),
        link.communication,
        traffic::version_name(best),
        traffic::version_name(lowest),
        if names.is_empty() {
            String::new()
        } else {
            format!(" for {}", names.join(", "))
        },
    ));
    Ok(())
}

/// [`orderly_reconnect`] from a capture: the device's connection attempts
/// (SYN times), in runs broken only by a session the service kept, keep
/// the declared back-off, and a session is accepted after the last failure.
fn reconnect_capture(w: &mut World, reading: &CaptureReading, link: &CloudLink) -> StepResult {
    let mut attempts: Vec<(Duration, bool)> = reading
        .opened()
        .filter_map(|s| {
            let at = s.syn_at?;
            let kept = s.accepted && s.lasted().is_some_and(|d| d >= HEALTHY_SESSION);
            Some((at, kept))
        })
        .collect();
    attempts.sort_by_key(|(at, _)| *at);
    if attempts.len() < 3 {
        return Err(StepError::Inconclusive(format!(
            "{} shows {} connection attempt(s) from the device to {}:{}; at least three are needed to judge its back-off",
            named(reading),
            attempts.len(),
            link.host,
            link.port
        )));
    }
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let first = attempts.first().map(|(at, _)| *at).unwrap_or_default();
    let times: Vec<u64> = attempts
        .iter()
        .map(|(at, _)| ms(at.saturating_sub(first)))
        .collect();
    // Runs of attempts after a failure; a kept session starts a new run.
    let mut judged = 0usize;
    let mut start = 0usize;
    for end in 1..=attempts.len() {
        let run_ends =
            end == attempts.len() || attempts.get(end - 1).is_some_and(|(_, kept)| *kept);
        if !run_ends {
            continue;
        }
        let run = times.get(start..end).unwrap_or_default();
        let base = run.first().copied().unwrap_or_default();
        let rebased: Vec<u64> = run.iter().map(|t| t - base).collect();
        judged += rebased.len().saturating_sub(1);
        if let Some((i, gap, wait)) = traffic::backoff_violation(
            &rebased,
            u64::from(link.initial_delay_ms),
            u64::from(link.max_delay_ms),
        ) {
            return Err(StepError::Fail(format!(
                "in {} the product tried {} times in {} ms to reach {}:{}; attempt {} came {gap} ms after the one before, where the declared back-off waits at least {wait} ms",
                named(reading),
                attempts.len(),
                times.last().copied().unwrap_or_default(),
                link.host,
                link.port,
                start + i + 1
            )));
        }
        start = end;
    }
    let last_failure = attempts.iter().rposition(|(_, kept)| !kept);
    let Some(last_failure) = last_failure.filter(|_| judged > 0) else {
        return Err(StepError::Inconclusive(format!(
            "{} shows no outage of the cloud service: every session was kept, so the back-off cannot be judged",
            named(reading)
        )));
    };
    let Some(back) = reading
        .opened()
        .filter(|s| s.accepted)
        .filter_map(|s| s.syn_at)
        .find(|at| {
            *at > attempts
                .get(last_failure)
                .map(|(a, _)| *a)
                .unwrap_or_default()
        })
    else {
        return Err(StepError::Inconclusive(format!(
            "{} ends before the product is seen reconnecting after its last refused attempt",
            named(reading)
        )));
    };
    w.note(format!(
        "in {} the product tried {} time(s) with gaps of {:?} ms (declared back-off from {} ms to {} ms), and reconnected {} ms after its first attempt",
        named(reading),
        attempts.len(),
        times
            .windows(2)
            .map(|p| p[1].saturating_sub(p[0]))
            .take(20)
            .collect::<Vec<_>>(),
        link.initial_delay_ms,
        link.max_delay_ms,
        ms(back.saturating_sub(first))
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[test]
    fn nothing_to_look_for_is_inconclusive() {
        assert!(matches!(
            looked_for(&[], &[UNIT_PASSWORD]),
            Err(StepError::Inconclusive(_))
        ));
        let values = vec![
            (UNIT_PASSWORD, String::new()),
            (PERSONAL_MARKER, "m1".to_string()),
            (PERSONAL_MARKER, "m2".to_string()),
        ];
        assert!(matches!(
            looked_for(&values, &[UNIT_PASSWORD]),
            Err(StepError::Inconclusive(_))
        ));
        assert_eq!(
            looked_for(&values, &[STORED_TITLE, PERSONAL_MARKER]).unwrap(),
            PERSONAL_MARKER
        );
    }

    #[test]
    fn silence_and_unreadable_tls_records_are_not_plaintext() {
        assert!(undecided_opening(b"").is_some());
        // A ClientHello whose first record holds only part of the handshake.
        assert!(
            undecided_opening(&[0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x01, 0xfc]).is_some()
        );
        assert!(undecided_opening(b"POST /upload HTTP/1.1\r\n").is_none());
        assert!(undecided_opening(&[0x16, 0x02]).is_none());
    }

    #[tokio::test]
    async fn a_trickling_opening_stops_at_the_deadline() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let writer = tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            // One byte well inside the idle pause, for far longer than the deadline.
            for _ in 0..200 {
                if s.write_all(b"x").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        let (mut stream, _) = listener.accept().await.unwrap();
        let started = Instant::now();
        let bytes = opening_within(&mut stream, Duration::from_secs(1)).await;
        let took = started.elapsed();
        writer.abort();
        assert!(took < Duration::from_secs(3), "{took:?}");
        assert!(!bytes.is_empty() && bytes.len() < 30, "{}", bytes.len());
    }
}
